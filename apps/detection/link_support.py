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

# Evidence that comes from where money went: between a private pair, one relationship.
FUNDS_KINDS = ("address", "transfer", "counterparty")


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
