"""Programmatic (high-frequency) trading by accounts not authorised for it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..context import MS_PER_DAY, MS_PER_MINUTE, Context
from .base import Finding, Rule, day_window, score
from .views import order_ids, orders


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    o = orders(ctx)
    if o.empty:
        return []
    allowed = ctx.flag("api_trading_allowed", o["account"].to_numpy()) | ctx.flag(
        "market_maker", o["account"].to_numpy()
    )
    o = o[~allowed]
    # A message is an order entry or a cancel (MiFID II RTS 6 counts both).
    messages = pd.DataFrame(
        {
            "account": np.concatenate([o["account"], o["account"][o["cancelled"] >= 0]]),
            "symbol": np.concatenate([o["symbol"], o["symbol"][o["cancelled"] >= 0]]),
            "ts": np.concatenate([o["created"], o["cancelled"][o["cancelled"] >= 0]]),
        }
    )
    messages["minute"] = messages["ts"] // MS_PER_MINUTE
    per_minute = params["per_instrument_rate"] * 60
    busy = messages.groupby("account").size()
    messages = messages[messages["account"].isin(busy.index[busy >= per_minute])]
    one = messages.groupby(["account", "symbol", "minute"]).size()
    fast_one = one[one >= per_minute].reset_index()[["account", "minute"]]
    every = messages.groupby(["account", "minute"]).size()
    fast_all = every[every >= params["all_instruments_rate"] * 60].reset_index()[
        ["account", "minute"]
    ]
    fast = pd.concat([fast_one, fast_all]).drop_duplicates()
    fast["day"] = fast["minute"] * MS_PER_MINUTE // MS_PER_DAY
    api = o[o["api"]].groupby(["account", "day"]).size()
    findings = []
    candidates = set(fast.groupby(["account", "day"]).size().index) | set(api.index)
    for account, day in sorted(candidates):
        minutes = int(((fast["account"] == account) & (fast["day"] == day)).sum())
        api_orders = int(api.get((account, day), 0))
        if minutes < params["min_fast_minutes"] and api_orders < params["min_api_orders"]:
            continue
        peak = int(every.loc[account].max()) if account in every.index else 0
        who = str(ctx.accounts[account])
        start, end = day_window(int(day))
        mine = o[(o["account"] == account) & (o["day"] == day)]
        ratio = max(minutes / params["min_fast_minutes"], api_orders / params["min_api_orders"])
        findings.append(
            Finding(
                subject=who,
                accounts=[who],
                symbol=None,
                window_start=start,
                window_end=end,
                score=score(ratio),
                summary=f"{who} (no API authorisation) sent orders at machine speed in "
                f"{minutes} minute(s), peaking at {peak / 60:.1f} messages/s",
                metrics={
                    "fast_minutes": minutes,
                    "peak_messages_per_minute": peak,
                    "api_orders": api_orders,
                    "orders": len(mine),
                },
                evidence={"order_ids": order_ids(ctx, mine.index), "trade_ids": []},
            )
        )
    return findings


RULE = Rule(
    code="unauthorized_algo",
    category="unauthorized_algo",
    description=(
        "Order flow at machine speed from an account not authorised for programmatic "
        "trading can endanger the matching engine and orderly trading. Uses the MiFID II "
        "high-frequency thresholds (Delegated Reg. 2017/565 Art. 19: 2 messages/s in one "
        "instrument or 4 messages/s across instruments), applied per minute, and flags "
        "orders sent through the API channel without authorisation."
    ),
    default_params={
        "per_instrument_rate": 2.0,
        "all_instruments_rate": 4.0,
        "min_fast_minutes": 3,
        "min_api_orders": 10,
    },
    run=run,
    per_symbol=False,
)
