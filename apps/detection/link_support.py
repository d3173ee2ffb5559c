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
    links: pd.DataFrame, linked: np.ndarray, label: np.ndarray, kept: np.ndarray | None = None
) -> np.ndarray:
    """Per row: is it a linked pair of an account that its cluster holds only by shared
    wallets or IPs each of which also serves accounts outside the cluster?

    An identifier says the same of all its users: when some are in a cluster and others
    not, what sorted them is how little else each did, not the identifier, so it holds
    none of them (a shop or a service a few quiet accounts happen to share). An account
    with anything else in the cluster (a transfer, a common counterparty, a device, an
    identifier all of whose users are members: a funder behind accounts that have nothing
    else) stays.

    A grouping the desk already accepted is not judged again: ``kept`` (per account, the
    code of the cluster the desk keeps it in, -1 for none) holds an account by any
    identifier that ties it to a member of its kept cluster. A day's feed grows: a
    controller's wallet found behind six linked accounts at noon is seen behind three more
    quiet ones by evening; those are new evidence, and they do not dissolve the cluster
    found (issue 12: clusters stay put). ``label``: each account's cluster over the
    ``linked`` pairs."""
    accounts = len(label)
    kept = np.full(accounts, -1, dtype=np.int64) if kept is None else kept
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
    rows = np.flatnonzero(identifier & (candidate[a] | candidate[b]))
    if not len(rows):
        return np.zeros(len(links), dtype=bool)
    chosen = values.take(pa.array(rows))
    parent = pc.list_parent_indices(chosen).to_numpy()
    flat = pc.list_flatten(chosen).to_numpy(zero_copy_only=False).astype(str)
    kind = links["kind"].to_numpy(str)[rows][parent]
    item, _ = pd.factorize(np.char.add(np.char.add(kind, "\x1f"), flat))
    row = rows[parent]
    ends = np.r_[a[row], b[row]]
    inside = label[a[row]] == label[b[row]]
    remembered = linked[row] & (kept[a[row]] >= 0) & (kept[a[row]] == kept[b[row]])
    seen = pd.DataFrame(
        {
            "account": ends,
            "item": np.r_[item, item],
            "linked": np.r_[linked[row], linked[row]],
            "inside": np.r_[inside, inside],
            "kept": np.r_[remembered, remembered],
        }
    )[candidate[ends]]
    # Per account and identifier: does it tie the account to a member, are all its other
    # users members, does it tie the account to a member of the cluster the desk keeps.
    per_item = seen.groupby(["account", "item"]).agg(
        ties=("linked", "any"), whole=("inside", "all"), kept=("kept", "any")
    )
    holds = (per_item["ties"] & per_item["whole"]) | per_item["kept"]
    held = holds.groupby(level="account").any()
    loose = np.zeros(accounts, dtype=bool)
    loose[held.index[~held.to_numpy()].to_numpy(np.int64)] = True
    loose &= candidate
    return linked & (loose[a] | loose[b])
