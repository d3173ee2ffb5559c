"""One open case per cluster: new alerts on any of its accounts join it and raise it."""

import pytest

from apps.alerts.models import Status as AlertStatus
from apps.alerts.services import alert_dismiss
from apps.cases.models import Case, EventKind, Outcome, Status
from apps.cases.services import case_attach_new_alerts, case_move, case_open
from apps.cases.tasks import attach_new_alerts
from apps.notifications.models import Notification
from tests.cases.helpers import alert_on, linked_cluster
from tests.factories import ExchangeAccountFactory

pytestmark = pytest.mark.django_db


def test_a_new_alert_on_any_account_of_the_cluster_joins_its_open_case(operator) -> None:
    members = linked_cluster(size=4)
    case = case_open(alerts=[alert_on(members.ids[:1], severity="medium")], by=operator).case
    before = case.priority
    later = alert_on(members.ids[3:], severity="critical")  # an account the first did not name

    assert attach_new_alerts() == 1

    later.refresh_from_db()
    case.refresh_from_db()
    assert later.status == AlertStatus.IN_CASE and later.case_ref == case.ref
    assert case.severity == "critical" and case.priority > before
    joined = case.events.filter(kind=EventKind.ALERT_JOINED, data__alert=later.pk).get()
    assert joined.data["automatic"] and joined.task == "cases.attach_new_alerts"
    assert Notification.objects.filter(recipient=operator, kind="case.alert_joined").exists()
    assert attach_new_alerts() == 0  # idempotent


def test_a_join_pulls_the_due_time_in_when_the_severity_rises(operator) -> None:
    members = linked_cluster()
    case = case_open(alerts=[alert_on(members.ids[:1], severity="low")], by=operator).case
    alert_on(members.ids[1:2], severity="critical")
    case_attach_new_alerts()
    case.refresh_from_db()
    assert (case.due_at - case.opened_at).total_seconds() < 5 * 3600


def test_opening_a_second_case_on_the_cluster_joins_the_first(operator, supervisor) -> None:
    members = linked_cluster()
    first = case_open(alerts=[alert_on(members.ids[:1])], by=operator).case
    again = case_open(alerts=[alert_on(members.ids[2:])], by=supervisor)
    assert not again.created and again.case.pk == first.pk
    assert Case.objects.count() == 1 and first.alert_rows.count() == 2


def test_the_database_refuses_a_second_open_case_on_a_cluster(operator) -> None:
    from django.db import IntegrityError, transaction

    members = linked_cluster()
    case = case_open(alerts=[alert_on(members.ids[:1])], by=operator).case
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(
            title="twin",
            cluster=members.cluster,
            severity="low",
            severity_rank=1,
            opened_by=operator,
            due_at=case.due_at,
        )


def test_decided_alerts_and_alerts_of_closed_cases_stay_where_they_are(operator) -> None:
    members = linked_cluster()
    case = case_open(alerts=[alert_on(members.ids[:1])], by=operator).case
    dismissed = alert_on(members.ids[1:2])
    alert_dismiss(alert=dismissed, by=operator, reason="fp_market_maker")
    case_attach_new_alerts()
    dismissed.refresh_from_db()
    assert dismissed.status == AlertStatus.DISMISSED

    case_move(case=case, to=Status.INVESTIGATING, by=operator)
    case_move(case=case, to=Status.CLOSED, by=operator, outcome=Outcome.NO_ACTION)
    after = alert_on(members.ids[2:])
    assert case_attach_new_alerts() == 0
    after.refresh_from_db()
    assert after.status == AlertStatus.NEW


def test_alerts_on_unclustered_accounts_join_the_case_naming_those_accounts(operator) -> None:
    lone = ExchangeAccountFactory.create()
    case = case_open(alerts=[alert_on([lone.account_id])], by=operator).case
    assert case.cluster is None
    other = alert_on([lone.account_id, "U-not-loaded"])
    assert case_attach_new_alerts() == 1
    other.refresh_from_db()
    assert other.case_ref == case.ref
    assert "U-not-loaded" in case.account_rows.values_list("account_id", flat=True)


def test_unrelated_alerts_do_not_join(operator) -> None:
    members, others = linked_cluster("C1"), linked_cluster("C2")
    case_open(alerts=[alert_on(members.ids[:1])], by=operator)
    stranger = alert_on(others.ids[:1])
    assert case_attach_new_alerts() == 0
    stranger.refresh_from_db()
    assert stranger.status == AlertStatus.NEW
