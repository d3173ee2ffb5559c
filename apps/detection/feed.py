"""Read one window of the trading feed, strictly per shared/contracts/feed.md."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from .columns import parse_column
from .errors import FeedError
from .id_hash import string_hashes
from .schema import TABLES, Table

__all__ = ["Feed", "FeedError", "check_keys", "keys_checked", "read_feed", "read_table"]


@dataclass
class Feed:
    """One DataFrame per table; a table that was not asked for, or an absent optional one,
    is None. Low-cardinality text (symbol, side, channel, ...) is categorical; times are
    ``datetime64[ms, UTC]``."""

    folder: Path
    instruments: pd.DataFrame | None = None
    accounts: pd.DataFrame | None = None
    logins: pd.DataFrame | None = None
    transfers: pd.DataFrame | None = None
    orders: pd.DataFrame | None = None
    trades: pd.DataFrame | None = None
    positions: pd.DataFrame | None = None
    mark_prices: pd.DataFrame | None = None
    promotions: pd.DataFrame | None = None
    files: dict[str, Path] = field(default_factory=dict)
    # "table.column" -> account codes (places in ``accounts``) a source already computed
    # (the live state codes rows as they arrive); the rules' views use them when present.
    codes: dict[str, np.ndarray] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame | None:
        frame: pd.DataFrame | None = getattr(self, name)
        return frame


# What check_keys looks at: each table's unique columns, and the orders a trade names.
KEY_COLUMNS = {
    name: [*table.unique, *(["buy_order_id", "sell_order_id"] if name == "trades" else [])]
    for name, table in TABLES.items()
    if table.unique
}


def read_feed(
    folder: Path,
    tables: Iterable[str] | None = None,
    *,
    checking_keys: bool = True,
    keys_only: bool = False,
) -> Feed:
    """Read the window in ``folder``; every table, or only ``tables``.

    Trades are checked against orders, so asking for trades reads orders too (unless
    the ids are left unchecked).
    Raises FeedError on the first breach of the contract. With ``checking_keys=False``
    the ids (duplicates, trades naming unknown orders) are left unchecked: the caller
    checks them itself, with ``keys_checked`` or ``check_keys``. With ``keys_only``,
    each table is read down to the columns ``check_keys`` needs (tables without ids are
    skipped): a worker checking a window's ids while others read the rest.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FeedError(str(folder), "is not a folder")
    wanted = list(TABLES) if tables is None else list(dict.fromkeys(tables))
    if keys_only:
        wanted = [name for name in wanted if name in KEY_COLUMNS]
    unknown = [name for name in wanted if name not in TABLES]
    if unknown:
        raise ValueError(f"unknown feed table(s): {', '.join(unknown)}")
    if "trades" in wanted and "orders" not in wanted and checking_keys:
        wanted.append("orders")
    feed = Feed(folder=folder)
    for name in wanted:
        path = table_path(folder, name)
        if path is None:
            if not TABLES[name].optional:
                raise FeedError(f"{name}.csv", f"required table {name} is missing in {folder}")
            continue
        table = TABLES[name]
        if keys_only:
            kept = tuple(c for c in table.columns if c.name in KEY_COLUMNS[name])
            table = replace(table, columns=kept)
        setattr(feed, name, read_table(path, table, check_unique=False))
        feed.files[name] = path
    if checking_keys:
        check_keys(feed)
    return feed


@contextmanager
def keys_checked(feed: Feed, pool: Executor | None = None) -> Iterator[None]:
    """Check the window's ids on a second thread while the body works on the window.

    The check is hashing in numpy and pandas' integer table, which release the GIL, so it
    costs the body little on a second core. ``pool``: the executor to check on (a
    one-thread pool runs it after the work handed to it before); a thread of its own
    when None. Whatever the body made is only good once the check passes: on a breach
    FeedError is raised at the end, in place of anything the body raised (a duplicate id
    can trip a rule before the check has named it)."""
    with ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(ThreadPoolExecutor(max_workers=1))
        pending = pool.submit(check_keys, feed)
        try:
            yield
        except Exception:
            breach = pending.exception()
            if breach is not None:
                raise breach from None
            raise
        pending.result()


