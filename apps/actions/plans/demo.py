"""A sensible plan per kind of event, for the demo and a fresh desk (load_demo)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apps.actions.plans.models import DeputyRole, EmergencyPlan, EventKind, Reach
from apps.actions.plans.services import plan_save

if TYPE_CHECKING:
    from apps.people.models import User

CUSTOMER = (
    "Trading on this contract is temporarily restricted while the market is unsettled; "
    "open positions can be reduced or closed."
)


def _m(measure: str, reach: str = Reach.TARGET, **params: int | float) -> dict:
    return {"measure": measure, "params": params, "reach": reach}


DEMO_PLANS = [
    (
        "extreme-move",
        "Extreme move on a contract",
        EventKind.EXTREME_MOVE,
        [
            _m("leverage_cap", max_leverage=20),
            _m("position_limit", max_contracts=500),
            _m("frequency_limit", max_orders_per_second=10),
        ],
        [
            "Check the index constituents against outside venues",
            "Tell market makers",
            "Post a notice on the status page",
            "Review at the next 15-minute mark",
        ],
        ["Supervisors", "Market operations", "Customer service lead"],
    ),
    (
        "mark-index-divergence",
        "Mark / index divergence",
        EventKind.MARK_INDEX_DIVERGENCE,
        [_m("suspend_open"), _m("leverage_cap", max_leverage=10)],
        [
            "Ask market operations whether an index source is stale",
            "Compare the mark with two outside venues",
            "Record the gap and the time it held",
        ],
        ["Supervisors", "Market operations", "Index team"],
    ),
    (
        "liquidation-cascade",
        "Liquidation cascade",
        EventKind.LIQUIDATION_CASCADE,
        [
            _m("close_only"),
            _m("leverage_cap", max_leverage=5),
            _m("position_limit", max_contracts=100),
            _m("suspend_open"),
            _m("frequency_limit", max_orders_per_second=5),
            _m("withdrawal_hold", Reach.PLATFORM),
        ],
        [
            "Check the insurance fund balance",
            "Warn the ADL queue owners",
            "Tell market makers to keep quoting",
            "Post a notice on the status page",
            "Lift the withdrawal hold as soon as the fund is safe",
        ],
        ["Supervisors", "Market operations", "Treasury", "Customer service lead"],
    ),
    (
        "exchange-failure",
        "Matching engine or price feed failure",
        EventKind.EXCHANGE_FAILURE,
        [_m("close_only"), _m("suspend_open"), _m("withdrawal_hold", Reach.PLATFORM)],
        [
            "Confirm the failure with the exchange's on-call engineer",
            "Freeze the mark price source if the feed is stale",
            "Post a notice on the status page",
            "Note the last good price per contract",
        ],
        ["Supervisors", "Exchange engineering on call", "Customer service lead"],
    ),
    (
        "promotion-drained",
        "Promotion being drained",
        EventKind.PROMOTION_DRAINED,
        [_m("frequency_limit", max_orders_per_second=2), _m("position_limit", max_contracts=50)],
        [
            "Pause the campaign with marketing",
            "List the accounts that joined in the last 24 h",
            "Open a case per control cluster found",
        ],
        ["Supervisors", "Marketing", "Strategy team"],
    ),
]


def demo_plans_create(by: User) -> list[str]:
    said = []
    for key, name, kind, measures, checklist, tell in DEMO_PLANS:
        if EmergencyPlan.objects.filter(key=key).exists():
            said.append(f"plan {key}: already there")
            continue
        plan = plan_save(
            by=by,
            key=key,
            name=name,
            kind=kind,
            measures=measures,
            checklist=checklist,
            tell=tell,
            deputy_role=DeputyRole.OPERATOR,
            customer_text=CUSTOMER,
        )
        said.append(f"plan {plan}: {len(measures)} measures")
    return said
