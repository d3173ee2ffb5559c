from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import override_settings

from apps.actions import services
from apps.actions.measures import Measure, Scope
from apps.actions.models import Action
from apps.actions.policy import approval_required
from apps.actions.sandbox.models import SandboxCall, SandboxRestriction
from tests.actions.conftest import request_one
from tests.factories import ControlClusterFactory, ExchangeAccountFactory

pytestmark = pytest.mark.django_db


def test_a_freeze_waits_for_a_supervisor_and_touches_nothing_until_approved(
    operator, supervisor, run_on_commit
) -> None:
    with run_on_commit():
        freeze = request_one(operator)
    assert freeze.status == Action.Status.AWAITING_APPROVAL
    assert freeze.requires_approval and freeze.approval_deadline is not None
    assert SandboxCall.objects.count() == 0 and freeze.attempt_log.count() == 0

    with run_on_commit():
        services.action_approve(action=freeze, by=supervisor)
    freeze.refresh_from_db()
    assert freeze.status == Action.Status.EXECUTED and freeze.approved_by == supervisor
    assert SandboxRestriction.objects.get(pk=freeze.reference).measure == "freeze"
    assert freeze.restriction.status == "active"


def test_a_supervisor_cannot_approve_their_own_freeze(supervisor) -> None:
    freeze = request_one(supervisor)
    with pytest.raises(services.ActionError, match="another supervisor must approve"):
        services.action_approve(action=freeze, by=supervisor)
    freeze.refresh_from_db()
    assert freeze.status == Action.Status.AWAITING_APPROVAL and freeze.approved_by is None


def test_the_database_refuses_an_approver_who_is_the_requester_even_from_raw_sql(
    supervisor,
) -> None:
    freeze = request_one(supervisor)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE actions_action SET approved_by_id = requested_by_id, status = 'approved' "
            "WHERE id = %s",
            [freeze.pk],
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Action.objects.filter(pk=freeze.pk).update(approved_by=supervisor)


def test_the_database_refuses_a_floor_measure_marked_approval_free(operator) -> None:
    trading_ban = request_one(operator, Measure.TRADING_BAN)
    assert not trading_ban.requires_approval
    with pytest.raises(IntegrityError), transaction.atomic():
        Action.objects.filter(pk=trading_ban.pk).update(measure=Measure.FREEZE)


def test_the_database_refuses_an_approval_step_skipped_from_the_shell(operator) -> None:
    freeze = request_one(operator)
    with pytest.raises(IntegrityError), transaction.atomic():
        Action.objects.filter(pk=freeze.pk).update(status=Action.Status.APPROVED)


def test_an_operator_cannot_approve_or_reject(operator) -> None:
    other = request_one(operator)
    colleague = type(operator).objects.create_user("nikhil")
    colleague.groups.add(*operator.groups.all())
    for attempt in (
        lambda: services.action_approve(action=other, by=colleague),
        lambda: services.action_reject(action=other, by=colleague, reason="no"),
    ):
        with pytest.raises(services.ActionError, match="Only a supervisor"):
            attempt()


def test_a_rejection_carries_its_reason(operator, supervisor) -> None:
    freeze = request_one(operator)
    with pytest.raises(services.ActionError, match="Say why"):
        services.action_reject(action=freeze, by=supervisor, reason="  ")
    services.action_reject(action=freeze, by=supervisor, reason="Evidence is one trade only")
    freeze.refresh_from_db()
    assert freeze.status == Action.Status.REJECTED
    assert freeze.rejection_reason == "Evidence is one trade only"
    with pytest.raises(IntegrityError), transaction.atomic():
        Action.objects.filter(pk=freeze.pk).update(rejection_reason="")


def test_a_second_approval_of_a_decided_request_is_refused_with_who_decided(
    operator, supervisor, second_supervisor
) -> None:
    freeze = request_one(operator)
    services.action_approve(action=freeze, by=supervisor)
    services.action_approve(action=freeze, by=supervisor)  # the same click twice: no error
    with pytest.raises(services.ActionError, match="already approved, queued by Sam"):
        services.action_approve(action=freeze, by=second_supervisor)


def test_approval_free_measures_go_straight_to_the_exchange(operator, run_on_commit) -> None:
    with run_on_commit():
        limit = request_one(operator, Measure.LEVERAGE_CAP, params={"max_leverage": 5})
    limit.refresh_from_db()
    assert not limit.requires_approval and limit.approved_by is None
    assert limit.status == Action.Status.EXECUTED
    assert SandboxRestriction.objects.get(pk=limit.reference).params == {"max_leverage": 5}


