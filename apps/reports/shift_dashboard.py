"""The shift's key risk indicators: one reading of [start, end), a fixed number of queries.

The dashboard reads the current shift with it; the shift report freezes the same reading
when a shift ends (`as_figures`), so the two can never count differently.
"""

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from apps.actions.models import Action
from apps.alerts.models import Alert
from apps.alerts.vocabulary import OPEN_STATUSES, Category, Severity, Status, sla_breached
from apps.cases.models import Case
from apps.cases.vocabulary import OPEN_STATUSES as CASE_OPEN
from apps.detection.selectors import live_consumers

# Durations are read from at most this many alerts; beyond it the figure says so.
SAMPLE_CAP = 20_000
DECIDED = (Status.DISMISSED, Status.ESCALATED, Status.IN_CASE)


@dataclass(frozen=True)
class Spread:
    """Median and 90th percentile of a duration, in minutes, over `count` alerts."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, minutes: list[float]) -> "Spread":
        if not minutes:
            return cls(0, None, None)
        ordered = sorted(minutes)
        return cls(len(ordered), _rank(ordered, 0.5), _rank(ordered, 0.9))


def _rank(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile: a value some alert really had."""
    return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 1)


@dataclass(frozen=True)
class StressedSymbol:
    symbol: str
    alerts: int
    worst_severity: str
    mark_index_gap: float
    max_move: float
    liquidated_accounts: int
    last_at: datetime
    last_alert_id: int = 0  # the newest alert: its page suggests the plan


@dataclass
class ShiftReading:
    start: datetime
    end: datetime  # the shift's end, or now while it runs
    by_severity: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    per_hour: list[tuple[datetime, dict[str, int]]] = field(default_factory=list)
    came_in: int = 0
    claimed: int = 0
    dismissed: int = 0
    escalated: int = 0
    into_cases: int = 0
    sla_breached: int = 0  # alerts whose SLA fell due in the window and was missed
    open_breached: int = 0  # open alerts past SLA at `end`
    open_alerts: int = 0
    unclaimed: int = 0
    time_to_claim: Spread = field(default_factory=lambda: Spread(0, None, None))
    time_to_close: Spread = field(default_factory=lambda: Spread(0, None, None))
    sampled: bool = False
    actions_executed: int = 0
    actions_failed: int = 0
    actions_pending: int = 0  # awaiting approval, approved or executing at `end`
    approvals_pending: int = 0
    cases_opened: int = 0
    cases_closed: int = 0
    cases_open: int = 0
    stress: list[StressedSymbol] = field(default_factory=list)
    # Live detection at `end`: consumers reporting, and those stalled, lagging or with
    # rows lost behind MAXLEN (apps.detection.selectors.live_health).
    live_consumers: int = 0
    live_unhealthy: list[str] = field(default_factory=list)

    def as_figures(self) -> dict[str, Any]:
        figures = asdict(self)
        figures["per_hour"] = [(hour.isoformat(), counts) for hour, counts in self.per_hour]
        for key in ("start", "end"):
            figures[key] = figures[key].isoformat()
        for item in figures["stress"]:
            item["last_at"] = item["last_at"].isoformat()
        return figures


