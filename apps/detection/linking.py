"""Links between accounts and clusters of common actual control.

Evidence is weighed, not counted (apps.detection.link_strength): each pair of accounts
that shares something gets a *strength*, the share of what identifies the two accounts
that they have in common, with every identifier weighted by how few accounts use it. A
pair is linked when its strength reaches ``min_strength``; clusters are the connected
groups of linked pairs. A cluster of two accounts must also rest on two independent
signals (a device counts as two: it is one physical machine), so one ordinary transfer
between two people is not common control by itself.

Evidence rows (one per pair and kind) say why: ``device``, ``address``, ``ip`` (the shared
values), ``transfer`` (the movements), ``trades_with`` (repeated fills with each other) and
``counterparty`` (both dealt directly with the same third accounts).

Any identifier used by more than ``hub_accounts`` accounts (default √N, at least 20) — a
carrier NAT address, an exchange hot wallet — pairs nobody; it is listed in
``Linkage.hubs``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import sparse
from scipy.sparse import csgraph

from .link_strength import hub_limit, pair_strengths

IDENTIFIER_KINDS = ("device", "address", "ip")
DIRECT_KINDS = ("transfer", "trades_with")
DEFAULT_LINK_PARAMS: dict[str, Any] = {
    "hub_accounts": None,  # None: scaled to the population (link_strength.hub_limit)
    # The pair shares about a fifth of what identifies it. Chosen between the two data sets
    # it was measured on (docs/detection.md): higher keeps more clean accounts out on the
    # real hop-dev data, lower keeps the own simulator's weakly evidenced clusters.
    "min_strength": 0.22,
    "min_pair_signals": 2,  # a cluster of two needs two independent signals
    "min_trades_with": 5,  # same as the self-trade threshold: 5 fills a day is a pattern
    "max_values": 20,  # evidence values kept per link
}
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


@dataclass
class Linkage:
    """``links``: one row per account pair and kind of evidence (account_a < account_b),
    with ``linked`` telling whether the pair counts as common control. ``clusters``: key
    (the smallest account id) -> sorted members. ``account_cluster``: account -> key."""

    links: pd.DataFrame
    clusters: dict[str, list[str]]
    account_cluster: pd.Series
    hubs: pd.DataFrame = field(default_factory=pd.DataFrame)

    def cluster_of(self, accounts: pd.Series) -> pd.Series:
        """The cluster key of each account; an account in no cluster is its own key."""
        keys = accounts.astype("str").map(self.account_cluster)
        return keys.fillna(accounts.astype("str")).astype("str")

    def evidence(self, key: str) -> pd.DataFrame:
        """The links that hold the cluster ``key`` together."""
        return self._evidence.get(key, self.links.iloc[0:0])

    @cached_property
    def _evidence(self) -> dict[str, pd.DataFrame]:
        # Both ends of a link that counts are in one cluster, so account_a names it.
        linked = self.links[self.links["linked"]]
        keys = linked["account_a"].map(self.account_cluster)
        return {str(key): frame for key, frame in linked.groupby(keys, sort=False)}


def link_accounts(
    logins: pd.DataFrame | None,
    transfers: pd.DataFrame | None,
    trades: pd.DataFrame | None = None,
    params: dict[str, Any] | None = None,
    population: int | None = None,
    widths: pd.DataFrame | None = None,
) -> Linkage:
    """Link the window's accounts. ``population``: how many accounts the exchange has
    (the window's accounts table); it sets how rare an identifier is. ``widths`` (kind,
    value, accounts): how many accounts the desk has ever seen use an identifier; an
    identifier is as broad as the larger of that and this window.

    Inside, every account is an integer code (its rank in id order): ten million pairs of
    id strings would cost minutes to sort, group and join. Ids come back at the end."""
    settings = {**DEFAULT_LINK_PARAMS, **(params or {})}
    max_values = int(settings["max_values"])
    uses = _identifier_uses(logins, transfers)
    internal = _internal_transfers(transfers)
    frequent = _frequent_fills(trades, int(settings["min_trades_with"]))
    ids = _account_ids(uses["account_id"], internal, frequent)
    uses["a"] = ids.get_indexer(uses["account_id"])
    uses["width"] = _widths(uses, widths)
    population = max(population or 0, len(ids))
    hub_accounts = int(settings["hub_accounts"] or hub_limit(population))
    shared, hubs = _shared_identifiers(uses, hub_accounts)
    funds = _coded(internal, ids)
    # Only moved funds enter the profiles: everybody trades with the market makers, so a
    # shared trading counterparty says nothing; repeated fills stay evidence rows only.
    strengths = pair_strengths(uses, funds[["a", "b"]], len(ids), population, hub_accounts)
    found = [
        _pairs_sharing(shared, max_values),
        _evidence_rows(funds.assign(kind="transfer", value=funds["transfer_id"]), max_values),
        _trading_pairs(_coded(frequent, ids)),
    ]
    found.append(_counterparty_pairs(found[1], strengths, found, settings))
    links = _joined(found, strengths, len(ids))
    links["linked"], clusters = _control_links(links, settings, ids)
    return _named(links, ids, hubs, clusters)


def link_window(
    feed: Any,
    params: dict[str, Any] | None = None,
    trades: bool = True,
    widths: pd.DataFrame | None = None,
) -> Linkage:
    """Link a window's accounts, weighing identifiers against its accounts table and, with
    ``widths``, against how many accounts the desk has ever seen use them."""
    population = len(feed.accounts) if feed.accounts is not None else None
    return link_accounts(
        feed.logins, feed.transfers, feed.trades if trades else None, params, population, widths
    )


def window_identifiers(feed: Any) -> pd.DataFrame:
    """kind, value of every IP, device and external address the window names."""
    uses = _identifier_uses(feed.logins, feed.transfers)
    return uses[["kind", "value"]].drop_duplicates()


def linkage_of(links: pd.DataFrame, hubs: pd.DataFrame | None = None) -> Linkage:
    """The clusters that the window's links (with their ``linked`` verdicts) make."""
    clusters = _components(links[links["linked"]])
    account_cluster = pd.Series(
        {account: key for key, members in clusters.items() for account in members},
        dtype="str",
    )
    return Linkage(links, clusters, account_cluster, pd.DataFrame() if hubs is None else hubs)


