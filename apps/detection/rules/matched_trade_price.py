"""Matched trades that move or pin the price: painting the tape and ramping.

Looked for in two ways, because the accounts that do it need not be linked:

- **off-market prints inside one controller** (an account with itself, or a linked
  cluster): trades far from the mark, where "far" is relative to how far that
  contract's ordinary trades stray from its mark that day;
- **ramping between any two accounts** (linked or not): the same two accounts trading
  with each other again and again, always the same one buying and the same side
  taking, each print pushing the price further the same way — a move several times the
  contract's ordinary movement over that span, in the price itself or against the
  contract's index (a pair holding the price up while the index falls pushes it as far
  as one lifting a flat market). A print is one taker order, however many resting
  orders it fills. Market makers are left out of the pair path: every active taker
  meets them again and again.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..context import MS_PER_MINUTE, Context
from ..link_evidence import repeated
from .base import Finding, Rule, day_window, explain, notional, urgency
from .fair_price import ordinary_deviation
from .linked_trades import internal_trades, participants
from .views import among, group_rows, trade_ids, trades


def minute_volatility(ctx: Context) -> np.ndarray:
    """Per symbol code: the robust standard deviation of one-minute log moves of the
    mark (1.4826 x the median absolute deviation), NaN without marks."""
    sigma = np.full(len(ctx.symbols), np.nan)
    marks = ctx.mark_table
    if marks is None:
        return sigma
    moves = pd.DataFrame(
        {
            "symbol": marks["symbol"],
            "move": np.log(marks["mark"]).groupby(marks["symbol"]).diff(),
            "step": marks["minute"].groupby(marks["symbol"]).diff(),
        }
    )
    moves = moves[moves["step"] == 1]
    median = moves.groupby("symbol")["move"].transform("median")
    spread = (moves["move"] - median).abs().groupby(moves["symbol"]).median() * 1.4826
    sigma[spread.index.to_numpy().astype(np.int64)] = spread.to_numpy()
    return sigma


def _off_market(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    t = internal_trades(ctx, include_self=True)
    if t.empty:
        return []
    ordinary = ordinary_deviation(ctx)
    noise = ordinary.reindex(pd.MultiIndex.from_arrays([t["symbol"], t["day"]])).to_numpy()
    floor = np.maximum(params["off_market"], params["noise_multiple"] * np.nan_to_num(noise))
    far = np.abs(t["deviation"].to_numpy()) >= floor
    t = t.assign(off=far, floor=floor)
    findings = []
    for (cluster, symbol, day), rows in group_rows(t[["cluster", "symbol", "day"]]).items():
        # Counted on the array first: most groups are ordinary, and need no frame.
        count = int(far[rows].sum())
        if count < params["min_trades"] or count < params["min_off_share"] * len(rows):
            continue
        part = t.iloc[rows]
        off = part[part["off"]].sort_values("ts")
        worst = float(np.abs(off["deviation"]).max())
        threshold = float(off["floor"].iloc[0])
        who, sym = participants(ctx, off), ctx.symbols[symbol]
        start, end = day_window(int(day))
        moved = float(off["price"].iloc[-1] / off["price"].iloc[0] - 1.0)
        stake = notional(ctx, off)
        judged = urgency(
            past=min(worst / threshold, count / params["min_trades"]) if threshold else 1.0,
            notional=stake,
            accounts=len(who),
            manipulation=True,
        )
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
                        "off-market trades inside the controller",
                        count,
                        "trades",
                        params["min_trades"],
                    ),
                    explain("furthest print from the mark", worst * 100, "%", threshold * 100),
                    explain("notional of those trades", stake, "USDT"),
                ],
                summary=f"{', '.join(who[:4])} traded among themselves {count} times in {sym} "
                f"up to {worst:.2%} away from the mark (threshold {threshold:.2%}, "
                f"{params['noise_multiple']:g}x the contract's ordinary distance)",
                metrics={
                    "matched_trades": count,
                    "internal_trades": len(part),
                    "max_deviation": round(worst, 5),
                    "deviation_threshold": round(threshold, 5),
                    "price_move": round(moved, 5),
                },
                evidence={"trade_ids": trade_ids(ctx, off.index), "cluster": str(cluster)},
            )
        )
    return findings


def _pair_runs(ctx: Context, params: dict[str, Any]) -> pd.DataFrame:
    """The fills of every pair of accounts (neither a market maker, not an account with
    itself) that traded with each other at least ``min_pair_trades`` times in a
    contract in a day, with the pair's group number."""
    t = trades(ctx)
    if t.empty:
        return t.assign(group=[])
    buyer, seller = t["buyer"].to_numpy(), t["seller"].to_numpy()
    keep = (buyer != seller) & ~ctx.flag("market_maker", buyer) & ~ctx.flag("market_maker", seller)
    low, high = np.minimum(buyer, seller), np.maximum(buyer, seller)
    days = t["day"].to_numpy() - int(t["day"].min())
    width = len(ctx.accounts) + 1
    # Counted on a hash of integer codes first: only the few frequent pairs go further.
    key = ((low * width + high) * (len(ctx.symbols) + 1) + t["symbol"].to_numpy()) * (
        int(days.max()) + 1
    ) + days
    kept = np.flatnonzero(keep)
    rows = kept[repeated(key[kept], params["min_pair_trades"])]
    # Numbered in order of first appearance, as over all rows: the pairs keep their order.
    group, _ = pd.factorize(key[rows])
    return t.iloc[rows].assign(group=group, low=low[rows], taker_order=_taker_orders(ctx, rows))


