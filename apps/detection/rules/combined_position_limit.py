"""Positions of one controller's accounts that together exceed the position limit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..context import MS_PER_DAY, Context, epoch_ms
from ..linking import DEFAULT_LINK_PARAMS, components
from ..lockstep import LOCKSTEP_COLUMNS, lockstep_pairs
from .base import Finding, Rule, day_window, explain, urgency
from .views import among, orders

# A position is built in a handful of orders, not a day's trading: two moments in step in
# one contract and side (within lockstep's two seconds), where chance expects a hundredth
# of one, for a quarter of the quieter holder's orders, are the "synchronised trading" of
# the brief's common control signals. Market makers are left out, as linking leaves them
# out of lockstep: their quotes are filled at everyone's moments.
BUILT_IN_STEP: dict[str, Any] = {"min_times": 2, "min_share": 0.25}


def built_in_step(ctx: Context, params: dict[str, Any], codes: np.ndarray) -> pd.DataFrame:
    """Pairs of accounts that each held a sizeable position (``holder_share`` of the limit
    at some snapshot) and sent their filled orders in the same contract, same side, at
    the same moments (apps.detection.lockstep over those holders' orders: one order is
    one moment, however many fills it took); lockstep's columns (``times`` together,
    ``share`` of the quieter one's orders). ``codes``: the positions' account codes."""
    p = ctx.feed.positions
    o = orders(ctx)
    if p is None or o.empty:
        return pd.DataFrame(columns=LOCKSTEP_COLUMNS)
    symbols = ctx.symbol_codes(p["symbol"])
    share = np.nan_to_num(
        np.abs(p["qty"].to_numpy(dtype=float)) / ctx.limits("position_limit")[symbols]
    )
    sizeable = share >= params["holder_share"]
    # Found on the orders view's codes: no string compare over every order.
    mine = o.iloc[
        np.flatnonzero(
            (o["filled"].to_numpy() > 0)
            & among(o["account"].to_numpy(), codes[sizeable])
            & among(o["symbol"].to_numpy(), symbols[sizeable])
        )
    ]
    who = ctx.accounts[mine["account"].to_numpy()].astype(str)
    moments = pd.DataFrame(
        {
            "symbol": np.asarray(ctx.symbols, dtype=object)[mine["symbol"].to_numpy()],
            "ts": pd.to_datetime(mine["created"].to_numpy(), unit="ms", utc=True),
            "taker_side": np.where(mine["buy"].to_numpy(), "buy", "sell"),
            "buyer_id": who,
            "seller_id": who,
        }
    )
    makers = ctx.accounts[ctx.flags["market_maker"].to_numpy()]
    exempt = {str(a) for a in makers}
    return lockstep_pairs(moments, exempt, params=BUILT_IN_STEP)


def holders(ctx: Context, codes: np.ndarray, in_step: pd.DataFrame) -> np.ndarray:
    """Group key of each account code: its cluster, widened by the pairs strong enough to
    be linked that lack only a second signal (one wallet funding both, a phone shared
    before) and by the sizeable holders that built their positions in step. Holding one
    contract's position together on the same side is that second signal; without such a
    pair an account is its own key. ``in_step``: built_in_step's pairs."""
    links = ctx.linkage.links
    strong = links[links["strength"] >= float(DEFAULT_LINK_PARAMS["min_strength"])]
    pairs = pd.concat(
        [strong[["account_a", "account_b"]], in_step[["account_a", "account_b"]]],
        ignore_index=True,
    )
    groups = components(pairs.astype("str").drop_duplicates())
    if not groups:
        return ctx.cluster_keys(codes)
    key = pd.Series({a: k for k, members in groups.items() for a in members}, dtype="str")
    ids = ctx.accounts[codes]
    mapped = pd.Series(ids).map(key)
    return np.where(mapped.isna(), ctx.cluster_keys(codes), mapped.to_numpy(dtype=object))


