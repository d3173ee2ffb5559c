"""The gateway's faults during an activation (5xx, timeouts, dropped answers): every measure
ends executed or failed with its reason, and none is applied twice on the exchange."""

import pytest
from django.db.models import Count
from django.test import override_settings

from apps.actions.models import Action
from apps.actions.plans.services import activation_approve, activation_request
from apps.actions.sandbox.exchange import order_fault
from apps.actions.sandbox.models import SandboxCall, SandboxRestriction
from tests.actions.plans_helpers import CASCADE, seeded_plans

pytestmark = pytest.mark.django_db


def _activate(operator, supervisor, second_supervisor, run_on_commit) -> list[Action]:
    plan = seeded_plans(supervisor)[CASCADE]
    activation = activation_request(by=operator, plan=plan, symbol="BTCUSDT")
    with run_on_commit():
        activation_approve(activation=activation, by=second_supervisor)
    return list(Action.objects.filter(batch=activation.batch).order_by("pk"))


def _applied_once(placed: list[Action]) -> None:
    keys = [a.reference for a in placed]
    changes = (
        SandboxCall.objects.filter(key__in=keys, changed_state=True)
        .values("key")
        .annotate(n=Count("id"))
    )
    assert all(row["n"] == 1 for row in changes), list(changes)
    for action in placed:
        standing = SandboxRestriction.objects.filter(pk=action.reference).count()
        assert standing == (1 if action.status == Action.Status.EXECUTED else 0)


@override_settings(RISKDESK_GATEWAY_TIMEOUT=0.2, RISKDESK_ACTION_MAX_ATTEMPTS=4)
def test_mixed_faults_end_every_measure_executed_and_none_twice(
    operator, supervisor, second_supervisor, run_on_commit
) -> None:
    order_fault("unavailable", count=2)  # 5xx
    order_fault("hang_before", count=1, seconds=0.4)  # a timeout before the exchange acts
    order_fault("hang_after", count=2, seconds=0.4)  # applied, the answer dropped
    placed = _activate(operator, supervisor, second_supervisor, run_on_commit)
    assert {a.status for a in placed} == {Action.Status.EXECUTED}
    tries = sum(a.attempts for a in placed)
    assert tries >= 6 + 5  # every fault cost one more try
    _applied_once(placed)


@override_settings(RISKDESK_ACTION_MAX_ATTEMPTS=2)
def test_a_measure_that_keeps_failing_ends_failed_with_its_reason(
    operator, supervisor, second_supervisor, run_on_commit
) -> None:
    # Every first try answers 503, and the first retry too: that measure runs out of tries.
    order_fault("unavailable", count=7)
    placed = _activate(operator, supervisor, second_supervisor, run_on_commit)
    failed = [a for a in placed if a.status == Action.Status.FAILED]
    assert len(failed) == 1
    assert failed[0].failure_message.startswith("No success after 2 tries; last: 503")
    assert {a.status for a in placed if a not in failed} == {Action.Status.EXECUTED}
    _applied_once(placed)
