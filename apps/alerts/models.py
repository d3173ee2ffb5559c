"""Alerts: one finding of one rule about one or more accounts (shared/contracts/alerts.md)."""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from simple_history.models import HistoricalRecords

# The words live in vocabulary.py; they stay importable from here for the app's own modules.
from apps.alerts.vocabulary import (  # noqa: F401
    OPEN_STATUSES,
    SEVERITY_RANK,
    URGENCY,
    Category,
    DismissReason,
    Severity,
    Status,
    WayIn,
    sla_breached,
    sla_for,
)
from apps.desk.history import HistoryStamp


def primary_account() -> KeyTextTransform:
    """`accounts[0]` as SQL text (`accounts ->> 0`): the account an alert is chiefly about,
    whose control cluster groups it in the queue (indexed with the status)."""
    return KeyTextTransform("0", "accounts")


# Every move a status may make; services refuse anything else.
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.CLAIMED, Status.DISMISSED, Status.ESCALATED, Status.IN_CASE}),
    # claimed -> new is a release.
    Status.CLAIMED: frozenset({Status.NEW, Status.DISMISSED, Status.ESCALATED, Status.IN_CASE}),
    # Reopen: a dismissal or escalation can be taken back to the queue.
    Status.DISMISSED: frozenset({Status.NEW, Status.CLAIMED}),
    Status.ESCALATED: frozenset({Status.NEW, Status.CLAIMED, Status.IN_CASE}),
    # An alert in a case follows the case; the cases app owns what happens next.
    Status.IN_CASE: frozenset(),
}


class Alert(models.Model):
    dedup_key = models.CharField(max_length=200, unique=True)
    rule = models.CharField(max_length=100)
    category = models.CharField(max_length=32, choices=Category.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    severity_rank = models.PositiveSmallIntegerField()
    score = models.FloatField(null=True, blank=True)
    # The ordered list as the detector sent it, primary first; AlertAccount indexes it.
    accounts = models.JSONField(default=list)
    symbol = models.CharField(max_length=40, blank=True, default="")
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    detected_at = models.DateTimeField()
    summary = models.CharField(max_length=500)
    metrics = models.JSONField(default=dict)
    evidence = models.JSONField(default=dict)
    source = models.CharField(max_length=100, blank=True, default="")

    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    repeat_count = models.PositiveIntegerField(
        default=0, help_text="Times re-sent after the first."
    )
    sla_due_at = models.DateTimeField()

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claimed_alerts",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Routing (apps.shifts) offers a new alert to one person on duty; claiming stays
    # first-come, so this is a suggestion the queue shows, not a lock.
    offered_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="offered_alerts",
    )
    offered_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    dismiss_reason = models.CharField(
        max_length=20, choices=DismissReason.choices, blank=True, default=""
    )
    note = models.TextField(blank=True, default="", help_text="Why it was last decided.")
    case_ref = models.CharField(max_length=40, blank=True, default="")

    # Evidence never changes after the first delivery; copying 64 KiB into every
    # history row would only repeat it.
    history = HistoricalRecords(bases=[HistoryStamp], excluded_fields=["evidence"])

    class Meta:
        ordering = list(URGENCY)
        indexes = [
            # The open queue in urgency order: a small slice of the table.
            models.Index(
                models.F("severity_rank").desc(),
                "sla_due_at",
                "id",
                name="alert_open_by_urgency",
                condition=models.Q(status__in=["new", "claimed"]),
            ),
            # The same order over every status ("all", and statuses with no index of their own).
            models.Index(
                models.F("severity_rank").desc(), "sla_due_at", "id", name="alert_by_urgency"
            ),
            models.Index(
                "status",
                models.F("severity_rank").desc(),
                "sla_due_at",
                "id",
                name="alert_status_by_urgency",
            ),
            models.Index(fields=["severity", "sla_due_at"], name="alert_severity"),
            models.Index(
                "category", models.F("severity_rank").desc(), "sla_due_at", name="alert_category_u"
            ),
            models.Index(
                "symbol", models.F("severity_rank").desc(), "sla_due_at", name="alert_symbol_u"
            ),
            models.Index(
                "assignee", models.F("severity_rank").desc(), "sla_due_at", name="alert_assignee_u"
            ),
            # The open queue's header (issue 15, 1,000,000 alerts): the breached count reads
            # this index alone (the SLA columns are in it).
            models.Index(
                # Key columns, not INCLUDE: SQLite (the embedded desk) has no INCLUDE.
                fields=["sla_due_at", "claimed_at", "decided_at"],
                name="alert_open_due",
                condition=models.Q(status__in=["new", "claimed"]),
            ),
            # A group's size under any status filter: the alerts of its accounts found here,
            # never all the alerts of a broad filter, nor each account's closed alerts.
            models.Index(primary_account(), "status", name="alert_primary_status"),
            # The open queue narrowed by category, symbol or assignee: in urgency order
            # within its few open rows, not a BitmapAnd of the open index with the
            # column's index over all 1,000,000 (category: 35 ms -> under 1 ms).
            *(
                models.Index(
                    column,
                    models.F("severity_rank").desc(),
                    "sla_due_at",
                    "id",
                    name=f"alert_open_{column}",
                    condition=models.Q(status__in=["new", "claimed"]),
                )
                for column in ("category", "symbol", "assignee")
            ),
            # A time window in urgency order: the window's rows are ranked from this index
            # alone (the page's ids first, then their rows; queue_selectors.queue_page), instead
            # of reading 78,000 table rows of "7 days" to sort them.
            models.Index(
                fields=["detected_at", "severity_rank", "sla_due_at", "id"],
                name="alert_detected_urgency",
            ),
            models.Index(fields=["rule", "status"], name="alert_rule"),
        ]

    def __str__(self) -> str:
        return f"alert {self.pk} {self.rule} {self.severity}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def sla_breached(self, now: datetime | None = None) -> bool:
        """sla_breached(at) for one alert already in hand; the two must agree."""
        if self.sla_due_at > (now or timezone.now()):
            return False
        picked = (t for t in (self.claimed_at, self.decided_at) if t is not None)
        return not any(t <= self.sla_due_at for t in picked)

    def can_move_to(self, status: str) -> bool:
        return status in ALLOWED_MOVES[self.status]


