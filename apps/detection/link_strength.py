"""How strongly two accounts' evidence says "one controller", from how specific it is.

Every account has a profile of *items*: its own identity, every device, IP and external
address it used, and the identity of every account it moved funds to or traded with
repeatedly. An item used by ``k`` of ``N`` accounts weighs ``ln(1 + N / k)``: an address
shared by 2 accounts out of 50,000 says far more than a carrier IP shared by 40.

The strength of a pair is the cosine of their weighted profiles (0 to 1): the share of
what identifies the two accounts that they have in common. It is relative to the accounts
themselves, so an active customer who once paid a friend stays weakly tied to them, while
two fresh wallets that exist only to feed each other are one.

An item is also only as specific as its users look like one group (``_cohesion``): a
payout wallet whose twenty accounts share nothing else weighs as a far broader one.

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
# One kind's profile rows: account, item, the item's width, whether the item pairs accounts.
Profile = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
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
    profiles = [
        (kind, _distinct(*profile, hub=hub_accounts))
        for kind, profile in _profiles(uses, direct, accounts)
    ]
    # One shared IP witnesses nothing (a VPN exit, a carrier NAT): IPs neither judge nor
    # are judged.
    witnesses = [MIN_SHARED.get(kind, 1) == 1 for kind, _ in profiles]
    judged = iter(
        _cohesion([p for (_, p), w in zip(profiles, witnesses, strict=True) if w], accounts)
    )
    cohesion = [
        next(judged) if w else np.ones(int(p[1].max()) + 1)
        for (_, p), w in zip(profiles, witnesses, strict=True)
    ]
    found = [
        _cosines(
            *profile,
            together,
            accounts=accounts,
            n=n,
            min_shared=MIN_SHARED.get(kind, 1),
        )
        for (kind, profile), together in zip(profiles, cohesion, strict=True)
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


def _distinct(
    account: np.ndarray, item: np.ndarray, remembered: np.ndarray, *, hub: int
) -> Profile:
    """One row per account and item (a transfer both ways lists the pair twice), with each
    item's width (accounts using it here, or as remembered if more) and whether it pairs
    accounts (shared, and not a hub)."""
    span = int(item.max()) + 1
    unique = np.unique(account * span + item)
    account, item = unique // span, unique % span
    width = np.maximum(np.bincount(item)[item], remembered[item])
    return account, item, width, (width > 1) & (width <= hub)


def _cohesion(profiles: list[Profile], accounts: int) -> list[np.ndarray]:
    """Per kind, per item: how much its users look like one group, 0 to 1.

    Among the item's users that have something else to share (two or more pairing items),
    the share of pairs that do share something else with each other (any kind). A payout
    wallet funds accounts whose other wallets and counterparties never meet: near 0. One
    controller's funder or sweep address serves accounts that also share the rest: near 1.
    Not judged (1): an item of two users (its one pair is the pair being weighed, whose
    other evidence the cosine already counts), and an item whose users deal with no account
    outside it (one funder behind new accounts that have nothing else: nothing to tell)."""
    if not profiles:
        return []
    spans = [int(item.max()) + 1 for _, item, _, _ in profiles]
    offsets = np.r_[0, np.cumsum(spans)].astype(np.int64)
    rows = np.concatenate([account[pairing] for account, _, _, pairing in profiles])
    cols = np.concatenate(
        [
            item[pairing] + start
            for (_, item, _, pairing), start in zip(profiles, offsets[:-1], strict=True)
        ]
    )
    users = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(accounts, int(offsets[-1]))
    )
    width = np.bincount(cols, minlength=users.shape[1])
    shared = sparse.csr_matrix(users @ users.T)
    shared.setdiag(0)
    shared.eliminate_zeros()
    # Every user of an item already neighbours its other users: more neighbours than that
    # means it also deals with accounts outside the item.
    outside = np.diff(shared.indptr)[rows] > width[cols] - 1
    judged = np.bincount(cols[outside], minlength=users.shape[1]) > 0
    able = np.bincount(rows, minlength=accounts)[rows] >= 2
    judges = sparse.csr_matrix(
        (np.ones(int(able.sum())), (rows[able], cols[able])), shape=users.shape
    )
    # Tied: the pair shares at least one item besides this one.
    shared.data = (shared.data >= 2).astype(float)
    shared.eliminate_zeros()
    tied = np.asarray(judges.multiply(shared @ judges).sum(axis=0)).ravel() / 2
    able_users = np.bincount(cols[able], minlength=users.shape[1])
    pairs = able_users * (able_users - 1) / 2
    share = np.where(judged & (pairs > 0) & (width >= 3), tied / np.maximum(pairs, 1), 1.0)
    return [share[start : start + span] for start, span in zip(offsets[:-1], spans, strict=True)]


def _cosines(
    account: np.ndarray,
    item: np.ndarray,
    width: np.ndarray,
    pairing: np.ndarray,
    together: np.ndarray,
    *,
    accounts: int,
    n: int,
    min_shared: int,
) -> pd.DataFrame:
    """Cosine of the accounts' weighted profiles within one kind of item, for the pairs
    that share at least ``min_shared`` items of it."""
    span = int(item.max()) + 1
    # An item of cohesion c weighs as one used by 1/c times as many accounts: a payout
    # wallet of 20 accounts that share nothing else counts as an address shared far wider.
    weight = np.log1p(n * np.where(pairing, together[item], 1.0) / width)
    norm = np.sqrt(np.bincount(account, weights=weight**2, minlength=accounts))
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
