"""Downloads from the page: usage, balances, token events and lots, as CSV or XLSX, named after what they hold

Headers are in the page's language; the plain CSV is the API's (comma, decimal point); "CSV for spreadsheets"
uses the locale's separators (``;`` and a decimal comma where the comma is the decimal separator).
"""

from collections.abc import Awaitable, Callable, Sequence
from datetime import date

from babel.numbers import get_decimal_symbol
from nicegui import ui

from services.domain.quantity import format_quantity
from services.reading.balances import HolderBalance
from services.reading.exports import Cell, Table, file_name, to_csv, to_xlsx
from services.reading.lots import LotInfo
from services.reading.timeline import TokenEvent
from services.reading.usage import UsageBreakdown
from ui.i18n import locale_of, t

Build = Callable[[], Awaitable[tuple[Table, Sequence[object]]]]  # the table, and the parts of its file name


def event_text(event: TokenEvent, lang: str) -> str:
    """A token event in words (assignments name the other team; an undone one says so)."""
    other = event.counterparty_team_name or ''
    text = {
        'purchase': t('Purchased', lang),
        'expiration': t('Expired', lang),
        'transfer_in': t('Assigned from {team}', lang, team=other),
        'transfer_out': t('Assigned to {team}', lang, team=other),
    }[event.type]
    if event.undoes:
        text = t('{event} (undoing an earlier assignment)', lang, event=text)
    elif event.undone:
        text = t('{event} (undone since)', lang, event=text)
    return text


def usage_table(report: UsageBreakdown, key: str, lang: str, names: dict[int | None, str] | None = None) -> Table:
    rows: list[list[Cell]] = []
    for row in report.rows:
        label: Cell = names.get(row.key if isinstance(row.key, int) else None, '') if names is not None else row.key
        rows.append([label, row.quantity])
    return Table(t('Usage', lang), [key, t('Quantity', lang)], rows)


def balances_table(balances: Sequence[HolderBalance], lang: str, contract_name: str) -> Table:
    columns = [
        t('Team', lang),
        t('Available', lang),
        t('Used', lang),
        t('Expired', lang),
        t('Total', lang),
        t('Purchased', lang),
        t('Assigned in', lang),
        t('Assigned out', lang),
        t('Health', lang),
        t('Next expiry', lang),
        t('Expiring within 90 days', lang),
    ]
    rows: list[list[Cell]] = [
        [
            b.team_name or contract_name,
            b.available,
            b.used,
            b.expired,
            b.total,
            b.purchased,
            b.assigned_in,
            b.assigned_out,
            t('green', lang) if b.health == 'green' else t('red', lang),
            b.next_expiry.date if b.next_expiry else None,
            b.expiring_within_90_days,
        ]
        for b in balances
    ]
    return Table(t('Balances', lang), columns, rows)


def events_table(events: Sequence[TokenEvent], lang: str) -> Table:
    columns = [
        t('Date', lang),
        t('Team', lang),
        t('Event', lang),
        t('Quantity', lang),
        t('Expires on', lang),
        t('By', lang),
    ]
    rows: list[list[Cell]] = [
        [e.date, e.team_name or '', event_text(e, lang), e.quantity, _expiry(e), e.made_by or ''] for e in events
    ]
    return Table(t('Token events', lang), columns, rows)


def _expiry(event: TokenEvent) -> Cell:
    """When the tokens of an event expire: a purchase's date, or an assignment's dates (one, or each with its part)."""
    if event.expires_on is not None:
        return event.expires_on
    if len(event.moved) == 1:
        return event.moved[0][0]
    return ', '.join(f'{day.isoformat()} ({format_quantity(quantity)})' for day, quantity in event.moved) or None


def about(
    lang: str,
    contract: str,
    *,
    team: str | None = None,
    start: date | None = None,
    end: date | None = None,
    on: date | None = None,
) -> tuple[tuple[str, Cell], ...]:
    """What an export is of, as lines above its table: the contract, the team, the range or the day."""
    lines: list[tuple[str, Cell]] = [(t('Contract', lang), contract)]
    if team:
        lines.append((t('Team', lang), team))
    if start is not None and end is not None:
        lines += [(t('From', lang), start), (t('To', lang), end)]
    if on is not None:
        lines.append((t('On', lang), on))
    return tuple(lines)


def lots_table(lots: Sequence[LotInfo], lang: str) -> Table:
    columns = [
        t('Team', lang),
        t('Purchased on', lang),
        t('Expires on', lang),
        t('Original', lang),
        t('Remaining', lang),
        t('Origin', lang),
        t('State', lang),
    ]
    rows: list[list[Cell]] = [
        [
            lot.team_name or '',
            lot.purchased_at.date(),
            lot.expires_on,
            lot.original,
            lot.remaining,
            origin_text(lot, lang),
            state_text(lot.state, lang),
        ]
        for lot in lots
    ]
    return Table(t('Lots', lang), columns, rows)


def origin_text(lot: LotInfo, lang: str) -> str:
    if lot.origin == 'purchase':
        return t('Purchase', lang)
    if lot.returned:
        return t('Given back by {team} (an assignment undone)', lang, team=lot.from_team_name or '')
    text = t('Assigned from {team}', lang, team=lot.from_team_name or '')
    return t('{event} (undone since)', lang, event=text) if lot.undone else text


def state_text(state: str, lang: str) -> str:
    return {'active': t('Active', lang), 'expired': t('Expired', lang), 'empty': t('Used up', lang)}[state]


def content(table: Table, kind: str, lang: str) -> tuple[bytes, str, str]:
    """The bytes of an export, its extension and its media type."""
    if kind == 'xlsx':
        return to_xlsx(table), 'xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
    if kind == 'csv_locale':  # for a person's spreadsheet: the locale's separators, and what the file is of
        comma = get_decimal_symbol(locale_of(lang)) == ','
        text = to_csv(table, separator=';' if comma else ',', decimal_comma=comma, with_context=True)
        return text.encode('utf-8-sig'), 'csv', 'text/csv'
    return to_csv(table).encode(), 'csv', 'text/csv'


async def download(lang: str, kind: str, fmt: str, build: Build) -> None:
    """Read an export and hand it to the browser in the format chosen (``csv``, ``csv_locale``, ``xlsx``)."""
    table, parts = await build()
    data, extension, media = content(table, fmt, lang)
    ui.download.content(data, file_name(kind, *parts, extension=extension), media)


def download_menu(lang: str, kind: str, build: Build, *, marker: str, label: str | None = None) -> None:
    """A "Download" button with its formats; the export is read when one is chosen."""
    with ui.button(label or t('Download', lang), icon='download').props('flat dense no-caps').mark(marker), ui.menu():
        for fmt, text in (
            ('csv', t('CSV', lang)),
            ('csv_locale', t('CSV for spreadsheets in my language', lang)),
            ('xlsx', t('Excel workbook (XLSX)', lang)),
        ):
            item = ui.menu_item(text, on_click=lambda fmt=fmt: download(lang, kind, fmt, build))
            item.mark(f'{marker}-{fmt.replace("_", "-")}')
