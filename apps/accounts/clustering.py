"""Storing links of common control and the clusters they make.

The detection layer decides which evidence counts as common control
(apps.detection.linking); this module keeps those links and re-derives the clusters from
every link stored so far, so evidence from separate windows joins up.
"""

from typing import Any

import pandas as pd
from django.db import transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from apps.accounts.locks import CLUSTERS, one_at_a_time
from apps.accounts.models import AccountLink, ControlCluster, ExchangeAccount
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
    """Derive clusters from every stored link; set each account's cluster. Returns the count."""
    one_at_a_time(ControlCluster, CLUSTERS)
    pairs = pd.DataFrame(
        list(AccountLink.objects.values_list("account_a_id", "account_b_id")),
        columns=["account_a", "account_b"],
    )
    found = components(pairs)
    stamp = {"history_task": current_task()}
    existing = {c.key: c for c in ControlCluster.objects.all()}
    new = [
        ControlCluster(key=key, size=len(members))
        for key, members in found.items()
        if key not in existing
    ]
    bulk_create_with_history(new, ControlCluster, batch_size=500, custom_historical_attrs=stamp)
    resized = []
    for key, members in found.items():
        cluster = existing.get(key)
        if cluster is not None and cluster.size != len(members):
            cluster.size = len(members)
            resized.append(cluster)
    if resized:
        bulk_update_with_history(
            resized, ControlCluster, ["size"], batch_size=500, custom_historical_attrs=stamp
        )
    clusters = {c.key: c for c in ControlCluster.objects.filter(key__in=list(found))}
    wanted = {account: clusters[key] for key, members in found.items() for account in members}
    moved = []
    for account in ExchangeAccount.objects.filter(
        pk__in=list(wanted)
    ) | ExchangeAccount.objects.filter(cluster__isnull=False):
        target = wanted.get(account.account_id)
        if account.cluster_id != (target.pk if target else None):
            account.cluster = target
            moved.append(account)
    if moved:
        bulk_update_with_history(
            moved, ExchangeAccount, ["cluster"], batch_size=500, custom_historical_attrs=stamp
        )
    # A cluster that merged into another has no members left.
    ControlCluster.objects.exclude(key__in=list(found)).delete()
    return len(found)
