"""Strategy's home: the rules and their changes waiting for a second person, rule quality
(the small samples marked), and the latest detection runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from apps.alerts.quality import RuleQuality, rule_quality
from apps.detection.selectors import recent_runs, rule_changes_waiting
from apps.detection.selectors import rules as detection_rules

if TYPE_CHECKING:
    from apps.detection.models import DetectionRule, DetectionRun, RuleChange


@dataclass
class StrategyHome:
    rules_on: int
    rules_off: list[DetectionRule]
    waiting: list[RuleChange]
    quality: list[RuleQuality]  # worst confirmation rate first; unjudgeable ones last
    runs: list[DetectionRun]


def strategy_home() -> StrategyHome:
    rules = sorted(detection_rules(), key=lambda r: r.code)
    quality = rule_quality(since=timezone.now() - timedelta(days=30))
    quality.sort(
        key=lambda q: (
            q.small_sample,
            q.confirmation_rate if q.confirmation_rate is not None else 2,
        )
    )
    return StrategyHome(
        rules_on=sum(1 for r in rules if r.enabled),
        rules_off=[r for r in rules if not r.enabled],
        waiting=rule_changes_waiting(),
        quality=quality[:8],
        runs=recent_runs(5),
    )
