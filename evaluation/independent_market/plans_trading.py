"""Planted trading abuse: self-trades, linked and price-moving matched trades, cancels, algos."""

from __future__ import annotations

import itertools

import numpy as np

from .book import DayBook
from .kit import Kit, history_deposits, history_logins, qty, round_trips
from .prices import Impulse
from .spec import CHEAP_SYMBOLS, DEAR_SYMBOLS, INSTRUMENTS, MS_PER_MIN, MS_PER_S, THIN_SYMBOLS

NON_MM = ("retail", "api", "whale")


def self_trade(kit: Kit, strength: str, v: int) -> None:
    a = kit.pop.pick(("retail", "api"), 1)[0]
    s = kit.sym(tag="self")
    n = {
        "blatant": int(kit.rng.integers(80, 200)),
        "moderate": int(kit.rng.integers(15, 31)),
        "subtle": int(kit.rng.integers(6, 9)),
    }[strength]
    burst = strength == "blatant"
    lo = kit.rng.uniform(0.05, 0.6)

    def run(book: DayBook) -> None:
        span = (lo, lo + 0.1) if burst else (0.03, 0.97)
        round_trips(book, a, s, int(book.rng.integers(10, 30)), 1.5)
        for t in sorted(book.at(*span) for _ in range(n)):
            side = int(book.rng.integers(0, 2))
            price = book.touch(s, t, side)
            ch = ("web", "app")[v % 2] if book.pop.accounts[a].channel != "api" else "api"
            book.cross(
                t,
                s,
                price,
                qty(s, 2.0),
                a,
                a,
                side,
                taker_channel=ch,
                maker_delay=int(book.rng.integers(20, 5_000)),
            )

    how = {
        "blatant": f"{n} self-trades in about an hour, own resting order hit by own order",
        "moderate": f"{n} self-trades across the window among ordinary trading",
        "subtle": f"only {n} self-trades (just above the exchange's 5), spread out",
    }[strength]
    kit.add("self_trade", [a], s, strength, how, run)


def linked_mutual(kit: Kit, strength: str, v: int) -> None:
    size = 3 if v % 4 == 2 else 2
    g = kit.pop.pick(NON_MM, size, min_balance=2000)
    s = kit.sym(tag="mutual")
    hist = None
    if v % 4 == 0:
        kit.share_device(g)
        kit.share_ip(g)
        link, n = "share a device and a home IP", int(kit.rng.integers(80, 150))
    elif v % 4 == 1:
        addr = kit.share_address(g)
        hist = history_deposits(g, addr)
        link, n = "are funded from the same external address", int(kit.rng.integers(25, 41))
    elif v % 4 == 2:
        link, n = (
            "are chained by internal transfers at the window start",
            int(kit.rng.integers(10, 15)),
        )
    else:
        dev = kit.pop.new_device()
        hist = history_logins(g, device=dev)
        link, n = "used one device on history days only", int(kit.rng.integers(25, 40))

    def run(book: DayBook) -> None:
        if v % 4 == 2:
            for x, y in itertools.pairwise(g):
                book.internal(book.at(0.0, 0.05), x, y, float(book.rng.uniform(2000, 9000)))
        for x in g:
            round_trips(book, x, s, int(book.rng.integers(5, 20)), 1.5, exclude=set(g))
        for t in sorted(book.at(0.05, 0.95) for _ in range(n)):
            m, k = (int(i) for i in book.rng.choice(g, size=2, replace=False))
            side = int(book.rng.integers(0, 2))
            book.cross(
                t,
                s,
                book.touch(s, t, side),
                qty(s, 3.0),
                k,
                m,
                side,
                maker_delay=int(book.rng.integers(200, 20_000)),
            )

    how = f"{size} accounts that {link} trade {n} times with each other at market prices"
    kit.add("linked_mutual_trade", g, s, strength, how, run, history_run=hist)


