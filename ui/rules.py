"""The alert rules of a contract, for its administrators: the four kinds, one team or all, e-mail addresses, a
webhook (its secret shown once), deleting one, and sending a test

The seed's rule is there from the start (tokens expiring within 90 days, to the contract's administrators).
"""

from decimal import Decimal

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
from ui.frame import dialog
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


class RulesEditor:
    """The rules of one contract, with a form to add one."""

    def __init__(self, contract: ContractInfo, lang: str, teams: dict[int, str]) -> None:
        self.contract, self.lang, self.teams = contract, lang, teams
        flex = contract.is_flex
        self.list = ui.column().classes('w-full gap-1').mark('rules')
        ui.separator().classes('q-my-sm')
        ui.html(t('Add a rule', lang), tag='h3').classes('text-subtitle1 text-weight-medium q-my-none')
        with ui.column().classes('w-full gap-2').mark('rule-form'):
            self.kind = (
                ui.select(
                    kinds(lang, flex), value='expiring_within_days', label=t('When', lang), on_change=self._kind_changed
                )
                .props('outlined')
                .classes('w-full')
                .mark('rule-kind')
            )
            self.threshold = ui.input(t('Threshold', lang)).props('outlined').classes('w-full').mark('rule-threshold')
            choices = {0: t('Every team', lang), **teams} if flex else {0: t('The contract', lang)}
            self.team = (
                ui.select(choices, value=0, label=t('For', lang)).props('outlined').classes('w-full').mark('rule-team')
            )
            self.team.set_visibility(flex)
            self.emails = (
                ui.input(t('E-mail addresses (separated by commas)', lang))
                .props('outlined')
                .classes('w-full')
                .mark('rule-emails')
            )
            self.webhook = (
                ui.input(t('Webhook address (optional)', lang), placeholder='https://')
                .props('outlined inputmode=url')
                .classes('w-full')
                .mark('rule-webhook')
            )
            self.error = ui.label().classes('text-negative text-body2').props('role=alert').mark('rule-error')
            with ui.row().classes('w-full justify-end'):
                ui.button(t('Add the rule', lang), icon='add_alert', on_click=self.add).props('no-caps').mark(
                    'rule-add'
                )
        self._kind_changed()

    def _kind_changed(self) -> None:
        kind = self.kind.value
        hint = {
            'available_below_percent': t(
                'a percentage, e.g. {example}', self.lang, example=number(Decimal(20), self.lang)
            ),
            'available_below': t('a quantity, e.g. {example}', self.lang, example=number_example(self.lang)),
        }.get(kind, t('a number of days, e.g. {example}', self.lang, example=90))
        self.threshold.props['hint'] = hint

    async def load(self) -> None:
        rules = await list_rules(self.contract.id)
        self.list.clear()
        with self.list:
            if not rules:
                ui.label(t('No rule: alerts are not evaluated for this contract.', self.lang))
            for rule in rules:
                with ui.row().classes('w-full items-center no-wrap gap-2').mark('rule'):
                    with ui.column().classes('grow gap-0'):
                        ui.label(rule_text(rule, self.lang, self.contract.is_flex, self.teams)).classes('text-body2')
                        ui.label(recipients_text(rule, self.lang)).classes('text-caption text-grey-8')
                    ui.button(t('Send a test', self.lang), on_click=lambda r=rule: self.test(r)).props(
                        'flat dense no-caps'
                    ).mark('rule-test')
                    ui.button(t('Delete', self.lang), on_click=lambda r=rule: self.delete(r)).props(
                        'flat dense no-caps color=negative'
                    ).mark('rule-delete')

    async def add(self) -> None:
        if not await guard.allows(self.contract.id):
            return
        self.error.set_text('')
        kind = self.kind.value
        text = (self.threshold.value or '').strip()
        if not text:
            self.error.set_text(t('Type a threshold.', self.lang))
            return
        try:
            threshold: object = parse_number(text, self.lang)
        except ValueError:
            self.error.set_text(unreadable(text, self.lang, unit=self._unit()))
            return
        emails = [part.strip() for part in (self.emails.value or '').split(',') if part.strip()]
        try:
            rule = await alerts.add_rule(
                self.contract.id,
                kind=kind,
                threshold=threshold,
                team=self.team.value or None,
                emails=emails,
                webhook=(self.webhook.value or '').strip() or None,
                allow_private=_config().allow_private,
            )
        except InvalidInput as error:
            self.error.set_text(self._invalid(error))
            return
        except LedgerError as error:
            self.error.set_text(refusal(error, self.lang))
            return
        self.threshold.value = self.emails.value = self.webhook.value = ''
        ui.notify(t('The rule is added.', self.lang), type='positive')
        await self.load()
        if rule.webhook_secret:
            self.show_secret(rule.webhook_secret)

    def _unit(self) -> str:
        """What the threshold of the chosen kind counts: ``days``, ``percent`` or ``quantity``."""
        if self.kind.value in DAY_KINDS:
            return 'days'
        return 'percent' if self.kind.value == 'available_below_percent' else 'quantity'

    def _invalid(self, error: InvalidInput) -> str:
        if error.field == 'threshold' and self._unit() == 'days':
            return t('Type a whole number of days from 1 to 3650.', self.lang)
        if error.field == 'threshold' and self._unit() == 'percent':
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