def _taker_orders(ctx: Context, rows: np.ndarray) -> np.ndarray:
    """A number per taker order of the trades at ``rows``: the buy order when the taker
    bought, the sell order when it sold. One taker order that fills several resting
    orders is one print, however many fills it makes."""
    feed = ctx.feed.trades
    assert feed is not None
    taker_buys = trades(ctx)["taker_buys"].to_numpy()[rows]
    buys = feed["buy_order_id"].take(rows).to_numpy(dtype=object)
    sells = feed["sell_order_id"].take(rows).to_numpy(dtype=object)
    codes, _ = pd.factorize(np.where(taker_buys, buys, sells))
    return codes


def _push_z(pushed: np.ndarray, scale: np.ndarray, params: dict[str, Any]) -> np.ndarray:
    """Each push in units of the contract's ordinary movement over its span; 0 for a push
    smaller than ordinary trade-to-mark noise (it moves nothing, however quick), for a
    push not measured (NaN) and without a measured movement (no marks)."""
    measured = (scale > 0) & (pushed >= np.log1p(params["off_market"]))
    return np.divide(pushed, scale, out=np.zeros(len(pushed)), where=measured)


def _their_trades(ctx: Context, fills: pd.DataFrame) -> pd.DataFrame:
    """Every trade of the accounts in ``fills`` (buyer, seller, symbol, ts): read once for
    all the ramps found, not once per ramp over every trade."""
    t = trades(ctx)
    accounts = np.unique(fills[["buyer", "seller"]].to_numpy())
    mine = among(t["buyer"].to_numpy(), accounts) | among(t["seller"].to_numpy(), accounts)
    return t.loc[mine, ["buyer", "seller", "symbol", "ts"]]


def _pair_share(theirs: pd.DataFrame, run: pd.DataFrame) -> float:
    """The pair's fills with each other over ``run`` (first print to the furthest push),
    as a share of the fills the busier of the two made in that contract over that span.
    A ramp is two accounts trading with each other; a bot or a large trader meeting the
    same counterparty now and then on a trending day trades mostly with everyone else."""
    first, last = int(run["ts"].iloc[0]), int(run["ts"].iloc[-1])
    ts = theirs["ts"].to_numpy()
    span = theirs[
        (theirs["symbol"].to_numpy() == int(run["symbol"].iloc[0])) & (ts >= first) & (ts <= last)
    ]
    buyer, seller = span["buyer"].to_numpy(), span["seller"].to_numpy()
    busiest = max(
        int(((buyer == account) | (seller == account)).sum())
        for account in (int(run["buyer"].iloc[0]), int(run["seller"].iloc[0]))
    )
    return len(run) / busiest if busiest else 1.0