def check_keys(feed: Feed) -> None:
    """Duplicate ids and unknown orders. Each check is a hash pass over strings in
    pyarrow, which releases the GIL, so they run side by side; the error reported is
    the first in table order, whichever thread finds it first."""
    checks: list[Callable[[], None]] = []
    joint = feed.trades is not None and feed.orders is not None
    for name, path in feed.files.items():
        frame = feed.table(name)
        assert frame is not None
        if name == "orders" and joint:
            checks.append(partial(_check_orders_and_trades, feed))
        else:
            checks.append(partial(_check_unique, frame, TABLES[name], path.name))
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(check) for check in checks]
    errors = [future.exception() for future in futures]
    for error in errors:
        if error is not None:
            raise error


def value_counts(folder: Path, name: str, column: str) -> pd.Series:
    """How often each value of one column occurs, reading that column alone: for planning
    how to share a window out, not validated (the parts that read it do that)."""
    path = table_path(folder, name)
    if path is None:
        return pd.Series(dtype="int64")
    try:
        if path.suffix == ".parquet":
            values = pq.read_table(path, columns=[column]).column(0)
        else:
            options = pa_csv.ConvertOptions(
                column_types={column: pa.string()}, include_columns=[column]
            )
            values = pa_csv.read_csv(path, convert_options=options).column(0)
    except (pa.ArrowInvalid, KeyError, OSError):
        return pd.Series(dtype="int64")  # the part that reads the table reports it
    counts = pc.value_counts(values)
    return pd.Series(
        counts.field("counts").to_numpy(zero_copy_only=False),
        index=[str(v) for v in counts.field("values").to_pylist()],
        dtype="int64",
    )


def table_path(folder: Path, name: str) -> Path | None:
    for suffix in (".parquet", ".csv"):  # Parquet wins when both exist.
        path = folder / f"{name}{suffix}"
        if path.is_file():
            return path
    return None


def read_table(path: Path, table: Table, *, check_unique: bool = True) -> pd.DataFrame:
    """Read and parse one table file; the result has exactly the contract's columns."""
    raw = _read_parquet(path, table) if path.suffix == ".parquet" else _read_csv(path, table)
    frame = pd.DataFrame(
        {
            column.name: parse_column(raw[column.name], column, path.name)
            for column in table.columns
        },
        copy=False,  # the parsed columns are new: no need to copy them into 2-D blocks
    )
    if check_unique:
        _check_unique(frame, table, path.name)
    return frame


def _check_header(present: list[str], table: Table, file: str) -> list[str]:
    missing = [name for name in table.column_names if name not in present]
    if missing:
        raise FeedError(file, "missing required column", column=missing[0])
    return table.column_names


