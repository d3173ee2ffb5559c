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
    start, end = feed_window(ctx)
    findings = []
    for (campaign, cluster), part in frame.groupby(["campaign", "cluster"]):
        if len(part) < params["min_accounts"]:
            continue
        who = sorted(part["account"])
        rewards = float(part["reward"].sum())
        judged = urgency(
            past=len(part) / params["min_accounts"], notional=rewards, accounts=len(who)
        )
        findings.append(
            Finding(
                subject=f"{campaign}/{cluster}",
                accounts=who,
                symbol=None,
                window_start=start,
                window_end=end,
                score=judged.score,
                severity=judged.severity,
                explain=[
                    explain(
                        "new linked accounts in the campaign",
                        len(part),
                        "accounts",
                        params["min_accounts"],
                    ),
                    explain("rewards they collected", rewards, "USDT"),
                    explain(
                        "oldest account's age when it joined",
                        float(part["age"].max()),
                        "days",
                        params["max_account_age_days"],
                        "<=",
                    ),
                ],
                summary=f"{len(who)} new linked accounts joined campaign {campaign} "
                f"({float(part['reward'].sum()):,.0f} USDT in rewards)",
                metrics={"accounts": len(who), "rewards": float(part["reward"].sum())},
                evidence={"campaign_id": campaign, "cluster": cluster, "accounts": who[:200]},
            )
        )
    named = {a for f in findings for a in f.accounts}
    for campaign, ring, rewards in wash_rings(ctx, params):
        if set(ring) <= named:
            continue
        judged = urgency(
            past=len(ring) / params["min_accounts"], notional=rewards, accounts=len(ring)
        )
        findings.append(
            Finding(
                subject=f"{campaign}/{ring[0]}",
                accounts=ring,
                symbol=None,
                window_start=start,
                window_end=end,
                score=judged.score,
                severity=judged.severity,
                explain=[
                    explain(
                        "accounts of one referral chain in the campaign",
                        len(ring),
                        "accounts",
                        params["min_accounts"],
                    ),
                    explain("rewards they collected", rewards, "USDT"),
                ],
                summary=f"{len(ring)} accounts of one referral chain in campaign {campaign} "
                f"traded with each other for its volume ({rewards:,.0f} USDT in rewards)",
                metrics={"accounts": len(ring), "rewards": rewards, "how": "referral wash"},
                evidence={"campaign_id": campaign, "accounts": ring[:200]},
            )
        )
    return findings


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
