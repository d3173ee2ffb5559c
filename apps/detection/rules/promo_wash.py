"""Wash volume for a campaign: referral-tied participants trading with each other.

A volume or fee-rebate race pays for traded volume, so a ring of accounts that referred
one another and fill each other's orders buys its rank with no market risk — the wash
volume to meet campaign targets that the platform's rules name as promotion abuse. Two
independent signals: the referral chain (``accounts.referrer_id``) and repeated fills
between participants (``trades_with`` links, ≥ 5 fills).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..context import Context
from ..linking import components


def wash_rings(ctx: Context, params: dict[str, Any]) -> list[tuple[str, list[str], float]]:
    """(campaign, participants of one referral ring that wash-traded, their rewards)."""
    promos, accounts = ctx.feed.promotions, ctx.feed.accounts
    if promos is None or promos.empty or accounts is None or "referrer_id" not in accounts:
        return []
    links = ctx.linkage.links
    fills = links[links["kind"] == "trades_with"]
    if fills.empty:
        return []
    referred = accounts[accounts["referrer_id"].notna()]
    referrer = dict(
        zip(
            referred["account_id"].astype("str").to_numpy(),
            referred["referrer_id"].astype("str").to_numpy(),
            strict=True,
        )
    )
    rings = []
    for campaign, part in promos.groupby(promos["campaign_id"].astype("str"), observed=True):
        members = set(part["account_id"].astype("str"))
        ties = [(a, str(referrer[a])) for a in members if a in referrer]
        if not ties:
            continue
        washing = fills[fills["account_a"].isin(members) & fills["account_b"].isin(members)]
        # The campaign's few washing pairs as tuples: sets per ring, not frame filters.
        pairs = list(zip(washing["account_a"], washing["account_b"], strict=True))
        if not pairs and params["min_accounts"] > 0:
            continue  # no ring of this campaign can hold a washer: no need to draw them
        edges = pd.DataFrame(ties, columns=["account_a", "account_b"])
        for group in components(edges).values():
            inside = set(group) & members
            washers = {x for a, b in pairs if a in inside and b in inside for x in (a, b)}
            if len(washers) < params["min_accounts"]:
                continue
            reward = float(part.loc[part["account_id"].astype("str").isin(inside), "reward"].sum())
            # The ring as the referrals tie it: the participants and who brought them in.
            rings.append((campaign, sorted(set(group)), reward))
    return rings
