"""Clusters of accounts under one actual controller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..context import Context
from ..linking import pair_signals
from .base import Finding, Rule, explain, feed_window, fit_evidence, urgency


def _signals(ctx: Context) -> Callable[[pd.DataFrame], int]:
    """``pair_signals`` of a cluster's links, counted over every link once (a count per
    cluster's small frame costs a millisecond each, hundreds of clusters a window)."""
    every = ctx.linkage.links
    if not every.index.is_unique:
        return lambda links: int(pair_signals(links).sum())
    counted = pair_signals(every).to_numpy()
    return lambda links: int(counted[every.index.get_indexer(links.index)].sum())


def _strongest(links: pd.DataFrame, limit: int = 200) -> list[dict[str, Any]]:
    """The ``limit`` strongest links, ties in their order (a stable sort, descending),
    read from the columns' arrays: no frame sort, no row tuples per cluster."""
    strength = links["strength"].to_numpy(float)
    order = np.argsort(-strength, kind="stable")[:limit]
    a, b, kind, values, events = (
        links[name].to_numpy() for name in ("account_a", "account_b", "kind", "values", "events")
    )
    return [
        {
            "a": a[i],
            "b": b[i],
            "kind": kind[i],
            "values": list(values[i])[:5],
            "events": int(events[i]),
            "strength": round(float(strength[i]), 2),
        }
        for i in order
    ]


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    if not ctx.linkage.clusters:
        return []  # (and the links may be a bare frame: nothing to count signals on)
    start, end = feed_window(ctx)
    findings = []
    signals_of = _signals(ctx)
    for key, members in sorted(ctx.linkage.clusters.items()):
        if len(members) < params["min_accounts"]:
            continue
        links = ctx.linkage.evidence(key)
        kinds = sorted(set(links["kind"]))
        signals = signals_of(links)
        strength = float(links["strength"].mean()) if len(links) else 0.0
        evidence = _strongest(links)
        # Common control is a fact to know, not an emergency: the distance is how many
        # accounts past the minimum and how strongly tied, and nothing is at stake yet.
        judged = urgency(past=len(members) / params["min_accounts"] * (0.5 + strength))
        findings.append(
            Finding(
                subject=key,
                accounts=list(members),
                symbol=None,
                window_start=start,
                window_end=end,
                score=judged.score,
                severity=judged.severity,
                explain=[
                    explain(
                        "accounts under one controller",
                        len(members),
                        "accounts",
                        params["min_accounts"],
                    ),
                    explain("independent signals tying them", signals, "signals"),
                    explain("mean strength of their links", strength, "of 1"),
                ],
                summary=f"{len(members)} accounts linked by {signals} signals "
                f"({', '.join(kinds)}; mean strength {strength:.2f}): "
                f"{', '.join(members[:4])}{'...' if len(members) > 4 else ''}",
                metrics={
                    "accounts": len(members),
                    "evidence_kinds": kinds,
                    "links": len(links),
                    "signals": signals,
                    "mean_strength": round(strength, 3),
                },
                evidence=fit_evidence({"links": evidence, "cluster": key}),
            )
        )
    return findings


RULE = Rule(
    code="common_control",
    category="common_control",
    description=(
        "Accounts whose devices, IPs, funding addresses, transfers and counterparties "
        "overlap strongly, each identifier weighted by how few accounts use it, are "
        "treated as one actual controller; a pair needs two independent signals. "
        "Identifiers serving more than about the square root of the population (carrier "
        "NAT, exchange hot wallets) pair nobody; see docs/detection.md."
    ),
    default_params={"min_accounts": 2},
    run=run,
    per_symbol=False,
    # A cluster a specific alert already names is shown there, not raised twice.
    covered_by=(
        "promo_abuse",
        "linked_mutual_trade",
        "combined_position_limit",
        "matched_trade_price",
        "account_theft",
        "abnormal_pnl",
    ),
)
