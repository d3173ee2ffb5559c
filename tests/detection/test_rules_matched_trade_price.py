"""matched_trade_price: off-market prints inside one controller, and ramping by any pair."""

from __future__ import annotations

import math

from apps.detection.engine import detect

from .builder import Window, at
from .conftest import run_rule

MARK = 100_000.0


def _mark(minute: int) -> float:
    """A mark that wanders about 0.1% a minute around MARK."""
    return MARK * (1 + 0.001 * math.sin(1.7 * minute))


def _market(w: Window, minutes: int = 240) -> None:
    """The mark, and ordinary trades printed at it."""
    for m in range(minutes):
        price = _mark(m)
        w.rows["mark_prices"].append(
            {"symbol": "BTCUSDT", "ts": at(m), "mark_price": price, "index_price": price}
        )
        w.trade(f"B{m % 7}", f"S{m % 5}", 1, price, at(m, 30))


def _linked(w: Window, *accounts: str) -> None:
    for account in accounts:
        w.login(account, at(0), f"ip-{account}", "shared-phone")


def _ramp(w: Window, buyer: str, seller: str, *, every: float = 2.0, count: int = 8) -> None:
    """``buyer`` takes from ``seller`` again and again, each print 0.25% higher."""
    for i in range(count):
        w.trade(buyer, seller, 1, MARK * (1 + 0.0025 * i), at(10 + i * every, 5), taker="buy")


def test_linked_trades_far_from_the_mark_are_matched_price_trades() -> None:
    w = Window()
    _market(w)
    _linked(w, "U1", "U2")
    for i, away in enumerate([0.006, 0.012, 0.02]):
        w.trade("U1", "U2", 1, _mark(i + 1) * (1 + away), at(i + 1, 10))
    [alert] = run_rule(w, "matched_trade_price")
    assert alert["accounts"] == ["U1", "U2"]
    assert alert["metrics"]["max_deviation"] == 0.02
    assert alert["metrics"]["deviation_threshold"] == 0.005
    assert run_rule(w, "linked_mutual_trade") == []  # off-market prints are not counted twice


def test_linked_trades_at_the_mark_do_not_move_the_price() -> None:
    w = Window()
    _market(w)
    _linked(w, "U1", "U2")
    for i in range(3):
        w.trade("U1", "U2", 1, _mark(i + 1) * 1.001, at(i + 1, 10))
    assert run_rule(w, "matched_trade_price") == []


def test_off_market_is_relative_to_how_far_the_contracts_trades_stray_from_the_mark() -> None:
    w = Window()
    for m in range(60):  # a thin contract whose ordinary trades print 1% off the mark
        w.marks(start=m, minutes=1, price=MARK)
        w.trade(f"B{m % 7}", f"S{m % 5}", 1, MARK * (1.01 if m % 2 else 0.99), at(m, 30))
    _linked(w, "U1", "U2")
    for i in range(3):  # 1.2%: ordinary here, not painting
        w.trade("U1", "U2", 1, MARK * 1.012, at(i + 1, 10))
    assert run_rule(w, "matched_trade_price") == []


def test_two_unlinked_accounts_ramping_the_price_with_each_other_are_found() -> None:
    w = Window()
    _market(w)
    _ramp(w, "U1", "U2")  # nothing shared: no IP, device or address
    [alert] = run_rule(w, "matched_trade_price")
    assert alert["accounts"] == ["U1", "U2"]
    assert alert["metrics"]["pair_trades"] == 8 and alert["metrics"]["one_way_share"] == 1.0
    assert alert["metrics"]["move_z"] >= 2 and "threshold 2x" in alert["summary"]


def test_a_ramping_pair_on_an_ip_of_its_own_is_one_alert_not_two() -> None:
    w = Window()
    _market(w)
    for account in ("U1", "U2"):  # a home IP only they use: one controller for the wash rule
        w.login(account, at(0), "10.0.0.1", f"phone-{account}")
    _ramp(w, "U1", "U2")
    for i in range(6):  # and, the same way, fills at the market
        w.trade("U1", "U2", 1, _mark(40 + i), at(40 + i, 5), taker="buy")
    both = {"matched_trade_price", "linked_mutual_trade"}
    assert run_rule(w, "linked_mutual_trade") != []
    alerts = detect(w.feed(), enabled=both)
    assert [a["rule"] for a in alerts] == ["matched_trade_price"]


def test_a_client_buying_from_the_same_seller_now_and_then_on_a_trending_day_is_not_ramping() -> (
    None
):
    w = Window()
    _market(w)
    _ramp(w, "U1", "U2", every=25.0)
    assert run_rule(w, "matched_trade_price") == []


