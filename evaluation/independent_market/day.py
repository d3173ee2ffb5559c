"""One day-window end to end: prices, background, plans, activity, positions -> rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import activity, flow
from .book import DayBook
from .ledger import Ledger, settle
from .plan import Plan
from .population import Population
from .prices import PricePaths
from .spec import MS_PER_H


@dataclass
class DayRows:
    start: int
    end: int
    orders: dict[str, np.ndarray]
    filled: np.ndarray
    trades: dict[str, np.ndarray]
    snaps: list[tuple[int, int, int, int, float]]
    book: DayBook
    prices: PricePaths


def run_day(
    pop: Population,
    ledger: Ledger,
    gpos: dict[int, int],
    start: int,
    end: int,
    last: list[float],
    rng: np.random.Generator,
    plans: list[Plan],
    is_window: bool,
    intensity: float,
) -> DayRows:
    impulses = [imp for p in plans for imp in p.impulses] if is_window else []
    prices = PricePaths(start, end, last, impulses, rng)
    book = DayBook(start, end, pop, prices, rng, is_window)
    active = flow.active_accounts(book)
    flow.set_pools(book, active)
    flow.takers(book, active, gpos, intensity)
    flow.resting(book, active, intensity)
    for plan in plans:
        if is_window:
            plan.run(book)
        elif plan.history_run is not None:
            plan.history_run(book)
    activity.logins(book)
    activity.transfers(book)
    activity.promotions(book)
    book.flush()
    orders = {c: np.concatenate([ch[c] for ch in book.chunks]) for c in book.chunks[0]}
    owner = orders["acct"].astype(np.int64)
    snap_times = [*range(start, end, 4 * MS_PER_H), end]
    trades, snaps = settle(ledger, owner, book.fills, snap_times)
    n = len(owner)
    filled = np.zeros(n, dtype=np.int64)
    if len(trades["qty"]):
        q = trades["qty"].astype(np.int64)
        filled += np.bincount(trades["boid"].astype(np.int64), weights=q, minlength=n).astype(
            np.int64
        )
        filled += np.bincount(trades["soid"].astype(np.int64), weights=q, minlength=n).astype(
            np.int64
        )
    return DayRows(start, end, orders, filled, trades, snaps, book, prices)
