"""Links between accounts and clusters of common actual control.

Evidence comes in two strengths. A shared device, a shared external funding address or
an internal transfer is *strong*: one is enough to link two accounts. A shared IP or
repeated trading with each other is *weak*: a family behind one router or two strangers
meeting in the book produce it innocently, so a link needs two independent weak signals
(two different shared IPs, or an IP plus repeated mutual trading).

Any identifier used by more than ``hub_accounts`` accounts — a carrier NAT address, an
exchange hot wallet — is a hub and links nothing; it is reported in ``Linkage.hubs``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

STRONG_KINDS = ("device", "address", "transfer")
WEAK_KINDS = ("ip", "trades_with")
DEFAULT_LINK_PARAMS: dict[str, Any] = {
    "hub_accounts": 20,  # a real controller rarely runs more; hubs serve hundreds
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
) -> Linkage:
    settings = {**DEFAULT_LINK_PARAMS, **(params or {})}
    uses = _identifier_uses(logins, transfers)
    shared, hubs = _shared_identifiers(uses, int(settings["hub_accounts"]))
    parts = [_pairs_sharing(shared, int(settings["max_values"]))]
    if transfers is not None:
        parts.append(_transfer_pairs(transfers, int(settings["max_values"])))
    if trades is not None:
        parts.append(_trading_pairs(trades, int(settings["min_trades_with"])))
    found = [part for part in parts if not part.empty]
    links = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=LINK_COLUMNS)
    links = links.sort_values(["account_a", "account_b", "kind"], ignore_index=True)
    links["linked"] = _control_links(links)
    return linkage_of(links, hubs)


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
    pairs = shared.merge(shared, on=["kind", "value"], suffixes=("_a", "_b"))
    pairs = pairs[pairs["account_id_a"] < pairs["account_id_b"]]
    pairs = pairs.assign(
        first=np.minimum(pairs["first_a"], pairs["first_b"]),
        last=np.maximum(pairs["last_a"], pairs["last_b"]),
        events=pairs["events_a"] + pairs["events_b"],
    )
    grouped = pairs.groupby(["account_id_a", "account_id_b", "kind"], observed=True)
    links = grouped.agg(
        values=("value", lambda v: sorted(v)[:max_values]),
        value_count=("value", "nunique"),
        first_seen=("first", "min"),
        last_seen=("last", "max"),
        events=("events", "sum"),
    ).reset_index()
    return links.rename(columns={"account_id_a": "account_a", "account_id_b": "account_b"})


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
    grouped = internal.groupby(["account_a", "account_b"])
    links = grouped.agg(
        values=("transfer_id", lambda v: sorted(v)[:max_values]),
        value_count=("transfer_id", "nunique"),
        first_seen=("ts", "min"),
        last_seen=("ts", "max"),
        events=("transfer_id", "size"),
    ).reset_index()
    return links.assign(kind="transfer")


def _trading_pairs(trades: pd.DataFrame, min_trades: int) -> pd.DataFrame:
    """Pairs of accounts that traded with each other at least ``min_trades`` times.

    Counted on integer codes first: only the few frequent pairs are turned back into
    strings (1M trades have hundreds of thousands of one-off pairs)."""
    n = len(trades)
    codes, names = pd.factorize(
        pd.concat([trades["buyer_id"], trades["seller_id"]], ignore_index=True).astype("str")
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


def _control_links(links: pd.DataFrame) -> pd.Series:
    """Per row: does its pair count as common control (strong, or two weak signals)?"""
    if links.empty:
        return pd.Series([], dtype=bool)
    strong = links["kind"].isin(STRONG_KINDS)
    weak = np.where(links["kind"] == "ip", links["value_count"], 0) + np.where(
        links["kind"] == "trades_with", 1, 0
    )
    per_pair = pd.DataFrame(
        {"a": links["account_a"], "b": links["account_b"], "strong": strong, "weak": weak}
    ).groupby(["a", "b"])
    verdict = per_pair["strong"].transform("any") | (per_pair["weak"].transform("sum") >= 2)
    return verdict.astype(bool)


def _components(links: pd.DataFrame) -> dict[str, list[str]]:
    """Connected components by repeated min-label propagation with pointer jumping."""
    if links.empty:
        return {}
    codes, accounts = pd.factorize(
        pd.concat([links["account_a"], links["account_b"]]).astype("str"), sort=True
    )
    half = len(links)
    a, b = codes[:half], codes[half:]
    label = np.arange(len(accounts))
    while True:
        low = np.minimum(label[a], label[b])
        before = label.copy()
        np.minimum.at(label, a, low)
        np.minimum.at(label, b, low)
        label = label[label]
        if np.array_equal(label, before):
            break
    # With sort=True the smallest code is the smallest account id: a stable cluster key.
    members = pd.Series(np.asarray(accounts)).groupby(label).agg(sorted)
    return {group[0]: list(group) for group in members}


# The public name the desk's account store uses to rebuild clusters from stored links.
components = _components
