"""Usage reports as CSV: one writer for the API's ``usage.csv`` and the page's download"""

import csv
import io
from datetime import date

from services.domain.quantity import format_quantity
from services.reading.usage import UsageBreakdown


def key_text(key: object) -> str:
    """A report key as a cell: a product or user as it is, a date as ``YYYY-MM-DD``, no team as empty."""
    if key is None:
        return ''
    return key.isoformat() if isinstance(key, date) else str(key)


def usage_csv(report: UsageBreakdown) -> str:
    """The rows of a usage report, largest first (by day: oldest first), under a ``key,quantity`` header."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator='\n')
    writer.writerow(['key', 'quantity'])
    writer.writerows((key_text(row.key), format_quantity(row.quantity)) for row in report.rows)
    return text.getvalue()


def usage_csv_name(report: UsageBreakdown, *parts: object) -> str:
    """A file name that says what the report is: ``usage-<parts>-<by>-<from>-<to>.csv``."""
    return '-'.join(['usage', *map(str, parts), report.by, str(report.range.start), str(report.range.end)]) + '.csv'
