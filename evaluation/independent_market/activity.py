"""Background logins, deposits, withdrawals, friend transfers and campaign sign-ups."""

from __future__ import annotations

import numpy as np

from .book import DayBook
from .spec import MS_PER_DAY, MS_PER_MIN


def order_accounts(book: DayBook) -> dict[int, int]:
    """Account -> its first order time in this book."""
    book.flush()
    first: dict[int, int] = {}
    for ch in book.chunks:
        acct, created = ch["acct"], ch["created"]
        order = np.argsort(created)[::-1]
        first.update(zip(acct[order].tolist(), created[order].tolist(), strict=True))
    return first


def logins(book: DayBook) -> None:
    rng, accs = book.rng, book.pop.accounts
    first = order_accounts(book)
    idle = [
        a.idx
        for a in accs
        if a.registered_at < book.start and not a.scripted and rng.random() < 0.1
    ]
    for i in list(first) + idle:
        if i in book.manual_login:
            continue
        a = accs[i]
        times = list(rng.integers(book.start, book.end, size=int(rng.poisson(1.0))))
        t0 = first.get(i)
        if t0 is not None and t0 - book.start > 20 * MS_PER_MIN:
            times.append(t0 - int(rng.integers(1, 20)) * MS_PER_MIN)
        elif t0 is None or not times:
            times.append(int(rng.integers(book.start, book.end)))
        for t in times:
            ip = a.ips[0] if rng.random() < 0.75 else a.ips[int(rng.integers(0, len(a.ips)))]
            dev = (
                a.devices[0]
                if rng.random() < 0.7
                else a.devices[int(rng.integers(0, len(a.devices)))]
            )
            book.login(i, int(t), ip, dev)


def transfers(book: DayBook) -> None:
    rng, accs = book.rng, book.pop.accounts
    span = book.end - book.start
    day_frac = span / MS_PER_DAY
    live = [a for a in accs if a.registered_at < book.start and not (book.is_window and a.scripted)]
    for a in live:
        u = rng.random(2)
        if u[0] < 0.06 * day_frac:
            amt = max(20.0, a.balance * rng.uniform(0.05, 0.5))
            book.transfer(
                a.idx, int(rng.integers(book.start, book.end)), "deposit", amt, a.addresses[0]
            )
        if u[1] < 0.04 * day_frac:
            own = [x for x in a.addresses if x not in book.pop.hot_wallets] or a.addresses
            addr = a.addresses[0] if rng.random() < 0.2 else own[int(rng.integers(0, len(own)))]
            amt = max(10.0, a.balance * rng.uniform(0.02, 0.3))
            book.transfer(a.idx, int(rng.integers(book.start, book.end)), "withdrawal", amt, addr)
    retail = [a.idx for a in live if a.kind == "retail"]
    for _ in range(int(len(accs) * 0.003 * day_frac)):
        src, dst = (int(x) for x in rng.choice(retail, size=2, replace=False))
        book.internal(
            int(rng.integers(book.start, book.end)), src, dst, float(rng.lognormal(4.0, 1.0))
        )


def promotions(book: DayBook) -> None:
    """Campaigns ordinary users join: welcome trial for new users, deposit bonus, VIP rebate."""
    rng, accs = book.rng, book.pop.accounts
    day = book.start // MS_PER_DAY
    deposits = {t[0]: t for t in book.transfers if t[2] == "deposit"}
    for a in accs:
        if a.registered_at >= book.start or (book.is_window and a.scripted):
            continue
        joined = int(rng.integers(book.start, book.end))
        paid = joined + int(rng.integers(10, 600)) * MS_PER_MIN
        paid = paid if paid < book.end else -1
        if book.start - a.registered_at < 7 * MS_PER_DAY and rng.random() < 0.3:
            book.promo(
                f"WELCOME-{day}", a.idx, joined, float(rng.choice([10, 20, 50])), "trial_fund", paid
            )
        elif a.idx in deposits and rng.random() < 0.15:
            dep = deposits[a.idx]
            reward = min(500.0, 0.1 * dep[3])
            book.promo(
                f"DEPBONUS-{day}",
                a.idx,
                max(joined, dep[1]),
                reward,
                "deposit_bonus",
                max(paid, dep[1] + 1) if paid > 0 else -1,
            )
        elif a.vip >= 2 and rng.random() < 0.03:
            book.promo(
                f"VIPREBATE-{day}",
                a.idx,
                joined,
                round(float(rng.uniform(5, 300)), 2),
                "fee_rebate",
                paid,
            )
