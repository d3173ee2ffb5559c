"""The words of an alert, shared by every app that reads or counts alerts: its category,
severity and urgency, status, dismissal reasons, how it came in, and its SLA
(shared/contracts/alerts.md). apps.alerts.models builds the tables on them."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Category(models.TextChoices):
    SELF_TRADE = "self_trade", "Self-trading"
    LINKED_MUTUAL_TRADE = "linked_mutual_trade", "Mutual trading between linked accounts"
    MATCHED_TRADE_PRICE = "matched_trade_price", "Matched trades moving the price"
    COMMON_CONTROL = "common_control", "Common control signals"
    FREQUENT_CANCEL = "frequent_cancel", "Frequent order-and-cancel"
    LARGE_CANCEL = "large_cancel", "Repeated large order-and-cancel"
    COMBINED_POSITION_LIMIT = "combined_position_limit", "Combined position over the limit"
    DAILY_OPEN_LIMIT = "daily_open_limit", "Daily opening volume over the limit"
    UNAUTHORIZED_ALGO = "unauthorized_algo", "Unauthorised programmatic trading"
    ACCOUNT_THEFT = "account_theft", "Account theft / moving funds"
    ABNORMAL_PNL = "abnormal_pnl", "Abnormal profit or loss"
    PROMO_ABUSE = "promo_abuse", "Promotion abuse"
    MARKET_STRESS = "market_stress", "Market stress"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


# Urgency rank: higher is more urgent; stored on the row so the queue can sort by it.
SEVERITY_RANK = {Severity.CRITICAL: 4, Severity.HIGH: 3, Severity.MEDIUM: 2, Severity.LOW: 1}
# The queue's order: severity first (a critical alert due in 14 minutes goes before a low one
# due in 2), then the SLA due within a severity, then age. The indexes below follow it.
URGENCY = ("-severity_rank", "sla_due_at", "id")


def sla_for(severity: str) -> timedelta:
    return timedelta(minutes=settings.ALERT_SLA_MINUTES[severity])


def sla_breached(at: datetime) -> Q:
    """The one meaning of "SLA breached" (queue, home page, shift dashboard and report, the
    escalation timer): due by `at`, and nobody picked the alert up — claimed or decided it —
    by its due time. The SLA is the time to pick an alert up: a claim in time meets it for
    good (the holder is on it, and the timer leaves it alone); a late one does not undo the
    breach, so a shift's count of breaches does not shrink as alerts are worked."""
    return (
        Q(sla_due_at__lte=at)
        & (Q(claimed_at__isnull=True) | Q(claimed_at__gt=F("sla_due_at")))
        & (Q(decided_at__isnull=True) | Q(decided_at__gt=F("sla_due_at")))
    )


class Status(models.TextChoices):
    NEW = "new", "New"
    CLAIMED = "claimed", "Claimed"
    DISMISSED = "dismissed", "Dismissed"
    ESCALATED = "escalated", "Escalated"
    IN_CASE = "in_case", "In a case"


OPEN_STATUSES = (Status.NEW, Status.CLAIMED)


class DismissReason(models.TextChoices):
    FP_MARKET_MAKER = "fp_market_maker", "False positive – market maker"  # noqa: RUF001
    FP_DATA_ISSUE = "fp_data_issue", "False positive – data issue"  # noqa: RUF001
    FP_HEDGING = "fp_hedging", "False positive – legitimate hedging"  # noqa: RUF001
    ACCEPTED = "accepted", "Known and accepted behaviour"
    DUPLICATE = "duplicate", "Duplicate of another alert"
    BELOW_MATERIALITY = "below_materiality", "Below materiality"
    OTHER = "other", "Other (see note)"


class WayIn(models.TextChoices):
    STREAM = "stream", "Redis stream"
    API = "api", "REST API"
    RESUBMIT = "resubmit", "Re-submitted by a supervisor"
    IN_PROCESS = "in_process", "In-process publish"
