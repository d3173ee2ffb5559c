"""Covers and swaps: an operator asks, a supervisor who is neither party decides."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.db import transaction

from apps.desk.history import save_by
from apps.desk.locking import locked
from apps.people.access import has_role
from apps.people.roles import Role
from apps.shifts.models import Assignment, Shift, ShiftChange, ShiftError

if TYPE_CHECKING:
    from apps.people.models import User

Status = ShiftChange.Status


def _seat(shift: Shift, person: User, *, lock: bool = False) -> Assignment | None:
    seats = Assignment.objects.filter(shift=shift, person=person)
    if lock:
        seats = seats.select_for_update()
    return seats.first()


def _check_seats(
    *, kind: str, shift: Shift, requester: User, counterpart: User, other: Shift | None
) -> None:
    """The seats a change moves must still be as the request assumed."""
    now = datetime.now(UTC)
    if shift.ends_at <= now:
        raise ShiftError(f"{shift} has ended.")
    if _seat(shift, requester) is None:
        raise ShiftError(f"{requester} is not on {shift}.")
    if _seat(shift, counterpart) is not None:
        raise ShiftError(f"{counterpart} is already on {shift}.")
    if kind == ShiftChange.Kind.SWAP:
        if other is None or other.pk == shift.pk:
            raise ShiftError("A swap names the other person's shift, not the same one.")
        if other.ends_at <= now:
            raise ShiftError(f"{other} has ended.")
        if _seat(other, counterpart) is None:
            raise ShiftError(f"{counterpart} is not on {other}.")
        if _seat(other, requester) is not None:
            raise ShiftError(f"{requester} is already on {other}.")


@transaction.atomic
def shift_change_request(
    *,
    by: User,
    kind: str,
    shift: Shift,
    counterpart: User,
    reason: str,
    counterpart_shift: Shift | None = None,
) -> ShiftChange:
    if not has_role(by, Role.OPERATOR):
        raise ShiftError("Covers and swaps are asked for by the operator whose shift it is.")
    if counterpart.pk == by.pk:
        raise ShiftError("Name someone else to cover or swap with.")
    if not has_role(counterpart, Role.OPERATOR):
        raise ShiftError(f"{counterpart} is not a risk operator.")
    if kind == ShiftChange.Kind.COVER:
        counterpart_shift = None
    reason = reason.strip()
    if not reason:
        raise ShiftError("Say why: the supervisor decides on it.")
    shift = locked(shift, error=ShiftError)
    same = ShiftChange.objects.filter(
        status=Status.REQUESTED,
        kind=kind,
        requester=by,
        shift=shift,
        counterpart=counterpart,
        counterpart_shift=counterpart_shift,
    ).first()
    if same is not None:  # a double click asks once
        return same
    _check_seats(
        kind=kind, shift=shift, requester=by, counterpart=counterpart, other=counterpart_shift
    )
    change = ShiftChange(
        kind=kind,
        requester=by,
        shift=shift,
        counterpart=counterpart,
        counterpart_shift=counterpart_shift,
        reason=reason,
    )
    save_by(change, by=by, reason="requested")
    return change


def _locked(change: ShiftChange) -> ShiftChange:
    return locked(change, error=ShiftError)


def _decide(change: ShiftChange, status: str, by: User, note: str) -> ShiftChange:
    if not change.can_move_to(status):
        raise ShiftError(f"This request is {change.get_status_display().lower()} already.")
    change.status = status
    change.decided_by = by
    change.decided_at = datetime.now(UTC)
    change.decision_note = note.strip()
    fields = ["status", "decided_by", "decided_at", "decision_note"]
    save_by(change, by=by, fields=fields, reason=note.strip())
    return change


def _require_deciding_supervisor(change: ShiftChange, by: User) -> None:
    if not has_role(by, Role.SUPERVISOR):
        raise ShiftError("Only a supervisor decides on covers and swaps.")
    if by.pk in (change.requester_id, change.counterpart_id):
        raise ShiftError("A supervisor never decides on a change they are part of.")


@transaction.atomic
def shift_change_approve(*, change: ShiftChange, by: User, note: str = "") -> ShiftChange:
    change = _locked(change)
    if change.status == Status.APPROVED:
        return change
    _require_deciding_supervisor(change, by)
    if not change.can_move_to(Status.APPROVED):
        raise ShiftError(f"This request is {change.get_status_display().lower()} already.")
    # Lock the shifts in id order, so two approvals touching the same pair cannot deadlock.
    shift_ids = sorted({change.shift_id, change.counterpart_shift_id or change.shift_id})
    shifts = {s.pk: s for s in Shift.objects.select_for_update().filter(pk__in=shift_ids)}
    shift, other = shifts[change.shift_id], shifts.get(change.counterpart_shift_id or 0)
    requester, counterpart = change.requester, change.counterpart
    _check_seats(
        kind=change.kind, shift=shift, requester=requester, counterpart=counterpart, other=other
    )
    moves = [(shift, requester, counterpart)]
    if other is not None:
        moves.append((other, counterpart, requester))
    for seat_shift, giver, taker in moves:
        seat = _seat(seat_shift, giver, lock=True)
        assert seat is not None  # checked under the shift locks above
        seat.person = taker
        seat.change = change
        save_by(seat, by=by, fields=["person", "change"], reason=f"{change} approved by {by}")
    return _decide(change, Status.APPROVED, by, note)


@transaction.atomic
def shift_change_reject(*, change: ShiftChange, by: User, note: str) -> ShiftChange:
    change = _locked(change)
    if change.status == Status.REJECTED:
        return change
    _require_deciding_supervisor(change, by)
    if not note.strip():
        raise ShiftError("Say why the request is rejected.")
    return _decide(change, Status.REJECTED, by, note)


@transaction.atomic
def shift_change_withdraw(*, change: ShiftChange, by: User) -> ShiftChange:
    change = _locked(change)
    if change.status == Status.WITHDRAWN:
        return change
    if by.pk != change.requester_id:
        raise ShiftError("Only the person who asked withdraws a request.")
    if not change.can_move_to(Status.WITHDRAWN):
        raise ShiftError(f"This request is {change.get_status_display().lower()} already.")
    change.status = Status.WITHDRAWN
    save_by(change, by=by, fields=["status"], reason="withdrawn by the requester")
    return change
