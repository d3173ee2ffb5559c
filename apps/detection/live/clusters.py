"""Cluster keys that stay put while a day grows.

The linking names a cluster by its smallest account id. On a live day the clusters grow:
an account with a smaller id joins, two clusters are found to be one, and the key of every
finding about the cluster (``common_control``, ``linked_mutual_trade``,
``combined_position_limit``...) moved with it: the finding raised under the old key was
left standing and a second one raised under the new key (8 % of the keys sent on the bench
day). The desk already keeps cluster keys across windows (``apps.accounts.
cluster_matching``); the live detector matches each cycle's clusters to the keys it used
before with that same function, so a cluster keeps its key as it grows, and two that merge
keep the larger one's.

The window path gives the same keys when it is handed the same keys to match against
(``keep_cluster_keys(link_window(feed, kept=keys), keys)``; the linking reads the keys too:
a wallet that tied an account to its kept cluster still holds it there, linking.
link_accounts): for a window with no stored keys these are the smallest account ids, as
before.
"""

from __future__ import annotations

import pandas as pd

from apps.accounts.cluster_matching import match_clusters

from ..linking import Linkage


def keep_cluster_keys(linkage: Linkage, current: dict[str, str]) -> tuple[Linkage, dict[str, str]]:
    """The linkage with its clusters named by the lasting keys (``current``: account ->
    the key it had), and the account -> key mapping to carry to the next match."""
    plan = match_clusters(linkage.clusters, current)
    mapping = {account: key for key, members in plan.members.items() for account in members}
    if plan.members == linkage.clusters:
        return linkage, mapping
    account_cluster = pd.Series(mapping, dtype="str")
    return Linkage(linkage.links, plan.members, account_cluster, linkage.hubs), mapping
