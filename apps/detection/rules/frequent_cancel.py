"""Frequent order-and-cancel in one contract within a day."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..context import Context
from .base import Finding, Rule, account_day_finding, explain, notional, urgency
from .views import group_rows, order_ids, orders


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    o = orders(ctx)
    if o.empty:
        return []
    cancelled = (o["cancelled"] >= 0).to_numpy()
    # Cheap pre-count on a dense integer key (account, symbol, day): a bincount, no sort.
    offset = o["day"].to_numpy() - o["day"].min()
    key = (o["account"].to_numpy() * (len(ctx.symbols) + 1) + o["symbol"].to_numpy() + 1) * (
        int(offset.max()) + 1
    ) + offset
    per_key = np.bincount(key, weights=cancelled)
    filled_share = np.bincount(key, weights=(o["filled"] > 0).to_numpy()) / np.maximum(
        np.bincount(key), 1
    )
    # Only the (account, symbol, day) groups past both thresholds are looked at one by one;
    # a busy trader whose orders do trade (a high fill share) is not misleading anyone.
    # Judged per key, then one gather per order (not two, and no per-order comparison).
    wanted = ((per_key >= params["min_cancels"]) & (filled_share <= params["max_fill_ratio"]))[key]
    if params["exempt_market_makers"]:
        near = np.flatnonzero(wanted)
        wanted[near] = ~ctx.flag("market_maker", o["account"].to_numpy()[near])
    suspects = o[wanted]
    findings = []
    for (account, symbol, day), where in group_rows(suspects[["account", "symbol", "day"]]).items():
        part = suspects.iloc[where]
        cancels = int((part["cancelled"] >= 0).sum())
        fill_ratio = float((part["filled"] > 0).mean())
        who, sym = str(ctx.accounts[account]), ctx.symbols[symbol]
        pulled = part[part["cancelled"] >= 0]
        # What was shown and withdrawn is not money at risk: a tenth of it is the stake.
        stake = notional(ctx, pulled) / 10
        findings.append(
            account_day_finding(
                who,
                sym,
                int(day),
                strength=urgency(past=cancels / params["min_cancels"], notional=stake),
                summary=f"{who} cancelled {cancels} orders in {sym} in a day; "
                f"{fill_ratio:.1%} of its orders filled",
                metrics={
                    "cancels": cancels,
                    "orders": len(part),
                    "fill_ratio": round(fill_ratio, 4),
                },
                explain=[
                    explain(
                        "orders cancelled in the contract that day",
                        cancels,
                        "orders",
                        params["min_cancels"],
                    ),
                    explain(
                        "orders that filled",
                        fill_ratio * 100,
                        "%",
                        params["max_fill_ratio"] * 100,
                        "<=",
                    ),
                    explain("orders placed there", len(part), "orders"),
                ],
                evidence={
                    "order_ids": order_ids(ctx, pulled.index),
                    "trade_ids": [],
                },
            )
        )
    return findings


RULE = Rule(
    code="frequent_cancel",
    category="frequent_cancel",
    description=(
        "Hundreds of orders placed and withdrawn in one contract in a day, almost none of "
        "which trade, fill the book with liquidity that is not there. Chinese futures "
        "exchanges (CFFEX, SHFE) treat 500 or more cancels per contract per day as "
        "abnormal; market makers on the programme are exempt, and a high fill ratio shows "
        "genuine trading intent."
    ),
    default_params={"min_cancels": 500, "max_fill_ratio": 0.1, "exempt_market_makers": True},
    run=run,
)
