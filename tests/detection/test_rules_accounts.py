"""Control, theft, profit and promotions: positive and negative cases."""

from __future__ import annotations

import pandas as pd

from .builder import DAY, Window, at
from .conftest import run_rule

MARK = 100_000.0
OLD = DAY - pd.Timedelta(days=20)


def test_a_shared_funding_wallet_is_a_common_control_alert_with_evidence() -> None:
    w = Window()
    w.marks(minutes=2)
    for account in ("U3", "U1", "U2"):
        w.transfer(account, "deposit", 100.0, at(1), address="wallet-9")
    [alert] = run_rule(w, "common_control")
    assert alert["accounts"] == ["U1", "U2", "U3"] and alert["symbol"] is None
    assert alert["dedup_key"] == "common_control:U1:-:2026-11-20"
    assert {link["kind"] for link in alert["evidence"]["links"]} == {"address"}


def test_an_exchange_hot_wallet_links_nobody() -> None:
    w = Window()
    w.marks(minutes=2)
    for i in range(30):
        w.transfer(f"U{i}", "deposit", 100.0, at(1), address="hot-wallet")
    assert run_rule(w, "common_control") == []


def _victim(w: Window) -> None:
    w.marks(minutes=2)
    w.login("U1", OLD, "10.0.0.1", "own-phone")
    w.transfer("U1", "withdrawal", 50.0, OLD, address="own-wallet")


def test_a_new_device_and_ip_then_a_withdrawal_to_a_new_wallet_is_theft() -> None:
    w = Window()
    _victim(w)
    w.login("U1", at(10), "45.1.1.1", "strange-phone")
    w.transfer("U1", "internal_out", 9000.0, at(30), counterparty="MULE")
    w.transfer("MULE", "internal_in", 9000.0, at(30), counterparty="U1")
    w.transfer("MULE", "withdrawal", 9000.0, at(40), address="thief-wallet")
    [alert] = run_rule(w, "account_theft")
    assert alert["accounts"] == ["U1", "MULE"]
    assert alert["metrics"]["amount"] == 9000.0
    assert alert["evidence"]["login"]["device_id"] == "strange-phone"


def test_a_withdrawal_to_a_known_wallet_or_from_a_known_device_is_not_theft() -> None:
    w = Window()
    _victim(w)
    w.login("U1", at(10), "45.1.1.1", "strange-phone")
    w.transfer("U1", "withdrawal", 9000.0, at(30), address="own-wallet")
    w.login("U2", OLD, "10.0.0.2", "phone-2")
    w.login("U2", at(10), "45.1.1.2", "phone-2")  # new network, same phone
    w.transfer("U2", "withdrawal", 9000.0, at(30), address="new-wallet")
    w.login("U3", OLD, "10.0.0.3", "phone-3")
    w.transfer("U3", "deposit", 100_000.0, at(1), address="wallet-3")
    w.login("U3", at(10), "45.1.1.3", "new-phone")
    w.transfer("U3", "withdrawal", 4000.0, at(30), address="new-wallet-3")  # 4% of its funds
    w.login("U4", OLD, "10.0.0.4", "phone-4")
    w.login("U4", at(10), "45.1.1.4", "new-phone-4")
    w.transfer("U4", "internal_out", 45.0, at(30), counterparty="FRIEND")  # a friend's 45 USDT
    assert run_rule(w, "account_theft") == []


def test_large_profit_at_a_near_perfect_win_rate_is_abnormal() -> None:
    # Ten round trips (buy to open, sell to close), each won.
    w = Window()
    for i in range(10):
        w.trade("U1", f"O{i}", 1, MARK, at(2 * i))
        w.trade(f"C{i}", "U1", 1, MARK, at(2 * i + 1), seller_effect="close", seller_pnl=5000.0)
    [alert] = run_rule(w, "abnormal_pnl")
    metrics = alert["metrics"]
    assert (metrics["realized_pnl"], metrics["win_rate"], metrics["round_trips"]) == (
        50000.0,
        1.0,
        10,
    )
    assert metrics["how"] == "won on nearly every round trip"


def test_one_position_closed_in_many_winning_fills_is_one_good_call() -> None:
    # A whale closing one trend position in ten fills has won once, not ten times.
    w = Window()
    for i in range(10):
        w.trade("U1", f"C{i}", 1, MARK, at(i), buyer_effect="close", buyer_pnl=5000.0)
    assert run_rule(w, "abnormal_pnl") == []


def test_a_big_trader_winning_half_the_time_is_normal() -> None:
    w = Window()
    for i in range(20):
        pnl = 20_000.0 if i % 2 else -5000.0
        w.trade("WHALE", f"C{i}", 1, MARK, at(i), buyer_effect="close", buyer_pnl=pnl)
    assert run_rule(w, "abnormal_pnl") == []


def test_three_new_linked_accounts_in_one_campaign_are_bonus_farming() -> None:
    w = Window()
    w.marks(minutes=2)
    for account in ("U1", "U2", "U3"):
        w.account(account, registered_at=DAY - pd.Timedelta(days=2))
        w.login(account, at(0), f"ip-{account}", "farm-phone")
        w.promotion("CAMP-1", account, at(30))
    [alert] = run_rule(w, "promo_abuse")
    assert alert["accounts"] == ["U1", "U2", "U3"]
    assert alert["evidence"]["campaign_id"] == "CAMP-1"


def test_unlinked_or_long_standing_accounts_in_a_campaign_are_fine() -> None:
    w = Window()
    w.marks(minutes=2)
    for account in ("U1", "U2", "U3"):  # new but unrelated
        w.account(account, registered_at=DAY - pd.Timedelta(days=2))
        w.promotion("CAMP-1", account, at(30))
    for account in ("U4", "U5", "U6"):  # linked but long-standing customers
        w.login(account, at(0), f"ip-{account}", "family-phone")
        w.promotion("CAMP-1", account, at(30))
    assert run_rule(w, "promo_abuse") == []
