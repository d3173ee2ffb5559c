"""The rota's pages: calendar with gaps, covers through the pages, the handover flow."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.shifts.clock import local_today, week_start
from apps.shifts.models import Handover, ShiftChange
from tests.factories import make_person
from tests.shifts.helpers import make_shift, now

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_calendar_flags_a_shift_without_an_operator(operator, supervisor) -> None:
    start = now() + timedelta(hours=1)
    make_shift(starts_at=start, operators=[operator], supervisor=supervisor)
    empty = make_shift(starts_at=start + timedelta(hours=12), supervisor=supervisor)
    page = _client(supervisor).get("/shifts/", {"week": start.date().isoformat()})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Coverage gaps ahead this week" in html and f"/shifts/{empty.pk}/" in html
    assert html.count('class="tag tag-warn">no operator') >= 2  # summary and card


def test_week_navigation_with_htmx_returns_only_the_calendar(operator) -> None:
    monday = week_start(local_today()) + timedelta(weeks=1)
    response = _client(operator).get(
        "/shifts/", {"week": monday.isoformat()}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="calendar">') and "<header" not in html
    assert f"week of {monday:%a} {monday.day} {monday:%b %Y}" in html


def test_the_calendar_reads_a_full_week_in_constant_queries(supervisor) -> None:
    crew = [make_person(f"op{i}", "operator") for i in range(4)]
    client = _client(supervisor)
    monday = week_start(local_today())

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/shifts/", {"week": monday.isoformat()}).status_code == 200
        return len(queries)

    make_shift(starts_at=now() - timedelta(hours=1), operators=crew, supervisor=supervisor)
    count()  # a first page writes the session's idle end (people.sessions.RENEW)
    few = count()
    for day in range(1, 14):
        make_shift(starts_at=now() + timedelta(hours=12 * day), operators=crew,
                   supervisor=supervisor)  # fmt: skip
    # the page, plus the layout: on duty, the badge, the approvals waiting (a supervisor's)
    assert count() == few <= 12


def test_an_operator_asks_for_cover_and_a_supervisor_approves_through_the_pages(
    operator, supervisor
) -> None:
    nikhil = make_person("nikhil", "operator")
    shift = make_shift(starts_at=now() + timedelta(days=1), operators=[operator],
                       supervisor=supervisor)  # fmt: skip
    olga = _client(operator)
    assert "Ask for a cover or swap" in olga.get(f"/shifts/{shift.pk}/").content.decode()
    response = olga.post(
        f"/shifts/{shift.pk}/ask/", {"kind": "cover", "counterpart": nikhil.pk, "reason": "exam"}
    )
    assert response.status_code == 302
    change = ShiftChange.objects.get()
    assert olga.post(f"/shifts/changes/{change.pk}/approve/").status_code == 403
    sam = _client(supervisor)
    assert "exam" in sam.get("/shifts/changes/").content.decode()
    sam.post(f"/shifts/changes/{change.pk}/approve/", {"note": "ok"})
    change.refresh_from_db()
    assert change.status == ShiftChange.Status.APPROVED
    assert list(shift.assignments.values_list("person", flat=True)) == [nikhil.pk]


def test_a_refused_page_action_says_why(operator, supervisor) -> None:
    ended = make_shift(starts_at=now() - timedelta(hours=13), supervisor=supervisor)
    response = _client(supervisor).post(
        f"/shifts/{ended.pk}/assign/", {"person": operator.pk}, follow=True
    )
    assert "has ended" in response.content.decode()
    assert not ended.assignments.exists()


def test_the_handover_is_written_and_acknowledged_through_the_pages(operator, supervisor) -> None:
    nikhil = make_person("nikhil", "operator")
    outgoing = make_shift(starts_at=now() - timedelta(hours=11), operators=[operator],
                          supervisor=supervisor)  # fmt: skip
    make_shift(starts_at=outgoing.ends_at, operators=[nikhil])
    olga = _client(operator)
    assert 'id="handover-form"' in olga.get("/shifts/handovers/").content.decode()
    response = olga.post(f"/shifts/{outgoing.pk}/handover/", {"note": "Two spoofing alerts open."})
    handover = Handover.objects.get()
    assert response["Location"] == f"/shifts/handovers/{handover.pk}/"
    assert 'id="acknowledge"' not in olga.get(response["Location"]).content.decode()
    nik = _client(nikhil)
    assert "Handed to you" in nik.get("/shifts/handovers/").content.decode()
    assert 'id="acknowledge"' in nik.get(response["Location"]).content.decode()
    nik.post(f"/shifts/handovers/{handover.pk}/acknowledge/")
    handover.refresh_from_db()
    assert handover.acknowledged_by == nikhil


def test_the_supervisor_home_lists_coverage_gaps_ahead(supervisor) -> None:
    make_shift(starts_at=now() + timedelta(days=2), supervisor=supervisor)
    html = _client(supervisor).get("/").content.decode()
    assert 'id="coverage-gaps"' in html and "no operator" in html
