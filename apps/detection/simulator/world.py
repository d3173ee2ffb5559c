"""The simulated exchange's state while a window is being generated.

Accounts are integers 0..n-1 while generating (account i is ``U{i+1:06d}`` on disk), so
everything stays in numpy arrays. Each planted incident takes its accounts out of the free
pool, so incidents and hard negatives never share an account and labels stay unambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

MS_PER_MINUTE = 60_000
MS_PER_DAY = 86_400_000
WINDOW_START = pd.Timestamp("2026-11-20T00:00:00Z")


def account_ids(n: int) -> np.ndarray:
    return np.array([f"U{i + 1:06d}" for i in range(n)], dtype=object)


@dataclass
class World:
    rng: np.random.Generator
    n_accounts: int
    hours: int
    start_ms: int = int(WINDOW_START.value // 1_000_000)
    # Role of every account: "background" until a planter claims it.
    role: np.ndarray = field(init=False)
    labels: list[dict[str, Any]] = field(default_factory=list)
    tables: dict[str, list[pd.DataFrame]] = field(default_factory=dict)
    # Population facts the market part needs.
    registered_ms: np.ndarray = field(init=False)
    api_allowed: np.ndarray = field(init=False)
    market_maker: np.ndarray = field(init=False)
    # Accounts that must never trade with each other (same household or cluster).
    group: np.ndarray = field(init=False)
    next_group: int = 1
    # Whose home IP an account uses: its own, or its household's first member's.
    household_ip: np.ndarray = field(init=False)
    transfer_seq: int = 0
    # Accounts a role must take (role -> accounts), so a later day keeps its standing roles.
    reserved: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = self.n_accounts
        self.role = np.full(n, "background", dtype=object)
        self.registered_ms = np.zeros(n, dtype=np.int64)
        self.api_allowed = np.zeros(n, dtype=bool)
        self.market_maker = np.zeros(n, dtype=bool)
        self.group = np.zeros(n, dtype=np.int64)
        self.household_ip = np.arange(n, dtype=np.int64)

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.hours * 3_600_000

    @property
    def ids(self) -> np.ndarray:
        return account_ids(self.n_accounts)

    def claim(self, count: int, role: str, *, established: bool = True) -> np.ndarray:
        """Take ``count`` free background accounts for a planted role (the accounts
        ``reserve`` set aside for it, when it did)."""
        if role in self.reserved:
            chosen = self.reserved.pop(role)
            if len(chosen) != count:
                raise ValueError(f"{len(chosen)} accounts reserved for {role}, {count} wanted")
            self.role[chosen] = role
            return chosen
        free = np.flatnonzero(self.role == "background")
        if established:
            # Incidents that need a history (theft victims, whales) take older accounts.
            old = free[self.registered_ms[free] < self.start_ms - 30 * MS_PER_DAY]
            free = old if len(old) >= count else free
        if len(free) < count:
            raise ValueError(f"not enough free accounts for {role}: raise --accounts")
        chosen = np.sort(self.rng.choice(free, size=count, replace=False))
        self.role[chosen] = role
        return chosen

    def reserve(self, role: str, accounts: np.ndarray) -> None:
        """Set ``accounts`` aside for ``role``: no other planter claims them, and the
        role's claim takes exactly them."""
        if (self.role[accounts] != "background").any():
            raise ValueError(f"accounts reserved for {role} already have a role")
        self.role[accounts] = f"reserved:{role}"
        self.reserved[role] = np.sort(accounts)

    def new_group(self, members: np.ndarray) -> int:
        self.group[members] = self.next_group
        self.next_group += 1
        return self.next_group - 1

    def add(self, table: str, frame: pd.DataFrame) -> None:
        self.tables.setdefault(table, []).append(frame)

    def label(
        self, category: str, accounts: np.ndarray | list[int], symbol: str | None, kind: str
    ) -> None:
        ids = self.ids
        self.labels.append(
            {
                "category": category,
                "accounts": sorted(str(ids[i]) for i in accounts),
                "symbol": symbol,
                "kind": kind,
            }
        )

    def span(self, duration_ms: int) -> int:
        """Start of a random stretch of ``duration_ms`` inside the window and one UTC day,
        so that daily counts of an incident are not split across two days."""
        days = max(1, -(-self.hours * 3_600_000 // MS_PER_DAY))
        day = int(self.rng.integers(0, days))
        lo = self.start_ms + day * MS_PER_DAY
        hi = min(lo + MS_PER_DAY, self.end_ms) - duration_ms
        if hi <= lo:
            return lo
        return int(self.rng.integers(lo, hi))

    def times(self, count: int, start_ms: int, duration_ms: int) -> np.ndarray:
        return np.sort(start_ms + self.rng.integers(0, max(1, duration_ms), size=count))
