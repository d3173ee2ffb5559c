from __future__ import annotations

from .builder import Window, at
from .conftest import run_rule

MARK = 100_000.0


def test_a_sudden_six_percent_move_is_market_stress_without_accounts() -> None:
    w = Window()
    w.marks(price=MARK, minutes=10)
    w.marks(price=MARK * 1.06, minutes=10, start=10)
    [alert] = run_rule(w, "market_stress")
    assert alert["accounts"] == [] and alert["symbol"] == "BTCUSDT"
    assert alert["metrics"]["signals"] == ["sudden_move"]
    assert alert["dedup_key"] == "market_stress:platform:BTCUSDT:2026-11-20"


def test_a_mark_torn_from_the_index_for_fifteen_minutes_is_stress_fourteen_are_not() -> None:
    # Two quiet hours first: the gap is judged against the hours before it.
    w = Window()
    w.marks(minutes=130)
    w.marks(minutes=15, start=130, price=MARK * 1.015, index=MARK)
    [alert] = run_rule(w, "market_stress")
    assert alert["metrics"]["signals"] == ["mark_index_gap"]
    w = Window()
    w.marks(minutes=130)
    w.marks(minutes=14, start=130, price=MARK * 1.015, index=MARK)
    assert run_rule(w, "market_stress") == []


def test_a_thin_contract_s_usual_gap_is_not_stress() -> None:
    w = Window()
    w.marks(minutes=130, price=MARK * 1.008, index=MARK)  # strays 0.8 % all day
    w.marks(minutes=20, start=130, price=MARK * 1.015, index=MARK)  # under 3 x 0.8 %
    assert run_rule(w, "market_stress") == []


def test_twenty_accounts_force_closed_in_a_minute_is_a_liquidation_burst() -> None:
    w = Window()
    w.marks(minutes=30)
    for i in range(20):
        w.trade(
            f"B{i}",
            f"L{i}",
            1,
            MARK,
            at(15, i),
            taker="sell",
            seller_effect="close",
            seller_pnl=-100.0,
        )
    [alert] = run_rule(w, "market_stress")
    assert alert["metrics"]["liquidated_accounts"] == 20
    assert len(alert["evidence"]["trade_ids"]) == 20


def test_a_calm_market_with_ordinary_losing_closes_is_quiet() -> None:
    w = Window()
    w.marks(minutes=30)
    for i in range(19):
        w.trade(
            f"B{i}",
            f"L{i}",
            1,
            MARK,
            at(15, i),
            taker="sell",
            seller_effect="close",
            seller_pnl=-100.0,
        )
    assert run_rule(w, "market_stress") == []
