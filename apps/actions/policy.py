"""Which requests need a second person: the floor, written once, and what a deployment adds.

The floor is the platform's rule: freezes, liquidations, every symbol-wide or platform-wide
measure and the lift of any of these need a supervisor other than the requester. A deployment
may add measures (RISKDESK_APPROVAL_EXTRA_MEASURES) but nothing here reads a setting that
could remove one. The database holds the same floor as a CheckConstraint on Action.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from apps.actions.measures import Measure, Scope

FLOOR_MEASURES = frozenset({Measure.FREEZE, Measure.LIQUIDATE})
FLOOR_SCOPES = frozenset({Scope.SYMBOL, Scope.PLATFORM})


def extra_measures() -> frozenset[str]:
    return frozenset(getattr(settings, "RISKDESK_APPROVAL_EXTRA_MEASURES", ()))


def approval_required(*, measure: str, scope: str, lifted_measure: str = "") -> bool:
    """`lifted_measure`: for a lift, the measure it ends (a lift of a floor measure is floor)."""
    if measure in FLOOR_MEASURES or scope in FLOOR_SCOPES or lifted_measure in FLOOR_MEASURES:
        return True
    extra = extra_measures()
    return measure in extra or (measure == Measure.LIFT and lifted_measure in extra)


def check_policy_settings() -> None:
    unknown = sorted(extra_measures() - set(Measure.values))
    if unknown:
        raise ImproperlyConfigured(
            f"RISKDESK_APPROVAL_EXTRA_MEASURES names unknown measures: {', '.join(unknown)}. "
            f"Known: {', '.join(Measure.values)}."
        )
