from datetime import UTC, datetime, timedelta
from typing import Any

from django import template

from apps.people.access import has_role
from apps.people.roles import Role
from apps.shifts import handover_selectors, selectors

register = template.Library()

DAYS_AHEAD = 14


@register.inclusion_tag("shifts/_home_panel.html", takes_context=True)
def shifts_home_panel(context: template.Context) -> dict[str, Any]:
    """The rota's part of the home page: gaps and overdue handovers for a supervisor,
    the next shifts and handovers to read for an operator; nothing for other roles."""
    user = context["request"].user
    now = datetime.now(UTC)
    panel: dict[str, Any] = {"days": DAYS_AHEAD}
    if has_role(user, Role.SUPERVISOR):
        panel |= {
            "is_supervisor": True,
            "gaps": selectors.coverage_gaps(now, now + timedelta(days=DAYS_AHEAD)),
            "pending_changes": selectors.shift_changes(pending_only=True).count(),
            "overdue": handover_selectors.handovers_overdue(),
            "missing": handover_selectors.shifts_without_handover(now),
        }
    elif has_role(user, Role.OPERATOR):
        panel |= {
            "is_operator": True,
            "my_shifts": selectors.my_shifts(user, now, now + timedelta(days=DAYS_AHEAD))[:8],
            "incoming": handover_selectors.handovers_to_acknowledge(user),
        }
    return {"panel": panel, "desk_time_zone": context.get("desk_time_zone", "UTC")}


@register.filter
def minutes(value: float | None) -> str:
    """A duration in minutes as a person reads it: 42 s, 7.5 min, 2 h 05 min, —."""
    if value is None:
        return "—"
    if value < 1:
        return f"{round(value * 60)} s"
    if value < 60:
        return f"{value:.1f} min"
    whole = round(value)
    return f"{whole // 60} h {whole % 60:02d} min"


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f} %"
