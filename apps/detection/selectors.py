from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from apps.alerts.quality import RuleQuality, rule_quality
from apps.detection.models import (
    Backtest,
    DetectionRule,
    DetectionRun,
    LiveConsumer,
    RuleChange,
    RuleVersion,
)
from apps.detection.thresholds import threshold, version_changes


def rules() -> QuerySet[DetectionRule]:
    return DetectionRule.objects.select_related("live_version").order_by("category", "code")


def rule_versions(rule: DetectionRule) -> QuerySet[RuleVersion]:
    return rule.versions.select_related("created_by").order_by("-number")


def rule_backtests(rule: DetectionRule, limit: int = 10) -> list[Backtest]:
    return list(
        Backtest.objects.filter(version__rule=rule)
        .select_related("version", "requested_by")
        .order_by("-requested_at")[:limit]
    )


def recent_runs(limit: int = 30) -> list[DetectionRun]:
    return list(DetectionRun.objects.order_by("-queued_at")[:limit])


def done_runs(limit: int = 5) -> list[DetectionRun]:
    """The latest runs that finished reading their window, newest queued first."""
    done = DetectionRun.objects.filter(status=DetectionRun.Status.DONE)
    return list(done.order_by("-queued_at")[:limit])


def last_done_run(*, by: Literal["queued_at", "finished_at"] = "queued_at") -> DetectionRun | None:
    """The newest run that finished, by when it was queued or when it finished."""
    done = DetectionRun.objects.filter(status=DetectionRun.Status.DONE)
    return done.order_by(f"-{by}").first()


def live_version(code: str) -> RuleVersion | None:
    """The version of rule `code` the desk runs now, or None (the rule's defaults apply)."""
    return RuleVersion.objects.filter(rule__code=code, status="live").first()


def rule_changes_waiting() -> list[RuleChange]:
    """Changes asked for and waiting for a second person, oldest first."""
    return list(
        RuleChange.objects.filter(status=RuleChange.Status.REQUESTED)
        .select_related("rule", "version", "requested_by")
        .order_by("requested_at")
    )


@dataclass(frozen=True)
class ParamField:
    name: str
    kind: str  # int, float, bool
    value: Any
    live: Any
    error: str

    @property
    def unit(self) -> str:
        return threshold(self.name).unit

    @property
    def bounds(self) -> str:
        return "" if self.kind == "bool" else threshold(self.name).bounds()


def param_fields(
    rule: DetectionRule, typed: dict[str, Any] | None = None, errors: dict[str, str] | None = None
) -> list[ParamField]:
    """The form for a new version: every threshold with its live value and what was typed."""
    live = rule.live_version.params if rule.live_version else {}
    fields = []
    for name, value in live.items():
        kind = "bool" if isinstance(value, bool) else "int" if isinstance(value, int) else "float"
        shown = (typed or {}).get(name, value)
        fields.append(ParamField(name, kind, shown, value, (errors or {}).get(name, "")))
    return fields


@dataclass(frozen=True)
class BacktestDiff:
    backtest: Backtest
    only_live: list[dict[str, Any]]
    only_proposed: list[dict[str, Any]]
    both: int


def backtest_diff(backtest: Backtest) -> BacktestDiff:
    live = {a["dedup_key"]: a for a in backtest.live_alerts}
    proposed = {a["dedup_key"]: a for a in backtest.proposed_alerts}
    return BacktestDiff(
        backtest,
        [a for k, a in live.items() if k not in proposed],
        [a for k, a in proposed.items() if k not in live],
        len(live.keys() & proposed.keys()),
    )


def rule_changes(rule: DetectionRule, limit: int = 20) -> list[RuleChange]:
    return list(
        rule.changes.select_related("version", "requested_by", "decided_by").order_by(
            "-requested_at", "-pk"
        )[:limit]
    )


@dataclass(frozen=True)
class VersionRow:
    version: RuleVersion
    changes: list[str]  # what it changed against the version before it


def version_rows(rule: DetectionRule) -> list[VersionRow]:
    versions = list(rule_versions(rule))
    older: list[RuleVersion | None] = [*versions[1:], None]
    return [
        VersionRow(v, version_changes(o.params if o else None, v.params))
        for v, o in zip(versions, older, strict=True)
    ]


def rule_quality_note(rule: DetectionRule) -> RuleQuality | None:
    """The rule's confirmation rate over the last 30 days (apps.alerts.quality)."""
    since = timezone.now() - timedelta(days=30)
    return next((q for q in rule_quality(since=since) if q.rule == rule.code), None)


@dataclass(frozen=True)
class LiveRow:
    consumer: Any
    health: str
    behind_entries: int
    behind_seconds: float


def live_consumers() -> list[LiveRow]:
    """Every live consumer with its health and its worst stream lag (detection page, KRI)."""
    rows = []
    for consumer in LiveConsumer.objects.all():
        streams = consumer.streams.values()
        rows.append(
            LiveRow(
                consumer,
                live_health(consumer),
                sum(int(s.get("behind_entries", 0)) for s in streams),
                max((float(s.get("behind_seconds", 0)) for s in streams), default=0.0),
            )
        )
    return rows


def live_health(consumer: LiveConsumer, now: datetime | None = None) -> str:
    """``stalled`` (no report for LIVE_STALLED_SECONDS), ``lagging`` (a stream behind by
    more than LIVE_LAG_SECONDS), ``lost rows`` (a gap), else ``ok``."""
    now = now or timezone.now()
    if now - consumer.reported_at > timedelta(seconds=settings.LIVE_STALLED_SECONDS):
        return "stalled"
    behind = max((s.get("behind_seconds", 0) for s in consumer.streams.values()), default=0)
    if behind > settings.LIVE_LAG_SECONDS:
        return "lagging"
    return "lost rows" if consumer.gaps else "ok"
