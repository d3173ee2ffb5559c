"""Hard negatives: legitimate behaviour that looks like an incident."""

from __future__ import annotations

import numpy as np

from .book import DayBook
from .kit import Kit, qty, usual_login
from .negatives_trading import trader_like
from .prices import Impulse
from .spec import DEAR_SYMBOLS, INSTRUMENTS, MS_PER_MIN


def plant_negatives(kit: Kit) -> set[int]:
    """Adds the hard negatives; returns the contract with the orderly trend (no stress there)."""
    pop, rng = kit.pop, kit.rng
    accs = pop.accounts
    mms = [a.idx for a in accs if a.mm]
    kit.add(
        "market_makers",
        mms,
        None,
        "",
        "every market-maker account: thousands of quotes both sides, >90% cancelled",
        lambda b: None,
        negative=True,
        imitates=("frequent_cancel", "large_cancel", "unauthorized_algo"),
    )
    big_mm, slip_mm = mms[0], mms[1]
    s_big = int(rng.choice(DEAR_SYMBOLS))

    def big_quotes(book: DayBook) -> None:
        for _ in range(200):
            t, side = book.at(0.01, 0.98), int(book.rng.integers(0, 2))
            book.order(
                big_mm,
                s_big,
                side,
                book.touch(s_big, t, 1 - side, 2),
                qty(s_big, float(book.rng.uniform(30, 60))),
                t,
                t + int(book.rng.integers(2_000, 10_000)),
            )

    kit.add(
        "market_maker_large_quotes",
        [big_mm],
        s_big,
        "",
        "a market maker quoting 30-60x typical size two levels deep, re-quoted every few seconds",
        big_quotes,
        negative=True,
        imitates=("large_cancel",),
    )
    s_slip = kit.sym(tag="neg")

    def slips(book: DayBook) -> None:
        for _ in range(2):
            t, side = book.at(0.1, 0.9), int(book.rng.integers(0, 2))
            book.cross(
                t,
                s_slip,
                book.touch(s_slip, t, side),
                qty(s_slip, 1.0),
                slip_mm,
                slip_mm,
                side,
                maker_delay=3_000,
            )

    kit.add(
        "market_maker_accidental_self_trade",
        [slip_mm],
        s_slip,
        "",
        "two accidental self-trades (under the exchange's 5)",
        slips,
        negative=True,
        imitates=("self_trade",),
    )

    trend = int(rng.choice([i for i in range(len(INSTRUMENTS)) if i not in (5, 6)]))
    whale = pop.pick("whale", 1)[0]
    kit.add(
        "orderly_trend",
        [],
        trend,
        "",
        "a steady +7% trend across the window",
        lambda b: None,
        [Impulse(trend, kit.start, kit.end, float(np.log(1.07)))],
        negative=True,
        imitates=("market_stress",),
    )
    lim = INSTRUMENTS[trend].position_limit

    def winner(book: DayBook) -> None:
        for k in range(6):
            book.take(book.at(0.01, 0.08) + k * 60_000, trend, whale, 0, int(lim * 0.06))
        for k in range(6):
            book.take(
                book.at(0.9, 0.97) + k * 30_000, trend, whale, 1, int(lim * 0.06), reduce_only=True
            )

    kit.add(
        "fair_winner_trend",
        [whale],
        trend,
        "",
        "whale long 36% of the limit at market early, closed late: a large but fair profit",
        winner,
        negative=True,
        imitates=("abnormal_pnl",),
    )

    for fam in pop.families[:3]:
        s = kit.sym(tag="neg")

        def fam_run(book: DayBook, fam: list[int] = fam, s: int = s) -> None:
            t = book.at(0.2, 0.8)
            book.cross(t, s, book.touch(s, t, 0), qty(s, 1.0), fam[0], fam[1], 0)

        kit.add(
            "family_shared_ip",
            list(fam),
            s,
            "",
            f"{len(fam)} family members behind one "
            "home IP, distinct devices; two of them once trade with each other",
            fam_run,
            negative=True,
            imitates=("common_control", "linked_mutual_trade"),
        )
    nat_users: dict[str, list[int]] = {}
    for a in accs:
        for ip in a.ips:
            if ip in pop.nat_ips:
                nat_users.setdefault(ip, []).append(a.idx)
    busiest = max(nat_users.values(), key=len)
    kit.add(
        "carrier_nat_ip",
        busiest,
        None,
        "",
        f"{len(busiest)} unrelated accounts on one mobile-carrier NAT IP",
        lambda b: None,
        negative=True,
        imitates=("common_control",),
    )
    pair = pop.pick("whale", 2)
    nat_ip = pop.nat_ips[0]
    for i in pair:
        accs[i].ips.insert(0, nat_ip)
    s_pair = kit.sym([i for i in range(len(INSTRUMENTS)) if i != trend], tag="neg")

    def nat_pair(book: DayBook) -> None:
        for i in pair:
            for _ in range(5):
                book.take(
                    book.at(0.05, 0.5), s_pair, i, 0, int(INSTRUMENTS[s_pair].position_limit * 0.12)
                )

    kit.add(
        "nat_pair_positions",
        pair,
        s_pair,
        "",
        "two unrelated whales on the same carrier NAT each hold 60% of the limit long",
        nat_pair,
        negative=True,
        imitates=("combined_position_limit", "common_control"),
    )
    hot = [a.idx for a in accs if a.addresses[0] == pop.hot_wallets[0] and not a.scripted]
    kit.add(
        "hot_wallet_users",
        hot,
        None,
        "",
        f"{len(hot)} accounts funded from one exchange hot wallet",
        lambda b: None,
        negative=True,
        imitates=("common_control",),
    )
    _theft_like(kit)
    trader_like(kit, trend)
    return {trend}


def _theft_like(kit: Kit) -> None:
    pop = kit.pop
    for variant in range(3):
        a = pop.pick(("retail",), 1, min_balance=2000)[0]
        acc = pop.accounts[a]
        ip = acc.ips[0] if variant != 1 else pop.new_ip()
        dev = pop.new_device() if variant != 1 else acc.devices[0]
        addr = pop.new_address() if variant == 2 else acc.addresses[-1]
        dev = acc.devices[0] if variant == 2 else dev

        def run(book: DayBook, a: int = a, ip: str = ip, dev: str = dev, addr: str = addr) -> None:
            book.manual_login.add(a)
            t = book.at(0.2, 0.8)
            book.login(a, t, ip, dev)
            usual_login(book, a, book.at(0.0, 0.15))
            book.transfer(
                a, t + 10 * MS_PER_MIN, "withdrawal", book.pop.accounts[a].balance * 0.6, addr
            )

        kind, how = [
            (
                "new_phone_known_address",
                "new device from the usual IP, withdraws to a known address",
            ),
            (
                "travel_new_ip_known_address",
                "new IP abroad with the usual device, withdraws to a known address",
            ),
            ("new_address_known_device", "usual device and IP, withdraws to a new address"),
        ][variant]
        kit.add(kind, [a], None, "", how, run, negative=True, imitates=("account_theft",))
    pair = pop.pick("retail", 2)

    def friend(book: DayBook) -> None:
        for i in pair:
            usual_login(book, i, book.at(0.0, 0.3))
        book.internal(book.at(0.3, 0.7), pair[0], pair[1], 45.0)

    kit.add(
        "friend_transfer",
        pair,
        None,
        "",
        "one-off 45 USDT internal transfer between unrelated people",
        friend,
        negative=True,
        imitates=("common_control", "account_theft", "linked_mutual_trade"),
    )
