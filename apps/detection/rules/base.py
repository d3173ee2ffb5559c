"""What a rule is and what it finds."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..context import MS_PER_DAY, Context, day_start
from .views import cached

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
    # Each metric beside its threshold, from explain(); the engine puts it in
    # evidence["explain"]. None for rules not converted yet: the page then lists metrics.
    explain: list[dict[str, Any]] | None = None
    # From urgency(); None falls back to the score alone (rules not converted yet).
    severity: str | None = None


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
    # More specific rules whose findings take the place of this rule's on the same
    # accounts (rules/covered.py): one alert per situation.
    covered_by: tuple[str, ...] = ()
    # Whether it (or a rule covering it) reads ctx.linkage. Those that do not run first,
    # while the accounts are still being linked on another thread (engine.run_window).
    reads_links: bool = True
    # A large share of a run's rule time (over 0.4 s on the bench window): the two
    # threads that share the rules take these first from their ends of the queue, so
    # both finish on small ones (engine.SharedRules). Only the order changes.
    heavy: bool = False


def score(ratio: float, base: float = 50.0) -> float:
    """0-100 from how far past its threshold the evidence is: 1x -> 50, 2x -> 75, 4x -> 100."""
    if not math.isfinite(ratio) or ratio <= 0:
        return 0.0
    return round(max(0.0, min(100.0, base + 25.0 * math.log2(ratio))), 1)


COMPARISONS = {">=": "at least", ">": "above", "<=": "at most", "<": "below"}


def _rounded(value: float) -> float | int:
    """What a person reads: whole numbers from 100 up, three significant digits below."""
    value = float(value)
    if not math.isfinite(value):
        return 0
    if abs(value) >= 100 or value == round(value):
        return round(value)
    return round(value, max(0, 2 - math.floor(math.log10(abs(value)))))


def explain(
    label: str,
    value: float,
    unit: str,
    threshold: float | None = None,
    comparison: str = ">=",
) -> dict[str, Any]:
    """One row of "why this alert": a measured value beside the threshold it crossed.

    ``value`` and ``threshold`` are in ``unit`` as a person reads them (a share as "%":
    pass 3.2 for 3.2 %). ``past`` is how far past the threshold the value is, as a multiple
    (2.0 = twice the minimum, or half the maximum for "<="); None for context rows
    without a threshold."""
    if comparison not in COMPARISONS:
        raise ValueError(f"comparison must be one of {sorted(COMPARISONS)}")
    past: float | None = None
    if threshold is not None and threshold != 0 and math.isfinite(value):
        if comparison in (">=", ">"):
            past = value / threshold
        elif value > 0:
            past = threshold / value
        else:
            past = math.inf
        past = round(past, 2) if math.isfinite(past) else None
    return {
        "label": label,
        "value": _rounded(value),
        "unit": unit,
        "threshold": None if threshold is None else _rounded(threshold),
        "comparison": comparison,
        "past": past,
    }


SEVERITIES = ("low", "medium", "high", "critical")
STAKE_FLOOR = 10_000.0  # USDT; below it the amount adds no urgency


@dataclass(frozen=True)
class Urgency:
    score: float
    severity: str


def urgency(
    *,
    past: float,
    notional: float = 0.0,
    funds_leaving: bool = False,
    accounts: int = 1,
    record: int = 0,
    manipulation: bool = False,
) -> Urgency:
    """The one severity decision every rule makes: how soon must a person act?

    - ``past``: how far past the rule's threshold (1 = just crossed it);
    - ``notional``: USDT at stake (traded, moved, held or won);
    - ``funds_leaving``: money is leaving an account that is not in its owner's hands;
    - ``accounts``: how many accounts the finding names;
    - ``record``: the account's earlier confirmed findings;
    - ``manipulation``: the finding moves or misleads the market while it lasts.

    Score = 20 + up to 40 for the distance (25·log2) + up to 24 for the stake (8 per
    tenfold above 10,000 USDT) + 4 per extra account (≤ 12) + 10 per earlier finding
    (≤ 20) + 30 when funds are leaving. ``critical`` means act within minutes, so it needs
    funds leaving, or a manipulation scoring ≥ 85; everything else stops at ``high``.
    """
    points = 20.0
    if math.isfinite(past) and past > 0:
        points += min(40.0, max(0.0, 25.0 * math.log2(past)))
    elif past == math.inf:
        points += 40.0
    if notional > STAKE_FLOOR:
        points += min(24.0, 8.0 * math.log10(notional / STAKE_FLOOR))
    points += min(12.0, 4.0 * max(0, accounts - 1))
    points += min(20.0, 10.0 * max(0, record))
    if funds_leaving:
        points += 30.0
    value = round(min(100.0, points), 1)
    if funds_leaving or (manipulation and value >= 85):
        level = "critical"
    elif value >= 65:
        level = "high"
    elif value >= 40:
        level = "medium"
    else:
        level = "low"
    return Urgency(value, level)


def notional(ctx: Context, rows: pd.DataFrame) -> float:
    """USDT value of trade or order rows (integer ``symbol`` codes, ``price``, ``qty``):
    price x quantity x the contract's size; rows without a price (market orders) count 0."""
    if rows.empty:
        return 0.0
    size = np.nan_to_num(ctx.limits("contract_size"), nan=1.0)[rows["symbol"].to_numpy()]
    value = rows["price"].to_numpy(dtype=float) * rows["qty"].to_numpy(dtype=float) * size
    return float(np.nansum(np.abs(value)))


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
    strength: float | Urgency,
    summary: str,
    metrics: dict[str, Any],
    evidence: dict[str, Any],
    explain: list[dict[str, Any]] | None = None,
) -> Finding:
    """What one account did in one contract over one UTC day; the account is the subject."""
    start, end = day_window(day)
    return Finding(
        subject=who,
        accounts=[who],
        symbol=sym,
        window_start=start,
        window_end=end,
        score=strength.score if isinstance(strength, Urgency) else strength,
        summary=summary,
        metrics=metrics,
        evidence=evidence,
        explain=explain,
        severity=strength.severity if isinstance(strength, Urgency) else None,
    )


