from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from apps.actions.models import Action, PlanActivation, Restriction
from apps.desk.errors import DomainError
from apps.desk.history import save_by

if TYPE_CHECKING:
    from apps.people.models import User

log = logging.getLogger(__name__)


class ActionError(DomainError):
    """A request, approval or execution step the desk refuses; the message is for people."""


def move(record: Action | Restriction | PlanActivation, to: str, reason: str) -> None:
    """Check a status change against the model's table of moves and make it (unsaved)."""
    if to not in record.MOVES.get(record.status, frozenset()):
        label = getattr(record, "reference", str(record))
        raise ActionError(
            f"{label} is {record.get_status_display().lower()}; it cannot become {to}."
        )
    record.status = to
    record._change_reason = reason  # type: ignore[union-attr]  # simple-history's reason


def save_changed(record: Model, *fields: str, by: User | None, reason: str = "") -> None:
    """Save `fields`; the history row names `by`, or the task when None (desk.history), and
    the reason given here or by the move() before it."""
    save_by(record, by=by, fields=fields, reason=reason)


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


# The actions whose message could not be sent while `noting_unsent` is open (a view asks).
_unsent: ContextVar[list[int] | None] = ContextVar("unsent_executions", default=None)


@contextmanager
def noting_unsent() -> Iterator[list[int]]:
    """Collect the ids of actions saved but not handed to the queue (the broker is down),
    so the person who asked can be told the exchange call waits for the queue."""
    unsent: list[int] = []
    token = _unsent.set(unsent)
    try:
        yield unsent
    finally:
        _unsent.reset(token)


def _send(action_id: int, countdown: float, expires: float) -> None:
    from apps.actions.tasks import execute_action

    try:
        execute_action.apply_async((action_id,), countdown=countdown, expires=expires)
    except (KombuOperationalError, OSError):
        # Already committed: the action is safe in the database and the stalled-work scan
        # finds it. Answering 500 here made people submit again, and a second action.
        log.warning("queue unreachable: %s waits for the stalled-work scan", action_id)
        Action.objects.filter(pk=action_id).update(queued_at=None)
        unsent = _unsent.get()
        if unsent is not None:
            unsent.append(action_id)
