"""Generating the rota from patterns: idempotent, crews copied once, safe under concurrency."""

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import IntegrityError, connection

from apps.desk.history import acting_task
from apps.shifts import tasks
from apps.shifts.clock import week_start
from apps.shifts.models import Assignment, PatternMember, Shift, ShiftChange
from apps.shifts.services import rota_extend, rota_generate, shift_change_approve
from apps.shifts.services import shift_change_request as ask
from tests.factories import make_person
from tests.shifts.helpers import make_pattern

pytestmark = pytest.mark.django_db

_MONDAY = week_start(datetime.now(UTC).date()) + timedelta(weeks=1)
WEEK = (_MONDAY, _MONDAY + timedelta(days=6))  # next week, Monday to Sunday


def _rota(operator, supervisor):
    day = make_pattern("day", weekdays="01234", supervisor=supervisor)
    night = make_pattern("night", starts=time(20), ends=time(8), supervisor=supervisor)
    PatternMember.objects.create(pattern=day, person=operator)
    return day, night


def _snapshot() -> list[tuple]:
    return sorted(Shift.objects.values_list("pattern__code", "local_date", "starts_at", "ends_at"))


def test_a_week_has_five_day_shifts_and_seven_nights(operator, supervisor) -> None:
    _rota(operator, supervisor)
    run = rota_generate(start=WEEK[0], end=WEEK[1])
    assert (run.created, run.existing) == (12, 0)
    assert Shift.objects.filter(pattern__code="day").count() == 5
    assert Shift.objects.filter(pattern__code="night").count() == 7
    assert Assignment.objects.filter(person=operator).count() == 5
    assert not Shift.objects.filter(supervisor__isnull=True).exists()


def test_generating_twice_gives_the_same_shifts(operator, supervisor) -> None:
    _rota(operator, supervisor)
    rota_generate(start=WEEK[0], end=WEEK[1])
    first = _snapshot()
    run = rota_generate(start=WEEK[0], end=WEEK[1])
    assert (run.created, run.existing) == (0, 12)
    assert _snapshot() == first
    assert Assignment.objects.count() == 5


def test_a_rerun_leaves_swapped_seats_where_the_swap_put_them(operator, supervisor) -> None:
    _rota(operator, supervisor)
    rota_generate(start=WEEK[0], end=WEEK[1])
    cover = make_person("nikhil", "operator")
    shift = Shift.objects.get(pattern__code="day", local_date=WEEK[0])
    change = ask(
        by=operator, kind=ShiftChange.Kind.COVER, shift=shift, counterpart=cover, reason="dentist"
    )
    shift_change_approve(change=change, by=supervisor)
    rota_generate(start=WEEK[0], end=WEEK[1])
    assert list(shift.assignments.values_list("person__username", flat=True)) == ["nikhil"]


def test_the_database_refuses_a_second_copy_of_a_shift(supervisor) -> None:
    pattern = make_pattern("day")
    rota_generate(start=WEEK[0], end=WEEK[0])
    start, end = pattern.instants(WEEK[0])
    with pytest.raises(IntegrityError):
        Shift.objects.create(pattern=pattern, local_date=WEEK[0], starts_at=start, ends_at=end)


def test_inactive_patterns_make_no_shifts() -> None:
    pattern = make_pattern("old")
    pattern.active = False
    pattern.save()
    assert rota_generate(start=WEEK[0], end=WEEK[1]).created == 0


def test_rota_extend_keeps_the_configured_weeks_ahead(settings) -> None:
    settings.ROTA_WEEKS_AHEAD = 2
    settings.DESK_TIME_ZONE = "Europe/London"
    make_pattern("night", starts=time(20), ends=time(8))
    run = rota_extend(now=datetime(2026, 11, 25, 12, tzinfo=UTC))
    assert run.created == 15  # today and 14 days after it
    dates = Shift.objects.values_list("local_date", flat=True)
    assert min(dates) == date(2026, 11, 25) and max(dates) == date(2026, 12, 9)


def test_the_beat_task_stamps_its_history_rows() -> None:
    make_pattern("night", starts=time(20), ends=time(8))
    result = tasks.rota_extend.delay().get()
    assert result["created"] > 0
    record = Shift.history.first()
    assert record.history_task == "rota_extend" and record.history_user is None
    with acting_task("again"):
        assert tasks.rota_extend.delay().get()["created"] == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_generations_make_each_shift_and_seat_once(operator, supervisor) -> None:
    _rota(operator, supervisor)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def generate() -> None:
        try:
            barrier.wait()
            rota_generate(start=date(2026, 11, 2), end=date(2026, 12, 27))
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=generate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Shift.objects.count() == 8 * 12
    assert Assignment.objects.count() == 8 * 5
    assert len(set(_snapshot())) == 8 * 12
