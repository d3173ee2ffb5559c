"""Used by the demo loader only (apps.console.demo_night, apps.console.demo_past): the demo's
night is taken in by the real intake and its cases opened by the real services, then moved
back in time, which no business rule does. The alerts' columns and history rows are written
here, in the alerts app, and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import OuterRef, Subquery

from apps.alerts.models import Alert
from apps.alerts.vocabulary import DismissReason, Status, sla_for

if TYPE_CHECKING:
    from apps.people.models import User

BATCH = 500


@dataclass(frozen=True)
class PastDismissal:
    """Alert `alert_id` was claimed by `by` at `claimed_at` and dismissed at `decided_at`."""

    alert_id: int
    by: User
    reason: DismissReason
    claimed_at: datetime
    decided_at: datetime


def alerts_dated_back(*, arrivals: dict[int, datetime], dismissals: list[PastDismissal]) -> None:
    """Each alert of `arrivals` arrived at its time: first and last seen then, its SLA due
    from then (`sla_for`), its creation and offer history rows dated then. Each of
    `dismissals` (among `arrivals`) was dismissed by its operator at its hour, with a history
    row naming them at that hour."""
    rows = list(Alert.objects.filter(pk__in=list(arrivals)).order_by("pk"))
    for alert in rows:
        alert.first_seen = alert.last_seen = arrivals[alert.pk]
        alert.sla_due_at = arrivals[alert.pk] + sla_for(alert.severity)
    by_id = {alert.pk: alert for alert in rows}
    decided = []
    for dismissal in dismissals:
        alert = by_id[dismissal.alert_id]
        alert.status = Status.DISMISSED
        alert.dismiss_reason = dismissal.reason
        alert.assignee = dismissal.by
        alert.claimed_at = dismissal.claimed_at
        alert.decided_at = dismissal.decided_at
        decided.append(alert)
    decision = ["status", "dismiss_reason", "assignee", "claimed_at", "decided_at"]
    history = Alert.history.model
    with transaction.atomic():
        Alert.objects.bulk_update(rows, ["first_seen", "last_seen", "sla_due_at"], BATCH)
        Alert.objects.bulk_update(decided, decision, BATCH)
        history.objects.bulk_create(
            [
                history(
                    history_date=alert.decided_at,
                    history_user_id=alert.assignee_id,
                    history_change_reason=f"dismissed: {DismissReason(alert.dismiss_reason).label}",
                    history_type="~",
                    **{f.attname: getattr(alert, f.attname) for f in history.tracked_fields},
                )
                for alert in decided
            ],
            batch_size=BATCH,
        )
        # The arrival and the offer happened when the alert arrived, not now.
        arrival = Alert.objects.filter(pk=OuterRef("id")).values("first_seen")[:1]
        dated = history.objects.filter(id__in=list(arrivals))
        dated.filter(history_type="+").update(history_date=Subquery(arrival))
        dated.filter(history_task="route_alerts").update(history_date=Subquery(arrival))


def alert_decided_back(*, alert_id: int, at: datetime, claimed: bool = False) -> None:
    """Alert `alert_id` was decided at `at` (and claimed then too, when `claimed`): a case
    opened from it, or the case it joined, moved back in time."""
    moved = {"decided_at": at, **({"claimed_at": at} if claimed else {})}
    Alert.objects.filter(pk=alert_id).update(**moved)