def matched_price(kit: Kit, strength: str, v: int) -> None:
    g = kit.pop.pick(NON_MM, 2, min_balance=1000)
    s = kit.sym((*THIN_SYMBOLS, 4, 2) if v >= 2 else THIN_SYMBOLS, tag="matched")
    hist = None
    if v % 4 == 0:
        kit.share_ip(g)
        link = "sharing a home IP"
    elif v % 4 == 1:
        addr = kit.share_address(g)
        hist = history_deposits(g, addr)
        link = "funded from one address"
    else:
        link = "sharing no IP, device or address (only their timing links them)"
    if v % 4 == 3:
        t1 = kit.end - int(kit.rng.integers(2, 5)) * MS_PER_MIN
        t0 = t1 - 10 * MS_PER_MIN
        move, n, revert = 0.015, int(kit.rng.integers(8, 12)), 0.0
    else:
        t0 = kit.t(0.15, 0.65)
        t1 = t0 + int({"blatant": 20, "moderate": 30, "subtle": 15}[strength] * MS_PER_MIN)
        move = {"blatant": 0.06, "moderate": -0.03, "subtle": 0.02}[strength]
        n = {
            "blatant": int(kit.rng.integers(30, 41)),
            "moderate": int(kit.rng.integers(15, 26)),
            "subtle": int(kit.rng.integers(8, 11)),
        }[strength]
        revert = 0.6
    imp = Impulse(s, int(t0), int(t1), float(np.log1p(move)), revert, 40 * MS_PER_MIN, False)
    up = move > 0
    pusher, holder = g

    def run(book: DayBook) -> None:
        for x in g:
            round_trips(book, x, s, int(book.rng.integers(3, 10)), 2.0, exclude=set(g))
        side = 0 if up else 1
        q = qty(s, 8.0)
        for t in np.linspace(t0, t1, n).astype(np.int64):
            lead = book.prices.mid_at(s, int(t) + 20 * MS_PER_S)
            price = book.away(s, int(t), 1 - side, 0.0)
            price = max(price, lead) if up else min(price, lead)
            price = round(
                round(price / INSTRUMENTS[s].tick) * INSTRUMENTS[s].tick, INSTRUMENTS[s].decimals
            )
            book.cross(
                int(t),
                s,
                price,
                q,
                pusher,
                holder,
                side,
                maker_delay=int(book.rng.integers(50, 400)),
            )
        t_out = min(book.end - 60_000, int(t1) + 2 * MS_PER_MIN)
        book.take(t_out, s, pusher, 1 - side, q * n, exclude=set(g))
        book.take(t_out + 30_000, s, holder, side, q * n, exclude=set(g))

    how = (
        f"2 accounts {link} trade {n} times with each other at prices leading the market, "
        f"moving {INSTRUMENTS[s].symbol} {move:+.1%} in {(t1 - t0) // MS_PER_MIN} min"
    )
    kit.add("matched_trade_price", g, s, strength, how, run, [imp], history_run=hist)


def frequent_cancel(kit: Kit, strength: str, v: int) -> None:
    a = kit.pop.pick("api" if v % 4 == 0 else "retail", 1, min_balance=500)[0]
    s = kit.sym(tag="fcancel")
    n = {
        "blatant": int(kit.rng.integers(2500, 4000)),
        "moderate": int(kit.rng.integers(700, 1000)),
        "subtle": int(kit.rng.integers(510, 600)),
    }[strength]
    burst = v % 4 == 3
    life = {"blatant": 1_500, "moderate": 6_000, "subtle": 30_000}[strength]
    lo = kit.rng.uniform(0.05, 0.6)

    def run(book: DayBook) -> None:
        span = (lo, lo + 0.06) if burst else (0.02, 0.97)
        round_trips(book, a, s, int(book.rng.integers(5, 15)), 1.0)
        for t in sorted(book.at(*span) for _ in range(n)):
            side = int(book.rng.integers(0, 2))
            price = book.touch(s, t, 1 - side, int(book.rng.integers(0, 2)))
            book.order(a, s, side, price, qty(s, 1.5), t, t + 100 + int(book.rng.exponential(life)))

    how = (
        f"{n} orders placed and cancelled in {INSTRUMENTS[s].symbol} at the touch, mean life "
        f"{life / 1000:.1f}s"
        + (", in one short burst" if burst else "")
        + (", by an authorised API account" if v % 4 == 0 else "")
    )
    kit.add("frequent_cancel", [a], s, strength, how, run)


