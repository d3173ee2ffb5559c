"""What the cases app hears from other apps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apps.alerts.models import Alert
    from apps.people.models import User


def alerts_arrived(sender: Any, alert_ids: list[int], **kwargs: Any) -> None:
    """New alerts were committed: have them join open cases now, not at the next beat (the
    10 s beat stays as the net for a lost message). Only enqueues: ingest is hot."""
    if not alert_ids:
        return
    from apps.cases.tasks import attach_new_alerts
    from riskdesk.celery import send_coalesced

    send_coalesced(attach_new_alerts)  # at most one waits: it attaches whatever is new


def alert_escalated(
    sender: Any, alert: Alert, by: User, target: str, reason: str, **kwargs: Any
) -> None:
    """An alert was escalated (from the queue, its page or the escalate form): the
    escalation row and the addressees' notice, in the same transaction."""
    from apps.cases.services import alert_escalation_raise

    alert_escalation_raise(alert=alert, by=by, target=target, reason=reason)


def clusters_retired(sender: Any, retired: dict[str, str | None], **kwargs: Any) -> None:
    """Clusters merged or dissolved: open cases follow their cluster, in the same
    transaction."""
    from apps.cases.services import cases_follow_clusters

    cases_follow_clusters(retired=retired)
