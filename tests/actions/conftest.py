from collections.abc import Callable
from typing import Any

import pytest

from apps.actions import services
from apps.actions.measures import Measure, ReasonCode, Scope
from apps.actions.models import Action
from apps.people.models import User
from tests.factories import ExchangeAccountFactory, make_person


@pytest.fixture
def second_supervisor(db: None) -> User:
    return make_person("vera", "supervisor")


@pytest.fixture
def account(db: None):
    return ExchangeAccountFactory(account_id="U777001")


def request_one(by: User, measure: str = Measure.FREEZE, **fields: Any) -> Action:
    fields.setdefault("scope", Scope.ACCOUNT)
    if fields["scope"] in (Scope.ACCOUNT, Scope.ACCOUNT_SYMBOL) and "account_ids" not in fields:
        fields["account_ids"] = [ExchangeAccountFactory().account_id]
    fields.setdefault("reason_code", ReasonCode.SELF_TRADE)
    fields.setdefault("customer_text", "Your account is under review for unusual trading.")
    (action,) = services.action_request(by=by, measure=measure, **fields)
    return action


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """What is handed to the real alerts pipeline (which stores it in-process here, as
    the console does without Redis), recorded on the way through."""
    from apps.alerts import pipeline

    sent: list[dict] = []
    real = pipeline.publish

    def publish(payloads: list[dict]) -> None:
        sent.extend(payloads)
        real(payloads)

    monkeypatch.setattr(pipeline, "publish", publish)
    return sent


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks: Callable) -> Callable:
    """Run what services queue after commit (the eager Celery tasks) inside the test."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def action_for_the_walk(account: Any) -> Action:
    """A waiting freeze for the access matrix (tests/desk/test_access_matrix.py)."""
    requester = make_person("walk-requester", "operator")
    (action,) = services.action_request(
        by=requester,
        measure=Measure.FREEZE,
        scope=Scope.ACCOUNT,
        account_ids=[account.account_id],
        reason_code=ReasonCode.OTHER,
        customer_text="Under review.",
    )
    return action


def plan_for_the_walk() -> tuple[Any, Any]:
    """A plan and a waiting activation of it for the access matrix."""
    from apps.actions.plans.models import EmergencyPlan
    from apps.actions.plans.services import activation_request
    from tests.actions.plans_helpers import seeded_plans

    seeded_plans(make_person("walk-planner", "supervisor"))
    plan = EmergencyPlan.objects.get(key="extreme-move", is_current=True)
    activation = activation_request(
        by=make_person("walk-activator", "operator"), plan=plan, symbol="BTCUSDT"
    )
    return plan, activation
