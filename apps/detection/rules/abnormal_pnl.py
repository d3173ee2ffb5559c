"""Abnormal profit or loss: a day's result no fair trading explains.

Judged against the rest of the market that day and the account's usual capital (the
desk's memory), not a fixed sum: 2,000 USDT is nothing for a whale and everything for a
500 USDT account. A result is abnormal when it is among the day's most extreme
(``top_share`` of the accounts that closed positions), large against what the account
usually holds (not asked where the fills or the timing are the evidence), and one of
these explains it:

- **fills better than the market** (among the day's top results, whatever the
  capital): at least half the profit came from prices better
  than the mark of the minute, and that edge is at least ``min_edge_share`` of what it
  traded (a taker pays the spread; only someone handed the price gets it). A small
  account handed prices makes a small profit, so the day's top gains *against the mark*
  count too, when its round trips were won beyond chance: at a coin's odds, the chance
  that any of the day's accounts won so many is under ``luck_rate`` (a few lucky fills
  in a moving market win 9 of 10 or 21 of 25; prices handed on every fill win 17 of 17);
- **foresight** (among the day's top results, whatever the capital: the evidence is the
  timing): at least ``min_foresight_entries`` of its entries, and most of them,
  were followed within ``foresight_minutes`` by a move its way of ``foresight_z`` times
  the contract's ordinary movement over that horizon (at any horizon of 1 to
  ``foresight_minutes`` minutes, from any minute of them, ending in profit: opening
  seconds before sharp moves, even when the market first drifts the other way);
- **won on nearly every round trip**: at least ``min_profit`` over ``min_closes`` round
  trips (runs of closing fills in a contract) with ``min_win_rate`` of them winning (large
  honest traders win about half);
- **an abnormal loss**: at least half the loss, and ``min_loss_edge_share`` of what it
  traded, lost to prices worse than the mark (a balance handed to a counterparty), and
  more than half its usual capital gone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

from ..context import MS_PER_MINUTE, Context
from .base import Finding, Rule, day_window, explain, urgency
from .matched_trade_price import minute_volatility, ramp_periods
from .views import among, cached, trade_ids, trades


def _fills(ctx: Context) -> pd.DataFrame:
    """One row per (trade, side): account, day, pnl, closing?, edge against the mark
    (built once per window)."""
    store = ctx.__dict__.setdefault("_views", {})
    if "pnl_fills" not in store:
        store["pnl_fills"] = _build_fills(ctx)
    fills: pd.DataFrame = store["pnl_fills"]
    return fills


def _day_keys(ctx: Context) -> tuple[np.ndarray, int, int]:
    """One integer per fill of ``_fills`` for its (account, day), in (account, day)
    order; with the first day and the number of days, to read a key back or make one
    (made once per window: three readers)."""
    return cached(ctx, "pnl_day_keys", _make_day_keys)


def _make_day_keys(ctx: Context) -> tuple[np.ndarray, int, int]:
    fills = _fills(ctx)
    account, day = fills["account"].to_numpy(), fills["day"].to_numpy()
    first_day = int(day.min(initial=0))
    days = int(day.max(initial=0)) - first_day + 1
    return account.astype(np.int64) * days + (day - first_day), first_day, days


def _key_of(index: pd.Index, first_day: int, days: int) -> np.ndarray:
    """The ``_day_keys`` integer of each (account, day) of a MultiIndex."""
    account = index.get_level_values("account").to_numpy().astype(np.int64)
    return account * days + (index.get_level_values("day").to_numpy() - first_day)


def _rows_of(ctx: Context, wanted: pd.Index) -> dict[tuple[int, int], np.ndarray]:
    """Per (account, day) of ``wanted``, its fills' trade rows in fill order: one pass
    over the fills, not one comparison of all of them per finding."""
    f = _fills(ctx)
    key, first_day, days = _day_keys(ctx)
    picked = np.flatnonzero(among(key, _key_of(wanted, first_day, days)))
    rows = f["row"].to_numpy()[picked]
    groups = pd.Series(picked).groupby(key[picked]).indices
    return {(int(k) // days, int(k) % days + first_day): rows[v] for k, v in groups.items()}


def _build_fills(ctx: Context) -> pd.DataFrame:
    t = trades(ctx)
    size = np.nan_to_num(ctx.limits("contract_size"), nan=1.0)[t["symbol"].to_numpy()]
    mark = ctx.mark_at(t["symbol"].to_numpy(), t["ts"].to_numpy())
    qty = t["qty"].to_numpy() * size
    notional = t["price"].to_numpy() * qty
    buyer_edge = np.nan_to_num((mark - t["price"].to_numpy()) * qty)
    # The buyers' rows, then the sellers' (one column at a time: no frame per side to
    # concatenate at 3M rows).
    return pd.DataFrame(
        {
            "account": np.concatenate([t["buyer"].to_numpy(), t["seller"].to_numpy()]),
            "day": np.tile(t["day"].to_numpy(), 2),
            "pnl": np.concatenate([t["buyer_pnl"].to_numpy(), t["seller_pnl"].to_numpy()]),
            "close": ~np.concatenate([t["buyer_opens"].to_numpy(), t["seller_opens"].to_numpy()]),
            "edge": np.concatenate([buyer_edge, -1.0 * buyer_edge]),
            "notional": np.tile(notional, 2),
            "row": np.tile(np.arange(len(t)), 2),
        },
        copy=False,
    )


def _foresight(ctx: Context, params: dict[str, Any], accounts: np.ndarray) -> pd.DataFrame:
    """Per (account, day) of ``accounts`` (codes): entries (distinct symbol-minutes opening
    a position) and how many were followed by a move its way of foresight_z ordinary
    moves. Only the day's extreme results need it, so only their accounts are read."""
    t = trades(ctx)
    mine = among(t["buyer"].to_numpy(), accounts) | among(t["seller"].to_numpy(), accounts)
    t = t[mine]
    sigma = minute_volatility(ctx)
    span = params["foresight_minutes"]
    parts = []
    for who, opens, side in (("buyer", "buyer_opens", 1.0), ("seller", "seller_opens", -1.0)):
        o = t[t[opens].to_numpy() & among(t[who].to_numpy(), accounts)]
        o = o[
            ~_in_own_ramp(ctx, o[who].to_numpy(), o["symbol"].to_numpy(), o["ts"].to_numpy(), span)
        ]
        symbol, ts = o["symbol"].to_numpy(), o["ts"].to_numpy()
        z = _sharpest_move(ctx, symbol, ts, side, sigma[symbol], span)
        parts.append(
            pd.DataFrame(
                {
                    "account": o[who].to_numpy(),
                    "day": o["day"].to_numpy(),
                    "entry": symbol * 10**8 + ts // MS_PER_MINUTE,
                    "z": z,
                }
            )
        )
    entries = pd.concat(parts, ignore_index=True).dropna()
    if entries.empty:
        return pd.DataFrame(
            {"entries": pd.Series(dtype=float), "hits": pd.Series(dtype=float)},
            index=pd.MultiIndex.from_arrays([[], []], names=["account", "day"]),
        )
    entries = entries.groupby(["account", "day", "entry"])["z"].mean().reset_index()
    entries["hit"] = entries["z"] >= params["foresight_z"]
    return entries.groupby(["account", "day"]).agg(entries=("z", "size"), hits=("hit", "sum"))


