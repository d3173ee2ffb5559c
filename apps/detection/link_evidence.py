"""The evidence rows of linking: one row per pair of accounts and kind of evidence, with
the shared values, how many, when, and how often. Built on integer account codes (see
linking.link_accounts) and in numpy throughout: a million pairs must not call Python once
per pair."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

LINK_COLUMNS = [
    "account_a",
    "account_b",
    "kind",
    "values",
    "value_count",
    "first_seen",
    "last_seen",
    "events",
]


def identifier_uses(logins: pd.DataFrame | None, transfers: pd.DataFrame | None) -> pd.DataFrame:
    parts = []
    if logins is not None:
        for kind, column in (("ip", "ip"), ("device", "device_id")):
            part = logins[["account_id", "ts", column]].rename(columns={column: "value"})
            parts.append(part.assign(kind=kind))
    if transfers is not None:
        external = transfers[transfers["address"].notna()]
        part = external[["account_id", "ts", "address"]].rename(columns={"address": "value"})
        parts.append(part.assign(kind="address"))
    if not parts:
        return pd.DataFrame(columns=["kind", "value", "account_id", "first", "last", "events"])
    uses = pd.concat(parts, ignore_index=True)
    uses["account_id"] = uses["account_id"].astype("str")
    uses["value"] = uses["value"].astype("str")
    grouped = uses.groupby(["kind", "value", "account_id"], observed=True)["ts"]
    return grouped.agg(first="min", last="max", events="size").reset_index()


# What the desk remembers enters the links: a phone two accounts shared last week, or the
# wallet that funded both, ties them as it would in the window. IPs are left out: over
# days an account passes through many networks (travel, carrier NAT, VPN exits), and
# two of them in common says less the longer the memory.
REMEMBERED_KINDS = ("device", "address")


def with_remembered(uses: pd.DataFrame, remembered: pd.DataFrame | None) -> pd.DataFrame:
    """``uses`` plus the remembered (account, kind, value) rows the window does not hold."""
    if remembered is None or remembered.empty or "first_seen" not in remembered:
        return uses
    old = remembered[remembered["kind"].isin(REMEMBERED_KINDS)]
    old = pd.DataFrame(
        {
            "kind": old["kind"].astype("str"),
            "value": old["value"].astype("str"),
            "account_id": old["account_id"].astype("str"),
            "first": pd.to_datetime(old["first_seen"], utc=True, format="ISO8601"),
            "last": pd.to_datetime(old["last_seen"], utc=True, format="ISO8601"),
            "events": 1,
        }
    ).reset_index(drop=True)
    unit = uses["first"].dt.unit if len(uses) else "ms"
    old["first"], old["last"] = old["first"].dt.as_unit(unit), old["last"].dt.as_unit(unit)
    if old.empty:
        return uses
    both = pd.concat([uses.astype({"kind": "str", "value": "str"}), old], ignore_index=True)
    grouped = both.groupby(["kind", "value", "account_id"], observed=True)
    found = grouped.agg(first=("first", "min"), last=("last", "max"), events=("events", "sum"))
    return found.reset_index()


def remembered_widths(uses: pd.DataFrame, remembered: pd.DataFrame | None) -> np.ndarray:
    """Accounts per identifier: in this window, or as the desk remembers it if more."""
    here = uses.groupby(["kind", "value"])["account_id"].transform("size").to_numpy()
    if remembered is None or remembered.empty:
        return here
    known = remembered.set_index(["kind", "value"])["accounts"]
    keys = pd.MultiIndex.from_arrays([uses["kind"].astype("str"), uses["value"].astype("str")])
    before = known.reindex(keys).fillna(0).to_numpy()
    return np.maximum(here, before).astype(np.int64)


def service_wallets(transfers: pd.DataFrame | None) -> set[str]:
    """Addresses that mostly pay in: deposit sources of the window to which fewer than
    ``SERVICE_SHARE`` of the accounts they fund withdraw. An exchange's hot wallet (a
    customer withdrawing from another venue) pays many unrelated accounts and gets little
    back; a controller's wallet that funds its accounts usually takes the money back."""
    if transfers is None or transfers.empty:
        return set()
    external = transfers[transfers["address"].notna()]
    kind = external["kind"].astype("str").to_numpy()
    who = external["account_id"].astype("str")
    where = external["address"].astype("str")
    paid_in = who[kind == "deposit"].groupby(where[kind == "deposit"]).nunique()
    paid_out = who[kind == "withdrawal"].groupby(where[kind == "withdrawal"]).nunique()
    back = paid_out.reindex(paid_in.index).fillna(0)
    return set(paid_in.index[back < SERVICE_SHARE * paid_in])


