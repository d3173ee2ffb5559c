"""large_cancel: spoofing, layering and the repeated large cancel count, and look-alikes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apps.detection.rules import large_cancel

from .builder import Window, at
from .conftest import run_rule

MARK = 100_000.0


def _book(w: Window) -> None:
    """The contract's ordinary order: 1 contract (50 ordinary fills)."""
    for i in range(50):
        w.trade(f"B{i}", f"S{i}", 1, MARK, at(i))


def _spoof(w: Window, account: str, minute: float, *, levels: int = 1, size: float = 15) -> None:
    """Large sells near the touch; a small buy of the same account fills; the sells go."""
    for level in range(levels):
        price = MARK * (1 + 0.0005 * (level + 1))
        w.order(account, "sell", size, price, at(minute), cancelled=at(minute, 4 + level / 10))
    w.trade(account, f"MKT{minute}", 0.5, MARK, at(minute, 2), taker="sell")


def test_repeated_large_orders_pulled_within_seconds_are_spoofing() -> None:
    w = Window()
    _book(w)
    for i in range(10):
        w.order("U1", "sell", 5000, MARK, at(60 + i), cancelled=at(60 + i, 5))
    [alert] = run_rule(w, "large_cancel")
    assert alert["accounts"] == ["U1"] and alert["metrics"]["large_cancels"] == 10
    assert alert["metrics"]["very_large_cancels"] == 10


@pytest.mark.parametrize("narrow", [False, True])  # True: keys too wide to pack
def test_a_few_large_orders_pulled_once_a_small_order_fills_opposite_are_spoofing(
    narrow: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if narrow:
        monkeypatch.setattr(large_cancel, "PACKED_BITS", 0)
    w = Window()
    w.marks(minutes=120)
    _book(w)
    for episode in range(5):  # five careful episodes, each order 15x the typical one
        _spoof(w, "U1", 60 + 5 * episode)
    [alert] = run_rule(w, "large_cancel")
    assert alert["accounts"] == ["U1"] and alert["metrics"]["spoof_episodes"] == 5
    assert alert["metrics"]["typical_order_qty"] == 1.0
    assert "threshold 10x" in alert["summary"] and "threshold 5" in alert["summary"]
    assert len(alert["evidence"]["order_ids"]) == 5


def test_layered_large_orders_on_several_levels_are_spoofing() -> None:
    w = Window()
    w.marks(minutes=120)
    _book(w)
    for episode in range(2):  # two ladders of four levels
        _spoof(w, "U1", 60 + 5 * episode, levels=4)
    [alert] = run_rule(w, "large_cancel")
    assert alert["metrics"]["spoof_episodes"] == 8


def test_four_episodes_are_below_the_pattern() -> None:
    w = Window()
    _book(w)
    for episode in range(4):
        _spoof(w, "U1", 60 + 5 * episode)
    assert run_rule(w, "large_cancel") == []


def test_typical_size_ignores_the_market_makers_small_quotes() -> None:
    w = Window()
    _book(w)
    w.account("MM", market_maker=True, api_trading_allowed=True)
    for i in range(2000):  # tiny quotes would make the median order 0.05 contracts
        w.order("MM", "buy", 0.05, MARK, at(i * 0.01), cancelled=at(i * 0.01, 3))
    for episode in range(6):  # an ordinary trader's ordinary 1-contract orders
        _spoof(w, "U1", 60 + 5 * episode, size=1)
    assert run_rule(w, "large_cancel") == []


def test_a_market_maker_quoting_large_while_its_other_side_fills_stays_quiet() -> None:
    w = Window()
    _book(w)
    w.account("MM", market_maker=True, api_trading_allowed=True)
    for episode in range(20):  # 40x quotes re-placed every few seconds
        _spoof(w, "MM", 60 + episode, size=40)
    assert run_rule(w, "large_cancel") == []


def test_a_busy_trader_whose_other_side_fills_are_not_small_is_not_spoofing() -> None:
    w = Window()
    _book(w)
    for episode in range(8):  # its buys fill for as much as the sells it pulls
        minute = 60 + 5 * episode
        w.order("U1", "sell", 15, MARK, at(minute), cancelled=at(minute, 30))
        w.trade("U1", f"MKT{episode}", 12, MARK, at(minute, 10), taker="sell")
    assert run_rule(w, "large_cancel") == []


def test_large_orders_far_from_the_mark_mislead_nobody() -> None:
    w = Window()
    w.marks(minutes=120)
    _book(w)
    for episode in range(6):
        minute = 60 + 5 * episode
        w.order("U1", "sell", 15, MARK * 1.03, at(minute), cancelled=at(minute, 4))
        w.trade("U1", f"MKT{episode}", 0.5, MARK, at(minute, 2), taker="sell")
    assert run_rule(w, "large_cancel") == []


def test_a_whale_whose_large_orders_fill_is_not_spoofing() -> None:
    w = Window()
    _book(w)
    for i in range(12):
        w.trade("WHALE", f"S{i}", 5000, MARK, at(60 + i))
    for i in range(2):
        w.order("WHALE", "sell", 5000, MARK, at(80 + i), cancelled=at(80 + i, 5))
    for i in range(9):  # nine pulls: one short of the count
        w.order("U1", "sell", 5000, MARK, at(90 + i), cancelled=at(90 + i, 5))
    assert run_rule(w, "large_cancel") == []


def test_spoofing_where_the_contract_trades_counts_when_its_mark_is_torn_away() -> None:
    # The contract trades 1.6 % under its mark all morning (pulled from its index): the
    # spoofer's orders sit at the touch, where everybody trades, not 1.6 % away.
    w = Window()
    w.marks(minutes=120, price=MARK * 1.016, index=MARK * 1.05)
    for i in range(120):
        w.trade(f"B{i % 9}", f"S{i % 7}", 1, MARK, at(i, 30))
    for episode in range(6):
        _spoof(w, "U1", 60 + 5 * episode)
    [alert] = run_rule(w, "large_cancel")
    assert alert["accounts"] == ["U1"] and alert["metrics"]["spoof_episodes"] == 6
    # Orders 3 % from where it trades are far from the touch there too.
    w = Window()
    w.marks(minutes=120, price=MARK * 1.016, index=MARK * 1.05)
    for i in range(120):
        w.trade(f"B{i % 9}", f"S{i % 7}", 1, MARK, at(i, 30))
    for episode in range(6):
        minute = 60 + 5 * episode
        w.order("U1", "sell", 15, MARK * 1.03, at(minute), cancelled=at(minute, 4))
        w.trade("U1", f"MKT{episode}", 0.5, MARK, at(minute, 2), taker="sell")
    assert run_rule(w, "large_cancel") == []


@pytest.mark.parametrize("negative", [False, True])  # True: the plain pandas path
def test_the_typical_order_is_pandas_median_per_contract(negative: bool) -> None:
    rng = np.random.default_rng(3)
    symbol = rng.integers(0, 4, 301)  # symbol 4 has no orders
    qty = np.round(rng.lognormal(2, 2, 301), 3) + 0.001
    qty[:3] = [1e-6, 5e6, 0.001]  # a zero would widen the packed key past 62 bits
    if negative:
        qty[7] = -1.0
    expected = pd.Series(qty).groupby(symbol).median().reindex(range(5)).to_numpy()
    assert np.array_equal(large_cancel.medians(symbol, qty, 5), expected, equal_nan=True)