def _ramps(ctx: Context, params: dict[str, Any], found: set[tuple[str, int, int]]) -> list[Finding]:
    f = _pair_runs(ctx, params)
    if f.empty:
        return []
    f = f.sort_values(["group", "ts"], kind="stable")
    per = f.groupby("group")
    volume = per["qty"].transform("sum").to_numpy()
    qty = f["qty"].to_numpy()
    low_buys = (
        pd.Series(np.where(f["buyer"] == f["low"], qty, 0.0))
        .groupby(f["group"].to_numpy())
        .transform("sum")
        .to_numpy()
        / volume
    )
    taker_buys = (
        pd.Series(np.where(f["taker_buys"], qty, 0.0))
        .groupby(f["group"].to_numpy())
        .transform("sum")
        .to_numpy()
        / volume
    )
    one_way = np.minimum(np.maximum(low_buys, 1 - low_buys), np.maximum(taker_buys, 1 - taker_buys))
    first_ts = per["ts"].transform("first").to_numpy()
    price = np.log(f["price"].to_numpy())
    start = per["price"].transform("first").pipe(np.log).to_numpy()
    # The same push measured against the contract's index: a pair that holds the price
    # up while the index falls has moved it as far as one that lifts a flat market.
    # NaN without an index: only the price's own move counts then.
    symbol, ts = f["symbol"].to_numpy(), f["ts"].to_numpy()
    basis = pd.Series(price - np.log(ctx.index_at(symbol, ts)), index=f.index)
    basis_move = (basis - basis.groupby(f["group"]).transform("first")).to_numpy()
    # The mark moves minute by minute: a span shorter than a few minutes says nothing.
    minutes = np.maximum((ts - first_ts) / MS_PER_MINUTE, params["min_span_minutes"])
    # How far each print has pushed the price since the pair's first print, in units of
    # the contract's ordinary movement over that many minutes.
    scale = minute_volatility(ctx)[symbol] * np.sqrt(minutes)

    def push(direction: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        pushed, against = direction * (price - start), direction * basis_move
        return pushed, against, _push_z(pushed, scale, params), _push_z(against, scale, params)

    # The way the takers went, or the side of the mark the prints sit on when that says
    # otherwise and pushed further: in a prearranged trade who takes is the pair's choice,
    # and prints above the mark pay up whoever hits them ("prices leading the market").
    taker_way = np.where(taker_buys >= 0.5, 1.0, -1.0)
    off_mark = pd.Series(price - np.log(ctx.mark_at(symbol, ts)), index=f.index)
    placed = np.sign(off_mark.groupby(f["group"]).transform("median").fillna(0.0).to_numpy())
    furthest = [
        pd.Series(np.maximum(z_price, z_index)).groupby(f["group"].to_numpy()).transform("max")
        for _, _, z_price, z_index in (push(taker_way), push(placed))
    ]
    by_place = (placed != 0) & (placed != taker_way) & (furthest[1] > furthest[0]).to_numpy()
    direction = np.where(by_place, placed, taker_way)
    pushed, against, z_price, z_index = push(direction)
    f = f.assign(
        one_way=one_way,
        way=direction,
        by_place=by_place,
        pushed=pushed,
        against=against,
        z=np.maximum(z_price, z_index),
        by_index=z_index > z_price,
    )
    # One print per taker order: a sweep through several resting orders is one act.
    distinct = f.drop_duplicates(["group", "taker_order"])
    gaps = distinct.groupby("group")["ts"].diff() / MS_PER_MINUTE
    summary = pd.DataFrame(
        {
            "prints": distinct.groupby("group").size(),
            "gap": gaps.groupby(distinct["group"]).median(),
            "one_way": f.groupby("group")["one_way"].first(),
            "z": f.groupby("group")["z"].max(),
        }
    )
    wanted = summary[
        (summary["prints"] >= params["min_pair_trades"])
        & (summary["one_way"] >= params["min_one_way_share"])
        & (summary["gap"] <= params["max_gap_minutes"])
        & (summary["z"] >= params["min_move_z"])
    ]
    findings = []
    theirs = _their_trades(ctx, f[f["group"].isin(wanted.index)])
    for group, row in wanted.iterrows():
        part = f[f["group"] == group]
        peak = int(np.argmax(part["z"].to_numpy()))
        run = part.iloc[: peak + 1]
        share = _pair_share(theirs, run)
        if share < params["min_pair_share"]:
            continue  # two busy accounts meeting now and then, not a pair trading
        who, sym = participants(ctx, part), ctx.symbols[int(part["symbol"].iloc[0])]
        day = int(part["day"].iloc[0])
        keys = ctx.cluster_keys(np.unique(part[["buyer", "seller"]].to_numpy()))
        if len(set(keys)) == 1 and (str(keys[0]), int(part["symbol"].iloc[0]), day) in found:
            continue  # the same accounts' off-market prints already make an alert
        start, end = day_window(day)
        # The push as a share of the price, in its direction: a fall from 100 to 80 is
        # 20 % down (log moves are symmetric, shares are not: expm1 of the log fall
        # would read 25 %).
        way = float(run["way"].iloc[0])
        placed_way = bool(run["by_place"].iloc[0])  # the push read from the prints' side
        move = float(way * np.expm1(way * run["pushed"].iloc[-1]))
        # Which measure carried the push at its furthest: the price's own, or the price
        # against its index.
        by_index = bool(run["by_index"].iloc[-1])
        relative = float(way * np.expm1(way * run["against"].iloc[-1]))
        own = float(run["price"].iloc[-1] / run["price"].iloc[0] - 1.0)  # signed: + is up
        span = float((run["ts"].iloc[-1] - run["ts"].iloc[0]) / MS_PER_MINUTE)
        z = float(row["z"])
        stake = notional(ctx, part)
        judged = urgency(
            past=z / params["min_move_z"], notional=stake, accounts=len(who), manipulation=True
        )
        up = "up" if way > 0 else "down"
        findings.append(
            Finding(
                subject="+".join(who),
                accounts=who,
                symbol=sym,
                window_start=start,
                window_end=end,
                score=judged.score,
                severity=judged.severity,
                explain=[
                    explain(
                        "price moved against its index by their prints"
                        if by_index
                        else "price moved by their prints",
                        (relative if by_index else abs(move)) * 100,
                        "%",
                        params["off_market"] * 100,
                    ),
                    explain(
                        "that move against the contract's ordinary movement",
                        z,
                        "x ordinary",
                        params["min_move_z"],
                    ),
                    explain(
                        "taker orders between the two (one print each)",
                        int(row["prints"]),
                        "orders",
                        params["min_pair_trades"],
                    ),
                    explain("trades between the two", len(part), "trades"),
                    explain(
                        "trades one way",
                        float(row["one_way"]) * 100,
                        "%",
                        params["min_one_way_share"] * 100,
                    ),
                    explain(
                        "share of the busier one's trades in the contract over the push "
                        "that were with the other",
                        share * 100,
                        "%",
                        params["min_pair_share"] * 100,
                    ),
                    explain("notional of those trades", stake, "USDT"),
                ],
                summary=f"{who[0]} and {who[1]} traded with each other {len(part)} times "
                f"({int(row['prints'])} taker orders) in {sym}, one way, "
                + (f"printing {'above' if way > 0 else 'below'} the mark, " if placed_way else "")
                + (
                    f"pushing it {up} {relative:.2%} against its index (its price "
                    f"{own:+.2%}) in {span:.0f} min"
                    if by_index
                    else f"moving it {up} {move:.2%} in {span:.0f} min"
                )
                + f": {z:.1f}x the contract's ordinary movement over that span (threshold "
                f"{params['min_move_z']:g}x)",
                metrics={
                    "pair_trades": len(part),
                    "taker_orders": int(row["prints"]),
                    "one_way_share": round(float(row["one_way"]), 3),
                    "price_move": round(move, 5),
                    # The push against the index (None without one); "moved_against_index"
                    # says it, not the price's own move, carried the alert.
                    "move_against_index": None if np.isnan(relative) else round(relative, 5),
                    "moved_against_index": by_index,
                    "minutes": round(span, 1),
                    "move_z": round(z, 2),
                    "median_gap_minutes": round(float(row["gap"]), 2),
                    "pair_share": round(share, 3),
                    "direction_from": "prints against the mark" if placed_way else "takers",
                    "started_at": pd.Timestamp(
                        int(run["ts"].iloc[0]), unit="ms", tz="UTC"
                    ).isoformat(),
                    "ended_at": pd.Timestamp(
                        int(run["ts"].iloc[-1]), unit="ms", tz="UTC"
                    ).isoformat(),
                },
                evidence={"trade_ids": trade_ids(ctx, part.index), "cluster": None},
            )
        )
    return findings


def ramp_periods(ctx: Context) -> pd.DataFrame:
    """symbol (code), start, end (ms), first, last (the pair's account codes): when each
    ramp this rule finds with its default thresholds ran, first print to the print that
    pushed furthest, and who ran it. Other rules read it to know which price moves a ramp
    made (market_stress: a contract dragged from its index by a ramp is the ramp's alert;
    abnormal_pnl: a move the account's own prints made is no foresight). Computed once
    per window."""
    store = ctx.__dict__.setdefault("_views", {})
    if "ramp_periods" not in store:
        ramps = _ramps(ctx, RULE.default_params, set())
        pairs = [ctx.account_codes(pd.Series(f.accounts)) for f in ramps]
        store["ramp_periods"] = pd.DataFrame(
            {
                "symbol": [ctx.symbols.index(str(f.symbol)) for f in ramps],
                "start": [pd.Timestamp(f.metrics["started_at"]).value // 10**6 for f in ramps],
                "end": [pd.Timestamp(f.metrics["ended_at"]).value // 10**6 for f in ramps],
                "first": [int(codes[0]) for codes in pairs],
                "last": [int(codes[-1]) for codes in pairs],
            },
            dtype="int64",
        )
    periods: pd.DataFrame = store["ramp_periods"]
    return periods


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    findings = _off_market(ctx, params)
    found = {
        (
            f.subject,
            ctx.symbols.index(str(f.symbol)),
            int(f.window_start.value // 86_400_000_000_000),
        )
        for f in findings
    }
    return findings + _ramps(ctx, params, found)


RULE = Rule(
    code="matched_trade_price",
    category="matched_trade_price",
    description=(
        "Matched trades that move or pin the price (CME Rule 534, MAR Art. 12(1)(a) and "
        "Annex I: painting the tape, ramping). Two ways: one account or one linked cluster "
        "printing at least 3 trades with itself in a contract in a day at least 0.5% from "
        "the mark and 3x the contract's ordinary trade-to-mark distance that day, and half "
        "of its internal trades there; or any two accounts (linked or not, market makers "
        "aside) trading with each other in at least 5 taker orders in a contract in a day "
        "(one taker order filling several resting orders is one print), 90% one way (the "
        "same one buying, the same side taking), a median 5 minutes apart or less, their "
        "prints pushing the price at least 0.5% and at least 2x the contract's ordinary "
        "movement over that span (robust one-minute volatility of the mark x the square "
        "root of the minutes, at least 5), in the price itself or in the price against "
        "the contract's index (the larger of the two)."
    ),
    default_params={
        "min_trades": 3,
        "off_market": 0.005,
        "noise_multiple": 3.0,
        "min_off_share": 0.5,
        "min_pair_trades": 5,
        "min_one_way_share": 0.9,
        "max_gap_minutes": 5.0,
        "min_move_z": 2.0,
        "min_span_minutes": 5.0,
        "min_pair_share": 0.25,
    },
    run=run,
    # Off-market prints that hand one account a profit while the market stays where it
    # was are a transfer of value (abnormal_pnl names both sides), not a price pushed.
    covered_by=("abnormal_pnl",),
)
