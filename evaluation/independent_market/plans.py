"""All planted incidents and hard negatives of one seed."""

from __future__ import annotations

import numpy as np

from . import plans_control, plans_other, plans_trading
from .kit import Kit
from .negatives import plant_negatives
from .plan import Plan
from .population import Population

STRENGTHS = ("blatant", "moderate", "subtle", "subtle", "moderate", "blatant")
# Where the variant itself decides how hard an incident is to see, its strength follows it.
BY_VARIANT = {
    "linked_mutual_trade": ("blatant", "moderate", "subtle", "subtle"),
    "common_control": ("blatant", "moderate", "subtle", "moderate", "subtle"),
    "combined_position_limit": ("blatant", "moderate", "subtle", "subtle"),
    "unauthorized_algo": ("blatant", "moderate", "subtle", "moderate"),
    "account_theft": ("blatant", "moderate", "subtle", "subtle"),
    "abnormal_pnl": ("blatant", "moderate", "subtle", "moderate"),
    "promo_abuse": ("blatant", "moderate", "subtle", "moderate"),
    "market_stress": ("blatant", "moderate", "subtle", "moderate"),
}


def strength(category: str, v: int) -> str:
    fixed = BY_VARIANT.get(category)
    return fixed[v % len(fixed)] if fixed else STRENGTHS[v]


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
    for category, planter in PLANTERS.items():
        for v in range(int(rng.integers(3, 7))):
            planter(kit, strength(category, v), v)
    for v in range(int(rng.integers(3, 5))):
        plans_other.market_stress(kit, strength("market_stress", v), v, avoid)
    culprits = {i for p in kit.plans if not p.negative for i in p.accounts}
    for p in kit.plans:  # crowd negatives (NAT, hot wallet) were listed before the picking
        if p.negative:
            p.accounts = [i for i in p.accounts if i not in culprits]
    return kit.plans
