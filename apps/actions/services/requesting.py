import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from apps.accounts.models import ExchangeAccount
from apps.actions.measures import ACCOUNT_SCOPES
from apps.actions.models import AccountLookup, Action
from apps.actions.planning import plan_request
from apps.actions.services.common import ActionError, enqueue_execution
from apps.desk.history import current_task
from apps.people.models import User


@transaction.atomic
def action_request(
    *,
    by: User,
    measure: str,
    scope: str,
    account_ids: Sequence[str] = (),
    symbol: str = "",
    params: dict[str, Any] | None = None,
    expires_at: datetime | None = None,
    reason_code: str,
    customer_text: str,
    internal_note: str = "",
    lifts: Action | None = None,
) -> list[Action]:
    """Request a measure: one action per account named (a whole cluster at once), or one for
    a symbol or the platform. Approval-free ones go to the exchange at once."""
    if lifts is not None:
        lifts = Action.objects.select_for_update().get(pk=lifts.pk)
    plan = plan_request(
        by=by,
        measure=measure,
        scope=scope,
        account_ids=account_ids,
        symbol=symbol,
        params=params,
        expires_at=expires_at,
        reason_code=reason_code,
        customer_text=customer_text,
        lifts=lifts,
    )
    if plan.errors:
        raise ActionError(" ".join(plan.errors))
    now = timezone.now()
    status = Action.Status.AWAITING_APPROVAL if plan.requires_approval else Action.Status.APPROVED
    targets: list[ExchangeAccount | None] = (
        list(plan.accounts) if plan.scope in ACCOUNT_SCOPES else [None]
    )
    batch = uuid.uuid4() if len(targets) > 1 else None
    actions = [
        Action(
            measure=plan.measure,
            scope=plan.scope,
            account=account,
            symbol=plan.symbol,
            params=plan.params,
            expires_at=plan.expires_at,
            reason_code=plan.reason_code,
            customer_text=plan.customer_text,
            internal_note=internal_note.strip(),
            batch=batch,
            lifts=plan.lifts,
            lifted_measure=plan.lifted_measure,
            requires_approval=plan.requires_approval,
            status=status,
            requested_by=by,
            requested_at=now,
            approval_deadline=now + timedelta(minutes=settings.RISKDESK_APPROVAL_MINUTES)
            if plan.requires_approval
            else None,
            attempt_limit=0 if plan.requires_approval else settings.RISKDESK_ACTION_MAX_ATTEMPTS,
        )
        for account in targets
    ]
    # One insert per table, with a history row each, so a 1,000-account cluster is one step.
    created = bulk_create_with_history(
        actions, Action, batch_size=500, default_user=by, default_change_reason="requested"
    )
    if current_task():
        Action.history.filter(id__in=[a.pk for a in created]).update(history_task=current_task())
    if not plan.requires_approval:
        for action in created:
            enqueue_execution(action.pk)
    return created


@transaction.atomic
def lookup_record(
    *, by: User | AnonymousUser, query: str, account: ExchangeAccount | None, restricted: bool
) -> AccountLookup:
    """Customer service looked an account up: kept for the audit, whatever was found."""
    if not by.is_authenticated:
        raise ActionError("Only a signed-in person looks accounts up.")
    return AccountLookup.objects.create(
        looked_up_by=by, query=query[:64], account=account, was_restricted=restricted
    )
