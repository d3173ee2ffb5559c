"""Fills between two accounts of one controlled cluster (shared by two rules)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..context import Context
from .views import trades


def internal_trades(ctx: Context, *, include_self: bool) -> pd.DataFrame:
    """Trades whose buyer and seller belong to one cluster, with the cluster key and the
    price's deviation from the mark of that minute."""
    t = trades(ctx)
    if t.empty or not ctx.linkage.clusters:
        inside = np.zeros(len(t), dtype=bool)
    else:
        clustered = ctx.linkage.account_cluster
        in_cluster = np.isin(ctx.accounts, clustered.index.to_numpy())
        both = in_cluster[t["buyer"].to_numpy()] & in_cluster[t["seller"].to_numpy()]
        inside = both.copy()
        if both.any():
            rows = np.flatnonzero(both)
            buyer_key = ctx.cluster_keys(t["buyer"].to_numpy()[rows])
            seller_key = ctx.cluster_keys(t["seller"].to_numpy()[rows])
            inside[rows] = buyer_key == seller_key
    if include_self:
        inside |= (t["buyer"] == t["seller"]).to_numpy()
    else:
        inside &= (t["buyer"] != t["seller"]).to_numpy()
    found = t[inside].copy()
    found["cluster"] = ctx.cluster_keys(found["buyer"].to_numpy())
    mark = ctx.mark_at(found["symbol"].to_numpy(), found["ts"].to_numpy())
    found["deviation"] = found["price"].to_numpy() / mark - 1.0 if len(found) else []
    return found


def participants(ctx: Context, rows: pd.DataFrame) -> list[str]:
    codes = np.unique(np.concatenate([rows["buyer"].to_numpy(), rows["seller"].to_numpy()]))
    return sorted(str(a) for a in ctx.accounts[codes])
