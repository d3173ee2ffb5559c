"""Escalating an alert is one thing wherever it starts: the queue (with htmx and without),
the alert page and the "escalate up" form each leave an escalation row, a notification and
an entry in the supervisor's inbox."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.alerts.models import Status as AlertStatus
from apps.cases import selectors
from apps.cases.models import Escalation, Target
from apps.notifications.models import Notification
from tests.alerts.payloads import stored_alert

pytestmark = pytest.mark.django_db


def _queue_escalate(client: Client, alert_id: int, htmx: bool) -> None:
    headers = {"HX-Request": "true"} if htmx else {}
    client.post(
        reverse("alerts:act"),
        {"action": "escalate", "ids": [alert_id], "note": "Looks like a ring"},
        headers=headers,
    )


def _page_escalate(client: Client, alert_id: int, htmx: bool) -> None:
    client.post(
        reverse("alerts:detail_act", args=[alert_id]),
        {"action": "escalate", "note": "Looks like a ring"},
    )


def _escalate_up(client: Client, alert_id: int, htmx: bool) -> None:
    client.post(
        reverse("cases:alert_escalate", args=[alert_id]),
        {"target": "supervisor", "reason": "Looks like a ring"},
    )


@pytest.mark.parametrize(
    ("start", "htmx"),
    [
        (_queue_escalate, False),
        (_queue_escalate, True),
        (_page_escalate, False),
        (_escalate_up, False),
    ],
    ids=["queue", "queue-htmx", "alert-page", "escalate-up"],
)
def test_an_alert_escalated_from_anywhere_reaches_the_supervisor(
    start, htmx: bool, operator, supervisor
) -> None:
    alert = stored_alert()
    client = Client()
    client.force_login(operator)
    start(client, alert.pk, htmx)

    alert.refresh_from_db()
    assert alert.status == AlertStatus.ESCALATED
    escalation = Escalation.objects.get(alert=alert)
    assert (escalation.target, escalation.raised_by, escalation.reason) == (
        Target.SUPERVISOR,
        operator,
        "Looks like a ring",
    )
    note = Notification.objects.get(recipient=supervisor, kind="escalation")
    assert f"alert {alert.pk} escalated to the supervisor" in note.title
    assert list(selectors.inbox(supervisor)) == [escalation]


@pytest.mark.parametrize("where", ["queue", "alert-page"])
def test_an_escalation_without_a_reason_is_refused_and_leaves_the_alert_open(
    where: str, operator, supervisor
) -> None:
    alert = stored_alert()
    client = Client()
    client.force_login(operator)
    if where == "queue":
        response = client.post(
            reverse("alerts:act"),
            {"action": "escalate", "ids": [alert.pk], "note": " "},
            headers={"HX-Request": "true"},
        )
    else:
        response = client.post(
            reverse("alerts:detail_act", args=[alert.pk]),
            {"action": "escalate", "note": ""},
            follow=True,
        )
    assert "Say why you escalate." in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.NEW
    assert not Escalation.objects.exists()
    assert not Notification.objects.filter(kind="escalation").exists()
