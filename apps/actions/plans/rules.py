"""What a plan may hold, and who may approve its activation when the desk is thin.

One place each: the plan form, the plan service and the approval service all ask here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apps.actions.measures import SCOPES, Measure, Scope, params_errors
from apps.actions.plans.models import DeputyRole, PlanActivation, Reach
from apps.people.access import has_role
from apps.people.roles import Role

if TYPE_CHECKING:
    from apps.people.models import User

# The measures a plan may hold: each a standing symbol- or platform-wide measure of the
# gateway contract (no extension needed: the contract already carries all six).
PLAN_MEASURES = (
    Measure.CLOSE_ONLY,
    Measure.LEVERAGE_CAP,
    Measure.POSITION_LIMIT,
    Measure.SUSPEND_OPEN,
    Measure.FREQUENCY_LIMIT,
    Measure.WITHDRAWAL_HOLD,
)
MAX_MEASURES = 12


def measure_scope(item: dict[str, Any], symbol: str) -> tuple[str, str]:
    """(scope, symbol) one plan measure lands on when activated for `symbol` ("" = platform)."""
    if item.get("reach") == Reach.PLATFORM or not symbol:
        return Scope.PLATFORM, ""
    return Scope.SYMBOL, symbol


def plan_errors(measures: Any, checklist: Any, tell: Any, deputy_role: str) -> list[str]:
    errors: list[str] = []
    if not isinstance(measures, list) or not measures:
        return ["A plan holds at least one measure."]
    if len(measures) > MAX_MEASURES:
        errors.append(f"At most {MAX_MEASURES} measures in one plan.")
    seen: set[tuple[str, str]] = set()
    for n, item in enumerate(measures, start=1):
        measure = item.get("measure") if isinstance(item, dict) else None
        if measure not in PLAN_MEASURES:
            known = ", ".join(PLAN_MEASURES)
            errors.append(f"Measure {n}: “{measure}” is not a plan measure (one of {known}).")
            continue
        reach = item.get("reach", Reach.TARGET)
        if reach not in Reach.values:
            errors.append(f"Measure {n}: reach must be “target” or “platform”.")
            continue
        if reach == Reach.TARGET and Scope.SYMBOL not in SCOPES[measure]:
            errors.append(
                f"Measure {n}: {Measure(measure).label} is never per contract; give it “@platform”."
            )
        if (measure, reach) in seen:
            errors.append(f"Measure {n}: {Measure(measure).label} is already in the plan.")
        seen.add((measure, reach))
        errors += [f"Measure {n}: {e}" for e in params_errors(measure, item.get("params", {}))]
    if not isinstance(checklist, list) or not all(isinstance(s, str) and s for s in checklist):
        errors.append("The checklist is a list of steps, one per line.")
    if not isinstance(tell, list) or not tell:
        errors.append("Say who is told when the plan is activated.")
    if deputy_role not in DeputyRole.values:
        errors.append("Name the deputy role who may approve when no second supervisor is on duty.")
    return errors


def supervisors_on_duty() -> list[User]:
    from apps.shifts.selectors import on_duty

    duty = on_duty()
    found = [s.supervisor for s in duty.shifts if s.supervisor and s.supervisor.is_active]
    return list(dict.fromkeys(found))


def second_supervisor_on_duty(requester: User) -> bool:
    """Is a supervisor other than the requester on duty right now (apps.shifts)?"""
    return any(person.pk != requester.pk for person in supervisors_on_duty())


def activation_of_batch(batch: Any) -> PlanActivation | None:
    if batch is None:
        return None
    return (
        PlanActivation.objects.select_related("plan").filter(batch=batch).first()
        or PlanActivation.objects.select_related("plan").filter(lift_batch=batch).first()
    )


def deputy_may_decide(activation: PlanActivation | None, by: User, requester: User) -> bool:
    """The thin-desk rule: with no second supervisor on duty, the plan's deputy role decides
    (still never the requester; the approval service and the database check that)."""
    if activation is None or has_role(by, Role.SUPERVISOR):
        return False
    return has_role(by, activation.plan.deputy_role) and not second_supervisor_on_duty(requester)
