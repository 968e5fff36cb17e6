"""The alert history of a contract: each crossing with its numbers and the state of each of its deliveries"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from models import Alert, AlertDelivery, AlertSeen, Cap
from services.accounts.contracts import ContractInfo, get_contract, list_teams
from services.alerts.messages import Crossing
from services.domain.dates import DateRange, local_date, start_of_day
from services.domain.quantity import SCALE, from_units
from services.infrastructure.clock import resolve

MAX_ALERTS = 10_000


@dataclass(frozen=True)
class DeliveryInfo:
    channel: str
    target: str
    status: str
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class AlertInfo:
    id: int
    rule: int | None  # None: a cap's notice
    team: int | None
    team_name: str | None
    kind: str
    threshold: Decimal
    state: str
    at: datetime
    message: str
    available: Decimal
    total: Decimal
    expiring: Decimal
    next_expiry: date | None
    runs_out_on: date | None
    deliveries: tuple[DeliveryInfo, ...]
    cap: int | None = None
    cap_user: str | None = None
    cap_product: str | None = None
    cap_period: str | None = None
    expired: Decimal = Decimal(0)  # an expiry rule resolved because its tokens expired unused: how many
    holder: int | None = None

    def crossing(self, contract: ContractInfo) -> Crossing:
        """The crossing it records, to say it in a reader's language."""
        return Crossing(
            rule=self.rule or 0,
            contract=contract.id,
            contract_name=contract.name,
            holder=self.holder or 0,
            team=self.team,
            name=self.team_name or contract.name,
            mode=contract.mode,
            kind=self.kind,
            threshold=self.threshold,
            state=self.state,
            at=self.at,
            available=int(self.available * SCALE),
            total=int(self.total * SCALE),
            expiring=int(self.expiring * SCALE),
            expiring_days=int(self.threshold) if self.kind == 'expiring_within_days' else 90,
            next_expiry=self.next_expiry,
            runs_out_on=self.runs_out_on,
            timezone=contract.timezone,
            cap_user=self.cap_user,
            cap_product=self.cap_product,
            cap_period=self.cap_period,
            expired=int(self.expired * SCALE),
        )


async def alert_history(
    contract_id: int, date_range: DateRange | None = None, *, limit: int = MAX_ALERTS, now: datetime | None = None
) -> tuple[AlertInfo, ...]:
    """Crossings whose date (contract time zone) lies in the range (default: the last 90 days), newest first.

    Refuses with ``UnknownContract``."""
    contract = await get_contract(contract_id)
    date_range = date_range or DateRange.last_days(local_date(resolve(now), contract.timezone))
    start = start_of_day(date_range.start, contract.timezone)
    end = start_of_day(date_range.end + timedelta(days=1), contract.timezone)
    rows = await Alert.filter(contract_id=contract_id, at__gte=start, at__lt=end).order_by('-at', '-id').limit(limit)
    return await described(contract_id, rows)


async def latest_alert_ids(contract_id: int, limit: int = 30) -> tuple[int, ...]:
    """The ids of the newest crossings of a contract, newest first (what the page's bell counts)."""
    rows = await Alert.filter(contract_id=contract_id).order_by('-id').limit(limit).values_list('id', flat=True)
    return tuple(int(str(row)) for row in rows)


async def latest_alerts(
    contract_id: int, limit: int = 30, *, before: int | None = None, team: int | None = None
) -> tuple[AlertInfo, ...]:
    """The newest crossings of a contract, whatever their date (the page's bell); ``before``: those older than that
    alert (the next page); ``team``: one team's only."""
    query = Alert.filter(contract_id=contract_id)
    if before is not None:
        query = query.filter(id__lt=before)
    if team is not None:
        query = query.filter(team_id=team)
    rows = await query.order_by('-id').limit(limit)
    return await described(contract_id, rows)


async def described(contract_id: int, rows: list[Alert]) -> tuple[AlertInfo, ...]:
    """Recorded alerts of a contract with their team, cap and deliveries: as the bell, the API and e-mails say them."""
    names = {team.id: team.name for team in await list_teams(contract_id)}
    capped = {row.cap_id for row in rows if row.cap_id is not None}  # type: ignore[attr-defined]
    caps = {cap.id: cap for cap in await Cap.filter(id__in=list(capped))} if capped else {}
    by_alert: dict[int, list[DeliveryInfo]] = {}
    if rows:
        deliveries = (
            await AlertDelivery.filter(alert_id__in=[row.id for row in rows])
            .order_by('id')
            .values_list('alert_id', 'channel', 'target', 'status', 'attempts', 'last_error')
        )
        for alert_id, channel, target, status, attempts, error in deliveries:
            by_alert.setdefault(alert_id, []).append(DeliveryInfo(channel, target, status, attempts, error))
    return tuple(
        AlertInfo(
            id=row.id,
            rule=row.rule_id,  # type: ignore[attr-defined]
            team=row.team_id,  # type: ignore[attr-defined]
            team_name=names.get(row.team_id),  # type: ignore[attr-defined]
            kind=row.kind,
            threshold=from_units(row.threshold),
            state=row.state,
            at=row.at,
            message=row.message,
            available=from_units(row.available),
            total=from_units(row.total),
            expiring=from_units(row.expiring),
            next_expiry=row.next_expiry,
            runs_out_on=row.runs_out_on,
            deliveries=tuple(by_alert.get(row.id, ())),
            cap=row.cap_id,  # type: ignore[attr-defined]
            cap_user=caps[row.cap_id].user if row.cap_id in caps else None,  # type: ignore[attr-defined]
            cap_product=caps[row.cap_id].product if row.cap_id in caps else None,  # type: ignore[attr-defined]
            cap_period=caps[row.cap_id].period if row.cap_id in caps else None,  # type: ignore[attr-defined]
            expired=from_units(row.expired or 0),
            holder=row.holder_id,  # type: ignore[attr-defined]
        )
        for row in rows
    )


async def unread(admin_id: int, contract_id: int) -> int:
    """How many crossings of the contract came after the last one the administrator saw."""
    seen = await AlertSeen.get_or_none(admin_id=admin_id, contract_id=contract_id)
    return await Alert.filter(contract_id=contract_id, id__gt=seen.last_alert if seen else 0).count()


async def last_seen(admin_id: int, contract_id: int) -> int:
    """The id of the newest crossing the administrator saw (0: none)."""
    seen = await AlertSeen.get_or_none(admin_id=admin_id, contract_id=contract_id)
    return seen.last_alert if seen else 0


async def mark_seen(admin_id: int, contract_id: int, alert_id: int) -> None:
    """The administrator has seen the crossings up to ``alert_id`` (never moves back)."""
    seen, _ = await AlertSeen.get_or_create(admin_id=admin_id, contract_id=contract_id, defaults={'last_alert': 0})
    if alert_id > seen.last_alert:
        await AlertSeen.filter(id=seen.id, last_alert__lt=alert_id).update(last_alert=alert_id)
