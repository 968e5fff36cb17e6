"""Exports: usage, balances and token events as CSV or as a spreadsheet (XLSX), one writer for the API and the page

A product or user named ``=HYPERLINK(…)`` must not become a formula in the administrator's spreadsheet: a cell
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe (OWASP's rule for
CSV injection), which spreadsheets hide and which leaves the value readable. In XLSX, texts are written as texts and
quantities as numbers. The CSV of the API keeps its spec'd form (comma, decimal point, ``key,quantity``); on request
the page writes the locale's (``;`` and a decimal comma where the comma is the decimal separator).
"""

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from services.domain.quantity import format_quantity
from services.reading.usage import UsageBreakdown

FORMULA_STARTS = ('=', '+', '-', '@', '\t', '\r')
Cell = str | Decimal | int | date | None


def cell(text: str) -> str:
    """A text cell that no spreadsheet will take for a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def usage_csv(report: UsageBreakdown) -> str:
    """The rows of a usage report, largest first (by day: oldest first), under a ``key,quantity`` header (the
    API's ``usage.csv``)."""
    return to_csv(Table('usage', ['key', 'quantity'], [[row.key, row.quantity] for row in report.rows]))


@dataclass(frozen=True)
class Table:
    """What an export holds: a title (the sheet's), column headers, and rows of cells; ``context``: what it is of
    (label and value: the contract, the team, the range), written above the table where a person reads it."""

    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    context: Sequence[tuple[str, Cell]] = ()


def _text(value: Cell, decimal_comma: bool) -> str:
    if value is None:
        return ''
    if isinstance(value, Decimal):
        text = format_quantity(value)
        return text.replace('.', ',') if decimal_comma else text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return cell(value)


def to_csv(table: Table, *, separator: str = ',', decimal_comma: bool = False, with_context: bool = False) -> str:
    """The table as CSV text with a header row; dates ``YYYY-MM-DD``, quantities exact, texts never formulas.
    ``with_context``: the context's lines first, then an empty line (for a person; the plain form is a table
    alone, for programs)."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=separator, lineterminator='\n')
    if with_context and table.context:
        writer.writerows([cell(label), _text(value, decimal_comma)] for label, value in table.context)
        writer.writerow([])
    writer.writerow([cell(column) for column in table.columns])
    writer.writerows([_text(value, decimal_comma) for value in row] for row in table.rows)
    return text.getvalue()


def to_xlsx(table: Table) -> bytes:
    """The table as a one-sheet workbook: quantities as numbers, dates as dates, texts as texts."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=re.sub(r'[\[\]:*?/\\]', ' ', table.title)[:31] or 'export')
    if table.context:  # what it is of: in the file's properties, and in lines above the table
        book.properties.title = ' · '.join([table.title, *(_text(value, False) for _, value in table.context)])
        for label, value in table.context:
            sheet.append([_xlsx(label), _xlsx(value)])
        sheet.append([])
    sheet.append([_xlsx(column) for column in table.columns])
    for row in table.rows:
        sheet.append([_xlsx(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx(value: Cell) -> object:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub('', cell(value))  # a text, stored as one: never a formula
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def file_name(kind: str, *parts: object, extension: str) -> str:
    """A file name that says what it holds: ``usage-atelier-structure-2026-09-02-2026-11-30.csv``; letters with
    accents keep their letter (``Lumière`` → ``lumiere``)."""
    words = [_ascii(kind), *(_ascii(str(part)) for part in parts if part not in (None, ''))]
    slug = '-'.join(re.sub(r'[^0-9a-z]+', '-', word.lower()).strip('-') for word in words)
    return f'{re.sub(r"-+", "-", slug).strip("-") or kind}.{extension}'


def _ascii(text: str) -> str:
    """The text's letters without their accents (NFKD, marks dropped)."""
    return ''.join(c for c in unicodedata.normalize('NFKD', text) if not unicodedata.combining(c))


def usage_csv_name(report: UsageBreakdown, *parts: object) -> str:
    """The API's ``usage.csv`` file name: ``usage-<parts>-<by>-<from>-<to>.csv``."""
    return file_name('usage', *parts, report.by, report.range.start, report.range.end, extension='csv')
