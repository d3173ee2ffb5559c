"""The shifts app's tables: the rota (rota.py) and what a shift hands on (handover.py)."""

from apps.shifts.models.handover import Handover, ShiftReport
from apps.shifts.models.rota import (  # the private three: migrations name them here
    Assignment,
    PatternMember,
    PersonSkill,
    Shift,
    ShiftChange,
    ShiftError,
    ShiftPattern,
    Skill,
    _desk_time_zone,
    _validate_time_zone,
    _validate_weekdays,
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
    "_desk_time_zone",
    "_validate_time_zone",
    "_validate_weekdays",
]
