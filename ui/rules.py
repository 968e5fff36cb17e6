"""The alert rules of a contract, for its administrators: the four kinds, one team or all, e-mail addresses, a
webhook (its secret shown once); editing one in place, pausing and resuming it, deleting one, and sending a test

The seed's rule is there from the start (tokens expiring within 90 days, to the contract's administrators).
"""

from decimal import Decimal
from typing import Any

from nicegui import app, ui

from services import alerts
from services.accounts.admins import contract_admin_emails
from services.accounts.contracts import ContractInfo
from services.alerts.delivery import DeliveryConfig, TestResult, send_test
from services.alerts.messages import Crossing
from services.alerts.rules import RuleInfo, delete_rule, get_rule, list_rules
from services.domain.alerting import DAY_KINDS
from services.domain.errors import InvalidInput, LedgerError
from services.infrastructure.clock import utcnow
from ui.frame import dialog, labelled
from ui.guard import guard
from ui.i18n import number, number_example, parse_number, share, t, tn
from ui.messages import invalid, refusal, unreadable


def kinds(lang: str, flex: bool) -> dict[str, str]:
    return {
        'expiring_within_days': t('Tokens expiring within a number of days', lang)
        if flex
        else t('Credits expiring within a number of days', lang),
        'available_below_percent': t('Available under a share of the total (%)', lang),
        'available_below': t('Available under a quantity', lang),
        'runs_out_within_days': t('Forecast to run out within a number of days', lang),
    }


def rule_text(rule: RuleInfo, lang: str, flex: bool, teams: dict[int, str]) -> str:
    """A rule in words: its condition, and for whom."""
    unit = t('tokens', lang) if flex else t('credits', lang)
    days = int(rule.threshold)
    condition = {
        'expiring_within_days': tn(
            '{unit} expire within {count} day', '{unit} expire within {count} days', days, lang, unit=unit
        ),
        'runs_out_within_days': tn('runs out within {count} day', 'runs out within {count} days', days, lang),
        'available_below_percent': t(
            '{unit} available under {percent}', lang, unit=unit, percent=share(rule.threshold / 100, lang)
        ),
        'available_below': t(
            '{unit} available under {quantity}', lang, unit=unit, quantity=number(rule.threshold, lang)
        ),
    }[rule.kind]
    who = teams.get(rule.team or 0) if rule.team is not None else (t('every team', lang) if flex else '')
    return f'{condition} · {who}' if who else condition


def recipients_text(rule: RuleInfo, lang: str) -> str:
    parts = list(rule.emails)
    if rule.to_admins:
        parts.insert(0, t("the contract's administrators", lang))
    if rule.webhook_url:
        parts.append(t('webhook {url}', lang, url=rule.webhook_url))
    return ', '.join(parts) if parts else t('in the page only', lang)


class RuleFields:
    """A rule's threshold, team, e-mail addresses and webhook: the form adding one, and the one editing one in place."""

    def __init__(self, lang: str, flex: bool, teams: dict[int, str], rule: RuleInfo | None = None) -> None:
        self.lang = lang
        mark = 'rule-edit' if rule is not None else 'rule'  # the form adding a rule, or the one editing one
        with ui.element('div').classes('grid grid-cols-1 sm:grid-cols-2 gap-2 w-full'):
            self.threshold = ui.input(t('Threshold', lang)).props('outlined dense').mark(f'{mark}-threshold')
            choices = {0: t('Every team', lang), **teams} if flex else {0: t('The contract', lang)}
            self.team = ui.select(choices, value=0, label=t('For', lang)).props('outlined dense').mark(f'{mark}-team')
            self.team.set_visibility(flex)
            self.emails = (
                ui.input(t('E-mail addresses (separated by commas)', lang))
                .props('outlined dense')
                .mark(f'{mark}-emails')
            )
            self.webhook = (
                ui.input(t('Webhook address (optional)', lang), placeholder='https://')
                .props('outlined dense inputmode=url')
                .mark(f'{mark}-webhook')
            )
        if rule is not None:
            self.threshold.value = number(rule.threshold, lang) if rule.kind not in DAY_KINDS else str(rule.days)
            self.team.value = rule.team or 0
            self.emails.value = ', '.join(rule.emails)
            self.webhook.value = rule.webhook_url or ''

    def hint(self, kind: str) -> None:
        lang = self.lang
        self.threshold.props['hint'] = {
            'available_below_percent': t('a percentage, e.g. {example}', lang, example=number(Decimal(20), lang)),
            'available_below': t('a quantity, e.g. {example}', lang, example=number_example(lang)),
        }.get(kind, t('a number of days, e.g. {example}', lang, example=90))

    def values(self, kind: str) -> tuple[dict[str, Any] | None, str]:
        """The fields as ``create_rule`` and ``update_rule`` take them, or what is wrong with the threshold."""
        text = (self.threshold.value or '').strip()
        if not text:
            return None, t('Type a threshold.', self.lang)
        try:
            threshold: object = parse_number(text, self.lang)
        except ValueError:
            return None, unreadable(text, self.lang, unit=unit_of(kind))
        emails = [part.strip() for part in (self.emails.value or '').split(',') if part.strip()]
        webhook = (self.webhook.value or '').strip() or None
        return {'threshold': threshold, 'team': self.team.value or None, 'emails': emails, 'webhook': webhook}, ''


