"""Overdue alerts and cases escalate through the periodic scan: one level per step, each
level once, however many schedulers scan."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from apps.cases.models import Escalation, EventKind, Status, Target, TimerFiring
from apps.cases.services import case_move, case_open, timers_scan
from apps.notifications.models import Notification
from tests.cases.helpers import alert_on, linked_cluster
from tests.factories import make_person

STEP = timedelta(minutes=30)


@pytest.mark.django_db
def test_an_unclaimed_alert_past_its_sla_escalates_to_the_supervisors_once(supervisor) -> None:
    alert = alert_on(["U1"], severity="critical")
    now = alert.sla_due_at - timedelta(seconds=1)
    assert timers_scan(now=now).fired == []

    later = alert.sla_due_at + timedelta(minutes=1)
    fired = timers_scan(now=later)

    assert fired.fired == [("alert", alert.pk, 1)]
    escalation = Escalation.objects.get(alert=alert)
    assert escalation.target == Target.SUPERVISOR and escalation.by_timer and escalation.level == 1
    note = Notification.objects.get(recipient=supervisor, kind="escalation")
    assert note.title.startswith("Overdue: alert")
    assert timers_scan(now=later + timedelta(seconds=10)).fired == []  # fires once
    assert Escalation.objects.filter(alert=alert).count() == 1


@pytest.mark.django_db
@override_settings(HEAD_OF_RISK="hera")
def test_still_untouched_a_step_later_it_goes_to_the_head_of_risk(supervisor) -> None:
    head = make_person("hera", "supervisor")
    alert = alert_on(["U1"], severity="high")
    first = alert.sla_due_at + timedelta(minutes=1)
    timers_scan(now=first)
    assert timers_scan(now=first + STEP - timedelta(seconds=1)).fired == []

    fired = timers_scan(now=first + STEP)

    assert fired.fired == [("alert", alert.pk, 2)]
    top = Escalation.objects.get(alert=alert, level=2)
    assert top.target == Target.HEAD_OF_RISK and top.to_user == head
    assert not Notification.objects.filter(recipient=supervisor, title__contains="head").exists()
    assert timers_scan(now=first + 3 * STEP).fired == []


@pytest.mark.django_db
def test_a_claimed_alert_does_not_escalate(operator) -> None:
    from apps.alerts.services import alert_claim

    alert = alert_on(["U1"])
    alert_claim(alert=alert, by=operator)
    assert timers_scan(now=alert.sla_due_at + timedelta(hours=5)).fired == []


@pytest.mark.django_db
def test_an_overdue_case_escalates_on_its_timeline_and_tells_its_people(
    operator, supervisor
) -> None:
    members = linked_cluster()
    case = case_open(alerts=[alert_on(members.ids[:1])], by=operator).case
    fired = timers_scan(now=case.due_at + timedelta(minutes=2))
    case_hits = [f for f in fired.fired if f[0] == "case"]
    assert case_hits == [("case", case.pk, 1)]
    event = case.events.get(kind=EventKind.ESCALATED)
    assert event.actor is None and "past its due time" in event.text
    assert Notification.objects.filter(recipient=supervisor, kind="escalation").exists()
    assert Notification.objects.filter(recipient=operator, kind="case.escalated").exists()


@pytest.mark.django_db
def test_a_closed_case_does_not_escalate(operator) -> None:
    members = linked_cluster()
    case = case_open(alerts=[alert_on(members.ids[:1])], by=operator).case
    case_move(case=case, to=Status.INVESTIGATING, by=operator)
    case_move(case=case, to=Status.CLOSED, by=operator, outcome="no_action")
    fired = timers_scan(now=case.due_at + timedelta(days=3))
    assert [f for f in fired.fired if f[0] == "case"] == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_scanning_at_once_fire_each_timer_exactly_once() -> None:
    make_person("sam", "supervisor")
    opener = make_person("olga", "operator")
    alerts = [alert_on([f"U{n}"], severity="critical") for n in range(12)]
    members = linked_cluster()
    case = case_open(alerts=[alert_on(members.ids[:1])], by=opener).case
    now = max(case.due_at, *(a.sla_due_at for a in alerts)) + timedelta(minutes=1)

    for when in (now, now + STEP + timedelta(minutes=1)):  # level 1, then level 2
        start = threading.Barrier(2)
        results: list[object] = [None, None]

        def scan(i: int, when=when, start=start, results=results) -> None:
            try:
                start.wait()
                results[i] = timers_scan(now=when)
            except Exception as error:
                results[i] = error
            finally:
                connection.close()

        threads = [threading.Thread(target=scan, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not any(isinstance(r, Exception) for r in results), results
        fired = [f for r in results for f in r.fired]
        assert len(fired) == len(set(fired)) == 13, fired

    assert TimerFiring.objects.count() == 26
    for alert in alerts:
        assert sorted(Escalation.objects.filter(alert=alert).values_list("level", flat=True)) == [
            1,
            2,
        ]
    assert case.escalations.count() == 2
    assert timezone.now() < now + timedelta(days=1)  # time was advanced, never waited for
