"""Matched trades at prices away from the market, to push or hold the price."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..context import Context
from .base import Finding, Rule, day_window, score
from .linked_trades import internal_trades, participants
from .views import group_rows, trade_ids


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    t = internal_trades(ctx, include_self=True)
    t = t[np.abs(t["deviation"]) >= params["off_market"]]
    findings = []
    for (cluster, symbol, day), rows in group_rows(t[["cluster", "symbol", "day"]]).items():
        count = len(rows)
        if count < params["min_trades"]:
            continue
        part = t.iloc[rows].sort_values("ts")
        worst = float(np.abs(part["deviation"]).max())
        who, sym = participants(ctx, part), ctx.symbols[symbol]
        start, end = day_window(int(day))
        moved = float(part["price"].iloc[-1] / part["price"].iloc[0] - 1.0)
        findings.append(
            Finding(
                subject=str(cluster),
                accounts=who,
                symbol=sym,
                window_start=start,
                window_end=end,
                score=score(worst / params["off_market"] * count / params["min_trades"] / 2),
                summary=f"{', '.join(who[:4])} traded among themselves {count} times in {sym} "
                f"up to {worst:.1%} away from the mark",
                metrics={
                    "matched_trades": count,
                    "max_deviation": round(worst, 5),
                    "price_move": round(moved, 5),
                },
                evidence={"trade_ids": trade_ids(ctx, part.index), "cluster": str(cluster)},
            )
        )
    return findings


RULE = Rule(
    code="matched_trade_price",
    category="matched_trade_price",
    description=(
        "One account, or linked accounts, printing trades with each other well away from "
        "the mark price are painting the tape: moving or pinning the last price "
        "(manipulation by matched orders, CME Rule 534 / MAR Art. 12(1)(a))."
    ),
    default_params={"min_trades": 3, "off_market": 0.005},
    run=run,
)
