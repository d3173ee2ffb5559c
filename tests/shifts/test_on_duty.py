"""Who is on duty, and the coverage gaps a supervisor must see before they happen."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.shifts.selectors import coverage_gaps, on_duty
from tests.factories import make_person
from tests.shifts.helpers import make_pattern, make_shift, now

pytestmark = pytest.mark.django_db


def test_nobody_is_on_duty_without_a_shift() -> None:
    duty = on_duty()
    assert (duty.shift, duty.operators, duty.supervisor) == (None, [], None)


def test_the_shift_running_now_gives_its_operators_and_supervisor(operator, supervisor) -> None:
    nikhil = make_person("nikhil", "operator")
    start = now() - timedelta(hours=11)
    ending = make_shift(starts_at=start, operators=[operator], supervisor=supervisor)
    make_shift(starts_at=start + timedelta(hours=12), operators=[nikhil])
    duty = on_duty()
    assert duty.shift == ending and duty.operators == [operator] and duty.supervisor == supervisor
    later = on_duty(now() + timedelta(hours=2))
    assert later.operators == [nikhil] and later.supervisor is None
    assert on_duty(ending.ends_at).operators == [nikhil]  # the end instant belongs to the next


def test_overlapping_shifts_pool_their_operators_and_the_newest_supervisor_covers(
    operator, supervisor
) -> None:
    nikhil, sue = make_person("nikhil", "operator"), make_person("sue", "supervisor")
    make_shift(starts_at=now() - timedelta(hours=10), operators=[operator], supervisor=supervisor)
    newest = make_shift(starts_at=now() - timedelta(hours=1), operators=[nikhil], supervisor=sue)
    duty = on_duty()
    assert duty.shift == newest
    assert set(duty.operators) == {operator, nikhil} and duty.supervisor == sue


def test_a_deactivated_person_is_not_on_duty(operator, supervisor) -> None:
    make_shift(starts_at=now() - timedelta(hours=1), operators=[operator], supervisor=supervisor)
    operator.is_active = False
    operator.save()
    assert on_duty().operators == []


def test_on_duty_costs_two_queries_however_big_the_crew(supervisor) -> None:
    crew = [make_person(f"op{i}", "operator") for i in range(6)]
    make_shift(starts_at=now() - timedelta(hours=1), operators=crew, supervisor=supervisor)
    with CaptureQueriesContext(connection) as queries:
        assert len(on_duty().operators) == 6
    assert len(queries) == 2


def test_the_header_shows_who_is_on_duty_for_at_most_two_queries(operator, supervisor) -> None:
    make_shift(starts_at=now() - timedelta(hours=1), operators=[operator], supervisor=supervisor)
    client = Client()
    client.force_login(make_person("tess", "strategy"))
    with CaptureQueriesContext(connection) as with_header:
        page = client.get("/").content.decode()
    assert 'id="on-duty"' in page and "<b>Olga</b>" in page and "<b>Sam</b>" in page
    shift_queries = [q for q in with_header if "shifts_" in q["sql"]]
    assert len(shift_queries) == 2


def test_coverage_gaps_name_missing_operators_supervisors_and_uncovered_time(
    operator, supervisor
) -> None:
    start = now() + timedelta(days=1)
    full = make_shift(starts_at=start, operators=[operator], supervisor=supervisor)
    no_operator = make_shift(starts_at=start + timedelta(hours=12), supervisor=supervisor)
    no_supervisor = make_shift(starts_at=start + timedelta(hours=24), operators=[operator])
    # nothing from +36 h to +40 h
    two_needed = make_shift(
        starts_at=start + timedelta(hours=40),
        operators=[operator],
        supervisor=supervisor,
        pattern=make_pattern(min_operators=2),
    )
    gaps = coverage_gaps(start, start + timedelta(hours=52))
    found = [(g.shift, g.missing) for g in gaps]
    assert found == [
        (no_operator, ("no operator",)),
        (no_supervisor, ("no supervisor",)),
        (None, ("no shift",)),
        (two_needed, ("1 of 2 operators",)),
    ]
    assert full not in [g.shift for g in gaps]
    hole = gaps[2]
    assert (hole.start, hole.end) == (start + timedelta(hours=36), start + timedelta(hours=40))


def test_a_window_with_no_shift_at_all_is_one_uncovered_gap() -> None:
    start = now()
    gaps = coverage_gaps(start, start + timedelta(days=2))
    assert [(g.start, g.end, g.shift) for g in gaps] == [(start, start + timedelta(days=2), None)]
