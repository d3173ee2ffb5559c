"""Every change to plans and their activations: one function each, under a row lock.

An activation's measures are ordinary actions (action_request with the activation's batch);
its approval is batch_approve of that batch; the gateway executes them as any other action.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.actions.measures import Measure, ReasonCode
from apps.actions.models import Action, Restriction, restriction_active
from apps.actions.planning import SYMBOL_PATTERN
from apps.actions.plans.models import ChecklistTick, EmergencyPlan, PlanActivation
from apps.actions.plans.rules import measure_scope, plan_errors, second_supervisor_on_duty
from apps.actions.services.approval import batch_approve, batch_reject
from apps.actions.services.common import ActionError, move
from apps.actions.services.requesting import action_request
from apps.cases.selectors import case_of_alert
from apps.cases.services import case_timeline_add
from apps.cases.vocabulary import EventKind
from apps.desk.history import save_by
from apps.desk.locking import locked
from apps.notifications.services import notify
from apps.people.access import has_role
from apps.people.roles import WORKING_ROLES, Role
from apps.people.selectors import active_members, active_supervisors

if TYPE_CHECKING:
    from apps.alerts.models import Alert
    from apps.cases.models import Case
    from apps.people.models import User


@transaction.atomic
def plan_save(
    *,
    by: User,
    key: str,
    name: str,
    kind: str,
    measures: list[dict[str, Any]],
    checklist: list[str],
    tell: list[str],
    deputy_role: str,
    customer_text: str,
) -> EmergencyPlan:
    """Write a plan's next version (the first, for a new key). Activations keep the version
    they used; only the newest is offered."""
    if not has_role(by, Role.SUPERVISOR):
        raise ActionError("Only a supervisor prepares emergency plans.")
    errors = plan_errors(measures, checklist, tell, deputy_role)
    if not name.strip():
        errors.append("Give the plan a name.")
    if not customer_text.strip():
        errors.append("Write what customer service may tell customers.")
    if errors:
        raise ActionError(" ".join(errors))
    current = EmergencyPlan.objects.select_for_update().filter(key=key, is_current=True).first()
    version = 1
    if current is not None:
        version = current.version + 1
        current.is_current = False
        save_by(current, by=by, fields=["is_current"], reason=f"replaced by v{version}")
    plan = EmergencyPlan(
        key=key,
        version=version,
        name=name.strip(),
        kind=kind,
        measures=measures,
        checklist=checklist,
        tell=tell,
        deputy_role=deputy_role,
        customer_text=customer_text.strip(),
        created_by=by,
    )
    save_by(plan, by=by, reason=f"version {version}")
    return plan


def _page_approvers(activation: PlanActivation, by: User, verb: str) -> None:
    """The supervisors hear it; with no second supervisor on duty the deputy role is paged."""
    plan = activation.plan
    title = f"{by} asks to {verb} {plan.name} on {activation.target} ({activation.reference})"
    url = reverse("actions:activation", args=[activation.pk])
    notify(recipients=active_supervisors(), kind="plan.approval", title=title, url=url, skip=by)
    if not second_supervisor_on_duty(by):
        deputies = active_members(plan.deputy_role)
        notify(
            recipients=deputies,
            kind="plan.page_deputy",
            title=f"PAGE — no second supervisor on duty: {title}",
            body=f"As the {plan.get_deputy_role_display().lower()} you may approve it.",
            url=url,
            skip=by,
        )
        activation.deputy_paged_at = timezone.now()
        save_by(activation, by=by, fields=["deputy_paged_at"], reason="deputy paged")


def _case_line(activation: PlanActivation, by: User | None, text: str) -> None:
    if activation.case is not None:
        case_timeline_add(case=activation.case, kind=EventKind.NOTE, by=by, text=text)


@transaction.atomic
def activation_request(
    *, by: User, plan: EmergencyPlan, symbol: str = "", alert: Alert | None = None, note: str = ""
) -> PlanActivation:
    """Ask for a plan on one contract (or, with no symbol, the platform): every measure is
    requested at once as one batch, waiting for one approval and never expiring unseen."""
    if not has_role(by, *WORKING_ROLES):
        raise ActionError("Only risk operators and supervisors activate emergency plans.")
    plan = locked(plan, error=ActionError)
    if not plan.is_current:
        raise ActionError(f"{plan} was replaced by a newer version; activate that one.")
    symbol = symbol.strip().upper()
    if symbol and not SYMBOL_PATTERN.match(symbol):
        raise ActionError("Name the contract, e.g. BTCUSDT, or leave it empty for the platform.")
    case = _case_of(alert, by)
    activation = PlanActivation(
        plan=plan,
        symbol=symbol,
        status=PlanActivation.Status.AWAITING_APPROVAL,
        alert=alert,
        case=case,
        note=note.strip(),
        requested_by=by,
        requested_at=timezone.now(),
    )
    save_by(activation, by=by, reason="activation requested")
    for item in plan.measures:
        scope, on = measure_scope(item, symbol)
        action_request(
            by=by,
            measure=item["measure"],
            scope=scope,
            symbol=on,
            params=item.get("params", {}),
            reason_code=ReasonCode.MARKET_EMERGENCY,
            customer_text=plan.customer_text,
            internal_note=f"{activation.reference}: {plan}",
            case=activation.case,
            alerts=[alert] if alert is not None and case is not None else [],
            batch=activation.batch,
            waits_until_decided=True,
            tell_approvers=False,
        )
    _page_approvers(activation, by, "activate")
    _case_line(activation, by, f"{activation.reference}: {plan} requested on {activation.target}")
    return activation


def _case_of(alert: Alert | None, by: User) -> Case | None:
    """The open case the alert is in, when `by` may add to it; else the activation stands
    on the alert alone (an emergency never waits for a case's assignee)."""
    from apps.cases.permissions import can_change_case

    if alert is None:
        return None
    case = case_of_alert(alert)
    if case is None or not case.is_open or not can_change_case(by, case):
        return None
    return case


def _fresh(activation: PlanActivation) -> PlanActivation:
    found = PlanActivation.objects.filter(pk=activation.pk).first()
    if found is None:
        raise ActionError(f"Activation {activation.pk} no longer exists.")
    return found


@transaction.atomic
def activation_approve(*, activation: PlanActivation, by: User) -> PlanActivation:
    """The second person's one decision: every measure (or every lift) goes at once. The
    activation follows its actions (plans/following.py), wherever they are decided; the
    actions are locked first and the activation after, as on every path."""
    activation = _fresh(activation)
    Status = PlanActivation.Status
    if activation.status == Status.AWAITING_APPROVAL:
        batch_approve(batch=activation.batch, by=by)
        activation.refresh_from_db()
        _case_line(activation, by, f"{activation.reference} approved: measures sent")
    elif activation.status == Status.LIFT_AWAITING:
        assert activation.lift_batch is not None
        batch_approve(batch=activation.lift_batch, by=by)
        activation.refresh_from_db()
        _case_line(activation, by, f"{activation.reference} lift approved: lifts sent")
    elif by.pk not in (activation.approved_by_id, activation.lift_approved_by_id):
        raise ActionError(f"{activation.reference} is {activation.get_status_display().lower()}.")
    return activation


@transaction.atomic
def activation_reject(*, activation: PlanActivation, by: User, reason: str) -> PlanActivation:
    activation = _fresh(activation)
    Status = PlanActivation.Status
    if activation.status == Status.AWAITING_APPROVAL:
        batch_reject(batch=activation.batch, by=by, reason=reason)
    elif activation.status == Status.LIFT_AWAITING:
        assert activation.lift_batch is not None
        batch_reject(batch=activation.lift_batch, by=by, reason=reason)
    else:
        raise ActionError(f"{activation.reference} waits for no decision.")
    activation.refresh_from_db()
    _case_line(activation, by, f"{activation.reference} rejected: {reason.strip()}")
    return activation


@transaction.atomic
def activation_lift_request(*, activation: PlanActivation, by: User) -> PlanActivation:
    """Lift all of it: one lift per measure standing, one batch, one approval."""
    if not has_role(by, *WORKING_ROLES):
        raise ActionError("Only risk operators and supervisors lift emergency plans.")
    activation = locked(activation, error=ActionError)
    if activation.status != PlanActivation.Status.ACTIVE:
        raise ActionError(f"{activation.reference} is {activation.get_status_display().lower()}.")
    placed = list(Action.objects.filter(batch=activation.batch).order_by("pk"))
    if any(a.is_open for a in placed):
        raise ActionError("Some measures are still on their way; lift when every one has landed.")
    standing = Restriction.objects.filter(restriction_active(timezone.now())).filter(
        action__in=placed
    )
    to_lift = [r.action for r in standing.select_related("action").order_by("action_id")]
    if not to_lift:
        raise ActionError(f"Nothing of {activation.reference} stands on the exchange.")
    activation.lift_batch = uuid.uuid4()
    move(activation, PlanActivation.Status.LIFT_AWAITING, "lift requested")
    activation.lift_requested_by, activation.lift_requested_at = by, timezone.now()
    save_by(
        activation, by=by, fields=["status", "lift_batch", "lift_requested_by", "lift_requested_at"]
    )
    for action in to_lift:
        action_request(
            by=by,
            measure=Measure.LIFT,
            scope=action.scope,
            reason_code=ReasonCode.RESOLVED,
            customer_text=activation.plan.customer_text,
            internal_note=f"{activation.reference}: lift",
            lifts=action,
            case=activation.case,
            batch=activation.lift_batch,
            waits_until_decided=True,
            tell_approvers=False,
        )
    _page_approvers(activation, by, "lift")
    _case_line(activation, by, f"{activation.reference}: lift of {len(to_lift)} measures requested")
    return activation


@transaction.atomic
def checklist_tick(*, activation: PlanActivation, step: int, by: User) -> ChecklistTick:
    """A manual step done, by name. Ticking twice keeps the first tick."""
    if not has_role(by, *WORKING_ROLES):
        raise ActionError("Only risk operators and supervisors tick the checklist.")
    activation = locked(activation, error=ActionError)
    if not 0 <= step < len(activation.plan.checklist):
        raise ActionError("There is no such step in this plan.")
    if activation.status in (PlanActivation.Status.REJECTED,):
        raise ActionError(f"{activation.reference} was rejected; nothing to tick.")
    found = ChecklistTick.objects.filter(activation=activation, step=step).first()
    if found is not None:
        return found
    tick = ChecklistTick(activation=activation, step=step, done_by=by)
    save_by(tick, by=by, reason="ticked")
    _case_line(
        activation, by, f"{activation.reference} step done: {activation.plan.checklist[step]}"
    )
    return tick
