"""Synchronised trading as a link signal: accounts that take the same side of the same
contract within seconds of each other, again and again, far more often than chance.

Two accounts that share no device, IP or wallet but fire market orders together, same
contract, same side, within a second or two, fifteen times in a day, are one hand (or one
script) — the brief's "synchronised trading across accounts". Chance does it too for busy
traders in a busy contract, so a pair counts only when

- it happened at least ``min_times`` times (a habit, as 5 self-trades make one),
- it is most of the quieter account's trading (``min_share`` of its taker orders), and
- it is ``min_surprise`` times what the two accounts' own activity would give by chance
  (their taker orders per contract and side, spread evenly over the window).

Counted on taker orders (the side that chose the moment), each once (a taker's fills at
one moment are one order), in numpy: the events are sorted by contract, side and time,
and each is compared with the next few within ``within_ms`` — a loop over offsets, never
over rows.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from .link_evidence import Traders, evidence_rows, no_rows, repeated, trading_accounts

DEFAULT_LOCKSTEP: dict[str, Any] = {
    "within_ms": 2_000,  # "at the same moment" for a hand or a script: two seconds
    "min_times": 10,
    "min_share": 0.5,
    "min_surprise": 10.0,
    # Events compared with each one: a group in step is a handful of accounts; more
    # strangers between them in one contract-side within two seconds is the crowd.
    "max_neighbours": 16,
}
LOCKSTEP_COLUMNS = [
    "account_a",
    "account_b",
    "times",
    "share",
    "expected",
    "symbols",
    "first",
    "last",
]


def lockstep_pairs(
    trades: pd.DataFrame | None,
    exempt: set[str] | None = None,
    params: dict[str, Any] | None = None,
    traders: Traders | None = None,
) -> pd.DataFrame:
    """Pairs trading in lockstep (account_a < account_b): ``times`` together, ``share`` of
    the quieter one's taker orders, ``expected`` by chance, the ``symbols``, first / last
    (nanoseconds). ``exempt``: accounts left out (the market makers). ``traders``: the
    fills' accounts as link_evidence.trading_accounts codes them, when the caller has them."""
    settings = {**DEFAULT_LOCKSTEP, **(params or {})}
    if trades is None or trades.empty or "taker_side" not in trades:
        return pd.DataFrame(columns=LOCKSTEP_COLUMNS)
    buying = (trades["taker_side"] == "buy").to_numpy(dtype=bool)
    # The taker of each fill as an integer code, by Arrow's hash of the ids (never a
    # Python string per row): the few pairs found are put in id order at the end.
    buyer, seller, ids = traders if traders is not None else trading_accounts(trades)
    taker_all = np.where(buying, buyer, seller)
    ns_all = trades["ts"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    # A taker order's fills share its moment: each (taker, moment) once, at its first fill.
    moment_key = taker_all * (len(ns_all) + 1) + _moments(ns_all)
    first_fill = ~pd.Series(moment_key).duplicated().to_numpy()
    if exempt:
        first_fill &= ~np.isin(ids, list(exempt))[taker_all]
    ns = ns_all[first_fill]
    symbol_code, symbols = _symbols_first_seen(trades["symbol"], first_fill)
    group = symbol_code.astype(np.int64) * 2 + buying[first_fill]
    account = taker_all[first_fill]
    n_accounts = max(len(ids), 1)
    ordered = _by_group_and_time(group, ns)
    ns, group, account = ns[ordered], group[ordered], account[ordered]
    symbol_code = symbol_code[ordered]
    within = int(settings["within_ms"]) * 1_000_000
    # Each event against the next few in the same contract-side: (position, both
    # accounts) of every near pair of two different accounts, in (offset, position) order.
    following = _following(group, ns, within, int(settings["max_neighbours"]))
    found_at, lows, highs = [], [], []
    for offset in range(1, int(settings["max_neighbours"]) + 1):
        at = np.flatnonzero(following[:-offset] >= offset)
        if not len(at):
            break
        at = at[account[at] != account[at + offset]]
        a, b = account[at], account[at + offset]
        found_at.append(at)
        lows.append(np.minimum(a, b))
        highs.append(np.maximum(a, b))
    if not found_at:
        return pd.DataFrame(columns=LOCKSTEP_COLUMNS)
    i, low, high = np.concatenate(found_at), np.concatenate(lows), np.concatenate(highs)
    # One moment counts once per pair, however many orders each fired in it. Pairs that
    # met fewer than min_times times at all cannot count: they are dropped first.
    key = low * n_accounts + high
    maybe = repeated(key, int(settings["min_times"]))
    # Pairs numbered in order of first meeting, as over all rows: dropping whole pairs
    # keeps the order of the rest.
    i, (pair, keys) = i[maybe], pd.factorize(key[maybe])
    bucket = ns[i] // within
    bucket -= bucket.min(initial=0)
    once = ~pd.Series(pair * (int(bucket.max(initial=0)) + 1) + bucket).duplicated().to_numpy()
    i, pair = i[once], pair[once]
    times = np.bincount(pair, minlength=len(keys))
    candidates = np.flatnonzero(times >= int(settings["min_times"]))
    if not len(candidates):
        return pd.DataFrame(columns=LOCKSTEP_COLUMNS)
    keys = np.asarray(keys, dtype=np.int64)[candidates]
    pa_, pb_ = keys // n_accounts, keys % n_accounts
    # Chance: per contract and side, each of a's orders meets b's with probability
    # (2 x within) / span of the window.
    span = max(int(ns.max() - ns.min()), within)
    matrix = _orders_per_group(account, group, np.union1d(pa_, pb_))
    ca = matrix.loc[pa_].to_numpy(float)
    cb = matrix.loc[pb_].to_numpy(float)
    expected = (ca * cb).sum(axis=1) * (2 * within) / span
    orders = np.bincount(account, minlength=n_accounts)
    found = times[candidates]
    share = found / np.minimum(orders[pa_], orders[pb_])
    keep = (share >= float(settings["min_share"])) & (
        found >= float(settings["min_surprise"]) * expected
    )
    if not keep.any():
        return pd.DataFrame(columns=LOCKSTEP_COLUMNS)
    chosen = np.flatnonzero(keep)
    rows = np.isin(pair, candidates[chosen])
    moments = pd.DataFrame({"pair": pair[rows], "ns": ns[i[rows]], "symbol": symbol_code[i[rows]]})
    spans = moments.groupby("pair").agg(first=("ns", "min"), last=("ns", "max"))
    per_pair = moments.groupby("pair")["symbol"].agg(lambda s: sorted({symbols[c] for c in s}))
    picked = candidates[chosen]
    first_name, second_name = ids[pa_[chosen]], ids[pb_[chosen]]
    swap = first_name > second_name
    return pd.DataFrame(
        {
            "account_a": np.where(swap, second_name, first_name),
            "account_b": np.where(swap, first_name, second_name),
            "times": found[chosen],
            "share": share[chosen],
            "expected": expected[chosen],
            "symbols": per_pair.loc[picked].to_list(),
            "first": spans.loc[picked, "first"].to_numpy(),
            "last": spans.loc[picked, "last"].to_numpy(),
        }
    )


def with_witness(strengths: pd.DataFrame, lockstep: pd.DataFrame, accounts: int) -> pd.DataFrame:
    """The pairs' strengths with lockstep as one more independent witness (noisy-OR, as the
    identifier kinds combine): its weight is the share of the quieter account's trading done
    in step. ``lockstep``: coded pairs (a, b) with ``share``."""
    if lockstep.empty:
        return strengths
    both = pd.concat(
        [
            strengths[["a", "b", "strength"]],
            pd.DataFrame({"a": lockstep["a"], "b": lockstep["b"], "strength": lockstep["share"]}),
        ],
        ignore_index=True,
    )
    key = both["a"].to_numpy(np.int64) * accounts + both["b"].to_numpy(np.int64)
    pair, index = pd.factorize(key)
    doubt = np.log1p(-np.minimum(both["strength"].to_numpy(float), 1 - 1e-12))
    keys = np.asarray(index, dtype=np.int64)
    return pd.DataFrame(
        {
            "a": keys // accounts,
            "b": keys % accounts,
            "strength": 1 - np.exp(np.bincount(pair, weights=doubt)),
        }
    )


def lockstep_rows(lockstep: pd.DataFrame) -> pd.DataFrame:
    """Evidence rows (kind ``lockstep``): the contracts as values, the moments in step as
    events."""
    if lockstep.empty:
        return no_rows()
    rows = lockstep.explode("symbols")
    first_of_pair = ~rows.index.duplicated()
    return evidence_rows(
        pd.DataFrame(
            {
                "a": rows["a"].to_numpy(np.int64),
                "b": rows["b"].to_numpy(np.int64),
                "kind": "lockstep",
                "value": rows["symbols"].astype("str").to_numpy(),
                "first": rows["first"].to_numpy(np.int64),
                "last": rows["last"].to_numpy(np.int64),
                "events": np.where(first_of_pair, rows["times"].to_numpy(np.int64), 0),
            }
        ),
        max_values=20,
    )


def _by_group_and_time(group: np.ndarray, ns: np.ndarray) -> np.ndarray:
    """The order of the events by group, then time (ties as they come). The feed keeps
    fills in time order, so a stable sort of the small group numbers alone gives it: a
    radix sort of 16-bit keys instead of a two-key sort of 1.4M events."""
    small = len(group) == 0 or (group.min() >= 0 and group.max() < 2**15)
    if small and (np.diff(ns) >= 0).all():
        return np.argsort(group.astype(np.int16), kind="stable")
    return np.lexsort((ns, group))


def _following(group: np.ndarray, ns: np.ndarray, within: int, most: int) -> np.ndarray:
    """Per event (sorted by group, then time): how many of the next events are in its
    group within ``within`` ns, at most ``most`` (one search per group, not a pass over
    every event per offset)."""
    following = np.zeros(len(ns), dtype=np.int64)
    bounds = np.flatnonzero(np.r_[True, group[1:] != group[:-1], True])
    for start, end in pairwise(bounds.tolist()):
        times = ns[start:end]
        last = np.searchsorted(times, times + within, side="right")
        following[start:end] = last - np.arange(1, end - start + 1)
    return np.minimum(following, most)


def _moments(ns: np.ndarray) -> np.ndarray:
    """Dense rank of each time (equal times, equal ranks), without a sort when the fills
    come in time order, as the feed keeps them."""
    if len(ns) and (np.diff(ns) >= 0).all():
        return np.concatenate([[0], np.cumsum(np.diff(ns) != 0)])
    return np.unique(ns, return_inverse=True)[1].reshape(-1)


def _symbols_first_seen(column: pd.Series, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the kept rows' symbols numbered in order of first appearance (as
    ``pd.factorize`` numbers them), from the categorical's codes: no string per row."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        codes, uniques = pd.factorize(column.to_numpy()[kept])
        return codes, np.asarray(uniques, dtype=object)
    raw = column.cat.codes.to_numpy()[kept].astype(np.int64)
    order = pd.unique(raw)  # in order of first appearance, by a hash pass (no sort)
    order = order[order >= 0]
    lookup = np.full(len(column.cat.categories) + 1, -1, dtype=np.int64)
    lookup[order] = np.arange(len(order))
    names = np.asarray(column.cat.categories, dtype=object)[order]
    return lookup[raw], names


def _orders_per_group(account: np.ndarray, group: np.ndarray, wanted: np.ndarray) -> pd.DataFrame:
    """Taker orders of each ``wanted`` account per contract-side group (every group in
    the window a column, in group order)."""
    groups = np.unique(group)
    rows = np.isin(account, wanted)
    at = np.searchsorted(wanted, account[rows]) * len(groups) + np.searchsorted(groups, group[rows])
    counts = np.bincount(at, minlength=len(wanted) * len(groups)).reshape(len(wanted), -1)
    return pd.DataFrame(counts, index=wanted, columns=groups)
