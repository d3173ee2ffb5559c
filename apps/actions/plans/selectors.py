"""Reads of plans and activations: the pages, the alert's suggestion, the handover, the day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from apps.actions.models import Action
from apps.actions.plans.models import EmergencyPlan, EventKind, PlanActivation

if TYPE_CHECKING:
    from apps.alerts.models import Alert

# Which plan a market_stress alert's signals call for (apps.detection.rules.market_stress),
# the gravest first: a cascade outranks a torn mark price, which outranks a move alone.
SIGNAL_KINDS = {
    "liquidation_burst": EventKind.LIQUIDATION_CASCADE,
    "mark_index_gap": EventKind.MARK_INDEX_DIVERGENCE,
    "sudden_move": EventKind.EXTREME_MOVE,
}


def plans_current() -> list[EmergencyPlan]:
    return list(EmergencyPlan.objects.filter(is_current=True).order_by("kind", "name"))


def plan_current(key: str) -> EmergencyPlan | None:
    return EmergencyPlan.objects.filter(key=key, is_current=True).first()


def plan_versions(key: str) -> list[EmergencyPlan]:
    return list(EmergencyPlan.objects.filter(key=key).select_related("created_by"))


def plans_for_alert(alert: Alert) -> list[EmergencyPlan]:
    """The plans an alert names: by its signals, the strongest first."""
    signals = list((alert.metrics or {}).get("signals") or [])
    if not signals and alert.category == "market_stress":
        signals = ["sudden_move"]
    return plans_for_signals(signals)


def plans_for_signals(signals: list[str]) -> list[EmergencyPlan]:
    """The current plans for market_stress's signal names, the gravest first."""
    kinds = [kind for signal, kind in SIGNAL_KINDS.items() if signal in signals]
    plans = {p.kind: p for p in EmergencyPlan.objects.filter(is_current=True, kind__in=kinds)}
    return [plans[k] for k in dict.fromkeys(kinds) if k in plans]


@dataclass
class Progress:
    placed: list[Action]
    lifts: list[Action]
    counts: dict[str, int] = field(default_factory=dict)
    lift_counts: dict[str, int] = field(default_factory=dict)

    @property
    def settled(self) -> bool:
        return not any(a.is_open for a in [*self.placed, *self.lifts])

    @property
    def waiting(self) -> bool:
        return any(a.status == Action.Status.AWAITING_APPROVAL for a in [*self.placed, *self.lifts])


def _count(actions: list[Action]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for action in actions:
        label = action.get_status_display().lower()
        counts[label] = counts.get(label, 0) + 1
    return counts


def activation_progress(activation: PlanActivation) -> Progress:
    placed = list(Action.objects.filter(batch=activation.batch).order_by("pk"))
    lifts = []
    if activation.lift_batch is not None:
        lifts = list(
            Action.objects.filter(batch=activation.lift_batch)
            .select_related("lifts")
            .order_by("pk")
        )
    return Progress(placed, lifts, _count(placed), _count(lifts))


def activation_for_view(pk: int) -> PlanActivation | None:
    return (
        PlanActivation.objects.select_related(
            "plan",
            "requested_by",
            "approved_by",
            "lift_requested_by",
            "lift_approved_by",
            "alert",
            "case",
        )
        .filter(pk=pk)
        .first()
    )


def activations_recent(limit: int = 30) -> list[PlanActivation]:
    return list(
        PlanActivation.objects.select_related("plan", "requested_by", "approved_by")[:limit]
    )


def activations_standing() -> QuerySet[PlanActivation]:
    """What the next shift must know: waiting for a decision or standing on the exchange."""
    Status = PlanActivation.Status
    return PlanActivation.objects.filter(
        status__in=[Status.AWAITING_APPROVAL, Status.ACTIVE, Status.LIFT_AWAITING]
    ).select_related("plan")


def activations_between(start: datetime, end: datetime) -> list[PlanActivation]:
    """For the daily report: activations requested, approved or lifted in [start, end)."""
    touched = (
        Q(requested_at__gte=start, requested_at__lt=end)
        | Q(approved_at__gte=start, approved_at__lt=end)
        | Q(lifted_at__gte=start, lifted_at__lt=end)
    )
    return list(
        PlanActivation.objects.filter(touched)
        .select_related("plan", "requested_by", "approved_by", "lift_approved_by")
        .order_by("requested_at")
    )


def activations_of_day(day_start: datetime) -> list[PlanActivation]:
    return activations_between(day_start, day_start + timedelta(days=1))
