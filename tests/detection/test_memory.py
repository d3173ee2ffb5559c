"""The desk's memory in the rules: a one-day window judged against earlier windows."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from apps.detection.engine import detect
from apps.detection.memory import AccountMemory, window_profiles, window_sightings

from .builder import DAY, Window, at

MARK = 100_000.0


def _remembered(*rows: tuple[str, str, str], equity: float = 0.0) -> AccountMemory:
    """A memory holding these (account, kind, value) sightings from yesterday."""
    identifiers = pd.DataFrame(list(rows), columns=["account_id", "kind", "value"])
    accounts = sorted({a for a, _, _ in rows})
    profiles = AccountMemory.empty().profiles
    profiles = pd.DataFrame(
        {
            **{c: [None] * len(accounts) for c in profiles.columns},
            "account_id": accounts,
            "usual_equity": [equity] * len(accounts),
        }
    )
    return AccountMemory(identifiers=identifiers, profiles=profiles)


def _theft(memory: AccountMemory | None, w: Window) -> list[dict]:
    return detect(w.feed(), enabled={"account_theft"}, memory=memory)


def _victim_known_yesterday(equity: float = 0.0) -> AccountMemory:
    return _remembered(
        ("U1", "ip", "10.0.0.1"),
        ("U1", "device", "own-phone"),
        ("U1", "address", "own-wallet"),
        equity=equity,
    )


def _one_day_of_theft() -> Window:
    w = Window()
    w.marks(minutes=120)
    w.login("U1", at(10), "45.1.1.1", "strange-phone")  # the window's first login of U1
    w.transfer("U1", "withdrawal", 9000.0, at(30), address="thief-wallet")
    return w


def test_a_one_day_window_alone_cannot_tell_a_stranger_from_the_owner() -> None:
    assert _theft(None, _one_day_of_theft()) == []
    assert _theft(AccountMemory.empty(), _one_day_of_theft()) == []


def test_with_the_desk_memory_a_new_device_and_a_new_wallet_are_theft() -> None:
    [alert] = _theft(_victim_known_yesterday(), _one_day_of_theft())
    assert alert["accounts"] == ["U1"] and alert["metrics"]["amount"] == 9000.0
    assert alert["metrics"]["new_device"] and alert["metrics"]["new_ip"]
    assert alert["metrics"]["desk_remembers_account"] is True
    assert alert["evidence"]["login"]["device_id"] == "strange-phone"


def test_a_wallet_the_memory_knows_is_not_a_new_destination() -> None:
    w = Window()
    w.marks(minutes=120)
    w.login("U1", at(10), "45.1.1.1", "strange-phone")
    w.transfer("U1", "withdrawal", 9000.0, at(30), address="own-wallet")
    assert _theft(_victim_known_yesterday(), w) == []


def test_a_device_the_memory_knows_on_a_new_network_is_the_owner() -> None:
    w = Window()
    w.marks(minutes=120)
    w.login("U1", at(10), "45.1.1.1", "own-phone")
    w.transfer("U1", "withdrawal", 9000.0, at(30), address="thief-wallet")
    assert _theft(_victim_known_yesterday(), w) == []


def test_a_withdrawal_small_against_the_usual_funds_is_not_theft() -> None:
    # 9,000 of the 200,000 the desk usually sees on the account: 4.5 %, under half.
    assert _theft(_victim_known_yesterday(equity=200_000.0), _one_day_of_theft()) == []


def _drained(price_up: float, price_down: float) -> Window:
    w = Window()
    w.marks(minutes=120)
    w.login("U1", at(5), "10.0.0.1", "strange-phone")  # usual IP, new device
    for i in range(4):
        w.trade("U1", "MULE", 100, price_up, at(10 + 2 * i))  # buys high from the mule
        w.trade("MULE", "U1", 100, price_down, at(11 + 2 * i))  # sells low to it
    return w


def test_an_account_drained_by_losing_trades_into_one_mule_after_a_new_device_is_theft() -> None:
    [alert] = _theft(_victim_known_yesterday(), _drained(MARK * 1.05, MARK * 0.95))
    assert alert["accounts"] == ["U1", "MULE"] and alert["symbol"] == "BTCUSDT"
    # 8 fills of 100 contracts x 0.001 BTC at 5 % off a 100,000 mark: 500 USDT each.
    assert alert["metrics"]["amount"] == 4000.0 and alert["metrics"]["trades"] == 8
    assert not alert["metrics"]["new_ip"]
    assert len(alert["evidence"]["trade_ids"]) == 8


def test_trading_with_one_counterparty_at_the_mark_is_not_theft() -> None:
    assert _theft(_victim_known_yesterday(), _drained(MARK, MARK)) == []


def test_losing_off_the_mark_to_a_market_maker_after_a_new_device_is_not_theft() -> None:
    # The venue's market maker quoting in a fast market is nobody's mule.
    w = _drained(MARK * 1.05, MARK * 0.95)
    w.account("MULE", market_maker=True)
    assert _theft(_victim_known_yesterday(), w) == []


def test_a_window_yields_its_sightings_and_profiles_for_the_memory() -> None:
    w = _one_day_of_theft()
    w.transfer("U1", "internal_out", 50.0, at(40), counterparty="U2")
    w.order("U1", "buy", 10, MARK, at(50))
    feed = w.feed()
    sightings = window_sightings(feed)
    seen = set(zip(sightings["account_id"], sightings["kind"], sightings["value"], strict=True))
    assert ("U1", "device", "strange-phone") in seen
    assert ("U1", "address", "thief-wallet") in seen
    assert ("U1", "counterparty", "U2") in seen
    profile = window_profiles(feed, [{"category": "account_theft", "accounts": ["U1"]}])
    u1 = profile.set_index("account_id").loc["U1"]
    assert u1["orders"] == 1 and u1["order_notional"] == {"BTCUSDT": 1000.0}
    assert u1["usual_equity"] == 9050.0 and u1["findings"] == {"account_theft": 1}


def test_most_of_the_usual_funds_leaving_is_theft_and_says_the_share() -> None:
    [alert] = _theft(_victim_known_yesterday(equity=12_000.0), _one_day_of_theft())
    assert alert["metrics"]["share_of_equity"] == 0.75
    assert "75% of the ~12,000 USDT the desk saw it hold" in alert["summary"]


def _new_phone_at_home(withdrawals: int) -> Window:
    w = Window()
    w.marks(minutes=120)
    w.login("U1", at(10), "10.0.0.1", "new-phone")  # the usual IP
    for i in range(withdrawals):
        w.transfer("U1", "withdrawal", 3000.0 / withdrawals, at(30 + 20 * i), address="new-wallet")
    return w


def test_a_new_phone_on_the_home_network_paying_out_once_is_the_owner() -> None:
    assert _theft(_victim_known_yesterday(), _new_phone_at_home(1)) == []


def test_a_new_phone_on_the_home_network_splitting_the_balance_is_theft() -> None:
    [alert] = _theft(_victim_known_yesterday(), _new_phone_at_home(3))
    assert alert["metrics"]["transfers"] == 3 and not alert["metrics"]["new_ip"]


def test_an_account_the_desk_only_saw_withdraw_has_a_past_to_be_a_stranger_in() -> None:
    memory = _remembered(("U1", "address", "own-wallet"))
    [alert] = _theft(memory, _one_day_of_theft())
    assert alert["accounts"] == ["U1"]


def test_a_session_that_trades_before_paying_out_is_the_owner_when_no_device_is_known() -> None:
    # The desk only saw U1 withdraw: every device is new to it. The session trades the
    # account first (the owner's habit), then pays out: not a stranger emptying it.
    memory = _remembered(("U1", "address", "own-wallet"))
    w = _one_day_of_theft()
    w.order("U1", "buy", 10, MARK, at(15))
    assert _theft(memory, w) == []
    # A device the desk knows makes the new one a stranger, trading or not.
    memory = _remembered(("U1", "address", "own-wallet"), ("U1", "device", "own-phone"))
    [alert] = _theft(memory, w)
    assert alert["accounts"] == ["U1"]


def test_a_second_device_of_the_window_emptying_an_unremembered_account_is_theft() -> None:
    # The desk never saw U1; the window shows its own phone first, then a new phone on
    # the same network paying the balance out in three moves to one wallet.
    w = Window()
    w.marks(minutes=240)
    w.login("U1", at(5), "10.0.0.1", "own-phone")
    w.transfer("U1", "deposit", 9000.0, at(6), address="own-wallet")
    w.login("U1", at(100), "10.0.0.1", "new-phone")
    for i in range(3):
        w.transfer("U1", "withdrawal", 3000.0, at(110 + 30 * i), address="new-wallet")
    memory = _remembered(("U9", "device", "phone-9"))  # a desk that watched earlier windows
    [alert] = _theft(memory, w)
    assert alert["accounts"] == ["U1"] and alert["metrics"]["transfers"] == 3
    assert _theft(memory, _paid_once(w)) == []
    # Paid out at once, but from a device and a network the window never showed it use.
    w.rows["logins"][-1]["ip"] = "45.1.1.1"
    [alert] = _theft(memory, w)
    assert alert["metrics"]["new_ip"] and alert["metrics"]["transfers"] == 1


def _paid_once(w: Window) -> Window:
    """The same window with the payout in one move (the owner's new phone)."""
    w.rows["transfers"] = [t for t in w.rows["transfers"] if t["kind"] != "withdrawal"]
    w.transfer("U1", "withdrawal", 9000.0, at(110), address="new-wallet")
    return w


def test_losing_trades_to_an_old_account_are_no_theft_when_no_device_is_known() -> None:
    # The desk saw U1 only deposit; "new device" says nothing, and MULE is an old
    # account, not one opened for it: abnormal_pnl judges the pair, not theft.
    memory = _remembered(("U1", "address", "own-wallet"))
    assert _theft(memory, _drained(MARK * 1.05, MARK * 0.95)) == []
    memory = _remembered(("U1", "address", "own-wallet"), ("U1", "device", "own-phone"))
    assert len(_theft(memory, _drained(MARK * 1.05, MARK * 0.95))) == 1


def _ahead_of_jumps(jumps: bool) -> Window:
    """U1 buys seconds before six 1.5 % jumps that last two minutes, and sells at the top
    (1,000 USDT each time); the mark otherwise wanders about 0.1 % a minute."""
    entries = [20 + 35 * k for k in range(6)]
    return _ahead_of_moves(entries, [0.015, 0.015] if jumps else [], exit_after=2)


def test_entries_seconds_before_short_sharp_jumps_are_foresight_at_any_profit() -> None:
    # 6,000 USDT is under the 100,000 the account usually holds; the jumps are gone five
    # minutes on. The timing is the evidence.
    memory = _remembered(("U1", "device", "own-phone"), equity=100_000.0)
    [alert] = detect(_ahead_of_jumps(True).feed(), enabled={"abnormal_pnl"}, memory=memory)
    assert alert["accounts"] == ["U1"] and alert["metrics"]["how"] == "entries ahead of sharp moves"
    assert alert["metrics"]["entries_ahead_of_moves"] == 6
    assert detect(_ahead_of_jumps(False).feed(), enabled={"abnormal_pnl"}, memory=memory) == []


def _ahead_of_moves_after_a_dip(path: list[float]) -> Window:
    """U1 buys seconds before each of five moves and sells four minutes on (1,000 USDT
    each time); ``path`` is the mark, relative to the entry's minute, over the four
    minutes after it."""
    return _ahead_of_moves([20 + 40 * k for k in range(5)], path, exit_after=4)


def _ahead_of_moves(entries: list[int], path: list[float], exit_after: int) -> Window:
    """U1 buys seconds before each entry minute and sells ``exit_after`` minutes on (1,000
    USDT each time); ``path``: the mark, relative to the entry's minute, over the minutes
    after it; the mark otherwise wanders about 0.1 % a minute."""
    w = Window()
    for m in range(240):
        price = MARK * (1 + 0.001 * math.sin(1.7 * m))
        for e in entries:
            if e < m <= e + len(path):
                price = MARK * (1 + 0.001 * math.sin(1.7 * e)) * (1 + path[m - e - 1])
        w.rows["mark_prices"].append(
            {"symbol": "BTCUSDT", "ts": at(m), "mark_price": price, "index_price": price}
        )
    for i, e in enumerate(entries):
        w.trade("U1", f"O{i}", 1, MARK * (1 + 0.001 * math.sin(1.7 * e)), at(e, 50))
        w.trade(
            f"C{i}", "U1", 1, MARK, at(e + exit_after, 30), seller_effect="close", seller_pnl=1000.0
        )
    return w


def test_entries_before_sharp_jumps_are_foresight_even_when_the_market_dips_first() -> None:
    # Each time the market slips 0.5 % for two minutes, then jumps 1.2 %: from the entry's
    # minute that is 0.7 % in three minutes, an ordinary-looking move; the jump itself,
    # which the account waited for, is eight ordinary minutes.
    memory = _remembered(("U1", "device", "own-phone"), equity=100_000.0)
    dip_then_jump = [-0.001, -0.005, 0.007, 0.007]
    [alert] = detect(
        _ahead_of_moves_after_a_dip(dip_then_jump).feed(), enabled={"abnormal_pnl"}, memory=memory
    )
    assert alert["accounts"] == ["U1"] and alert["metrics"]["how"] == "entries ahead of sharp moves"
    assert alert["metrics"]["entries_ahead_of_moves"] == 5


@pytest.mark.parametrize(
    "path",
    [
        # The same profit, entries and dips, but the market climbs back at its ordinary
        # pace: a good day, not foresight.
        pytest.param([-0.001, -0.002, -0.0005, 0.001], id="ordinary-climb-after-a-dip"),
        # The market falls 2 % after each purchase and bounces 1 % within a minute: sharp
        # and upward, but the buyer is still losing; a call would not look like that.
        pytest.param([-0.01, -0.02, -0.01, -0.01], id="sharp-rebound-still-under-water"),
    ],
)
def test_moves_after_a_dip_that_are_ordinary_or_leave_it_losing_are_no_foresight(
    path: list[float],
) -> None:
    memory = _remembered(("U1", "device", "own-phone"), equity=100_000.0)
    window = _ahead_of_moves_after_a_dip(path).feed()
    assert detect(window, enabled={"abnormal_pnl"}, memory=memory) == []


def test_a_small_account_filled_better_than_the_market_all_day_is_abnormal_at_any_profit() -> None:
    # U1 (usually 3,000 USDT) buys 100 contracts 1.2 % under the mark and sells at it, 15
    # times: 1,800 USDT, under its capital, but handed to it by the prices, not a call.
    memory = _remembered(("U1", "device", "own-phone"), equity=3000.0)
    w = Window()
    w.marks(minutes=120)
    for i in range(15):
        w.trade("U1", f"O{i}", 100, MARK * 0.988, at(2 + 5 * i))
        w.trade(f"C{i}", "U1", 100, MARK, at(4 + 5 * i), seller_effect="close", seller_pnl=120.0)
    [alert] = detect(w.feed(), enabled={"abnormal_pnl"}, memory=memory)
    assert alert["metrics"]["how"] == "fills better than the market"
    assert alert["metrics"]["realized_pnl"] == 1800.0
    # The same profit at the mark's prices is a good day, not a handed one.
    w = Window()
    w.marks(minutes=120)
    for i in range(15):
        w.trade("U1", f"O{i}", 100, MARK, at(2 + 5 * i))
        w.trade(f"C{i}", "U1", 100, MARK, at(4 + 5 * i), seller_effect="close", seller_pnl=120.0)
    assert detect(w.feed(), enabled={"abnormal_pnl"}, memory=memory) == []


def _handed_among_bigger_winners(wins: int, trips: int) -> Window:
    """U1 (usually 3,000 USDT) buys 100 contracts 1.2 % under the mark and sells at it,
    ``wins`` of its ``trips`` round trips in profit (the rest lose 60 USDT each); 200 other
    accounts each close one trade at the mark's price for more than U1 made all day."""
    w = Window()
    w.marks(minutes=240)
    for i in range(trips):
        pnl = 120.0 if i < wins else -60.0
        w.trade("U1", f"O{i}", 100, MARK * 0.988, at(2 + 5 * i))
        w.trade(f"C{i}", "U1", 100, MARK, at(4 + 5 * i), seller_effect="close", seller_pnl=pnl)
    for i in range(200):
        w.trade(f"W{i}", f"M{i}", 1, MARK, at(100 + i // 4), buyer_effect="close", buyer_pnl=5000.0)
    return w


def test_a_small_account_handed_prices_below_the_days_top_profits_is_found_by_its_edge() -> None:
    # 1,800 USDT is 201st of the day's profits, but first by what it gained against the
    # mark, and 15 round trips won of 15 happen by luck once in 32,768.
    memory = _remembered(("U1", "device", "own-phone"), equity=3000.0)
    [alert] = detect(
        _handed_among_bigger_winners(15, 15).feed(), enabled={"abnormal_pnl"}, memory=memory
    )
    assert alert["accounts"] == ["U1"] and alert["metrics"]["how"] == "fills better than the market"
    odds = next(
        line for line in alert["evidence"]["explain"] if line["label"].startswith("odds against")
    )
    assert odds["label"].startswith("odds against winning 15 of 15 round trips")
    assert odds["value"] == 32768 and odds["unit"] == "to 1"
    # 9 of 10 won happens once in 93 by luck: among 201 accounts, a lucky day.
    assert (
        detect(_handed_among_bigger_winners(9, 10).feed(), enabled={"abnormal_pnl"}, memory=memory)
        == []
    )


def _quiet_victim_emptied_into(receiver: str, opened_days_ago: float) -> Window:
    """U1, a customer of a year the desk never saw, logs in on the phone that runs
    ``receiver`` (opened ``opened_days_ago`` before), sends it 9,000 USDT, and the
    receiver pays it out at once."""
    w = Window()
    w.marks(minutes=120)
    w.account(receiver, registered_at=DAY - pd.Timedelta(days=opened_days_ago))
    w.login(receiver, at(5), "78.7.7.7", "thief-phone")
    w.login("U1", at(8), "46.2.2.2", "thief-phone")
    w.transfer("U1", "internal_out", 9000.0, at(17), counterparty=receiver)
    w.transfer(receiver, "internal_in", 9000.0, at(17), counterparty="U1")
    w.transfer(receiver, "withdrawal", 8900.0, at(29), address="thief-wallet")
    return w


def test_a_quiet_account_emptied_into_a_fresh_account_from_its_phone_is_theft() -> None:
    # The desk watched earlier windows (it remembers U9) but never saw U1: every device is
    # new to it. The phone, though, runs the account the money goes to, opened yesterday.
    memory = _remembered(("U9", "device", "phone-9"))
    [alert] = _theft(memory, _quiet_victim_emptied_into("MULE", opened_days_ago=1))
    assert alert["accounts"] == ["U1", "MULE"]
    assert alert["metrics"]["device_of_new_account"] == "MULE"
    assert "on the device of MULE, an account opened in the last 7 days" in alert["summary"]
    # The same phone, but the money goes to a long-standing account: one person's two
    # accounts (or a family's tablet), not a thief's mule.
    assert _theft(memory, _quiet_victim_emptied_into("SPOUSE", opened_days_ago=400)) == []
    # The fresh account's phone, but the money goes elsewhere: not the mule pattern.
    w = _quiet_victim_emptied_into("MULE", opened_days_ago=1)
    w.rows["transfers"] = [t for t in w.rows["transfers"] if t["kind"] != "internal_out"]
    w.transfer("U1", "withdrawal", 9000.0, at(17), address="new-wallet")
    assert _theft(memory, w) == []


def test_a_ramp_is_the_ramp_not_the_foresight_of_the_account_that_ran_it() -> None:
    # U1 sells to U2 eight times, each print 1 % under the last, and the mark follows:
    # every short it opened was "followed by a sharp move its way", the move its own
    # prints made. One alert, the ramp; abnormal_pnl does not take it over.
    w = Window()
    for m in range(120):
        step = min(max((m - 10) // 2 + 1, 0), 8)
        price = MARK * (1 + 0.001 * math.sin(1.7 * m)) * 0.99**step
        w.rows["mark_prices"].append(
            {"symbol": "BTCUSDT", "ts": at(m), "mark_price": price, "index_price": price}
        )
    for i in range(8):
        w.trade("U2", "U1", 1, MARK * 0.99**i, at(10 + 2 * i, 5), taker="sell")
    w.trade("U1", "C1", 8, MARK * 0.92, at(40), taker="buy", buyer_effect="close", buyer_pnl=3000.0)
    memory = _remembered(("U1", "device", "own-phone"), equity=100_000.0)
    found = detect(w.feed(), enabled={"abnormal_pnl", "matched_trade_price"}, memory=memory)
    assert [alert["rule"] for alert in found] == ["matched_trade_price"]


def _funds_three_accounts(onward: bool) -> Window:
    """U1, known to the desk, logs in from a new phone and moves 3,000 USDT to each of
    three accounts on the exchange; with ``onward`` one of them pays it out at once."""
    w = Window()
    w.marks(minutes=120)
    w.login("U1", at(10), "45.1.1.1", "strange-phone")
    for i, sub in enumerate(("SUB1", "SUB2", "SUB3")):
        w.transfer("U1", "internal_out", 3000.0, at(20 + i), counterparty=sub)
        w.transfer(sub, "internal_in", 3000.0, at(20 + i), counterparty="U1")
    if onward:
        w.transfer("SUB2", "withdrawal", 2990.0, at(40), address="thief-wallet")
    return w


def test_a_balance_spread_over_three_accounts_that_keep_it_is_the_owner_funding_them() -> None:
    # A master account funding its sub-accounts: the money stays on the exchange.
    assert _theft(_victim_known_yesterday(), _funds_three_accounts(onward=False)) == []
    # One of them pays it straight out: a thief's mules.
    [alert] = _theft(_victim_known_yesterday(), _funds_three_accounts(onward=True))
    assert alert["accounts"][0] == "U1" and "SUB2" in alert["accounts"]
