"""What a plan is: a planted incident or a hard negative, and how it writes its rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .book import DayBook
from .prices import Impulse


@dataclass
class Plan:
    id: str
    category: str  # incident category, or the hard negative's kind
    accounts: list[int]
    symbol: int | None
    strength: str  # blatant / moderate / subtle; "" for hard negatives
    how: str
    run: Callable[[DayBook], None]
    impulses: list[Impulse] = field(default_factory=list)
    history_run: Callable[[DayBook], None] | None = None  # extra rows on history days
    negative: bool = False
    imitates: tuple[str, ...] = ()
