"""ECharts options of the usage details: stacked bars by service or by user over time, and bars by team

Pure functions, so that what a chart shows is testable without a browser (the cards' donuts and trends are drawn by
``board.js``). Quantities go to ECharts as numbers for drawing only; the tooltips and axes write them as the
page's locale does (the browser's ``Intl``), and every number in a table is formatted from the exact decimal.
"""

import json
from typing import Any

from services.reading.usage import UsageSeries
from ui.i18n import BCP47, period


def number_format(lang: str) -> str:
    """A JavaScript function writing a number as the locale does (ECharts evaluates ``:``-prefixed keys)."""
    locale = json.dumps(BCP47.get(lang, 'en-GB'))
    return f'v => new Intl.NumberFormat({locale}, {{maximumFractionDigits: 4}}).format(v)'


def stacked_bars(series: UsageSeries, lang: str, *, others: str) -> dict[str, Any]:
    """One bar per day (or per month, for long ranges), stacked by product or by user."""
    return {
        'animation': False,
        'aria': {'enabled': True},
        'tooltip': {'trigger': 'axis', 'axisPointer': {'type': 'shadow'}, ':valueFormatter': number_format(lang)},
        'legend': {'type': 'scroll', 'bottom': 0},
        'grid': {'left': 56, 'right': 16, 'top': 16, 'bottom': 56},
        'xAxis': {'type': 'category', 'data': [period(d, series.bucket, lang) for d in series.days]},
        'yAxis': {'type': 'value', 'axisLabel': {':formatter': number_format(lang)}},
        'series': [
            {
                'name': others if s.name == 'other' else s.name,
                'type': 'bar',
                'stack': 'usage',
                'emphasis': {'focus': 'series'},
                'data': [float(v) for v in s.values],
            }
            for s in series.series
        ],
    }


def team_bars(rows: list[tuple[str, float]], lang: str) -> dict[str, Any]:
    """One horizontal bar per team, largest at the top."""
    ordered = list(reversed(rows))
    return {
        'animation': False,
        'aria': {'enabled': True},
        'tooltip': {'trigger': 'axis', 'axisPointer': {'type': 'shadow'}, ':valueFormatter': number_format(lang)},
        'grid': {'left': 8, 'right': 24, 'top': 8, 'bottom': 24, 'containLabel': True},
        'xAxis': {'type': 'value', 'axisLabel': {':formatter': number_format(lang)}},
        'yAxis': {'type': 'category', 'data': [name for name, _ in ordered]},
        'series': [{'type': 'bar', 'data': [value for _, value in ordered], 'itemStyle': {'color': '#1565c0'}}],
    }
