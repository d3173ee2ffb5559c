"""Writes of the desk's links of common control and the clusters they make, for detection
(apps.detection.clustering decides which evidence counts; these keep it): upserts by pair
and kind, and clusters re-derived from every stored link with their lasting keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from django.db import transaction

from apps.accounts.cluster_matching import ClusterPlan, match_clusters
from apps.accounts.locks import CLUSTERS, one_at_a_time
from apps.accounts.models import AccountLink, ControlCluster, ExchangeAccount
from apps.accounts.signals import clusters_retired
from apps.desk.history import bulk_create_by, bulk_update_by, delete_by, save_by

# (account_a, account_b, kind, {"evidence", "first_seen", "last_seen"})
LinkCandidate = tuple[str, str, str, dict[str, Any]]
Grouping = Callable[[pd.DataFrame], dict[str, list[str]]]


@transaction.atomic
def links_upsert(candidates: list[LinkCandidate]) -> int:
    """Keep each link between two known accounts (upsert by pair and kind, seen dates
    widened), under the clusters' lock, in one transaction; returns how many were kept."""
    one_at_a_time(AccountLink, CLUSTERS)
    known = set(ExchangeAccount.objects.values_list("account_id", flat=True))
    kept = [c for c in candidates if c[0] in known and c[1] in known]
    stored = {
        (link.account_a_id, link.account_b_id, link.kind): link
        for link in AccountLink.objects.all()
    }
    new, changed = [], []
    for account_a, account_b, kind, values in kept:
        link = stored.get((account_a, account_b, kind))
        if link is None:
            new.append(
                AccountLink(account_a_id=account_a, account_b_id=account_b, kind=kind, **values)
            )
            continue
        values = dict(values)
        values["first_seen"] = min(values["first_seen"], link.first_seen or values["first_seen"])
        values["last_seen"] = max(values["last_seen"], link.last_seen or values["last_seen"])
        if any(getattr(link, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(link, name, value)
            changed.append(link)
    bulk_create_by(new, AccountLink, by=None, reason="found by detection")
    if changed:
        fields = ["evidence", "first_seen", "last_seen"]
        bulk_update_by(changed, AccountLink, fields, by=None, reason="seen again by detection")
    return len(kept)


@transaction.atomic
def clusters_rebuild(group: Grouping) -> int:
    """Derive clusters with ``group`` (pairs -> clusters) from every stored link and keep
    their keys (cluster_matching): a cluster that grows, shrinks, merges or splits says why
    in its history, and the apps that refer to clusters hear of merged and dissolved ones.
    Returns the count."""
    one_at_a_time(ControlCluster, CLUSTERS)
    pairs = pd.DataFrame(
        list(AccountLink.objects.values_list("account_a_id", "account_b_id")),
        columns=["account_a", "account_b"],
    )
    current = dict(
        ExchangeAccount.objects.filter(cluster__isnull=False).values_list(
            "account_id", "cluster__key"
        )
    )
    plan = match_clusters(group(pairs), current)
    existing = {c.key: c for c in ControlCluster.objects.select_for_update()}
    for key in sorted(plan.new):
        cluster = ControlCluster(key=key, size=len(plan.members[key]))
        save_by(cluster, by=None, reason=plan.reasons[key])
        existing[key] = cluster
    for key, members in plan.members.items():
        cluster = existing[key]
        if key not in plan.new and set(members) != {a for a, k in current.items() if k == key}:
            cluster.size = len(members)
            save_by(cluster, by=None, fields=["size", "updated_at"], reason=plan.reasons[key])
    _move_members(plan, current, existing)
    gone = {**plan.merged, **dict.fromkeys(plan.dissolved)}
    if gone:
        # Cases and the rest follow before the old rows go (their references are SET_NULL).
        clusters_retired.send(sender=ControlCluster, retired=gone)
        for key in sorted(gone):
            cluster = existing[key]
            into = gone[key]
            why = f"merged into {into}" if into else "dissolved: no links left"
            delete_by(cluster, by=None, reason=why)
    return len(plan.members)


def _move_members(
    plan: ClusterPlan,
    current: dict[str, str],
    clusters: dict[str, ControlCluster],
) -> None:
    """Point each account at its cluster; one bulk write per destination, with the reason."""
    wanted = {account: key for key, members in plan.members.items() for account in members}
    moving: dict[str | None, list[str]] = {}
    for account in set(current) | set(wanted):
        if current.get(account) != wanted.get(account):
            moving.setdefault(wanted.get(account), []).append(account)
    for key, accounts in sorted(moving.items(), key=lambda item: str(item[0])):
        rows = list(ExchangeAccount.objects.filter(pk__in=accounts))
        for row in rows:
            row.cluster = clusters[key] if key else None
        why = f"joined cluster {key}" if key else "linked to nobody now"
        bulk_update_by(rows, ExchangeAccount, ["cluster"], by=None, reason=why)
