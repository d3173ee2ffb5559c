"""Every change to actions and restrictions: one function each (see STYLE.md)."""

from apps.actions.services.approval import (
    action_approve,
    action_reject,
    action_retry,
    actions_expire_unanswered,
    batch_approve,
    batch_reject,
)
from apps.actions.services.common import ActionError, noting_unsent
from apps.actions.services.contacts import contact_answer, contact_record, contacts_overdue_tell
from apps.actions.services.execution import action_execute, execution_claim, execution_record
from apps.actions.services.recovery import executions_resume_stalled, restriction_lift_again
from apps.actions.services.requesting import action_request, lookup_record
from apps.actions.services.restrictions import (
    reconciliation_alerts,
    reconciliation_differences,
    restrictions_expire,
)

__all__ = [
    "ActionError",
    "action_approve",
    "action_execute",
    "action_reject",
    "action_request",
    "action_retry",
    "actions_expire_unanswered",
    "batch_approve",
    "batch_reject",
    "contact_answer",
    "contact_record",
    "contacts_overdue_tell",
    "execution_claim",
    "execution_record",
    "executions_resume_stalled",
    "lookup_record",
    "noting_unsent",
    "reconciliation_alerts",
    "reconciliation_differences",
    "restriction_lift_again",
    "restrictions_expire",
]
