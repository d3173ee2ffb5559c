"""Carrying an action out on the exchange: claim it, call outside any transaction, record.

A worker claims an action with a fresh token and a lease (a locked, conditional update). It
calls the exchange with no transaction open, then records the answer only if its token still
holds. A worker killed mid-call leaves a claim whose lease runs out; the next delivery (the
broker's, or the stalled-work scan's) claims again and repeats the same call under the same
id, which the contract makes harmless: PUT by id, DELETE twice, Idempotency-Key.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.actions.gateway import Reply, gateway
from apps.actions.measures import Measure, contract_scope
from apps.actions.models import Action, ActionAttempt, Restriction
from apps.actions.services.common import enqueue_execution, move, save_changed
from apps.actions.services.restrictions import placed_action_lifted, restriction_end
from apps.actions.services.telling import told_executed, told_failed
from apps.desk.history import bulk_update_by, task_work

Outcome = ActionAttempt.Outcome


@dataclass(frozen=True)
class Claim:
    action_id: int
    token: uuid.UUID
    attempt_id: int
    method: str
    path: str
    body: dict[str, Any] | None
    key: str


def backoff_seconds(attempt: int) -> float:
    """0.5 s, 1 s, 2 s, 4 s … capped at 30 s between tries."""
    return float(min(0.5 * 2 ** (attempt - 1), 30.0))


def contract_call(action: Action) -> tuple[str, str, dict[str, Any] | None, str]:
    """The contract's call for an action: method, path, body, Idempotency-Key."""
    if action.measure == Measure.LIQUIDATE:
        body = {"account_id": action.account_id, "symbol": action.symbol or None}
        return "POST", "/liquidations", body, action.reference
    if action.measure == Measure.LIFT:
        assert action.lifts is not None
        return "DELETE", f"/restrictions/{action.lifts.reference}", None, ""
    body = {
        "account_id": action.account_id,
        "scope": contract_scope(action.scope),
        "symbol": action.symbol or None,
        "measure": action.measure,
        "params": action.params,
        "reason_code": action.reason_code,
        "expires_at": action.expires_at.isoformat() if action.expires_at else None,
    }
    return "PUT", f"/restrictions/{action.reference}", body, ""


def _claimable(action: Action, now: datetime) -> bool:
    if action.status == Action.Status.APPROVED:
        return True
    if action.status != Action.Status.EXECUTING:
        return False
    # Waiting between tries, or the last claimer's lease ran out (the worker was lost).
    return action.claim_token is None or (
        action.lease_until is not None and action.lease_until <= now
    )


@task_work("actions.execution_claim")
@transaction.atomic
def execution_claim(*, action_id: int) -> Claim | None:
    action = (
        Action.objects.select_for_update(of=("self",))
        .select_related("lifts")
        .filter(pk=action_id)
        .first()
    )
    now = timezone.now()
    if action is None or not _claimable(action, now):
        return None
    if action.claim_token is not None:
        # Through the history helper, not a bare UPDATE: an abandoned call is a change the
        # history and the audit chain must show.
        lost = list(
            ActionAttempt.objects.filter(
                action=action, claim_token=action.claim_token, outcome=Outcome.PENDING
            )
        )
        for attempt in lost:
            attempt.outcome, attempt.finished_at = Outcome.ABANDONED, now
        if lost:
            bulk_update_by(
                lost,
                ActionAttempt,
                ["outcome", "finished_at"],
                by=None,
                reason="no answer: the worker was lost",
            )
    if action.status == Action.Status.APPROVED:
        move(action, Action.Status.EXECUTING, "claimed by a worker")
    action.claim_token = uuid.uuid4()
    action.attempts += 1
    action.lease_until = now + timedelta(seconds=settings.RISKDESK_ACTION_LEASE_SECONDS)
    action.next_attempt_at = None
    action.queued_at = None  # its message is spent: the scan may send another if need be
    save_changed(
        action,
        "status",
        "claim_token",
        "attempts",
        "lease_until",
        "next_attempt_at",
        "queued_at",
        by=None,
    )
    method, path, body, key = contract_call(action)
    attempt = ActionAttempt.objects.create(
        action=action,
        number=action.attempts,
        claim_token=action.claim_token,
        started_at=now,
        method=method,
        path=path,
        request_body=body,
        idempotency_key=key,
    )
    return Claim(action.pk, action.claim_token, attempt.pk, method, path, body, key)


