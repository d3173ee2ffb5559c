"""Planted abnormal PnL, promotion farming and market stress."""

from __future__ import annotations

import numpy as np

from .book import DayBook
from .kit import Kit, qty
from .prices import Impulse
from .spec import DEAR_SYMBOLS, INSTRUMENTS, MS_PER_DAY, MS_PER_H, MS_PER_MIN, MS_PER_S


def abnormal_pnl(kit: Kit, strength: str, v: int) -> None:
    variant = v % 4
    rng = kit.rng
    if variant == 0:  # value moved from a linked account at off-market prices
        g = kit.pop.pick(("retail", "api"), 2, min_balance=5000)
        kit.share_address(g)
        s = kit.sym((5, 6, 4, 3), tag="pnl")
        winner, loser = g

        def run(book: DayBook) -> None:
            q = qty(s, 60.0)
            for _ in range(int(book.rng.integers(5, 10))):
                t = book.at(0.1, 0.85)
                book.cross(t, s, book.away(s, t, 0, 0.10), q, winner, loser, 0, maker_delay=900)
                book.take(t + 60_000, s, winner, 1, q, exclude=set(g), reduce_only=True)
                book.take(t + 90_000, s, loser, 0, q, exclude=set(g), reduce_only=True)

        kit.add(
            "abnormal_pnl",
            g,
            s,
            strength,
            "buys ~10% below the market from a linked "
            "account, sells at market: large profit for one, mirror loss for the other",
            run,
        )
    elif variant == 1:  # uncanny timing before sharp moves
        a = kit.pop.pick(("retail", "whale"), 1, min_balance=5000)[0]
        s = kit.sym((*DEAR_SYMBOLS, 2), tag="pnl")
        jumps = sorted(kit.t(0.1, 0.9) for _ in range(int(rng.integers(5, 9))))
        dirs = [1 if rng.random() < 0.5 else -1 for _ in jumps]
        imps = [
            Impulse(s, t, t + 20 * MS_PER_S, d * 0.015) for t, d in zip(jumps, dirs, strict=True)
        ]

        def run(book: DayBook) -> None:
            q = qty(s, 200.0)
            for t, d in zip(jumps, dirs, strict=True):
                side = 0 if d > 0 else 1
                book.take(t - int(book.rng.integers(30, 90)) * MS_PER_S, s, a, side, q)
                book.take(t + 60 * MS_PER_S, s, a, 1 - side, q, reduce_only=True)

        kit.add(
            "abnormal_pnl",
            [a],
            s,
            strength,
            f"opens seconds before each of {len(jumps)} "
            "sharp 1.5% moves and closes after: every trade wins",
            run,
            imps,
        )
    elif variant == 2:  # a small account feeding on stale off-market orders
        a = kit.pop.pick("retail", 1)[0]
        kit.pop.accounts[a].balance = 500.0
        s = kit.sym((2, 3, 4), tag="pnl")

        def run(book: DayBook) -> None:
            book.transfer(
                a, book.at(0.0, 0.05), "deposit", 500.0, book.pop.accounts[a].addresses[0]
            )
            q = qty(s, 20.0)
            for _ in range(int(book.rng.integers(15, 26))):
                t = book.at(0.08, 0.9)
                side = int(book.rng.integers(0, 2))
                book.take(t, s, a, side, q, price_shift=-0.012 if side == 0 else 0.012)
                book.take(
                    t + int(book.rng.integers(30, 120)) * MS_PER_S,
                    s,
                    a,
                    1 - side,
                    q,
                    reduce_only=True,
                )

        kit.add(
            "abnormal_pnl",
            [a],
            s,
            strength,
            "a 500 USDT account wins 15-25 round trips in a "
            "row by filling 1.2% better than the market",
            run,
        )
    else:  # abnormal loss
        a = kit.pop.pick("retail", 1, min_balance=10_000)[0]
        s = kit.sym((2, 3, 4, 5), tag="pnl")

        def run(book: DayBook) -> None:
            bal = book.pop.accounts[a].balance
            q = max(
                1,
                int(bal * 0.5 / (INSTRUMENTS[s].contract_size * book.prices.mid_at(s, book.start))),
            )
            for _ in range(int(book.rng.integers(12, 20))):
                t = book.at(0.1, 0.9)
                side = int(book.rng.integers(0, 2))
                book.take(t, s, a, side, q, price_shift=0.04 if side == 0 else -0.04)
                book.take(
                    t + 45_000,
                    s,
                    a,
                    1 - side,
                    q,
                    reduce_only=True,
                    price_shift=-0.04 if side == 0 else 0.04,
                )

        kit.add(
            "abnormal_pnl",
            [a],
            s,
            strength,
            "loses most of its balance trading at prices "
            "4% worse than the market with many counterparties",
            run,
        )


