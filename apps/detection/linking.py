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
``counterparty`` (both dealt directly with the same third accounts) and ``lockstep`` (they
take the same side of the same contract within seconds, again and again: apps.detection.lockstep).

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
from scipy import sparse
from scipy.sparse import csgraph

from .link_evidence import (
    LINK_COLUMNS,
    as_hubs,
    counterparty_pairs,
    evidence_rows,
    frequent_fills,
    identifier_uses,
    internal_transfers,
    no_rows,
    pairs_sharing,
    remembered_widths,
    service_wallets,
    shared_identifiers,
    trading_accounts,
    trading_pairs,
    with_remembered,
)
from .link_strength import hub_limit, pair_strengths
from .link_support import closes_a_loop, held_only_by_wider_identifiers, one_relationship
from .lockstep import lockstep_pairs, lockstep_rows, with_witness

IDENTIFIER_KINDS = ("device", "address", "ip")
DEFAULT_LINK_PARAMS: dict[str, Any] = {
    "hub_accounts": None,  # None: scaled to the population (link_strength.hub_limit)
    # The pair shares about a fifth of what identifies it. Chosen between the two data sets
    # it was measured on (docs/detection.md): higher keeps more clean accounts out on the
    # real hop-dev data, lower keeps the own simulator's weakly evidenced clusters.
    "min_strength": 0.22,
    "min_pair_signals": 2,  # a cluster of two needs two independent signals
    # A wallet or IP holds its users in a cluster only when all of them are in it, or it
    # ties them to the cluster the desk keeps them in
    # (apps.detection.link_support.held_only_by_wider_identifiers).
    "whole_identifiers": True,
    "min_trades_with": 5,  # same as the self-trade threshold: 5 fills a day is a pattern
    "max_values": 20,  # evidence values kept per link
}


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
    remembered: pd.DataFrame | None = None,
    exempt: set[str] | None = None,
    kept: dict[str, str] | None = None,
) -> Linkage:
    """Link the window's accounts. ``population``: how many accounts the exchange has
    (the window's accounts table); it sets how rare an identifier is. ``widths`` (kind,
    value, accounts): how many accounts the desk has ever seen use an identifier; an
    identifier is as broad as the larger of that and this window. ``remembered``
    (account_id, kind, value, first_seen, last_seen): the devices and addresses the desk saw
    the accounts use in earlier windows; they enter the profiles as if seen here, so two
    accounts funded from one wallet last week, or that shared a phone before, stay tied.
    ``kept`` (account -> cluster key): the clusters the desk already keeps; a wallet or IP
    that ties an account to its kept cluster still holds it there (link_support).

    Inside, every account is an integer code (its rank in id order): ten million pairs of
    id strings would cost minutes to sort, group and join. Ids come back at the end."""
    settings = {**DEFAULT_LINK_PARAMS, **(params or {})}
    max_values = int(settings["max_values"])
    uses = with_remembered(identifier_uses(logins, transfers), remembered)
    internal = internal_transfers(transfers)
    traders = trading_accounts(trades) if trades is not None and not trades.empty else None
    frequent = frequent_fills(trades, int(settings["min_trades_with"]), traders)
    lockstep = lockstep_pairs(trades, exempt, traders=traders)
    ids = _account_ids(uses["account_id"], internal, frequent, lockstep)
    uses["a"] = ids.get_indexer(uses["account_id"])
    uses["width"] = remembered_widths(uses, widths)
    population = max(population or 0, len(ids))
    hub_accounts = int(settings["hub_accounts"] or hub_limit(population))
    uses["width"] = as_hubs(uses, hub_accounts, service_wallets(transfers))
    shared, hubs = shared_identifiers(uses, hub_accounts)
    funds = _coded(internal, ids)
    # Only moved funds enter the profiles: everybody trades with the market makers, so a
    # shared trading counterparty says nothing; repeated fills stay evidence rows only.
    strengths = pair_strengths(uses, funds[["a", "b"]], len(ids), population, hub_accounts)
    synchronised = _coded(lockstep, ids)
    strengths = with_witness(strengths, synchronised, len(ids))
    found = [
        pairs_sharing(shared, max_values),
        evidence_rows(funds.assign(kind="transfer", value=funds["transfer_id"]), max_values),
        trading_pairs(_coded(frequent, ids)),
        lockstep_rows(synchronised),
    ]
    found.append(counterparty_pairs(found[1], strengths, found, settings))
    links = _joined(found, strengths, len(ids))
    links["linked"], clusters = _control_links(links, settings, ids, _kept_codes(kept, ids))
    return _named(links, ids, hubs, clusters)


