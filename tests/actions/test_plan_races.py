"""Two people deciding one activation at once, on real PostgreSQL locks: one decision wins,
each measure is approved once and reaches the exchange once, nobody deadlocks."""

import threading
from typing import Any

import pytest
from django.db import connection

from apps.actions import services
from apps.actions.models import Action
from apps.actions.plans.models import PlanActivation
from apps.actions.plans.services import activation_approve, activation_request
from apps.actions.sandbox.models import SandboxCall
from tests.actions.plans_helpers import CASCADE, seeded_plans


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_page_and_the_inbox_approving_at_once_make_one_decision(
    operator, supervisor, second_supervisor
) -> None:
    plan = seeded_plans(supervisor)[CASCADE]
    activation = activation_request(by=operator, plan=plan, symbol="BTCUSDT")
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def decide(person: Any, way: str) -> None:
        try:
            barrier.wait()
            if way == "page":
                activation_approve(activation=activation, by=person)
            else:
                services.batch_approve(batch=activation.batch, by=person)
            outcomes[way] = "approved"
        except services.ActionError as error:
            outcomes[way] = str(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(supervisor, "page")),
        threading.Thread(target=decide, args=(second_supervisor, "inbox")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(outcomes) == 2 and "approved" in outcomes.values(), outcomes
    placed = list(Action.objects.filter(batch=activation.batch))
    assert {a.status for a in placed} == {Action.Status.EXECUTED}
    assert len({a.approved_by_id for a in placed}) == 1  # one decision, not a mix
    activation.refresh_from_db()
    assert activation.status == PlanActivation.Status.ACTIVE
    assert activation.approved_by_id == placed[0].approved_by_id
    for action in placed:
        assert SandboxCall.objects.filter(key=action.reference, changed_state=True).count() == 1
        assert Action.history.filter(id=action.pk, status=Action.Status.APPROVED).count() == 1