def large_cancel(kit: Kit, strength: str, v: int) -> None:
    a = kit.pop.pick(("retail", "whale", "api"), 1, min_balance=3000)[0]
    s = kit.sym(CHEAP_SYMBOLS if v % 4 == 2 else DEAR_SYMBOLS if v % 4 == 3 else None, tag="lc")
    layers = 4 if v % 4 == 1 else 1
    mult = {"blatant": 80.0, "moderate": 30.0, "subtle": 20.0}[strength]
    n = {
        "blatant": int(kit.rng.integers(40, 60)),
        "moderate": int(kit.rng.integers(12, 20)),
        "subtle": int(kit.rng.integers(8, 14)),
    }[strength]

    def run(book: DayBook) -> None:
        round_trips(book, a, s, int(book.rng.integers(3, 10)), 2.0)
        for t in sorted(book.at(0.03, 0.95) for _ in range(n)):
            side = int(book.rng.integers(0, 2))
            life = int(book.rng.uniform(500, 4_000 if strength == "blatant" else 10_000))
            for lvl in range(layers):
                price = book.touch(s, t, 1 - side, 1 + lvl)
                book.order(
                    a,
                    s,
                    side,
                    price,
                    qty(s, mult * book.rng.uniform(0.8, 1.3)),
                    t + lvl * 40,
                    t + life + lvl * 30,
                )
            # the genuine small order on the other side that the fake size is meant to help
            book.take(t + life // 2, s, a, 1 - side, qty(s, 1.0))

    how = (
        f"{n} {'ladders of 4 orders' if layers > 1 else 'orders'} of ~{mult:.0f}x the "
        f"typical {INSTRUMENTS[s].symbol} order near the touch, cancelled within seconds, "
        "while a small order on the other side fills"
    )
    kit.add("large_cancel", [a], s, strength, how, run)


def unauthorized_algo(kit: Kit, strength: str, v: int) -> None:
    a = kit.pop.pick("retail", 1, min_balance=500)[0]
    acc = kit.pop.accounts[a]
    syms = sorted({kit.sym(tag="algo") for _ in range(4 if v % 4 == 0 else 2 if v % 4 != 1 else 1)})
    variant = v % 4
    t_start = kit.t(0.02, 0.4)

    def run(book: DayBook) -> None:
        rng = book.rng
        if variant == 0:  # unauthorised API key, bursts of ~10 orders a second
            n = int(rng.integers(3000, 5000))
            bursts = np.sort(rng.integers(book.start + 60_000, book.end - 60_000, n // 10))
            ts = (np.repeat(bursts, 10) + np.tile(np.arange(10) * 100, len(bursts))).tolist()
        elif variant == 1:  # a scripted browser: one order every 2.000 s for hours
            n = int(rng.integers(3000, 5000))
            ts = (t_start + np.arange(n) * 2_000 + rng.integers(-15, 16, n)).tolist()
        elif variant == 2:  # app, cancel-replace bursts at 150-400 ms gaps
            n = int(rng.integers(600, 900))
            bursts = np.sort(rng.integers(book.start + 60_000, book.end - 60_000, n // 8))
            ts = (
                np.repeat(bursts, 8) + np.tile(np.cumsum(rng.integers(150, 400, 8)), len(bursts))
            ).tolist()
        else:  # unauthorised API key, sub-second market orders
            n = int(rng.integers(1200, 2000))
            ts = np.sort(rng.integers(book.start + 60_000, book.end - 60_000, n)).tolist()
        ch = "api" if variant in (0, 3) else ("web" if variant == 1 else "app")
        for k, t in enumerate(ts):
            if t >= book.end - 5_000:
                break
            s = syms[k % len(syms)]
            side = k % 2 if variant == 1 else int(rng.integers(0, 2))
            if variant in (1, 3) or (variant == 0 and k % 3):
                book.take(int(t), s, a, side, qty(s, 0.5), channel=ch)
            else:
                price = book.touch(s, int(t), 1 - side)
                book.order(
                    a,
                    s,
                    side,
                    price,
                    qty(s, 0.5),
                    int(t),
                    int(t) + int(rng.integers(150, 2_000)),
                    channel=ch,
                )

    how = {
        0: "unauthorised API key sending bursts of ~10 orders a second across 4 contracts",
        1: "web channel but machine-regular: one order every 2.000 s for hours",
        2: "app channel, cancel-and-replace bursts at 150-400 ms gaps",
        3: "unauthorised API key, a market order every few seconds all day",
    }[variant]
    kit.add(
        "unauthorized_algo",
        [a],
        syms[0] if len(syms) == 1 else None,
        strength,
        how + f" (account not authorised; usual channel {acc.channel})",
        run,
    )
