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
) -> Linkage:
    """Link the window's accounts. ``population``: how many accounts the exchange has
    (the window's accounts table); it sets how rare an identifier is."""
    settings = {**DEFAULT_LINK_PARAMS, **(params or {})}
    uses = _identifier_uses(logins, transfers)
    parts = []
    if transfers is not None:
        parts.append(_transfer_pairs(transfers, int(settings["max_values"])))
    if trades is not None:
        parts.append(_trading_pairs(trades, int(settings["min_trades_with"])))
    direct = [part for part in parts if not part.empty]
    seen = set(uses["account_id"]).union(
        *(set(p["account_a"]) | set(p["account_b"]) for p in direct)
    )
    population = max(population or 0, len(seen))
    hub_accounts = int(settings["hub_accounts"] or hub_limit(population))
    shared, hubs = _shared_identifiers(uses, hub_accounts)
    # Only moved funds enter the profiles: everybody trades with the market makers, so a
    # shared trading counterparty says nothing; repeated fills stay evidence rows only.
    funds = [p for p in direct if p["kind"].iat[0] == "transfer"]
    direct_pairs = (
        funds[0][["account_a", "account_b"]]
        if funds
        else pd.DataFrame(columns=["account_a", "account_b"])
    )
    strengths = pair_strengths(uses, direct_pairs, population, hub_accounts)
    found = [_pairs_sharing(shared, int(settings["max_values"])), *direct]
    found.append(_counterparty_pairs(funds, strengths, found, settings))
    found = [part for part in found if not part.empty]
    links = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=LINK_COLUMNS)
    links = links.merge(strengths, on=["account_a", "account_b"], how="left")
    links["strength"] = links["strength"].fillna(0.0).astype(float)
    links = links.sort_values(["account_a", "account_b", "kind"], ignore_index=True)
    links["linked"] = _control_links(links, settings)
    return linkage_of(links, hubs)


def link_window(feed: Any, params: dict[str, Any] | None = None, trades: bool = True) -> Linkage:
    """Link a window's accounts, weighing identifiers against its accounts table."""
    population = len(feed.accounts) if feed.accounts is not None else None
    return link_accounts(
        feed.logins, feed.transfers, feed.trades if trades else None, params, population
    )


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


