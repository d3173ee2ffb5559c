"""Clusters of accounts under one actual controller."""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..linking import STRONG_KINDS
from .base import Finding, Rule, feed_window, fit_evidence, score


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    start, end = feed_window(ctx)
    findings = []
    for key, members in sorted(ctx.linkage.clusters.items()):
        if len(members) < params["min_accounts"]:
            continue
        links = ctx.linkage.evidence(key)
        kinds = sorted(set(links["kind"]))
        strong = sorted(set(kinds) & set(STRONG_KINDS))
        evidence = [
            {
                "a": row.account_a,
                "b": row.account_b,
                "kind": row.kind,
                "values": list(row.values)[:5],
                "events": int(row.events),
            }
            for row in links.head(200).itertuples()
        ]
        findings.append(
            Finding(
                subject=key,
                accounts=list(members),
                symbol=None,
                window_start=start,
                window_end=end,
                score=score(len(members) / 2 * (1 + len(strong)) / 2),
                summary=f"{len(members)} accounts share {', '.join(kinds)} "
                f"({', '.join(members[:4])}{'...' if len(members) > 4 else ''})",
                metrics={"accounts": len(members), "evidence_kinds": kinds, "links": len(links)},
                evidence=fit_evidence({"links": evidence, "cluster": key}),
            )
        )
    return findings


RULE = Rule(
    code="common_control",
    category="common_control",
    description=(
        "Accounts linked by a shared device, funding wallet or internal transfers, or by "
        "two independent weak signals (shared IPs, repeated mutual trading), are treated "
        "as one actual controller. Identifiers shared by many accounts (carrier NAT, "
        "exchange hot wallets) are ignored; see docs/detection.md on hubs."
    ),
    default_params={"min_accounts": 2},
    run=run,
    per_symbol=False,
)
