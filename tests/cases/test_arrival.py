"""New alerts join open cases as they arrive (the alerts_arrived signal), as the task."""

import pytest

from apps.alerts.models import Alert
from apps.alerts.models import Status as AlertStatus
from apps.alerts.pipeline import publish
from apps.alerts.services import AlertError, alert_mark_in_case
from apps.cases.models import EventKind
from apps.cases.services import case_open
from apps.desk.history import acting_task
from tests.alerts.payloads import alert_payload
from tests.cases.helpers import alert_on, linked_cluster

pytestmark = pytest.mark.django_db


def test_an_alert_arriving_on_a_cluster_with_an_open_case_joins_it_without_the_beat(
    operator, django_capture_on_commit_callbacks
) -> None:
    members = linked_cluster(size=3)
    case = case_open(alerts=[alert_on(members.ids[:1])], by=operator).case

    with django_capture_on_commit_callbacks(execute=True):
        publish([alert_payload(501, accounts=[members.ids[2]])])

    arrived = Alert.objects.get(dedup_key=alert_payload(501)["dedup_key"])
    assert arrived.status == AlertStatus.IN_CASE and arrived.case_ref == case.ref
    row = arrived.history.latest()
    # The system joined it, not a borrowed operator.
    assert row.history_user is None and row.history_task == "cases.attach_new_alerts"
    joined = case.events.get(kind=EventKind.ALERT_JOINED, data__alert=arrived.pk)
    assert joined.actor is None and joined.data["automatic"]


def test_an_alert_on_no_open_case_stays_in_the_queue(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        publish([alert_payload(502, accounts=["U404404"])])
    assert Alert.objects.get().status == AlertStatus.NEW


def test_only_a_named_task_puts_an_alert_in_a_case_without_a_person() -> None:
    alert = alert_on(["U404405"])
    with pytest.raises(AlertError, match="named task"):
        alert_mark_in_case(alert=alert, by=None, case_ref="CASE-000009")
    with acting_task("cases.attach_new_alerts"):
        alert = alert_mark_in_case(alert=alert, by=None, case_ref="CASE-000009")
    assert alert.status == AlertStatus.IN_CASE
    assert alert.history.latest().history_task == "cases.attach_new_alerts"