# A wallet that few of the accounts it funds pay back to, and that serves more than this
# share of the hub limit, is taken for a service (an exchange's hot wallet seen over a
# short memory), not a controller's own wallet.
SERVICE_SHARE = 0.25


def as_hubs(uses: pd.DataFrame, hub_accounts: int, services: set[str]) -> np.ndarray:
    """The widths, with every service wallet wider than ``SERVICE_SHARE`` of the hub limit
    counted as a hub: it pairs nobody and weighs nothing in the strengths."""
    width = uses["width"].to_numpy()
    if not services:
        return width
    service = (uses["kind"] == "address").to_numpy().copy()
    # Arrow's set lookup on the addresses only: pandas' isin on Arrow strings goes through
    # a Python list of every value (0.6 s on the bench day's 550,000 uses).
    found = pc.is_in(
        pa.array(uses["value"].to_numpy()[service]), value_set=pa.array(list(services))
    )
    service[service] = np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
    wide = service & (width > SERVICE_SHARE * hub_accounts)
    return np.where(wide, np.maximum(width, hub_accounts + 1), width)


def shared_identifiers(uses: pd.DataFrame, hub_accounts: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    width = uses["width"]
    hubs = uses[width > hub_accounts].groupby(["kind", "value"])["width"].max().rename("accounts")
    here = uses.groupby(["kind", "value"])["account_id"].transform("size")
    return uses[(here > 1) & (width <= hub_accounts)], hubs.reset_index()


def pairs_sharing(shared: pd.DataFrame, max_values: int) -> pd.DataFrame:
    if shared.empty:
        return no_rows()
    # sort=True: item codes follow the values' order, so each row's values come sorted.
    item, _ = pd.factorize(
        shared["kind"].astype("str") + "\x1f" + shared["value"].astype("str"), sort=True
    )
    slim = pd.DataFrame({"item": item, "a": shared["a"].to_numpy(), "row": np.arange(len(shared))})
    pairs = slim.merge(slim, on="item", suffixes=("", "_b"))
    pairs = pairs[pairs["a"].to_numpy() < pairs["a_b"].to_numpy()]
    a, b = pairs["row"].to_numpy(), pairs["row_b"].to_numpy()
    first, last = _nanoseconds(shared["first"]), _nanoseconds(shared["last"])
    events = shared["events"].to_numpy(np.int64)
    rows = pd.DataFrame(
        {
            "a": pairs["a"].to_numpy(),
            "b": pairs["a_b"].to_numpy(),
            "kind": shared["kind"].to_numpy()[a],
            "value": shared["value"].to_numpy()[a],
            "value_code": item[a],
            "first": np.minimum(first[a], first[b]),
            "last": np.maximum(last[a], last[b]),
            "events": events[a] + events[b],
        }
    )
    return evidence_rows(rows, max_values)


def _nanoseconds(times: pd.Series) -> np.ndarray:
    return times.dt.tz_convert(None).to_numpy().astype("datetime64[ns]").view(np.int64)


def evidence_rows(rows: pd.DataFrame, max_values: int) -> pd.DataFrame:
    """One evidence row per pair (``a`` < ``b``) and kind: its first ``max_values`` values in
    order, how many there are, first / last time and events. ``rows``: a, b, kind, value,
    first, last (nanoseconds or times), events, and optionally value_code (the values'
    order). Numpy throughout: a million pairs must not call Python once per pair."""
    if rows.empty:
        return no_rows()
    kind, kinds = pd.factorize(rows["kind"], sort=True)
    if "value_code" in rows:
        order_of_value = rows["value_code"].to_numpy()
    else:
        order_of_value, _ = pd.factorize(rows["value"].astype("str"), sort=True)
    a, b = rows["a"].to_numpy(np.int64), rows["b"].to_numpy(np.int64)
    order = np.lexsort((order_of_value, kind, b, a))
    a, b, kind = a[order], b[order], kind[order]
    first, last = (_as_nanoseconds(rows[c])[order] for c in ("first", "last"))
    events = rows["events"].to_numpy(np.int64)[order]
    starts = np.flatnonzero(
        np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1]) | (kind[1:] != kind[:-1])]
    )
    counts = np.diff(np.r_[starts, len(a)])
    rank = np.arange(len(a)) - np.repeat(starts, counts)
    kept = rows["value"].astype("str").to_numpy(dtype=object)[order][rank < max_values]
    offsets = np.r_[0, np.cumsum(np.minimum(counts, max_values))].astype(np.int64)
    # Kept in Arrow: ten million Python lists would cost gigabytes. An element still reads
    # as a plain list.
    lists = pa.ListArray.from_arrays(pa.array(offsets), pa.array(kept, type=pa.string()))
    return pd.DataFrame(
        {
            "a": a[starts],
            "b": b[starts],
            "kind": np.asarray(kinds, dtype=object)[kind[starts]],
            "values": pd.arrays.ArrowExtensionArray(lists),
            "value_count": counts,
            "first_seen": pd.to_datetime(np.minimum.reduceat(first, starts), utc=True),
            "last_seen": pd.to_datetime(np.maximum.reduceat(last, starts), utc=True),
            "events": np.add.reduceat(events, starts),
        }
    )


