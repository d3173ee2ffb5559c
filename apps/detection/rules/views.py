"""Coded, numpy-friendly views of the trades and orders, built once per context."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

from ..context import MS_PER_DAY, Context

T = TypeVar("T")


def cached(ctx: Context, name: str, build: Callable[[Context], T]) -> T:
    """``build(ctx)``, made once per context and kept under ``name``. (The two threads
    of engine.SharedRules, asking at the same moment, may each build it: the builds are
    equal.)"""
    store = ctx.__dict__.setdefault("_views", {})
    if name not in store:
        store[name] = build(ctx)
    made: T = store[name]
    return made


def trades(ctx: Context) -> pd.DataFrame:
    """One row per trade, same order as feed.trades: integer account / symbol codes."""
    return cached(ctx, "trades", _trades)


def orders(ctx: Context) -> pd.DataFrame:
    return cached(ctx, "orders", _orders)


def _trades(ctx: Context) -> pd.DataFrame:
    t = ctx.feed.trades
    if t is None:
        t = pd.DataFrame({c: [] for c in ("buyer_id", "seller_id", "symbol", "ts")})
    ts = ctx.table_ms("trades", "ts", t["ts"]) if len(t) else np.zeros(0, dtype=np.int64)
    # copy=False: one block per column, no copy into a 2-D block (a second at 5M rows),
    # and row filters on the view get cheaper too.
    view = pd.DataFrame(
        {
            "buyer": ctx.table_account_codes("trades", "buyer_id", t["buyer_id"]),
            "seller": ctx.table_account_codes("trades", "seller_id", t["seller_id"]),
            "symbol": ctx.symbol_codes(t["symbol"]),
            "ts": ts,
            "day": ts // MS_PER_DAY,
        },
        copy=False,
    )
    if len(t):
        view["price"] = t["price"].to_numpy()
        view["qty"] = t["qty"].to_numpy()
        view["taker_buys"] = (t["taker_side"] == "buy").to_numpy()
        view["buyer_opens"] = (t["buyer_effect"] == "open").to_numpy()
        view["seller_opens"] = (t["seller_effect"] == "open").to_numpy()
        view["buyer_pnl"] = t["buyer_realized_pnl"].to_numpy()
        view["seller_pnl"] = t["seller_realized_pnl"].to_numpy()
    return view


def _orders(ctx: Context) -> pd.DataFrame:
    o = ctx.feed.orders
    if o is None or o.empty:
        return pd.DataFrame(
            columns=["account", "symbol", "created", "cancelled", "day", "qty", "price", "buy"]
        )
    created = ctx.table_ms("orders", "created_at", o["created_at"])
    return pd.DataFrame(
        {
            "account": ctx.table_account_codes("orders", "account_id", o["account_id"]),
            "symbol": ctx.symbol_codes(o["symbol"]),
            "created": created,
            "cancelled": ctx.table_ms("orders", "cancelled_at", o["cancelled_at"]),
            "day": created // MS_PER_DAY,
            "qty": o["qty"].to_numpy(),
            "filled": o["filled_qty"].to_numpy(),
            "price": o["price"].to_numpy(),
            "api": (o["channel"] == "api").to_numpy(),
            "buy": (o["side"] == "buy").to_numpy(),
        },
        copy=False,
    )


def _ids(ctx: Context, table: str, column: str, rows: np.ndarray | pd.Index) -> list[str]:
    """Ids of some rows, at most 200. Only those rows become Python strings (converting
    a whole Arrow column costs a second at 1M rows), each taken from the chunk that holds
    it: a take across dozens of chunks is slow, and one contiguous copy of five million
    order ids cost 0.3 s per window."""
    store = ctx.__dict__.setdefault("_views", {})
    name = f"{table}.{column}"
    if name not in store:
        frame = ctx.feed.table(table)
        assert frame is not None
        values = pa.array(frame[column])
        chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
        store[name] = (chunks, np.cumsum([0, *(len(chunk) for chunk in chunks)]))
    chunks, starts = store[name]
    wanted = np.asarray(rows, dtype=np.int64)[:200]
    held_in = np.searchsorted(starts, wanted, side="right") - 1
    ids = np.empty(len(wanted), dtype=object)
    for chunk in np.unique(held_in):
        mine = held_in == chunk
        picked = chunks[chunk].take(pa.array(wanted[mine] - starts[chunk], type=pa.int64()))
        ids[mine] = picked.to_pylist()
    return [str(value) for value in ids]


def trade_ids(ctx: Context, rows: np.ndarray | pd.Index) -> list[str]:
    return _ids(ctx, "trades", "trade_id", rows)


def order_ids(ctx: Context, rows: np.ndarray | pd.Index) -> list[str]:
    return _ids(ctx, "orders", "order_id", rows)


def group_rows(keys: pd.DataFrame) -> dict[tuple[Any, ...], np.ndarray]:
    """Row positions per distinct key tuple (only call on small, pre-filtered frames)."""
    return {
        (k if isinstance(k, tuple) else (k,)): np.asarray(v)
        for k, v in keys.groupby(list(keys.columns)).indices.items()
    }


def among(codes: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Per row, whether its integer code is one of ``wanted``: one look-up in a table of
    flags per row (np.isin makes several passes over millions of rows, or one per wanted
    value when they are few)."""
    codes, wanted = np.asarray(codes), np.asarray(wanted)
    if not len(codes) or not len(wanted):
        return np.zeros(len(codes), dtype=bool)
    if min(codes.min(), wanted.min()) < 0:
        return np.isin(codes, wanted)
    flags = np.zeros(max(int(codes.max()), int(wanted.max())) + 1, dtype=bool)
    flags[wanted] = True
    return flags[codes]
