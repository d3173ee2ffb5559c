"""An activation follows the decisions on its actions, wherever they were made.

Its measures are ordinary actions, so a supervisor may decide them from the activation's page
(one decision), from the approval inbox (the whole batch), or one by one. The approval service
calls this after each decision: once none of the batch waits, the activation takes the state
its actions decided, so the two never tell different stories.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from apps.actions.models import Action, PlanActivation
from apps.actions.services.common import move
from apps.desk.history import save_by

if TYPE_CHECKING:
    from apps.people.models import User

Status = PlanActivation.Status
CAME_TO_NOTHING = {Action.Status.REJECTED, Action.Status.EXPIRED}


def activation_follows_batch(batch: uuid.UUID | None, *, by: User) -> PlanActivation | None:
    if batch is None:
        return None
    activation = (
        PlanActivation.objects.select_for_update()
        .filter(Q(batch=batch) | Q(lift_batch=batch))
        .first()
    )
    if activation is None:
        return None
    decided = list(Action.objects.filter(batch=batch).values_list("status", "rejection_reason"))
    if any(status == Action.Status.AWAITING_APPROVAL for status, _ in decided):
        return activation
    went = any(status not in CAME_TO_NOTHING for status, _ in decided)
    reason = next((text for _, text in decided if text), "")
    now = timezone.now()
    if batch == activation.batch and activation.status == Status.AWAITING_APPROVAL:
        if went:
            move(activation, Status.ACTIVE, f"approved by {by}")
            activation.approved_by, activation.approved_at = by, now
            fields = ["status", "approved_by", "approved_at"]
        else:
            move(activation, Status.REJECTED, f"rejected: {reason}"[:100])
            activation.rejection_reason = reason
            fields = ["status", "rejection_reason"]
    elif batch == activation.lift_batch and activation.status == Status.LIFT_AWAITING:
        if went:
            move(activation, Status.LIFTED, f"lift approved by {by}")
            activation.lift_approved_by, activation.lifted_at = by, now
            fields = ["status", "lift_approved_by", "lifted_at"]
        else:
            move(activation, Status.ACTIVE, f"lift rejected: {reason}"[:100])
            activation.rejection_reason = reason
            fields = ["status", "rejection_reason"]
    else:
        return activation
    save_by(activation, by=by, fields=fields)
    return activation
