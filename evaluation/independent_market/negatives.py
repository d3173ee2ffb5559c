"""Hard negatives: legitimate behaviour that looks like an incident."""

from __future__ import annotations

import numpy as np

from .book import DayBook
from .kit import Kit, qty, round_trips, usual_login
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
    _trader_like(kit, trend)
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


def _trader_like(kit: Kit, trend: int) -> None:
    pop = kit.pop
    api = pop.pick("api", 1)[0]
    syms = sorted({kit.sym(tag="neg_api") for _ in range(3)})

    def hf(book: DayBook) -> None:
        for s in syms:
            for _ in range(int(book.rng.integers(400, 480))):
                t, side = book.at(0.01, 0.98), int(book.rng.integers(0, 2))
                book.order(
                    api,
                    s,
                    side,
                    book.touch(s, t, 1 - side),
                    qty(s, 1.0),
                    t,
                    t + int(book.rng.integers(200, 3_000)),
                )
            for _ in range(300):
                t = book.at(0.01, 0.98)
                book.take(t, s, api, int(book.rng.integers(0, 2)), qty(s, 1.0))

    kit.add(
        "authorised_api_high_frequency",
        [api],
        None,
        "",
        "authorised API trader: ~2,000 "
        "orders, 400-480 cancels in each of 3 contracts (under 500 per contract)",
        hf,
        negative=True,
        imitates=("unauthorized_algo", "frequent_cancel"),
    )
    manual = pop.pick("retail", 1)[0]
    s_m = kit.sym(tag="neg")

    def busy(book: DayBook) -> None:
        t = book.at(0.02, 0.05)
        for _ in range(350):
            t += int(book.rng.lognormal(3.0, 0.8) * 1000)
            if t > book.end - 10_000:
                break
            side = int(book.rng.integers(0, 2))
            if book.rng.random() < 0.5:
                book.take(t, s_m, manual, side, qty(s_m, 1.0))
            else:
                book.order(
                    manual,
                    s_m,
                    side,
                    book.touch(s_m, t, 1 - side, 1),
                    qty(s_m, 1.0),
                    t,
                    t + int(book.rng.integers(5_000, 60_000)),
                )

    kit.add(
        "active_manual_trader",
        [manual],
        s_m,
        "",
        "350 orders by hand, human gaps",
        busy,
        negative=True,
        imitates=("unauthorized_algo",),
    )
    whale = pop.pick("whale", 1)[0]
    s_w = kit.sym([i for i in range(len(INSTRUMENTS)) if i != trend], tag="neg_whale")
    inst = INSTRUMENTS[s_w]

    def near(book: DayBook) -> None:
        t = book.at(0.05, 0.2)
        for k in range(5):
            book.take(t + k * 10 * MS_PER_MIN, s_w, whale, 1, int(inst.position_limit * 0.17))
        extra = int(inst.daily_open_limit * 0.9) - 5 * int(inst.position_limit * 0.17)
        book.take(t + 80 * MS_PER_MIN, s_w, whale, 1, extra)
        book.take(t + 90 * MS_PER_MIN, s_w, whale, 0, extra, reduce_only=True)

    kit.add(
        "whale_near_limits",
        [whale],
        s_w,
        "",
        "opens 90% of the daily opening limit and holds 85% of the position limit",
        near,
        negative=True,
        imitates=("daily_open_limit", "combined_position_limit"),
    )
    churner = pop.pick("whale", 1)[0]
    s_c = kit.sym([i for i in range(len(INSTRUMENTS)) if i not in (trend, s_w)], tag="neg_whale")
    ic = INSTRUMENTS[s_c]

    def churn(book: DayBook) -> None:
        chunk = int(ic.daily_open_limit * 0.075)
        for k in range(10):
            t = book.at(0.05, 0.9)
            side = k % 2
            book.take(t, s_c, churner, side, chunk)
            book.take(t + 3 * MS_PER_MIN, s_c, churner, 1 - side, chunk, reduce_only=True)

    kit.add(
        "high_volume_under_open_limit",
        [churner],
        s_c,
        "",
        "opens 75% and closes 75% of the "
        "daily opening limit: 150% in volume, under the limit in opens",
        churn,
        negative=True,
        imitates=("daily_open_limit",),
    )
    big = pop.pick("whale", 1)[0]
    s_b = kit.sym(tag="neg")

    def once(book: DayBook) -> None:
        t = book.at(0.1, 0.6)
        book.order(big, s_b, 0, book.away(s_b, t, 0, 0.01), qty(s_b, 80.0), t, t + 30 * MS_PER_MIN)
        round_trips(book, big, s_b, 3, 20.0)

    kit.add(
        "whale_single_large_cancel",
        [big],
        s_b,
        "",
        "one resting 80x order 1% away, cancelled once after 30 minutes",
        once,
        negative=True,
        imitates=("large_cancel",),
    )
    _influencer(kit)


def _influencer(kit: Kit) -> None:
    pop = kit.pop
    ref = pop.pick("retail", 1)[0]
    n = int(kit.rng.integers(40, 80))
    fans = [kit.new_account(kit.t(0.0, 0.8), referrer=ref) for _ in range(n)]
    for f in fans:
        pop.accounts[f].ips = [
            pop.new_ip() if kit.rng.random() < 0.7 else str(kit.rng.choice(pop.nat_ips))
        ]
        pop.accounts[f].devices = [pop.new_device()]
    day = kit.start // 86_400_000

    def run(book: DayBook) -> None:
        for f in fans:
            a = book.pop.accounts[f]
            t = a.registered_at + int(book.rng.integers(2, 60)) * MS_PER_MIN
            if t >= book.end - 120_000:
                continue
            book.manual_login.add(f)
            book.login(f, t, a.ips[0], a.devices[0])
            book.transfer(f, t + 60_000, "deposit", float(book.rng.lognormal(5, 1)), a.addresses[0])
            book.promo(f"WELCOME-{day}", f, t + 90_000, 20.0, "trial_fund")
            s = int(book.rng.choice([0, 1, 3]))
            tt = min(book.end - 60_000, t + int(book.rng.integers(3, 100)) * MS_PER_MIN)
            book.take(tt, s, f, int(book.rng.integers(0, 2)), qty(s, 1.0))

    kit.add(
        "influencer_referrals",
        [ref, *fans],
        None,
        "",
        f"an influencer's {n} genuine "
        "referrals: sign-ups spread over the window, own IPs and devices, welcome trial",
        run,
        negative=True,
        imitates=("promo_abuse",),
    )
