"""Opening volume over the contract's daily limit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..context import Context
from .base import Finding, Rule, account_day_finding, explain, notional, urgency
from .views import trade_ids, trades

DENSE_KEYS = 1 << 26  # (account, symbol, day) keys counted in one array at most


def _near_limit(
    t: pd.DataFrame, share: float, limit: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Per trade, whether the buyer's and the seller's opening fill may belong to an
    (account, symbol, day) over the limit: a quick sum per key in one bincount, with room
    for its rounding. None when the keys are too many to count so."""
    if len(limit) == 0:
        return None
    day = t["day"].to_numpy()
    first = int(day.min())
    days = int(day.max()) - first + 1
    symbol = t["symbol"].to_numpy()
    width = len(limit) + 1
    accounts = int(max(t["buyer"].max(), t["seller"].max())) + 1
    if accounts * width * days > DENSE_KEYS:
        return None
    lane = (symbol + 1) * days + (day - first)
    buyer = t["buyer"].to_numpy() * (width * days) + lane
    seller = t["seller"].to_numpy() * (width * days) + lane
    qty = t["qty"].to_numpy()
    buys, sells = t["buyer_opens"].to_numpy(), t["seller_opens"].to_numpy()
    size = accounts * width * days
    total = np.bincount(buyer[buys], weights=qty[buys], minlength=size)
    total += np.bincount(seller[sells], weights=qty[sells], minlength=size)
    # Per key, the limit of its symbol as the exact pass reads it (code -1: the last).
    cap = np.tile(np.repeat(np.r_[limit[-1:], limit], days), accounts)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.nan_to_num(total / cap)
    near = ratio > share - 1e-6 * max(1.0, abs(share))
    return near[buyer] & buys, near[seller] & sells


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    t = trades(ctx)
    if t.empty:
        return []
    limits = ctx.limits("daily_open_limit")
    near = _near_limit(t, params["limit_share"], limits)
    buys, sells = near or (t["buyer_opens"].to_numpy(), t["seller_opens"].to_numpy())
    # Exact sums on the opening fills of the keys near the limit, in the feed's order.
    opens = pd.concat(
        [
            pd.DataFrame(
                {"account": t["buyer"], "symbol": t["symbol"], "day": t["day"], "qty": t["qty"]},
                copy=False,
            )[buys],
            pd.DataFrame(
                {"account": t["seller"], "symbol": t["symbol"], "day": t["day"], "qty": t["qty"]},
                copy=False,
            )[sells],
        ]
    )
    opened = opens.groupby(["account", "symbol", "day"])["qty"].sum().reset_index()
    limit = limits[opened["symbol"].to_numpy()]
    ratio = opened["qty"].to_numpy() / limit
    over = opened[np.nan_to_num(ratio) > params["limit_share"]]
    findings = []
    named = np.zeros(int(max(t["buyer"].max(), t["seller"].max())) + 1, dtype=bool)
    named[over["account"].to_numpy()] = True
    t = t[named[t["buyer"].to_numpy()] | named[t["seller"].to_numpy()]]
    for row in over.itertuples():
        who, sym = str(ctx.accounts[row.account]), ctx.symbols[row.symbol]
        cap = float(ctx.limits("daily_open_limit")[row.symbol])
        mine = t[
            (
                (t["buyer"] == row.account) & t["buyer_opens"]
                | (t["seller"] == row.account) & t["seller_opens"]
            )
            & (t["symbol"] == row.symbol)
            & (t["day"] == row.day)
        ]
        stake = notional(ctx, mine)
        findings.append(
            account_day_finding(
                who,
                sym,
                int(row.day),
                strength=urgency(past=row.qty / cap, notional=stake),
                summary=f"{who} opened {row.qty:,.0f} contracts of {sym} in a day, "
                f"{row.qty / cap:.0%} of the {cap:,.0f} limit",
                metrics={
                    "opened": float(row.qty),
                    "limit": cap,
                    "ratio": round(row.qty / cap, 3),
                    "notional": round(stake, 2),
                },
                explain=[
                    explain(
                        "contracts opened that day",
                        row.qty,
                        "contracts",
                        cap * params["limit_share"],
                        ">",
                    ),
                    explain("notional of the opening fills", stake, "USDT"),
                ],
                evidence={"trade_ids": trade_ids(ctx, mine.index), "order_ids": []},
            )
        )
    return findings


RULE = Rule(
    code="daily_open_limit",
    category="daily_open_limit",
    description=(
        "Exchanges cap how many contracts one account may open in a contract per day "
        "(the instrument's daily_open_limit), as CFFEX does for index futures; opening "
        "more than the cap is a breach whatever the intent."
    ),
    default_params={"limit_share": 1.0},
    run=run,
    reads_links=False,
)
