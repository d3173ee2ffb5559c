"""What a live cycle publishes: a finding goes out when it is new or grew, and its
severity never falls below what was published for it before (the record is the
checkpoint's ``published``, saved with the state that produced it). The detection
cycle that makes the findings is in cycle.py; reading and checkpointing in detector.py."""

from __future__ import annotations

import hashlib
import json
from typing import Any

SEVERITIES = ("low", "medium", "high", "critical")


def changed(published: dict[str, list[Any]], alert: dict[str, Any]) -> bool:
    """Whether the finding is new or grew; keeps its severity from ever falling."""
    key = alert["dedup_key"]
    rank = SEVERITIES.index(alert["severity"])
    before = published.get(key)
    if before is not None and before[0] > rank:
        rank = before[0]
        alert["severity"] = SEVERITIES[rank]
    content = [alert["score"], alert["metrics"], alert["summary"], alert["accounts"]]
    fingerprint = hashlib.sha1(json.dumps(content, default=str).encode()).hexdigest()
    if before is not None and before[1] == fingerprint and before[0] == rank:
        return False
    published[key] = [rank, fingerprint]
    return True
