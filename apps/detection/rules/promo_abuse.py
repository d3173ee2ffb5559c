"""Bonus farming: new accounts of one controller in one campaign."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..context import Context, epoch_ms
from .base import Finding, Rule, explain, feed_window, urgency
from .promo_wash import wash_rings


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    promos = ctx.feed.promotions
    if promos is None or promos.empty:
        return []
    codes = ctx.account_codes(promos["account_id"])
    age_days = (
        epoch_ms(promos["joined_at"]) - ctx.flags["registered_ms"].to_numpy()[codes]
    ) / 8.64e7
    frame = pd.DataFrame(
        {
            "campaign": promos["campaign_id"].astype("str").to_numpy(),
            "account": promos["account_id"].astype("str").to_numpy(),
            "cluster": ctx.cluster_keys(codes),
            "fresh": age_days <= params["max_account_age_days"],
            "reward": promos["reward"].to_numpy(),
            "age": age_days,
        }
    )
    frame = frame[frame["fresh"] & frame["cluster"].isin(list(ctx.linkage.clusters))]
    window = feed_window(ctx)
    findings = []
    for (campaign, cluster), part in frame.groupby(["campaign", "cluster"]):
        if len(part) < params["min_accounts"]:
            continue
        who = sorted(part["account"])
        rewards = float(part["reward"].sum())
        findings.append(
            _finding(
                window,
                params,
                subject=f"{campaign}/{cluster}",
                accounts=who,
                rewards=rewards,
                counted="new linked accounts in the campaign",
                more=[
                    explain(
                        "oldest account's age when it joined",
                        float(part["age"].max()),
                        "days",
                        params["max_account_age_days"],
                        "<=",
                    )
                ],
                summary=f"{len(who)} new linked accounts joined campaign {campaign} "
                f"({rewards:,.0f} USDT in rewards)",
                metrics={},
                evidence={"campaign_id": campaign, "cluster": cluster},
            )
        )
    named = {a for f in findings for a in f.accounts}
    for campaign, ring, rewards in wash_rings(ctx, params):
        if set(ring) <= named:
            continue
        findings.append(
            _finding(
                window,
                params,
                subject=f"{campaign}/{ring[0]}",
                accounts=ring,
                rewards=rewards,
                counted="accounts of one referral chain in the campaign",
                more=[],
                summary=f"{len(ring)} accounts of one referral chain in campaign {campaign} "
                f"traded with each other for its volume ({rewards:,.0f} USDT in rewards)",
                metrics={"how": "referral wash"},
                evidence={"campaign_id": campaign},
            )
        )
    return findings


def _finding(
    window: tuple[Any, Any],
    params: dict[str, Any],
    *,
    subject: str,
    accounts: list[str],
    rewards: float,
    counted: str,
    more: list[dict[str, Any]],
    summary: str,
    metrics: dict[str, Any],
    evidence: dict[str, Any],
) -> Finding:
    """One campaign's finding: how many accounts against the floor, the rewards at stake."""
    judged = urgency(
        past=len(accounts) / params["min_accounts"], notional=rewards, accounts=len(accounts)
    )
    return Finding(
        subject=subject,
        accounts=accounts,
        symbol=None,
        window_start=window[0],
        window_end=window[1],
        score=judged.score,
        severity=judged.severity,
        explain=[
            explain(counted, len(accounts), "accounts", params["min_accounts"]),
            explain("rewards they collected", rewards, "USDT"),
            *more,
        ],
        summary=summary,
        metrics={"accounts": len(accounts), "rewards": rewards, **metrics},
        evidence={**evidence, "accounts": accounts[:200]},
    )


RULE = Rule(
    code="promo_abuse",
    category="promo_abuse",
    description=(
        "Several freshly registered accounts under one controller joining the same "
        "campaign are one person collecting a once-per-person reward many times."
    ),
    default_params={"min_accounts": 3, "max_account_age_days": 7},
    run=run,
    per_symbol=False,
)