def _in_own_ramp(
    ctx: Context, account: np.ndarray, symbol: np.ndarray, ts: np.ndarray, span: int
) -> np.ndarray:
    """Per entry: made by one of a ramp's pair in its contract while the pair pushed it
    (from ``span`` minutes before the first print to the furthest one). A move the
    account's own prints made is the ramp matched_trade_price names, not foresight."""
    own = np.zeros(len(ts), dtype=bool)
    for ramp in ramp_periods(ctx).itertuples():
        own |= (
            (symbol == ramp.symbol)
            & ((account == ramp.first) | (account == ramp.last))
            & (ts >= ramp.start - span * MS_PER_MINUTE)
            & (ts <= ramp.end)
        )
    return own


def _sharpest_move(
    ctx: Context, symbol: np.ndarray, ts: np.ndarray, side: float, sigma: np.ndarray, span: int
) -> np.ndarray:
    """Per entry: the sharpest move its way, in ordinary moves of that horizon, between any
    two minutes of the ``span`` minutes after it that ends with the position in profit.

    Any horizon: a 1.5 % jump in two minutes is 6 ordinary moves there, but under 4 over
    five. Any start: the jump need not come in the entry's own minute; the market may
    drift against the position for a minute or two first (a 0.5 % dip, then the 1.2 %
    jump the account was waiting for). In profit at the end: a fall and a partial
    rebound is no move its way."""
    marks = np.stack([ctx.mark_at(symbol, ts + k * MS_PER_MINUTE) for k in range(span + 1)])
    z = np.full(len(ts), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(marks)
        for end in range(1, span + 1):
            in_profit = side * (logs[end] - logs[0]) > 0
            for start in range(end):
                move = side * (logs[end] - logs[start]) / (sigma * np.sqrt(end - start))
                z = np.fmax(z, np.where(in_profit, move, np.nan))
    # An entry with a mark before and one after that never came into profit is a miss,
    # not unknown.
    known = ~np.isnan(marks[0]) & ~np.isnan(marks[1:]).all(axis=0) & ~np.isnan(sigma)
    return np.where(known & np.isnan(z), -np.inf, z)


def _round_trips(ctx: Context, wanted: pd.Index) -> pd.DataFrame:
    """Per (account, day) of ``wanted``: round trips (a run of closing fills in one
    contract, ended by an opening fill or the day's end) and how many ended in profit."""
    empty = pd.DataFrame(
        {"trips": pd.Series(dtype=float), "trip_wins": pd.Series(dtype=float)},
        index=pd.MultiIndex.from_arrays([[], []], names=["account", "day"]),
    )
    if not len(wanted):
        return empty
    f = _fills(ctx)
    # Integer keys, not a MultiIndex of the 3M fills (a quarter of a second to build).
    key, first_day, days = _day_keys(ctx)
    mine = f[among(key, _key_of(wanted, first_day, days))]
    if mine.empty:
        return empty
    symbol = trades(ctx)["symbol"].to_numpy()[mine["row"].to_numpy()]
    mine = mine.assign(symbol=symbol).sort_values(["account", "day", "symbol", "row"])
    same = (
        mine[["account", "day", "symbol"]]
        .shift()
        .eq(mine[["account", "day", "symbol"]])
        .all(axis=1)
    )
    closing = mine["close"].to_numpy()
    # A trip starts at a closing fill whose predecessor (same account, day, contract) was
    # not closing.
    starts = closing & ~(same.to_numpy() & np.r_[False, closing[:-1]])
    trip = np.cumsum(starts)
    closes = mine[closing].assign(trip=trip[closing])
    per_trip = closes.groupby(["account", "day", "trip"])["pnl"].sum()
    won = (per_trip > 0).groupby(level=["account", "day"])
    return pd.DataFrame({"trips": won.size().astype(float), "trip_wins": won.sum().astype(float)})


def _days(ctx: Context, params: dict[str, Any]) -> pd.DataFrame:
    f = _fills(ctx)
    # One grouping of the 3M fill rows, on one integer key in (account, day) order.
    account, day = f["account"].to_numpy(), f["day"].to_numpy()
    key, first_day, days = _day_keys(ctx)
    close = f["close"].to_numpy()
    sums = pd.DataFrame(
        {
            "pnl": f["pnl"].to_numpy(),
            "edge": f["edge"].to_numpy(),
            "notional": f["notional"].to_numpy(),
            "closes": close.astype(np.int64),
            "wins": (close & (f["pnl"].to_numpy() > 0)).astype(np.int64),
        },
        copy=False,
    ).groupby(key)
    per = sums.sum()
    key = per.index.to_numpy()
    per.index = pd.MultiIndex.from_arrays(
        [(key // days).astype(account.dtype), (key % days + first_day).astype(day.dtype)],
        names=["account", "day"],
    )
    counts = per.pop("closes")
    win_count = per.pop("wins")
    per = per[counts.to_numpy() > 0]
    codes = per.index.get_level_values("account").to_numpy()
    per = per[~ctx.flag("market_maker", codes)]
    codes = per.index.get_level_values("account").to_numpy()
    per["capital"] = ctx.memory.usual_equity(ctx.accounts[codes])
    by_day = per.groupby(level="day")["pnl"]
    # The top share of the day's accounts, at least the single most extreme one.
    per["day_accounts"] = by_day.transform("size")
    per["places"] = np.maximum(1, np.ceil(params["top_share"] * per["day_accounts"]))
    # Places from the top (1 = the day's largest) by result, by loss, by gain on the mark.
    per["place"] = by_day.rank(ascending=False, method="min")
    per["loss_place"] = by_day.rank(ascending=True, method="min")
    per["edge_place"] = per.groupby(level="day")["edge"].rank(ascending=False, method="min")
    per["top"] = per["place"] <= per["places"]
    per["edge_top"] = per["edge_place"] <= per["places"]
    per["bottom"] = per["loss_place"] <= per["places"]
    per["closes"] = counts  # aligned on (account, day): per holds a part of them
    per["win_rate"] = win_count[counts > 0] / counts[counts > 0]
    per["edge_share"] = per["edge"] / per["notional"].where(per["notional"] > 0)
    extreme = per.index[per["top"] | per["bottom"]].get_level_values("account").unique()
    found = _foresight(ctx, params, np.asarray(extreme))
    return per.join(found).fillna({"entries": 0, "hits": 0})


def _extreme_lines(row: pd.Series, params: dict[str, Any]) -> list[dict[str, Any]]:
    """How the day's result is among the market's most extreme: its place by the result
    (by the loss for a loss) or, a small account handed prices, by the gain against the
    mark with its round trips won beyond chance (odds against luck past the day's accounts
    / luck_rate); beside the top share's places."""
    of = f"of {int(row['day_accounts']):,} accounts"
    places = float(row["places"])
    if row["by_edge"]:
        return [
            explain(
                "place by what it gained against the mark that day",
                row["edge_place"],
                of,
                places,
                "<=",
            ),
            explain(
                f"odds against winning {int(row['trip_wins'])} of {int(row['trips'])} round "
                "trips by luck",
                1 / max(float(row["luck"]), 1e-300),
                "to 1",
                float(row["day_accounts"]) / params["luck_rate"],
            ),
        ]
    if row["pnl"] < 0:
        return [explain("place by the day's loss", row["loss_place"], of, places, "<=")]
    return [explain("place by the day's result", row["place"], of, places, "<=")]


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    if trades(ctx).empty:
        return []
    per = _days(ctx, params)
    gain = (
        per["top"] & (per["pnl"] > 0) & (per["pnl"] >= params["capital_multiple"] * per["capital"])
    )
    top_gain = per["top"] & (per["pnl"] > 0)
    handed = (per["edge"] >= 0.5 * per["pnl"]) & (per["edge_share"] >= params["min_edge_share"])
    foresight = (per["hits"] >= params["min_foresight_entries"]) & (
        per["hits"] >= 0.5 * per["entries"]
    )
    loss = (
        per["bottom"]
        & (per["pnl"] < 0)
        & (-per["pnl"] >= params["loss_capital_share"] * per["capital"])
        & (per["edge"] <= 0.5 * per["pnl"])
        & (-per["edge_share"] >= params["min_loss_edge_share"])
    )
    # Large money won on nearly every round trip (above min_profit, whatever the capital).
    # Round trips, not closing fills: a whale closing one trend position in 200 fills
    # "wins" 200 times and has made one good call.
    large = gain & (per["pnl"] >= params["min_profit"])
    # A top gain against the mark below the day's top profits: read its round trips too.
    edge_gain = per["edge_top"] & ~top_gain & (per["pnl"] > 0) & handed
    per = per.join(_round_trips(ctx, per.index[large | edge_gain]))
    per[["trips", "trip_wins"]] = per[["trips", "trip_wins"]].fillna(0)
    per["win_rate"] = per["trip_wins"] / per["trips"].where(per["trips"] > 0)
    per["win_rate"] = per["win_rate"].fillna(0.0)
    # The chance of winning that many of its round trips at a coin's odds; beyond chance
    # when the chance that any of the day's accounts did so by luck is under luck_rate
    # (Bonferroni over the day's accounts).
    per["luck"] = binom.sf(per["trip_wins"] - 1, per["trips"], 0.5)
    beyond_chance = (per["trips"] > 0) & (per["luck"] * per["day_accounts"] <= params["luck_rate"])
    steady = (
        (per["pnl"] >= params["min_profit"])
        & (per["trips"] >= params["min_closes"])
        & (per["win_rate"] >= params["min_win_rate"])
    )
    per["by_edge"] = edge_gain & beyond_chance & handed
    per["how"] = np.select(
        # Handed prices and foresight are in the fills and the timing, not the size: 1.5 %
        # moves caught at modest leverage, or 15 fills 1.2 % better than the market, make a
        # day's top profit that is still under the account's usual capital.
        [
            (top_gain & handed) | per["by_edge"],
            top_gain & foresight,
            gain & steady,
            loss,
        ],
        [
            "fills better than the market",
            "entries ahead of sharp moves",
            "won on nearly every round trip",
            "loss handed away",
        ],
        default="",
    )
    hits = per[per["how"] != ""]
    findings = []
    rows_of = _rows_of(ctx, hits.index) if len(hits) else {}
    for (account, day), row in hits.iterrows():
        who = str(ctx.accounts[account])
        start, end = day_window(int(day))
        mine = rows_of[(int(account), int(day))]
        result = float(row["pnl"])
        past = abs(result) / max(row["capital"], 1.0) if row["capital"] > 0 else 2.0
        judged = urgency(past=max(past, 1.0), notional=abs(result))
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
                    explain("realised result that day", result, "USDT"),
                    *_extreme_lines(row, params),
                    explain(
                        "the account's usual capital (desk's memory)",
                        float(row["capital"]),
                        "USDT",
                    ),
                    explain(
                        "gained (+) or lost (-) against the mark, share of notional",
                        float(row["edge_share"]) * 100,
                        "%",
                    ),
                    explain(
                        f"round trips won (of {int(row['trips'])})",
                        float(row["win_rate"]) * 100,
                        "%",
                        params["min_win_rate"] * 100,
                    ),
                    explain(
                        "entries followed by a sharp move its way",
                        int(row["hits"]),
                        "entries",
                        params["min_foresight_entries"],
                    ),
                ],
                summary=f"{who} {'made' if result > 0 else 'lost'} {abs(result):,.0f} USDT in a "
                f"day ({row['how']}; usual capital {row['capital']:,.0f} USDT, "
                f"{row['edge']:+,.0f} USDT against the mark)",
                metrics={
                    "realized_pnl": round(result, 2),
                    "edge_vs_mark": round(float(row["edge"]), 2),
                    "edge_share": round(float(row["edge_share"]), 5),
                    "usual_capital": round(float(row["capital"]), 2),
                    "entries": int(row["entries"]),
                    "entries_ahead_of_moves": int(row["hits"]),
                    "how": row["how"],
                    "win_rate": round(float(row["win_rate"]), 3),
                    "closing_fills": int(row["closes"]),
                    "round_trips": int(row["trips"]),
                    "round_trip_luck": float(f"{row['luck']:.3g}"),
                    "notional": round(abs(result), 2),
                },
                evidence={
                    "trade_ids": trade_ids(ctx, mine),
                    "order_ids": [],
                },
            )
        )
    return findings


RULE = Rule(
    code="abnormal_pnl",
    category="abnormal_pnl",
    description=(
        "A day's profit or loss among the market's most extreme, large against the "
        "account's usual capital (any size when fills better than the mark or entries "
        "ahead of sharp moves explain it), and "
        "explained by fills better (or worse) than the mark "
        "or by entries ahead of sharp moves: a loophole, a price handed over, or foresight. "
        "The platform's rules let such gains be clawed back."
    ),
    default_params={
        "top_share": 0.01,
        "capital_multiple": 1.0,
        "min_edge_share": 0.004,
        "min_foresight_entries": 5,
        "foresight_minutes": 5,
        "foresight_z": 4.0,
        "loss_capital_share": 0.5,
        "min_loss_edge_share": 0.01,
        "min_profit": 50_000.0,
        "min_win_rate": 0.8,
        "min_closes": 10,
        "luck_rate": 0.05,
    },
    run=run,
    per_symbol=False,
    # A theft by losing trades into a mule is the theft's alert.
    covered_by=("account_theft",),
    heavy=True,
)
