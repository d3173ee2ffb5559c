"""Which on-duty operator a new piece of work goes to. Pure: the caller supplies the loads.

Part 2 wires alerts to it: on_duty() gives the operators, the alerts app counts each one's
open alerts, skills_of() their skills; None means nobody is on duty and the work goes to
the covering supervisor (OnDuty.supervisor) or back to the queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apps.people.models import User

    Operator = User


@dataclass(frozen=True)
class OperatorLoad:
    operator: Operator
    open_items: int  # work the operator holds now (claimed or offered, not yet closed)
    skills: frozenset[str] = field(default_factory=frozenset)
    last_offered_at: datetime | None = None  # breaks ties: longest since last offer first


def _order(load: OperatorLoad) -> tuple[int, int, float, int]:
    never = load.last_offered_at is None
    since = load.last_offered_at.timestamp() if load.last_offered_at else 0.0
    return (load.open_items, 0 if never else 1, since, load.operator.pk)


def pick_operator(candidates: list[OperatorLoad], skills_needed: set[str]) -> Operator | None:
    """The least-loaded candidate holding every needed skill.

    When nobody on duty holds the skills, the least-loaded candidate still gets the work:
    an alert must never sit unowned because the specialist is off shift. Ties go to the
    one offered work longest ago (never offered first), then to the lowest id, so the
    choice is the same on every worker.
    """
    if not candidates:
        return None
    needed = frozenset(skills_needed)
    skilled = [c for c in candidates if needed <= c.skills]
    return min(skilled or candidates, key=_order).operator


# Which skill an alert's category asks for; settings.SHIFTS_SKILLS_BY_CATEGORY replaces it.
DEFAULT_SKILLS_BY_CATEGORY: dict[str, str] = {
    "promo_abuse": "promo",
    "market_stress": "market_stress",
    "unauthorized_algo": "algo",
    "account_theft": "fraud",
}


def skills_needed(category: str) -> set[str]:
    from django.conf import settings

    mapping = getattr(settings, "SHIFTS_SKILLS_BY_CATEGORY", DEFAULT_SKILLS_BY_CATEGORY)
    skill = mapping.get(category)
    return {skill} if skill else set()
