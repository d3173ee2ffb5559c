"""The shift dashboard reads the current shift right, in a fixed number of queries; the
shift report freezes the same reading once, when the shift ends."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.alerts import services as alerts
from apps.alerts.models import Alert
from apps.reports import tasks
from apps.reports.services import shift_report_make, shift_reports_make_due
from apps.reports.shift_dashboard import Spread, read_shift
from apps.shifts.models import ShiftReport
from apps.shifts.services import handover_write
from tests.alerts.payloads import stored_alert
from tests.factories import make_person
from tests.shifts.helpers import make_shift, now

pytestmark = pytest.mark.django_db


def at(alert: Alert, **moments) -> Alert:
    Alert.objects.filter(pk=alert.pk).update(**moments)
    alert.refresh_from_db()
    return alert


def shift_with_work(operator, supervisor, base: int = 1):
    """A day shift five hours in: alerts arrived, claimed after known delays, decided."""
    shift = make_shift(starts_at=now() - timedelta(hours=5), operators=[operator],
                       supervisor=supervisor)  # fmt: skip
    start = shift.starts_at
    for i, delay in enumerate([2, 4, 6, 8, 30]):  # minutes from arrival to claim
        alert = stored_alert(base + i, severity="critical" if i == 0 else "high")
        first = start + timedelta(hours=1, minutes=10 * i)
        at(alert, first_seen=first, sla_due_at=first + timedelta(minutes=15))
        alert = alerts.alert_claim(alert=alert, by=operator)
        at(alert, claimed_at=first + timedelta(minutes=delay))
        if i < 2:  # decided 20 and 40 minutes after arrival
            alerts.alert_dismiss(alert=alert, by=operator, reason="duplicate", note="")
            at(alert, decided_at=first + timedelta(minutes=20 * (i + 1)))
    stress = stored_alert(base + 10, category="market_stress", rule="market_stress",
                          accounts=[], symbol="ETHUSDT", severity="critical",
                          metrics={"mark_index_gap": 0.0132, "max_move": 0.071,
                                   "liquidated_accounts": 48})  # fmt: skip
    at(stress, first_seen=start + timedelta(hours=3), detected_at=start + timedelta(hours=3),
       sla_due_at=start + timedelta(hours=3, minutes=15))  # fmt: skip
    before = stored_alert(base + 20)  # arrived before the shift: not counted as "in"
    at(before, first_seen=start - timedelta(hours=2), sla_due_at=start - timedelta(hours=1))
    return shift


def test_the_reading_counts_what_came_in_what_was_done_and_how_fast(operator, supervisor) -> None:
    shift = shift_with_work(operator, supervisor)
    reading = read_shift(shift.starts_at, shift.ends_at)
    assert reading.came_in == 6
    assert reading.by_severity == {"critical": 2, "high": 4, "medium": 0, "low": 0}
    assert reading.by_category == {"self_trade": 5, "market_stress": 1}
    assert reading.claimed == 5 and reading.dismissed == 2
    assert reading.time_to_claim == Spread(5, 6.0, 30.0)  # 2 4 6 8 30: median 6, p90 30
    assert reading.time_to_close == Spread(2, 20.0, 40.0)
    # Missed SLA in the shift: the claim 30 min after arrival, and the stress alert nobody took.
    assert reading.sla_breached == 2
    # Open and breached: the one claimed late (the two claimed in time met their SLA), the
    # stress alert, the one from before the shift.
    assert reading.open_breached == 1 + 1 + 1
    assert sum(n for _, counts in reading.per_hour for n in counts.values()) == 6
    [eth] = reading.stress
    assert (eth.symbol, eth.alerts, eth.worst_severity) == ("ETHUSDT", 1, "critical")
    assert (eth.mark_index_gap, eth.max_move, eth.liquidated_accounts) == (0.0132, 0.071, 48)
    # Its newest alert, whose page suggests the plan.
    assert eth.last_alert_id == Alert.objects.get(category="market_stress").pk


def _dashboard_queries(client, user) -> tuple[int, str]:
    client.force_login(user)
    client.get(reverse("reports:dashboard"))  # a first page writes the session's idle end
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("reports:dashboard"))
    assert page.status_code == 200
    return len(queries), page.content.decode()


def test_the_dashboard_costs_the_same_queries_however_much_happened(
    client, operator, supervisor
) -> None:
    shift_with_work(operator, supervisor)
    few, html = _dashboard_queries(client, supervisor)
    assert "ETHUSDT" in html and "<svg" in html and 'hx-trigger="every 30s"' in html
    for n in range(100, 140):
        stored_alert(n, category="promo_abuse", rule="promo", severity="low")
    many, _ = _dashboard_queries(client, supervisor)
    # session, user, roles; on duty (2, shared with the header); reading (7); live
    # consumers; bell; the header's approvals waiting (one selector with home and the inbox);
    # the market's risk (1: detection has taken no window). The session is saved on a first
    # page only (people.sessions.RENEW), and the count is taken after one.
    assert few == many == 16


def test_the_dashboard_fragment_polls_without_the_layout(client, operator, supervisor) -> None:
    client.force_login(operator)
    fragment = client.get(reverse("reports:dashboard"), headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert body.lstrip().startswith('<section id="board"') and "<html" not in body


def test_a_shift_report_is_made_once_when_the_shift_ends_and_linked_from_its_handover(
    client, operator, supervisor
) -> None:
    nikhil = make_person("nikhil", "operator")
    day = shift_with_work(operator, supervisor)
    make_shift(starts_at=day.ends_at, operators=[nikhil], supervisor=supervisor)
    handover = handover_write(shift=day, by=operator, note="ETH is stressed.")
    assert shift_report_make(shift=day) is None  # still running
    after = day.ends_at + timedelta(minutes=1)
    [report] = shift_reports_make_due(now=after)
    assert shift_reports_make_due(now=after + timedelta(minutes=1)) == []
    assert shift_report_make(shift=day, now=after) == report
    assert tasks.shift_reports_make.delay().get() == 0 or ShiftReport.objects.count() == 1
    assert ShiftReport.objects.filter(shift=day).count() == 1
    assert report.figures["came_in"] == 6 and report.figures["stress"][0]["symbol"] == "ETHUSDT"

    client.force_login(nikhil)
    page = client.get(reverse("shifts:handover", args=[handover.pk])).content.decode()
    assert reverse("reports:report", args=[report.pk]) in page
    page = client.get(reverse("reports:report", args=[report.pk])).content.decode()
    assert "What came in" in page and "ETHUSDT" in page
    assert reverse("shifts:handover", args=[handover.pk]) in page
