"""The demo data set, and the slow live feed that keeps it moving

A year of believable usage, from a fixed seed and relative to today, replayed through the ledger itself (each
purchase, transfer and day of usage at its own instant), so that the demo obeys every rule the product does.
The Flex contract's five teams are designed to show every state of the page: one healthy, one under 20 %, one
with tokens expiring within 90 days, one that assigned tokens to another team, one with an expired lot; at the
last 28 days' pace one runs out within weeks and others will let tokens expire (so transfers are suggested). Alert
rules are in place from the start, and were evaluated weekly over the last 120 days, so the bell has a history.
"""

import contextlib
import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from time import monotonic
from zoneinfo import ZoneInfo

from models import Contract
from services import alerts, ledger
from services.accounts import admins, contracts
from services.catalog import products as catalog
from services.controls.caps import create_cap
from services.controls.entitlement import Refusals, check
from services.controls.lists import set_product_list
from services.domain.dates import DateRange, local_date
from services.domain.errors import InsufficientBalance
from services.infrastructure.clock import resolve
from services.ingest.events import UsageInput
from services.ingest.sessions import SessionInput
from services.ledger.sessions import rate_sessions
from services.reading.usage import usage_breakdown

SEED = 2026
RATE_CHANGED = ('bim-architect', Decimal(7), 30)  # the product whose daily rate rose last month: code, rate, days ago
FLEX_NAME, CLOUD_NAME = 'Atelier Lumière Architectes', 'Construtora Horizonte'
DEMO_EMAIL = 'admin@balances.demo'
DEMO_PASSWORD = 'balances-demo-2026'  # noqa: S105 - the demo's login, printed at start on purpose
HISTORY_DAYS = 365
ALERT_HISTORY_DAYS = 120  # rules were evaluated weekly over these days of the replayed year


@dataclass(frozen=True)
class Product:
    code: str
    rate: Decimal  # tokens or credits per user and day of use


PRODUCTS = {
    p.code: p
    for p in (
        Product('draft-2d', Decimal(2)),
        Product('bim-architect', Decimal(6)),
        Product('civil-design', Decimal(6)),
        Product('mech-cad', Decimal(5)),
        Product('render-studio', Decimal(4)),
        Product('plant-design', Decimal(7)),
        Product('clash-review', Decimal(3)),
        Product('structural-analysis', Decimal(6)),
        Product('animation-3d', Decimal(7)),
        Product('cloud-render', Decimal('1.5')),
        Product('generative-design', Decimal(4)),
        Product('simulation', Decimal(3)),
        Product('point-cloud', Decimal(1)),
        Product('translation', Decimal('0.25')),
    )
}


@dataclass(frozen=True)
class TeamPlan:
    name: str
    users: int
    products: tuple[str, ...]
    activity: float  # chance that a user works with the products on a weekday
    lots: tuple[tuple[int, int], ...]  # (days ago, quantity), each valid 365 days


FLEX_TEAMS = (
    TeamPlan(
        'Architecture',
        8,
        ('bim-architect', 'draft-2d', 'render-studio', 'clash-review'),
        0.35,
        ((250, 5000), (60, 3000)),
    ),
    TeamPlan('Structure', 5, ('structural-analysis', 'draft-2d', 'bim-architect'), 0.65, ((270, 4000),)),
    TeamPlan('Fluides', 5, ('plant-design', 'draft-2d', 'clash-review'), 0.4, ((320, 3500), (100, 2500))),
    TeamPlan('Visualisation', 4, ('render-studio', 'animation-3d'), 0.35, ((200, 3000),)),
    TeamPlan('Infrastructure', 6, ('civil-design', 'draft-2d', 'mech-cad'), 0.3, ((400, 3000), (150, 2500))),
)
TRANSFER = ('Visualisation', 'Architecture', 30, 800)  # from, to, days ago, quantity
CLOUD_TEAMS = (
    TeamPlan('Obras', 5, ('point-cloud', 'cloud-render', 'translation'), 0.5, ()),
    TeamPlan('Projetos', 4, ('generative-design', 'simulation', 'cloud-render'), 0.5, ()),
    TeamPlan('Planejamento', 3, ('simulation', 'translation'), 0.5, ()),
)
CLOUD_LOTS = ((330, 20000), (120, 15000))