def group_positions(snap: pd.DataFrame) -> pd.DataFrame:
    """Each group's net position per contract and snapshot, and how many of its accounts
    hold that side. Longs and shorts of one controller net out: the limit is on the net
    exposure. One account over the limit on its own is the exchange's per-account risk
    limit, not a position split over linked accounts: the category needs two holders."""
    keys = ["cluster", "symbol", "day", "ts"]
    net_qty = snap.groupby(keys)["qty"].transform("sum").to_numpy()
    qty = snap["qty"].to_numpy()
    with_net = (qty != 0) & (np.sign(qty) == np.sign(net_qty))
    return (
        snap.assign(with_net=with_net)
        .groupby(keys)
        .agg(qty=("qty", "sum"), holding=("with_net", "sum"))
        .reset_index()
    )


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    p = ctx.feed.positions
    if p is None or p.empty:
        return []
    codes = ctx.account_codes(p["account_id"])
    in_step = built_in_step(ctx, params, codes)
    snap = pd.DataFrame(
        {
            "cluster": holders(ctx, codes, in_step),
            "account": codes,
            "symbol": ctx.symbol_codes(p["symbol"]),
            "ts": epoch_ms(p["ts"]),
            "qty": p["qty"].to_numpy(),
        }
    )
    snap["day"] = snap["ts"] // MS_PER_DAY
    net = group_positions(snap)
    limit = ctx.limits("position_limit")[net["symbol"].to_numpy()]
    net["ratio"] = np.abs(net["qty"].to_numpy()) / limit
    over = net[
        (np.nan_to_num(net["ratio"].to_numpy()) > params["limit_share"])
        & (net["holding"].to_numpy() >= params["min_accounts"])
    ]
    if over.empty:
        return []
    peaks = over.loc[over.groupby(["cluster", "symbol", "day"])["ratio"].idxmax()]
    findings = []
    # The peaks' holders' rows, once: a per-peak scan of every snapshot compares objects.
    holding = snap[snap["cluster"].isin(peaks["cluster"]) & (snap["qty"] != 0)]
    for row in peaks.itertuples():
        at_peak = holding[
            (holding["cluster"] == row.cluster)
            & (holding["symbol"] == row.symbol)
            & (holding["ts"] == row.ts)
        ]
        who = sorted(str(a) for a in ctx.accounts[at_peak["account"].unique()])
        sym = ctx.symbols[row.symbol]
        cap = float(ctx.limits("position_limit")[row.symbol])
        start, end = day_window(int(row.day))
        mark = float(ctx.mark_at(np.array([row.symbol]), np.array([row.ts]))[0])
        size = float(np.nan_to_num(ctx.limits("contract_size")[row.symbol], nan=1.0))
        held = abs(row.qty) * size * (mark if np.isfinite(mark) else 0.0)
        judged = urgency(past=row.ratio / params["limit_share"], notional=held, accounts=len(who))
        # Why holders with no shared identifier are one group: their orders went in step.
        together = in_step[in_step["account_a"].isin(who) & in_step["account_b"].isin(who)]
        in_step_lines = (
            [
                explain(
                    "filled orders two of its holders sent together (same side, within 2 s)",
                    int(together["times"].max()),
                    "orders",
                    BUILT_IN_STEP["min_times"],
                )
            ]
            if len(together)
            else []
        )
        findings.append(
            Finding(
                subject=str(row.cluster),
                accounts=who,
                symbol=sym,
                window_start=start,
                window_end=end,
                score=judged.score,
                severity=judged.severity,
                explain=[
                    explain(
                        "net position held together",
                        abs(row.qty),
                        "contracts",
                        cap * params["limit_share"],
                        ">",
                    ),
                    explain("value of that position at the mark", held, "USDT"),
                    explain("accounts holding it", len(who), "accounts"),
                    *in_step_lines,
                ],
                summary=f"{len(who)} linked account(s) held {abs(row.qty):,.0f} {sym} "
                f"contracts together, {row.ratio:.0%} of the {cap:,.0f} limit",
                metrics={
                    "combined_qty": float(row.qty),
                    "limit": cap,
                    "ratio": round(float(row.ratio), 3),
                    "accounts": len(who),
                    "notional": round(held, 2),
                },
                evidence={
                    "snapshot": pd.Timestamp(int(row.ts), unit="ms", tz="UTC").isoformat(),
                    "positions": {
                        str(ctx.accounts[a]): float(q)
                        for a, q in zip(at_peak["account"], at_peak["qty"], strict=True)
                    },
                    "orders_in_step": [
                        {
                            "accounts": [str(pair.account_a), str(pair.account_b)],
                            "orders": int(pair.times),
                            "share_of_orders": round(float(pair.share), 3),
                        }
                        for pair in together.itertuples()
                    ],
                },
            )
        )
    return findings


RULE = Rule(
    code="combined_position_limit",
    category="combined_position_limit",
    description=(
        "The position limit binds one account or one group under common control (as "
        "CFTC aggregation rules, 17 CFR 150.4, and Chinese exchanges' actual-controller "
        "rules do): splitting a position over linked accounts does not escape it."
    ),
    default_params={"limit_share": 1.0, "min_accounts": 2, "holder_share": 0.1},
    run=run,
)
