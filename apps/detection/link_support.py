"""How much independent evidence holds a pair, or a whole cluster, together.

Strength says how much two accounts have in common; it does not say how many separate
pieces of evidence that is, nor whether a cluster is a group or a chain of pairs. Two
rules read that (apps.detection.linking):

* **Money two accounts move only between themselves is one relationship.** When each of
  the two moved funds with no account but the other (a *private* pair), their transfers
  and the wallets they share are one signal, not one per transfer and wallet: two people
  who settle up, one paying through a wallet the other cashes from, look exactly so. Such
  a pair needs a second kind of evidence (a device, IPs, trading with each other) to be a
  cluster of two.
* **A cluster closes a loop.** Accounts strung one after the other, each linked pair to
  the next (a chain, or any tree of pairs), are so many separate relationships: every link
  is a bridge one ordinary relationship could make. A cluster of three or more needs as
  many pairs of members with evidence in common (linked or not) as accounts, so at least
  one loop: three accounts funded from one wallet are alike pairwise (three pairs), and so
  are a funder's accounts even where only one of them is strongly tied to the others. A
  cluster that closes none is judged pair by pair, as a cluster of two is: a customer who
  shares one wallet with one person and once paid another ties nobody.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Evidence that comes from where money went: between a private pair, one relationship.
FUNDS_KINDS = ("address", "transfer", "counterparty")
# Identifiers of which each shared value is one signal. A device counts two (one physical
# machine is not shared by chance: linking.pair_signals), so its users outside a cluster
# read as the controller's further accounts, not as strangers.
ONE_SIGNAL_IDENTIFIERS = ("address", "ip")


def private_pairs(links: pd.DataFrame, accounts: int) -> np.ndarray:
    """Per row: do the pair's two accounts move funds with each other and nobody else?
    ``links``: a, b (integer codes), kind; one transfer row per pair."""
    a, b = links["a"].to_numpy(np.int64), links["b"].to_numpy(np.int64)
    moved = (links["kind"] == "transfer").to_numpy()
    partners = np.bincount(a[moved], minlength=accounts) + np.bincount(b[moved], minlength=accounts)
    only_each_other = moved & (partners[a] == 1) & (partners[b] == 1)
    pair, _ = pd.factorize(a * accounts + b)
    return np.bincount(pair, weights=only_each_other)[pair] > 0


def one_relationship(links: pd.DataFrame, signals: np.ndarray, accounts: int) -> np.ndarray:
    """``signals`` per row, with a private pair's funds evidence counted once: its
    transfer row keeps its one signal, its shared wallets add none."""
    private = private_pairs(links, accounts)
    folded = private & links["kind"].isin(FUNDS_KINDS).to_numpy()
    folded &= (links["kind"] != "transfer").to_numpy()
    return np.where(folded, 0.0, signals)


def closes_a_loop(links: pd.DataFrame, linked: np.ndarray, label: np.ndarray) -> np.ndarray:
    """Per cluster (indexed by ``label``, an account's component over the linked pairs):
    do its members close at least one loop, i.e. are there as many pairs of members with
    evidence in common (linked or not: a funder wallet's users are all alike, if only one
    of them strongly) as members? A cluster of two is judged by its signals (True here)."""
    accounts = len(label)
    a, b = links["a"].to_numpy(np.int64), links["b"].to_numpy(np.int64)
    member = np.zeros(accounts, dtype=bool)
    member[a[linked]] = member[b[linked]] = True
    inside = member[a] & (label[a] == label[b]) & (links["strength"].to_numpy(float) > 0)
    pair = np.unique(a[inside] * accounts + b[inside])
    pairs = np.bincount(label[pair // accounts], minlength=accounts)
    members = np.bincount(label[member], minlength=accounts)
    return (members <= 2) | (pairs >= members)




def held_only_by_wider_identifiers(
    links: pd.DataFrame, linked: np.ndarray, label: np.ndarray
) -> np.ndarray:
    """Per row: is it a linked pair of an account that its cluster holds only by shared
    identifiers (wallets, devices, IPs) each of which also serves accounts outside the
    cluster?

    An identifier marks a group only as a whole: when some of its users are in the cluster
    and others are not, what sorted them is not the identifier (all its users share it
    alike) but how little else each of them did, so it holds none of them. An account
    with anything else in the cluster (a transfer, a common counterparty, an identifier
    all of whose users are inside: a funder behind accounts that have nothing else) stays.
    ``label``: each account's cluster over the ``linked`` pairs."""
    accounts = len(label)
    a, b = links["a"].to_numpy(np.int64), links["b"].to_numpy(np.int64)
    values = pa.array(links["values"].array)
    # Rows whose values were cut to the first few cannot show every identifier: not read.
    listed = pc.list_value_length(values).to_numpy(zero_copy_only=False)
    identifier = links["kind"].isin(ONE_SIGNAL_IDENTIFIERS).to_numpy()
    identifier = identifier & (links["value_count"].to_numpy(np.int64) == listed)
    candidate = np.zeros(accounts, dtype=bool)
    candidate[a[linked & identifier]] = candidate[b[linked & identifier]] = True
    other = linked & ~identifier
    candidate[a[other]] = candidate[b[other]] = False
    apart = label[a] != label[b]
    rows = np.flatnonzero(identifier & (linked | apart) & (candidate[a] | candidate[b]))
    if not len(rows):
        return np.zeros(len(links), dtype=bool)
    chosen = values.take(pa.array(rows))
    parent = pc.list_parent_indices(chosen).to_numpy()
    flat = pc.list_flatten(chosen).to_numpy(zero_copy_only=False).astype(str)
    kind = links["kind"].to_numpy(str)[rows][parent]
    item, _ = pd.factorize(np.char.add(np.char.add(kind, "\x1f"), flat))
    inside = linked[rows][parent]
    ends = np.r_[a[rows][parent], b[rows][parent]]
    seen = pd.DataFrame(
        {"account": ends, "item": np.r_[item, item], "inside": np.r_[inside, inside]}
    )[candidate[ends]]
    # Per account and identifier: shared with a member, with an outsider.
    per_item = seen.groupby(["account", "item"])["inside"].agg(["any", "all"])
    whole = per_item["any"] & per_item["all"]  # only inside: all its users are members
    held = whole.groupby(level="account").any()
    loose = np.zeros(accounts, dtype=bool)
    loose[held.index[~held.to_numpy()].to_numpy(np.int64)] = True
    loose &= candidate
    return linked & (loose[a] | loose[b])
