"""Emergency plans: versions, one-step activation as ordinary actions, one approval, the
deputy when the desk is thin, waiting never expiring, lifting all of it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.actions import services
from apps.actions.measures import Measure, Scope
from apps.actions.models import Action, Restriction
from apps.actions.plans.models import PlanActivation
from apps.actions.plans.selectors import activations_of_day, plans_for_alert
from apps.actions.plans.services import (
    activation_approve,
    activation_lift_request,
    activation_request,
    checklist_tick,
    plan_save,
)
from apps.actions.sandbox.models import SandboxRestriction
from apps.notifications.models import Notification
from tests.actions.conftest import request_one
from tests.actions.plans_helpers import CASCADE, on_duty, seeded_plans, stress_alert
from tests.factories import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def deputy(db: None):
    return make_person("dana", "operator")


def test_editing_a_plan_makes_a_new_version_and_activations_keep_theirs(
    supervisor, operator
) -> None:
    plans = seeded_plans(supervisor)
    v1 = plans["extreme-move"]
    activation = activation_request(by=operator, plan=v1, symbol="ETHUSDT")
    v2 = plan_save(
        by=supervisor,
        key=v1.key,
        name=v1.name,
        kind=v1.kind,
        measures=[{"measure": "close_only", "params": {}, "reach": "target"}],
        checklist=["Call market ops"],
        tell=["Supervisors"],
        deputy_role="operator",
        customer_text="Restricted for now.",
    )
    v1.refresh_from_db()
    assert (v1.version, v1.is_current, v2.version, v2.is_current) == (1, False, 2, True)
    activation.refresh_from_db()
    assert activation.plan_id == v1.pk
    with pytest.raises(services.ActionError, match="replaced by a newer version"):
        activation_request(by=operator, plan=v1, symbol="ETHUSDT")


def test_a_bad_plan_is_refused_with_every_reason(supervisor) -> None:
    with pytest.raises(services.ActionError) as refused:
        plan_save(
            by=supervisor,
            key="bad",
            name="Bad",
            kind="extreme_move",
            measures=[
                {"measure": "freeze", "params": {}},
                {"measure": "leverage_cap", "params": {"max_leverage": 2.5}},
                {"measure": "withdrawal_hold", "params": {}, "reach": "target"},
            ],
            checklist=[],
            tell=[],
            deputy_role="nobody",
            customer_text="x",
        )
    text = str(refused.value)
    assert "“freeze” is not a plan measure" in text
    assert "whole number" in text
    assert "Withdrawal hold is never per contract" in text
    assert "who is told" in text and "deputy role" in text


def test_activation_is_ordinary_actions_one_approval_all_executed_then_lifted(
    supervisor, operator, second_supervisor, run_on_commit
) -> None:
    on_duty(supervisor, [operator])
    plan = seeded_plans(supervisor)[CASCADE]
    alert = stress_alert()
    assert plans_for_alert(alert) == [plan]
    with run_on_commit():
        activation = activation_request(by=operator, plan=plan, symbol="BTCUSDT", alert=alert)
    placed = list(Action.objects.filter(batch=activation.batch).order_by("pk"))
    assert len(placed) == 6
    assert {a.status for a in placed} == {Action.Status.AWAITING_APPROVAL}
    assert all(a.requires_approval and a.approval_deadline is None for a in placed)
    assert [a.scope for a in placed].count(Scope.PLATFORM) == 1  # the withdrawal hold
    assert {a.symbol for a in placed if a.scope == Scope.SYMBOL} == {"BTCUSDT"}
    # A second supervisor is on duty (sam): the deputy is not paged.
    assert not Notification.objects.filter(kind="plan.page_deputy").exists()

    with run_on_commit():
        activation_approve(activation=activation, by=supervisor)
    assert set(Action.objects.filter(batch=activation.batch).values_list("status", flat=True)) == {
        Action.Status.EXECUTED
    }
    assert set(
        Action.objects.filter(batch=activation.batch).values_list("approved_by", flat=True)
    ) == {supervisor.pk}
    assert SandboxRestriction.objects.filter(status="active").count() == 6

    with run_on_commit():
        activation_lift_request(activation=activation, by=operator)
        activation_approve(activation=activation, by=second_supervisor)
    activation.refresh_from_db()
    assert activation.status == PlanActivation.Status.LIFTED
    assert SandboxRestriction.objects.filter(status="active").count() == 0
    assert Restriction.objects.filter(status="active").count() == 0
    assert activations_of_day(timezone.now().replace(hour=0, minute=0, second=0)) == [activation]


def test_the_requester_never_approves_their_own_activation(supervisor) -> None:
    plan = seeded_plans(supervisor)["mark-index-divergence"]
    activation = activation_request(by=supervisor, plan=plan, symbol="BTCUSDT")
    with pytest.raises(services.ActionError, match="another supervisor must approve"):
        activation_approve(activation=activation, by=supervisor)


def test_thin_desk_the_deputy_is_paged_and_approves(supervisor, deputy, run_on_commit) -> None:
    on_duty(supervisor)  # the requester is the only supervisor on duty
    plan = seeded_plans(supervisor)["extreme-move"]
    with run_on_commit():
        activation = activation_request(by=supervisor, plan=plan, symbol="BTCUSDT")
    activation.refresh_from_db()
    assert activation.deputy_paged_at is not None
    paged = Notification.objects.get(kind="plan.page_deputy")
    assert paged.recipient == deputy and "no second supervisor on duty" in paged.title
    with run_on_commit():
        activation_approve(activation=activation, by=deputy)
    placed = Action.objects.filter(batch=activation.batch)
    assert set(placed.values_list("status", flat=True)) == {Action.Status.EXECUTED}
    assert set(placed.values_list("approved_by", flat=True)) == {deputy.pk}


def test_the_deputy_may_not_approve_while_a_second_supervisor_is_on_duty(
    supervisor, second_supervisor, deputy
) -> None:
    on_duty(second_supervisor)
    plan = seeded_plans(supervisor)["extreme-move"]
    activation = activation_request(by=supervisor, plan=plan, symbol="BTCUSDT")
    with pytest.raises(services.ActionError, match="only while no second supervisor is on duty"):
        activation_approve(activation=activation, by=deputy)
    assert not Action.objects.filter(batch=activation.batch, approved_by=deputy).exists()


def test_an_ordinary_operator_never_approves_a_symbol_wide_request(supervisor, deputy) -> None:
    action = request_one(supervisor, Measure.CLOSE_ONLY, scope=Scope.SYMBOL, symbol="BTCUSDT")
    with pytest.raises(services.ActionError, match="Only a supervisor can approve"):
        services.action_approve(action=action, by=deputy)


def test_an_activation_waits_and_never_expires_unseen(supervisor, operator) -> None:
    plan = seeded_plans(supervisor)["extreme-move"]
    activation = activation_request(by=operator, plan=plan, symbol="BTCUSDT")
    later = timezone.now() + timedelta(days=3)
    assert services.actions_expire_unanswered(now=later) == 0
    assert set(Action.objects.filter(batch=activation.batch).values_list("status", flat=True)) == {
        Action.Status.AWAITING_APPROVAL
    }


def test_an_ordinary_symbol_wide_request_that_expires_tells_its_requester(operator) -> None:
    action = request_one(operator, Measure.CLOSE_ONLY, scope=Scope.SYMBOL, symbol="BTCUSDT")
    later = timezone.now() + timedelta(days=1)
    assert services.actions_expire_unanswered(now=later) == 1
    told = Notification.objects.get(kind="action.expired")
    assert told.recipient == operator and "nothing was applied" in told.title
    assert action.reference in told.title


def test_checklist_ticked_by_name_once(supervisor, operator) -> None:
    plan = seeded_plans(supervisor)["extreme-move"]
    activation = activation_request(by=operator, plan=plan, symbol="BTCUSDT")
    first = checklist_tick(activation=activation, step=1, by=operator)
    again = checklist_tick(activation=activation, step=1, by=supervisor)
    assert again.pk == first.pk and again.done_by == operator
    with pytest.raises(services.ActionError, match="no such step"):
        checklist_tick(activation=activation, step=99, by=operator)


def test_the_handover_lists_waiting_and_standing_activations(supervisor, operator) -> None:
    from apps.reports.collectors import plan_activations

    plan = seeded_plans(supervisor)["extreme-move"]
    activation = activation_request(by=operator, plan=plan, symbol="BTCUSDT")
    items = plan_activations(None)  # type: ignore[arg-type]
    assert [i.ref for i in items] == [f"activation:{activation.pk}"]
    assert "waiting for a second person" in items[0].title


def test_decided_from_the_inbox_one_by_one_the_activation_follows(
    supervisor, operator, run_on_commit
) -> None:
    plan = seeded_plans(supervisor)["mark-index-divergence"]  # two measures
    activation = activation_request(by=operator, plan=plan, symbol="BTCUSDT")
    first, second = Action.objects.filter(batch=activation.batch).order_by("pk")
    services.action_reject(action=first, by=supervisor, reason="gap is a stale index source")
    activation.refresh_from_db()
    assert activation.status == PlanActivation.Status.AWAITING_APPROVAL  # one still waits
    with run_on_commit():
        services.action_approve(action=second, by=supervisor)
    activation.refresh_from_db()
    assert activation.status == PlanActivation.Status.ACTIVE
    assert activation.approved_by == supervisor


def test_rejected_whole_from_the_inbox_the_activation_is_rejected(supervisor, operator) -> None:
    plan = seeded_plans(supervisor)["mark-index-divergence"]
    activation = activation_request(by=operator, plan=plan, symbol="BTCUSDT")
    services.batch_reject(batch=activation.batch, by=supervisor, reason="index feed confirmed fine")
    activation.refresh_from_db()
    assert activation.status == PlanActivation.Status.REJECTED
    assert activation.rejection_reason == "index feed confirmed fine"