FIRST = 'Camille Léa Hugo Manon Lucas Chloé Louis Inès Jules Sarah Arthur Emma Nathan Zoé Théo Alice Paul Jeanne Rose'
LAST = 'Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre Michel Garcia Roux'
FIRST_BR = 'Ana João Maria Pedro Beatriz Lucas Juliana Rafael Fernanda Gabriel Camila Thiago'
LAST_BR = 'Silva Santos Oliveira Souza Lima Pereira Costa Almeida'


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str


def _users(rng: random.Random, count: int, first: str, last: str, domain: str) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        names.add(f'{rng.choice(first.split())}.{rng.choice(last.split())}'.lower())
    return [f'{name}@{domain}' for name in sorted(names)]


async def is_empty() -> bool:
    """Whether the database holds no contract yet (the demo fills only an empty one)."""
    return not await Contract.exists()


async def load(*, now: datetime | None = None) -> DemoLogin:
    """Fill an empty database with the demo set; returns the demo administrator's login."""
    now = resolve(now)
    rng = random.Random(SEED)  # noqa: S311 - believable demo data from a fixed seed, nothing secret
    flex = await contracts.create_contract(FLEX_NAME, 'FR', 'Europe/Paris')
    cloud = await contracts.create_contract(CLOUD_NAME, 'BR', 'America/Sao_Paulo')
    for contract in (flex, cloud):
        await admins.grant(DEMO_EMAIL, contract.id, DEMO_PASSWORD)
    start = now - timedelta(days=HISTORY_DAYS + 60)
    await alerts.create_rule(flex.id, kind='available_below_percent', threshold=20, emails=[DEMO_EMAIL], now=start)
    await alerts.create_rule(flex.id, kind='runs_out_within_days', threshold=30, emails=[DEMO_EMAIL], now=start)
    await alerts.create_rule(cloud.id, kind='available_below_percent', threshold=25, emails=[DEMO_EMAIL], now=start)
    await _price_book(start, now)
    flex_users = _users(rng, sum(t.users for t in FLEX_TEAMS), FIRST, LAST, 'atelier-lumiere.fr')
    cloud_users = _users(rng, sum(t.users for t in CLOUD_TEAMS), FIRST_BR, LAST_BR, 'horizonte.com.br')
    await _replay_year(rng, flex, FLEX_TEAMS, flex_users, now, pays=True)
    await _replay_year(rng, cloud, CLOUD_TEAMS, cloud_users, now, pays=False)
    await _controls(flex, now)
    return DemoLogin(DEMO_EMAIL, DEMO_PASSWORD)


async def _price_book(start: datetime, now: datetime) -> None:
    """The vendor's products at their daily rates since the demo's first day; one of them dearer since last month."""
    for product in PRODUCTS.values():
        name = product.code.replace('-', ' ').title().replace('Bim', 'BIM').replace('Cad', 'CAD').replace('3D', '3D')
        await catalog.create_product(product.code, name, product.rate, effective_from=start, now=now)
    code, rate, days_ago = RATE_CHANGED
    await catalog.add_rate(code, rate, now - timedelta(days=days_ago), now=now)


async def _controls(contract: contracts.ContractInfo, now: datetime) -> None:
    """What an administrator set: Visualisation may start its two products only; this month, the busiest user of
    Structure is capped so that 85 % is used (notified), the next one so that the cap is passed (denied); and the
    refusals that followed (the denied user's, six times today: a streak in the bell)."""
    teams = {team.name: team.id for team in await contracts.list_teams(contract.id)}
    await set_product_list(contract.id, teams['Visualisation'], ['animation-3d', 'render-studio'])
    month = DateRange.this_month(local_date(now, contract.timezone))
    users = (await usage_breakdown(contract.id, month, by='user', team=teams['Structure'], now=now)).rows
    denied = None
    for row, share in zip(users[:2], (Decimal('0.85'), Decimal('1.1')), strict=False):
        limit = max(Decimal(1), (row.quantity / share).quantize(Decimal(1)))
        await create_cap(contract.id, team=teams['Structure'], user=str(row.key), period='month', limit=limit, now=now)
        denied = str(row.key)
    counted = Refusals()
    asks = [
        ('Visualisation', 'camille.demo@atelier-lumiere.fr', 'bim-architect'),
        ('Fluides', 'jules.demo', 'cam-legacy'),
    ]
    if denied is not None:
        asks.append(('Structure', denied, 'simulation'))  # none of the team's products: no window open
    for team, user, product in asks:
        for _ in range(6 if user == denied else 3):  # the denied user keeps trying: a streak in the bell
            await check(contract, user=user, product=product, team=teams[team], refusals=counted, now=now)
    await counted.flush()


async def _replay_year(
    rng: random.Random,
    contract: contracts.ContractInfo,
    plans: tuple[TeamPlan, ...],
    users: list[str],
    now: datetime,
    *,
    pays: bool,
) -> None:
    zone = ZoneInfo(contract.timezone)
    today = local_date(now, contract.timezone)
    teams = {plan.name: (await contracts.create_team(contract.id, plan.name)).id for plan in plans}
    members: dict[str, list[str]] = {}
    for plan in plans:
        members[plan.name], users = users[: plan.users], users[plan.users :]
    purchases: list[tuple[int, str | None, int]] = [(days, plan.name, q) for plan in plans for days, q in plan.lots]
    if not pays:
        purchases = [(days, None, quantity) for days, quantity in CLOUD_LOTS]
    first_lot = {name: max(days for days, team, _ in purchases if team in (name, None)) for name in teams}
    for days_ago in range(max(HISTORY_DAYS, *(days for days, _, _ in purchases)), -1, -1):
        day = today - timedelta(days=days_ago)
        morning = datetime.combine(day, time(9), zone)
        for days, team, quantity in purchases:
            if days == days_ago:
                await ledger.purchase(
                    contract.id,
                    client_id=f'demo-lot-{contract.id}-{days}-{team}',
                    quantity=quantity,
                    team=teams[team] if team else None,
                    purchased_at=min(morning, now),
                    now=now,
                )
        if pays and days_ago == TRANSFER[2]:
            source, target, _, quantity = TRANSFER
            await ledger.transfer(
                contract.id,
                client_id='demo-transfer',
                from_team=teams[source],
                to_team=teams[target],
                quantity=quantity,
                now=min(morning, now),
            )
        if days_ago > HISTORY_DAYS:
            continue
        events: list[UsageInput] = []
        sessions: list[SessionInput] = []
        for plan in plans:
            if days_ago > first_lot[plan.name]:
                continue
            chance = plan.activity if day.weekday() < 5 else plan.activity / 12
            for user in members[plan.name]:
                if rng.random() < chance:
                    for code in rng.sample(plan.products, 2 if rng.random() < 0.2 else 1):
                        at = datetime.combine(day, time(rng.randint(8, 18), rng.randint(0, 59)), zone)
                        if pays:  # Flex: the licensing system reports sessions, a few a day, rated into windows
                            for n in range(rng.choice((1, 1, 2, 3))):
                                sid = f'demo-{contract.id}-{day}-{len(sessions)}'
                                started = at + timedelta(hours=2 * n)
                                sessions.append(
                                    SessionInput(sid, user, code, started, rng.randint(3, 240), teams[plan.name])
                                )
                            continue
                        amount = PRODUCTS[code].rate * rng.randint(1, 4)
                        tag = teams[plan.name] if rng.random() > 0.1 else None
                        events.append(
                            UsageInput(f'demo-{contract.id}-{day}-{len(events)}', user, code, amount, at, tag)
                        )
        received = min(datetime.combine(day, time(23, 30), zone), now)
        await _consume_what_fits(contract.id, [e for e in events if e.occurred_at <= received], received)
        await _rate_what_fits(contract.id, [s for s in sessions if s.started_at <= received], received)
        if days_ago <= ALERT_HISTORY_DAYS and days_ago % 7 == 0:  # the alert history of the last weeks
            await alerts.evaluate(contract.id, now=received)


def _sessions(rng: random.Random, tag: str, user: str, code: str, at: datetime, team: int) -> list[SessionInput]:
    """A user's sessions of a product in a day: one to three, two hours apart, of 3 minutes to 4 hours."""
    count = rng.choice((1, 1, 2, 3))
    return [
        SessionInput(f'{tag}-{n}', user, code, at + timedelta(hours=2 * n), rng.randint(3, 240), team)
        for n in range(count)
    ]