def _as_nanoseconds(column: pd.Series) -> np.ndarray:
    if pd.api.types.is_integer_dtype(column.dtype):
        return column.to_numpy(np.int64)
    return _nanoseconds(pd.to_datetime(column, utc=True))


def no_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=["a", "b", *LINK_COLUMNS[2:]]).astype({"a": "int64", "b": "int64"})


def _ordered(frame: pd.DataFrame, left: str, right: str) -> pd.DataFrame:
    a, b = frame[left].astype("str"), frame[right].astype("str")
    return frame.assign(account_a=np.minimum(a, b), account_b=np.maximum(a, b))


def internal_transfers(transfers: pd.DataFrame | None) -> pd.DataFrame:
    """Internal movements between two accounts, each once: account_a < account_b,
    transfer_id, ts and the time columns evidence rows read."""
    columns = ["account_a", "account_b", "transfer_id", "first", "last", "events"]
    if transfers is None:
        return pd.DataFrame(columns=columns)
    internal = transfers[transfers["counterparty_account_id"].notna()]
    internal = _ordered(internal, "account_id", "counterparty_account_id")
    internal = internal[internal["account_a"] != internal["account_b"]]
    # Both legs of one movement are listed (internal_out and internal_in); count it once.
    outgoing = internal[internal["kind"] == "internal_out"]
    internal = outgoing if not outgoing.empty else internal
    return internal.assign(first=internal["ts"], last=internal["ts"], events=1)[columns]


# Per fill, the buyer's and the seller's code (rank in id order), and the ids by code.
Traders = tuple[np.ndarray, np.ndarray, np.ndarray]


