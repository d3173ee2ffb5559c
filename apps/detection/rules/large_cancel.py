"""Repeated large order-and-cancel: spoofing and layering."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..context import Context
from .base import Finding, Rule, account_day_finding, score
from .views import group_rows, order_ids, orders


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    o = orders(ctx)
    if o.empty:
        return []
    symbol = o["symbol"].to_numpy()
    median = o.groupby("symbol")["qty"].median().reindex(range(len(ctx.symbols))).to_numpy()
    size = ctx.limits("contract_size")[symbol]
    price = np.where(np.isnan(o["price"].to_numpy()), 0.0, o["price"].to_numpy())
    notional = o["qty"].to_numpy() * np.nan_to_num(size, nan=1.0) * price
    large = (o["qty"].to_numpy() >= params["size_multiple"] * median[symbol]) & (
        notional >= params["min_notional"]
    )
    big = o[large]
    if params["exempt_market_makers"]:
        big = big[~ctx.flag("market_maker", big["account"].to_numpy())]
    life = big["cancelled"] - big["created"]
    pulled = (
        (big["cancelled"] >= 0)
        & (life <= params["max_lifetime_ms"])
        & (big["filled"] < params["max_fill_share"] * big["qty"])
    )
    big = big.assign(pulled=pulled.to_numpy())
    # Count per (account, symbol, day) first, so only the groups past both thresholds are
    # looked at one by one (a busy window has thousands of accounts with large orders).
    days = big["day"].to_numpy() - (big["day"].min() if len(big) else 0)
    group, _ = pd.factorize(
        (big["account"].to_numpy() * (len(ctx.symbols) + 1) + big["symbol"].to_numpy())
        * (int(days.max(initial=0)) + 1)
        + days
    )
    pulled_count = np.bincount(group, weights=big["pulled"].to_numpy())
    group_share = pulled_count / np.bincount(group)
    enough = pulled_count >= params["min_large_cancels"]
    passing = enough & (group_share >= params["min_cancel_share"])
    big = big[passing[group]]
    findings = []
    for (account, sym_code, day), where in group_rows(big[["account", "symbol", "day"]]).items():
        part = big.iloc[where]
        count, share = int(part["pulled"].sum()), float(part["pulled"].mean())
        who, sym = str(ctx.accounts[account]), ctx.symbols[sym_code]
        shown = float(notional[part.index[part["pulled"]]].sum())
        findings.append(
            account_day_finding(
                who,
                sym,
                int(day),
                strength=score(count / params["min_large_cancels"]),
                summary=f"{who} placed and pulled {count} large orders in {sym} "
                f"({shown:,.0f} USDT shown, {share:.0%} of its large orders)",
                metrics={"large_cancels": count, "large_orders": len(part), "notional": shown},
                evidence={"order_ids": order_ids(ctx, part.index[part["pulled"]]), "trade_ids": []},
            )
        )
    return findings


RULE = Rule(
    code="large_cancel",
    category="large_cancel",
    description=(
        "Large orders shown and pulled within seconds, again and again, create a false "
        "impression of supply or demand (spoofing / layering: Dodd-Frank s.747, CME Rule "
        "575, MAR Annex I). Large means many times the contract's typical order and a "
        "material notional; a whale whose large orders fill is not spoofing."
    ),
    default_params={
        "size_multiple": 20.0,
        "min_notional": 250_000.0,
        "max_lifetime_ms": 60_000,
        "max_fill_share": 0.2,
        "min_large_cancels": 10,
        "min_cancel_share": 0.5,
        "exempt_market_makers": True,
    },
    run=run,
)
