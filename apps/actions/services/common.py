from django.db import transaction
from django.db.models import Model

from apps.actions.models import Action, Restriction
from apps.desk.errors import DomainError
from apps.desk.history import save_by
from apps.people.models import User


class ActionError(DomainError):
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


def save_changed(record: Model, *fields: str, by: User | None, reason: str = "") -> None:
    """Save `fields`; the history row names `by`, or the task when None (desk.history), and
    the reason given here or by the move() before it."""
    save_by(record, by=by, fields=fields, reason=reason)


def enqueue_execution(action_id: int, countdown: float = 0) -> None:
    """After the commit, hand the action to a worker on the actions queue."""
    from apps.actions.tasks import execute_action

    if countdown:
        transaction.on_commit(lambda: execute_action.apply_async((action_id,), countdown=countdown))
    else:
        transaction.on_commit(lambda: execute_action.apply_async((action_id,)))
