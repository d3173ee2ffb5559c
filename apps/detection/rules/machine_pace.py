"""Order flow no person produces: reflexes faster than a human hand, and a metronome's beat.

Two signs of a program behind a web or app session that the message rate alone misses
(a burst of cancel-and-replace lasts seconds, a slow script never reaches 2 messages/s):

- **reflexes**: an order entered within ``reflex_ms`` of the account's previous message
  (an entry or a cancel). A person needs a quarter of a second to see and click; doing
  it now and then is a double-click, doing it for ``min_reflex_share`` of at least
  ``min_reflex_orders`` orders in a day is a program;
- **beat**: orders at a fixed interval, the median absolute deviation of the gaps within
  ``max_beat_jitter`` of the median gap, over at least ``min_beat_orders`` orders spaced at
  most ``max_beat_gap_ms`` apart and lasting ``min_beat_minutes``: hundreds of clicks at a
  metronome's precision for an hour, not a burst.

Both read the accounts' messages in the order they were sent (``Messages``), sorted once
by packing account, time, kind and symbol into one integer: a sort of one int64 column
is a tenth of a lexsort of three at millions of messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..context import MS_PER_DAY

PACKED_BITS = 62  # what one int64 sort key holds, keeping clear of the sign bit


@dataclass(frozen=True)
class Messages:
    """Every entry and cancel of some orders, sorted by account code, then time; in the
    same millisecond an entry before a cancel (ties otherwise in no meaningful order)."""

    account: np.ndarray  # account code
    ts: np.ndarray  # ms since the epoch
    entry: np.ndarray  # True for an order entry, False for a cancel
    symbol: np.ndarray  # symbol code (-1 unknown)

    def __len__(self) -> int:
        return len(self.ts)


def messages(
    account: np.ndarray, symbol: np.ndarray, created: np.ndarray, cancelled: np.ndarray
) -> Messages:
    """The message stream of some orders (one row each; ``cancelled`` -1 when not).
    A message is an order entry or a cancel, as MiFID II RTS 6 counts them."""
    pulled = cancelled >= 0
    if len(created) == 0:
        none = np.zeros(0, dtype=np.int64)
        return Messages(none, none, np.zeros(0, dtype=bool), none)
    # Accounts ranked among those present: the same order as their codes, fewer bits.
    present = np.zeros(int(account.max()) + 1, dtype=bool)
    present[account] = True
    codes = np.flatnonzero(present)
    rank = (np.cumsum(present) - 1)[account]
    first = int(created.min())
    last = int(created.max())
    if pulled.any():
        first, last = min(first, int(cancelled[pulled].min())), max(last, int(cancelled.max()))
    time_bits = (last - first).bit_length()
    symbol_bits = int(symbol.max() + 1).bit_length()
    if int(rank.max()).bit_length() + time_bits + 1 + symbol_bits > PACKED_BITS:
        return _lexsorted(account, symbol, created, cancelled)

    def packed(rows: np.ndarray | slice, ts: np.ndarray, late: int) -> np.ndarray:
        key = rank[rows] << time_bits
        key |= ts - first
        key <<= 1
        key |= late
        key <<= symbol_bits
        key |= symbol[rows] + 1
        return key

    key = np.concatenate([packed(slice(None), created, 0), packed(pulled, cancelled[pulled], 1)])
    key.sort()
    symbol = (key & ((1 << symbol_bits) - 1)) - 1
    key >>= symbol_bits
    entry = (key & 1) == 0
    key >>= 1
    ts = (key & ((1 << time_bits) - 1)) + first
    key >>= time_bits
    return Messages(codes[key], ts, entry, symbol)


def _lexsorted(
    account: np.ndarray, symbol: np.ndarray, created: np.ndarray, cancelled: np.ndarray
) -> Messages:
    """``messages`` for keys too wide to pack: the same order from a four-column lexsort."""
    pulled = cancelled >= 0
    account = np.concatenate([account, account[pulled]]).astype(np.int64)
    symbol = np.concatenate([symbol, symbol[pulled]]).astype(np.int64)
    ts = np.concatenate([created, cancelled[pulled]]).astype(np.int64)
    late = np.concatenate([np.zeros(len(created), bool), np.ones(int(pulled.sum()), bool)])
    order = np.lexsort((symbol, late, ts, account))
    return Messages(account[order], ts[order], ~late[order], symbol[order])


def run_starts(*columns: np.ndarray) -> np.ndarray:
    """Where each run of equal rows (over all ``columns``) begins; none for no rows."""
    if len(columns[0]) == 0:
        return np.zeros(0, dtype=np.int64)
    changed = np.zeros(len(columns[0]), dtype=bool)
    changed[0] = True
    for column in columns:
        changed[1:] |= column[1:] != column[:-1]
    return np.flatnonzero(changed)


def run_lengths(starts: np.ndarray, rows: int) -> np.ndarray:
    return np.diff(np.r_[starts, rows])


def twice_median(group: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    """Per group 0..groups-1, twice the median of its non-negative integer ``values``
    (an integer, so halves stay exact; -1 for a group without values)."""
    count = np.bincount(group, minlength=groups)
    if len(values) == 0:
        return np.full(groups, -1, dtype=np.int64)
    value_bits = int(values.max()).bit_length()
    if int(groups).bit_length() + value_bits <= PACKED_BITS:
        packed = np.sort(group.astype(np.int64) << value_bits | values)
        ordered = packed & ((1 << value_bits) - 1)
    else:
        ordered = values[np.lexsort((values, group))]
    low, high = middles(ordered, count)
    return np.where(count > 0, low + high, -1)


def middles(ordered: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group, the lower and upper middle values of ``ordered`` (values sorted within
    groups laid end to end, ``count`` of them each): equal for an odd count. A group
    without values reads a neighbour's; callers mask it by ``count > 0``."""
    start = np.cumsum(count) - count
    last = len(ordered) - 1
    low = ordered[np.minimum(start + (count - 1) // 2, last)]
    high = ordered[np.minimum(start + count // 2, last)]
    return low, high


def _reflexes(
    m: Messages, params: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The entries' times, accounts and days, where each (account, day) run of them
    starts, and each run's reflexes (entries within reflex_ms of the previous message)."""
    account, ts, entry = m.account, m.ts, m.entry
    same = np.r_[False, account[1:] == account[:-1]]
    gap = np.r_[0, np.diff(ts)]
    reflex = (entry & same & (gap < params["reflex_ms"]))[entry]
    # Entries only from here: one group per (account, day), each a run of rows.
    ets, eacc = ts[entry], account[entry]
    eday = ets // MS_PER_DAY
    starts = run_starts(eacc, eday)
    return ets, eacc, eday, starts, np.add.reduceat(reflex.astype(np.int64), starts)


def _reflexive(orders: np.ndarray, reflexes: np.ndarray, params: dict[str, Any]) -> np.ndarray:
    return (reflexes >= params["min_reflex_orders"]) & (
        reflexes >= params["min_reflex_share"] * orders
    )


def reflexive_accounts(m: Messages, params: dict[str, Any]) -> np.ndarray:
    """The accounts with a day of reflexes (machine_pace's first sign), read without the
    beat's medians: for a quick look at many accounts before the whole judgement."""
    if not m.entry.any():
        return np.zeros(0, dtype=np.int64)
    ets, eacc, _, starts, reflexes = _reflexes(m, params)
    orders = run_lengths(starts, len(ets))
    return np.unique(eacc[starts][_reflexive(orders, reflexes, params)])


def machine_pace(m: Messages, params: dict[str, Any]) -> pd.DataFrame:
    """Per (account, day) of the messages' entries: orders, reflexes, beat jitter, the
    median gap (ms) and whether either sign holds."""
    columns = ["orders", "reflexes", "jitter", "gap_ms", "machine"]
    if not m.entry.any():
        return pd.DataFrame(columns=columns)
    ets, eacc, eday, starts, reflexes = _reflexes(m, params)
    groups = len(starts)
    group = np.repeat(np.arange(groups), run_lengths(starts, len(ets)))
    # The beat: gaps between one account's consecutive entries (none before its first).
    timed = np.flatnonzero(np.r_[False, eacc[1:] == eacc[:-1]])
    egap = ets[timed] - ets[timed - 1]
    twice_gap = twice_median(group[timed], egap, groups)
    # Doubled deviations from the doubled median: integers, so the median is exact.
    spread = np.abs(2 * egap - twice_gap[group[timed]])
    twice_spread = twice_median(group[timed], spread, groups)
    out = pd.DataFrame(
        {
            "orders": run_lengths(starts, len(ets)),
            "reflexes": reflexes,
        },
        index=pd.MultiIndex.from_arrays([eacc[starts], eday[starts]], names=["account", "day"]),
    )
    gap_ms = np.where(twice_gap >= 0, twice_gap / 2, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["jitter"] = np.where(twice_spread >= 0, twice_spread / 4, np.nan) / gap_ms
    out["gap_ms"] = gap_ms
    reflexive = _reflexive(out["orders"].to_numpy(), reflexes, params)
    beat = (
        (out["orders"] >= params["min_beat_orders"])
        & (out["gap_ms"] <= params["max_beat_gap_ms"])
        & (out["jitter"] <= params["max_beat_jitter"])
        & (out["orders"] * out["gap_ms"] >= params["min_beat_minutes"] * 60_000)
    )
    out["machine"] = reflexive | beat
    return out[columns]
