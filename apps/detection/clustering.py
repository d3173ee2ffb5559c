"""Storing links of common control and the clusters they make.

The detection layer decides which evidence counts as common control
(apps.detection.linking); this module keeps those links and re-derives the clusters from
every link stored so far, so evidence from separate windows joins up.
"""

from typing import Any

from apps.accounts.clusters import clusters_rebuild as accounts_clusters_rebuild
from apps.accounts.clusters import links_upsert
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


def links_store(*, linkage: Linkage) -> int:
    """Keep each control link of the window between known accounts (upsert by pair and
    kind, in accounts.clusters); returns how many."""
    control = linkage.links[linkage.links["linked"]]
    candidates = [
        (
            row.account_a,
            row.account_b,
            row.kind,
            {
                "evidence": _evidence(row),
                "first_seen": row.first_seen.to_pydatetime(),
                "last_seen": row.last_seen.to_pydatetime(),
            },
        )
        for row in control.itertuples(index=False)
    ]
    return links_upsert(candidates)


def clusters_rebuild() -> int:
    """Derive clusters from every stored link (connected components of the pairs) and keep
    them, with their lasting keys, in accounts.clusters. Returns the count."""
    return accounts_clusters_rebuild(components)