def feed_window(ctx: Context) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The whole window: from the first to the last event, widened to whole days (found
    once per context: a pass over millions of times, and several rules ask)."""
    return cached(ctx, "feed_window", _feed_window)


def _feed_window(ctx: Context) -> tuple[pd.Timestamp, pd.Timestamp]:
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


# Rules that do not yet pass their own explanation and urgency (account_theft, being
# reworked elsewhere): what their metrics mean, and whether their finding is money
# leaving the account. Move these into the rule when it is next changed.
FALLBACK_EXPLAIN: dict[str, list[tuple[str, str, str, str | None, str]]] = {
    # code: [(metric, label, unit, parameter holding the threshold, comparison)]
    "account_theft": [
        ("amount", "moved to new destinations after the login", "USDT", "min_amount", ">="),
        ("transfers", "transfers out", "transfers", None, ">="),
    ],
}
FUNDS_LEAVING = {"account_theft"}


def judged(code: str, finding: Finding, params: dict[str, Any]) -> tuple[Urgency, list[dict]]:
    """The severity and the explanation of a finding, from the rule when it gave them,
    else from its score and metrics (the score's distance read back from 50 + 25·log2)."""
    explanation = finding.explain
    if explanation is None:
        explanation = [
            explain(label, float(finding.metrics[metric]), unit, params.get(key or ""), cmp)
            for metric, label, unit, key, cmp in FALLBACK_EXPLAIN.get(code, [])
            if isinstance(finding.metrics.get(metric), int | float)
        ]
    if finding.severity is not None:
        return Urgency(finding.score, finding.severity), explanation
    metrics = finding.metrics
    stake = metrics.get("amount", metrics.get("notional", 0.0))
    judged_now = urgency(
        past=2 ** ((finding.score - 50.0) / 25.0),
        notional=float(stake) if isinstance(stake, int | float) else 0.0,
        funds_leaving=code in FUNDS_LEAVING,
        accounts=len(finding.accounts),
    )
    return judged_now, explanation
