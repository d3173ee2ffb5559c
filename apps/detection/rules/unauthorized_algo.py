"""Programmatic (high-frequency) trading by accounts not authorised for it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..context import MS_PER_DAY, MS_PER_MINUTE, Context
from .base import Finding, Rule, day_window, explain, notional, urgency
from .machine_pace import machine_pace
from .views import order_ids, orders


def _fast_minutes(o: pd.DataFrame, params: dict[str, Any], n_symbols: int) -> pd.DataFrame:
    """(account, day, minute) of every minute at or above the HFT message rate."""
    cancelled = o["cancelled"].to_numpy() >= 0
    # A message is an order entry or a cancel (MiFID II RTS 6 counts both).
    account = np.concatenate([o["account"].to_numpy(), o["account"].to_numpy()[cancelled]])
    symbol = np.concatenate([o["symbol"].to_numpy(), o["symbol"].to_numpy()[cancelled]])
    ts = np.concatenate([o["created"].to_numpy(), o["cancelled"].to_numpy()[cancelled]])
    minute = ts // MS_PER_MINUTE
    first = minute.min() if len(minute) else 0
    minute -= first
    span = int(minute.max()) + 1 if len(minute) else 1
    per_symbol = params["per_instrument_rate"] * 60
    # Only accounts with enough messages for min_fast_minutes busy minutes can qualify.
    total = np.bincount(account)
    busy = total[account] >= per_symbol * params["min_fast_minutes"]
    account, symbol, minute = account[busy], symbol[busy], minute[busy]
    every = account * span + minute
    keys, inverse, counts = np.unique(every, return_inverse=True, return_counts=True)
    fast_all = keys[counts >= params["all_instruments_rate"] * 60]
    peak = pd.Series(counts, index=keys // span).groupby(level=0).max()
    # A minute can only be fast in one instrument if it is that fast in all of them.
    hot = counts[inverse] >= per_symbol
    one = (account[hot] * (n_symbols + 1) + symbol[hot] + 1) * span + minute[hot]
    keys, counts = np.unique(one, return_counts=True)
    fast = keys[counts >= per_symbol]
    fast_one = fast // span // (n_symbols + 1) * span + fast % span
    both = np.union1d(fast_one, fast_all)
    frame = pd.DataFrame({"account": both // span, "minute": both % span + first})
    frame["day"] = frame["minute"] * MS_PER_MINUTE // MS_PER_DAY
    frame["peak"] = peak.reindex(frame["account"]).to_numpy()
    return frame


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    o = orders(ctx)
    if o.empty:
        return []
    codes = o["account"].to_numpy()
    allowed = ctx.flag("api_trading_allowed", codes) | ctx.flag("market_maker", codes)
    # Only accounts with enough messages for min_fast_minutes busy minutes, or with API
    # orders, can qualify: drop everyone else before copying millions of rows.
    messages = np.bincount(codes) + np.bincount(codes, weights=o["cancelled"].to_numpy() >= 0)
    floor = params["per_instrument_rate"] * 60 * params["min_fast_minutes"]
    api_users = np.unique(codes[o["api"].to_numpy() & ~allowed])
    busy = messages >= floor
    busy[api_users] = True
    o = o[busy[codes] & ~allowed]
    fast = _fast_minutes(o, params, len(ctx.symbols))
    per_day = fast.groupby(["account", "day"]).agg(minutes=("minute", "size"), peak=("peak", "max"))
    api = o[o["api"]].groupby(["account", "day"]).size()
    pace = machine_pace(o, params)
    machine = pace[pace["machine"]]
    candidates = sorted(
        {(int(a), int(d)) for index in (per_day.index, api.index, machine.index) for a, d in index}
    )
    findings = []
    suspects = o[o["account"].isin([account for account, _ in candidates])]
    for account, day in candidates:
        minutes = int(per_day["minutes"].get((account, day), 0))
        api_orders = int(api.get((account, day), 0))
        paced = (account, day) in machine.index
        if (
            minutes < params["min_fast_minutes"]
            and api_orders < params["min_api_orders"]
            and not paced
        ):
            continue
        reflexes, jitter, gap_ms, day_orders = (
            pace.loc[(account, day), ["reflexes", "jitter", "gap_ms", "orders"]]
            if (account, day) in pace.index
            else (0, np.nan, np.nan, 0)
        )
        peak = int(per_day["peak"].get((account, day), 0))
        who = str(ctx.accounts[account])
        start, end = day_window(int(day))
        mine = suspects[(suspects["account"] == account) & (suspects["day"] == day)]
        ratio = max(
            minutes / params["min_fast_minutes"],
            api_orders / params["min_api_orders"],
            reflexes / params["min_reflex_orders"] if paced else 0.0,
            1.0 if paced else 0.0,
        )
        stake = notional(ctx, mine) / 10  # orders sent, not money spent
        judged = urgency(past=ratio, notional=stake)
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
                    explain(
                        "minutes at machine speed in one contract",
                        minutes,
                        "minutes",
                        params["min_fast_minutes"],
                    ),
                    explain(
                        "busiest minute", peak / 60, "messages/s", params["per_instrument_rate"]
                    ),
                    explain(
                        "orders through the API without authorisation",
                        api_orders,
                        "orders",
                        params["min_api_orders"],
                    ),
                    explain(
                        "orders entered within a human reaction time of the last message",
                        reflexes,
                        "orders",
                        max(params["min_reflex_orders"], params["min_reflex_share"] * day_orders),
                    ),
                    explain(
                        "spread of the gaps between orders (share of the median gap)",
                        float(np.nan_to_num(jitter, nan=1.0)) * 100,
                        "%",
                        params["max_beat_jitter"] * 100,
                        "<=",
                    ),
                ],
                summary=f"{who} (no API authorisation) sent orders at machine speed in "
                f"{minutes} minute(s), peaking at {peak / 60:.1f} messages/s"
                + (
                    f"; {int(reflexes)} of {int(day_orders)} orders within "
                    f"{params['reflex_ms']:g} ms of its last message, median gap "
                    f"{np.nan_to_num(gap_ms):,.0f} ms"
                    if paced
                    else ""
                ),
                metrics={
                    "fast_minutes": minutes,
                    "peak_messages_per_minute": peak,
                    "api_orders": api_orders,
                    "reflex_orders": int(reflexes),
                    "gap_jitter": round(float(np.nan_to_num(jitter, nan=1.0)), 4),
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
        # rules/machine_pace.py: a person needs about a quarter of a second to react
        "reflex_ms": 500,
        "min_reflex_orders": 100,
        "min_reflex_share": 0.75,
        "min_beat_orders": 500,
        "max_beat_gap_ms": 10_000,
        "max_beat_jitter": 0.02,
        "min_beat_minutes": 60,
    },
    run=run,
    per_symbol=False,
)