def read_shift(start: datetime, end: datetime, *, now: datetime | None = None) -> ShiftReading:
    """Six queries whatever the volume: arrivals, hourly arrivals, decisions and SLA,
    durations (capped sample), actions, cases; plus one for market stress and one for
    the live consumers."""
    now = now or timezone.now()
    end = min(end, now)
    reading = ShiftReading(start=start, end=end)
    arrived = Alert.objects.filter(first_seen__gte=start, first_seen__lt=end)

    for severity, category, n in (
        arrived.values_list("severity", "category").annotate(n=Count("pk")).order_by()
    ):
        reading.by_severity[severity] = reading.by_severity.get(severity, 0) + n
        reading.by_category[category] = reading.by_category.get(category, 0) + n
        reading.came_in += n
    reading.by_severity = {s.value: reading.by_severity.get(s.value, 0) for s in Severity}

    hours: dict[datetime, dict[str, int]] = {}
    for hour, severity, n in (
        arrived.annotate(hour=TruncHour("first_seen"))
        .values_list("hour", "severity")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        hours.setdefault(hour, {})[severity] = n
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        reading.per_hour.append((hour, hours.get(hour, {})))
        hour += timedelta(hours=1)

    in_window = Q(decided_at__gte=start, decided_at__lt=end)
    # Missed in the shift: breached (alerts.models.sla_breached), due in the window.
    missed = Q(sla_due_at__gte=start, sla_due_at__lt=end) & sla_breached(end)
    tally = Alert.objects.aggregate(
        claimed=Count("pk", filter=Q(claimed_at__gte=start, claimed_at__lt=end)),
        dismissed=Count("pk", filter=in_window & Q(status=Status.DISMISSED)),
        escalated=Count("pk", filter=in_window & Q(status=Status.ESCALATED)),
        into_cases=Count("pk", filter=in_window & Q(status=Status.IN_CASE)),
        sla_breached=Count("pk", filter=missed),
        open_alerts=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        unclaimed=Count("pk", filter=Q(status=Status.NEW)),
        open_breached=Count("pk", filter=Q(status__in=OPEN_STATUSES) & sla_breached(end)),
    )
    for key, value in tally.items():
        setattr(reading, key, value)

    durations = list(
        Alert.objects.filter(
            Q(claimed_at__gte=start, claimed_at__lt=end) | Q(in_window, status__in=DECIDED)
        )
        .values_list("first_seen", "claimed_at", "decided_at", "status")
        .order_by()[: SAMPLE_CAP + 1]
    )
    reading.sampled = len(durations) > SAMPLE_CAP
    to_claim, to_close = [], []
    for first_seen, claimed_at, decided_at, status in durations[:SAMPLE_CAP]:
        if claimed_at and start <= claimed_at < end:
            to_claim.append((claimed_at - first_seen).total_seconds() / 60)
        if decided_at and status in DECIDED and start <= decided_at < end:
            to_close.append((decided_at - first_seen).total_seconds() / 60)
    reading.time_to_claim, reading.time_to_close = Spread.of(to_claim), Spread.of(to_close)

    actions = Action.objects.aggregate(
        executed=Count("pk", filter=Q(executed_at__gte=start, executed_at__lt=end)),
        failed=Count("pk", filter=Q(failed_at__gte=start, failed_at__lt=end)),
        pending=Count("pk", filter=Q(status__in=Action.OPEN)),
        approvals=Count("pk", filter=Q(status=Action.Status.AWAITING_APPROVAL)),
    )
    reading.actions_executed, reading.actions_failed = actions["executed"], actions["failed"]
    reading.actions_pending, reading.approvals_pending = actions["pending"], actions["approvals"]

    cases = Case.objects.aggregate(
        opened=Count("pk", filter=Q(opened_at__gte=start, opened_at__lt=end)),
        closed=Count("pk", filter=Q(closed_at__gte=start, closed_at__lt=end)),
        open=Count("pk", filter=Q(status__in=CASE_OPEN)),
    )
    reading.cases_opened, reading.cases_closed = cases["opened"], cases["closed"]
    reading.cases_open = cases["open"]

    reading.stress = stressed_symbols(start, end)
    live = live_consumers()
    reading.live_consumers = len(live)
    reading.live_unhealthy = [f"{r.consumer.name}: {r.health}" for r in live if r.health != "ok"]
    return reading


def stressed_symbols(start: datetime, end: datetime, limit: int = 500) -> list[StressedSymbol]:
    """The platform's state from `market_stress` alerts: per symbol, the worst readings."""
    rank = {s.value: i for i, s in enumerate(Severity)}  # critical first
    found: dict[str, dict[str, Any]] = {}
    rows = (
        Alert.objects.filter(
            category=Category.MARKET_STRESS, first_seen__gte=start, first_seen__lt=end
        )
        .values_list("symbol", "severity", "metrics", "detected_at", "pk")
        .order_by("-first_seen")[:limit]
    )
    for symbol, severity, metrics, at, pk in rows:
        seen = found.setdefault(
            symbol or "platform",
            {"alerts": 0, "severity": severity, "gap": 0.0, "move": 0.0, "liq": 0, "at": at,
             "pk": pk},
        )  # fmt: skip
        seen["alerts"] += 1
        if rank[severity] < rank[seen["severity"]]:
            seen["severity"] = severity
        seen["gap"] = max(seen["gap"], abs(float(metrics.get("mark_index_gap", 0) or 0)))
        seen["move"] = max(seen["move"], abs(float(metrics.get("max_move", 0) or 0)))
        seen["liq"] = max(seen["liq"], int(metrics.get("liquidated_accounts", 0) or 0))
    return sorted(
        (
            StressedSymbol(
                sym, v["alerts"], v["severity"], v["gap"], v["move"], v["liq"], v["at"], v["pk"]
            )
            for sym, v in found.items()
        ),
        key=lambda s: (rank[s.worst_severity], -s.alerts, s.symbol),
    )
