"""Mutual trading between accounts under one actual controller."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..context import Context
from .base import Finding, Rule, day_window, explain, notional, urgency
from .fair_price import ordinary_deviation
from .linked_trades import internal_trades, participants
from .views import group_rows, trade_ids


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    t = internal_trades(ctx, include_self=False)
    # Off-market prints belong to matched_trade_price; here the trades look ordinary:
    # nearer the mark than off_market, or than noise_multiple x the contract's ordinary
    # distance that day (a thin contract's fair trades stray 1-2 % from its mark).
    noise = ordinary_deviation(ctx).reindex(pd.MultiIndex.from_arrays([t["symbol"], t["day"]]))
    floor = np.maximum(params["off_market"], params["noise_multiple"] * np.nan_to_num(noise))
    t = t[np.abs(t["deviation"].fillna(0.0).to_numpy()) < floor]
    findings = []
    for (cluster, symbol, day), rows in group_rows(t[["cluster", "symbol", "day"]]).items():
        count = len(rows)
        if count < params["min_trades"]:
            continue
        part = t.iloc[rows]
        who, sym = participants(ctx, part), ctx.symbols[symbol]
        start, end = day_window(int(day))
        volume = notional(ctx, part)
        judged = urgency(past=count / params["min_trades"], notional=volume, accounts=len(who))
        findings.append(
            Finding(
                subject=str(cluster),
                accounts=who,
                symbol=sym,
                window_start=start,
                window_end=end,
                score=judged.score,
                severity=judged.severity,
                explain=[
                    explain(
                        "trades between the linked accounts that day",
                        count,
                        "trades",
                        params["min_trades"],
                    ),
                    explain("notional of those trades", volume, "USDT"),
                    explain("linked accounts trading", len(who), "accounts"),
                ],
                summary=f"{len(who)} linked accounts ({', '.join(who[:4])}) traded with "
                f"each other {count} times in {sym}",
                metrics={"mutual_trades": count, "accounts": len(who), "notional": volume},
                evidence={"trade_ids": trade_ids(ctx, part.index), "cluster": str(cluster)},
            )
        )
    return findings


RULE = Rule(
    code="linked_mutual_trade",
    category="linked_mutual_trade",
    description=(
        "Accounts of one controller that act as each other's counterparty move money and "
        "print volume without market risk: a wash trade spread over accounts. The same "
        "5-a-day count as self-trading applies once the accounts are linked."
    ),
    default_params={"min_trades": 5, "off_market": 0.005, "noise_multiple": 3},
    run=run,
    # Fills inside a ramping pair are part of the ramp; wash volume of a bonus farm is the
    # promotion abuse the platform names (wash volume to meet campaign targets).
    covered_by=("matched_trade_price", "promo_abuse"),
)