def test_a_bot_meeting_the_same_seller_among_its_many_trades_is_not_ramping() -> None:
    # The same eight prints, but U1 is a bot that also bought 40 times from others over
    # those 14 minutes: its fills with U2 are a sixth of its trading there (under a
    # quarter), chance meetings on a rising market, not two accounts trading together.
    w = Window()
    _market(w)
    _ramp(w, "U1", "U2")
    for i in range(40):
        w.trade("U1", f"X{i}", 1, _mark(10 + i // 3), at(10 + i // 3, 20 + i % 3))
    assert run_rule(w, "matched_trade_price") == []
    # A bot that bought 20 times from others: its fills with U2 are 8 of 28, over a quarter.
    w = Window()
    _market(w)
    _ramp(w, "U1", "U2")
    for i in range(20):
        w.trade("U1", f"X{i}", 1, _mark(10 + i // 2), at(10 + i // 2, 20 + i % 2))
    [alert] = run_rule(w, "matched_trade_price")
    assert alert["metrics"]["pair_share"] == round(8 / 28, 3)


def test_two_accounts_trading_both_ways_at_market_are_not_ramping() -> None:
    w = Window()
    _market(w)
    for i in range(8):
        buyer, seller = ("U1", "U2") if i % 2 else ("U2", "U1")
        w.trade(buyer, seller, 1, MARK * (1 + 0.0025 * i), at(10 + 2 * i, 5))
    assert run_rule(w, "matched_trade_price") == []


def test_a_taker_lifting_a_market_makers_quotes_is_not_ramping() -> None:
    w = Window()
    _market(w)
    w.account("MM", market_maker=True, api_trading_allowed=True)
    _ramp(w, "U1", "MM")
    assert run_rule(w, "matched_trade_price") == []


def _against_index(index_rises: float) -> Window:
    """U2 takes from U1, selling, ten times from minute 10 three minutes apart, at prints
    that stay where the market was (the wandering mark); meanwhile the contract's index,
    and its mark with it, rises by ``index_rises`` over those minutes."""
    w = Window()
    for m in range(240):
        price = _mark(m) * (1 + index_rises * min(max(m - 10, 0), 27) / 27)
        w.rows["mark_prices"].append(
            {"symbol": "BTCUSDT", "ts": at(m), "mark_price": price, "index_price": price}
        )
        w.trade(f"B{m % 7}", f"S{m % 5}", 1, price, at(m, 30))
    for i in range(10):
        w.trade("U1", "U2", 1, _mark(10 + 3 * i), at(10 + 3 * i, 5), taker="sell")
    return w


def test_a_pair_holding_the_price_down_while_its_index_rises_is_ramping() -> None:
    # Their prints stay flat while the index rises 3 %: pushed 3 % down against it.
    [alert] = run_rule(_against_index(0.03), "matched_trade_price")
    assert alert["accounts"] == ["U1", "U2"]
    assert alert["metrics"]["moved_against_index"] is True
    assert alert["metrics"]["move_against_index"] > 0.025  # in the push's direction
    assert abs(alert["metrics"]["price_move"]) < 0.005  # not by the price's own move
    assert "against its index" in alert["summary"]
    assert (
        alert["evidence"]["explain"][0]["label"] == "price moved against its index by their prints"
    )


def test_a_pair_printing_where_the_index_is_is_not_ramping() -> None:
    # The same prints, the index following the price: an ordinary market, no push.
    assert run_rule(_against_index(0.0), "matched_trade_price") == []


def _sweeps(w: Window, orders: int) -> None:
    """U1 sends ``orders`` buy orders two minutes apart, each filling three resting
    orders of U2, each order 0.5 % higher than the last."""
    for i in range(orders):
        price = MARK * (1 + 0.005 * i)
        w.sweep("U1", "U2", [price, price * 1.0005, price * 1.001], at(10 + 2 * i, 5))


def test_one_taker_order_filling_several_resting_orders_is_one_print() -> None:
    # Three taker orders, nine trades: three prints, short of the five a ramp needs.
    w = Window()
    _market(w)
    _sweeps(w, 3)
    assert run_rule(w, "matched_trade_price") == []
    w = Window()
    _market(w)
    _sweeps(w, 5)
    [alert] = run_rule(w, "matched_trade_price")
    assert alert["metrics"]["taker_orders"] == 5 and alert["metrics"]["pair_trades"] == 15


def test_a_ramp_down_is_told_as_the_share_of_the_price_it_took_off() -> None:
    # The seller hits the same buyer eight times, each print 3 % under the last: from
    # 100,000 to 80,798, a fall of 19.2 % (the log fall, read as a rise, would say 23.8 %).
    w = Window()
    _market(w)
    for i in range(8):
        w.trade("U1", "U2", 1, MARK * 0.97**i, at(10 + 2 * i, 5), taker="sell")
    [alert] = run_rule(w, "matched_trade_price")
    assert alert["metrics"]["price_move"] == round(1 - 0.97**7, 5)
    assert "(its price -19.20%)" in alert["summary"]


def test_a_pair_printing_ever_higher_above_the_mark_is_ramping_whoever_takes() -> None:
    # U2 sells into U1's bids eight times (the seller takes), each print 0.25 % higher
    # and above the mark: the price is paid up, not sold down.
    w = Window()
    _market(w)
    for i in range(8):
        w.trade("U1", "U2", 1, MARK * (1 + 0.0025 * (i + 1)), at(10 + 2 * i, 5), taker="sell")
    [alert] = run_rule(w, "matched_trade_price")
    assert alert["metrics"]["direction_from"] == "prints against the mark"
    assert "printing above the mark, moving it up" in alert["summary"]
