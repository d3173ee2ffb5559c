"""The shift's key risk indicators: one reading of [start, end), a fixed number of queries.

The dashboard reads the current shift with it; the shift report freezes the same reading
when a shift ends (`as_figures`), so the two can never count differently.
"""

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncHour
from django.utils import timezone

from apps.actions.figures import action_tally
from apps.alerts.figures import (
    DECIDED_STATUSES,
    alerts_arrived,
    handling_times,
    market_stress_readings,
    shift_tally,
)
from apps.alerts.vocabulary import Severity
from apps.cases.figures import case_tally
from apps.detection.selectors import live_consumers

# Durations are read from at most this many alerts; beyond it the figure says so.
SAMPLE_CAP = 20_000
DECIDED = DECIDED_STATUSES


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
    arrived = alerts_arrived(start, end)

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

    # Missed in the shift: breached (alerts.vocabulary.sla_breached), due in the window.
    for key, value in shift_tally(start, end).items():
        setattr(reading, key, value)

    durations = handling_times(start, end, cap=SAMPLE_CAP + 1)
    reading.sampled = len(durations) > SAMPLE_CAP
    to_claim, to_close = [], []
    for first_seen, claimed_at, decided_at, status in durations[:SAMPLE_CAP]:
        if claimed_at and start <= claimed_at < end:
            to_claim.append((claimed_at - first_seen).total_seconds() / 60)
        if decided_at and status in DECIDED and start <= decided_at < end:
            to_close.append((decided_at - first_seen).total_seconds() / 60)
    reading.time_to_claim, reading.time_to_close = Spread.of(to_claim), Spread.of(to_close)

    actions = action_tally(start, end)
    reading.actions_executed, reading.actions_failed = actions["executed"], actions["failed"]
    reading.actions_pending, reading.approvals_pending = actions["pending"], actions["approvals"]

    cases = case_tally(start, end)
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
    rows = market_stress_readings(start, end, limit=limit)
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
