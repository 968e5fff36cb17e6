"""What a crossing says, in each language: the line of the history, and the e-mail (subject, text and HTML)

Every text goes through the catalogues; numbers and dates are the reader's locale's. The subject names the team
(or the contract) and the condition; the body gives the numbers and a link to the page.
"""

import html
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from email.message import EmailMessage

from services.domain.quantity import from_units
from services.infrastructure.i18n import day, number, share, t, tn, when


@dataclass(frozen=True)
class Crossing:
    """A rule's condition changing for a holder, with the numbers of that moment (quantities in units)."""

    rule: int
    contract: int
    contract_name: str
    holder: int
    team: int | None
    name: str  # the team's, or the contract's for its pool
    mode: str
    kind: str
    threshold: Decimal
    state: str
    at: datetime
    available: int
    total: int
    expiring: int
    expiring_days: int
    next_expiry: date | None
    runs_out_on: date | None
    timezone: str = 'UTC'
    cap_user: str | None = None  # a cap's notice (``kind`` ``cap``: ``threshold`` is the stage's percent,
    cap_product: str | None = None  # ``available`` what the cap counted, ``total`` its limit)
    cap_period: str | None = None
    expired: int = 0  # an expiry rule resolved because its tokens expired: what they still held (units)

    @property
    def lost(self) -> bool:
        """Whether this crossing ended because tokens expired unused: said as a loss, not as a recovery."""
        return self.state == 'resolved' and self.expired > 0


def _unit(crossing: Crossing, lang: str) -> str:
    return t('tokens', lang) if crossing.mode == 'flex' else t('credits', lang)


def condition(crossing: Crossing, lang: str) -> str:
    """The rule's condition in words (``tokens expire within 90 days``)."""
    unit = _unit(crossing, lang)
    if crossing.kind == 'cap':
        cap = t('daily cap', lang) if crossing.cap_period == 'day' else t('monthly cap', lang)
        reached = t('{percent} of the {cap} reached', lang, percent=share(crossing.threshold / 100, lang), cap=cap)
        scope = ', '.join(part for part in (crossing.cap_user, crossing.cap_product) if part)
        return f'{reached} ({scope})' if scope else reached
    threshold = number(crossing.threshold, lang)
    if crossing.kind == 'available_below_percent':
        return t('{unit} available under {percent}', lang, unit=unit, percent=share(crossing.threshold / 100, lang))
    if crossing.kind == 'available_below':
        return t('{unit} available under {quantity}', lang, unit=unit, quantity=threshold)
    days = int(crossing.threshold)
    if crossing.kind == 'expiring_within_days':
        return tn('{unit} expire within {count} day', '{unit} expire within {count} days', days, lang, unit=unit)
    return tn('runs out within {count} day', 'runs out within {count} days', days, lang)


def summary(crossing: Crossing, lang: str) -> str:
    """One line for the history: who, the condition, firing or resolved, and the key numbers."""
    if crossing.kind == 'ledger_check':  # the ledger's scheduled check (``threshold``: discrepancies found)
        if crossing.state == 'resolved':
            return t('{name}: resolved — the ledger check finds the books balanced again', lang, name=crossing.name)
        return tn(
            '{name}: the ledger check found {count} discrepancy in the books (the details are in the server log)',
            '{name}: the ledger check found {count} discrepancies in the books (the details are in the server log)',
            int(crossing.threshold),
            lang,
            name=crossing.name,
        )
    numbers = {
        'available': number(from_units(crossing.available), lang),
        'total': number(from_units(crossing.total), lang),
    }
    facts = [
        t('used {available} of {total}', lang, **numbers)
        if crossing.kind == 'cap'
        else t('available {available} of {total}', lang, **numbers)
    ]
    if crossing.expiring and crossing.next_expiry:
        facts.append(
            t(
                '{quantity} expiring by {date}',
                lang,
                quantity=number(from_units(crossing.expiring), lang),
                date=day(crossing.next_expiry, lang),
            )
        )
    if crossing.runs_out_on:
        facts.append(t('runs out around {date}', lang, date=day(crossing.runs_out_on, lang)))
    what = condition(crossing, lang)
    if crossing.lost:
        return t(
            '{name}: {quantity} {unit} expired unused ({facts})',
            lang,
            name=crossing.name,
            quantity=number(from_units(crossing.expired), lang),
            unit=_unit(crossing, lang),
            facts='; '.join(facts),
        )
    if crossing.state == 'resolved':
        return t(
            '{name}: resolved — {condition} no longer ({facts})',
            lang,
            name=crossing.name,
            condition=what,
            facts='; '.join(facts),
        )
    return t('{name}: {condition} ({facts})', lang, name=crossing.name, condition=what, facts='; '.join(facts))


def subject(crossing: Crossing, lang: str) -> str:
    """An e-mail's subject: the team (or contract) and the condition."""
    what = condition(crossing, lang)
    if crossing.lost:
        return t(
            '[Balances] {name}: {quantity} {unit} expired unused',
            lang,
            name=crossing.name,
            quantity=number(from_units(crossing.expired), lang),
            unit=_unit(crossing, lang),
        )
    if crossing.state == 'resolved':
        return t('[Balances] Resolved: {name}, {condition}', lang, name=crossing.name, condition=what)
    return t('[Balances] {name}: {condition}', lang, name=crossing.name, condition=what)


def _state(crossing: Crossing, lang: str) -> str:
    if crossing.lost:
        return t('expired', lang)
    return t('resolved', lang) if crossing.state == 'resolved' else t('firing', lang)


def _lines(crossing: Crossing, lang: str, link: str) -> list[tuple[str, str]]:
    unit = _unit(crossing, lang)
    rows = [
        (t('Contract', lang), crossing.contract_name),
        (t('Team', lang) if crossing.team is not None else t('Holder', lang), crossing.name),
        (t('Condition', lang), condition(crossing, lang)),
        (t('State', lang), _state(crossing, lang)),
        (t('When', lang), when(crossing.at, lang, crossing.timezone)),
        (t('Available', lang), f'{number(from_units(crossing.available), lang)} {unit}'),
        (t('Total', lang), f'{number(from_units(crossing.total), lang)} {unit}'),
    ]
    if crossing.kind == 'cap':
        rows[-2:] = [
            (t('Used this period', lang), f'{number(from_units(crossing.available), lang)} {unit}'),
            (t('Cap', lang), f'{number(from_units(crossing.total), lang)} {unit}'),
        ]
        rows.append((t('Page', lang), link))
        return rows
    if crossing.lost:
        rows.append((t('Expired unused', lang), f'{number(from_units(crossing.expired), lang)} {unit}'))
    if crossing.expiring and crossing.next_expiry:
        rows.append(
            (
                tn('Expiring within {count} day', 'Expiring within {count} days', crossing.expiring_days, lang),
                t(
                    '{quantity} {unit}, the first on {date}',
                    lang,
                    quantity=number(from_units(crossing.expiring), lang),
                    unit=unit,
                    date=day(crossing.next_expiry, lang),
                ),
            )
        )
    forecast = (
        t('around {date}, at the last 28 days’ pace', lang, date=day(crossing.runs_out_on, lang))
        if crossing.runs_out_on
        else t('not within a year at the last 28 days’ pace', lang)
    )
    rows.append((t('Runs out', lang), forecast))
    rows.append((t('Page', lang), link))
    return rows


def email(crossing: Crossing, lang: str, *, sender: str, recipient: str, link: str) -> EmailMessage:
    """The e-mail of a crossing to one recipient, in their language: plain text and HTML."""
    message = EmailMessage()
    message['Subject'] = subject(crossing, lang)
    message['From'] = sender
    message['To'] = recipient
    rows = _lines(crossing, lang, link)
    heading = summary(crossing, lang)
    text = [heading, '', *(t('{label}: {value}', lang, label=label, value=value) for label, value in rows)]
    text += ['', t('— Balances', lang)]
    opening = html.escape(t('Open the Balances page', lang))
    message.set_content('\n'.join(text))
    cells = ''.join(
        f'<tr><th align="left" style="padding:2px 12px 2px 0">{html.escape(label)}</th><td>{_cell(value)}</td></tr>'
        for label, value in rows
    )
    message.add_alternative(
        f'<!doctype html><html lang="{lang}"><body style="font-family:sans-serif">'
        f'<p>{html.escape(heading)}</p><table>{cells}</table>'
        f'<p><a href="{html.escape(link)}">{opening}</a></p></body></html>',
        subtype='html',
    )
    return message


def _cell(value: str) -> str:
    if value.startswith(('http://', 'https://')):
        return f'<a href="{html.escape(value)}">{html.escape(value)}</a>'
    return html.escape(value)
