"""The exchange misbehaving, one fault after the other, against the real `actions` worker
and the sandbox exchange served over HTTP by its own process: a 5xx, a timeout, an answer
that never comes back, a 4xx, and a PUT that lands after the lift. Each measure is applied
on the exchange exactly once (or, refused, never), and a lifted one stays lifted."""

import time

from django.db import transaction

from apps.actions import services
from apps.actions.measures import Measure, Scope
from apps.actions.models import Action
from apps.actions.sandbox.exchange import order_fault
from apps.actions.sandbox.models import SandboxCall, SandboxRestriction
from tests.actions.conftest import request_one
from tests.actions.workers import celery_on_redis
from tests.faults.stack import FAULTS, wait_for

pytestmark = FAULTS
Status = Action.Status
SETTLED = {Status.EXECUTED, Status.FAILED, Status.LIFTED}


def _settled(action: Action, timeout: float = 60) -> Action:
    wait_for(lambda: Action.objects.get(pk=action.pk).status in SETTLED, "a final state", timeout)
    action.refresh_from_db()
    return action


def _applied(action: Action) -> int:
    return SandboxCall.objects.filter(key=action.reference, changed_state=True).count()


def test_gateway_faults_apply_each_measure_once_and_a_late_put_does_not_undo_a_lift(
    private_redis, make_stack, exchange, operator
) -> None:
    env = {"RISKDESK_GATEWAY_TIMEOUT": "1", "RISKDESK_ACTION_LEASE_SECONDS": "3", **exchange}
    stack = make_stack(**env)
    stack.start("actions")
    report: dict[str, str] = {}
    with celery_on_redis(private_redis.url):
        for fault, order in {
            "5xx twice": ("unavailable", 2, 0.0),
            "timeout": ("hang_before", 1, 4.0),
            "dropped answer": ("hang_after", 1, 4.0),
        }.items():
            kind, count, seconds = order
            order_fault(kind, count=count, seconds=seconds)
            ban = _settled(request_one(operator, Measure.TRADING_BAN))
            time.sleep(seconds + 0.5)  # a held call lands in the meantime
            outcomes = list(ban.attempt_log.values_list("outcome", flat=True))
            report[fault] = f"{ban.status} after {outcomes}, applied {_applied(ban)}"
            assert ban.status == Status.EXECUTED and _applied(ban) == 1, report[fault]

        # A 4xx: params the exchange refuses (changed behind the desk's checks).
        with transaction.atomic():
            cap = request_one(operator, Measure.LEVERAGE_CAP, params={"max_leverage": 5})
            Action.objects.filter(pk=cap.pk).update(params={"max_leverage": 2.5})
        cap = _settled(cap)
        report["4xx"] = f"{cap.status}: {cap.failure_message}, applied {_applied(cap)}"
        assert cap.status == Status.FAILED and cap.attempt_log.count() == 1, report["4xx"]
        assert "must be an integer" in cap.failure_message and _applied(cap) == 0

        # The first PUT is held by the exchange past the desk's timeout; the retry applies
        # it; the measure is lifted; then the held PUT lands.
        order_fault("hang_before", count=1, seconds=6)
        ban = _settled(request_one(operator, Measure.TRADING_BAN))
        (lift,) = services.action_request(
            by=operator, measure=Measure.LIFT, scope=Scope.ACCOUNT, lifts=ban,
            reason_code="resolved", customer_text="The review is over.",
        )  # fmt: skip
        _settled(lift)
        wait_for(lambda: SandboxCall.objects.filter(fault="hang_before", key=ban.reference)
                 .exists(), "the held PUT to land", 20)  # fmt: skip
        time.sleep(2 * 1 + 3 + 1)  # the lift-again window: 2 x timeout + lease
        row = SandboxRestriction.objects.get(pk=ban.reference)
        puts = SandboxCall.objects.filter(key=ban.reference, method="PUT")
        report["late PUT after a lift"] = (
            f"exchange says {row.status}; PUTs {puts.count()}, applied "
            f"{puts.filter(changed_state=True).count()}"
        )
        assert row.status == "lifted", report["late PUT after a lift"]
        assert puts.filter(changed_state=True).count() == 1
    print("\ngateway faults (applied = changes on the exchange; doubled = 0 each):")
    for fault, line in report.items():
        print(f"  {fault:24} {line}")
