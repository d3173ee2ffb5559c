"""What a rule is and what it finds."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..context import MS_PER_DAY, Context, day_start

EVIDENCE_IDS = 200  # ids kept per evidence list: enough to audit, far under 64 KiB
EVIDENCE_BYTES = 64 * 1024


@dataclass
class Finding:
    """One rule's verdict on some accounts (or a symbol) in one window of time."""

    subject: str  # what the dedup key names: an account, a cluster key, a campaign...
    accounts: list[str]
    symbol: str | None
    window_start: pd.Timestamp
    window_end: pd.Timestamp
    score: float
    summary: str
    metrics: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    code: str
    category: str
    description: str
    default_params: dict[str, Any]
    run: Callable[[Context, dict[str, Any]], list[Finding]]
    # Findings name one symbol and need only that symbol's rows, so a window can be
    # split by symbol across workers; account-level rules see the whole window.
    per_symbol: bool = True


def score(ratio: float, base: float = 50.0) -> float:
    """0-100 from how far past its threshold the evidence is: 1x -> 50, 2x -> 75, 4x -> 100."""
    if not math.isfinite(ratio) or ratio <= 0:
        return 0.0
    return round(max(0.0, min(100.0, base + 25.0 * math.log2(ratio))), 1)


def severity(value: float) -> str:
    if value >= 85:
        return "critical"
    if value >= 65:
        return "high"
    if value >= 40:
        return "medium"
    return "low"


def capped(values: Any, limit: int = EVIDENCE_IDS) -> list[str]:
    return [str(v) for v in list(values)[:limit]]


def fit_evidence(evidence: dict[str, Any]) -> dict[str, Any]:
    """Halve the longest lists until the evidence fits in 64 KiB."""
    while len(json.dumps(evidence, default=str)) > EVIDENCE_BYTES:
        longest = max(
            (k for k, v in evidence.items() if isinstance(v, list)),
            key=lambda k: len(evidence[k]),
        )
        evidence[longest] = evidence[longest][: len(evidence[longest]) // 2]
        evidence["truncated"] = True
    return evidence


def day_window(day: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    return day_start(day), day_start(day) + pd.Timedelta(milliseconds=MS_PER_DAY)


def account_day_finding(
    who: str,
    sym: str,
    day: int,
    *,
    strength: float,
    summary: str,
    metrics: dict[str, Any],
    evidence: dict[str, Any],
) -> Finding:
    """What one account did in one contract over one UTC day; the account is the subject."""
    start, end = day_window(day)
    return Finding(
        subject=who,
        accounts=[who],
        symbol=sym,
        window_start=start,
        window_end=end,
        score=strength,
        summary=summary,
        metrics=metrics,
        evidence=evidence,
    )


def feed_window(ctx: Context) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The whole window: from the first to the last event, widened to whole days."""
    stamps = [
        frame[col]
        for name, col in (("orders", "created_at"), ("trades", "ts"), ("mark_prices", "ts"))
        if (frame := ctx.feed.table(name)) is not None and len(frame)
    ]
    if not stamps:
        now = pd.Timestamp.now(tz="UTC").floor("D")
        return now, now + pd.Timedelta(days=1)
    first = min(s.min() for s in stamps).floor("D")
    last = max(s.max() for s in stamps).floor("D") + pd.Timedelta(days=1)
    return first, last
