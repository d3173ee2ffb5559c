"""Where a contract traded: the yardstick for "off-market".

A print is off the market when it is far from where everybody else traded at that time,
not merely far from the mark: a thin contract's fills stray from its mark every day, and a
contract pulled away from its index trades a percent off the mark for hours, everybody
alike. Both medians here come from an even sample of the window's trades.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..context import MS_PER_MINUTE, Context
from .views import cached, trades

SAMPLE = 200_000  # trades enough to know a contract's ordinary distance from its mark
BASIS_MINUTES = 15  # "around the same time" for where a contract trades against its mark
MIN_BASIS_TRADES = 5  # a median of fewer sampled trades says nothing


def _sample(ctx: Context) -> pd.DataFrame:
    """An even sample of the trades (symbol, day, ts, signed offset from the mark of the
    minute): the medians below need no more. Drawn once per context: both read it."""
    return cached(ctx, "fair_price_sample", _draw)


def _draw(ctx: Context) -> pd.DataFrame:
    t = trades(ctx)
    step = max(1, len(t) // SAMPLE)
    sample = t.iloc[::step]
    mark = ctx.mark_at(sample["symbol"].to_numpy(), sample["ts"].to_numpy())
    return pd.DataFrame(
        {
            "symbol": sample["symbol"].to_numpy(),
            "day": sample["day"].to_numpy(),
            "bucket": sample["ts"].to_numpy() // (BASIS_MINUTES * MS_PER_MINUTE),
            "offset": sample["price"].to_numpy() / mark - 1.0 if len(sample) else [],
        }
    )


def market_basis(ctx: Context, symbol: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Where the contract's trades stood against the mark around each (symbol, time): the
    median signed offset of its trades in that quarter hour (0 where fewer than
    ``MIN_BASIS_TRADES`` were sampled). A contract pulled away from its index trades a
    percent off the mark for hours, everybody alike: a print there is at the market."""
    store = ctx.__dict__.setdefault("_views", {})
    if "market_basis" not in store:
        sample = _sample(ctx)
        grouped = sample.groupby(["symbol", "bucket"])["offset"]
        store["market_basis"] = grouped.median()[grouped.count() >= MIN_BASIS_TRADES]
    basis: pd.Series = store["market_basis"]
    at = pd.MultiIndex.from_arrays([symbol, ts // (BASIS_MINUTES * MS_PER_MINUTE)])
    return np.nan_to_num(basis.reindex(at).to_numpy(dtype=float))


def ordinary_deviation(ctx: Context) -> pd.Series:
    """Per (symbol, day): the median distance of a trade from where the contract traded
    around it (the mark of its minute plus the market's basis of that quarter hour)."""
    store = ctx.__dict__.setdefault("_views", {})
    if "ordinary_deviation" not in store:
        sample = _sample(ctx)
        basis = market_basis(
            ctx,
            sample["symbol"].to_numpy(),
            sample["bucket"].to_numpy() * (BASIS_MINUTES * MS_PER_MINUTE),
        )
        frame = sample.assign(deviation=np.abs(sample["offset"].to_numpy() - basis))
        store["ordinary_deviation"] = frame.groupby(["symbol", "day"])["deviation"].median()
    ordinary: pd.Series = store["ordinary_deviation"]
    return ordinary
