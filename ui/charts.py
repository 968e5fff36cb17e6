"""ECharts options built from the services' values: the donut, the stacked usage bars, the daily trend

Pure functions, so that what a chart shows is testable without a browser. Quantities go to ECharts as numbers
for drawing only; every number a person reads is formatted from the exact decimal.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from services.balances import HolderBalance
from services.usage import UsageSeries
from ui.i18n import day, t

GREEN = '#2e7d32'
RED = '#c62828'
USED = '#cfd8dc'


def donut(balance: HolderBalance, lang: str, unit: str) -> dict[str, Any]:
    """Available vs used; the available band is green above 20 % of the total and red otherwise."""
    colour = GREEN if balance.health == 'green' else RED
    share = f'{balance.available_share * 100:.0f} %' if balance.total else '—'
    return {
        'animation': False,
        'title': {
            'text': share,
            'subtext': t('available_short', lang),
            'left': 'center',
            'top': '38%',
            'textStyle': {'fontSize': 20, 'color': colour},
            'subtextStyle': {'fontSize': 10},
        },
        'tooltip': {'trigger': 'item', 'formatter': '{b}: {c}'},
        'series': [
            {
                'type': 'pie',
                'radius': ['62%', '82%'],
                'avoidLabelOverlap': False,
                'label': {'show': False},
                'data': [
                    {
                        'name': t(f'available_{unit}', lang),
                        'value': float(balance.available),
                        'itemStyle': {'color': colour},
                    },
                    {'name': t(f'used_{unit}', lang), 'value': float(balance.used), 'itemStyle': {'color': USED}},
                ],
            }
        ],
    }


def stacked_bars(series: UsageSeries, lang: str) -> dict[str, Any]:
    """One bar per day, stacked by product or by user."""
    return {
        'animation': False,
        'tooltip': {'trigger': 'axis', 'axisPointer': {'type': 'shadow'}},
        'legend': {'type': 'scroll', 'bottom': 0},
        'grid': {'left': 48, 'right': 16, 'top': 16, 'bottom': 56},
        'xAxis': {'type': 'category', 'data': [day(d, lang) for d in series.days]},
        'yAxis': {'type': 'value'},
        'series': [
            {
                'name': s.name,
                'type': 'bar',
                'stack': 'usage',
                'emphasis': {'focus': 'series'},
                'data': [float(v) for v in s.values],
            }
            for s in series.series
        ],
    }


def trend(days: tuple[date, ...], totals: tuple[Decimal, ...], lang: str) -> dict[str, Any]:
    """The daily totals as a small line, for a card."""
    return {
        'animation': False,
        'grid': {'left': 4, 'right': 4, 'top': 4, 'bottom': 4},
        'tooltip': {'trigger': 'axis'},
        'xAxis': {'type': 'category', 'show': False, 'data': [day(d, lang) for d in days]},
        'yAxis': {'type': 'value', 'show': False},
        'series': [
            {
                'type': 'line',
                'smooth': True,
                'symbol': 'none',
                'areaStyle': {'opacity': 0.15},
                'data': [float(v) for v in totals],
            }
        ],
    }
