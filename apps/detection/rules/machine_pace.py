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
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..context import MS_PER_DAY


def machine_pace(o: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """Per (account, day) of ``o`` (the orders view): orders, reflexes, beat jitter, the
    median gap (ms) and whether either sign holds."""
    columns = ["orders", "reflexes", "jitter", "gap_ms", "machine"]
    if o.empty:
        return pd.DataFrame(columns=columns)
    cancelled = o["cancelled"].to_numpy() >= 0
    account = np.concatenate([o["account"].to_numpy(), o["account"].to_numpy()[cancelled]])
    ts = np.concatenate([o["created"].to_numpy(), o["cancelled"].to_numpy()[cancelled]])
    entry = np.concatenate([np.ones(len(o), bool), np.zeros(int(cancelled.sum()), bool)])
    order = np.lexsort((~entry, ts, account))  # a cancel before an entry at the same ms
    account, ts, entry = account[order], ts[order], entry[order]
    same = np.r_[False, account[1:] == account[:-1]]
    gap = np.r_[0, np.diff(ts)]
    reflex = entry & same & (gap < params["reflex_ms"])
    day = ts // MS_PER_DAY
    per = pd.DataFrame({"account": account[entry], "day": day[entry]})
    per["reflex"] = reflex[entry]
    # The beat: gaps between one account's consecutive entries.
    ets, eacc = ts[entry], account[entry]
    egap = np.r_[np.nan, np.diff(ets).astype(float)]
    egap[np.r_[True, eacc[1:] != eacc[:-1]]] = np.nan
    per["gap"] = egap
    grouped = per.groupby(["account", "day"])
    out = grouped.agg(orders=("reflex", "size"), reflexes=("reflex", "sum"))
    median = grouped["gap"].transform("median")
    per["spread"] = (per["gap"] - median).abs()
    out["gap_ms"] = grouped["gap"].median()
    out["jitter"] = per.groupby(["account", "day"])["spread"].median() / out["gap_ms"]
    reflexive = (out["reflexes"] >= params["min_reflex_orders"]) & (
        out["reflexes"] >= params["min_reflex_share"] * out["orders"]
    )
    beat = (
        (out["orders"] >= params["min_beat_orders"])
        & (out["gap_ms"] <= params["max_beat_gap_ms"])
        & (out["jitter"] <= params["max_beat_jitter"])
        & (out["orders"] * out["gap_ms"] >= params["min_beat_minutes"] * 60_000)
    )
    out["machine"] = reflexive | beat
    return out[columns]
