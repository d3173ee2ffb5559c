"""Opening volume over the contract's daily limit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..context import Context
from .base import Finding, Rule, account_day_finding, explain, notional, urgency
from .views import trade_ids, trades


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    t = trades(ctx)
    if t.empty:
        return []
    opens = pd.concat(
        [
            pd.DataFrame(
                {"account": t["buyer"], "symbol": t["symbol"], "day": t["day"], "qty": t["qty"]},
                copy=False,
            )[t["buyer_opens"].to_numpy()],
            pd.DataFrame(
                {"account": t["seller"], "symbol": t["symbol"], "day": t["day"], "qty": t["qty"]},
                copy=False,
            )[t["seller_opens"].to_numpy()],
        ]
    )
    opened = opens.groupby(["account", "symbol", "day"])["qty"].sum().reset_index()
    limit = ctx.limits("daily_open_limit")[opened["symbol"].to_numpy()]
    ratio = opened["qty"].to_numpy() / limit
    over = opened[np.nan_to_num(ratio) > params["limit_share"]]
    findings = []
    t = t[t["buyer"].isin(over["account"]) | t["seller"].isin(over["account"])]
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
)
