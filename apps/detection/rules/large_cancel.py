"""Repeated large order-and-cancel: spoofing and layering.

"Large" is relative to the contract: a multiple of its typical order, the median order
of everyone but the market makers (whose many small quotes would drag the median down
and make every ordinary order look large). The pattern is looked for in two ways:

- **spoofing / layering**: large orders near the touch pulled within seconds while a
  small order of the same account on the other side of the book fills — the large order
  was there to draw that fill (CME Rule 575; the few episodes of a careful spoofer are
  enough, and a busy trader's fills are not small beside its own large orders);
- **repeated large cancels**: the exchange's count of very large orders (near the
  maximum order size) pulled again and again in one contract in a day.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..context import Context
from .base import Finding, Rule, account_day_finding, explain, notional, urgency
from .fair_price import market_basis
from .machine_pace import PACKED_BITS
from .views import group_rows, order_ids, orders, trades

TIME_BITS = 37  # 2**37 ms is four years: room for any window's offsets


def typical_order(ctx: Context, o: pd.DataFrame) -> np.ndarray:
    """Per symbol code: the median order quantity of accounts outside the market-maker
    programme (NaN where a symbol has no such order)."""
    store = ctx.__dict__.setdefault("_views", {})
    if "typical_order" not in store:
        symbol, qty = o["symbol"].to_numpy(), np.asarray(o["qty"].to_numpy(), dtype=np.float64)
        # Known symbols and quantities only (pandas' median skips NaN).
        ordinary = ~market_makers(ctx, o["account"].to_numpy()) & (symbol >= 0) & ~np.isnan(qty)
        store["typical_order"] = medians(symbol[ordinary], qty[ordinary], len(ctx.symbols))
    typical: np.ndarray = store["typical_order"]
    return typical


def market_makers(ctx: Context, codes: np.ndarray) -> np.ndarray:
    """``ctx.flag("market_maker", codes)`` read once per account, then one gather."""
    if len(codes) == 0:
        return np.zeros(0, dtype=bool)
    flags: np.ndarray = ctx.flag("market_maker", np.arange(int(codes.max()) + 1))
    return flags[codes]


def medians(symbol: np.ndarray, qty: np.ndarray, symbols: int) -> np.ndarray:
    """Per symbol code 0..symbols-1, the median of its ``qty`` (none NaN) as pandas'
    groupby computes it; NaN for a symbol without any. Each symbol's quantities are put
    side by side by a stable sort of the few symbol codes (a radix sort), and only their
    two middle values are found (np.partition): a full sort of five million quantities
    cost twice as much."""
    if len(qty) == 0:
        return np.full(symbols, np.nan)
    if np.signbit(qty).any() or symbols >= 2**15:
        medians = pd.Series(qty).groupby(symbol).median()
        return medians.reindex(range(symbols)).to_numpy()
    count = np.bincount(symbol, minlength=symbols)
    ordered = qty[np.argsort(symbol.astype(np.int16), kind="stable")]
    lower, upper = np.full(symbols, np.nan), np.full(symbols, np.nan)
    for code, end in zip(range(symbols), np.cumsum(count).tolist(), strict=True):
        if count[code]:
            low, high = (count[code] - 1) // 2, count[code] // 2
            middle = np.partition(ordered[end - count[code] : end], [low, high])
            lower[code], upper[code] = middle[low], middle[high]
    return np.where(count % 2 == 1, lower, (lower + upper) / 2)


def _other_side_filled(ctx: Context, pulled: pd.DataFrame, small: float) -> np.ndarray:
    """Whether the same account had a small fill (at most ``small`` times the order's
    quantity in all) on the other side of the same contract while each pulled order
    rested, between its creation and its cancel."""
    t = trades(ctx)
    if t.empty or pulled.empty:
        return np.zeros(len(pulled), dtype=bool)
    suspects = np.zeros(len(ctx.accounts) + 1, dtype=bool)
    suspects[pulled["account"].to_numpy()] = True
    buyer, seller = t["buyer"].to_numpy(), t["seller"].to_numpy()
    as_buyer, as_seller = np.flatnonzero(suspects[buyer]), np.flatnonzero(suspects[seller])
    rows = np.concatenate([as_buyer, as_seller])
    account = np.concatenate([buyer[as_buyer], seller[as_seller]])
    bought = np.concatenate([np.ones(len(as_buyer), bool), np.zeros(len(as_seller), bool)])
    width = len(ctx.symbols) + 1
    fill_key = (account * width + t["symbol"].to_numpy()[rows]) * 2 + bought
    # The order's other side: a large sell is answered by the account's own buy fill.
    order_key = (pulled["account"].to_numpy() * width + pulled["symbol"].to_numpy()) * 2 + (
        ~pulled["buy"].to_numpy()
    )
    if len(fill_key) == 0:
        return np.zeros(len(pulled), dtype=bool)
    # Each fill's lane (account, symbol, side): the key itself where it fits above the
    # time (no np.unique of every fill), else its rank among the keys; either way the
    # lanes sort as the keys do.
    low = min(int(fill_key.min()), int(order_key.min()))
    if int(max(fill_key.max(), order_key.max()) - low).bit_length() + TIME_BITS <= PACKED_BITS:
        dense, lane = fill_key - low, order_key - low
        known = np.ones(len(pulled), dtype=bool)  # a lane without fills finds none
    else:
        keys, dense = np.unique(fill_key, return_inverse=True)
        lane = np.clip(np.searchsorted(keys, order_key), 0, len(keys) - 1)
        known = keys[lane] == order_key
    ts = t["ts"].to_numpy()[rows]
    base = min(int(ts.min()), int(pulled["created"].min()))
    # One sorted int64 per fill, (account, symbol, side) above the time: a range search
    # per pulled order finds the fills made while it rested.
    stamp = dense.astype(np.int64) << TIME_BITS | (ts - base)
    order = np.argsort(stamp, kind="stable")
    stamp = stamp[order]
    filled = np.concatenate([[0.0], np.cumsum(t["qty"].to_numpy()[rows][order])])
    lane = lane.astype(np.int64) << TIME_BITS
    first = np.searchsorted(stamp, lane | (pulled["created"].to_numpy() - base), "left")
    last = np.searchsorted(stamp, lane | (pulled["cancelled"].to_numpy() - base), "right")
    volume = filled[last] - filled[first]
    return known & (last > first) & (volume <= small * pulled["qty"].to_numpy())


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    o = orders(ctx)
    if o.empty:
        return []
    symbol, qty = o["symbol"].to_numpy(), o["qty"].to_numpy()
    typical = typical_order(ctx, o)
    # A loose bound first, so only the orders near size_multiple x typical are divided
    # (a contract without a positive typical order leaves all of its orders to the test).
    with np.errstate(invalid="ignore"):
        bound = np.where(typical > 0, typical * params["size_multiple"] * (1 - 1e-9), -np.inf)
    near = np.flatnonzero(~(qty < bound[symbol]))
    multiple = qty[near] / typical[symbol[near]]
    large = np.nan_to_num(multiple) >= params["size_multiple"]
    if params["exempt_market_makers"]:
        large &= ~market_makers(ctx, o["account"].to_numpy()[near])
    big = o.iloc[near[large]].assign(multiple=multiple[large])
    # Near where the contract trades: the mark plus the market's basis of the quarter hour
    # (a contract pulled from its index trades a percent or two off its mark for hours).
    symbols, created = big["symbol"].to_numpy(), big["created"].to_numpy()
    mark = ctx.mark_at(symbols, created)
    distance = np.abs(big["price"].to_numpy() / mark - 1.0 - market_basis(ctx, symbols, created))
    life = big["cancelled"] - big["created"]
    pulled = (
        (big["cancelled"] >= 0)
        & (life <= params["max_lifetime_ms"])
        & (big["filled"] < params["max_fill_share"] * big["qty"])
        # Near the touch: an order far from the market misleads nobody (no mark: no test).
        & ~(distance > params["max_distance"])
    ).to_numpy()
    very_large = big["multiple"].to_numpy() >= params["repeat_size_multiple"]
    big = big.assign(pulled=pulled, very_large=very_large, repeat=pulled & very_large)
    big["spoof"] = False
    big.loc[big["pulled"], "spoof"] = _other_side_filled(
        ctx, big[big["pulled"]], params["max_other_side_share"]
    )
    # Count per (account, symbol, day) first, so only the groups past a threshold are
    # looked at one by one (a busy window has thousands of accounts with large orders).
    days = big["day"].to_numpy() - (big["day"].min() if len(big) else 0)
    group, _ = pd.factorize(
        (big["account"].to_numpy() * (len(ctx.symbols) + 1) + big["symbol"].to_numpy())
        * (int(days.max(initial=0)) + 1)
        + days
    )
    spoofs = np.bincount(group, weights=big["spoof"].to_numpy())
    repeats = np.bincount(group, weights=big["repeat"].to_numpy())
    repeat_share = repeats / np.maximum(np.bincount(group, weights=very_large), 1)
    passing = (spoofs >= params["min_spoof_episodes"]) | (
        (repeats >= params["min_large_cancels"]) & (repeat_share >= params["min_cancel_share"])
    )
    big = big[passing[group]]
    findings = []
    for (account, sym_code, day), where in group_rows(big[["account", "symbol", "day"]]).items():
        part = big.iloc[where]
        shown = part[part["pulled"]]
        spoof, repeat = int(part["spoof"].sum()), int(part["repeat"].sum())
        who, sym = str(ctx.accounts[account]), ctx.symbols[sym_code]
        usual = float(typical_order(ctx, o)[sym_code])
        size = float(shown["multiple"].median())
        seconds = float((shown["cancelled"] - shown["created"]).median()) / 1000
        ratio = max(spoof / params["min_spoof_episodes"], repeat / params["min_large_cancels"])
        shown_value = notional(ctx, shown)
        # Spoofing misleads the book while it runs; the stake is a tenth of what was shown.
        judged = urgency(past=ratio, notional=shown_value / 10, manipulation=spoof > 0)
        findings.append(
            account_day_finding(
                who,
                sym,
                int(day),
                strength=judged,
                summary=f"{who} pulled {len(shown)} large {sym} orders (median {size:.0f}x "
                f"the typical {usual:,.4g} contracts, threshold {params['size_multiple']:g}x) "
                f"after {seconds:.1f} s; {spoof} while its own small order filled on the "
                f"other side (threshold {params['min_spoof_episodes']})",
                metrics={
                    "large_cancels": len(shown),
                    "spoof_episodes": spoof,
                    "very_large_cancels": repeat,
                    "large_orders": len(part),
                    "typical_order_qty": usual,
                    "median_size_multiple": round(size, 1),
                    "median_seconds_shown": round(seconds, 2),
                },
                evidence={"order_ids": order_ids(ctx, shown.index), "trade_ids": []},
                explain=[
                    explain(
                        "large orders pulled after its own small order filled",
                        spoof,
                        "episodes",
                        params["min_spoof_episodes"],
                    ),
                    explain(
                        "very large orders pulled", repeat, "orders", params["min_large_cancels"]
                    ),
                    explain(
                        "median size of the pulled orders",
                        size,
                        "x typical order",
                        params["size_multiple"],
                    ),
                    explain(
                        "median time they were shown",
                        seconds,
                        "s",
                        params["max_lifetime_ms"] / 1000,
                        "<=",
                    ),
                    explain("value of the pulled orders", shown_value, "USDT"),
                ],
            )
        )
    return findings


RULE = Rule(
    code="large_cancel",
    category="large_cancel",
    description=(
        "Large orders shown and pulled within seconds create a false impression of supply "
        "or demand (spoofing / layering: Dodd-Frank s.747, CME Rule 575, MAR Annex I). "
        "Large means at least 10x the contract's typical order (the median order of "
        "everyone but the market makers), placed within 1% of where the contract trades "
        "(its mark plus the quarter hour's median trade-to-mark offset) and pulled within "
        "60 s with under 20% filled. An alert needs, in one contract in a day, 5 such "
        "orders each pulled after the account's own small order (at most a quarter of the "
        "large one) filled on the other side while it rested, or 10 pulled orders of at "
        "least 50x the typical order that are half of the account's orders that size (the "
        "exchange's repeated large cancel count). A whale whose large orders fill is not "
        "spoofing; market makers are exempt."
    ),
    default_params={
        "size_multiple": 10.0,
        "repeat_size_multiple": 50.0,
        "max_distance": 0.01,
        "max_lifetime_ms": 60_000,
        "max_fill_share": 0.2,
        "max_other_side_share": 0.25,
        "min_spoof_episodes": 5,
        "min_large_cancels": 10,
        "min_cancel_share": 0.5,
        "exempt_market_makers": True,
    },
    run=run,
    reads_links=False,
    heavy=True,
)
