"""The case pages end to end through the test client: open, note with a mention,
escalate, acknowledge in the inbox."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.alerts.models import Status as AlertStatus
from apps.cases.models import Case, Escalation, EventKind
from apps.notifications.models import Notification
from tests.cases.helpers import alert_on, linked_cluster

pytestmark = pytest.mark.django_db


def test_open_note_escalate_acknowledge(client: Client, operator, supervisor) -> None:
    members = linked_cluster()
    first, second = alert_on(members.ids[:2]), alert_on(members.ids[1:])
    client.force_login(operator)
    picker = client.get(reverse("cases:new") + f"?alert={first.pk}")
    assert f'value="{first.pk}" id="alert-{first.pk}" checked' in picker.content.decode()

    response = client.post(
        reverse("cases:new"), {"alert": [first.pk, second.pk], "title": "Ring of three"}
    )
    case = Case.objects.get()
    assert response["Location"] == reverse("cases:detail", args=[case.pk])

    client.post(reverse("cases:note", args=[case.pk]), {"text": "Same device. @sam please look."})
    mention = Notification.objects.get(recipient=supervisor, kind="case.mention")
    assert "olga mentioned you" in mention.title.lower()

    client.post(
        reverse("cases:escalate", args=[case.pk]),
        {"target": "supervisor", "reason": "Freeze needed tonight"},
    )
    escalation = Escalation.objects.get(case=case)

    client.force_login(supervisor)
    inbox = client.get(reverse("cases:inbox")).content.decode()
    assert "Freeze needed tonight" in inbox and "Acknowledge" in inbox
    client.post(reverse("cases:acknowledge", args=[escalation.pk]))
    client.post(reverse("cases:reply", args=[escalation.pk]), {"text": "On it."})
    escalation.refresh_from_db()
    assert escalation.state == Escalation.State.ACKNOWLEDGED

    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == [
        EventKind.OPENED,
        EventKind.ALERT_JOINED,
        EventKind.ALERT_JOINED,
        EventKind.NOTE,
        EventKind.ESCALATED,
        EventKind.ESCALATION_ACK,
        EventKind.ESCALATION_REPLY,
    ]
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'class="case-graph"' in page and ">IP<" in page and ">device<" in page
    assert Notification.objects.filter(recipient=operator, kind="escalation.reply").exists()


def test_an_alert_escalated_from_its_form_leaves_the_queue(client: Client, operator) -> None:
    alert = alert_on(["U9"])
    client.force_login(operator)
    client.post(
        reverse("cases:alert_escalate", args=[alert.pk]),
        {"target": "strategy", "reason": "Rule fires on market makers"},
    )
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ESCALATED
    assert Escalation.objects.get(alert=alert).target == "strategy"


def test_an_illegal_move_is_shown_as_a_message(client: Client, operator) -> None:
    members = linked_cluster()
    client.force_login(operator)
    client.post(reverse("cases:new"), {"alert": [alert_on(members.ids[:1]).pk]})
    case = Case.objects.get()
    response = client.post(reverse("cases:move", args=[case.pk]), {"to": "closed"}, follow=True)
    assert "cannot move to closed" in response.content.decode()


def test_the_case_list_costs_the_same_queries_for_many_cases(client: Client, operator) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.cases.services import case_open

    client.force_login(operator)
    client.get(reverse("cases:list"))  # the session's idle end is written once, on a first page
    counts = []
    for n in range(8):
        members = linked_cluster(f"C-list-{n}")
        case_open(alerts=[alert_on(members.ids[:1])], by=operator)
        if n in (0, 7):
            with CaptureQueriesContext(connection) as queries:
                page = client.get(reverse("cases:list"))
            counts.append(len(queries))
    assert page.content.decode().count('data-href="/cases/') == 8
    assert counts[0] == counts[1] <= 11, counts


def _case_with_escalation(client: Client, operator) -> tuple[Case, Escalation]:
    members = linked_cluster()
    client.force_login(operator)
    client.post(reverse("cases:new"), {"alert": [alert_on(members.ids[:2]).pk], "title": "Ring"})
    case = Case.objects.get()
    client.post(
        reverse("cases:escalate", args=[case.pk]), {"target": "supervisor", "reason": "Look"}
    )
    return case, Escalation.objects.get(case=case)


def test_replying_to_an_escalation_keeps_the_supervisor_in_the_inbox(
    client: Client, operator, supervisor
) -> None:
    _, escalation = _case_with_escalation(client, operator)
    client.force_login(supervisor)
    inbox = reverse("cases:inbox")
    response = client.post(
        reverse("cases:reply", args=[escalation.pk]),
        {"text": "On it.", "next": f"{inbox}#escalation-{escalation.pk}"},
    )
    assert response["Location"] == f"{inbox}#escalation-{escalation.pk}"


def test_a_refused_reply_keeps_its_text_and_says_why_in_the_inbox(
    client: Client, operator, supervisor
) -> None:
    _, escalation = _case_with_escalation(client, operator)
    client.force_login(supervisor)
    response = client.post(reverse("cases:reply", args=[escalation.pk]), {"text": "   "})
    html = response.content.decode()
    assert response.status_code == 400 and "Write a reply." in html
    assert f'id="escalation-{escalation.pk}"' in html and f'id="reply-{escalation.pk}"' in html


def test_a_refused_note_keeps_its_text_on_the_case_page(
    client: Client, operator, supervisor
) -> None:
    case, _ = _case_with_escalation(client, operator)
    typed = "Same device as U1. " * 2000  # past the limit
    response = client.post(reverse("cases:note", args=[case.pk]), {"text": typed})
    html = response.content.decode()
    assert response.status_code == 400 and "characters" in html
    assert "Same device as U1. Same device as U1." in html and 'id="note-text"' in html
