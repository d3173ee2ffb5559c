"""Which stored cluster each newly derived cluster is, so keys stay put across windows.

Clusters are re-derived from every stored link after each window. Their members change: an
account joins, two clusters are found to be one, a cluster splits. The key — what cases,
alerts and people refer to — must not change because of that:

- a stored cluster lives on in the new cluster that holds most of its members;
- a new cluster that holds several stored ones keeps the key of the largest (then the
  smaller key); the others are *merged* into it;
- a new cluster that holds none gets a new key: its smallest account id, suffixed when a
  stored cluster already has that key;
- a stored cluster whose members are linked to nobody any more is *dissolved*.

Each kept cluster says why it changed, in words short enough for a history row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

REASON_LENGTH = 100  # simple-history's history_change_reason column


@dataclass
class ClusterPlan:
    members: dict[str, list[str]] = field(default_factory=dict)  # key -> members
    reasons: dict[str, str] = field(default_factory=dict)  # key -> why it changed
    new: set[str] = field(default_factory=set)  # keys that did not exist
    merged: dict[str, str] = field(default_factory=dict)  # old key -> the key it joined
    dissolved: set[str] = field(default_factory=set)


def match_clusters(found: dict[str, list[str]], current: dict[str, str]) -> ClusterPlan:
    """``found``: derived clusters (any key -> members); ``current``: account -> the key
    of its stored cluster. Returns the clusters with their lasting keys."""
    before: dict[str, set[str]] = {}
    for account, key in current.items():
        before.setdefault(key, set()).add(account)
    components = sorted(found.values(), key=lambda m: (-len(m), min(m)))
    overlap = [Counter(current[a] for a in members if a in current) for members in components]
    # Each stored cluster lives on in the component holding most of its members.
    home: dict[str, int] = {}
    for key in sorted(before):
        scores = [(counts[key], -i) for i, counts in enumerate(overlap) if counts[key]]
        if scores:
            home[key] = -max(scores)[1]
    plan = ClusterPlan()
    taken = set(before)
    for i, members in enumerate(components):
        mine = sorted((k for k, at in home.items() if at == i), key=lambda k: (-overlap[i][k], k))
        if mine:
            key, others = mine[0], mine[1:]
            plan.merged.update({other: key for other in others})
            plan.reasons[key] = _reason(set(members), before[key], others)
        else:
            key = _fresh_key(min(members), taken)
            plan.new.add(key)
            plan.reasons[key] = f"found: {len(members)} accounts under one controller"
        taken.add(key)
        plan.members[key] = sorted(members)
    plan.dissolved = set(before) - set(home)
    return plan


def _reason(now: set[str], was: set[str], merged: list[str]) -> str:
    joined, left = sorted(now - was), sorted(was - now)
    parts = []
    if merged:
        parts.append(f"merged with {', '.join(merged)}")
    if joined:
        parts.append(
            f"{len(joined)} joined ({', '.join(joined[:3])}{'…' if len(joined) > 3 else ''})"
        )
    if left:
        parts.append(f"{len(left)} left ({', '.join(left[:3])}{'…' if len(left) > 3 else ''})")
    said = "; ".join(parts) or "unchanged"
    return said if len(said) <= REASON_LENGTH else said[: REASON_LENGTH - 1] + "…"


def _fresh_key(wanted: str, taken: set[str]) -> str:
    key, n = wanted, 1
    while key in taken:
        n += 1
        key = f"{wanted}-{n}"
    return key
