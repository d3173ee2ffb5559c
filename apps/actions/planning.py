"""What a request would do, worked out before anything is written.

The request form shows this plan as the person types; the request service refuses any plan
with errors. One function decides both, so the page never promises what the service refuses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from apps.accounts.selectors import accounts_by_id
from apps.actions.measures import (
    ACCOUNT_SCOPES,
    SCOPES,
    STANDING,
    SYMBOL_SCOPES,
    Measure,
    ReasonCode,
    Scope,
    params_errors,
)
from apps.actions.models import Action, Restriction
from apps.actions.policy import approval_required
from apps.people.access import has_role
from apps.people.roles import WORKING_ROLES
from apps.people.selectors import active_supervisors

if TYPE_CHECKING:
    from apps.accounts.models import ExchangeAccount
    from apps.people.models import User

SYMBOL_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_\-]{1,39}$")
MAX_ACCOUNTS = 5000


@dataclass
class Plan:
    measure: str
    scope: str
    accounts: list[ExchangeAccount]
    symbol: str
    params: dict[str, Any]
    expires_at: datetime | None
    reason_code: str
    customer_text: str
    lifts: Action | None
    requires_approval: bool = False
    approvers: list[User] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def measure_label(self) -> str:
        return Measure(self.measure).label if self.measure in Measure.values else self.measure

    @property
    def scope_label(self) -> str:
        return Scope(self.scope).label if self.scope in Scope.values else self.scope

    @property
    def lifted_measure(self) -> str:
        return self.lifts.measure if self.lifts else ""

    @property
    def action_count(self) -> int:
        return len(self.accounts) if self.scope in ACCOUNT_SCOPES else 1


def supervisors_other_than(user: User) -> list[User]:
    return list(active_supervisors().exclude(pk=user.pk))


def plan_request(
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
    lifts: Action | None = None,
) -> Plan:
    symbol = symbol.strip().upper()
    params = {} if params is None else params
    if lifts is not None:
        # A lift ends exactly what its action placed: same scope, account and symbol.
        measure, scope, symbol, params = Measure.LIFT, lifts.scope, lifts.symbol, {}
        account_ids = [lifts.account_id] if lifts.account_id else []
    ids = list(dict.fromkeys(a.strip() for a in account_ids if a and a.strip()))
    found = accounts_by_id(ids) if ids else {}
    plan = Plan(
        measure=measure,
        scope=scope,
        accounts=[found[i] for i in ids if i in found],
        symbol=symbol,
        params=params,
        expires_at=expires_at,
        reason_code=reason_code,
        customer_text=customer_text.strip(),
        lifts=lifts,
    )
    errors = plan.errors
    if not has_role(by, *WORKING_ROLES):
        errors.append("Only risk operators and supervisors request actions.")
    if measure not in Measure.values:
        errors.append(f"Unknown measure “{measure}”.")
        return plan
    if measure == Measure.LIFT and lifts is None:
        errors.append("A lift names the action whose restriction it ends.")
    if lifts is not None:
        errors.extend(_lift_errors(lifts))
    if scope not in SCOPES[measure]:
        allowed = ", ".join(Scope(s).label.lower() for s in sorted(SCOPES[measure]))
        errors.append(f"{plan.measure_label} applies to: {allowed}.")
    if scope in ACCOUNT_SCOPES:
        missing = [i for i in ids if i not in found]
        if missing:
            shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
            errors.append(f"Unknown account{'s' if len(missing) > 1 else ''}: {shown}.")
        if not ids:
            errors.append("Name at least one account.")
        if len(ids) > MAX_ACCOUNTS:
            errors.append(f"At most {MAX_ACCOUNTS} accounts in one request.")
    elif ids:
        errors.append(f"A {plan.scope_label.lower()} measure names no accounts.")
    if scope in SYMBOL_SCOPES and not SYMBOL_PATTERN.match(symbol):
        errors.append("Name the contract, e.g. BTCUSDT.")
    if scope not in SYMBOL_SCOPES and symbol:
        errors.append(f"A {plan.scope_label.lower()} measure names no symbol.")
    errors.extend(params_errors(measure, params))
    if expires_at is not None:
        if measure not in STANDING:
            errors.append(f"{plan.measure_label} does not expire.")
        elif expires_at <= timezone.now():
            errors.append("The expiry must be in the future.")
    if reason_code not in ReasonCode.values:
        errors.append("Choose a reason code.")
    if not plan.customer_text:
        errors.append("Write what customer service may tell the customer.")
    elif len(plan.customer_text) > 500:
        errors.append("Keep the customer wording under 500 characters.")
    plan.requires_approval = approval_required(
        measure=measure, scope=scope, lifted_measure=plan.lifted_measure
    )
    if plan.requires_approval:
        plan.approvers = supervisors_other_than(by)
        if not plan.approvers:
            plan.warnings.append(
                "No other supervisor is registered: it will expire unless one is added."
            )
    return plan


def _lift_errors(lifts: Action) -> list[str]:
    restriction = Restriction.objects.filter(action=lifts).first()
    if lifts.measure not in STANDING:
        return [f"{lifts.reference} is a {lifts.measure}; only standing measures are lifted."]
    if restriction is None or not restriction.is_active_at(timezone.now()):
        return [f"{lifts.reference} has no active restriction to lift."]
    if Action.objects.filter(lifts=lifts, status__in=Action.OPEN).exists():
        return [f"A lift of {lifts.reference} is already on its way."]
    return []