@task_work("actions.execution_record")
@transaction.atomic
def execution_record(*, claim: Claim, reply: Reply) -> Action:
    action = (
        Action.objects.select_for_update(of=("self",))
        .select_related("lifts")
        .get(pk=claim.action_id)
    )
    attempt = ActionAttempt.objects.select_for_update().get(pk=claim.attempt_id)
    now = timezone.now()
    attempt.finished_at, attempt.status_code = now, reply.status
    attempt.answer, attempt.error = reply.body, reply.error
    if action.claim_token != claim.token or action.status != Action.Status.EXECUTING:
        # Another worker took the action over after our lease ran out: its answer counts.
        attempt.outcome = Outcome.SUPERSEDED
        attempt.save()
        if claim.method == "PUT" and reply.ok and action.status == Action.Status.LIFTED:
            # A late PUT landed after the lift and stood the restriction up again. The
            # contract has no version to fence it with (the body is fixed), so lift again
            # now rather than leave it to reconciliation minutes later.
            enqueue_lift_again(action.pk)
        return action
    nothing_to_lift = action.measure == Measure.LIFT and reply.status == 404
    if reply.ok or nothing_to_lift:
        attempt.outcome = Outcome.NOTHING_TO_LIFT if nothing_to_lift else Outcome.OK
        _executed(action, reply, now)
    elif reply.transient and action.attempts < action.attempt_limit:
        attempt.outcome = Outcome.TRANSIENT
        wait = backoff_seconds(action.attempts)
        action.claim_token, action.lease_until = None, None
        action.next_attempt_at = now + timedelta(seconds=wait)
        reason = f"try {action.attempts} failed, retrying"
        save_changed(
            action, "claim_token", "lease_until", "next_attempt_at", by=None, reason=reason
        )
        enqueue_execution(action.pk, countdown=wait)
    else:
        attempt.outcome = Outcome.GAVE_UP if reply.transient else Outcome.PERMANENT
        move(action, Action.Status.FAILED, "failed")
        action.failed_at = now
        action.failure_message = (
            f"No success after {action.attempts} tries; last: {reply.message}"
            if reply.transient
            else f"The exchange refused it: {reply.message}"
        )
        action.claim_token, action.lease_until = None, None
        save_changed(
            action, "status", "failed_at", "failure_message", "claim_token", "lease_until", by=None
        )
        told_failed(action)
    attempt.save()
    return action


def _executed(action: Action, reply: Reply, now: datetime) -> None:
    move(action, Action.Status.EXECUTED, "executed on the exchange")
    action.executed_at, action.result = now, reply.body
    action.claim_token, action.lease_until = None, None
    save_changed(action, "status", "executed_at", "result", "claim_token", "lease_until", by=None)
    restriction = None
    if action.measure == Measure.LIFT:
        _lifted(action, now)
    elif action.measure != Measure.LIQUIDATE:
        applied = parse_datetime(str((reply.body or {}).get("applied_at", ""))) or now
        restriction = Restriction.objects.create(
            action=action,
            exchange_id=action.reference,
            measure=action.measure,
            scope=action.scope,
            account_id=action.account_id,
            symbol=action.symbol,
            params=action.params,
            applied_at=applied,
            expires_at=action.expires_at,
        )
    told_executed(action, restriction)


def _lifted(lift: Action, now: datetime) -> None:
    assert lift.lifts_id is not None
    restriction = Restriction.objects.select_for_update().filter(action_id=lift.lifts_id).first()
    if restriction is not None and restriction.status == Restriction.Status.ACTIVE:
        restriction_end(restriction, now=now, lift=lift)
    else:  # ended already (expired meanwhile): the lifted action still ends as lifted
        placed_action_lifted(lift.lifts_id, reason=f"lifted by {lift.reference}")
    lifted = Action.objects.get(pk=lift.lifts_id)
    unanswered = lifted.attempt_log.filter(
        method="PUT", status_code__isnull=True, outcome__in=[Outcome.TRANSIENT, Outcome.ABANDONED]
    )
    if unanswered.exists():
        # A PUT of it went out and was never answered: it may still reach the exchange after
        # this DELETE. Lift once more when it can no longer be in flight.
        enqueue_lift_again(lifted.pk, countdown=_in_flight_seconds())


def action_execute(action_id: int) -> Action | None:
    """One try: claim, call the exchange with no transaction open, record the answer."""
    claim = execution_claim(action_id=action_id)
    if claim is None:
        return None
    reply = gateway().call(claim.method, claim.path, body=claim.body, key=claim.key)
    return execution_record(claim=claim, reply=reply)


def _in_flight_seconds() -> float:
    return 2 * float(settings.RISKDESK_GATEWAY_TIMEOUT) + settings.RISKDESK_ACTION_LEASE_SECONDS


def enqueue_lift_again(action_id: int, countdown: float = 0) -> None:
    from apps.actions.tasks import lift_again

    transaction.on_commit(
        lambda: lift_again.apply_async((action_id,), countdown=countdown), robust=True
    )
