"""Platform-level stress in one contract: torn mark price, sudden moves, liquidations."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..context import MS_PER_DAY, MS_PER_MINUTE, Context
from .base import Finding, Rule, day_window, explain, urgency
from .matched_trade_price import ramp_periods
from .views import trade_ids, trades


def _price_signals(ctx: Context, params: dict[str, Any]) -> pd.DataFrame:
    """Per (symbol, day): the worst sustained mark/index gap and the largest move."""
    marks = ctx.mark_table
    if marks is None:
        return pd.DataFrame(columns=["symbol", "day", "gap", "move"])
    marks = marks.assign(day=marks["minute"] * MS_PER_MINUTE // MS_PER_DAY)
    gap, drift = _tear(marks, params)
    by_symbol = marks.assign(gap=gap).groupby("symbol", group_keys=False)
    # Sustained: the smallest gap over N consecutive minutes, so one bad tick is ignored.
    marks["gap"] = by_symbol["gap"].transform(
        lambda g: g.rolling(params["gap_minutes"], min_periods=params["gap_minutes"]).min()
    )
    # A thin contract's premium wanders: the gap counts past 1 % and past gap_multiple x
    # how far the premium ordinarily moves in as many minutes over the hours before (a
    # median, so the few minutes a ramp or an earlier tear moved it do not count).
    limit = np.fmax(params["max_mark_gap"], params["gap_multiple"] * drift)
    marks["gap_ratio"] = marks["gap"] / limit
    marks["gap_limit"] = limit
    # When the gap opened: the last minute before which it was under half of what it
    # holds now (what made it: a tear, or a ramp that dragged the contract from its
    # index). Half of the gap itself, not of the limit: a contract a ramp left 0.5 %
    # from its index stays over half the limit for hours, and a tear there later would
    # be dated back to the ramp.
    marks["gap_onset"] = _onsets(marks, gap, limit)
    under = (gap < 0.5 * limit).to_numpy()
    # A gap that opened while a ramp was pushing the contract is the ramp's footprint (the
    # contract moved, its index did not): the ramp's alert says it, not this rule.
    minute = marks["minute"].to_numpy() * MS_PER_MINUTE
    held_from = minute - (params["gap_minutes"] - 1) * MS_PER_MINUTE
    for ramp in ramp_periods(ctx).itertuples():
        onset = marks["gap_onset"].to_numpy() * MS_PER_MINUTE
        # Opened during the ramp, or held over minutes the ramp was still pushing (a
        # rising ramp's held gap is small, and its onset dates back to before the ramp).
        during = ((onset >= ramp.start - MS_PER_MINUTE) & (onset <= ramp.end)) | (
            (held_from <= ramp.end) & (minute >= ramp.start)
        )
        dragged = (marks["symbol"].to_numpy() == ramp.symbol) & during & ~under
        marks.loc[dragged, "gap_ratio"] = np.nan
    lag = params["move_minutes"]
    marks["move"] = by_symbol["mark"].transform(lambda m: np.abs(np.log(m / m.shift(lag))))
    # Volatility: the median size of the one-minute moves over an hour against the day's
    # (medians, so one jump or one crash minute does not make an hour wild).
    step = by_symbol["mark"].transform(lambda m: np.abs(np.log(m).diff()))
    hour = step.groupby(marks["symbol"]).transform(
        lambda s: s.rolling(params["vol_minutes"], min_periods=params["vol_minutes"]).median()
    )
    usual = step.groupby([marks["symbol"], marks["day"]]).transform("median")
    marks["vol"] = hour / usual.where(usual > 0)
    worst = marks.loc[
        marks["gap_ratio"].fillna(-1.0).groupby([marks["symbol"], marks["day"]]).idxmax()
    ]
    signals = marks.groupby(["symbol", "day"]).agg(move=("move", "max"), vol=("vol", "max"))
    at_worst = worst.set_index(["symbol", "day"])[["gap", "gap_limit", "gap_ratio", "gap_onset"]]
    return signals.join(at_worst)


def _tear(marks: pd.DataFrame, params: dict[str, Any]) -> tuple[pd.Series, pd.Series]:
    """Per minute: how far the mark has moved away from the index beyond the contract's own
    basis (its median mark/index premium over the hours before), and how far that premium
    ordinarily moves in ``gap_minutes`` over those hours.

    A contract a ramp or a funding imbalance left standing 1.6 % over its index is torn
    when it jumps to 3.8 %, not when it sits at 1.6 %. Only a move away from the index
    counts (a premium melting back towards the index is the market healing), and never
    more than the premium itself (a contract crossing from +1.6 % to -1.5 % is 1.5 % from
    its index)."""
    basis = marks["mark"] / marks["index"] - 1.0
    window, held = params["baseline_minutes"], params["gap_minutes"]
    symbol, day = marks["symbol"], [marks["symbol"], marks["day"]]
    moved = (basis - basis.groupby(symbol).shift(held)).abs()

    def median_before(values: pd.Series, known: int) -> pd.Series:
        # Over the hours before the gap's minutes, once ``known`` of them are.
        rolled = values.groupby(symbol).transform(
            lambda v: v.rolling(window, min_periods=known).median()
        )
        return rolled.groupby(symbol).shift(held)

    # The premium as far back as it is known; before that, the premium of the feed's
    # first minutes (not the day's median, which would date a ramp's later premium back
    # to the morning, and not zero, which would tear every contract that opens the feed
    # at a premium).
    opening = basis.groupby(symbol).transform(lambda b: b.iloc[:held].median())
    level = median_before(basis, held).fillna(opening)
    # Until half the baseline is known, the day's median movement stands in for it.
    drift = median_before(moved, window // 2).fillna(moved.groupby(day).transform("median"))
    away = basis - level
    tear = np.where(np.sign(away) == np.sign(basis), np.minimum(np.abs(away), np.abs(basis)), 0.0)
    return pd.Series(tear, index=marks.index), drift


def _onsets(marks: pd.DataFrame, gap: pd.Series, limit: pd.Series) -> np.ndarray:
    """Per minute past its limit: the first minute after the last one whose gap was under
    half the sustained gap of this minute (NaN elsewhere; only those minutes are judged)."""
    onset = np.full(len(marks), np.nan)
    held, raw = marks["gap"].to_numpy(), gap.to_numpy()
    minute = marks["minute"].to_numpy()
    past = np.nan_to_num(held) >= limit.to_numpy()
    for rows in marks.groupby("symbol").indices.values():
        mine = np.flatnonzero(past[rows])
        for i in mine:
            earlier = np.flatnonzero(raw[rows[:i]] < 0.5 * held[rows[i]])
            onset[rows[i]] = minute[rows[earlier[-1]]] + 1 if len(earlier) else minute[rows[i]]
    return onset


def _liquidations(ctx: Context, params: dict[str, Any]) -> pd.DataFrame:
    """Takers closing at a loss, per (symbol, minute): the footprint of forced closes."""
    t = trades(ctx)
    if t.empty:
        return pd.DataFrame(columns=["symbol", "minute", "accounts"])
    taker_buys = t["taker_buys"].to_numpy()
    closing = np.where(taker_buys, ~t["buyer_opens"], ~t["seller_opens"])
    losing = np.where(taker_buys, t["buyer_pnl"], t["seller_pnl"]) < 0
    forced = t[closing & losing].assign(
        taker=np.where(taker_buys, t["buyer"], t["seller"])[closing & losing],
        minute=lambda f: f["ts"] // MS_PER_MINUTE,
    )
    counts = forced.groupby(["symbol", "minute"])["taker"].nunique().rename("accounts")
    counts = counts.reset_index()
    counts["day"] = counts["minute"] * MS_PER_MINUTE // MS_PER_DAY
    normal = counts.groupby(["symbol", "day"])["accounts"].transform(_median_minute)
    floor = np.maximum(params["min_liquidated_accounts"], params["burst_multiple"] * normal)
    bursts = counts[counts["accounts"] >= floor]
    return bursts.merge(forced[["symbol", "minute"]].reset_index(), on=["symbol", "minute"])


def _median_minute(active: pd.Series) -> float:
    """The median over all 1,440 minutes of the day, quiet minutes counting as zero."""
    ranked = np.sort(active.to_numpy())[::-1]
    return float(ranked[719]) if len(ranked) > 719 else 0.0


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    prices = _price_signals(ctx, params)
    bursts = _liquidations(ctx, params)
    burst_days = bursts.groupby(["symbol", "day"]) if len(bursts) else None
    keys = set(prices.index) | (set(burst_days.groups) if burst_days is not None else set())
    findings = []
    for symbol, day in sorted(keys):
        gap = float(np.nan_to_num(prices["gap"].get((symbol, day), 0.0) or 0.0))
        move = float(prices["move"].get((symbol, day), 0.0) or 0.0)
        vol = float(np.nan_to_num(prices["vol"].get((symbol, day), 0.0) or 0.0))
        max_gap = float(np.nan_to_num(prices["gap_limit"].get((symbol, day), 0.0)))
        max_gap = max(max_gap, params["max_mark_gap"])
        mine = (
            burst_days.get_group((symbol, day))
            if burst_days is not None and (symbol, day) in burst_days.groups
            else bursts.iloc[0:0]
        )
        liquidated = int(mine.groupby("minute")["accounts"].first().max()) if len(mine) else 0
        ratios = {
            "mark_index_gap": gap / max_gap,
            "sudden_move": move / params["max_move"],
            "volatility_burst": vol / params["vol_multiple"],
            "liquidation_burst": liquidated / params["min_liquidated_accounts"],
        }
        signals = [name for name, ratio in ratios.items() if ratio >= 1.0]
        if not signals:
            continue
        onset = prices["gap_onset"].get((symbol, day)) if "mark_index_gap" in signals else None
        opened = (
            {
                "gap_opened_at": pd.Timestamp(
                    int(onset) * MS_PER_MINUTE, unit="ms", tz="UTC"
                ).isoformat()
            }
            if onset is not None and np.isfinite(onset)
            else {}
        )
        sym = ctx.symbols[symbol]
        start, end = day_window(int(day))
        # A disorderly market is the platform's emergency, not one account's: urgent only
        # far past the thresholds or when several signals agree.
        judged = urgency(past=max(ratios.values()) * len(signals), manipulation=True)
        findings.append(
            Finding(
                subject="platform",
                accounts=[],
                symbol=sym,
                window_start=start,
                window_end=end,
                score=judged.score,
                severity=judged.severity,
                explain=[
                    explain(
                        "mark/index gap beyond the contract's premium, held "
                        f"{params['gap_minutes']} minutes",
                        gap * 100,
                        "%",
                        max_gap * 100,
                    ),
                    explain(
                        f"one-minute moves over {params['vol_minutes']} minutes against the "
                        "day's usual",
                        vol,
                        "x",
                        params["vol_multiple"],
                    ),
                    explain(
                        f"largest {params['move_minutes']}-minute move",
                        move * 100,
                        "%",
                        params["max_move"] * 100,
                    ),
                    explain(
                        "accounts force-closed in one minute",
                        liquidated,
                        "accounts",
                        params["min_liquidated_accounts"],
                    ),
                ],
                summary=f"{sym} under stress: "
                + ", ".join(signals).replace("_", " ")
                + f" (gap {gap:.2%}, {params['move_minutes']}-min move {move:.1%}, "
                f"{liquidated} accounts force-closed in a minute)",
                metrics={
                    "mark_index_gap": round(gap, 5),
                    "max_move": round(move, 5),
                    "volatility_ratio": round(vol, 2),
                    "liquidated_accounts": liquidated,
                    "signals": signals,
                    **opened,
                },
                evidence={
                    "trade_ids": trade_ids(ctx, mine["index"].to_numpy()) if len(mine) else [],
                    "order_ids": [],
                },
            )
        )
    return findings


RULE = Rule(
    code="market_stress",
    category="market_stress",
    description=(
        "Platform-level: a mark price torn from the index for minutes, a sudden large move, "
        "or a burst of forced closes are the moments the emergency plans are for (mark "
        "price protects against manipulation of the last price; liquidation cascades lead "
        "to ADL). Signals: a mark/index gap held 5 minutes that moved the contract >= 1% "
        "further from its index than its own premium over the 4 hours before (and 3x how "
        "far that premium usually moves in 5 minutes), not one that opened or was held "
        "while a matched-trade ramp pushed the contract; "
        "a 5-minute move >= 5%, an hour of one-minute moves 3x the day's usual, "
        ">= 20 accounts force-closed at a loss in one minute (and 5x the usual)."
    ),
    default_params={
        "max_mark_gap": 0.01,
        "gap_multiple": 3.0,
        "gap_minutes": 5,
        "baseline_minutes": 240,
        "vol_minutes": 60,
        "vol_multiple": 3.0,
        "max_move": 0.05,
        "move_minutes": 5,
        "min_liquidated_accounts": 20,
        "burst_multiple": 5.0,
    },
    run=run,
)
