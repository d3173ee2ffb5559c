"""Building rota records for tests: patterns, shifts at chosen instants, crews."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apps.people.models import User
from apps.shifts.models import (
    Assignment,
    Handover,
    Shift,
    ShiftChange,
    ShiftPattern,
    ShiftReport,
)

_counter = iter(range(1, 1_000_000))


def make_pattern(
    code: str | None = None,
    *,
    starts: time = time(8),
    ends: time = time(20),
    zone: str = "Europe/London",
    weekdays: str = "0123456",
    supervisor: User | None = None,
    min_operators: int = 1,
) -> ShiftPattern:
    code = code or f"p{next(_counter)}"
    return ShiftPattern.objects.create(
        code=code,
        name=code.title(),
        starts=starts,
        ends=ends,
        time_zone=zone,
        weekdays=weekdays,
        default_supervisor=supervisor,
        min_operators=min_operators,
    )


def make_shift(
    *,
    starts_at: datetime,
    hours: float = 12,
    operators: list[User] = (),  # type: ignore[assignment]
    supervisor: User | None = None,
    pattern: ShiftPattern | None = None,
    local_date: date | None = None,
) -> Shift:
    """A shift at exact instants, whatever its pattern's hours (tests of time-relative logic).

    Each call without `pattern` makes its own, so shifts on one day never collide.
    """
    pattern = pattern or make_pattern()
    shift = Shift.objects.create(
        pattern=pattern,
        local_date=local_date or starts_at.astimezone(ZoneInfo(pattern.time_zone)).date(),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        supervisor=supervisor,
    )
    for person in operators:
        Assignment.objects.create(shift=shift, person=person)
    return shift


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def shifts_url_kwargs(operator: User, supervisor: User) -> dict[str, dict[str, int]]:
    """Objects for the access-matrix walk (tests/desk/test_access_matrix.py)."""
    from tests.factories import make_person

    other = make_person("walker-other-operator", "operator")
    start = now() - timedelta(hours=2)
    shift = make_shift(starts_at=start, operators=[operator], supervisor=supervisor)
    later = make_shift(starts_at=start + timedelta(hours=12), operators=[other])
    change = ShiftChange.objects.create(
        kind=ShiftChange.Kind.COVER, requester=operator, shift=shift, counterpart=other, reason="x"
    )
    handover = Handover.objects.create(
        from_shift=shift, to_shift=later, note="n", written_by=operator, written_at=start
    )
    from apps.reports.shift_dashboard import read_shift

    figures = read_shift(start, start + timedelta(hours=1)).as_figures()
    report = ShiftReport.objects.create(shift=shift, made_at=start, figures=figures)
    by_shift = {"pk": shift.pk}
    return {
        "shifts:detail": by_shift,
        "shifts:assign": by_shift,
        "shifts:unassign": {"pk": shift.pk, "person_id": operator.pk},
        "shifts:supervisor": by_shift,
        "shifts:change_new": by_shift,
        "shifts:handover_write": by_shift,
        "shifts:change_approve": {"pk": change.pk},
        "shifts:change_reject": {"pk": change.pk},
        "shifts:change_withdraw": {"pk": change.pk},
        "shifts:handover": {"pk": handover.pk},
        "shifts:handover_acknowledge": {"pk": handover.pk},
        "reports:report": {"pk": report.pk},
    }
