"""ECharts options of the usage details: stacked bars by service or by user

A pure function, so that what the chart shows is testable without a browser (the cards' donuts and trends are
drawn by ``board.js``). Quantities go to ECharts as numbers for drawing only; every number a person reads is
formatted from the exact decimal.
"""

from typing import Any

from services.reading.usage import UsageSeries
from ui.i18n import period


def stacked_bars(series: UsageSeries, lang: str) -> dict[str, Any]:
    """One bar per day (or per month, for long ranges), stacked by product or by user."""
    return {
        'animation': False,
        'tooltip': {'trigger': 'axis', 'axisPointer': {'type': 'shadow'}},
        'legend': {'type': 'scroll', 'bottom': 0},
        'grid': {'left': 48, 'right': 16, 'top': 16, 'bottom': 56},
        'xAxis': {'type': 'category', 'data': [period(d, series.bucket, lang) for d in series.days]},
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
