"""The handover: written by the outgoing shift, acknowledged by the incoming one, or flagged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from apps.desk.history import save_by, task_work
from apps.desk.locking import locked
from apps.people.access import has_role
from apps.people.roles import Role
from apps.people.selectors import active_supervisors
from apps.shifts import handover_items
from apps.shifts.models import Handover, Shift, ShiftError
from apps.shifts.selectors import is_on_crew, next_shift

if TYPE_CHECKING:
    from apps.people.models import User

Status = Handover.Status


@transaction.atomic
def handover_write(*, shift: Shift, by: User, note: str, now: datetime | None = None) -> Handover:
    """Write (or, until it is acknowledged, rewrite) the handover of `shift`.

    The open items are collected again on every write, so the snapshot is as of the
    last time the outgoing shift looked.
    """
    now = now or datetime.now(UTC)
    # The shift's row lock serialises two crew members writing at the same moment.
    shift = locked(shift, error=ShiftError)
    if not is_on_crew(shift, by):
        raise ShiftError(f"Only the crew of {shift} writes its handover.")
    if now < shift.starts_at:
        raise ShiftError(f"{shift} has not started yet.")
    note = note.strip()
    if not note:
        raise ShiftError("Write what the next shift needs to know.")
    existing = Handover.objects.filter(from_shift=shift).first()
    items = handover_items.collect(shift)
    if existing is None:
        handover = Handover(
            from_shift=shift,
            to_shift=next_shift(shift),
            note=note,
            items=items,
            written_by=by,
            written_at=now,
        )
        save_by(handover, by=by, reason="written")
        return handover
    if existing.status == Status.ACKNOWLEDGED:
        raise ShiftError("The incoming shift has acknowledged this handover; it stays as read.")
    existing.note, existing.items, existing.written_by, existing.written_at = note, items, by, now
    fields = ["note", "items", "written_by", "written_at"]
    save_by(existing, by=by, fields=fields, reason="rewritten before acknowledgement")
    return existing


def may_acknowledge(handover: Handover, person: User) -> bool:
    if person.pk == handover.written_by_id:
        return False
    if handover.to_shift is None:  # no next shift in the rota: a supervisor takes it
        return has_role(person, Role.SUPERVISOR)
    return is_on_crew(handover.to_shift, person)


@transaction.atomic
def handover_acknowledge(*, handover: Handover, by: User, now: datetime | None = None) -> Handover:
    handover = locked(handover, error=ShiftError)
    if handover.status == Status.ACKNOWLEDGED:
        return handover
    if by.pk == handover.written_by_id:
        raise ShiftError("The writer of a handover cannot acknowledge it.")
    if not may_acknowledge(handover, by):
        raise ShiftError("Only the incoming shift acknowledges a handover.")
    handover.status = Status.ACKNOWLEDGED
    handover.acknowledged_by = by
    handover.acknowledged_at = now or datetime.now(UTC)
    fields = ["status", "acknowledged_by", "acknowledged_at"]
    save_by(handover, by=by, fields=fields, reason="acknowledged")
    return handover


@task_work("shifts.handovers_flag_overdue")
def handovers_flag_overdue(*, now: datetime | None = None) -> int:
    """Flag handovers the incoming shift has not acknowledged HANDOVER_ACK_MINUTES into it.

    Found by a scan (the beat task runs it every minute), so a lost message cannot leave
    an unread handover unflagged. Each is moved under its own lock; a concurrent
    acknowledgement wins and is left alone.
    """
    now = now or datetime.now(UTC)
    late = now - timedelta(minutes=settings.HANDOVER_ACK_MINUTES)
    candidates = Handover.objects.filter(
        Q(to_shift__starts_at__lte=late) | Q(to_shift__isnull=True, written_at__lte=late),
        status=Status.WRITTEN,
    )
    flagged = 0
    for candidate in candidates.only("pk"):
        with transaction.atomic():
            try:
                handover = locked(candidate, error=ShiftError)
            except ShiftError:  # deleted since the list was read: nothing to flag
                continue
            if not handover.can_move_to(Status.OVERDUE) or handover.status != Status.WRITTEN:
                continue
            handover.status = Status.OVERDUE
            save_by(
                handover,
                by=None,  # the overdue scan's task
                fields=["status"],
                reason=f"not acknowledged within {settings.HANDOVER_ACK_MINUTES} minutes",
            )
            _escalate(handover)
            flagged += 1
    return flagged


def _escalate(handover: Handover) -> None:
    """Tell the supervisor who covers the incoming shift (else the outgoing one's, else
    every supervisor) that nobody has read the handover; inside the flagging transaction,
    so a handover is flagged and told of exactly once."""
    from django.urls import reverse

    from apps.notifications.services import notify

    shifts = [s for s in (handover.to_shift, handover.from_shift) if s is not None]
    supervisor = next((s.supervisor for s in shifts if s.supervisor_id), None)
    recipients = (
        [supervisor]
        if supervisor is not None and supervisor.is_active
        else list(active_supervisors())
    )
    notify(
        recipients=recipients,
        kind="handover_overdue",
        title=f"Handover of {handover.from_shift} not acknowledged "
        f"after {settings.HANDOVER_ACK_MINUTES} minutes",
        body=f"Written by {handover.written_by}; the incoming shift has not read it.",
        url=reverse("shifts:handover", args=[handover.pk]),
    )