def _shared_identifiers(uses: pd.DataFrame, hub_accounts: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    width = uses.groupby(["kind", "value"])["account_id"].transform("size")
    hubs = uses[width > hub_accounts].groupby(["kind", "value"]).size().rename("accounts")
    return uses[(width > 1) & (width <= hub_accounts)], hubs.reset_index()


def _pairs_sharing(shared: pd.DataFrame, max_values: int) -> pd.DataFrame:
    if shared.empty:
        return pd.DataFrame(columns=LINK_COLUMNS)
    # Join on integer codes: ten million pairs of strings would cost minutes.
    item, _ = pd.factorize(shared["kind"].astype("str") + "\x1f" + shared["value"].astype("str"))
    account, names = pd.factorize(shared["account_id"].astype("str"), sort=True)
    slim = pd.DataFrame({"item": item, "account": account, "row": np.arange(len(shared))})
    pairs = slim.merge(slim, on="item", suffixes=("_a", "_b"))
    pairs = pairs[pairs["account_a"].to_numpy() < pairs["account_b"].to_numpy()]
    a, b = pairs["row_a"].to_numpy(), pairs["row_b"].to_numpy()
    names = np.asarray(names, dtype=object)
    # Naive UTC datetime64 arrays: indexing them makes no Timestamp objects.
    first = shared["first"].dt.tz_convert(None).to_numpy()
    last = shared["last"].dt.tz_convert(None).to_numpy()
    rows = pd.DataFrame(
        {
            # sort=True codes: a smaller code is a smaller account id.
            "account_a": names[pairs["account_a"].to_numpy()],
            "account_b": names[pairs["account_b"].to_numpy()],
            "kind": shared["kind"].to_numpy()[a],
            "value": shared["value"].to_numpy()[a],
            "first": pd.to_datetime(np.minimum(first[a], first[b]), utc=True),
            "last": pd.to_datetime(np.maximum(last[a], last[b]), utc=True),
            "events": shared["events"].to_numpy()[a] + shared["events"].to_numpy()[b],
        }
    )
    return _evidence_rows(rows, ["account_a", "account_b", "kind"], "value", max_values)


def _evidence_rows(
    rows: pd.DataFrame, keys: list[str], value: str, max_values: int
) -> pd.DataFrame:
    """One evidence row per ``keys``: its first ``max_values`` distinct values (sorted), how
    many there are, first / last time and events (from the ``first``, ``last``, ``events``
    columns). Vectorised: a million pairs must not call Python once per pair."""
    rows = rows.drop_duplicates([*keys, value]).sort_values([*keys, value], kind="stable")
    group = rows.groupby(keys, observed=True, sort=False)
    links = group.agg(
        first_seen=("first", "min"),
        last_seen=("last", "max"),
        events=("events", "sum"),
        value_count=(value, "size"),
    ).reset_index()
    kept = rows[group.cumcount().to_numpy() < max_values]
    group_of = kept.groupby(keys, observed=True, sort=False).ngroup().to_numpy()
    # Groups come out in the sorted order of their first rows, as in ``links``; Arrow
    # builds the lists in C.
    offsets = np.r_[0, np.flatnonzero(np.diff(group_of)) + 1, len(group_of)].astype(np.int64)
    flat = pa.array(kept[value].astype("str").to_numpy(dtype=object), type=pa.string())
    # Kept in Arrow: ten million Python lists would cost gigabytes. An element still reads
    # as a plain list.
    lists = pa.ListArray.from_arrays(pa.array(offsets), flat)
    links["values"] = pd.Series(pd.arrays.ArrowExtensionArray(lists), index=links.index)
    return links[LINK_COLUMNS]


def _ordered(frame: pd.DataFrame, left: str, right: str) -> pd.DataFrame:
    a, b = frame[left].astype("str"), frame[right].astype("str")
    return frame.assign(account_a=np.minimum(a, b), account_b=np.maximum(a, b))


def _transfer_pairs(transfers: pd.DataFrame, max_values: int) -> pd.DataFrame:
    internal = transfers[transfers["counterparty_account_id"].notna()]
    internal = _ordered(internal, "account_id", "counterparty_account_id")
    internal = internal[internal["account_a"] != internal["account_b"]]
    if internal.empty:
        return pd.DataFrame(columns=LINK_COLUMNS)
    # Both legs of one movement are listed (internal_out and internal_in); count it once.
    outgoing = internal[internal["kind"] == "internal_out"]
    internal = outgoing if not outgoing.empty else internal
    internal = internal.assign(kind="transfer", first=internal["ts"], last=internal["ts"], events=1)
    return _evidence_rows(internal, ["account_a", "account_b", "kind"], "transfer_id", max_values)


def _trading_pairs(trades: pd.DataFrame, min_trades: int) -> pd.DataFrame:
    """Pairs of accounts that traded with each other at least ``min_trades`` times.

    Counted on integer codes first: only the few frequent pairs are turned back into
    strings (1M trades have hundreds of thousands of one-off pairs)."""
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
    if len(rows) == 0:
        return pd.DataFrame(columns=LINK_COLUMNS)
    names = np.asarray(names, dtype=object)
    frequent = pd.DataFrame(
        {
            "account_a": names[low[rows]],
            "account_b": names[high[rows]],
            # Only the frequent rows become strings: not a million symbols.
            "symbol": trades["symbol"].iloc[rows].astype("str").to_numpy(),
            "ts": trades["ts"].iloc[rows].to_numpy(),
        }
    )
    grouped = frequent.groupby(["account_a", "account_b"])
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
    direct: list[pd.DataFrame],
    strengths: pd.DataFrame,
    found: list[pd.DataFrame],
    settings: dict[str, Any],
) -> pd.DataFrame:
    """Evidence rows for strong pairs that share no identifier and never dealt with each
    other, only with the same third accounts (a funder behind both, one sweep account)."""
    strong = strengths[strengths["strength"] >= float(settings["min_strength"])]
    have = [f[["account_a", "account_b"]] for f in found if not f.empty]
    if strong.empty or not direct:
        return pd.DataFrame(columns=LINK_COLUMNS)
    if have:
        known = pd.concat(have, ignore_index=True).drop_duplicates()
        marked = strong.merge(known, how="left", indicator=True)
        strong = marked[marked["_merge"] == "left_only"]
    if strong.empty:
        return pd.DataFrame(columns=LINK_COLUMNS)
    relations = pd.concat(direct, ignore_index=True)[
        ["account_a", "account_b", "first_seen", "last_seen", "events"]
    ]
    either_way = pd.concat(
        [
            relations.rename(columns={"account_a": "side", "account_b": "via"}),
            relations.rename(columns={"account_b": "side", "account_a": "via"}),
        ],
        ignore_index=True,
    )
    pairs = strong[["account_a", "account_b"]].merge(
        either_way, left_on="account_a", right_on="side"
    )
    pairs = pairs.merge(
        either_way, left_on=["account_b", "via"], right_on=["side", "via"], suffixes=("", "_b")
    )
    if pairs.empty:
        return pd.DataFrame(columns=LINK_COLUMNS)
    pairs = pairs.assign(
        kind="counterparty",
        first=np.minimum(pairs["first_seen"], pairs["first_seen_b"]),
        last=np.maximum(pairs["last_seen"], pairs["last_seen_b"]),
        events=pairs["events"] + pairs["events_b"],
    )
    keys = ["account_a", "account_b", "kind"]
    return _evidence_rows(
        pairs[[*keys, "via", "first", "last", "events"]], keys, "via", int(settings["max_values"])
    )


def pair_signals(links: pd.DataFrame) -> pd.Series:
    """Independent signals per row: each shared value (a device counts two: one physical
    machine is not shared by chance the way an IP or one transfer is), one per direct
    relation or shared counterparty."""
    per_value = np.where(links["kind"] == "device", 2, 1)
    counted = np.where(links["kind"].isin(IDENTIFIER_KINDS), links["value_count"] * per_value, 1)
    return pd.Series(counted, index=links.index, dtype="int64")


def _control_links(links: pd.DataFrame, settings: dict[str, Any]) -> pd.Series:
    """Per row: does its pair count as common control? Strong enough, and, in a cluster of
    only two accounts, resting on at least ``min_pair_signals`` signals."""
    if links.empty:
        return pd.Series([], dtype=bool)
    linked = links["strength"] >= float(settings["min_strength"])
    clusters = _components(links[linked])
    size = {account: len(members) for members in clusters.values() for account in members}
    # Both ends of a linked row are in one cluster, so account_a's size is the pair's.
    in_pair = links["account_a"].map(size).eq(2) & linked
    if in_pair.any():
        signals = pair_signals(links).groupby([links["account_a"], links["account_b"]])
        linked &= ~(in_pair & (signals.transform("sum") < int(settings["min_pair_signals"])))
    return linked.astype(bool)


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
