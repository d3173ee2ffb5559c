"""Handover collectors for the desk's open work: alerts, cases, approvals, failed actions,
standing measures. Registered here rather than in each app, so the apps that own the work
need not know a handover exists; each collector reads what is open at writing time."""

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from apps.shifts.handover_items import HandoverItem, register_collector

if TYPE_CHECKING:
    from apps.shifts.models import Shift

# A section lists this many records, then one line saying how many more and where.
LIMIT = 50


def _capped(
    rows: Iterable[Any], total: int, item: Callable[[Any], HandoverItem], more_url: str
) -> list[HandoverItem]:
    items = [item(row) for row in rows]
    if total > len(items):
        items.append(HandoverItem(title=f"… and {total - len(items)} more", url=more_url))
    return items


def _ago(moment: Any) -> str:
    minutes = int((timezone.now() - moment).total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _alert_item(alert: Any) -> HandoverItem:
    late = " · PAST SLA" if alert.sla_breached() else ""  # the queue's meaning (alerts)
    who = f" · held by {alert.assignee}" if alert.assignee_id else ""
    offered = f" · offered to {alert.offered_to}" if alert.offered_to_id and not who else ""
    return HandoverItem(
        title=f"#{alert.pk} {alert.get_severity_display()} {alert.rule} {alert.symbol}".strip(),
        detail=f"{alert.summary} · waiting {_ago(alert.first_seen)}{who}{offered}{late}",
        url=reverse("alerts:detail", args=[alert.pk]),
        ref=f"alert:{alert.pk}",
    )


def _alerts(status: str, more_url: str) -> list[HandoverItem]:
    from apps.alerts.figures import alerts_in_status

    found = alerts_in_status(status)
    return _capped(found[:LIMIT], found.count(), _alert_item, more_url)


def unclaimed_alerts(shift: "Shift") -> list[HandoverItem]:
    return _alerts("new", reverse("alerts:queue") + "?status=new")


def claimed_alerts(shift: "Shift") -> list[HandoverItem]:
    return _alerts("claimed", reverse("alerts:queue") + "?status=claimed")


def open_cases(shift: "Shift") -> list[HandoverItem]:
    from apps.cases.figures import cases_open

    found = cases_open()
    rows = found[:LIMIT]

    def item(case: Any) -> HandoverItem:
        late = " · OVERDUE" if case.due_at <= timezone.now() else ""
        return HandoverItem(
            title=f"Case {case.pk}: {case.title}",
            detail=f"{case.get_status_display()} · {case.get_severity_display()} · "
            f"{case.assignee or 'unassigned'} · due {case.due_at:%d %b %H:%M} UTC{late}",
            url=reverse("cases:detail", args=[case.pk]),
            ref=f"case:{case.pk}",
        )

    return _capped(rows, found.count(), item, reverse("cases:list"))


def _action_item(detail: Callable[[Any], str]) -> Callable[[Any], HandoverItem]:
    def item(action: Any) -> HandoverItem:
        return HandoverItem(
            title=f"{action.reference} {action.get_measure_display()} on {action.target}",
            detail=detail(action),
            url=reverse("actions:detail", args=[action.pk]),
            ref=f"action:{action.pk}",
        )

    return item


def pending_approvals(shift: "Shift") -> list[HandoverItem]:
    from apps.actions.figures import actions_awaiting_approval

    found = actions_awaiting_approval()
    rows = found[:LIMIT]
    detail = _action_item(
        lambda a: (
            f"requested by {a.requested_by} · answer by "
            + (f"{a.approval_deadline:%d %b %H:%M} UTC" if a.approval_deadline else "—")
        )
    )
    return _capped(rows, found.count(), detail, reverse("actions:inbox"))


def failed_actions(shift: "Shift") -> list[HandoverItem]:
    from apps.actions.figures import actions_failed

    found = actions_failed()
    rows = found[:LIMIT]
    detail = _action_item(lambda a: f"failed {_ago(a.failed_at)} ago: {a.failure_message[:160]}")
    return _capped(rows, found.count(), detail, reverse("actions:inbox"))


def _measure_item(restriction: Any) -> HandoverItem:
    until = (
        f"until {restriction.expires_at:%d %b %H:%M} UTC"
        if restriction.expires_at
        else "until lifted"
    )
    action = restriction.action
    return HandoverItem(
        title=f"{restriction.get_measure_display()} on {action.target}",
        detail=f"{action.reference} · since {restriction.applied_at:%d %b %H:%M} UTC · {until}",
        url=reverse("actions:detail", args=[action.pk]),
        ref=f"restriction:{restriction.pk}",
    )


def temporary_measures(shift: "Shift") -> list[HandoverItem]:
    """Standing measures that end by themselves: the next shift sees them lapse."""
    from apps.actions.figures import restrictions_standing

    found = restrictions_standing(timezone.now()).filter(expires_at__isnull=False)
    rows = found.order_by("expires_at", "pk")[:LIMIT]
    return _capped(rows, found.count(), _measure_item, reverse("actions:list"))


def emergency_measures(shift: "Shift") -> list[HandoverItem]:
    """Symbol- and platform-wide measures: they touch every customer."""
    from apps.actions.figures import restrictions_standing
    from apps.actions.measures import Scope

    found = restrictions_standing(timezone.now()).filter(scope__in=[Scope.SYMBOL, Scope.PLATFORM])
    rows = found.order_by("applied_at", "pk")[:LIMIT]
    return _capped(rows, found.count(), _measure_item, reverse("actions:list"))


def plan_activations(shift: "Shift") -> list[HandoverItem]:
    """Emergency plans waiting for a second person or standing on the exchange."""
    from apps.actions.plans.selectors import activations_standing

    found = activations_standing()
    rows = found.select_related("requested_by").order_by("requested_at", "pk")[:LIMIT]

    def item(a: Any) -> HandoverItem:
        return HandoverItem(
            title=f"{a.reference} {a.plan.name} on {a.target}: {a.get_status_display().lower()}",
            detail=f"asked by {a.requested_by} {_ago(a.requested_at)} ago"
            + (f" · approved by {a.approved_by}" if a.approved_by_id else ""),
            url=reverse("actions:activation", args=[a.pk]),
            ref=f"activation:{a.pk}",
        )

    return _capped(rows, found.count(), item, reverse("actions:plans"))


def register() -> None:
    if apps.is_installed("apps.alerts"):
        register_collector("alerts_unclaimed", "Unclaimed alerts", unclaimed_alerts, order=10)
        register_collector("alerts_claimed", "Claimed alerts still open", claimed_alerts,
                           order=11)  # fmt: skip
    if apps.is_installed("apps.cases"):
        register_collector("cases_open", "Open cases", open_cases, order=20)
    if apps.is_installed("apps.actions"):
        register_collector("approvals_pending", "Actions awaiting approval", pending_approvals,
                           order=30)  # fmt: skip
        register_collector("actions_failed", "Actions that failed", failed_actions, order=31)
        register_collector("measures_emergency", "Emergency measures (symbol- or platform-wide)",
                           emergency_measures, order=40)  # fmt: skip
        register_collector("plan_activations", "Emergency plans waiting or active",
                           plan_activations, order=39)  # fmt: skip
        register_collector("measures_temporary", "Temporary measures still standing",
                           temporary_measures, order=41)  # fmt: skip
