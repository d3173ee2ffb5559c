"""Abnormal realised profit: outsized gains at a near-perfect win rate."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..context import Context
from .base import Finding, Rule, day_window, explain, urgency
from .views import trade_ids, trades


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    t = trades(ctx)
    if t.empty:
        return []
    closes = pd.concat(
        [
            pd.DataFrame(
                {"account": t["buyer"], "day": t["day"], "pnl": t["buyer_pnl"], "row": t.index}
            )[~t["buyer_opens"].to_numpy()],
            pd.DataFrame(
                {"account": t["seller"], "day": t["day"], "pnl": t["seller_pnl"], "row": t.index}
            )[~t["seller_opens"].to_numpy()],
        ]
    )
    closes["win"] = closes["pnl"] > 0
    per_day = closes.groupby(["account", "day"]).agg(
        pnl=("pnl", "sum"), closes=("pnl", "size"), wins=("win", "sum")
    )
    per_day["win_rate"] = per_day["wins"] / per_day["closes"]
    hits = per_day[
        (per_day["pnl"] >= params["min_profit"])
        & (per_day["win_rate"] >= params["min_win_rate"])
        & (per_day["closes"] >= params["min_closes"])
    ]
    findings = []
    closes = closes[closes["account"].isin(hits.index.get_level_values("account"))]
    for (account, day), row in hits.iterrows():
        who = str(ctx.accounts[account])
        start, end = day_window(int(day))
        rows = closes[(closes["account"] == account) & (closes["day"] == day)]["row"]
        judged = urgency(past=row["pnl"] / params["min_profit"], notional=float(row["pnl"]))
        findings.append(
            Finding(
                subject=who,
                accounts=[who],
                symbol=None,
                window_start=start,
                window_end=end,
                score=judged.score,
                severity=judged.severity,
                explain=[
                    explain("realised profit that day", row["pnl"], "USDT", params["min_profit"]),
                    explain(
                        "closing fills won",
                        row["win_rate"] * 100,
                        "%",
                        params["min_win_rate"] * 100,
                    ),
                    explain("closing fills", row["closes"], "fills", params["min_closes"]),
                ],
                summary=f"{who} realised {row['pnl']:,.0f} USDT in a day, winning "
                f"{row['win_rate']:.0%} of {int(row['closes'])} closing fills",
                metrics={
                    "realized_pnl": round(float(row["pnl"]), 2),
                    "win_rate": round(float(row["win_rate"]), 3),
                    "closing_fills": int(row["closes"]),
                },
                evidence={"trade_ids": trade_ids(ctx, np.asarray(rows)), "order_ids": []},
            )
        )
    return findings


RULE = Rule(
    code="abnormal_pnl",
    category="abnormal_pnl",
    description=(
        "Large realised profit won on nearly every closing fill is what exploiting a price "
        "or rule loophole looks like; the platform's rules let it claw such gains back. "
        "Large but ordinary traders (whales) win about half their closes."
    ),
    default_params={"min_profit": 50_000.0, "min_win_rate": 0.8, "min_closes": 10},
    run=run,
    per_symbol=False,
)
