"""A busy night for the demo desk: thousands of alerts, most already worked by the night's
operators, a tail still new — so a newcomer sees the queue, the rule quality and the shift
pages as they are at scale, not with a handful of rows.

The night is the detection's own findings over the simulated day, found again window after
window (each hour of the night is a window of its own, so each is an alert of its own,
`source` "riskdesk.demo/night"). They go in by the alerts' bulk intake, as a detector's batch
would; then the older ones are dated back and decided in bulk, with history rows naming the
operator who decided them. Alerts still new keep an SLA that has not run out, so the clock
(apps.desk.beat) escalates them as they go overdue while the desk is left alone. A finding
found again while its alert is still open in the queue (its arrival within the SLA of the
day's alert, which is open now) is that alert's repeat, as the ingest makes any re-sent
finding: the queue shows each finding once, never the same theft twice as new.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from apps.alerts.demo_services import PastDismissal, alerts_dated_back
from apps.alerts.ingest import Incoming, alerts_ingest
from apps.alerts.selectors import alerts_from_source, alerts_not_from_source
from apps.alerts.vocabulary import DismissReason, Status, WayIn, sla_for
from apps.console.demo_past import Confirmed, confirm_into_cases, findings_to_confirm
from apps.people.selectors import people_named

if TYPE_CHECKING:
    from apps.alerts.models import Alert

SOURCE = "riskdesk.demo/night"
HOURS = 20
# How the night's operators closed what they dismissed (a rule-quality page worth reading).
REASONS = [
    (DismissReason.FP_MARKET_MAKER, 5),
    (DismissReason.BELOW_MATERIALITY, 4),
    (DismissReason.FP_HEDGING, 2),
    (DismissReason.ACCEPTED, 2),
    (DismissReason.DUPLICATE, 1),
    (DismissReason.FP_DATA_ISSUE, 1),
]


def _payload(alert: Alert, hour: int, start: datetime, *, repeat: bool = False) -> dict:
    """The finding as the night's hour found it: an alert of its own, or (``repeat``) a
    re-sent finding of the open ``alert`` (its dedup key)."""
    window_start = start + timedelta(hours=hour)
    key = alert.dedup_key if repeat else f"night:{hour:02d}:{alert.dedup_key}"[:200]
    return {
        "dedup_key": key,
        "rule": alert.rule,
        "category": alert.category,
        "severity": alert.severity,
        "score": alert.score,
        "accounts": alert.accounts,
        "symbol": alert.symbol or None,
        "window_start": window_start.isoformat(),
        "window_end": (window_start + timedelta(hours=1)).isoformat(),
        "detected_at": (window_start + timedelta(hours=1, minutes=2)).isoformat(),
        "summary": alert.summary,
        "metrics": alert.metrics,
        "evidence": alert.evidence,
        "source": SOURCE,
    }


def demo_night_create(*, hours: int = HOURS, seed: int = 7) -> str:
    if alerts_from_source(SOURCE).exists():
        return "busy night: already there"
    found = alerts_not_from_source(SOURCE)
    if not found:
        return "busy night: no detected alerts to start from"
    now = timezone.now()
    start = now - timedelta(hours=hours)
    rng = random.Random(seed)
    # When each hour's finding arrived; the night's dedup keys keep the first 191
    # characters of the finding's (see _payload).
    arrivals = {
        (h, a.dedup_key[:191]): now - timedelta(hours=hours - h - 1, minutes=rng.uniform(3, 58))
        for h in range(hours)
        for a in found
    }
    items, repeats = [], 0
    for h in range(hours):
        for a in found:
            # Still open now (the day's alert is) and within its SLA: the open alert's repeat.
            repeat = a.status == Status.NEW and _still_open(
                arrivals[h, a.dedup_key[:191]], a.severity, now
            )
            repeats += repeat
            payload = _payload(a, h, start, repeat=repeat)
            if repeat:  # found when it arrived, not after the hour (now, for the last one)
                payload["detected_at"] = arrivals[h, a.dedup_key[:191]].isoformat()
            items.append(Incoming.of(payload))
    with transaction.atomic():
        alerts_ingest(items=items, way_in=WayIn.IN_PROCESS)
    confirm = {key[:191] for key in findings_to_confirm(found, rng=rng)}
    said, confirmed = _date_back_and_decide(now=now, arrivals=arrivals, rng=rng, confirm=confirm)
    said += f", {repeats} found again while open (repeats)"
    return f"{said}; {confirm_into_cases(confirmed, now=now, rng=rng)}"


def _still_open(arrived: datetime, severity: str, now: datetime) -> bool:
    """An alert that arrived then is still within its SLA now: nobody has had to work it."""
    return arrived + sla_for(severity) > now + timedelta(minutes=2)


def _date_back_and_decide(
    *,
    now: datetime,
    arrivals: dict[tuple[int, str], datetime],
    rng: random.Random,
    confirm: set[str],
) -> tuple[str, list[Confirmed]]:
    """Give each alert the hour it arrived in; what the night had time for is decided:
    the findings in `confirm` are left for cases (apps/console/demo_past.py), the rest
    dismissed with a reason (apps.alerts.demo_services writes both)."""
    operators = list(people_named(["olga", "nikhil"]).order_by("username"))
    rows = list(alerts_from_source(SOURCE))
    reasons = [r for r, weight in REASONS for _ in range(weight)]
    arrived_at: dict[int, datetime] = {}
    dismissals: list[PastDismissal] = []
    confirmed: dict[str, Confirmed] = {}
    for alert in rows:
        _, hour_text, finding = alert.dedup_key.split(":", 2)
        arrived = arrivals[int(hour_text), finding]
        sla = sla_for(alert.severity)
        arrived_at[alert.pk] = alert.first_seen = arrived
        if alert.status != Status.NEW:
            continue  # joined an open case on arrival (cases.attach_new_alerts): the case's
        if _still_open(arrived, alert.severity, now) or not operators:
            continue  # still within its SLA: the tail of the queue the desk works now
        if finding in confirm:
            confirmed.setdefault(finding, Confirmed(alert.rule, [])).alerts.append(alert)
            continue
        by = rng.choice(operators)
        reason = rng.choice(reasons)
        claimed = arrived + sla * rng.uniform(0.05, 0.4)
        decided = claimed + sla * rng.uniform(0.05, 0.5)
        dismissals.append(PastDismissal(alert.pk, by, reason, claimed, decided))
    alerts_dated_back(arrivals=arrived_at, dismissals=dismissals)
    worked = len(dismissals) + sum(len(c.alerts) for c in confirmed.values())
    hours = len({hour for hour, _ in arrivals})
    said = (
        f"{len(rows)} alerts over {hours} h, {len(dismissals)} dismissed, {len(rows) - worked} new"
    )
    return f"busy night: {said}", list(confirmed.values())