class AlertAccount(models.Model):
    """One account named by an alert; the account may not be loaded in the desk yet."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="account_rows")
    account_id = models.CharField(max_length=64)
    position = models.PositiveSmallIntegerField(help_text="0 is the primary account.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "position"], name="alert_account_once")
        ]
        indexes = [models.Index(fields=["account_id", "alert"], name="alert_account_lookup")]
        ordering = ["alert", "position"]

    def __str__(self) -> str:
        return f"{self.account_id} in alert {self.alert_id}"


class RejectedAlert(models.Model):
    """An alert that could not be parsed or did not meet the contract — kept, never dropped."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        RESUBMITTED = "resubmitted", "Re-submitted"

    raw = models.TextField(help_text="The payload exactly as it arrived.")
    reason = models.CharField(max_length=300)
    errors = models.JSONField(default=dict)
    way_in = models.CharField(max_length=12, choices=WayIn.choices)
    entry_id = models.CharField(max_length=40, blank=True, default="")
    received_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    fixed_payload = models.TextField(blank=True, default="")
    resubmitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resubmitted_at = models.DateTimeField(null=True, blank=True)
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="rejections"
    )
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["state", "received_at"], name="rejected_state")]

    def __str__(self) -> str:
        return f"rejected alert {self.pk} ({self.reason})"


class StreamDelivery(models.Model):
    """A stream entry whose alert is stored: a re-delivery after a crash is recognised here,
    so it is neither stored twice nor counted as a repeat."""

    stream = models.CharField(max_length=100)
    entry_id = models.CharField(max_length=40)
    stored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stream", "entry_id"], name="stream_entry_once")
        ]
        indexes = [models.Index(fields=["stored_at"], name="stream_delivery_age")]

    def __str__(self) -> str:
        return f"{self.stream} {self.entry_id}"