def links_to_bytes(linkage: Linkage) -> bytes:
    """The links as one Parquet file, for the workers that share one window's linkage."""
    sink = io.BytesIO()
    linkage.links.to_parquet(sink, index=False)
    return sink.getvalue()


def linkage_from_bytes(data: bytes) -> Linkage:
    links = pd.read_parquet(io.BytesIO(data))
    if links.empty:
        links = pd.DataFrame(columns=[*LINK_COLUMNS, "linked"]).astype({"linked": bool})
    for column in ("account_a", "account_b", "kind"):
        links[column] = links[column].astype("str")
    links["values"] = links["values"].map(list)
    return linkage_of(links)


def _identifier_uses(logins: pd.DataFrame | None, transfers: pd.DataFrame | None) -> pd.DataFrame:
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


def _widths(uses: pd.DataFrame, remembered: pd.DataFrame | None) -> np.ndarray:
    """Accounts per identifier: in this window, or as the desk remembers it if more."""
    here = uses.groupby(["kind", "value"])["account_id"].transform("size").to_numpy()
    if remembered is None or remembered.empty:
        return here
    known = remembered.set_index(["kind", "value"])["accounts"]
    keys = pd.MultiIndex.from_arrays([uses["kind"].astype("str"), uses["value"].astype("str")])
    before = known.reindex(keys).fillna(0).to_numpy()
    return np.maximum(here, before).astype(np.int64)


