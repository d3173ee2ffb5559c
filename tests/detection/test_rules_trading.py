"""Self-trades, linked trading and cancels: each rule's positive and negative case."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from apps.detection.engine import detect
from apps.detection.memory import AccountMemory

from .builder import Window, at
from .conftest import run_rule

MARK = 100_000.0


def _linked(window: Window, *accounts: str) -> None:
    for account in accounts:
        window.login(account, at(0), f"ip-{account}", "shared-phone")


def test_five_self_trades_in_a_contract_in_a_day_are_an_alert() -> None:
    w = Window()
    w.marks()
    for i in range(5):
        w.trade("U1", "U1", 2, MARK, at(i + 1))
    w.trade("U1", "U2", 10, MARK, at(7))
    [alert] = run_rule(w, "self_trade")
    assert alert["accounts"] == ["U1"] and alert["symbol"] == "BTCUSDT"
    assert alert["metrics"] == {"self_trades": 5, "self_volume_share": 0.5, "notional": 1000.0}
    assert alert["evidence"]["trade_ids"] == ["T1", "T2", "T3", "T4", "T5"]
    assert alert["dedup_key"] == "self_trade:U1:BTCUSDT:2026-11-20"


def test_four_self_trades_are_incidental() -> None:
    w = Window()
    for i in range(4):
        w.trade("U1", "U1", 2, MARK, at(i + 1))
    assert run_rule(w, "self_trade") == []


def test_a_window_without_self_trades_has_no_self_trade_alert() -> None:
    w = Window()
    w.marks()
    w.trade("U1", "U2", 10, MARK, at(1))
    assert run_rule(w, "self_trade") == []


def test_a_window_without_trades_has_no_self_trade_alert() -> None:
    w = Window()
    w.marks()
    w.login("U1", at(0), "ip-U1", "phone-U1")
    assert run_rule(w, "self_trade") == []


def test_a_fill_between_two_self_traders_counts_in_both_volume_shares() -> None:
    w = Window()
    w.marks()
    for i in range(5):
        w.trade("U1", "U1", 2, MARK, at(i + 1))
        w.trade("U2", "U2", 2, MARK, at(i + 1))
    w.trade("U2", "U1", 10, MARK, at(7))  # U1 sells to U2: in both shares, once each
    w.trade("U3", "U1", 30, MARK, at(8), symbol="ETHUSDT")  # another contract: in neither
    shares = {
        a["accounts"][0]: a["metrics"]["self_volume_share"] for a in run_rule(w, "self_trade")
    }
    assert shares == {"U1": 0.5, "U2": 0.5}


def test_linked_accounts_trading_with_each_other_are_an_alert() -> None:
    w = Window()
    w.marks()
    _linked(w, "U1", "U2")
    for i in range(5):
        w.trade("U1" if i % 2 else "U2", "U2" if i % 2 else "U1", 1, MARK, at(i + 1))
    [alert] = run_rule(w, "linked_mutual_trade")
    assert alert["accounts"] == ["U1", "U2"] and alert["metrics"]["mutual_trades"] == 5


def test_a_household_trading_with_the_same_stranger_is_not_linked_trading() -> None:
    w = Window()
    w.marks()
    w.login("U1", at(0), "10.0.0.1", "D1")  # one shared home IP: a household
    w.login("U2", at(0), "10.0.0.1", "D2")
    for i in range(6):
        w.trade("U1", "U3", 1, MARK, at(i + 1))
        w.trade("U3", "U2", 1, MARK, at(i + 1))
    assert run_rule(w, "linked_mutual_trade") == []
    assert run_rule(w, "common_control") == []


def test_accounts_on_two_ips_that_trade_together_repeatedly_are_linked() -> None:
    w = Window()
    w.marks()
    for ip in ("10.0.0.1", "10.0.0.2"):  # one shared IP alone could be a household
        w.login("U1", at(0), ip, "D1")
        w.login("U2", at(0), ip, "D2")
    for i in range(5):
        w.trade("U1", "U2", 1, MARK, at(i + 1))
    assert [a["accounts"] for a in run_rule(w, "linked_mutual_trade")] == [["U1", "U2"]]


def _home_pair(w: Window, *others: str) -> None:
    """U1 and U2 on one home IP (``others`` too), each on its own phone, trading with
    each other 6 times at the mark."""
    w.marks()
    for account in ("U1", "U2", *others):
        w.login(account, at(0), "10.0.0.1", f"phone-{account}")
    for i in range(6):
        w.trade("U1" if i % 2 else "U2", "U2" if i % 2 else "U1", 1, MARK, at(i + 1))


def test_a_pair_trading_together_on_an_ip_nobody_else_uses_is_one_controller() -> None:
    w = Window()
    _home_pair(w)
    [alert] = run_rule(w, "linked_mutual_trade")
    assert alert["accounts"] == ["U1", "U2"]
    assert alert["dedup_key"] == "linked_mutual_trade:U1+U2:BTCUSDT:2026-11-20"
    assert alert["metrics"]["mutual_trades"] == 6
    assert alert["evidence"]["used_by_these_two_alone"] == [
        {"kind": "ip", "value": "10.0.0.1", "accounts": ["U1", "U2"]}
    ]
    assert "the only users of IP 10.0.0.1" in alert["summary"]
    labels = [row["label"] for row in alert["evidence"]["explain"]]
    assert labels[0] == "trades between the two accounts that day"
    assert any(label.startswith("identifiers the two use and no other") for label in labels)
    # Read by this rule alone: the pair is no cluster for any other rule.
    assert run_rule(w, "common_control") == []


def test_an_ip_a_third_account_uses_too_ties_no_trading_pair() -> None:
    w = Window()
    _home_pair(w, "U3")  # a household of three, or a carrier NAT
    assert run_rule(w, "linked_mutual_trade") == []


def test_an_ip_the_desk_saw_another_account_use_ties_no_trading_pair() -> None:
    w = Window()
    _home_pair(w)
    identifiers = pd.DataFrame(
        {"account_id": ["U1"], "kind": ["ip"], "value": ["10.0.0.1"]}
    )  # U1 used it before; so did an account outside the window (3 users remembered)
    widths = pd.DataFrame({"kind": ["ip"], "value": ["10.0.0.1"], "accounts": [3]})
    memory = replace(AccountMemory.empty(), identifiers=identifiers, widths=widths)
    found = detect(w.feed(), enabled={"linked_mutual_trade"}, memory=memory)
    assert found == []
    # The desk remembering only the two of them changes nothing.
    widths = widths.assign(accounts=[1])
    memory = replace(AccountMemory.empty(), identifiers=identifiers, widths=widths)
    found = detect(w.feed(), enabled={"linked_mutual_trade"}, memory=memory)
    assert [a["accounts"] for a in found] == [["U1", "U2"]]


def test_an_exclusive_ip_pair_needs_five_fills_in_one_contract() -> None:
    w = Window()
    _home_pair(w)
    for i in range(4):  # four in another contract: under the 5 there
        w.trade("U1", "U2", 1, MARK, at(10 + i), symbol="ETHUSDT")
    w.marks("ETHUSDT", price=MARK)
    assert [a["symbol"] for a in run_rule(w, "linked_mutual_trade")] == ["BTCUSDT"]


def _cancels(w: Window, account: str, count: int, **kwargs: object) -> None:
    for i in range(count):
        w.order(account, "buy", 1, MARK, at(i * 0.1), cancelled=at(i * 0.1, 1), **kwargs)  # type: ignore[arg-type]


def test_500_cancels_over_two_contracts_are_not_500_in_one() -> None:
    w = Window()
    _cancels(w, "U1", 250)
    _cancels(w, "U1", 250, symbol="ETHUSDT")
    _cancels(w, "U2", 499)
    _cancels(w, "U2", 1, symbol="ETHUSDT")
    assert run_rule(w, "frequent_cancel") == []
    _cancels(w, "U2", 1)  # the 500th in one contract
    [alert] = run_rule(w, "frequent_cancel")
    assert alert["accounts"] == ["U2"] and alert["metrics"]["cancels"] == 500


def test_500_cancels_in_a_contract_in_a_day_are_frequent_cancelling() -> None:
    w = Window()
    _cancels(w, "U1", 500)
    [alert] = run_rule(w, "frequent_cancel")
    assert alert["metrics"]["cancels"] == 500 and alert["metrics"]["fill_ratio"] == 0.0
    assert len(alert["evidence"]["order_ids"]) == 200  # capped


def test_499_cancels_or_a_market_maker_or_a_trading_api_client_stay_quiet() -> None:
    w = Window()
    _cancels(w, "U1", 499)
    w.account("MM", market_maker=True, api_trading_allowed=True)
    _cancels(w, "MM", 3000, channel="api")
    _cancels(w, "API", 600)
    for i in range(100):  # a quarter of its orders trade: real intent to trade
        w.trade("API", "U9", 1, MARK, at(i))
    assert run_rule(w, "frequent_cancel") == []


def test_an_unauthorised_bot_pulling_its_orders_is_one_alert_not_two() -> None:
    w = Window()
    _cancels(w, "BOT", 600, channel="api")  # no algo authorisation: unauthorized_algo
    for i in range(600):  # a person on the web page, at a person's uneven pace
        placed = at(seconds=i * 12 + (i * i % 13) * 0.7)
        w.order("U1", "buy", 1, MARK, placed, cancelled=placed + pd.Timedelta(seconds=40))
    alerts = detect(w.feed(), enabled={"frequent_cancel", "unauthorized_algo"})
    assert {(a["rule"], tuple(a["accounts"])) for a in alerts} == {
        ("unauthorized_algo", ("BOT",)),
        ("frequent_cancel", ("U1",)),
    }
