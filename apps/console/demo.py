"""The demo desk's day of work: detection over the simulated window, then cases and measures
opened from its alerts by the demo people, so every page has something true to show.

Every step goes through the apps' own services; each is skipped when already done, so
load_demo may run any number of times.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from apps.accounts.selectors import account_clusters
from apps.actions import services as actions
from apps.actions.measures import Measure, ReasonCode, Scope
from apps.alerts.selectors import new_alerts_most_urgent
from apps.cases.selectors import has_opened_cases
from apps.cases.services import CaseError, case_open, case_set_customer_reason
from apps.detection.services.runs import (
    detection_part_execute,
    detection_run_claim,
    detection_run_plan,
)
from apps.detection.tasks import READY_MARKER
from apps.people.selectors import desk_people

if TYPE_CHECKING:
    pass
    from apps.alerts.models import Alert

CASES = 2


def detect_window(window: Path) -> str:
    """Mark the window complete (as a real drop does) and run detection over it in this
    process, once: the window's name is unique among runs, so a second call finds it done."""
    (window / READY_MARKER).touch()
    run = detection_run_claim(folder=window)
    if run is None:
        return "already run"
    raised = sum(detection_part_execute(part=part) for part in detection_run_plan(run=run, parts=1))
    if settings.REDIS_URL:
        _drain_alert_stream(settings.REDIS_URL)
    return f"{raised} alerts raised"


def _drain_alert_stream(url: str) -> None:
    """With Redis the alerts travel by the stream: store them now rather than wait for the
    ingest worker, so the cases below can start from them."""
    from apps.alerts.stream import StreamConsumer, redis_client

    StreamConsumer(
        redis_client(url),
        stream=settings.ALERT_STREAM,
        group=settings.ALERT_STREAM_GROUP,
        batch=500,
        reclaim_idle_ms=settings.ALERT_RECLAIM_IDLE_SECONDS * 1000,
    ).run(seconds=60, stop_when_idle=True)


def _alerts_to_open() -> list[Alert]:
    """The most urgent new alerts on accounts the desk knows, one per control cluster (or
    per account outside any cluster), since a cluster has one open case."""
    chosen: list[Alert] = []
    taken: set[object] = set()
    new = new_alerts_most_urgent(limit=500)
    candidates = []
    for alert in new:
        known = account_clusters(alert.accounts)
        if known and len(known) == len(alert.accounts):
            candidates.append((alert, known))
    # Alerts on a linked cluster first: their case page has a graph worth showing.
    candidates.sort(key=lambda pair: any(cluster is None for cluster in pair[1].values()))
    for alert, known in candidates:
        clusters = set(known.values())
        if len(clusters) > 1:
            continue  # one case per cluster: such an alert needs a person to split it
        keys = clusters if None not in clusters else set(known)
        if keys & taken:
            continue
        taken |= keys
        chosen.append(alert)
        if len(chosen) == CASES:
            break
    return chosen


def demo_work_create() -> list[str]:
    operator = desk_people().get(username="olga")
    if has_opened_cases(operator):
        return ["cases and measures: already there"]
    said = []
    for n, alert in enumerate(_alerts_to_open()):
        try:
            case = case_open(alerts=[alert], by=operator).case
        except CaseError as error:
            said.append(f"alert {alert.pk}: {error}")
            continue
        accounts = sorted(case.account_rows.values_list("account_id", flat=True))
        case = case_set_customer_reason(
            case=case,
            by=operator,
            text="Your account is under review after unusual trading; we will contact you.",
        )
        measure = Measure.FREEZE if n == 0 else Measure.WITHDRAWAL_HOLD
        with transaction.atomic():
            made = actions.action_request(
                by=operator,
                measure=measure,
                scope=Scope.ACCOUNT,
                account_ids=accounts,
                reason_code=ReasonCode.LINKED_ACCOUNTS,
                customer_text=case.customer_reason,
                internal_note=f"{case.ref}: {case.title}",
                case=case,
                alerts=[alert],
            )
        for action in made:
            if not action.requires_approval:
                # Eager Celery has done it at the commit; with a broker, do it here so the
                # demo does not wait for a worker (a second claim finds nothing to do).
                actions.action_execute(action.pk)
        state = "awaiting approval" if made[0].requires_approval else "executed"
        said.append(f"{case.ref} from alert {alert.pk}: {measure} on {len(made)} accounts, {state}")
    return said
