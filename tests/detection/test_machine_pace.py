"""The order flow no person produces: reflexes, a metronome's beat, and the sorted
message stream both are read from (its packed sort must equal the plain lexsort)."""

from __future__ import annotations

import numpy as np
import pytest

from apps.detection.rules import machine_pace as pace
from apps.detection.rules.machine_pace import messages, twice_median

from .builder import Window, at
from .conftest import run_rule

MARK = 100_000.0


def test_a_new_order_within_a_reflex_of_each_cancel_is_a_program() -> None:
    w = Window()
    for i in range(200):  # one order every 5 s, pulled after 4.8 s: 24 messages a minute
        w.order("U1", "buy", 1, MARK, at(0, 5 * i), cancelled=at(0, 5 * i + 4.8))
    [alert] = run_rule(w, "unauthorized_algo")
    assert alert["metrics"]["reflex_orders"] == 199
    assert alert["metrics"]["fast_minutes"] == 0 and alert["metrics"]["orders"] == 200


def test_reflexes_are_judged_below_the_message_rate_floor() -> None:
    # 150 orders, each pulled after 4.8 s and replaced 0.2 s later: 300 messages, short of
    # the 360 three fast minutes need, yet 149 orders within a reflex of the last message.
    w = Window()
    for i in range(150):
        w.order("U1", "buy", 1, MARK, at(0, 5 * i), cancelled=at(0, 5 * i + 4.8))
    [alert] = run_rule(w, "unauthorized_algo")
    assert alert["metrics"]["reflex_orders"] == 149 and alert["metrics"]["orders"] == 150


def test_reflexes_are_counted_day_by_day_in_a_longer_window() -> None:
    w = Window()
    for i in range(150):  # the second day: 149 reflexes, as above
        w.order("U1", "buy", 1, MARK, at(24 * 60, 5 * i), cancelled=at(24 * 60, 5 * i + 4.8))
    for i in range(40):  # 40 orders a day earlier: no reflex, no second alert
        w.order("U1", "buy", 1, MARK, at(0, 60 * i))
    [alert] = run_rule(w, "unauthorized_algo")
    assert alert["metrics"]["reflex_orders"] == 149 and alert["metrics"]["orders"] == 150


def test_orders_on_a_metronomes_beat_for_an_hour_are_a_program() -> None:
    w = Window()
    for i in range(600):
        w.order("U1", "buy", 1, MARK, at(0, 6 * i))
    [alert] = run_rule(w, "unauthorized_algo")
    assert alert["metrics"]["gap_jitter"] == 0.0 and alert["metrics"]["reflex_orders"] == 0


def test_orders_at_a_human_unsteady_pace_are_not_a_beat() -> None:
    w = Window()
    gaps = np.resize([5.0, 5.5, 6.0, 6.5, 7.0], 600)  # median 6 s, off by 0.5 s (8 %)
    for moment in np.cumsum(gaps):
        w.order("U1", "buy", 1, MARK, at(0, float(moment)))
    assert run_rule(w, "unauthorized_algo") == []


def _stream(rows: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    account = rng.integers(0, 7, rows)
    symbol = rng.integers(-1, 3, rows)
    created = 1_700_000_000_000 + rng.integers(0, 50, rows)  # many ties
    cancelled = np.where(rng.random(rows) < 0.5, created + rng.integers(0, 5, rows), -1)
    return account, symbol, created, cancelled


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_packed_sort_orders_messages_as_the_lexsort_does(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    account, symbol, created, cancelled = _stream(400, seed)
    packed = messages(account, symbol, created, cancelled)
    monkeypatch.setattr(pace, "PACKED_BITS", 0)  # too narrow: the lexsort path
    plain = messages(account, symbol, created, cancelled)
    for name in ("account", "ts", "entry", "symbol"):
        assert np.array_equal(getattr(packed, name), getattr(plain, name)), name
    # By account, then time, an entry before a cancel in the same millisecond.
    order = np.lexsort((~packed.entry, packed.ts, packed.account))
    assert np.array_equal(order, np.arange(len(order)))


@pytest.mark.parametrize("narrow", [False, True])
def test_twice_median_is_twice_each_groups_median(
    narrow: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if narrow:
        monkeypatch.setattr(pace, "PACKED_BITS", 0)
    rng = np.random.default_rng(7)
    group = rng.integers(0, 5, 200)
    values = rng.integers(0, 1000, 200)
    twice = twice_median(group, values, 6)  # group 5 has no values
    expected = [2 * np.median(values[group == g]) for g in range(5)]
    assert twice.tolist() == [*expected, -1]
