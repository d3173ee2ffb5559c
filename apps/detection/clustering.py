"""Storing links of common control and the clusters they make.

The detection layer decides which evidence counts as common control
(apps.detection.linking); this module keeps those links and re-derives the clusters from
every link stored so far, so evidence from separate windows joins up.
"""

from typing import Any

import pandas as pd
from django.db import transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from apps.accounts.cluster_matching import ClusterPlan, match_clusters
from apps.accounts.locks import CLUSTERS, one_at_a_time
from apps.accounts.models import AccountLink, ControlCluster, ExchangeAccount
from apps.accounts.signals import clusters_retired
from apps.desk.history import current_task
from apps.detection.linking import Linkage, components


def _evidence(row: Any) -> dict[str, Any]:
    values = [str(v) for v in row.values] if isinstance(row.values, list | tuple) else []
    return {
        "values": values,
        "value_count": int(row.value_count),
        "events": int(row.events),
        # How strongly the pair's evidence says one controller (0-1), for the pages.
        "strength": round(float(getattr(row, "strength", 0.0)), 2),
    }


@transaction.atomic
def links_store(*, linkage: Linkage) -> int:
    """Keep each control link of the window (upsert by pair and kind); returns how many."""
    one_at_a_time(AccountLink, CLUSTERS)
    control = linkage.links[linkage.links["linked"]]
    known = set(ExchangeAccount.objects.values_list("account_id", flat=True))
    control = control[control["account_a"].isin(known) & control["account_b"].isin(known)]
    stored = {
        (link.account_a_id, link.account_b_id, link.kind): link
        for link in AccountLink.objects.all()
    }
    new, changed = [], []
    for row in control.itertuples(index=False):
        values = {
            "evidence": _evidence(row),
            "first_seen": row.first_seen.to_pydatetime(),
            "last_seen": row.last_seen.to_pydatetime(),
        }
        link = stored.get((row.account_a, row.account_b, row.kind))
        if link is None:
            new.append(
                AccountLink(
                    account_a_id=row.account_a, account_b_id=row.account_b, kind=row.kind, **values
                )
            )
            continue
        values["first_seen"] = min(values["first_seen"], link.first_seen or values["first_seen"])
        values["last_seen"] = max(values["last_seen"], link.last_seen or values["last_seen"])
        if any(getattr(link, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(link, name, value)
            changed.append(link)
    stamp = {"history_task": current_task()}
    bulk_create_with_history(new, AccountLink, batch_size=500, custom_historical_attrs=stamp)
    if changed:
        bulk_update_with_history(
            changed,
            AccountLink,
            ["evidence", "first_seen", "last_seen"],
            batch_size=500,
            custom_historical_attrs=stamp,
        )
    return len(control)


@transaction.atomic
def clusters_rebuild() -> int:
    """Derive clusters from every stored link and keep their keys (cluster_matching): a
    cluster that grows, shrinks, merges or splits says why in its history, and the apps
    that refer to clusters hear of merged and dissolved ones. Returns the count."""
    """Derive clusters from every stored link; set each account's cluster. Returns the count."""
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
    plan = match_clusters(components(pairs), current)
    stamp = {"history_task": current_task()}
    existing = {c.key: c for c in ControlCluster.objects.select_for_update()}
    for key in sorted(plan.new):
        cluster = ControlCluster(key=key, size=len(plan.members[key]))
        cluster._change_reason = plan.reasons[key]  # type: ignore[attr-defined]
        cluster.save()
        existing[key] = cluster
    for key, members in plan.members.items():
        cluster = existing[key]
        if key not in plan.new and set(members) != {a for a, k in current.items() if k == key}:
            cluster.size = len(members)
            cluster._change_reason = plan.reasons[key]  # type: ignore[attr-defined]
            cluster.save(update_fields=["size", "updated_at"])
    _move_members(plan, current, existing, stamp)
    gone = {**plan.merged, **dict.fromkeys(plan.dissolved)}
    if gone:
        # Cases and the rest follow before the old rows go (their references are SET_NULL).
        clusters_retired.send(sender=ControlCluster, retired=gone)
        for key in sorted(gone):
            cluster = existing[key]
            into = gone[key]
            why = f"merged into {into}" if into else "dissolved: no links left"
            cluster._change_reason = why  # type: ignore[attr-defined]
            cluster.delete()
    return len(plan.members)


def _move_members(
    plan: ClusterPlan,
    current: dict[str, str],
    clusters: dict[str, ControlCluster],
    stamp: dict[str, Any],
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
        bulk_update_with_history(
            rows,
            ExchangeAccount,
            ["cluster"],
            batch_size=500,
            default_change_reason=f"joined cluster {key}" if key else "linked to nobody now",
            custom_historical_attrs=stamp,
        )
