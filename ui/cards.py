"""A holder's card: the donut, the three numbers, the last 90 days, the expiry line, the daily trend

Built once, then ``update`` changes its texts and charts in place when usage arrives: no rebuild, no flicker.
"""

from collections.abc import Awaitable, Callable

from nicegui import ui

from services.balances import HolderBalance
from services.usage import DailyTrend
from ui import charts
from ui.i18n import day, number, t

Action = Callable[[HolderBalance], Awaitable[None]]


class HolderCard:
    def __init__(
        self,
        balance: HolderBalance,
        lang: str,
        unit: str,
        *,
        title: str,
        on_events: Action | None,
        on_assign: Action | None,
        on_details: Action,
    ) -> None:
        self.lang, self.unit, self.balance = lang, unit, balance
        marker = f'card-{balance.team if balance.team is not None else "contract"}'
        with ui.card().classes('w-full').mark(marker) as self.card:
            with ui.row().classes('w-full items-center no-wrap'):
                ui.label(title).classes('text-h6 grow')
                self.health_icon = ui.icon('check_circle', size='sm')
                self.health_text = ui.label().classes('text-caption').mark('health')
            with ui.row().classes('w-full items-center no-wrap gap-2'):
                self.chart = (
                    ui.echart(charts.donut(balance, lang, unit), renderer='svg')
                    .classes('w-40 h-40 shrink-0')
                    .mark('donut')
                )
                with ui.column().classes('gap-1 grow'):
                    ui.label(t('last_90_days', lang)).classes('text-caption text-grey-7')
                    self.products = ui.label().mark('products')
                    self.users = ui.label().mark('users')
            with ui.grid(columns=3).classes('w-full gap-1 text-center'):
                self.available = self._number(f'available_{unit}', 'available')
                self.used = self._number(f'used_{unit}', 'used')
                self.total = self._number(f'total_{unit}', 'total')
            self.expiry = ui.label().classes('text-body2').mark('expiry')
            self.expired = ui.label().classes('text-caption text-grey-7').mark('expired')
            ui.label(t('trend', lang)).classes('text-caption text-grey-7')
            self.trend = ui.echart(charts.trend((), (), lang), renderer='svg').classes('w-full h-12').mark('trend')
            with ui.row().classes('w-full gap-1'):
                if on_events:
                    ui.button(
                        t('token_events', lang), icon='event_note', on_click=lambda: on_events(self.balance)
                    ).props('flat dense no-caps').mark('events')
                if on_assign:
                    ui.button(t('assign', lang), icon='swap_horiz', on_click=lambda: on_assign(self.balance)).props(
                        'flat dense no-caps'
                    ).mark('assign')
                ui.button(t('usage_details', lang), icon='bar_chart', on_click=lambda: on_details(self.balance)).props(
                    'flat dense no-caps'
                ).mark('details')
        self.update(balance)

    def _number(self, label: str, marker: str) -> ui.label:
        with ui.column().classes('gap-0 items-center'):
            value = ui.label().classes('text-h6').mark(marker)
            ui.label(t(label, self.lang)).classes('text-caption text-grey-7')
        return value

    def update(self, balance: HolderBalance, trend: DailyTrend | None = None) -> None:
        """Show a new balance (and trend) in the elements already on the page."""
        self.balance, lang = balance, self.lang
        green = balance.health == 'green'
        self.health_icon.name = 'check_circle' if green else 'warning'
        self.health_icon.props(f'color={"positive" if green else "negative"}')
        self.health_text.set_text(t('healthy' if green else 'low', lang))
        self.chart.options.update(charts.donut(balance, lang, self.unit))
        self.chart.update()
        self.available.set_text(number(balance.available, lang))
        self.used.set_text(number(balance.used, lang))
        self.total.set_text(number(balance.total, lang))
        self.products.set_text(f'{t(f"products_{self.unit}", lang)}: {balance.products_90_days}')
        self.users.set_text(f'{t(f"users_{self.unit}", lang)}: {balance.users_90_days}')
        expiry = balance.next_expiry
        if balance.total == 0:
            self.expiry.set_text(t('no_purchases', lang))
        elif expiry is None:
            self.expiry.set_text(t('no_expiry', lang))
        else:
            key = 'expiry_today' if expiry.days_left == 0 else 'expiry'
            self.expiry.set_text(
                t(
                    key,
                    lang,
                    quantity=number(expiry.quantity, lang),
                    unit=t(f'unit_{self.unit}', lang),
                    days=expiry.days_left,
                    date=day(expiry.date, lang),
                )
            )
        self.expiry.classes(replace='text-body2 text-negative' if balance.alert else 'text-body2')
        self.expired.set_text(f'{t("expired", lang)}: {number(balance.expired, lang)}' if balance.expired else '')
        if trend is not None:
            self.trend.options.update(charts.trend(trend.days, trend.of(balance.team), lang))
            self.trend.update()
