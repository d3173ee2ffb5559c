from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from apps.actions.models import Action, Restriction


class ActionError(Exception):
    """A request, approval or execution step the desk refuses; the message is for people."""


def move(record: Action | Restriction, to: str, reason: str) -> None:
    """Check a status change against the model's table of moves and make it (unsaved)."""
    if to not in record.MOVES.get(record.status, frozenset()):
        label = getattr(record, "reference", str(record))
        raise ActionError(
            f"{label} is {record.get_status_display().lower()}; it cannot become {to}."
        )
    record.status = to
    record._change_reason = reason  # type: ignore[union-attr]  # simple-history's reason


def save_changed(record: Model, *fields: str) -> None:
    record.save(update_fields=list(fields))


def enqueue_execution(*action_ids: int, countdown: float = 0) -> None:
    """After the commit, hand the actions to a worker on the actions queue.

    `queued_at` is when the message falls due; it lives `RISKDESK_ACTION_QUEUE_TTL_SECONDS`
    past that and is then dropped unread (`expires`). The stalled-work scan sends another
    only once that time is over, so an action never has two live messages, however long
    the queue grows (it used to be queued again on every scan, every 15 s)."""
    due = timezone.now() + timedelta(seconds=countdown)
    Action.objects.filter(pk__in=action_ids).update(queued_at=due)
    expires = countdown + settings.RISKDESK_ACTION_QUEUE_TTL_SECONDS
    for action_id in action_ids:
        transaction.on_commit(partial(_send, action_id, countdown, expires))


def _send(action_id: int, countdown: float, expires: float) -> None:
    from apps.actions.tasks import execute_action

    execute_action.apply_async((action_id,), countdown=countdown, expires=expires)
