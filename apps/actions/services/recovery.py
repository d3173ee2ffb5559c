"""Doing it again: the periodic scan that hands a stalled execution (a lost message, a lost
worker) to a worker once more, and a lift's DELETE sent once more after it was recorded
(apps.actions.services.execution carries an action out the first time)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.actions.gateway import gateway
from apps.actions.measures import Measure
from apps.actions.models import Action, ActionAttempt
from apps.actions.selectors import stalled_action_ids
from apps.actions.services.common import enqueue_execution, save_changed
from apps.actions.services.execution import contract_call

Outcome = ActionAttempt.Outcome


def executions_resume_stalled(*, now: datetime | None = None) -> list[int]:
    """The periodic scan: hand stalled executions (a lost message, a lost worker) to a
    worker again, each only if no message of it is still live (see enqueue_execution)."""
    now = now or timezone.now()
    spent = now - timedelta(seconds=settings.RISKDESK_ACTION_QUEUE_TTL_SECONDS)
    resumed = []
    for action_id in stalled_action_ids(now=now):
        with transaction.atomic():
            # The conditional update is the claim: two scans at once send it once.
            won = (
                Action.objects.filter(pk=action_id)
                .filter(Q(queued_at__isnull=True) | Q(queued_at__lte=spent))
                .update(queued_at=now)
            )
            if won:
                enqueue_execution(action_id)
                resumed.append(action_id)
    return resumed


def restriction_lift_again(*, action_id: int) -> Action | None:
    """DELETE a lifted action's restriction once more (the contract makes it harmless),
    recorded as one more attempt of the lift."""
    with transaction.atomic():
        lift = (
            Action.objects.select_for_update()
            .filter(lifts_id=action_id, measure=Measure.LIFT, status=Action.Status.EXECUTED)
            .select_related("lifts")
            .first()
        )
        if lift is None:
            return None
        method, path, body, key = contract_call(lift)
        lift.attempts += 1
        save_changed(lift, "attempts", by=None)
        attempt = ActionAttempt.objects.create(
            action=lift, number=lift.attempts, started_at=timezone.now(), method=method, path=path
        )
    reply = gateway().call(method, path, body=body, key=key)
    nothing = reply.status == 404
    attempt.finished_at, attempt.status_code = timezone.now(), reply.status
    attempt.answer, attempt.error = reply.body, reply.error
    attempt.outcome = (
        Outcome.NOTHING_TO_LIFT
        if nothing
        else Outcome.OK
        if reply.ok
        else (Outcome.TRANSIENT if reply.transient else Outcome.PERMANENT)
    )
    # Not retried on failure: reconciliation (every 5 minutes) raises an alert if it stays.
    attempt.save()
    return lift