def _shared_identifiers(uses: pd.DataFrame, hub_accounts: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    width = uses["width"]
    hubs = uses[width > hub_accounts].groupby(["kind", "value"])["width"].max().rename("accounts")
    here = uses.groupby(["kind", "value"])["account_id"].transform("size")
    return uses[(here > 1) & (width <= hub_accounts)], hubs.reset_index()


def _account_ids(uses: pd.Series, internal: pd.DataFrame, frequent: pd.DataFrame) -> pd.Index:
    """Every account the evidence names, in id order: position = the account's code."""
    parts = [uses.astype("str")]
    for frame in (internal, frequent):
        parts += [frame["account_a"], frame["account_b"]]
    return pd.Index(pd.unique(pd.concat(parts, ignore_index=True)), dtype=object).sort_values()


def _coded(frame: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    # Codes follow id order, so account_a < account_b stays a < b.
    return frame.assign(
        a=ids.get_indexer(frame["account_a"]), b=ids.get_indexer(frame["account_b"])
    )


def _pairs_sharing(shared: pd.DataFrame, max_values: int) -> pd.DataFrame:
    if shared.empty:
        return _no_rows()
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
    return _evidence_rows(rows, max_values)


def _nanoseconds(times: pd.Series) -> np.ndarray:
    return times.dt.tz_convert(None).to_numpy().astype("datetime64[ns]").view(np.int64)


def _evidence_rows(rows: pd.DataFrame, max_values: int) -> pd.DataFrame:
    """One evidence row per pair (``a`` < ``b``) and kind: its first ``max_values`` values in
    order, how many there are, first / last time and events. ``rows``: a, b, kind, value,
    first, last (nanoseconds or times), events, and optionally value_code (the values'
    order). Numpy throughout: a million pairs must not call Python once per pair."""
    if rows.empty:
        return _no_rows()
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


def _no_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=["a", "b", *LINK_COLUMNS[2:]]).astype({"a": "int64", "b": "int64"})


def _ordered(frame: pd.DataFrame, left: str, right: str) -> pd.DataFrame:
    a, b = frame[left].astype("str"), frame[right].astype("str")
    return frame.assign(account_a=np.minimum(a, b), account_b=np.maximum(a, b))


def _internal_transfers(transfers: pd.DataFrame | None) -> pd.DataFrame:
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


def _frequent_fills(trades: pd.DataFrame | None, min_trades: int) -> pd.DataFrame:
    """Fills between two accounts that traded with each other at least ``min_trades``
    times: account_a < account_b, symbol, ts.

    Counted on integer codes first: only the few frequent pairs are turned back into
    strings (1M trades have hundreds of thousands of one-off pairs)."""
    columns = ["account_a", "account_b", "symbol", "ts"]
    if trades is None or trades.empty:
        return pd.DataFrame(columns=columns)
    n = len(trades)
    # sort=True: a smaller code is a smaller id, so account_a < account_b as everywhere.
    codes, names = pd.factorize(
        pd.concat([trades["buyer_id"], trades["seller_id"]], ignore_index=True).astype("str"),
        sort=True,
    )
    buyer, seller = codes[:n].astype(np.int64), codes[n:].astype(np.int64)
    low, high = np.minimum(buyer, seller), np.maximum(buyer, seller)
    # A hash pass, not a sort: np.unique(return_inverse) sorts 1M keys.
    pair, _ = pd.factorize(low * max(1, len(names)) + high)
    counts = np.bincount(pair)
    rows = np.flatnonzero((counts[pair] >= min_trades) & (buyer != seller))
    names = np.asarray(names, dtype=object)
    return pd.DataFrame(
        {
            "account_a": names[low[rows]],
            "account_b": names[high[rows]],
            # Only the frequent rows become strings: not a million symbols.
            "symbol": trades["symbol"].iloc[rows].astype("str").to_numpy(),
            "ts": trades["ts"].iloc[rows].to_numpy(),
        }
    )


def _trading_pairs(frequent: pd.DataFrame) -> pd.DataFrame:
    """One trades_with row per pair: the symbols, and every fill counted as an event."""
    if frequent.empty:
        return _no_rows()
    grouped = frequent.groupby(["a", "b"])
    links = grouped.agg(
        values=("symbol", lambda v: sorted(set(v))),
        value_count=("symbol", "nunique"),
        first_seen=("ts", "min"),
        last_seen=("ts", "max"),
        events=("ts", "size"),
    ).reset_index()
    links["first_seen"] = pd.to_datetime(links["first_seen"], utc=True)
    links["last_seen"] = pd.to_datetime(links["last_seen"], utc=True)
    return links.assign(kind="trades_with")


def _counterparty_pairs(
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
        return _no_rows()
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
        return _no_rows()
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
    return _evidence_rows(rows, int(settings["max_values"]))


def _joined(found: list[pd.DataFrame], strengths: pd.DataFrame, accounts: int) -> pd.DataFrame:
    """Every evidence row with its pair's strength, in (a, b, kind) order."""
    parts = [part for part in found if not part.empty]
    if not parts:
        return _no_rows().assign(strength=pd.Series(dtype=float))
    links = pd.concat(parts, ignore_index=True)
    keys = pd.Index(
        strengths["a"].to_numpy(np.int64) * accounts + strengths["b"].to_numpy(np.int64)
    )
    at = keys.get_indexer(links["a"].to_numpy(np.int64) * accounts + links["b"].to_numpy(np.int64))
    strength = np.r_[strengths["strength"].to_numpy(float), 0.0]  # at -1: no strength
    links["strength"] = strength[at]
    kind, _ = pd.factorize(links["kind"], sort=True)
    order = np.lexsort((kind, links["b"].to_numpy(), links["a"].to_numpy()))
    return links.iloc[order].reset_index(drop=True)


def _named(
    links: pd.DataFrame, ids: pd.Index, hubs: pd.DataFrame, clusters: dict[str, list[str]]
) -> Linkage:
    names = np.asarray(ids, dtype=object)
    links.insert(0, "account_a", names[links["a"].to_numpy(np.int64)])
    links.insert(1, "account_b", names[links["b"].to_numpy(np.int64)])
    counterparty = links["kind"] == "counterparty"
    if counterparty.any():
        links.loc[counterparty, "values"] = links.loc[counterparty, "values"].map(
            lambda codes: [names[int(code)] for code in codes]
        )
    links = links.drop(columns=["a", "b"])
    account_cluster = pd.Series(
        {account: key for key, members in clusters.items() for account in members}, dtype="str"
    )
    return Linkage(links, clusters, account_cluster, hubs)


def pair_signals(links: pd.DataFrame) -> pd.Series:
    """Independent signals per row: each shared value (a device counts two: one physical
    machine is not shared by chance the way an IP or one transfer is), one per direct
    relation or shared counterparty."""
    per_value = np.where(links["kind"] == "device", 2, 1)
    counted = np.where(links["kind"].isin(IDENTIFIER_KINDS), links["value_count"] * per_value, 1)
    return pd.Series(counted, index=links.index, dtype="int64")


def _control_links(
    links: pd.DataFrame, settings: dict[str, Any], ids: pd.Index
) -> tuple[pd.Series, dict[str, list[str]]]:
    """Per row: does its pair count as common control? Strong enough, and, in a cluster of
    only two accounts, resting on at least ``min_pair_signals`` signals. Also the clusters
    the verdicts make."""
    if links.empty:
        return pd.Series([], dtype=bool), {}
    a, b = links["a"].to_numpy(np.int64), links["b"].to_numpy(np.int64)
    linked = links["strength"].to_numpy(float) >= float(settings["min_strength"])
    label = _labels(a[linked], b[linked], len(ids))
    size = np.bincount(label, minlength=len(ids))
    # Both ends of a linked row are in one cluster, so a's cluster size is the pair's.
    in_pair = linked & (size[label[a]] == 2)
    if in_pair.any():
        pair, _ = pd.factorize(a * len(ids) + b)
        signals = np.bincount(pair, weights=pair_signals(links).to_numpy(float))[pair]
        linked &= ~(in_pair & (signals < int(settings["min_pair_signals"])))
    label = _labels(a[linked], b[linked], len(ids))
    touched = np.zeros(len(ids), dtype=bool)
    touched[a[linked]] = touched[b[linked]] = True
    names = np.asarray(ids, dtype=object)
    members = pd.Series(names[touched]).groupby(label[touched]).agg(list)
    # Codes follow id order, so each cluster's first member is its smallest id: its key.
    clusters = {group[0]: list(group) for group in members}
    return pd.Series(linked, index=links.index), clusters


def _labels(a: np.ndarray, b: np.ndarray, accounts: int) -> np.ndarray:
    """Each account's connected component over the pairs (a, b)."""
    graph = sparse.coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(accounts, accounts))
    return csgraph.connected_components(graph, directed=False)[1]


def _components(links: pd.DataFrame) -> dict[str, list[str]]:
    """Connected components of the pairs; each keyed by its smallest account id."""
    if links.empty:
        return {}
    codes, accounts = pd.factorize(
        pd.concat([links["account_a"], links["account_b"]]).astype("str"), sort=True
    )
    half = len(links)
    graph = sparse.coo_matrix(
        (np.ones(half, dtype=np.int8), (codes[:half], codes[half:])),
        shape=(len(accounts), len(accounts)),
    )
    _, label = csgraph.connected_components(graph, directed=False)
    # With sort=True the smallest code is the smallest account id: a stable cluster key.
    members = pd.Series(np.asarray(accounts)).groupby(label).agg(sorted)
    return {group[0]: list(group) for group in members}


# The public name the desk's account store uses to rebuild clusters from stored links.
components = _components
