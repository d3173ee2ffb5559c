"""Real workers on Redis and real locking on PostgreSQL."""

import threading
from typing import Any

import pytest
import redis
from django.db import connection

from apps.actions import services, tasks
from apps.actions.measures import Measure
from apps.actions.models import Action, ActionAttempt, Restriction
from apps.actions.sandbox.exchange import order_fault
from apps.actions.sandbox.models import SandboxCall, SandboxRestriction
from tests.actions.conftest import request_one
from tests.actions.workers import celery_on_redis, kill_hard, start_worker, stop, wait_for

Outcome = ActionAttempt.Outcome


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_call_leads_to_a_retry_and_one_effect(operator, redis_url) -> None:
    redis.Redis.from_url(redis_url).flushdb()
    # The exchange applies the call, then takes its time answering: the worker dies waiting.
    order_fault("hang_after", seconds=30)
    env = {"RISKDESK_ACTION_LEASE_SECONDS": "2", "RISKDESK_GATEWAY_TIMEOUT": "20"}
    first = start_worker("doomed", redis_url, env=env)
    second = None
    try:
        with celery_on_redis(redis_url):
            ban = request_one(operator, Measure.TRADING_BAN)
            wait_for(lambda: SandboxCall.objects.filter(key=ban.reference).exists())
            kill_hard(first)  # SIGKILL mid-call: no answer recorded, message unacked
            ban.refresh_from_db()
            assert ban.status == Action.Status.EXECUTING
            assert list(ban.attempt_log.values_list("outcome", flat=True)) == [Outcome.PENDING]

            second = start_worker("heir", redis_url, env=env)
            # The periodic scan finds the claim whose lease ran out and hands it on.
            wait_for(
                lambda: (
                    tasks.run_action_timers.delay()
                    and Action.objects.get(pk=ban.pk).status == Action.Status.EXECUTED
                ),
                timeout=40,
                every=1.0,
            )
    finally:
        kill_hard(first)
        if second is not None:
            stop(second)
    ban.refresh_from_db()
    assert list(ban.attempt_log.order_by("number").values_list("outcome", "status_code")) == [
        (Outcome.ABANDONED, None),
        (Outcome.OK, 200),
    ]
    calls = SandboxCall.objects.filter(key=ban.reference)
    assert calls.count() == 2 and calls.filter(changed_state=True).count() == 1
    assert SandboxRestriction.objects.filter(pk=ban.reference).count() == 1
    assert Restriction.objects.filter(action=ban).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_supervisors_approving_at_once_make_one_approval_and_one_execution(
    operator, supervisor, second_supervisor
) -> None:
    freeze = request_one(operator)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def approve(person: Any) -> None:
        try:
            barrier.wait()
            services.action_approve(action=freeze, by=person)
            outcomes[person.username] = "approved"
        except services.ActionError as error:
            outcomes[person.username] = str(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(p,)) for p in (supervisor, second_supervisor)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(outcomes) == 2 and list(outcomes.values()).count("approved") == 1
    (refused,) = [outcome for outcome in outcomes.values() if outcome != "approved"]
    # The loser is refused because the action is already decided; whether the winner's
    # execution has moved it on to executing or executed by then is the race, not the rule.
    assert refused.startswith(f"{freeze.reference} is already ")
    freeze.refresh_from_db()
    assert freeze.status == Action.Status.EXECUTED
    assert freeze.approved_by is not None
    assert outcomes[freeze.approved_by.username] == "approved"
    assert freeze.attempt_log.count() == 1
    assert SandboxCall.objects.filter(key=freeze.reference).count() == 1
    assert Action.history.filter(id=freeze.pk, status=Action.Status.APPROVED).count() == 1