def _read_csv(path: Path, table: Table) -> pd.DataFrame:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), None)
    if header is None:
        raise FeedError(path.name, "is empty: a CSV table needs at least its header row")
    wanted = _check_header(header, table, path.name)
    if len(set(header)) != len(header):
        raise FeedError(path.name, "the header names a column twice")
    # Everything is read as text and parsed here, so that "" stays a null and a bad value
    # is reported with its row instead of being guessed into another type.
    options = pa_csv.ConvertOptions(
        column_types={name: pa.string() for name in header},
        include_columns=wanted,
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    try:
        arrow = pa_csv.read_csv(
            path,
            parse_options=pa_csv.ParseOptions(ignore_empty_lines=False),
            convert_options=options,
        )
    except pa.ArrowInvalid as error:
        raise FeedError(path.name, f"is not well-formed CSV: {error}") from error
    return arrow.to_pandas()


def _read_parquet(path: Path, table: Table) -> pd.DataFrame:
    try:
        present = pq.read_schema(path).names
    except (pa.ArrowInvalid, OSError) as error:
        raise FeedError(path.name, f"is not a readable Parquet file: {error}") from error
    wanted = _check_header(present, table, path.name)
    return pd.read_parquet(path, columns=wanted)


def _check_unique(frame: pd.DataFrame, table: Table, file: str) -> None:
    if not table.unique or frame.empty:
        return
    keys = list(table.unique)
    if len(keys) == 1 and _surely_unique(frame[keys[0]]):  # the common case, and cheap
        return
    repeated = frame.duplicated(subset=keys) if len(keys) > 1 else frame[keys[0]].duplicated()
    if repeated.any():
        row = int(repeated.to_numpy().nonzero()[0][0])
        value = ", ".join(str(frame[key].iloc[row]) for key in keys)
        message = f"duplicate {' + '.join(keys)} {value!r}"
        raise FeedError(file, message, row=row + 1, column=keys[-1])


def _surely_unique(column: pd.Series) -> bool:
    """True when no value repeats; False is a repeat or, rarely, two ids with one hash
    (the caller then looks exactly). Strings are hashed (id_hash.py): pandas' is_unique
    on Arrow strings was 0.6 s for a day's 1.6 million trade ids."""
    values = pa.array(column)
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return bool(pd.Index(string_hashes(values)).is_unique)
    return bool(column.is_unique)


def _check_orders_and_trades(feed: Feed) -> None:
    """Unique order ids, and every trade's orders among them, on 64-bit hashes of the ids
    (id_hash.py) in one pandas uint64 table; what the hashes short-list is confirmed on
    the strings. Ids whose hashes repeat are judged again exactly (_check_order_ids)."""
    orders, trades = feed.orders, feed.trades
    assert orders is not None and trades is not None
    order_ids = pa.array(orders["order_id"])
    known = pd.Index(string_hashes(order_ids))
    if not known.is_unique:
        _check_order_ids(feed)  # a duplicate id, or (rarely) two ids with one hash
        return
    for column in ("buy_order_id", "sell_order_id"):
        ids = pa.array(trades[column])
        at = known.get_indexer(string_hashes(ids))
        found = at >= 0
        same = pc.equal(ids, order_ids.take(pa.array(np.where(found, at, 0))))
        _refuse_unknown_orders(feed, column, ~found | ~np.asarray(pc.fill_null(same, False)))


def _check_order_ids(feed: Feed) -> None:
    """The exact check, for a window whose order id hashes repeat: order ids, buy ids and
    sell ids dictionary-encoded together in one hash pass of the strings, the rest is
    integer work. (pandas' isin on Arrow strings is ~25x slower at 5M orders.)"""
    orders, trades = feed.orders, feed.trades
    assert orders is not None and trades is not None
    columns = [orders["order_id"], trades["buy_order_id"], trades["sell_order_id"]]
    chunks = [c.cast(pa.large_string()) for col in columns for c in _chunks(pa.array(col))]
    encoded = pc.dictionary_encode(
        pa.concat_arrays(chunks) if chunks else pa.array([], pa.large_string())
    )
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False))
    n, m = len(orders), len(trades)
    counts = np.bincount(codes[:n], minlength=len(encoded.dictionary))
    if (counts > 1).any():
        _, first = np.unique(codes[:n], return_index=True)
        repeat = np.ones(n, dtype=bool)
        repeat[first] = False
        row = int(np.flatnonzero(repeat)[0])
        value = orders["order_id"].iloc[row]
        message = f"duplicate order_id {value!r}"
        raise FeedError(feed.files["orders"].name, message, row=row + 1, column="order_id")
    for offset, column in ((n, "buy_order_id"), (n + m, "sell_order_id")):
        _refuse_unknown_orders(feed, column, counts[codes[offset : offset + m]] == 0)


def _refuse_unknown_orders(feed: Feed, column: str, unknown: np.ndarray) -> None:
    """FeedError naming the first trade whose ``column`` order is ``unknown``, if any."""
    if unknown.any():
        assert feed.trades is not None
        row = int(np.flatnonzero(unknown)[0])
        message = f"order {feed.trades[column].iloc[row]!r} is not in orders"
        raise FeedError(feed.files["trades"].name, message, row=row + 1, column=column)


def _chunks(values: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return list(values.chunks) if isinstance(values, pa.ChunkedArray) else [values]
