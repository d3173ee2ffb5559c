from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

from apps.actions.measures import ACCOUNT_SCOPES
from apps.actions.models import AccountLookup, Action
from apps.actions.planning import plan_request
from apps.actions.services.common import ActionError, enqueue_execution
from apps.actions.services.telling import told_requested
from apps.alerts.selectors import alerts_of
from apps.cases.selectors import case_by_id, case_ids_of_alerts
from apps.desk.history import bulk_create_by
from apps.desk.locking import locked
from apps.people.selectors import person_lock

if TYPE_CHECKING:
    from apps.accounts.models import ExchangeAccount
    from apps.alerts.models import Alert
    from apps.cases.models import Case
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
    case: Case | None = None,
    alerts: Sequence[Alert] = (),
    request_key: uuid.UUID | None = None,
    batch: uuid.UUID | None = None,
    waits_until_decided: bool = False,
    tell_approvers: bool = True,
) -> list[Action]:
    """Request a measure: one action per account named (a whole cluster at once), or one for
    a symbol or the platform. Approval-free ones go to the exchange at once. `case` and
    `alerts` say what it answers; a lift answers its action's case unless told otherwise.
    The same `request_key` again returns the actions it made the first time. An emergency
    plan's activation passes its own `batch` (one approval for all its measures), asks that
    they wait until decided rather than expire, and pages the approvers once itself."""
    if request_key is not None:
        # The requester's row is the lock: the same form sent twice at once waits here,
        # then finds the first one's actions.
        person_lock(by)
        already = list(
            Action.objects.filter(requested_by=by, request_key=request_key).order_by("pk")
        )
        if already:
            return already
    if lifts is not None:
        lifts = locked(lifts, error=ActionError)
        if case is None and lifts.case_id is not None:
            case = lifts.case
    alerts = alerts_of([a.pk for a in alerts])
    case = _check_case(case, alerts, by)
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
    if batch is None and len(targets) > 1:
        batch = uuid.uuid4()
    deadline = None
    if plan.requires_approval and not waits_until_decided:
        deadline = now + timedelta(minutes=settings.RISKDESK_APPROVAL_MINUTES)
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
            case=case,
            requires_approval=plan.requires_approval,
            status=status,
            requested_by=by,
            requested_at=now,
            request_key=request_key,
            approval_deadline=deadline,
            attempt_limit=0 if plan.requires_approval else settings.RISKDESK_ACTION_MAX_ATTEMPTS,
        )
        for account in targets
    ]
    # One insert per table, with a history row each, so a 1,000-account cluster is one step.
    created = bulk_create_by(actions, Action, by=by, reason="requested")
    if alerts:
        through = Action.alerts.through
        through.objects.bulk_create(
            [through(action_id=a.pk, alert_id=alert.pk) for a in created for alert in alerts]
        )
    told_requested(created, by=by, tell_approvers=tell_approvers)
    if not plan.requires_approval:
        enqueue_execution(*(action.pk for action in created))
    return created


def _check_case(case: Case | None, alerts: list[Alert], by: User) -> Case | None:
    """The case a request answers: the one named, or the one its alerts are in. Linking a
    measure moves the case, so only who may change the case links one to it."""
    from apps.cases.permissions import can_change_case

    if case is None:
        joined = case_ids_of_alerts(alerts)
        if len(joined) == 1:
            case = case_by_id(joined.pop())
    if case is None:
        return None
    case = locked(case, error=ActionError)
    if not case.is_open:
        raise ActionError(f"{case.ref} is closed; reopen it before requesting a measure for it.")
    if not can_change_case(by, case):
        raise ActionError(
            f"{case.ref} is assigned to {case.assignee or 'nobody'}: only they or a supervisor "
            "request measures for it."
        )
    return case


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
