"""Writes to the rota: generating shifts from patterns, and a supervisor's seat changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from apps.desk.history import delete_by, save_by
from apps.desk.locking import locked
from apps.people.access import has_role
from apps.people.roles import Role
from apps.shifts.clock import local_today
from apps.shifts.models import Assignment, PatternMember, Shift, ShiftError, ShiftPattern

if TYPE_CHECKING:
    from apps.people.models import User


@dataclass(frozen=True)
class RotaRun:
    created: int
    existing: int


def rota_generate(*, start: date, end: date) -> RotaRun:
    """Make every shift active patterns have on local dates `start`..`end`; safe to rerun.

    Each shift is created in its own transaction together with its standing crew, so a
    crew is copied exactly once: a rerun (or a second beat run racing this one) finds the
    shift — the unique (pattern, local_date) constraint decides who made it — and leaves
    its seats alone, whatever swaps have moved them since.
    """
    patterns = list(ShiftPattern.objects.filter(active=True))
    members: dict[int, list[int]] = {}
    for pattern_id, person_id in PatternMember.objects.filter(
        pattern__in=patterns, person__is_active=True
    ).values_list("pattern_id", "person_id"):
        members.setdefault(pattern_id, []).append(person_id)
    have = set(
        Shift.objects.filter(local_date__range=(start, end)).values_list("pattern_id", "local_date")
    )
    created = existing = 0
    day = start
    while day <= end:
        for pattern in patterns:
            if not pattern.runs_on(day):
                continue
            if (pattern.pk, day) in have or not _shift_create(pattern, day, members):
                existing += 1
            else:
                created += 1
        day += timedelta(days=1)
    return RotaRun(created=created, existing=existing)


def _shift_create(pattern: ShiftPattern, day: date, members: dict[int, list[int]]) -> bool:
    starts_at, ends_at = pattern.instants(day)
    with transaction.atomic():
        shift, created = Shift.objects.get_or_create(
            pattern=pattern,
            local_date=day,
            defaults={
                "starts_at": starts_at,
                "ends_at": ends_at,
                "supervisor_id": pattern.default_supervisor_id,
            },
        )
        if created:
            for person_id in members.get(pattern.pk, []):
                Assignment.objects.create(shift=shift, person_id=person_id)
    return created


def rota_extend(*, now: datetime | None = None) -> RotaRun:
    """Keep ROTA_WEEKS_AHEAD weeks of shifts generated from today (the beat task's work)."""
    today = local_today(now)
    return rota_generate(start=today, end=today + timedelta(weeks=settings.ROTA_WEEKS_AHEAD))


def _require_supervisor(by: User) -> None:
    if not has_role(by, Role.SUPERVISOR):
        raise ShiftError("Only a supervisor changes who works a shift.")


def _require_not_ended(shift: Shift) -> None:
    if shift.ends_at <= datetime.now(UTC):
        raise ShiftError(f"{shift} has ended; its crew is history.")


@transaction.atomic
def shift_assign(*, shift: Shift, person: User, by: User) -> Assignment:
    _require_supervisor(by)
    shift = locked(shift, error=ShiftError)
    seat = Assignment.objects.filter(shift=shift, person=person).first()
    if seat is not None:
        return seat
    _require_not_ended(shift)
    if not has_role(person, Role.OPERATOR):
        raise ShiftError(f"{person} is not a risk operator.")
    seat = Assignment(shift=shift, person=person)
    save_by(seat, by=by, reason=f"assigned by {by}")
    return seat


@transaction.atomic
def shift_unassign(*, shift: Shift, person: User, by: User) -> None:
    _require_supervisor(by)
    shift = locked(shift, error=ShiftError)
    seat = Assignment.objects.filter(shift=shift, person=person).first()
    if seat is None:
        return
    _require_not_ended(shift)
    delete_by(seat, by=by, reason=f"removed by {by}")


@transaction.atomic
def shift_supervisor_set(*, shift: Shift, person: User | None, by: User) -> Shift:
    """Name the supervisor who covers a shift (None leaves it uncovered: a flagged gap)."""
    _require_supervisor(by)
    shift = locked(shift, error=ShiftError)
    if shift.supervisor_id == (person.pk if person else None):
        return shift
    _require_not_ended(shift)
    if person is not None and not has_role(person, Role.SUPERVISOR):
        raise ShiftError(f"{person} is not a supervisor.")
    shift.supervisor = person
    save_by(shift, by=by, fields=["supervisor"], reason=f"covering supervisor set by {by}")
    return shift