def trading_accounts(trades: pd.DataFrame) -> Traders:
    """The accounts of the fills coded once for all of linking: one Arrow hash pass over
    the buyer and seller ids together (chunks side by side, not copied into one column),
    then the few distinct ids put in order."""
    chunks = [
        chunk.cast(pa.large_string())
        for column in ("buyer_id", "seller_id")
        for chunk in _arrow_chunks(trades[column])
    ]
    encoded = pc.dictionary_encode(pa.chunked_array(chunks, type=pa.large_string()))
    dictionary = (
        encoded.chunks[0].dictionary if encoded.num_chunks else pa.array([], pa.large_string())
    )
    order = pc.sort_indices(dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    codes = np.concatenate(
        [np.zeros(0, dtype=np.int64)]
        + [rank[chunk.indices.to_numpy(zero_copy_only=False)] for chunk in encoded.chunks]
    )
    names = np.asarray(dictionary.to_pylist(), dtype=object)[order]
    return codes[: len(trades)], codes[len(trades) :], names


def _arrow_chunks(column: pd.Series) -> list[pa.Array]:
    values = pa.array(column.astype("str").array)
    return list(values.chunks) if isinstance(values, pa.ChunkedArray) else [values]


def frequent_fills(
    trades: pd.DataFrame | None, min_trades: int, traders: Traders | None = None
) -> pd.DataFrame:
    """Fills between two accounts that traded with each other at least ``min_trades``
    times: account_a < account_b, symbol, ts.

    Counted on integer codes first: only the few frequent pairs are turned back into
    strings (1M trades have hundreds of thousands of one-off pairs). ``traders``: the
    fills' accounts as ``trading_accounts`` codes them, when the caller has them."""
    columns = ["account_a", "account_b", "symbol", "ts"]
    if trades is None or trades.empty:
        return pd.DataFrame(columns=columns)
    # A smaller code is a smaller id, so account_a < account_b as everywhere.
    buyer, seller, names = traders if traders is not None else trading_accounts(trades)
    low, high = np.minimum(buyer, seller), np.maximum(buyer, seller)
    rows = np.flatnonzero(repeated(low * max(1, len(names)) + high, min_trades) & (buyer != seller))
    names = np.asarray(names, dtype=object)
    return pd.DataFrame(
        {
            "account_a": names[low[rows]],
            "account_b": names[high[rows]],
            # Only the frequent rows become strings: not a million symbols.
            "symbol": trades["symbol"].iloc[rows].astype("str").to_numpy(),
            # The datetimes as they are: to_numpy() would make a Timestamp object per row.
            "ts": trades["ts"].iloc[rows].array,
        }
    )


def repeated(keys: np.ndarray, least: int) -> np.ndarray:
    """Per row: does its key (a non-negative integer) occur at least ``least`` times?

    Counted in two passes: first per bucket of a multiplicative hash, whose count bounds
    the count of every key in it, then exactly (one hash pass) over the rows of the busy
    buckets alone. Most pairs of accounts meet once or twice, so the exact pass sees a
    small share of the rows: pd.factorize of millions of mostly distinct keys costs ~0.3 s
    per million."""
    keys = np.asarray(keys, dtype=np.int64)
    if least <= 1:
        return np.ones(len(keys), dtype=bool)
    bits = max(10, len(keys).bit_length() - 1)  # about two rows a bucket
    # In place, on one copy: fresh memory is what costs most at millions of rows.
    bucket = keys.astype(np.uint64)
    bucket *= np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing
    bucket >>= np.uint64(64 - bits)
    hot = np.bincount(bucket.view(np.int64), minlength=1 << bits) >= least
    busy = hot[bucket.view(np.int64)]
    del bucket
    rows = np.flatnonzero(busy)
    code, _ = pd.factorize(keys[rows])
    busy[rows] = np.bincount(code)[code] >= least
    return busy


def trading_pairs(frequent: pd.DataFrame) -> pd.DataFrame:
    """One trades_with row per pair: the symbols, and every fill counted as an event.
    In numpy over the fills sorted by pair and symbol: a Python call per pair (the sorted
    symbols, pandas' min of times per group) cost 0.4 s on the bench day's 6,000 pairs."""
    if frequent.empty:
        return no_rows()
    a, b = frequent["a"].to_numpy(np.int64), frequent["b"].to_numpy(np.int64)
    # sort=True: symbol codes follow the names' order, so each pair's symbols come sorted.
    symbol, names = pd.factorize(frequent["symbol"].astype("str"), sort=True)
    times = pd.DatetimeIndex(frequent["ts"])
    order = np.lexsort((symbol, b, a))
    a, b, symbol = a[order], b[order], symbol[order]
    ticks = times.asi8[order]
    new_pair = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])]
    starts = np.flatnonzero(new_pair)
    distinct = np.flatnonzero(new_pair | np.r_[True, symbol[1:] != symbol[:-1]])
    per_pair = np.diff(np.r_[np.searchsorted(distinct, starts), len(distinct)])
    symbols = np.asarray(names, dtype=object)[symbol[distinct]].tolist()
    ends = np.cumsum(per_pair).tolist()
    unit = f"datetime64[{times.unit}]"

    def utc(values: np.ndarray) -> pd.DatetimeIndex:
        # As pd.to_datetime(utc=True) marks every other evidence row: one tz to concat.
        return pd.to_datetime(values.astype(unit), utc=True)

    return pd.DataFrame(
        {
            "a": a[starts],
            "b": b[starts],
            "values": [symbols[i:j] for i, j in zip([0, *ends[:-1]], ends, strict=True)],
            "value_count": per_pair.astype(np.int64),
            "first_seen": utc(np.minimum.reduceat(ticks, starts)),
            "last_seen": utc(np.maximum.reduceat(ticks, starts)),
            "events": np.diff(np.r_[starts, len(a)]).astype(np.int64),
            "kind": "trades_with",
        }
    )


