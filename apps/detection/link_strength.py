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

import numpy as np
import pandas as pd
from scipy import sparse

STRENGTH_COLUMNS = ["account_a", "account_b", "strength"]
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
    uses: pd.DataFrame, direct: pd.DataFrame, population: int, hub_accounts: int
) -> pd.DataFrame:
    """``uses``: kind, value, account_id (one row per identifier an account used);
    ``direct``: account_a, account_b (accounts that moved funds or traded with each other).
    Returns one row per pair sharing an item below the hub limit, account_a < account_b."""
    items = _profile_items(uses, direct)
    if items.empty:
        return pd.DataFrame(columns=STRENGTH_COLUMNS)
    accounts, account_codes = np.unique(
        items["account_id"].to_numpy(dtype=str), return_inverse=True
    )
    item_codes, _ = pd.factorize(items["kind"] + "|" + items["item"])
    width = np.bincount(item_codes)[item_codes]
    # The population is at least everyone seen here, so no weight goes negative.
    weight = np.log1p(max(population, len(accounts), MIN_POPULATION) / width)
    found = []
    for kind in pd.unique(items["kind"]):
        mine = (items["kind"] == kind).to_numpy()
        found.append(
            _cosines(
                account_codes[mine],
                item_codes[mine],
                weight[mine],
                width[mine],
                hub=hub_accounts,
                min_shared=MIN_SHARED.get(str(kind), 1),
            )
        )
    cosines = pd.concat(found, ignore_index=True)
    if cosines.empty:
        return pd.DataFrame(columns=STRENGTH_COLUMNS)
    # Kinds are independent witnesses: the pair is as strong as a noisy-OR of them, so two
    # half-sure kinds together say more than either alone.
    doubt = np.log1p(-np.minimum(cosines["cosine"].to_numpy(), 1 - 1e-12))
    strength = 1 - np.exp(pd.Series(doubt).groupby([cosines["a"], cosines["b"]]).sum())
    pairs = strength.reset_index()
    return pd.DataFrame(
        {
            # np.unique sorted the ids, so a < b means account_a < account_b.
            "account_a": accounts[pairs["a"].to_numpy()],
            "account_b": accounts[pairs["b"].to_numpy()],
            "strength": pairs[0].to_numpy(),
        }
    )


def _cosines(
    account: np.ndarray,
    item: np.ndarray,
    weight: np.ndarray,
    width: np.ndarray,
    *,
    hub: int,
    min_shared: int,
) -> pd.DataFrame:
    """Cosine of the accounts' weighted profiles within one kind of item, for the pairs
    that share at least ``min_shared`` items of it."""
    size = int(account.max()) + 1
    norm = np.sqrt(np.bincount(account, weights=weight**2, minlength=size))
    pairing = (width > 1) & (width <= hub)
    profiles = sparse.csr_matrix(
        (weight[pairing], (account[pairing], item[pairing])), shape=(size, int(item.max()) + 1)
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


def _profile_items(uses: pd.DataFrame, direct: pd.DataFrame) -> pd.DataFrame:
    parts = [
        pd.DataFrame(
            {
                "account_id": uses["account_id"].astype("str"),
                "kind": uses["kind"].astype("str").replace({"address": "funds"}),
                "item": uses["kind"].astype("str") + ":" + uses["value"].astype("str"),
            }
        )
    ]
    if not direct.empty:
        a, b = direct["account_a"].astype("str"), direct["account_b"].astype("str")
        # Where money goes is one kind of evidence ("funds"): external addresses and the
        # accounts funds moved to or from. Each side of a transfer carries the other's
        # identity and its own (below): the pair shares two items, and two accounts that
        # both dealt with a third share that third's identity too.
        parts += [
            pd.DataFrame({"account_id": a, "kind": "funds", "item": "account:" + b}),
            pd.DataFrame({"account_id": b, "kind": "funds", "item": "account:" + a}),
        ]
    items = pd.concat(parts, ignore_index=True)
    everyone = pd.Series(pd.unique(items["account_id"]))
    # Every kind's profile holds the account's own identity too: the anchor that keeps one
    # broad identifier from making two otherwise empty profiles identical.
    own = [
        pd.DataFrame({"account_id": everyone, "kind": kind, "item": "account:" + everyone})
        for kind in pd.unique(items["kind"])
    ]
    return pd.concat([items, *own], ignore_index=True).drop_duplicates()
