from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.actions.models import Action
from apps.actions.plans.following import activation_follows_batch
from apps.actions.plans.rules import activation_of_batch, deputy_may_decide
from apps.actions.services.common import ActionError, enqueue_execution, move, save_changed
from apps.actions.services.telling import told_decided, told_expired
from apps.desk.history import task_work
from apps.desk.locking import locked
from apps.people.access import has_role
from apps.people.roles import Role

if TYPE_CHECKING:
    from apps.people.models import User


def _check_decider(action: Action, by: User, verb: str) -> None:
    if not has_role(by, Role.SUPERVISOR):
        activation = activation_of_batch(action.batch)
        if not deputy_may_decide(activation, by, action.requested_by):
            deputy = (
                f" ({activation.plan.get_deputy_role_display()} only while no second "
                "supervisor is on duty)"
                if activation is not None
                else ""
            )
            raise ActionError(f"Only a supervisor can {verb} {action.reference}{deputy}.")
    # The two-person rule; the database refuses it too (action_approver_is_not_requester).
    if action.requested_by_id == by.pk:
        raise ActionError(f"You requested {action.reference}: another supervisor must {verb} it.")


def _refuse_if_decided(action: Action) -> None:
    if action.status != Action.Status.AWAITING_APPROVAL:
        who = f" by {action.approved_by}" if action.approved_by_id else ""
        raise ActionError(
            f"{action.reference} is already {action.get_status_display().lower()}{who}."
        )
    if action.approval_deadline and action.approval_deadline <= timezone.now():
        raise ActionError(f"{action.reference} waited past its deadline; request it again.")


def _approve_locked(action: Action, by: User, now: datetime) -> bool:
    if action.approved_by_id == by.pk and action.status != Action.Status.AWAITING_APPROVAL:
        return False  # the same supervisor clicked twice
    _check_decider(action, by, "approve")
    _refuse_if_decided(action)
    move(action, Action.Status.APPROVED, "approved")
    action.approved_by, action.decided_at = by, now
    action.attempt_limit = action.attempts + settings.RISKDESK_ACTION_MAX_ATTEMPTS
    save_changed(action, "status", "approved_by", "decided_at", "attempt_limit", by=by)
    enqueue_execution(action.pk)
    return True


@transaction.atomic
def action_approve(*, action: Action, by: User) -> Action:
    action = locked(action, error=ActionError)
    if _approve_locked(action, by, timezone.now()):
        told_decided([action], by=by, approved=True)
        activation_follows_batch(action.batch, by=by)
    return action


def _waiting_in_batch(batch: uuid.UUID) -> list[Action]:
    """Lock, in id order, every action of one request still waiting for a decision."""
    actions = list(
        Action.objects.select_for_update()
        .filter(batch=batch, status=Action.Status.AWAITING_APPROVAL)
        .order_by("pk")
    )
    if not actions:
        raise ActionError("Nothing in this request is waiting for approval.")
    return actions


@transaction.atomic
def batch_approve(*, batch: uuid.UUID, by: User) -> list[Action]:
    """Approve every waiting action of one request (a whole cluster) in one decision."""
    actions = _waiting_in_batch(batch)
    now = timezone.now()
    decided = [action for action in actions if _approve_locked(action, by, now)]
    told_decided(decided, by=by, approved=True)
    activation_follows_batch(batch, by=by)
    return actions


def _reject_locked(action: Action, by: User, reason: str, now: datetime) -> Action:
    reason = reason.strip()
    if not reason:
        raise ActionError("Say why you reject it: the requester reads the reason.")
    _check_decider(action, by, "reject")
    _refuse_if_decided(action)
    move(action, Action.Status.REJECTED, f"rejected: {reason}"[:100])
    action.rejected_by, action.decided_at, action.rejection_reason = by, now, reason
    save_changed(action, "status", "rejected_by", "decided_at", "rejection_reason", by=by)
    return action


@transaction.atomic
def action_reject(*, action: Action, by: User, reason: str) -> Action:
    action = locked(action, error=ActionError)
    if action.status == Action.Status.REJECTED and action.rejection_reason == reason.strip():
        return action
    _reject_locked(action, by, reason, timezone.now())
    told_decided([action], by=by, approved=False)
    activation_follows_batch(action.batch, by=by)
    return action


@transaction.atomic
def batch_reject(*, batch: uuid.UUID, by: User, reason: str) -> list[Action]:
    actions = _waiting_in_batch(batch)
    now = timezone.now()
    rejected = [_reject_locked(action, by, reason, now) for action in actions]
    told_decided(rejected, by=by, approved=False)
    activation_follows_batch(batch, by=by)
    return rejected


@transaction.atomic
def action_retry(*, action: Action, by: User) -> Action:
    """Send a failed action again under the same id: a supervisor's call after a failure."""
    action = locked(action, error=ActionError)
    if action.status in (Action.Status.APPROVED, Action.Status.EXECUTING):
        return action
    if not has_role(by, Role.SUPERVISOR):
        raise ActionError("Only a supervisor can send a failed action again.")
    move(action, Action.Status.APPROVED, f"sent again by {by}")
    action.attempt_limit = action.attempts + settings.RISKDESK_ACTION_MAX_ATTEMPTS
    action.failed_at, action.failure_message = None, ""
    save_changed(action, "status", "attempt_limit", "failed_at", "failure_message", by=by)
    enqueue_execution(action.pk)
    return action


@task_work("actions.actions_expire_unanswered")
def actions_expire_unanswered(*, now: datetime | None = None) -> int:
    """The periodic scan: requests nobody answered in time expire, one at a time."""
    now = now or timezone.now()
    due = Action.objects.filter(
        status=Action.Status.AWAITING_APPROVAL, approval_deadline__lte=now
    ).values_list("pk", flat=True)
    expired = 0
    for pk in list(due[:1000]):
        with transaction.atomic():
            action = (
                Action.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=Action.Status.AWAITING_APPROVAL)
                .first()
            )
            if action is None:  # decided meanwhile, or a supervisor holds it right now
                continue
            move(action, Action.Status.EXPIRED, "expired unanswered")
            action.decided_at = now
            save_changed(action, "status", "decided_at", by=None)
            told_expired(action)
            expired += 1
    return expired