def counterparty_pairs(
    transfers: pd.DataFrame,
    strengths: pd.DataFrame,
    found: list[pd.DataFrame],
    settings: dict[str, Any],
) -> pd.DataFrame:
    """Evidence rows for strong pairs that share no identifier and never dealt with each
    other, only with the same third accounts (a funder behind both, one sweep account).
    ``transfers``: the transfer evidence rows."""
    strong = strengths[strengths["strength"] >= float(settings["min_strength"])][["a", "b"]]
    if strong.empty or transfers.empty:
        return no_rows()
    known = pd.concat([f[["a", "b"]] for f in found if not f.empty], ignore_index=True)
    span = int(max(strong["b"].max(), known["b"].max())) + 1
    strong = strong[
        ~np.isin(strong["a"] * span + strong["b"], known["a"].to_numpy() * span + known["b"])
    ]
    relations = transfers[["a", "b", "first_seen", "last_seen", "events"]]
    either_way = pd.concat(
        [
            relations.rename(columns={"a": "side", "b": "via"}),
            relations.rename(columns={"b": "side", "a": "via"}),
        ],
        ignore_index=True,
    )
    pairs = strong.merge(either_way, left_on="a", right_on="side")
    pairs = pairs.merge(
        either_way, left_on=["b", "via"], right_on=["side", "via"], suffixes=("", "_b")
    )
    if pairs.empty:
        return no_rows()
    rows = pd.DataFrame(
        {
            "a": pairs["a"],
            "b": pairs["b"],
            "kind": "counterparty",
            "value": pairs["via"],  # a code: named at the end (_named)
            "value_code": pairs["via"],
            "first": np.minimum(pairs["first_seen"], pairs["first_seen_b"]),
            "last": np.maximum(pairs["last_seen"], pairs["last_seen_b"]),
            "events": pairs["events"] + pairs["events_b"],
        }
    )
    return evidence_rows(rows, int(settings["max_values"]))
