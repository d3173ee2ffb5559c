"""A case's "awaiting approval" and "actioned" follow its measures and nothing else: no hand
move reaches them, and what its measures say decides them."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.actions import services
from apps.actions.measures import Measure
from apps.cases.models import Outcome
from apps.cases.models import Status as CaseStatus
from apps.cases.services import CaseError, case_move
from tests.actions.test_case_link import freeze_for, opened

pytestmark = pytest.mark.django_db

BY_MEASURES = [CaseStatus.AWAITING_APPROVAL, CaseStatus.ACTIONED]


@pytest.mark.parametrize("to", BY_MEASURES)
def test_a_case_is_never_moved_to_a_measure_status_by_hand(operator, to) -> None:
    case, _, _ = opened(operator, size=1)
    case = case_move(case=case, to=CaseStatus.INVESTIGATING, by=operator)
    with pytest.raises(CaseError, match="follows its measures"):
        case_move(case=case, to=to, by=operator)
    client = Client()
    client.force_login(operator)
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert to not in dict(page.context["moves"])
    response = client.post(reverse("cases:move", args=[case.pk]), {"to": to}, follow=True)
    assert "follows its measures" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.INVESTIGATING


def test_a_case_with_no_executed_measure_cannot_be_closed_as_restricted(operator) -> None:
    case, _, _ = opened(operator, size=1)
    case = case_move(case=case, to=CaseStatus.INVESTIGATING, by=operator)
    with pytest.raises(CaseError):
        case_move(case=case, to=CaseStatus.ACTIONED, by=operator)
    with pytest.raises(CaseError, match="once the measure has been actioned"):
        case_move(case=case, to=CaseStatus.CLOSED, by=operator, outcome=Outcome.RESTRICTED)
    case.refresh_from_db()
    assert (case.status, case.outcome) == (CaseStatus.INVESTIGATING, "")


def test_a_waiting_case_is_not_sent_back_to_investigation_by_hand(operator) -> None:
    case, _, _ = opened(operator, size=1)
    freeze_for(case, operator)
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_APPROVAL
    with pytest.raises(CaseError, match="follows its measures"):
        case_move(case=case, to=CaseStatus.INVESTIGATING, by=operator)
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_APPROVAL


def test_a_case_waits_while_its_freeze_waits_even_after_a_ban_executes(
    operator, supervisor, run_on_commit
) -> None:
    case, _, _ = opened(operator, size=1)
    (freeze,) = freeze_for(case, operator)
    with run_on_commit():
        (ban,) = freeze_for(case, operator, measure=Measure.TRADING_BAN)
    ban.refresh_from_db()
    assert ban.status == ban.Status.EXECUTED
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_APPROVAL

    with run_on_commit():
        services.action_approve(action=freeze, by=supervisor)
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIONED


def test_a_rejected_freeze_leaves_a_case_actioned_by_its_executed_ban(
    operator, supervisor, run_on_commit
) -> None:
    case, _, _ = opened(operator, size=1)
    (freeze,) = freeze_for(case, operator)
    with run_on_commit():
        freeze_for(case, operator, measure=Measure.TRADING_BAN)
    services.action_reject(action=freeze, by=supervisor, reason="the ban is enough")
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIONED
