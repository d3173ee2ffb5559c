"""Frequent order-and-cancel in one contract within a day."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..context import Context
from .base import Finding, Rule, account_day_finding, explain, notional, urgency
from .machine_pace import run_starts
from .views import order_ids, orders


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    o = orders(ctx)
    if o.empty:
        return []
    account = o["account"].to_numpy()
    pulled = o["cancelled"].to_numpy() >= 0
    # Only an account with min_cancels cancels in the window can have them in one
    # contract in a day: the rest of the rows are never grouped.
    per_account = np.bincount(account[pulled], minlength=int(account.max()) + 1)
    rows = np.flatnonzero((per_account >= params["min_cancels"])[account])
    account, pulled = account[rows], pulled[rows]
    symbol, day = o["symbol"].to_numpy()[rows], o["day"].to_numpy()[rows]
    filled = o["filled"].to_numpy()[rows] > 0
    # Cheap pre-count on a dense integer key (account, symbol, day): a bincount, no sort.
    offset = day - (day.min() if len(day) else 0)
    key = (account * (len(ctx.symbols) + 1) + symbol + 1) * (int(offset.max(initial=0)) + 1)
    key += offset
    per_key = np.bincount(key, weights=pulled)
    filled_share = np.bincount(key, weights=filled) / np.maximum(np.bincount(key), 1)
    # Only the (account, symbol, day) groups past both thresholds are looked at one by one;
    # a busy trader whose orders do trade (a high fill share) is not misleading anyone.
    # Judged per key, then one gather per order (not two, and no per-order comparison).
    wanted = ((per_key >= params["min_cancels"]) & (filled_share <= params["max_fill_ratio"]))[key]
    if params["exempt_market_makers"]:
        near = np.flatnonzero(wanted)
        wanted[near] = ~ctx.flag("market_maker", account[near])
    # The suspects' rows by (account, symbol, day), each group's in the feed's order.
    suspects = np.flatnonzero(wanted)
    if len(suspects) == 0:
        return []
    suspects = suspects[np.argsort(key[suspects], kind="stable")]
    starts = run_starts(key[suspects])
    findings = []
    for where in np.split(suspects, starts[1:]):
        first = where[0]
        cancels = int(pulled[where].sum())
        fill_ratio = float(filled[where].mean())
        # What was shown and withdrawn is not money at risk: a tenth of it is the stake.
        shown = rows[where[pulled[where]]]
        stake = notional(ctx, o.iloc[shown]) / 10
        who, sym = str(ctx.accounts[account[first]]), ctx.symbols[symbol[first]]
        findings.append(
            account_day_finding(
                who,
                sym,
                int(day[first]),
                strength=urgency(past=cancels / params["min_cancels"], notional=stake),
                summary=f"{who} cancelled {cancels} orders in {sym} in a day; "
                f"{fill_ratio:.1%} of its orders filled",
                metrics={
                    "cancels": cancels,
                    "orders": len(where),
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
                    explain("orders placed there", len(where), "orders"),
                ],
                evidence={
                    "order_ids": order_ids(ctx, shown),
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
        "genuine trading intent. An account already alerted as an unauthorised algo is "
        "that one alert."
    ),
    default_params={"min_cancels": 500, "max_fill_ratio": 0.1, "exempt_market_makers": True},
    run=run,
    # An account without algo authorisation that sends and pulls orders at machine speed
    # is one case: the unauthorized_algo alert names it, its orders behind it, and the
    # cancels are part of that burst, not a second alert on the same account that day.
    covered_by=("unauthorized_algo",),
    reads_links=False,
    heavy=True,
)
