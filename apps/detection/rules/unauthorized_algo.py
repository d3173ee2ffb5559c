"""Programmatic (high-frequency) trading by accounts not authorised for it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..context import MS_PER_DAY, MS_PER_MINUTE, Context
from .base import Finding, Rule, day_window, explain, notional, urgency
from .machine_pace import (
    Messages,
    machine_pace,
    messages,
    reflexive_accounts,
    run_lengths,
    run_starts,
)
from .views import order_ids, orders

FAST_COLUMNS = ["account", "minute", "day", "peak"]


def _fast_minutes(m: Messages, params: dict[str, Any]) -> pd.DataFrame:
    """(account, day, minute) of every minute at or above the HFT message rate, with the
    account's busiest minute (``peak`` messages)."""
    per_symbol = params["per_instrument_rate"] * 60
    account, symbol, minute = m.account, m.symbol, m.ts // MS_PER_MINUTE
    # Only accounts with enough messages for min_fast_minutes busy minutes can qualify.
    total = run_lengths(run_starts(account), len(m))
    busy = np.repeat(total >= per_symbol * params["min_fast_minutes"], total)
    account, symbol, minute = account[busy], symbol[busy], minute[busy]
    if len(account) == 0:
        return pd.DataFrame({name: np.zeros(0, np.int64) for name in FAST_COLUMNS})
    # The messages run in (account, minute) order: each minute of an account is a run.
    first = run_starts(account, minute)
    counts = run_lengths(first, len(account))
    fast_all = np.flatnonzero(counts >= params["all_instruments_rate"] * 60)
    # A minute can only be fast in one instrument if it is that fast in all of them.
    hot = np.repeat(counts >= per_symbol, counts)
    width = int(symbol.max()) + 2
    run = np.repeat(np.arange(len(first)), counts)[hot]
    one = np.sort(run * width + symbol[hot] + 1)
    edges = run_starts(one)
    fast_one = one[edges][run_lengths(edges, len(one)) >= per_symbol] // width
    both = np.union1d(fast_one, fast_all)
    # Each account's busiest minute, over its runs.
    owner = run_starts(account[first])
    peak = np.repeat(np.maximum.reduceat(counts, owner), run_lengths(owner, len(first)))
    frame = pd.DataFrame({"account": account[first][both], "minute": minute[first][both]})
    frame["day"] = frame["minute"] * MS_PER_MINUTE // MS_PER_DAY
    frame["peak"] = peak[both]
    return frame


def _within_reach(
    codes: np.ndarray,
    o: pd.DataFrame,
    allowed: np.ndarray,
    params: dict[str, Any],
) -> np.ndarray:
    """Per account code, whether it is unauthorised and could show one of the signs: the
    messages for min_fast_minutes fast minutes over the window, an API order, or, in one
    day (machine_pace judges each day on its own), the orders for the beat or reflexes."""
    accounts, day = len(allowed), o["day"].to_numpy()
    entered = np.bincount(codes, minlength=accounts)
    sent = entered + np.bincount(codes[o["cancelled"].to_numpy() >= 0], minlength=accounts)
    reach = sent >= params["per_instrument_rate"] * 60 * params["min_fast_minutes"]
    reach |= np.bincount(codes[o["api"].to_numpy()], minlength=accounts) > 0
    first, days = int(day.min()), int(day.max() - day.min()) + 1
    if days > 1:  # orders per (account, day); in a one-day window, the account's orders
        entered = np.bincount(codes * days + (day - first), minlength=accounts * days)
    busiest = entered.reshape(accounts, days).max(axis=1)
    reach |= busiest >= params["min_beat_orders"]
    reach &= ~allowed
    # Accounts that only the reflexes could flag (many, each with few orders): their
    # reflexes are counted first, so only those with a reflexive day get judged whole.
    reflex_only = ~reach & ~allowed & (busiest >= params["min_reflex_orders"])
    rows = np.flatnonzero(reflex_only[codes])
    if len(rows):
        stream = messages(
            codes[rows],
            o["symbol"].to_numpy()[rows],
            o["created"].to_numpy()[rows],
            o["cancelled"].to_numpy()[rows],
        )
        reach[reflexive_accounts(stream, params)] = True
    return reach


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    o = orders(ctx)
    if o.empty:
        return []
    codes = o["account"].to_numpy()
    accounts = np.arange(max(len(ctx.accounts), int(codes.max()) + 1))
    allowed = ctx.flag("api_trading_allowed", accounts) | ctx.flag("market_maker", accounts)
    # Only accounts that could show one of the signs can qualify: drop everyone else
    # before sorting millions of messages.
    api = o["api"].to_numpy()
    rows = np.flatnonzero(_within_reach(codes, o, allowed, params)[codes])
    sender, sent_on = codes[rows], o["day"].to_numpy()[rows]
    stream = messages(
        sender,
        o["symbol"].to_numpy()[rows],
        o["created"].to_numpy()[rows],
        o["cancelled"].to_numpy()[rows],
    )
    fast = _fast_minutes(stream, params)
    per_day = fast.groupby(["account", "day"]).agg(minutes=("minute", "size"), peak=("peak", "max"))
    through_api = api[rows]
    api_orders_per_day = (
        pd.DataFrame({"account": sender[through_api], "day": sent_on[through_api]})
        .groupby(["account", "day"])
        .size()
    )
    pace = machine_pace(stream, params)
    machine = pace[pace["machine"]]
    candidates = sorted(
        {
            (int(a), int(d))
            for index in (per_day.index, api_orders_per_day.index, machine.index)
            for a, d in index
        }
    )
    findings = []
    named = np.zeros(len(accounts), dtype=bool)
    named[[account for account, _ in candidates]] = True
    picked = named[sender]
    suspects, suspect, suspect_day = rows[picked], sender[picked], sent_on[picked]
    # Each candidate's row in the pace table (-1: no entries that day), looked up at once.
    paces = pace[["reflexes", "jitter", "gap_ms", "orders"]].to_numpy()
    at = (
        pace.index.get_indexer(pd.MultiIndex.from_tuples(candidates))
        if candidates and not pace.empty
        else np.full(len(candidates), -1)
    )
    for (account, day), place in zip(candidates, at, strict=True):
        minutes = int(per_day["minutes"].get((account, day), 0))
        api_orders = int(api_orders_per_day.get((account, day), 0))
        paced = (account, day) in machine.index
        if (
            minutes < params["min_fast_minutes"]
            and api_orders < params["min_api_orders"]
            and not paced
        ):
            continue
        reflexes, jitter, gap_ms, day_orders = (
            paces[place] if place >= 0 else (0, np.nan, np.nan, 0)
        )
        peak = int(per_day["peak"].get((account, day), 0))
        who = str(ctx.accounts[account])
        start, end = day_window(int(day))
        mine = o.iloc[suspects[(suspect == account) & (suspect_day == day)]]
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
    reads_links=False,
    heavy=True,
)
