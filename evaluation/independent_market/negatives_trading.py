"""Hard negatives that trade: busy but legitimate traders, whales near limits, referrals."""

from __future__ import annotations

from .book import DayBook
from .kit import Kit, qty, round_trips
from .spec import INSTRUMENTS, MS_PER_MIN


def trader_like(kit: Kit, trend: int) -> None:
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
