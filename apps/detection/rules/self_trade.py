"""Self-trading: one account on both sides of its own fills."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..context import Context
from .base import Finding, Rule, account_day_finding, explain, notional, urgency
from .views import among, group_rows, trade_ids, trades


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    t = trades(ctx)
    selfs = t[t["buyer"] == t["seller"]]
    # The volume share needs only the self-traders' own fills: cut those out once, as
    # arrays (a frame filter per finding copies every column).
    traders = selfs["buyer"].unique()
    buyer, seller = t["buyer"].to_numpy(), t["seller"].to_numpy()
    theirs = np.flatnonzero(among(buyer, traders) | among(seller, traders))
    their_buyer, their_seller = buyer[theirs], seller[theirs]
    their_symbol, their_day = t["symbol"].to_numpy()[theirs], t["day"].to_numpy()[theirs]
    their_qty = t["qty"].to_numpy()[theirs]
    findings = []
    for (account, symbol, day), rows in group_rows(selfs[["buyer", "symbol", "day"]]).items():
        count = len(rows)
        if count < params["min_self_trades"]:
            continue
        mine = (
            (their_symbol == symbol)
            & (their_day == day)
            & ((their_buyer == account) | (their_seller == account))
        )
        # nansum: a missing quantity counts nothing, as in a Series' sum.
        share = float(selfs["qty"].iloc[rows].sum() / max(np.nansum(their_qty[mine]), 1e-12))
        who, sym = str(ctx.accounts[account]), ctx.symbols[symbol]
        stake = notional(ctx, selfs.iloc[rows])
        findings.append(
            account_day_finding(
                who,
                sym,
                int(day),
                strength=urgency(past=count / params["min_self_trades"], notional=stake),
                summary=f"{who} traded with itself {count} times in {sym} "
                f"({share:.1%} of its volume there)",
                metrics={
                    "self_trades": count,
                    "self_volume_share": round(share, 4),
                    "notional": round(stake, 2),
                },
                explain=[
                    explain(
                        "self-trades in the contract that day",
                        count,
                        "trades",
                        params["min_self_trades"],
                    ),
                    explain("share of its own volume there", share * 100, "%"),
                    explain("notional of the self-trades", stake, "USDT"),
                ],
                evidence={"trade_ids": trade_ids(ctx, selfs.index[rows]), "order_ids": []},
            )
        )
    return findings


RULE = Rule(
    code="self_trade",
    category="self_trade",
    description=(
        "An account that is both buyer and seller of a fill transfers nothing and prints "
        "fake volume and prices. Futures exchanges treat 5 or more self-trades in one "
        "contract in one day as abnormal; fewer are incidental (e.g. a market maker's "
        "quotes crossing)."
    ),
    default_params={"min_self_trades": 5},
    run=run,
)
