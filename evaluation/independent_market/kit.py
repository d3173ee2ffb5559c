"""Shared tools of the planters: picking accounts, linking them, writing ordinary trading."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .book import DayBook
from .plan import Plan
from .population import Population
from .prices import Impulse
from .spec import INSTRUMENTS, MS_PER_MIN

Run = Callable[[DayBook], None]


class Kit:
    """One seed's planting session: the population, the window and the plans so far."""

    def __init__(self, pop: Population, start: int, end: int, rng: np.random.Generator) -> None:
        self.pop, self.start, self.end, self.rng = pop, start, end, rng
        self.plans: list[Plan] = []
        self.used_syms: dict[str, set[int]] = {}

    def add(
        self,
        category: str,
        accounts: list[int],
        symbol: int | None,
        strength: str,
        how: str,
        run: Run,
        impulses: Iterable[Impulse] = (),
        history_run: Run | None = None,
        negative: bool = False,
        imitates: tuple[str, ...] = (),
    ) -> Plan:
        prefix = "HN" if negative else "INC"
        plan = Plan(
            f"{prefix}-{len(self.plans) + 1:03d}",
            category,
            accounts,
            symbol,
            strength,
            how,
            run,
            list(impulses),
            history_run,
            negative,
            imitates,
        )
        self.plans.append(plan)
        return plan

    def sym(self, choices: Iterable[int] | None = None, tag: str = "") -> int:
        """A contract, preferring ones this tag has not used yet."""
        opts = list(choices) if choices is not None else list(range(len(INSTRUMENTS)))
        used = self.used_syms.setdefault(tag, set())
        fresh = [s for s in opts if s not in used] or opts
        s = int(self.rng.choice(fresh))
        used.add(s)
        return s

    def t(self, lo: float, hi: float) -> int:
        return int(self.start + (self.end - self.start) * self.rng.uniform(lo, hi))

    # ---- links that show in history as well as in the window ---------------------------
    def share_device(self, accts: list[int]) -> str:
        dev = self.pop.new_device()
        for i in accts:
            self.pop.accounts[i].devices.insert(0, dev)
        return dev

    def share_ip(self, accts: list[int]) -> str:
        ip = self.pop.new_ip()
        for i in accts:
            self.pop.accounts[i].ips.insert(0, ip)
        return ip

    def share_address(self, accts: list[int]) -> str:
        addr = self.pop.new_address()
        for i in accts:
            self.pop.accounts[i].addresses.insert(0, addr)
        return addr

    def new_account(self, registered_at: int, referrer: int | None = None) -> int:
        return self.pop.add_account("retail", registered_at, referrer=referrer)


def qty(sym: int, mult: float) -> int:
    return max(1, round(INSTRUMENTS[sym].typical_qty * mult))


def round_trips(
    book: DayBook,
    acct: int,
    sym: int,
    n: int,
    mult: float,
    lo: float = 0.02,
    hi: float = 0.9,
    channel: str | None = None,
    exclude: set[int] | None = None,
) -> None:
    """Ordinary trading: open at market, close some minutes later."""
    rng = book.rng
    for _ in range(n):
        t = book.at(lo, hi)
        side = int(rng.integers(0, 2))
        q = qty(sym, mult * rng.lognormal(0, 0.4))
        book.take(t, sym, acct, side, q, channel=channel, exclude=exclude)
        t2 = min(book.end - 2_000, t + int(rng.integers(1, 40)) * MS_PER_MIN)
        book.take(t2, sym, acct, 1 - side, q, channel=channel, exclude=exclude, reduce_only=True)


def usual_login(book: DayBook, acct: int, t: int) -> None:
    a = book.pop.accounts[acct]
    book.login(acct, t, a.ips[0], a.devices[0])


def history_logins(accts: list[int], device: str | None = None, ip: str | None = None) -> Run:
    """Extra logins on every history day, e.g. from a device the accounts share."""

    def run(book: DayBook) -> None:
        for i in accts:
            a = book.pop.accounts[i]
            book.login(i, book.at(0.1, 0.9), ip or a.ips[0], device or a.devices[0])

    return run


def history_deposits(accts: list[int], address: str) -> Run:
    def run(book: DayBook) -> None:
        for i in accts:
            if book.rng.random() < 0.7:
                amt = float(book.rng.uniform(500, 5000))
                book.transfer(i, book.at(0.05, 0.95), "deposit", amt, address)

    return run
