"""Fills between two accounts of one controlled cluster (shared by two rules), and between
two accounts that repeatedly trade with each other outside any cluster."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..context import Context
from ..link_evidence import repeated
from .fair_price import market_basis
from .views import trades


def internal_trades(ctx: Context, *, include_self: bool) -> pd.DataFrame:
    """Trades whose buyer and seller belong to one cluster, with the cluster key and the
    price's deviation from the market then (the mark of that minute and the contract's
    basis against it: ``matched_trade_price.market_basis``; computed once per window)."""
    store = ctx.__dict__.setdefault("_views", {})
    if "internal_trades" not in store:
        store["internal_trades"] = _internal_trades(ctx)
    found: pd.DataFrame = store["internal_trades"]
    same = found["buyer"] == found["seller"]
    return found if include_self else found[~same]


def _internal_trades(ctx: Context) -> pd.DataFrame:
    t = trades(ctx)
    if t.empty or not ctx.linkage.clusters:
        inside = np.zeros(len(t), dtype=bool)
    else:
        clustered = ctx.linkage.account_cluster
        in_cluster = pd.Index(ctx.accounts).isin(clustered.index)
        both = in_cluster[t["buyer"].to_numpy()] & in_cluster[t["seller"].to_numpy()]
        inside = both.copy()
        if both.any():
            rows = np.flatnonzero(both)
            buyer_key = ctx.cluster_keys(t["buyer"].to_numpy()[rows])
            seller_key = ctx.cluster_keys(t["seller"].to_numpy()[rows])
            inside[rows] = buyer_key == seller_key
    inside |= (t["buyer"] == t["seller"]).to_numpy()
    found = t[inside].copy()
    found["cluster"] = ctx.cluster_keys(found["buyer"].to_numpy())
    return with_deviation(ctx, found)


def with_deviation(ctx: Context, found: pd.DataFrame) -> pd.DataFrame:
    """``found`` (rows of the trades view) with each price's deviation from the market
    then."""
    symbol, ts = found["symbol"].to_numpy(), found["ts"].to_numpy()
    mark = ctx.mark_at(symbol, ts)
    # From where the market traded then, not from the bare mark: when a contract runs a
    # percent above its index for hours, everybody's fills are "off the mark".
    basis = market_basis(ctx, symbol, ts)
    found["deviation"] = found["price"].to_numpy() / mark - 1.0 - basis if len(found) else []
    return found


def unlinked_pair_trades(ctx: Context, min_trades: int) -> pd.DataFrame:
    """Trades between two accounts that are in no one cluster (market makers aside: every
    taker meets them), of the pairs that traded with each other at least ``min_trades``
    times in one contract in one UTC day, with ``low`` / ``high`` (the pair's account
    codes) and the price's deviation from the market. Counted on integer keys first: most
    pairs of accounts meet once or twice."""
    t = trades(ctx)
    buyer, seller = t["buyer"].to_numpy(np.int64), t["seller"].to_numpy(np.int64)
    low, high = np.minimum(buyer, seller), np.maximum(buyer, seller)
    day = t["day"].to_numpy(np.int64)
    day = day - day.min() if len(day) else day
    days = int(day.max()) + 1 if len(day) else 1
    pair = low * max(1, len(ctx.accounts)) + high
    key = (pair * max(1, len(ctx.symbols)) + t["symbol"].to_numpy(np.int64)) * days + day
    rows = np.flatnonzero(repeated(key, min_trades) & (buyer != seller))
    rows = rows[~ctx.flag("market_maker", low[rows]) & ~ctx.flag("market_maker", high[rows])]
    if len(rows):
        linked = ctx.cluster_keys(low[rows]) == ctx.cluster_keys(high[rows])
        rows = rows[~linked]
    found = t.iloc[rows].copy()
    found["low"], found["high"] = low[rows], high[rows]
    return with_deviation(ctx, found)


def participants(ctx: Context, rows: pd.DataFrame) -> list[str]:
    codes = np.unique(np.concatenate([rows["buyer"].to_numpy(), rows["seller"].to_numpy()]))
    return sorted(str(a) for a in ctx.accounts[codes])