def promo_abuse(kit: Kit, strength: str, v: int) -> None:
    variant = v % 4
    rng = kit.rng
    n = {
        0: int(rng.integers(20, 40)),
        1: int(rng.integers(10, 16)),
        2: int(rng.integers(5, 9)),
        3: int(rng.integers(8, 13)),
    }[variant]
    master = kit.pop.pick("retail", 1, min_balance=1000)[0] if variant in (0, 2) else None
    if variant == 0:
        reg0 = kit.t(0.05, 0.3)
        regs = [reg0 + int(rng.integers(0, MS_PER_H)) for _ in range(n)]
    elif variant == 2:
        regs = [kit.start - int(rng.uniform(0.2, 5.0) * MS_PER_DAY) for _ in range(n)]
    else:
        regs = [
            kit.t(0.02, 0.5) if variant == 3 else kit.start - int(rng.uniform(0.5, 3) * MS_PER_DAY)
            for _ in range(n)
        ]
    farm: list[int] = []
    for r in regs:
        ref = master if variant == 0 else (farm[-1] if variant == 2 and farm else master)
        farm.append(kit.new_account(r, referrer=ref))
    dev, ip = kit.pop.new_device(), kit.pop.new_ip()
    nat = str(rng.choice(kit.pop.nat_ips))
    addr = kit.pop.new_address()
    day = kit.start // MS_PER_DAY

    def run(book: DayBook) -> None:
        r = book.rng
        s = 3 if variant != 2 else 0
        for k, i in enumerate(farm):
            reg = max(book.pop.accounts[i].registered_at, book.start)
            t = reg + int(r.integers(1, 10)) * MS_PER_MIN
            login_ip = {0: ip, 1: str(r.choice(book.pop.vpn_ips)), 3: nat}.get(
                variant, book.pop.new_ip()
            )
            login_dev = dev if variant == 0 and k % 2 else book.pop.new_device()
            book.manual_login.add(i)
            book.login(i, t, login_ip, login_dev)
            kind, camp, rew = {
                0: ("trial_fund", f"WELCOME-{day}", 50.0),
                1: ("deposit_bonus", f"DEPBONUS-{day}", 20.0),
                2: ("fee_rebate", f"VOLRACE-{day}", 80.0),
                3: ("trial_fund", f"WELCOME-{day}", 20.0),
            }[variant]
            if variant == 1:
                book.transfer(i, t + 60_000, "deposit", 100.0, addr)
            book.promo(camp, i, t + 120_000, rew, kind, t + 40 * MS_PER_MIN)
            if k % 2 and variant != 1:  # wash volume between pairs of farm accounts
                other = farm[k - 1]
                for j in range(3 if variant != 2 else int(r.integers(10, 20))):
                    tt = t + (45 + j * 7) * MS_PER_MIN
                    side = int(r.integers(0, 2))
                    book.cross(
                        tt,
                        s,
                        book.touch(s, tt, side),
                        qty(s, 5.0),
                        i,
                        other,
                        side,
                        maker_delay=int(r.integers(100, 2000)),
                    )
            t_out = min(book.end - 60_000, t + int(r.integers(60, 180)) * MS_PER_MIN)
            if variant == 0 and master is not None:
                book.internal(t_out, i, master, rew * 0.95)
            elif variant in (1, 3):
                book.transfer(i, t_out, "withdrawal", rew + (100.0 if variant == 1 else 0.0), addr)

    how = {
        0: f"{n} accounts opened within an hour under one referrer, one IP and device, farm "
        "the welcome trial fund with wash trades and pass the rewards to the referrer",
        1: f"{n} recent accounts on VPN IPs each deposit 100 from one address for the deposit "
        "bonus and withdraw to it",
        2: f"{n} accounts in a referral chain wash volume in pairs for a fee-rebate race",
        3: f"{n} new accounts behind one carrier IP take the trial fund, trade against each "
        "other and withdraw to one address",
    }[variant]
    accounts = ([master] if master is not None else []) + farm
    kit.add("promo_abuse", accounts, None, strength, how, run)


def market_stress(kit: Kit, strength: str, v: int, avoid: set[int]) -> None:
    variant = v % 4
    s = kit.sym([i for i in range(len(INSTRUMENTS)) if i not in avoid], tag="stress")
    avoid.add(s)
    t0 = kit.t(0.15, 0.8)
    if variant == 0:
        imps = [
            Impulse(
                s, t0, t0 + 120 * MS_PER_S, float(np.log(0.88)), 0.6, 20 * MS_PER_MIN, False, 4.0
            )
        ]
        how, surge = "flash crash of -12% in 2 minutes, partly recovered, with a selling surge", 1
    elif variant == 1:
        up = 0.03 if kit.rng.random() < 0.5 else -0.03
        imps = [
            Impulse(s, t0, t0 + 5 * MS_PER_MIN, up, index_too=False),
            Impulse(s, t0 + 20 * MS_PER_MIN, t0 + 25 * MS_PER_MIN, -up, index_too=False),
        ]
        how, surge = f"contract price {up:+.0%} away from the index for ~20 minutes", 0
    elif variant == 2:
        imps = [Impulse(s, t0, t0 + MS_PER_H, 0.0, vol_factor=6.0)]
        how, surge = "one hour of six-fold volatility without a net move", 0
    else:
        imps = [
            Impulse(
                s, t0, t0 + 5 * MS_PER_MIN, float(np.log(1.08)), 0.5, 30 * MS_PER_MIN, False, 3.0
            )
        ]
        how, surge = "short squeeze: +8% in 5 minutes with a buying surge", -1

    def run(book: DayBook) -> None:
        if not surge:
            return
        side = 1 if surge > 0 else 0
        pool = book.maker_pool[s]
        for _ in range(int(book.rng.integers(80, 200))):
            a = int(pool[book.rng.integers(0, len(pool))])
            if book.pop.accounts[a].mm:
                continue
            t = t0 + int(book.rng.integers(0, 150_000))
            book.take(t, s, a, side, qty(s, 1.0))

    kit.add("market_stress", [], s, strength, how, run, imps)
