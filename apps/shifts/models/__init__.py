"""The shifts app's tables: the rota (rota.py) and what a shift hands on (handover.py)."""

from apps.shifts.models.handover import Handover, ShiftReport
from apps.shifts.models.rota import (
    Assignment,
    PatternMember,
    PersonSkill,
    Shift,
    ShiftChange,
    ShiftError,
    ShiftPattern,
    Skill,
)

__all__ = [
    "Assignment",
    "Handover",
    "PatternMember",
    "PersonSkill",
    "Shift",
    "ShiftChange",
    "ShiftError",
    "ShiftPattern",
    "ShiftReport",
    "Skill",
]
