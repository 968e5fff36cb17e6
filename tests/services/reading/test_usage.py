"""Usage breakdowns and chart series over date ranges, read from the daily rollup"""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from services import ledger
from services.domain.dates import DateRange
from services.domain.errors import InvalidInput, UnknownTeam
from services.infrastructure import database
from services.reading.usage import BY_VALUES, usage_breakdown, usage_series
from tests.helpers import DAY, NOW, buy, cloud_contract, flex_contract, use


async def _usage() -> tuple[int, dict[str, int]]:
    contract, teams = await cloud_contract('Ops', 'Design', timezone='America/Sao_Paulo')
    await buy(contract, 'p', 1000, purchased_at=NOW - 100 * DAY)
    await ledger.consume(
        contract,
        [
            use('1', '1.5', team=teams['Ops'], product='render', user='ana', at=NOW - 2 * DAY),
            use('2', '2', team=teams['Ops'], product='sim', user='bob', at=NOW - 2 * DAY),
            use('3', '4', team=teams['Design'], product='render', user='ana', at=NOW - DAY),
            use('4', '0.5', product='storage', user='cid', at=NOW),
            # 02:00 UTC on 23 Nov is still 22 Nov in São Paulo
            use('5', '1', product='storage', user='cid', at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC)),
            use('old', '100', product='render', user='ana', at=NOW - 95 * DAY),
        ],
        now=NOW,
    )
    return contract, teams


async def test_breakdown_by_product_user_day_and_team_over_the_default_90_days(db: str) -> None:
    contract, teams = await _usage()
    by_product = await usage_breakdown(contract, now=NOW)
    assert by_product.range == DateRange(date(2026, 8, 26), date(2026, 11, 23))
    assert [(r.key, r.quantity) for r in by_product.rows] == [('render', Decimal('5.5')), ('sim', 2), ('storage', 1.5)]
    assert by_product.total == Decimal('9')
    by_user = await usage_breakdown(contract, by='user', now=NOW)
    assert [(r.key, r.quantity) for r in by_user.rows] == [('ana', Decimal('5.5')), ('bob', 2), ('cid', Decimal('1.5'))]
    by_day = await usage_breakdown(contract, by='day', now=NOW)
    assert [(r.key, r.quantity) for r in by_day.rows] == [
        (date(2026, 11, 21), Decimal('3.5')),
        (date(2026, 11, 22), 5),
        (date(2026, 11, 23), Decimal('0.5')),
    ]
    by_team = await usage_breakdown(contract, by='team', now=NOW)
    assert [(r.key, r.quantity) for r in by_team.rows] == [
        (teams['Design'], 4),
        (teams['Ops'], Decimal('3.5')),
        (None, Decimal('1.5')),
    ]


async def test_breakdown_over_a_custom_range_and_for_one_team(db: str) -> None:
    contract, teams = await _usage()
    whole = await usage_breakdown(contract, DateRange(date(2026, 8, 1), date(2026, 11, 23)), now=NOW)
    assert whole.total == 109
    ops = await usage_breakdown(contract, team=teams['Ops'], by='product', now=NOW)
    assert [(r.key, r.quantity) for r in ops.rows] == [('sim', 2), ('render', Decimal('1.5'))]
    with pytest.raises(UnknownTeam):
        await usage_breakdown(contract, team=9999, now=NOW)
    with pytest.raises(InvalidInput):
        await usage_breakdown(contract, by='colour', now=NOW)  # type: ignore[arg-type]


async def test_series_fill_every_day_and_merge_the_tail_into_other(db: str) -> None:
    contract, _ = await _usage()
    window = DateRange(date(2026, 11, 20), date(2026, 11, 23))
    series = await usage_series(contract, window, by='product', top=2, now=NOW)
    assert series.days == tuple(window.dates())
    assert [(s.name, s.values) for s in series.series] == [
        ('render', (0, Decimal('1.5'), 4, 0)),
        ('sim', (0, 2, 0, 0)),
        ('other', (0, 0, 1, Decimal('0.5'))),
    ]
    users = await usage_series(contract, window, by='user', now=NOW)
    assert [s.name for s in users.series] == ['ana', 'bob', 'cid']


async def test_flex_team_filter_reads_only_that_team(db: str) -> None:
    contract, teams = await flex_contract('A', 'B')
    await buy(contract, 'a', 10, teams['A'])
    await buy(contract, 'b', 10, teams['B'])
    await ledger.consume(contract, [use('1', 2, team=teams['A']), use('2', 3, team=teams['B'])], now=NOW)
    assert (await usage_breakdown(contract, team=teams['B'], now=NOW)).total == 3


async def test_every_breakdown_reads_an_index_alone_never_the_rollup_rows(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A breakdown is a range scan of a covering index (migration 0008): no lookup of each row in its table, the cost
    that made contract-wide breakdowns grow with the volume of usage."""
    contract, teams = await _usage()
    statements: list[tuple[str, list[object]]] = []
    fetch = database.fetch_shaped

    async def recording(conn: Any, statement: Any, values: list[object], *shape: object) -> list[dict[str, Any]]:
        statements.append((statement(database.is_postgres(conn), *shape), list(values)))
        return await fetch(conn, statement, values, *shape)

    monkeypatch.setattr(database, 'fetch_shaped', recording)
    for by in BY_VALUES:
        for team in (None, teams['Ops']):
            await usage_breakdown(contract, DateRange(date(2026, 1, 10), date(2026, 11, 23)), by=by, team=team, now=NOW)
    await usage_series(contract, DateRange(date(2026, 1, 10), date(2026, 11, 23)), by='user', top=1, now=NOW)
    assert len(statements) > 2 * len(BY_VALUES)
    conn = database.connection()
    async with in_transaction('default') as tx:
        if database.is_postgres(conn):
            await tx.execute_script('SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off')
        for sql, params in statements:
            plan = str(
                await tx.execute_query_dict(
                    f'EXPLAIN {"" if database.is_postgres(conn) else "QUERY PLAN "}{sql}', params
                )
            )
            reads = re.findall(r"(?:SEARCH|SCAN) usage_\w+[^'\"]*|[\w ]*Scan[\w ]* on usage_\w+", plan)
            assert reads, plan
            assert all('COVERING INDEX' in read or read.strip().startswith('Index Only Scan') for read in reads), plan
    if database.is_postgres(conn):  # and PostgreSQL keeps the rollups' visibility map fresh enough to use them so
        options = await conn.execute_query_dict(
            'SELECT relname, reloptions FROM pg_class '
            "WHERE relname IN ('usage_total', 'usage_by_product', 'usage_by_user')"
        )
        assert len(options) == 3
        assert all('autovacuum_vacuum_insert_scale_factor=0.01' in row['reloptions'] for row in options), options