async def _rate_what_fits(contract_id: int, sessions: list[SessionInput], now: datetime) -> None:
    """Rate a day of demo sessions, dropping those a team could no longer cover."""
    while sessions:
        try:
            await rate_sessions(contract_id, sessions, now=now)
            return
        except InsufficientBalance as refusal:
            sessions = [session for session in sessions if session.id != refusal.event_id]


async def _consume_what_fits(contract_id: int, events: list[UsageInput], now: datetime) -> None:
    """Charge a day of demo usage, dropping the events a team could no longer cover."""
    while events:
        try:
            await ledger.consume(contract_id, events, now=now)
            return
        except InsufficientBalance as refusal:
            events = [event for event in events if event.id != refusal.event_id]


WORKDAY = range(8, 19)  # local hours when people work
EVENTS_PER_HOUR = 60  # per contract at work (a tenth of it at night and on weekends)
TICKS_PER_HOUR = 900  # the feed ticks every 4 s
PROFILE_AGE = 3600.0  # seconds a team's profile is kept before it is read again


@dataclass(frozen=True)
class TeamProfile:
    """Who in a team uses what, as its own last 90 days say, and how much it uses a day."""

    team: int | None
    weight: float  # the team's share of the contract's usage
    users: tuple[tuple[str, float], ...]
    products: tuple[tuple[str, float], ...]


class LiveFeed:
    """Usage arriving on the demo contracts as it would: each team's own users and products, in proportion to
    what each used over the last 90 days, mostly on working hours of the contract's days, an eighth of a product's
    daily charge at a time — so that the seeded states stay recognisable for hours while the numbers move."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - demo traffic, nothing secret
        self.sent = 0
        self.profiles: dict[int, tuple[float, list[TeamProfile]]] = {}

    async def tick(self, now: datetime | None = None) -> None:
        """Perhaps post one event on each demo contract (call it every 4 s)."""
        now = resolve(now)
        for contract in await Contract.filter(name__in=[FLEX_NAME, CLOUD_NAME]).all():
            local = now.astimezone(ZoneInfo(contract.timezone))
            busy = local.weekday() < 5 and local.hour in WORKDAY
            if self.rng.random() < EVENTS_PER_HOUR * (1 if busy else 0.1) / TICKS_PER_HOUR:
                await self.post(contract.id, now, sessions=contract.mode == 'flex')

    async def post(self, contract_id: int, now: datetime, *, sessions: bool = False) -> None:
        """Post one event: a team in proportion to its usage, one of its users, one of its products (a session of
        it, for Flex: its first of the day opens a window)."""
        profiles = await self._profiles(contract_id)
        if not profiles:
            return
        team = self.rng.choices(profiles, weights=[p.weight for p in profiles])[0]
        user = self.rng.choices([u for u, _ in team.users], weights=[w for _, w in team.users])[0]
        code = self.rng.choices([p for p, _ in team.products], weights=[w for _, w in team.products])[0]
        rate = PRODUCTS[code].rate if code in PRODUCTS else Decimal(1)
        self.sent += 1
        if sessions and team.team is not None:
            session = SessionInput(
                f'feed-{now.timestamp()}-{self.sent}', user, code, now, self.rng.randint(3, 120), team.team
            )
            with contextlib.suppress(InsufficientBalance):
                await rate_sessions(contract_id, [session])
            return
        event = UsageInput(
            f'feed-{now.timestamp()}-{self.sent}', user, code, (rate / 8).quantize(Decimal('0.0001')), now, team.team
        )
        with contextlib.suppress(InsufficientBalance):  # a team that ran dry simply stops using its products
            await ledger.consume(contract_id, [event])

    async def _profiles(self, contract_id: int) -> list[TeamProfile]:
        kept = self.profiles.get(contract_id)
        if kept is not None and monotonic() - kept[0] < PROFILE_AGE:
            return kept[1]
        found = []
        for team in await contracts.list_teams(contract_id):
            users = await usage_breakdown(contract_id, by='user', team=team.id)
            if not users.rows:
                continue
            products = await usage_breakdown(contract_id, by='product', team=team.id)
            found.append(
                TeamProfile(
                    team.id,
                    float(users.total),
                    tuple((str(row.key), float(row.quantity)) for row in users.rows),
                    tuple((str(row.key), float(row.quantity)) for row in products.rows),
                )
            )
        self.profiles[contract_id] = (monotonic(), found)
        return found
