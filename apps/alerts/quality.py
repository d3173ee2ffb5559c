"""Rule quality for the strategy team: per rule, how often operators confirmed what it
raised and why they dismissed the rest."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q

from apps.alerts.models import OPEN_STATUSES, Alert, Status


@dataclass(frozen=True)
class RuleQuality:
    rule: str
    category: str
    raised: int
    open: int
    confirmed: int  # escalated or in a case
    dismissed: int
    dismissed_by_reason: dict[str, int]

    @property
    def decided(self) -> int:
        return self.confirmed + self.dismissed

    @property
    def confirmation_rate(self) -> float | None:
        return self.confirmed / self.decided if self.decided else None

    @property
    def small_sample(self) -> bool:
        """Too few decided alerts for the rate to say much: a rule is not judged on them."""
        return self.decided < SMALL_SAMPLE


CONFIRMED = (Status.ESCALATED, Status.IN_CASE)
# Below this many decided alerts a confirmation rate swings by 10 points on three alerts
# (the 95% interval of a rate near 0.5 over 30 is about ±0.18): the page says so.
SMALL_SAMPLE = 30


def rule_quality(*, since: datetime | None = None) -> list[RuleQuality]:
    """Per rule: how often operators confirmed what it raised, and why they dismissed it."""
    alerts = Alert.objects.all()
    if since:
        alerts = alerts.filter(detected_at__gte=since)
    per_rule = (
        alerts.values("rule", "category")
        .annotate(
            raised=Count("id"),
            open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
            confirmed=Count("id", filter=Q(status__in=CONFIRMED)),
            dismissed=Count("id", filter=Q(status=Status.DISMISSED)),
        )
        .order_by("rule", "category")
    )
    reasons: dict[tuple[str, str], dict[str, int]] = {}
    for row in (
        alerts.filter(status=Status.DISMISSED)
        .values("rule", "category", "dismiss_reason")
        .annotate(n=Count("id"))
        .order_by()
    ):
        reasons.setdefault((row["rule"], row["category"]), {})[row["dismiss_reason"]] = row["n"]
    return [
        RuleQuality(
            rule=row["rule"],
            category=row["category"],
            raised=row["raised"],
            open=row["open"],
            confirmed=row["confirmed"],
            dismissed=row["dismissed"],
            dismissed_by_reason=reasons.get((row["rule"], row["category"]), {}),
        )
        for row in per_rule
    ]
