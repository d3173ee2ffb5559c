"""Escalations reach someone above: the person who raised one never answers it for them."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.cases.models import Escalation
from apps.cases.services import CaseError, case_escalate, case_open, escalation_acknowledge
from tests.cases.helpers import alert_on, linked_cluster
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def test_a_supervisor_cannot_acknowledge_their_own_escalation(supervisor) -> None:
    members = linked_cluster(key="C-own")
    case = case_open(alerts=[alert_on(members.ids[:1])], by=supervisor).case
    escalation = case_escalate(case=case, by=supervisor, target="supervisor", reason="look")

    with pytest.raises(CaseError, match="You raised this escalation"):
        escalation_acknowledge(escalation=escalation, by=supervisor)

    escalation.refresh_from_db()
    assert escalation.state == Escalation.State.OPEN and escalation.acknowledged_by is None


def test_another_supervisor_acknowledges_an_escalation_a_supervisor_raised(supervisor) -> None:
    members = linked_cluster(key="C-other")
    case = case_open(alerts=[alert_on(members.ids[:1])], by=supervisor).case
    escalation = case_escalate(case=case, by=supervisor, target="supervisor", reason="look")
    other = make_person("vera", "supervisor")

    escalation = escalation_acknowledge(escalation=escalation, by=other)

    assert escalation.state == Escalation.State.ACKNOWLEDGED and escalation.acknowledged_by == other


def test_the_inbox_says_why_a_supervisor_cannot_acknowledge_their_own_escalation(
    supervisor,
) -> None:
    members = linked_cluster(key="C-page")
    case = case_open(alerts=[alert_on(members.ids[:1])], by=supervisor).case
    escalation = case_escalate(case=case, by=supervisor, target="supervisor", reason="look")
    client = Client()
    client.force_login(supervisor)

    response = client.post(reverse("cases:acknowledge", args=[escalation.pk]), follow=True)

    assert "You raised this escalation" in response.content.decode()
    escalation.refresh_from_db()
    assert escalation.state == Escalation.State.OPEN
