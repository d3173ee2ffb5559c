"""What every rule reads: the feed, the linkage, and integer codes for fast grouping.

Grouping 5 million orders by an Arrow string account id costs seconds per rule; coding
accounts and symbols once, as integers shared by every table, makes each rule's
grouping a cheap numpy operation.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cached_property
from threading import Lock

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .feed import Feed
from .linking import Linkage, link_window
from .memory import AccountMemory

MS_PER_DAY = 86_400_000
MS_PER_MINUTE = 60_000
# The feed's columns that name an account (shared/contracts/feed.md).
ACCOUNT_COLUMNS = {
    "accounts": ("account_id", "referrer_id"),
    "logins": ("account_id",),
    "transfers": ("account_id", "counterparty_account_id"),
    "orders": ("account_id",),
    "trades": ("buyer_id", "seller_id"),
    "positions": ("account_id",),
    "promotions": ("account_id",),
}


def epoch_ms(times: pd.Series) -> np.ndarray:
    """Milliseconds since the epoch; NaT becomes -1."""
    stored = getattr(times, "array", None)
    if isinstance(stored, pd.arrays.DatetimeArray) and stored.unit == "ms":
        # The feed's own unit: its integers as they are (to_numpy copies through a
        # datetime64 conversion, a third of a second at 5M rows).
        ms = stored.asi8
        return np.where(ms == np.iinfo(np.int64).min, -1, ms)
    values = times.to_numpy(dtype="datetime64[ms]", na_value=np.datetime64("NaT"))
    ms = values.astype(np.int64)
    return np.where(np.isnat(values), -1, ms)


def empty_like(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype="object") for name in columns})


@dataclass
class Context:
    feed: Feed
    # The window's links and clusters, or their Future while another thread makes them
    # (engine.run_window): the rules that do not read them run meanwhile.
    linking: Linkage | Future[Linkage]
    # What the desk knew of the accounts before this window; empty without a database.
    memory: AccountMemory = field(default_factory=AccountMemory.empty)
    accounts: np.ndarray = field(init=False)  # code -> account id
    symbols: list[str] = field(init=False)  # code -> symbol
    _account_set: pa.Array = field(init=False)
    _coding: Lock = field(init=False, default_factory=Lock)
    _strangers_coded: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        known = self.feed.accounts["account_id"] if self.feed.accounts is not None else []
        self.accounts = np.asarray(pd.Series(known, dtype="str").to_numpy(dtype=object))
        self._account_set = pa.array(self.accounts.tolist(), type=pa.string())
        symbols: list[str] = []
        for table in ("instruments", "orders", "trades", "positions", "mark_prices"):
            frame = self.feed.table(table)
            if frame is not None and "symbol" in frame:
                found = frame["symbol"].cat.categories if len(frame) else []
                symbols += [str(s) for s in found if str(s) not in symbols]
        self.symbols = sorted(set(symbols))

    @classmethod
    def build(
        cls,
        feed: Feed,
        link_params: dict[str, object] | None = None,
        linkage: Linkage | Future[Linkage] | None = None,
        memory: AccountMemory | None = None,
    ) -> Context:
        if linkage is None:
            linkage = link_window(feed, link_params)
        return cls(feed, linkage, memory if memory is not None else AccountMemory.empty())

    @property
    def linkage(self) -> Linkage:
        """The window's links and clusters (waiting for them if they are being made)."""
        if isinstance(self.linking, Future):
            self.linking = self.linking.result()
        return self.linking

    def account_codes(self, column: pd.Series) -> np.ndarray:
        """Integer code of every account id in ``column``. Ids outside the accounts table
        get new codes, so nothing is lost: at the first such id, those of every account
        column of the feed at once, in id order, so that no code depends on which rule
        (on which of engine.SharedRules' threads) came across a stranger first."""
        values = pa.array(column.astype("str"), type=pa.string())
        codes = pc.index_in(values, value_set=self._account_set)
        if codes.null_count:
            with self._coding:
                if not self._strangers_coded:
                    self._code_strangers(self._feed_account_ids())
                    self._strangers_coded = True
                self._code_strangers(values)  # a column from outside the feed
                codes = pc.index_in(values, value_set=self._account_set)
        return np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int64)

    def _feed_account_ids(self) -> pa.ChunkedArray:
        """The ids of the feed's account columns, but those that brought their codes."""
        chunks: list[pa.Array] = []
        for table, names in ACCOUNT_COLUMNS.items():
            frame = self.feed.table(table)
            if frame is None:
                continue
            for name in names:
                if name in frame and f"{table}.{name}" not in self.feed.codes:
                    ids = pa.array(frame[name].dropna().astype("str"), type=pa.string())
                    chunks += ids.chunks if isinstance(ids, pa.ChunkedArray) else [ids]
        return pa.chunked_array(chunks, type=pa.string())

    def _code_strangers(self, values: pa.Array | pa.ChunkedArray) -> None:
        """New codes, after the known ones, for the ids of ``values`` that have none."""
        unknown = pc.is_null(pc.index_in(values, value_set=self._account_set))
        strangers = sorted(pc.unique(values.filter(unknown)).drop_null().to_pylist())
        if strangers:
            self.accounts = np.concatenate([self.accounts, np.array(strangers, dtype=object)])
            self._account_set = pa.array(self.accounts.tolist(), type=pa.string())

    def table_account_codes(self, table: str, column: str, values: pd.Series) -> np.ndarray:
        """``account_codes(values)`` for the whole column ``table.column``, reusing the
        codes the feed brought (places in its accounts table, a prefix of ``accounts``)."""
        known = self.feed.codes.get(f"{table}.{column}")
        if known is not None and len(known) == len(values):
            return known
        return self.account_codes(values)

    def table_ms(self, table: str, column: str, values: pd.Series) -> np.ndarray:
        """``epoch_ms(values)`` for the whole column ``table.column``, reusing the feed's."""
        known = self.feed.codes.get(f"{table}.{column}")
        if known is not None and len(known) == len(values):
            return known
        return epoch_ms(values)

    def symbol_codes(self, column: pd.Series) -> np.ndarray:
        if isinstance(column.dtype, pd.CategoricalDtype):
            # Recode through the categories only: no per-row strings.
            names = [str(c) for c in column.cat.categories]
            # A missing symbol's code is -1: the lookup's last entry, -1 too. One gather.
            lookup = [self.symbols.index(n) if n in self.symbols else -1 for n in names]
            return np.array([*lookup, -1], dtype=np.int64)[column.cat.codes.to_numpy()]
        codes = pd.Categorical(column.astype("str"), categories=self.symbols).codes
        return np.asarray(codes, dtype=np.int64)

    @cached_property
    def flags(self) -> pd.DataFrame:
        """Per account code: api_trading_allowed, market_maker, registered_at (ms)."""
        frame = pd.DataFrame(index=np.arange(len(self.accounts)))
        accounts = self.feed.accounts
        for column in ("api_trading_allowed", "market_maker"):
            values = np.zeros(len(self.accounts), dtype=bool)
            if accounts is not None:
                values[: len(accounts)] = accounts[column].to_numpy()
            frame[column] = values
        registered = np.full(len(self.accounts), -1, dtype=np.int64)
        if accounts is not None:
            registered[: len(accounts)] = epoch_ms(accounts["registered_at"])
        frame["registered_ms"] = registered
        return frame

    def flag(self, name: str, codes: np.ndarray) -> np.ndarray:
        values = self.flags[name].to_numpy()
        inside = codes < len(values)
        return np.where(inside, values[np.minimum(codes, len(values) - 1)], False)

    def cluster_keys(self, codes: np.ndarray) -> np.ndarray:
        """Cluster key of each account code; an unlinked account is its own key."""
        ids = self.accounts[codes]
        mapped = pd.Series(ids).map(self.linkage.account_cluster)
        return np.where(mapped.isna(), ids, mapped.to_numpy(dtype=object))

    @cached_property
    def mark_table(self) -> pd.DataFrame | None:
        marks = self.feed.mark_prices
        if marks is None or marks.empty:
            return None
        return pd.DataFrame(
            {
                "symbol": self.symbol_codes(marks["symbol"]),
                "minute": epoch_ms(marks["ts"]) // MS_PER_MINUTE,
                "mark": marks["mark_price"].to_numpy(),
                "index": marks["index_price"].to_numpy(),
            }
        ).sort_values(["symbol", "minute"], ignore_index=True)

    def mark_at(self, symbol: np.ndarray, ts_ms: np.ndarray) -> np.ndarray:
        """The mark price of the minute each (symbol, time) falls in; NaN if unknown."""
        return self._marks_column_at("mark", symbol, ts_ms)

    def index_at(self, symbol: np.ndarray, ts_ms: np.ndarray) -> np.ndarray:
        """The index price of the minute each (symbol, time) falls in; NaN if unknown."""
        return self._marks_column_at("index", symbol, ts_ms)

    def _marks_column_at(self, column: str, symbol: np.ndarray, ts_ms: np.ndarray) -> np.ndarray:
        """``column`` of ``mark_table`` for the minute each (symbol, time) falls in."""
        table = self.mark_table
        if table is None:
            return np.full(len(symbol), np.nan)
        grid = self._mark_grid
        if grid is not None:
            # One look-up per row in a (symbol, minute) grid: a binary search over the
            # marks costs a tenth of a second per million rows.
            first, minutes, place = grid
            minute = ts_ms // MS_PER_MINUTE - first
            symbol = symbol.astype(np.int64)
            inside = (symbol >= 0) & (minute >= 0) & (minute < minutes)
            inside &= symbol < len(place) // max(minutes, 1)
            at = np.where(inside, symbol * minutes + minute, 0)
            found = np.where(inside, place[at], -1)
            return np.where(found >= 0, table[column].to_numpy()[found], np.nan)
        key = table["symbol"].to_numpy().astype(np.int64) * 10**9 + table["minute"].to_numpy()
        probe = symbol.astype(np.int64) * 10**9 + ts_ms // MS_PER_MINUTE
        where = np.clip(np.searchsorted(key, probe), 0, len(key) - 1)
        return np.where(key[where] == probe, table[column].to_numpy()[where], np.nan)

    @cached_property
    def _mark_grid(self) -> tuple[int, int, np.ndarray] | None:
        """The first minute, the minutes per symbol and, per (symbol, minute), the row of
        ``mark_table`` holding it (-1: none; of repeated rows the first, as the binary
        search finds it). None when the grid would be large (a long window of sparse
        marks): ``mark_at`` searches then."""
        table = self.mark_table
        if table is None or not len(table):
            return None
        symbol = table["symbol"].to_numpy().astype(np.int64)
        minute = table["minute"].to_numpy().astype(np.int64)
        first, minutes = int(minute.min()), int(minute.max() - minute.min()) + 1
        if symbol.min() < 0 or (int(symbol.max()) + 1) * minutes > max(4 * len(table), 1 << 20):
            return None
        cell = symbol * minutes + (minute - first)
        # The table is sorted by (symbol, minute): a repeated cell's first row leads its run.
        leads = np.r_[True, cell[1:] != cell[:-1]]
        place = np.full((int(symbol.max()) + 1) * minutes, -1, dtype=np.int64)
        place[cell[leads]] = np.flatnonzero(leads)
        return first, minutes, place

    def limits(self, column: str) -> np.ndarray:
        """Per symbol code, an instruments column (NaN when the symbol is not listed)."""
        values = np.full(len(self.symbols), np.nan)
        instruments = self.feed.instruments
        if instruments is not None and len(instruments):
            values[self.symbol_codes(instruments["symbol"])] = instruments[column].to_numpy()
        return values


def day_start(day: int) -> pd.Timestamp:
    return pd.Timestamp(day * MS_PER_DAY, unit="ms", tz="UTC")
