"""Limits and machine-speed trading: positive and negative cases."""

from __future__ import annotations

import pytest

from apps.detection.rules import daily_open_limit

from .builder import Window, at
from .conftest import run_rule

MARK = 100_000.0


def test_linked_accounts_over_the_position_limit_together_are_an_alert() -> None:
    w = Window()
    for account in ("U1", "U2"):
        w.login(account, at(0), f"ip-{account}", "shared-phone")
        w.position(account, 600, at(60))
    [alert] = run_rule(w, "combined_position_limit")
    assert alert["accounts"] == ["U1", "U2"]
    assert alert["metrics"]["ratio"] == 1.2 and alert["symbol"] == "BTCUSDT"


def test_unlinked_accounts_or_opposite_positions_stay_under_the_limit() -> None:
    w = Window()
    w.position("U1", 600, at(60))
    w.position("U2", 600, at(60))  # strangers
    for account, qty in (("U3", 700), ("U4", -500)):  # one controller, netted
        w.login(account, at(0), f"ip-{account}", "phone-34")
        w.position(account, qty, at(60))
    assert run_rule(w, "combined_position_limit") == []


def _build(w: Window, account: str, minutes: list[float], offset_s: float) -> None:
    """Six market sells of 100 contracts: a short position built in a handful of orders."""
    for minute in minutes:
        w.order(account, "sell", 100, None, at(minute, offset_s), filled=100)
    w.position(account, -600, at(60))


def test_holders_who_built_one_position_in_step_are_one_group() -> None:
    # Seeds 23 and 32 (INC-048, INC-050): no device, IP or wallet in common, but a third
    # of each account's orders went in within the same second: one hand's timing.
    w = Window()
    _build(w, "U1", [1, 5, 9, 12, 20, 30], 0.0)
    _build(w, "U2", [1, 6, 8, 11, 24, 30], 0.02)
    [alert] = run_rule(w, "combined_position_limit")
    assert alert["accounts"] == ["U1", "U2"] and alert["metrics"]["ratio"] == 1.2
    # The alert says why they are one group: the orders sent together.
    [pair] = alert["evidence"]["orders_in_step"]
    assert pair["accounts"] == ["U1", "U2"] and pair["orders"] == 2
    assert any("sent together" in line["label"] for line in alert["evidence"]["explain"])


def test_holders_who_built_the_same_position_apart_stay_apart() -> None:
    # Seed 23's HN-010: two whales on one carrier NAT, equal orders on one side, at their
    # own moments; and one moment in common is chance, not a habit.
    w = Window()
    w.login("U1", at(0), "100.64.0.1", "phone-1")
    w.login("U2", at(0), "100.64.0.1", "phone-2")
    _build(w, "U1", [1, 7, 13, 19, 25, 31], 0.0)
    _build(w, "U2", [1, 10, 16, 22, 28, 34], 0.5)
    assert run_rule(w, "combined_position_limit") == []


def test_one_account_over_the_limit_on_its_own_is_not_a_combined_position() -> None:
    # A whale briefly over the limit in a single account (seed 23's HN-018): no position
    # is split over linked accounts; the exchange's per-account risk limit is its matter.
    w = Window()
    w.position("U1", -1350, at(60))
    w.login("U2", at(0), "ip-U2", "phone-2")
    w.login("U3", at(0), "ip-U3", "phone-2")
    w.position("U2", 1100, at(60))  # one controller, its other account holds nothing
    assert run_rule(w, "combined_position_limit") == []


def test_opening_more_than_the_daily_limit_is_an_alert() -> None:
    w = Window()
    w.trade("U1", "U2", 3000, MARK, at(1))
    w.trade("U1", "U3", 2001, MARK, at(2))
    w.trade(
        "U1", "U4", 9000, MARK, at(3), buyer_effect="close", seller_effect="close"
    )  # closing does not count
    [alert] = run_rule(w, "daily_open_limit")
    assert alert["accounts"] == ["U1"] and alert["metrics"]["opened"] == 5001


def test_opening_exactly_the_daily_limit_is_allowed() -> None:
    w = Window()
    w.trade("U1", "U2", 5000, MARK, at(1), seller_effect="close")
    assert run_rule(w, "daily_open_limit") == []


def _machine_speed(w: Window, account: str, minutes: int, per_minute: int, **kw: object) -> None:
    for m in range(minutes):
        for i in range(per_minute):
            w.order(account, "buy", 1, MARK, at(10 + m, i * 60 / per_minute), **kw)  # type: ignore[arg-type]


def test_machine_speed_orders_without_authorisation_are_an_alert() -> None:
    w = Window()
    _machine_speed(w, "U1", 3, 120)  # 2 messages/s in one instrument, 3 minutes
    [alert] = run_rule(w, "unauthorized_algo")
    assert alert["accounts"] == ["U1"] and alert["symbol"] is None
    assert alert["metrics"]["fast_minutes"] == 3


def test_authorised_api_traders_and_short_bursts_stay_quiet() -> None:
    w = Window()
    w.account("API", api_trading_allowed=True)
    _machine_speed(w, "API", 10, 300, channel="api")
    _machine_speed(w, "U1", 2, 120)
    _machine_speed(w, "U2", 5, 100)
    assert run_rule(w, "unauthorized_algo") == []


def test_api_orders_from_an_account_without_authorisation_are_an_alert() -> None:
    w = Window()
    for i in range(10):
        w.order("U1", "buy", 1, MARK, at(i), channel="api")
    [alert] = run_rule(w, "unauthorized_algo")
    assert alert["metrics"]["api_orders"] == 10


def _opening_past_the_limit_by_rounding(w: Window) -> None:
    # 5000 then ten fills too small to move a plain float sum: only a compensated sum
    # (pandas') carries them past the 5000 limit.
    w.trade("U1", "U2", 5000, MARK, at(1), seller_effect="close")
    for i in range(10):
        w.trade("U1", "U2", 1e-13, MARK, at(2 + i), seller_effect="close")


def test_a_limit_crossed_only_in_the_exact_sum_is_still_found() -> None:
    w = Window()
    _opening_past_the_limit_by_rounding(w)
    [alert] = run_rule(w, "daily_open_limit")
    assert alert["accounts"] == ["U1"] and alert["metrics"]["opened"] > 5000


def test_too_many_keys_to_count_at_once_give_the_same_alert(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(daily_open_limit, "DENSE_KEYS", 0)
    w = Window()
    _opening_past_the_limit_by_rounding(w)
    w.trade("U3", "U4", 5001, MARK, at(30), seller_effect="close")
    alerts = run_rule(w, "daily_open_limit")
    assert [a["accounts"] for a in alerts] == [["U1"], ["U3"]]
