"""How strongly two accounts' evidence says "one controller", from how specific it is.

Every account has a profile of *items*: its own identity, every device, IP and external
address it used, and the identity of every account it moved funds to or traded with
repeatedly. An item used by ``k`` of ``N`` accounts weighs ``ln(1 + N / k)``: an address
shared by 2 accounts out of 50,000 says far more than a carrier IP shared by 40.

The strength of a pair is the cosine of their weighted profiles (0 to 1): the share of
what identifies the two accounts that they have in common. It is relative to the accounts
themselves, so an active customer who once paid a friend stays weakly tied to them, while
two fresh wallets that exist only to feed each other are one.

Items used by more than ``hub_accounts`` accounts pair nobody (their weight would be
negligible, and projecting them costs k² pairs), but still count in each profile's size.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
from scipy import sparse

STRENGTH_COLUMNS = ["a", "b", "strength"]
# A home router or a carrier NAT puts strangers and families behind one IP: one shared IP
# witnesses nothing; two different ones (home and office, two VPN exits) start to.
MIN_SHARED = {"ip": 2}
# Weights read a window as drawn from a venue of at least this many accounts, so a test or a
# backfill of a handful of accounts does not make every identifier look common.
MIN_POPULATION = 1000


def hub_limit(population: int) -> int:
    """Most accounts one identifier may serve and still pair them: √N, at least 20.

    √N bounds the pairs one identifier can make by the population itself (k²/2 ≤ N/2)."""
    return max(20, math.ceil(math.sqrt(max(population, 1))))


def pair_strengths(
    uses: pd.DataFrame, direct: pd.DataFrame, accounts: int, population: int, hub_accounts: int
) -> pd.DataFrame:
    """``uses``: kind, value, a (one row per identifier an account used; ``a`` an account's
    integer code, 0 to ``accounts`` - 1, in id order); ``direct``: a, b (accounts that moved
    funds to each other). Returns a, b (a < b), strength: one row per pair sharing an item
    below the hub limit."""
    if accounts == 0:
        return pd.DataFrame(columns=STRENGTH_COLUMNS)
    n = max(population, accounts, MIN_POPULATION)
    found = [
        _cosines(
            *profile, accounts=accounts, n=n, hub=hub_accounts, min_shared=MIN_SHARED.get(kind, 1)
        )
        for kind, profile in _profiles(uses, direct, accounts)
    ]
    found = [frame for frame in found if not frame.empty]
    if not found:
        return pd.DataFrame(columns=STRENGTH_COLUMNS)
    cosines = pd.concat(found, ignore_index=True)
    # Kinds are independent witnesses: the pair is as strong as a noisy-OR of them, so two
    # half-sure kinds together say more than either alone.
    doubt = np.log1p(-np.minimum(cosines["cosine"].to_numpy(), 1 - 1e-12))
    key = cosines["a"].to_numpy(np.int64) * accounts + cosines["b"].to_numpy(np.int64)
    pair, index = pd.factorize(key)
    strength = 1 - np.exp(np.bincount(pair, weights=doubt))
    keys = np.asarray(index, dtype=np.int64)
    return pd.DataFrame({"a": keys // accounts, "b": keys % accounts, "strength": strength})


def _profiles(
    uses: pd.DataFrame, direct: pd.DataFrame, accounts: int
) -> Iterator[tuple[str, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """Per kind: (account codes, item codes) of every account's profile. Items are the
    kind's values, then one per account (its identity: code ``values + account``). Where
    money goes is one kind ("funds"): external addresses and the accounts funds moved with;
    each side of a transfer carries the other's identity and its own, so the pair shares two
    items and two accounts that both dealt with a third share that third's identity too."""
    everyone = np.arange(accounts, dtype=np.int64)
    kinds = uses["kind"].astype("str").replace({"address": "funds"}).to_numpy()
    present = set(pd.unique(kinds))
    if not direct.empty:
        present.add("funds")
    for kind in sorted(present):
        mine = kinds == kind
        values, _ = pd.factorize(uses["value"].to_numpy()[mine])
        offset = int(values.max()) + 1 if len(values) else 0
        account = [uses["a"].to_numpy(np.int64)[mine], everyone]
        item = [values.astype(np.int64), offset + everyone]
        # An identifier's remembered width (accounts ever seen using it), per item.
        remembered = np.zeros(offset + accounts, dtype=np.int64)
        if "width" in uses and len(values):
            np.maximum.at(remembered, values, uses["width"].to_numpy(np.int64)[mine])
        if kind == "funds" and not direct.empty:
            a, b = direct["a"].to_numpy(np.int64), direct["b"].to_numpy(np.int64)
            account += [a, b]
            item += [offset + b, offset + a]
        yield kind, (np.concatenate(account), np.concatenate(item), remembered)


def _cosines(
    account: np.ndarray,
    item: np.ndarray,
    remembered: np.ndarray,
    *,
    accounts: int,
    n: int,
    hub: int,
    min_shared: int,
) -> pd.DataFrame:
    """Cosine of the accounts' weighted profiles within one kind of item, for the pairs
    that share at least ``min_shared`` items of it."""
    # One row per account and item (a transfer both ways lists the pair twice).
    span = int(item.max()) + 1
    unique = np.unique(account * span + item)
    account, item = unique // span, unique % span
    width = np.maximum(np.bincount(item)[item], remembered[item])
    weight = np.log1p(n / width)
    norm = np.sqrt(np.bincount(account, weights=weight**2, minlength=accounts))
    pairing = (width > 1) & (width <= hub)
    profiles = sparse.csr_matrix(
        (weight[pairing], (account[pairing], item[pairing])), shape=(accounts, span)
    )
    shared = _sorted(sparse.triu(profiles @ profiles.T, k=1))
    keep = np.ones(shared.nnz, dtype=bool)
    if min_shared > 1 and shared.nnz:
        present = (profiles > 0).astype(np.int32)
        # Positive weights: the count matrix has the same pattern, so the data align.
        keep = _sorted(sparse.triu(present @ present.T, k=1)).data >= min_shared
    pairs = shared.tocoo()
    cosine = pairs.data / (norm[pairs.row] * norm[pairs.col])
    return pd.DataFrame({"a": pairs.row, "b": pairs.col, "cosine": cosine})[keep]


def _sorted(matrix: sparse.spmatrix) -> sparse.csr_matrix:
    found = sparse.csr_matrix(matrix)
    found.sort_indices()
    return found
