"""Reads of the rota: who is on duty, the weeks ahead, the gaps in them, what awaits whom."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, Q, QuerySet

from apps.shifts.clock import desk_zone, local_midnight, local_today
from apps.shifts.models import Assignment, Shift, ShiftChange

if TYPE_CHECKING:
    from apps.people.models import User


def _with_crew(shifts: QuerySet[Shift]) -> QuerySet[Shift]:
    """Shifts with pattern, supervisor and operators: two queries however many shifts."""
    seats = Assignment.objects.select_related("person").order_by("person__first_name", "pk")
    return shifts.select_related("pattern", "supervisor").prefetch_related(
        Prefetch("assignments", queryset=seats)
    )


def operators_of(shift: Shift) -> list[User]:
    return [seat.person for seat in shift.assignments.all()]


@dataclass(frozen=True)
class OnDuty:
    at: datetime
    shift: Shift | None  # the shift begun most recently, when shifts overlap
    operators: list[User]
    supervisor: User | None
    shifts: list[Shift] = field(default_factory=list)


def on_duty(at: datetime | None = None) -> OnDuty:
    """Who works the desk at `at` (now): approved covers and swaps have moved their seats."""
    at = at or datetime.now(UTC)
    shifts = list(
        _with_crew(Shift.objects.filter(starts_at__lte=at, ends_at__gt=at)).order_by(
            "-starts_at", "pk"
        )
    )
    operators: list[User] = []
    for shift in shifts:
        operators += [p for p in operators_of(shift) if p.is_active and p not in operators]
    supervisor = next(
        (s.supervisor for s in shifts if s.supervisor and s.supervisor.is_active), None
    )
    return OnDuty(
        at=at,
        shift=shifts[0] if shifts else None,
        operators=operators,
        supervisor=supervisor,
        shifts=shifts,
    )


def shifts_between(start: datetime, end: datetime) -> list[Shift]:
    """Shifts overlapping [start, end), with their crew and pending change count."""
    pending = Count("changes", filter=Q(changes__status=ShiftChange.Status.REQUESTED))
    return list(
        _with_crew(Shift.objects.filter(starts_at__lt=end, ends_at__gt=start))
        .annotate(pending_changes=pending)
        .order_by("starts_at", "pk")
    )


def _local_span(start: datetime, end: datetime) -> str:
    zone = desk_zone()
    a, b = start.astimezone(zone), end.astimezone(zone)
    last = f"{b:%H:%M}" if a.date() == b.date() else f"{b:%a %d %b %H:%M}"
    return f"{a:%a %d %b %H:%M}\u2013{last} {a:%Z}"


@dataclass(frozen=True)
class CoverageGap:
    start: datetime
    end: datetime
    shift: Shift | None  # None: time no shift covers at all
    missing: tuple[str, ...]

    @property
    def title(self) -> str:
        what = ", ".join(self.missing)
        return f"{self.shift}: {what}" if self.shift else f"Uncovered: {what}"

    @property
    def when_label(self) -> str:
        return _local_span(self.start, self.end)


def _missing(shift: Shift) -> tuple[str, ...]:
    missing = []
    operators = [p for p in operators_of(shift) if p.is_active]
    wanted = shift.pattern.min_operators
    if not operators and wanted:
        missing.append("no operator")
    elif len(operators) < wanted:
        missing.append(f"{len(operators)} of {wanted} operators")
    if shift.supervisor is None or not shift.supervisor.is_active:
        missing.append("no supervisor")
    return tuple(missing)


def coverage_gaps(
    start: datetime, end: datetime, shifts: list[Shift] | None = None
) -> list[CoverageGap]:
    """Shifts in [start, end) short of operators or a supervisor, and time no shift covers."""
    if shifts is None:
        shifts = shifts_between(start, end)
    gaps = [
        CoverageGap(shift.starts_at, shift.ends_at, shift, missing)
        for shift in shifts
        if (missing := _missing(shift))
    ]
    covered_until = start
    for shift in sorted(shifts, key=lambda s: s.starts_at):
        if shift.starts_at > covered_until:
            gaps.append(CoverageGap(covered_until, shift.starts_at, None, ("no shift",)))
        covered_until = max(covered_until, shift.ends_at)
    if covered_until < end:
        gaps.append(CoverageGap(covered_until, end, None, ("no shift",)))
    return sorted(gaps, key=lambda g: g.start)


@dataclass(frozen=True)
class ShiftCard:
    shift: Shift
    operators: list[User]
    gap: CoverageGap | None
    on_now: bool


@dataclass(frozen=True)
class CalendarDay:
    day: date
    cards: list[ShiftCard]
    uncovered: list[CoverageGap]
    is_today: bool


@dataclass(frozen=True)
class CalendarWeek:
    monday: date
    days: list[CalendarDay]
    gaps: list[CoverageGap]

    @property
    def previous(self) -> date:
        return self.monday - timedelta(weeks=1)

    @property
    def next(self) -> date:
        return self.monday + timedelta(weeks=1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


def calendar_week(monday: date, now: datetime | None = None) -> CalendarWeek:
    """The desk's local week from `monday`: each day's shifts with crew and gaps (2 queries)."""
    now = now or datetime.now(UTC)
    start, end = local_midnight(monday), local_midnight(monday + timedelta(days=7))
    shifts = shifts_between(start, end)
    gaps = coverage_gaps(start, end, shifts)
    by_shift = {gap.shift.pk: gap for gap in gaps if gap.shift}
    zone, today = desk_zone(), local_today(now)
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        cards = [
            ShiftCard(s, operators_of(s), by_shift.get(s.pk), s.starts_at <= now < s.ends_at)
            for s in shifts
            if s.local_starts.date() == day
        ]
        uncovered = [g for g in gaps if g.shift is None and g.start.astimezone(zone).date() == day]
        days.append(CalendarDay(day, cards, uncovered, day == today))
    # The summary flags what can still be fixed; past gaps stay visible on their days.
    week_gaps = [
        g
        for g in gaps
        if g.end > now and (g.shift is None or g.shift.local_starts.date() >= monday)
    ]
    return CalendarWeek(monday=monday, days=days, gaps=week_gaps)


def shift_for_view(pk: int) -> Shift | None:
    return _with_crew(Shift.objects.filter(pk=pk)).first()


def is_on_crew(shift: Shift, person: User) -> bool:
    if shift.supervisor_id == person.pk:
        return True
    return Assignment.objects.filter(shift=shift, person=person).exists()


def next_shift(shift: Shift) -> Shift | None:
    """The shift that takes over when `shift` ends: the one running then, else the next."""
    others = Shift.objects.exclude(pk=shift.pk)
    running = others.filter(starts_at__lte=shift.ends_at, ends_at__gt=shift.ends_at)
    return (
        running.order_by("-starts_at", "pk").first()
        or others.filter(starts_at__gt=shift.ends_at).order_by("starts_at", "pk").first()
    )


def my_shifts(person: User, start: datetime, end: datetime) -> list[Shift]:
    crew = Q(supervisor=person) | Q(assignments__person=person)
    return list(
        Shift.objects.filter(crew, starts_at__lt=end, ends_at__gt=start)
        .select_related("pattern")
        .distinct()
        .order_by("starts_at")
    )


def shift_changes(
    *, person: User | None = None, pending_only: bool = False
) -> QuerySet[ShiftChange]:
    changes = ShiftChange.objects.select_related(
        "shift__pattern", "counterpart_shift__pattern", "requester", "counterpart", "decided_by"
    )
    if person is not None:
        changes = changes.filter(Q(requester=person) | Q(counterpart=person))
    if pending_only:
        changes = changes.filter(status=ShiftChange.Status.REQUESTED)
    return changes


def skills_of(person_ids: list[int]) -> dict[int, frozenset[str]]:
    """Each person's skill codes, for routing (apps.shifts.routing)."""
    from apps.shifts.models import PersonSkill

    found: dict[int, set[str]] = {pk: set() for pk in person_ids}
    for person_id, code in PersonSkill.objects.filter(person_id__in=person_ids).values_list(
        "person_id", "skill__code"
    ):
        found[person_id].add(code)
    return {pk: frozenset(codes) for pk, codes in found.items()}


def shifts_overlapping(start: datetime, end: datetime) -> QuerySet[Shift]:
    """The shifts on the rota overlapping [start, end), earliest first, with their patterns."""
    return (
        Shift.objects.filter(starts_at__lt=end, ends_at__gt=start)
        .select_related("pattern")
        .order_by("starts_at")
    )
