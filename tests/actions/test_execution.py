"""Execution through the embedded sandbox: retries, permanent refusals, the claim's fencing."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.actions import selectors, services
from apps.actions.gateway import Reply
from apps.actions.measures import Measure, Scope
from apps.actions.models import Action, ActionAttempt, Restriction
from apps.actions.sandbox.exchange import order_fault
from apps.actions.sandbox.models import SandboxCall, SandboxPosition, SandboxRestriction
from apps.desk.models import AuditEntry
from tests.actions.conftest import request_one
from tests.factories import ExchangeAccountFactory

pytestmark = pytest.mark.django_db
Outcome = ActionAttempt.Outcome


def outcomes(action: Action) -> list[str]:
    return list(action.attempt_log.order_by("number").values_list("outcome", flat=True))


def test_5xx_answers_are_retried_under_the_same_id_until_it_works(operator, run_on_commit) -> None:
    order_fault("unavailable", count=2)
    with run_on_commit():
        ban = request_one(operator, Measure.TRADING_BAN)
    ban.refresh_from_db()
    assert ban.status == Action.Status.EXECUTED
    assert outcomes(ban) == [Outcome.TRANSIENT, Outcome.TRANSIENT, Outcome.OK]
    assert set(ban.attempt_log.values_list("path", flat=True)) == {f"/restrictions/{ban.reference}"}
    assert [a.status_code for a in ban.attempt_log.all()] == [503, 503, 201]
    assert SandboxRestriction.objects.filter(pk=ban.reference).count() == 1


@override_settings(RISKDESK_GATEWAY_TIMEOUT=0.2)
def test_a_timeout_is_retried_and_the_late_effect_is_not_doubled(operator, run_on_commit) -> None:
    # The exchange applies the first call but its answer comes too late.
    order_fault("hang_after", count=1, seconds=0.5)
    with run_on_commit():
        ban = request_one(operator, Measure.SUSPEND_OPEN)
    ban.refresh_from_db()
    assert ban.status == Action.Status.EXECUTED
    assert outcomes(ban) == [Outcome.TRANSIENT, Outcome.OK]
    first = ban.attempt_log.get(number=1)
    assert first.status_code is None and "timed out" in first.error
    calls = SandboxCall.objects.filter(key=ban.reference)
    assert calls.count() == 2 and calls.filter(changed_state=True).count() == 1


@override_settings(RISKDESK_ACTION_MAX_ATTEMPTS=3)
def test_after_the_last_try_the_action_fails_and_supervisors_see_it(
    operator, run_on_commit
) -> None:
    order_fault("unavailable", count=5)
    with run_on_commit():
        ban = request_one(operator, Measure.TRADING_BAN)
    ban.refresh_from_db()
    assert ban.status == Action.Status.FAILED
    assert outcomes(ban) == [Outcome.TRANSIENT, Outcome.TRANSIENT, Outcome.GAVE_UP]
    assert "No success after 3 tries" in ban.failure_message
    assert ban in selectors.recent_failures()


def test_a_4xx_fails_at_once_with_the_exchanges_message(operator, run_on_commit) -> None:
    cap = request_one(operator, Measure.LEVERAGE_CAP, params={"max_leverage": 5})
    # Params changed behind the desk's checks (say, by hand in the database): the exchange
    # refuses them, and the desk says what it said.
    Action.objects.filter(pk=cap.pk).update(params={"max_leverage": 2.5})
    with run_on_commit():
        services.action_execute(cap.pk)
    cap.refresh_from_db()
    assert cap.status == Action.Status.FAILED
    assert outcomes(cap) == [Outcome.PERMANENT]
    assert cap.failure_message == (
        "The exchange refused it: 400: params.max_leverage must be an integer."
    )
    assert not Restriction.objects.exists()


def test_a_supervisor_can_send_a_failed_action_again(operator, supervisor, run_on_commit) -> None:
    order_fault("unavailable", count=99)
    with override_settings(RISKDESK_ACTION_MAX_ATTEMPTS=1), run_on_commit():
        ban = request_one(operator, Measure.TRADING_BAN)
    ban.refresh_from_db()
    assert ban.status == Action.Status.FAILED
    SandboxCall.objects.all().delete()
    from apps.actions.sandbox.models import SandboxFault

    SandboxFault.objects.all().delete()
    with pytest.raises(services.ActionError):
        services.action_retry(action=ban, by=operator)
    with run_on_commit():
        services.action_retry(action=ban, by=supervisor)
    ban.refresh_from_db()
    assert ban.status == Action.Status.EXECUTED and ban.attempts == 2


def test_a_worker_whose_lease_ran_out_is_fenced_out(operator, settings) -> None:
    ban = request_one(operator, Measure.CLOSE_ONLY)
    lost = services.execution_claim(action_id=ban.pk)
    assert lost is not None
    assert services.execution_claim(action_id=ban.pk) is None  # the lease still holds
    Action.objects.filter(pk=ban.pk).update(lease_until=ban.requested_at)
    again = services.execution_claim(action_id=ban.pk)
    assert again is not None and again.token != lost.token
    assert ActionAttempt.objects.get(pk=lost.attempt_id).outcome == Outcome.ABANDONED
    abandoned = ActionAttempt.history.filter(id=lost.attempt_id).latest()
    assert abandoned.outcome == Outcome.ABANDONED  # in the history, and so in the audit chain
    assert AuditEntry.objects.filter(
        model="actions.actionattempt", object_id=str(lost.attempt_id), history_id=abandoned.pk
    ).exists()

    services.execution_record(
        claim=again,
        reply=Reply(
            201,
            {"id": ban.reference, "status": "active", "applied_at": "2026-11-21T00:00:00+00:00"},
        ),
    )
    late = services.execution_record(claim=lost, reply=Reply(200, {"id": ban.reference}))
    assert late.status == Action.Status.EXECUTED
    assert ActionAttempt.objects.get(pk=lost.attempt_id).outcome == Outcome.SUPERSEDED
    assert Restriction.objects.filter(action=ban).count() == 1


def test_a_liquidation_closes_positions_once_under_its_idempotency_key(
    operator, supervisor, run_on_commit
) -> None:
    account: Any = ExchangeAccountFactory()
    SandboxPosition.objects.create(
        account_id=account.account_id, symbol="BTCUSDT", qty=3, entry_price=60000, mark_price=59000
    )
    SandboxPosition.objects.create(
        account_id=account.account_id, symbol="ETHUSDT", qty=-10, entry_price=3000, mark_price=3100
    )
    order_fault("hang_after", seconds=0.5)
    with override_settings(RISKDESK_GATEWAY_TIMEOUT=0.2), run_on_commit():
        liquidation = request_one(operator, Measure.LIQUIDATE, account_ids=[account.account_id])
        services.action_approve(action=liquidation, by=supervisor)
    liquidation.refresh_from_db()
    assert liquidation.status == Action.Status.EXECUTED
    assert (liquidation.result or {})["closed_positions"] == [
        {"symbol": "BTCUSDT", "qty": 3.0, "price": 59000.0},
        {"symbol": "ETHUSDT", "qty": -10.0, "price": 3100.0},
    ]
    assert [a.idempotency_key for a in liquidation.attempt_log.all()] == [liquidation.reference] * 2
    assert SandboxCall.objects.filter(path="/liquidations", changed_state=True).count() == 1
    assert (
        not hasattr(liquidation, "restriction")
        or not Restriction.objects.filter(action=liquidation).exists()
    )


def test_lifting_what_the_exchange_never_had_is_recorded_as_nothing_to_lift(
    operator, run_on_commit
) -> None:
    with run_on_commit():
        ban = request_one(operator, Measure.TRADING_BAN)
    SandboxRestriction.objects.filter(pk=ban.reference).delete()
    with run_on_commit():
        (lift,) = services.action_request(
            by=operator,
            measure=Measure.LIFT,
            scope=Scope.ACCOUNT,
            lifts=ban,
            reason_code="resolved",
            customer_text="Trading is open again.",
        )
    lift.refresh_from_db()
    assert lift.status == Action.Status.EXECUTED
    assert outcomes(lift) == [Outcome.NOTHING_TO_LIFT]
    assert Restriction.objects.get(action=ban).status == Restriction.Status.LIFTED


def test_the_scan_hands_a_lost_execution_to_a_worker_again(operator) -> None:
    ban = request_one(operator, Measure.CLOSE_ONLY)  # approved; its message never sent here
    claim = services.execution_claim(action_id=ban.pk)
    assert claim is not None and selectors.stalled_action_ids() == []
    Action.objects.filter(pk=ban.pk).update(lease_until=ban.requested_at)
    assert selectors.stalled_action_ids() == [ban.pk]


def test_the_stalled_work_scan_never_queues_an_action_whose_message_is_still_live(
    operator, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    from apps.actions import tasks

    sent: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(
        tasks.execute_action, "apply_async", lambda args, **options: sent.append((args, options))
    )
    with django_capture_on_commit_callbacks(execute=True):
        ban = request_one(operator, Measure.TRADING_BAN)
    assert [args for args, _ in sent] == [(ban.pk,)]
    assert sent[0][1]["expires"] == 60  # the message dies before the scan may send another
    # Nobody has taken it for a minute (a long queue): stalled, but its message still lives.
    past = timezone.now() - timedelta(seconds=30)
    Action.objects.filter(pk=ban.pk).update(requested_at=past, queued_at=past)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            tasks.run_action_timers()
    assert len(sent) == 1
    # Once the message has expired unread, the scan sends one more, and only one.
    Action.objects.filter(pk=ban.pk).update(queued_at=past - timedelta(seconds=31))
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            tasks.run_action_timers()
    assert [args for args, _ in sent] == [(ban.pk,), (ban.pk,)]


def test_a_claim_spends_the_message_so_a_lost_worker_is_resumed_at_once(operator) -> None:
    ban = request_one(operator, Measure.CLOSE_ONLY)
    assert services.execution_claim(action_id=ban.pk) is not None
    Action.objects.filter(pk=ban.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert services.executions_resume_stalled() == [ban.pk]
    assert services.executions_resume_stalled() == []


def _lift(operator, ban: Action) -> Action:
    (lift,) = services.action_request(
        by=operator,
        measure=Measure.LIFT,
        scope=Scope.ACCOUNT,
        lifts=ban,
        reason_code="resolved",
        customer_text="The review is over.",
    )
    return lift


def test_a_late_put_answered_after_the_lift_is_lifted_again_at_once(
    operator, run_on_commit
) -> None:
    ban = request_one(operator, Measure.TRADING_BAN)
    slow = services.execution_claim(action_id=ban.pk)  # worker A sends the PUT; it hangs
    assert slow is not None
    Action.objects.filter(pk=ban.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    with run_on_commit():
        services.action_execute(ban.pk)  # worker B takes over and applies it
        _lift(operator, ban)  # ...and it is lifted
    ban.refresh_from_db()
    assert ban.status == Action.Status.LIFTED
    # Now A's PUT reaches an exchange that applies it again, and A gets its answer.
    SandboxRestriction.objects.filter(pk=ban.reference).update(status="active", lifted_at=None)
    with run_on_commit():
        services.execution_record(
            claim=slow, reply=Reply(200, {"id": ban.reference, "status": "active"})
        )
    assert SandboxRestriction.objects.get(pk=ban.reference).status == "lifted"
    lift = Action.objects.get(lifts=ban)
    # The lift; once more because A's PUT was unanswered at the time (eager here, so at
    # once); and once more when A's late answer showed it had landed.
    assert outcomes(lift) == [Outcome.OK, Outcome.OK, Outcome.OK]
    assert outcomes(ban)[0] == Outcome.SUPERSEDED


@override_settings(RISKDESK_GATEWAY_TIMEOUT=0.2)
def test_a_lift_after_an_unanswered_put_lifts_again_once_that_put_cannot_be_in_flight(
    operator, run_on_commit, monkeypatch
) -> None:
    from apps.actions import tasks

    later: list[dict[str, Any]] = []
    monkeypatch.setattr(
        tasks.lift_again, "apply_async", lambda args, **options: later.append(options)
    )
    order_fault("hang_after", count=1, seconds=0.5)  # the first PUT is never answered
    with run_on_commit():
        ban = request_one(operator, Measure.TRADING_BAN)
    with run_on_commit():
        _lift(operator, ban)
    assert later == [{"countdown": 2 * 0.2 + 30}]
