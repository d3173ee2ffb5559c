"""Cases: the investigation of the accounts behind one or more alerts; its timeline;
escalations and the timers that raise them."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.alerts.vocabulary import Severity

# The words live in vocabulary.py; they stay importable from here for the app's own modules.
from apps.cases.vocabulary import (  # noqa: F401
    BY_MEASURES,
    OPEN_STATUSES,
    EventKind,
    Outcome,
    Status,
    Target,
)
from apps.desk.history import HistoryStamp

# Every move a case's status may make. Closed -> investigating is the reopen.
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    Status.OPEN: frozenset({Status.INVESTIGATING}),
    Status.INVESTIGATING: frozenset({Status.AWAITING_APPROVAL, Status.ACTIONED, Status.CLOSED}),
    # A rejected request sends the case back to investigation.
    Status.AWAITING_APPROVAL: frozenset({Status.INVESTIGATING, Status.ACTIONED}),
    Status.ACTIONED: frozenset({Status.INVESTIGATING, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.INVESTIGATING}),
}

# The moves a person makes by hand (case_move): never into or out of a status its measures
# decide — only an actioned case's close. The other moves of ALLOWED_MOVES are the
# measures' (case_follow_action).
HAND_MOVES: dict[str, frozenset[str]] = {
    status: frozenset(
        to
        for to in moves
        if to not in BY_MEASURES and (status not in BY_MEASURES or to == Status.CLOSED)
    )
    for status, moves in ALLOWED_MOVES.items()
}

# The outcomes a close may carry from each status: restricting or closing an account is a
# measure, so a case records it only once the measure was actioned.
OUTCOMES_FROM: dict[str, frozenset[str]] = {
    Status.INVESTIGATING: frozenset({Outcome.NO_ACTION, Outcome.REFERRED}),
    Status.ACTIONED: frozenset(Outcome.values),
}


class Case(models.Model):
    title = models.CharField(max_length=300)
    cluster = models.ForeignKey(
        "accounts.ControlCluster",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True, default="")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    severity_rank = models.PositiveSmallIntegerField()
    # Severity first, then how many alerts pile up on it: every alert that joins raises it.
    priority = models.PositiveIntegerField(default=0)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opened_cases"
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="watched_cases"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    customer_reason = models.TextField(
        blank=True, default="", help_text="What customer service may tell the customer."
    )
    history = HistoricalRecords(bases=[HistoryStamp], m2m_fields=[watchers])

    class Meta:
        ordering = ["-priority", "due_at", "id"]
        constraints = [
            # One open case per cluster: a second opener joins the first case instead.
            models.UniqueConstraint(
                fields=["cluster"],
                condition=~models.Q(status="closed") & models.Q(cluster__isnull=False),
                name="one_open_case_per_cluster",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="closed") | ~models.Q(outcome=""),
                name="closed_case_has_outcome",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="case_open_due",
                condition=~models.Q(status="closed"),
            ),
            models.Index(fields=["status", "-priority"], name="case_status"),
            models.Index(fields=["assignee", "status"], name="case_assignee"),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @property
    def ref(self) -> str:
        return f"CASE-{self.pk:06d}"

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED

    def can_move_to(self, status: str) -> bool:
        """By hand; the measures move a case through ALLOWED_MOVES."""
        return status in HAND_MOVES[self.status]

    def overdue(self, now: object = None) -> bool:
        return self.is_open and self.due_at <= (now or timezone.now())  # type: ignore[operator]


class CaseAccount(models.Model):
    """A subject account; a plain id, as on alerts, since the desk may not have loaded it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="account_rows")
    account_id = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "account_id"], name="case_account_once")
        ]
        indexes = [models.Index(fields=["account_id", "case"], name="case_account_lookup")]
        ordering = ["case", "account_id"]

    def __str__(self) -> str:
        return f"{self.account_id} in case {self.case_id}"


class CaseAlert(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="alert_rows")
    # An alert belongs to one case at most (its case_ref names it).
    alert = models.OneToOneField("alerts.Alert", on_delete=models.PROTECT, related_name="case_row")
    joined_at = models.DateTimeField(default=timezone.now)
    joined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["joined_at", "id"]

    def __str__(self) -> str:
        return f"alert {self.alert_id} in case {self.case_id}"


class CaseEvent(models.Model):
    """One line of the case's timeline. Append-only: the timeline is its own history."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    task = models.CharField(max_length=120, blank=True, default="")
    text = models.TextField(blank=True, default="")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at", "id"], name="case_event_timeline")]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id} at {self.at:%Y-%m-%d %H:%M}"


class Escalation(models.Model):
    """A request for someone above to look: raised by a person, or by a timer (no raiser)."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"

    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="escalations"
    )
    alert = models.ForeignKey(
        "alerts.Alert", null=True, blank=True, on_delete=models.CASCADE, related_name="escalations"
    )
    target = models.CharField(max_length=20, choices=Target.choices)
    # The supervisor on duty (or head of risk) at the time; empty: the whole target group.
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    level = models.PositiveSmallIntegerField(default=1, help_text="1 supervisor, 2 head of risk.")
    reason = models.TextField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=15, choices=State.choices, default=State.OPEN)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(case__isnull=False, alert__isnull=True)
                | models.Q(case__isnull=True, alert__isnull=False),
                name="escalation_of_one_thing",
            )
        ]
        indexes = [models.Index(fields=["target", "state", "-raised_at"], name="escalation_inbox")]

    def __str__(self) -> str:
        return f"escalation {self.pk} to {self.target} ({self.state})"

    @property
    def by_timer(self) -> bool:
        return self.raised_by_id is None


class EscalationReply(models.Model):
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="replies")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    text = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"reply to escalation {self.escalation_id}"


class TimerFiring(models.Model):
    """A timer that has fired. The unique key makes each (object, due time, level) fire once,
    however many schedulers scan at the same moment."""

    class Subject(models.TextChoices):
        ALERT = "alert", "Alert SLA"
        CASE = "case", "Case due time"

    subject = models.CharField(max_length=10, choices=Subject.choices)
    object_id = models.BigIntegerField()
    due_at = models.DateTimeField()
    level = models.PositiveSmallIntegerField()
    fired_at = models.DateTimeField(default=timezone.now)
    escalation = models.ForeignKey(
        Escalation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "object_id", "due_at", "level"], name="timer_fires_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.object_id} level {self.level}"