@pytest.mark.parametrize(
    ("measure", "scope", "needs"),
    [
        (Measure.FREEZE, Scope.ACCOUNT, True),
        (Measure.LIQUIDATE, Scope.ACCOUNT_SYMBOL, True),
        (Measure.CLOSE_ONLY, Scope.SYMBOL, True),
        (Measure.FREQUENCY_LIMIT, Scope.PLATFORM, True),
        (Measure.CLOSE_ONLY, Scope.ACCOUNT, False),
        (Measure.TRADING_BAN, Scope.ACCOUNT_SYMBOL, False),
    ],
)
def test_the_approval_floor(measure, scope, needs) -> None:
    assert approval_required(measure=measure, scope=scope) is needs


def test_the_policy_can_be_raised_but_never_lowered() -> None:
    with override_settings(RISKDESK_APPROVAL_EXTRA_MEASURES=["trading_ban"]):
        assert approval_required(measure=Measure.TRADING_BAN, scope=Scope.ACCOUNT)
        assert approval_required(
            measure=Measure.LIFT, scope=Scope.ACCOUNT, lifted_measure="trading_ban"
        )
        assert approval_required(measure=Measure.FREEZE, scope=Scope.ACCOUNT)
    with override_settings(RISKDESK_APPROVAL_EXTRA_MEASURES=[]):
        assert approval_required(measure=Measure.FREEZE, scope=Scope.ACCOUNT)
        assert approval_required(measure=Measure.LIFT, scope=Scope.ACCOUNT, lifted_measure="freeze")


def test_lifting_a_freeze_needs_approval_too(
    operator, supervisor, second_supervisor, run_on_commit
) -> None:
    with run_on_commit():
        freeze = request_one(operator)
        services.action_approve(action=freeze, by=supervisor)
    (lift,) = services.action_request(
        by=operator,
        measure=Measure.LIFT,
        scope=Scope.ACCOUNT,
        lifts=freeze,
        reason_code="resolved",
        customer_text="The review is finished.",
    )
    assert lift.requires_approval and lift.lifted_measure == "freeze"
    with run_on_commit():
        services.action_approve(action=lift, by=second_supervisor)
    freeze.refresh_from_db()
    assert freeze.status == Action.Status.LIFTED
    assert freeze.restriction.status == "lifted" and freeze.restriction.lifted_by == lift
    assert SandboxRestriction.objects.get(pk=freeze.reference).status == "lifted"


def test_params_are_checked_exactly_with_clear_messages(operator) -> None:
    account = ExchangeAccountFactory()
    cases: list[tuple[dict, str]] = [
        ({"max_leverage": 2.5}, "must be a whole number"),
        ({"max_leverage": True}, "must be a number"),
        ({}, "needs “max_leverage”"),
        ({"max_leverage": 5, "max_orders": 3}, "“max_orders” is not a param of leverage_cap"),
        ({"max_leverage": 500}, "between 1 and 125"),
    ]
    for params, message in cases:
        with pytest.raises(services.ActionError, match=message):
            services.action_request(
                by=operator,
                measure=Measure.LEVERAGE_CAP,
                scope=Scope.ACCOUNT,
                account_ids=[str(account.account_id)],
                params=params,
                reason_code="other",
                customer_text="Leverage is limited on your account.",
            )
    assert not Action.objects.exists()


def test_a_whole_cluster_is_requested_at_once_and_approved_in_one_decision(
    operator, supervisor, run_on_commit
) -> None:
    cluster = ControlClusterFactory(size=4)
    members: list[Any] = [ExchangeAccountFactory(cluster=cluster) for _ in range(4)]
    with run_on_commit():
        actions = services.action_request(
            by=operator,
            measure=Measure.FREEZE,
            scope=Scope.ACCOUNT,
            account_ids=[m.account_id for m in members],
            reason_code="linked_accounts",
            customer_text="Your account is under review.",
        )
    assert len({a.batch for a in actions}) == 1 and actions[0].batch is not None
    assert Action.history.filter(history_type="+").count() == 4
    with run_on_commit():
        services.batch_approve(batch=actions[0].batch, by=supervisor)
    assert Action.objects.filter(status=Action.Status.EXECUTED).count() == 4
    assert SandboxRestriction.objects.filter(measure="freeze").count() == 4


def test_unanswered_requests_expire_on_the_scan(operator, supervisor) -> None:
    freeze = request_one(operator)
    assert services.actions_expire_unanswered() == 0
    assert freeze.approval_deadline is not None
    later = freeze.approval_deadline + timedelta(seconds=1)
    assert services.actions_expire_unanswered(now=later) == 1
    freeze.refresh_from_db()
    assert freeze.status == Action.Status.EXPIRED
    with pytest.raises(services.ActionError, match="already expired"):
        services.action_approve(action=freeze, by=supervisor)