def unit_of(kind: str) -> str:
    """What the threshold of a kind counts: ``days``, ``percent`` or ``quantity``."""
    if kind in DAY_KINDS:
        return 'days'
    return 'percent' if kind == 'available_below_percent' else 'quantity'


class RulesEditor:
    """The rules of one contract, each edited in place, paused and resumed, tested, deleted; a form adds one."""

    def __init__(self, contract: ContractInfo, lang: str, teams: dict[int, str]) -> None:
        self.contract, self.lang, self.teams = contract, lang, teams
        self.editing: int | None = None
        flex = contract.is_flex
        self.list = ui.column().classes('w-full gap-1').mark('rules')
        ui.separator().classes('q-my-sm')
        ui.html(t('Add a rule', lang), tag='h3').classes('text-subtitle1 text-weight-medium q-my-none')
        with ui.column().classes('w-full gap-2').mark('rule-form'):
            self.kind = (
                ui.select(
                    kinds(lang, flex), value='expiring_within_days', label=t('When', lang), on_change=self._kind_changed
                )
                .props('outlined dense')
                .classes('w-full')
                .mark('rule-kind')
            )
            self.fields = RuleFields(lang, flex, teams)
            self.error = ui.label().classes('text-negative text-body2').props('role=alert').mark('rule-error')
            with ui.row().classes('w-full justify-end'):
                ui.button(t('Add the rule', lang), icon='add_alert', on_click=self.add).props('no-caps').mark(
                    'rule-add'
                )
        self._kind_changed()

    def _kind_changed(self) -> None:
        self.fields.hint(self.kind.value)

    async def load(self) -> None:
        rules = await list_rules(self.contract.id)
        self.list.clear()
        with self.list:
            if not rules:
                ui.label(t('No rule: alerts are not evaluated for this contract.', self.lang))
            for rule in rules:
                if rule.id == self.editing:
                    self._edit_form(rule)
                    continue
                self._row(rule)

    def _row(self, rule: RuleInfo) -> None:
        lang = self.lang
        text = rule_text(rule, lang, self.contract.is_flex, self.teams)
        with ui.row().classes('w-full items-center gap-x-2 gap-y-0').mark('rule'):
            with ui.column().classes('grow gap-0 min-w-0'):
                with ui.row().classes('items-center gap-2'):
                    ui.label(text).classes('text-body2' + (' text-grey-8' if rule.paused else ''))
                    if rule.paused:
                        ui.badge(t('Paused', lang), color='grey-8').mark('rule-paused')
                ui.label(recipients_text(rule, lang)).classes('text-caption text-grey-8')
            with ui.row().classes('gap-0 no-wrap'):
                labelled(
                    ui.button(t('Edit', lang), icon='edit', on_click=lambda r=rule: self.edit(r)),
                    t('Edit the rule: {rule}', lang, rule=text),
                ).props('flat dense no-caps').mark('rule-edit')
                ui.button(
                    t('Resume', lang) if rule.paused else t('Pause', lang),
                    icon='play_arrow' if rule.paused else 'pause',
                    on_click=lambda r=rule: self.pause(r, not r.paused),
                ).props('flat dense no-caps').mark('rule-resume' if rule.paused else 'rule-pause')
                ui.button(t('Send a test', lang), on_click=lambda r=rule: self.test(r)).props(
                    'flat dense no-caps'
                ).mark('rule-test')
                ui.button(t('Delete', lang), on_click=lambda r=rule: self.delete(r)).props(
                    'flat dense no-caps color=negative'
                ).mark('rule-delete')

    def _edit_form(self, rule: RuleInfo) -> None:
        """The rule's row become its form, in place: its kind stays, the rest can change."""
        lang = self.lang
        with (
            ui.column()
            .classes('w-full gap-2 q-pa-sm rounded-borders')
            .style('border: 1px solid #1976d2')
            .mark('rule-edit-form')
        ):
            ui.label(kinds(lang, self.contract.is_flex)[rule.kind]).classes('text-body2 text-weight-medium')
            fields = RuleFields(lang, self.contract.is_flex, self.teams, rule)
            fields.hint(rule.kind)
            error = ui.label().classes('text-negative text-body2').props('role=alert').mark('rule-edit-error')
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button(t('Cancel', lang), on_click=self.cancel_edit).props('flat no-caps').mark('rule-edit-cancel')
                ui.button(t('Save', lang), icon='check', on_click=lambda: self.save(rule, fields, error)).props(
                    'no-caps'
                ).mark('rule-save')
        fields.threshold.run_method('focus')

    async def edit(self, rule: RuleInfo) -> None:
        if not await guard.allows(self.contract.id):
            return
        self.editing = rule.id
        await self.load()

    async def cancel_edit(self) -> None:
        self.editing = None
        await self.load()

    async def save(self, rule: RuleInfo, fields: RuleFields, error: ui.label) -> None:
        if not await guard.allows(self.contract.id):
            return
        values, problem = fields.values(rule.kind)
        if values is None:
            error.set_text(problem)
            return
        try:
            changed = await alerts.change_rule(
                self.contract.id, rule.id, allow_private=_config().allow_private, **values
            )
        except InvalidInput as refused:
            error.set_text(self._invalid(refused, rule.kind))
            return
        except LedgerError as refused:
            error.set_text(refusal(refused, self.lang))
            return
        self.editing = None
        ui.notify(t('The rule is saved.', self.lang), type='positive')
        await self.load()
        if changed.webhook_secret:
            self.show_secret(changed.webhook_secret)

    async def pause(self, rule: RuleInfo, paused: bool) -> None:
        if not await guard.allows(self.contract.id):
            return
        try:
            await alerts.set_paused(self.contract.id, rule.id, paused)
        except LedgerError as refused:
            ui.notify(refusal(refused, self.lang), type='negative')
        ui.notify(t('The rule is paused.', self.lang) if paused else t('The rule is resumed.', self.lang))
        await self.load()

    async def add(self) -> None:
        if not await guard.allows(self.contract.id):
            return
        self.error.set_text('')
        kind = self.kind.value
        values, problem = self.fields.values(kind)
        if values is None:
            self.error.set_text(problem)
            return
        try:
            rule = await alerts.add_rule(self.contract.id, kind=kind, allow_private=_config().allow_private, **values)
        except InvalidInput as error:
            self.error.set_text(self._invalid(error, kind))
            return
        except LedgerError as error:
            self.error.set_text(refusal(error, self.lang))
            return
        self.fields.threshold.value = self.fields.emails.value = self.fields.webhook.value = ''
        ui.notify(t('The rule is added.', self.lang), type='positive')
        await self.load()
        if rule.webhook_secret:
            self.show_secret(rule.webhook_secret)

    def _invalid(self, error: InvalidInput, kind: str) -> str:
        if error.field == 'threshold' and unit_of(kind) == 'days':
            return t('Type a whole number of days from 1 to 3650.', self.lang)
        if error.field == 'threshold' and unit_of(kind) == 'percent':
            return t('Type a percentage greater than 0 and at most 100.', self.lang)
        return invalid(error.field, self.lang, error.reason)

    def show_secret(self, secret: str) -> None:
        with dialog(t('The webhook’s secret', self.lang)) as shown, ui.card().classes('max-w-lg').mark('secret-dialog'):
            ui.html(t('The webhook’s secret', self.lang), tag='h3').classes('text-h6 q-my-none')
            ui.label(
                t(
                    'Copy it now: it is shown only once. Each webhook call is signed with it '
                    '(X-Balances-Signature: sha256=HMAC of the body).',
                    self.lang,
                )
            )
            ui.input(value=secret).props('readonly outlined').classes('w-full font-mono').mark('secret')
            with ui.row().classes('w-full justify-end'):
                ui.button(t('Copy', self.lang), icon='content_copy', on_click=lambda: ui.clipboard.write(secret)).props(
                    'flat no-caps'
                )
                ui.button(t('Close', self.lang), on_click=shown.close).props('no-caps autofocus')
        shown.open()

    async def delete(self, rule: RuleInfo) -> None:
        if not await guard.allows(self.contract.id):
            return
        with dialog(t('Delete', self.lang)) as asked, ui.card().mark('delete-rule-dialog'):
            ui.label(t('Delete this rule? Its past alerts stay in the history.', self.lang))
            ui.label(rule_text(rule, self.lang, self.contract.is_flex, self.teams)).classes('text-caption')
            with ui.row().classes('w-full justify-end'):
                ui.button(t('Cancel', self.lang), on_click=lambda: asked.submit(False)).props('flat no-caps autofocus')
                ui.button(t('Delete', self.lang), on_click=lambda: asked.submit(True)).props(
                    'no-caps color=negative'
                ).mark('rule-delete-confirm')
        if await asked:
            try:
                await delete_rule(self.contract.id, rule.id)
            except LedgerError as error:
                ui.notify(refusal(error, self.lang), type='negative')
            await self.load()

    async def test(self, rule: RuleInfo) -> None:
        if not await guard.allows(self.contract.id):
            return
        languages = dict.fromkeys(rule.emails, self.lang)
        if rule.to_admins:
            languages.update(dict.fromkeys(await contract_admin_emails(self.contract.id), self.lang))
        crossing = Crossing(
            rule=rule.id,
            contract=self.contract.id,
            contract_name=self.contract.name,
            holder=0,
            team=rule.team,
            name=self.teams.get(rule.team or 0) or self.contract.name,
            mode=self.contract.mode,
            kind=rule.kind,
            threshold=rule.threshold,
            state='firing',
            at=utcnow(),
            available=0,
            total=0,
            expiring=0,
            expiring_days=int(rule.threshold) if rule.kind == 'expiring_within_days' else 90,
            next_expiry=None,
            runs_out_on=None,
            timezone=self.contract.timezone,
        )
        full = await get_rule(self.contract.id, rule.id)
        results = await send_test(_config(), full, crossing, languages)
        if not results:
            ui.notify(t('This rule is shown in the page only: there is nothing to send.', self.lang))
            return
        for result in results:
            if result.error is None:
                ui.notify(t('Test sent to {target}.', self.lang, target=result.target), type='positive')
            else:
                error = test_failure(result, self.lang)
                ui.notify(
                    t('The test to {target} failed: {error}', self.lang, target=result.target, error=error),
                    type='negative',
                    multi_line=True,
                )


def test_failure(result: TestResult, lang: str) -> str:
    """Why a test was not delivered, in the person's words and language (what the error said, when not known)."""
    known = {
        'name': t('the name of its server could not be found; check the address', lang),
        'refused': t('its server refused the connection; check the address and the port', lang),
        'timeout': t('its server did not answer in time', lang),
        'private': t('its address is not a public server', lang),
        'no_mail_server': t('no mail server is configured', lang),
    }
    if result.problem == 'status' and result.status is not None:
        return t('the receiver answered with HTTP status {status}', lang, status=result.status)
    return known.get(result.problem or '', result.error or '')


def _config() -> DeliveryConfig:
    sender = getattr(app.state, 'alerts', None)
    return sender.config if sender is not None else DeliveryConfig()
