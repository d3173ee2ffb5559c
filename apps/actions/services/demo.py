"""Used by the demo loader only (apps.console.demo_past): the demo's past is made through
the real services, then moved back in time, which no business rule does."""

from datetime import timedelta

from django.db.models import F

from apps.actions.models import Action, Restriction

DATED = (
    "requested_at",
    "approval_deadline",
    "decided_at",
    "queued_at",
    "executed_at",
    "expires_at",
)


def case_actions_dated_back(*, case_id: int, back: timedelta) -> None:
    """Move every measure of the case, and the restrictions they applied, `back` in time
    (two bulk updates)."""
    case_actions = Action.objects.filter(case_id=case_id)
    case_actions.update(**{name: F(name) - back for name in DATED})
    Restriction.objects.filter(action__in=case_actions).update(applied_at=F("applied_at") - back)
