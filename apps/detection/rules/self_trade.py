"""Self-trading: one account on both sides of its own fills."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..context import Context
from .base import Finding, Rule, account_day_finding, explain, notional, urgency
from .views import among, group_rows, trade_ids, trades


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    t = trades(ctx)
    selfs = t[t["buyer"] == t["seller"]]
    if selfs.empty:
        return []  # (a window without trades has no quantity column to read)
    theirs = _fills_of(t, selfs["buyer"].unique())
    symbol_of, day_of, qty = (t[name].to_numpy() for name in ("symbol", "day", "qty"))
    findings = []
    for (account, symbol, day), rows in group_rows(selfs[["buyer", "symbol", "day"]]).items():
        count = len(rows)
        if count < params["min_self_trades"]:
            continue
        own = theirs[account]
        own = own[(symbol_of[own] == symbol) & (day_of[own] == day)]
        # nansum: a missing quantity counts nothing, as in a Series' sum.
        share = float(selfs["qty"].iloc[rows].sum() / max(np.nansum(qty[own]), 1e-12))
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


def _fills_of(t: pd.DataFrame, traders: np.ndarray) -> dict[int, np.ndarray]:
    """Per trader (account code), the rows of its fills on either side, in trade order:
    the volume share needs only the self-traders' own fills, cut out once (a filter of
    every trade per finding costs more than the finding)."""
    buyer, seller = t["buyer"].to_numpy(), t["seller"].to_numpy()
    bought = np.flatnonzero(among(buyer, traders))
    sold = np.flatnonzero(among(seller, traders) & (seller != buyer))  # a self-fill once
    rows = np.concatenate([bought, sold])
    who = np.concatenate([buyer[bought], seller[sold]])
    if not len(rows):
        return {}
    order = np.lexsort((rows, who))
    rows, who = rows[order], who[order]
    starts = np.flatnonzero(np.r_[True, who[1:] != who[:-1]])
    return {
        int(who[start]): rows[start:end]
        for start, end in zip(starts, [*starts[1:], len(who)], strict=True)
    }


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
    reads_links=False,
)