def link_window(
    feed: Any,
    params: dict[str, Any] | None = None,
    trades: bool = True,
    widths: pd.DataFrame | None = None,
    remembered: pd.DataFrame | None = None,
    kept: dict[str, str] | None = None,
) -> Linkage:
    """Link a window's accounts, weighing identifiers against its accounts table and, with
    ``widths``, against how many accounts the desk has ever seen use them; ``remembered``:
    the identifiers the desk saw on them before (``AccountMemory.identifiers``); ``kept``:
    the clusters the desk keeps (account -> key; link_accounts)."""
    accounts = feed.accounts
    population = len(accounts) if accounts is not None else None
    makers = (
        set(accounts.loc[accounts["market_maker"].astype(bool), "account_id"].astype("str"))
        if accounts is not None and "market_maker" in accounts
        else None
    )
    return link_accounts(
        feed.logins,
        feed.transfers,
        feed.trades if trades else None,
        params,
        population,
        widths,
        remembered,
        makers,
        kept,
    )


def window_identifiers(feed: Any) -> pd.DataFrame:
    """kind, value of every IP, device and external address the window names."""
    uses = identifier_uses(feed.logins, feed.transfers)
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


def _account_ids(uses: pd.Series, *pairs: pd.DataFrame) -> pd.Index:
    """Every account the evidence names, in id order: position = the account's code."""
    parts = [uses.astype("str")]
    for frame in pairs:
        parts += [frame["account_a"], frame["account_b"]]
    return pd.Index(pd.unique(pd.concat(parts, ignore_index=True)), dtype=object).sort_values()


def _coded(frame: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    # Codes follow id order, so account_a < account_b stays a < b.
    return frame.assign(
        a=ids.get_indexer(frame["account_a"]), b=ids.get_indexer(frame["account_b"])
    )


def _joined(found: list[pd.DataFrame], strengths: pd.DataFrame, accounts: int) -> pd.DataFrame:
    """Every evidence row with its pair's strength, in (a, b, kind) order."""
    parts = [part for part in found if not part.empty]
    if not parts:
        return no_rows().assign(strength=pd.Series(dtype=float))
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


def _kept_codes(kept: dict[str, str] | None, ids: pd.Index) -> np.ndarray | None:
    """Per account code, a number for the cluster the desk keeps it in (-1: none)."""
    if not kept:
        return None
    return pd.factorize(pd.Series(kept, dtype="str").reindex(ids))[0].astype(np.int64)


def _control_links(
    links: pd.DataFrame, settings: dict[str, Any], ids: pd.Index, kept: np.ndarray | None = None
) -> tuple[pd.Series, dict[str, list[str]]]:
    """Per row: does its pair count as common control? Strong enough; in a cluster of
    only two accounts, resting on at least ``min_pair_signals`` signals (the funds evidence
    of a pair that moved money only with each other counting once); in a cluster of three
    or more, on linked pairs that close a loop, not a chain (apps.detection.link_support).
    Also the clusters the verdicts make."""
    if links.empty:
        return pd.Series([], dtype=bool), {}
    a, b = links["a"].to_numpy(np.int64), links["b"].to_numpy(np.int64)
    linked = links["strength"].to_numpy(float) >= float(settings["min_strength"])
    label = _labels(a[linked], b[linked], len(ids))
    if settings["whole_identifiers"]:
        linked &= ~held_only_by_wider_identifiers(links, linked, label, kept)
        label = _labels(a[linked], b[linked], len(ids))
    size = np.bincount(label, minlength=len(ids))
    # Both ends of a linked row are in one cluster, so a's cluster size is the pair's.
    # A cluster of three or more whose pairs close no loop is a chain of separate pairs:
    # each stands on its own, as a cluster of two does.
    alone = linked & ((size[label[a]] == 2) | ~closes_a_loop(links, linked, label)[label[a]])
    if alone.any():
        pair, _ = pd.factorize(a * len(ids) + b)
        counted = one_relationship(links, pair_signals(links).to_numpy(float), len(ids))
        signals = np.bincount(pair, weights=counted)[pair]
        linked &= ~(alone & (signals < int(settings["min_pair_signals"])))
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
