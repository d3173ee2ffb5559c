"""All planted incidents and hard negatives of one seed."""

from __future__ import annotations

import numpy as np

from . import plans_control, plans_other, plans_trading
from .kit import Kit
from .negatives import plant_negatives
from .plan import Plan
from .population import Population

STRENGTHS = ("blatant", "moderate", "subtle", "subtle", "moderate", "blatant")
PLANTERS = {
    "self_trade": plans_trading.self_trade,
    "linked_mutual_trade": plans_trading.linked_mutual,
    "matched_trade_price": plans_trading.matched_price,
    "common_control": plans_control.common_control,
    "frequent_cancel": plans_trading.frequent_cancel,
    "large_cancel": plans_trading.large_cancel,
    "combined_position_limit": plans_control.combined_position,
    "daily_open_limit": plans_control.daily_open,
    "unauthorized_algo": plans_trading.unauthorized_algo,
    "account_theft": plans_control.account_theft,
    "abnormal_pnl": plans_other.abnormal_pnl,
    "promo_abuse": plans_other.promo_abuse,
}


def plant_all(pop: Population, start: int, end: int, rng: np.random.Generator) -> list[Plan]:
    """Hard negatives first (they claim the trend contract), then 3-6 incidents a category."""
    kit = Kit(pop, start, end, rng)
    avoid = plant_negatives(kit)
    for planter in PLANTERS.values():
        for v in range(int(rng.integers(3, 7))):
            planter(kit, STRENGTHS[v], v)
    for v in range(int(rng.integers(3, 5))):
        plans_other.market_stress(kit, STRENGTHS[v], v, avoid)
    return kit.plans
