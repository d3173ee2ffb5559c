"""Every detection rule, one module per alert category."""

from __future__ import annotations

from . import (
    abnormal_pnl,
    account_theft,
    combined_position_limit,
    common_control,
    daily_open_limit,
    frequent_cancel,
    large_cancel,
    linked_mutual_trade,
    market_stress,
    matched_trade_price,
    promo_abuse,
    self_trade,
    unauthorized_algo,
)
from .base import Finding, Rule

RULES: dict[str, Rule] = {
    module.RULE.code: module.RULE
    for module in (
        self_trade,
        linked_mutual_trade,
        matched_trade_price,
        common_control,
        frequent_cancel,
        large_cancel,
        combined_position_limit,
        daily_open_limit,
        unauthorized_algo,
        account_theft,
        abnormal_pnl,
        promo_abuse,
        market_stress,
    )
}

__all__ = ["RULES", "Finding", "Rule"]
