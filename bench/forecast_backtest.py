"""Back-test of the run-out forecast: how far off is the date it predicts?

    .venv/bin/python bench/forecast_backtest.py [--teams 50] [--seed 7]

A fixed-seed year of daily usage for ``--teams`` teams, shaped as real teams use software: a weekly rhythm (quiet
weekends), a trend (teams that grow, shrink or hold), holiday weeks, noise and the odd burst. From every Monday of
the last 26 weeks before the final 90 days, each team is forecast using only what was known that day, with a balance
set so that its real run-out falls exactly 30, 60 or 90 days later (the lot expires well after, so only the rate
matters). The error is predicted minus real run-out date, in days.

Three projections, each through the product's own ``project`` (exact units, the ledger's consumption order):

- ``spec``: the spec's rate, the last 28 complete days / 28 (what the API returns);
- ``weekday``: per weekday, the mean of the last 8 same weekdays, walked day by day;
- ``trend``: the spec's rate, scaled by the last 28 days over the 28 before (clamped to ×0.5…×2), so that a
  growing team is expected to keep growing.

Prints median and p90 of the absolute error per horizon and projection, the bias (median signed error) and the
ratio of each variant's p90 to the spec's.
"""

import argparse
import math
import random
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.domain.quantity import SCALE  # noqa: E402
from services.ledger.allocation import LotState  # noqa: E402
from services.reading.forecast import WINDOW_DAYS, daily_rate, project  # noqa: E402

HORIZONS = (30, 60, 90)
HISTORY_DAYS = 365
FUTURE_DAYS = 120  # beyond the longest horizon, for the real run-out of a slow team
FIRST = date(2025, 1, 6)  # a Monday
TZ = 'UTC'
Series = list[int]  # units a day, from FIRST


def usage_year(rng: random.Random) -> Series:
    """One team's usage a day, in units (4 decimals), over the history and the future."""
    base = rng.lognormvariate(math.log(40), 0.8)  # tokens a working day
    growth = rng.choice([-0.6, -0.25, 0.0, 0.0, 0.0, 0.3, 0.8, 1.5])  # over the year
    weekend = rng.uniform(0.0, 0.25)
    holidays = {rng.randrange(HISTORY_DAYS + FUTURE_DAYS) // 7 for _ in range(3)}
    days: Series = []
    for n in range(HISTORY_DAYS + FUTURE_DAYS):
        level = base * (1 + growth * n / HISTORY_DAYS)
        day = FIRST + timedelta(days=n)
        if day.weekday() >= 5:
            level *= weekend
        if n // 7 in holidays:
            level *= 0.2
        if rng.random() < 0.02:
            level *= rng.uniform(2, 5)
        tokens = max(0.0, rng.gauss(level, level * 0.3))
        days.append(round(tokens * SCALE))
    return days


def spec_rate(history: Series) -> int:
    return daily_rate(sum(history[-WINDOW_DAYS:]))


def run_out_at_rate(balance: int, rate: int, today: date) -> date | None:
    lot = LotState(1, 1, balance, balance, datetime(2020, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    return project([lot], rate, today, TZ).runs_out_on


def spec(history: Series, balance: int, today: date) -> date | None:
    return run_out_at_rate(balance, spec_rate(history), today)


def trend(history: Series, balance: int, today: date) -> date | None:
    recent, before = sum(history[-WINDOW_DAYS:]), sum(history[-2 * WINDOW_DAYS : -WINDOW_DAYS])
    factor = min(2.0, max(0.5, recent / before)) if before else 1.0
    return run_out_at_rate(balance, round(spec_rate(history) * factor), today)


def weekday(history: Series, balance: int, today: date) -> date | None:
    by_weekday: dict[int, list[int]] = defaultdict(list)
    for back in range(1, 8 * 7 + 1):
        by_weekday[(today - timedelta(days=back)).weekday()].append(history[-back])
    means = {day: sum(units) // len(units) for day, units in by_weekday.items()}
    left = balance
    for ahead in range(1, 366):
        day = today + timedelta(days=ahead)
        left -= means[day.weekday()]
        if left < 0:
            return day
    return None


PROJECTIONS: dict[str, Callable[[Series, int, date], date | None]] = {
    'spec': spec,
    'weekday': weekday,
    'trend': trend,
}


def errors(teams: list[Series]) -> dict[tuple[str, int], list[int]]:
    """Predicted minus real run-out, in days, per projection and horizon (beyond 365 days counts as 365)."""
    found: dict[tuple[str, int], list[int]] = defaultdict(list)
    last_start = HISTORY_DAYS - 1
    starts = [last_start - 7 * week for week in range(26)]
    for usage in teams:
        for start in starts:
            today = FIRST + timedelta(days=start)
            history = usage[: start + 1][:-1]  # complete days only: today is excluded
            for horizon in HORIZONS:
                # a balance that covers the next horizon-1 days in full and runs short on day `horizon`
                future = usage[start + 1 : start + 1 + horizon]
                balance = sum(future) - 1
                if future[-1] == 0:
                    continue  # a day without usage cannot be the day it runs short
                for name, projection in PROJECTIONS.items():
                    predicted = projection(history, balance, today)
                    days = (predicted - today).days if predicted else 365
                    found[name, horizon].append(days - horizon)
    return found


def quantile(values: list[int], share: float) -> float:
    return statistics.quantiles(values, n=100, method='inclusive')[round(share * 100) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--teams', type=int, default=50)
    parser.add_argument('--seed', type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    found = errors([usage_year(rng) for _ in range(args.teams)])
    print(f'forecast back-test: {args.teams} teams, seed {args.seed}, 26 weekly forecast dates, error in days')
    header = ('horizon', 8), ('projection', 10), ('cases', 6), ('median |e|', 11), ('p90 |e|', 8), ('bias', 6)
    print(' '.join(f'{name:>{width}}' for name, width in header), f'{"p90 ÷ spec":>10}')
    for horizon in HORIZONS:
        spec_p90 = quantile([abs(e) for e in found['spec', horizon]], 0.9)
        for name in PROJECTIONS:
            values = found[name, horizon]
            absolute = [abs(e) for e in values]
            p90 = quantile(absolute, 0.9)
            print(
                f'{horizon:>8} {name:>10} {len(values):>6} {statistics.median(absolute):>11.1f} {p90:>8.1f} '
                f'{statistics.median(values):>+6.1f} {p90 / spec_p90:>10.2f}'
            )
    print(f'command: .venv/bin/python bench/forecast_backtest.py --teams {args.teams} --seed {args.seed}')


if __name__ == '__main__':
    main()
