"""Usage reports as CSV: one writer for the API's ``usage.csv`` and the page's download

A product or user named ``=HYPERLINK(…)`` must not become a formula in the administrator's spreadsheet: a cell
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe (OWASP's rule for
CSV injection), which spreadsheets hide and which leaves the value readable.
"""

import csv
import io
from datetime import date

from services.domain.quantity import format_quantity
from services.reading.usage import UsageBreakdown

FORMULA_STARTS = ('=', '+', '-', '@', '\t', '\r')


def cell(text: str) -> str:
    """A text cell that no spreadsheet will take for a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def key_text(key: object) -> str:
    """A report key as a cell: a product or user as it is (never a formula), a date as ``YYYY-MM-DD``, no team as
    empty."""
    if key is None:
        return ''
    return key.isoformat() if isinstance(key, date) else cell(str(key))


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
