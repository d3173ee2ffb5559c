"""Synchronised trading as a link signal (apps.detection.lockstep)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from apps.detection.linking import link_accounts
from apps.detection.lockstep import lockstep_pairs

T0 = pd.Timestamp("2026-11-20T00:00:00Z")


def _takes(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    """One taker fill per row: (account, symbol, side, seconds after T0), against a maker."""
    frame = pd.DataFrame(rows, columns=["taker", "symbol", "side", "seconds"])
    buying = frame["side"] == "buy"
    n = len(frame)
    return pd.DataFrame(
        {
            "trade_id": [f"T{i}" for i in range(n)],
            "symbol": frame["symbol"],
            "ts": T0 + pd.to_timedelta(frame["seconds"], unit="s"),
            "buyer_id": np.where(buying, frame["taker"], "MAKER"),
            "seller_id": np.where(buying, "MAKER", frame["taker"]),
            "buy_order_id": [f"B{i}" for i in range(n)],
            "sell_order_id": [f"S{i}" for i in range(n)],
            "taker_side": frame["side"],
        }
    ).sort_values("ts", ignore_index=True)


def _crowd(seconds: int, every: int) -> list[tuple[str, str, str, float]]:
    """Ordinary takers: 40 accounts, one order each every ``every`` seconds, spread out."""
    rng = np.random.default_rng(7)
    return [
        (f"C{i:02d}", "BTCUSDT", "buy" if rng.random() < 0.5 else "sell", float(t))
        for i in range(40)
        for t in rng.uniform(0, seconds, seconds // every)
    ]


def test_accounts_sharing_nothing_that_trade_in_step_are_one_cluster() -> None:
    day = 8 * 3600
    moments = np.linspace(600, day - 600, 15)
    step = [
        (account, "SOLUSDT", "buy" if k % 2 else "sell", float(at) + offset)
        for k, at in enumerate(moments)
        for account, offset in (("U1", 0.0), ("U2", 0.4), ("U3", 1.1))
    ]
    linkage = link_accounts(None, None, _takes(step + _crowd(day, 600)))
    assert linkage.clusters == {"U1": ["U1", "U2", "U3"]}
    rows = linkage.links[linkage.links["kind"] == "lockstep"]
    assert len(rows) == 3 and set(rows["events"]) == {15}
    assert list(rows["values"].iloc[0]) == ["SOLUSDT"]


def test_busy_takers_meeting_by_chance_are_not_in_lockstep() -> None:
    # Two takers firing every 20 s at random all day meet within 2 s hundreds of times,
    # about as often as chance says: no link.
    rng = np.random.default_rng(3)
    day = 8 * 3600
    busy = [
        (account, "BTCUSDT", "buy", float(t))
        for account in ("U1", "U2")
        for t in rng.uniform(0, day, day // 20)
    ]
    found = lockstep_pairs(_takes(busy + _crowd(day, 600)))
    assert found.empty


def test_a_few_coincidences_or_exempt_market_makers_are_not_lockstep() -> None:
    few = [
        (account, "SOLUSDT", "buy", 1000.0 * k + offset)
        for k in range(6)
        for account, offset in (("U1", 0.0), ("U2", 0.5))
    ]
    assert lockstep_pairs(_takes(few)).empty
    many = [
        (account, "SOLUSDT", "buy", 1000.0 * k + offset)
        for k in range(20)
        for account, offset in (("MM1", 0.0), ("U2", 0.5), ("U3", 0.7))
    ]
    pairs = lockstep_pairs(_takes(many), exempt={"MM1"})
    assert set(zip(pairs["account_a"], pairs["account_b"], strict=True)) == {("U2", "U3")}
