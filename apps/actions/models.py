"""Actions the desk requests, how each was carried out, and the restrictions they leave standing."""

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from apps.actions.customer_models import (  # noqa: F401  (customer service's tables)
    AccountLookup,
    CustomerContact,
)
from apps.actions.measures import ActionStatus, Measure, ReasonCode, Scope
from apps.actions.plans.models import (  # noqa: F401  (emergency plans' tables)
    ChecklistTick,
    EmergencyPlan,
    PlanActivation,
)
from apps.actions.policy import FLOOR_MEASURES, FLOOR_SCOPES
from apps.actions.sandbox.models import (  # noqa: F401  (the exchange double's tables)
    SandboxCall,
    SandboxFault,
    SandboxLiquidation,
    SandboxPosition,
    SandboxRestriction,
)
from apps.desk.history import HistoryStamp


class Action(models.Model):
    """One measure on one scope, from request to its effect on the exchange."""

    Status = ActionStatus

    # The only moves a status may make; services check every change against it.
    MOVES: dict[str, frozenset[str]] = {
        Status.AWAITING_APPROVAL: frozenset({Status.APPROVED, Status.REJECTED, Status.EXPIRED}),
        Status.APPROVED: frozenset({Status.EXECUTING}),
        Status.EXECUTING: frozenset({Status.EXECUTED, Status.FAILED}),
        # A supervisor may send a failed action again, under the same id (harmless if it
        # reached the exchange after all).
        Status.FAILED: frozenset({Status.APPROVED}),
        Status.EXECUTED: frozenset({Status.LIFTED}),
    }
    OPEN = frozenset({Status.AWAITING_APPROVAL, Status.APPROVED, Status.EXECUTING})

    measure = models.CharField(max_length=20, choices=Measure.choices)
    scope = models.CharField(max_length=16, choices=Scope.choices)
    account = models.ForeignKey(
        "accounts.ExchangeAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="actions",
    )
    symbol = models.CharField(max_length=40, blank=True, default="")
    params = models.JSONField(default=dict, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="When the measure ends.")
    reason_code = models.CharField(max_length=30, choices=ReasonCode.choices)
    customer_text = models.TextField(help_text="What customer service may tell the customer.")
    internal_note = models.TextField(blank=True, default="", help_text="Desk only.")
    # Requests made together (a whole control cluster) share a batch.
    batch = models.UUIDField(null=True, blank=True, db_index=True)
    # The request form's one-time key: the same form sent twice (a second click, a retry
    # after an error page) finds the actions of the first instead of making new ones.
    request_key = models.UUIDField(null=True, blank=True, editable=False)
    lifts = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="lifted_by"
    )
    lifted_measure = models.CharField(
        max_length=20, choices=Measure.choices, blank=True, default=""
    )
    # What the measure answers: the investigation and the findings behind it, so an auditor
    # follows any action back to its alerts, its case, who asked and who approved.
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="actions"
    )
    alerts = models.ManyToManyField("alerts.Alert", blank=True, related_name="actions")

    requires_approval = models.BooleanField()
    status = models.CharField(max_length=20, choices=Status.choices, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="actions_requested"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    approval_deadline = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="actions_approved",
    )
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="actions_rejected",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True, default="")

    # Execution: the claim (token + lease) fences out a second worker on the same action.
    attempts = models.PositiveIntegerField(default=0)
    attempt_limit = models.PositiveIntegerField(default=0, help_text="Tries allowed so far.")
    claim_token = models.UUIDField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When the live execution message falls due (null: none is queued); see enqueue_execution.
    queued_at = models.DateTimeField(null=True, blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    failure_message = models.TextField(blank=True, default="")
    result = models.JSONField(null=True, blank=True, help_text="The exchange's answer.")

    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["status", "approval_deadline"], name="action_due"),
            models.Index(fields=["requested_by", "request_key"], name="action_request_key"),
        ]
        constraints = [
            # The two-person rule, whatever path writes the row (page, API, admin, shell).
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("requested_by")),
                name="action_approver_is_not_requester",
            ),
            # The approval floor (apps.actions.policy) as the database sees it.
            models.CheckConstraint(
                condition=Q(requires_approval=True)
                | ~(
                    Q(measure__in=sorted(FLOOR_MEASURES))
                    | Q(lifted_measure__in=sorted(FLOOR_MEASURES))
                    | Q(scope__in=sorted(FLOOR_SCOPES))
                ),
                name="action_floor_needs_approval",
            ),
            # Past the approval step, an action that needs an approver has one.
            models.CheckConstraint(
                condition=Q(requires_approval=False)
                | Q(status__in=["awaiting_approval", "rejected", "expired"])
                | Q(approved_by__isnull=False),
                name="action_approved_by_someone",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="action_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(scope="account", account__isnull=False, symbol="")
                | (Q(scope="account_symbol", account__isnull=False) & ~Q(symbol=""))
                | (Q(scope="symbol", account__isnull=True) & ~Q(symbol=""))
                | Q(scope="platform", account__isnull=True, symbol=""),
                name="action_scope_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.measure} {self.target}"

    @property
    def reference(self) -> str:
        """riskdesk's id for the action, and the id / Idempotency-Key the exchange sees."""
        return f"A-{self.pk}"

    @property
    def target(self) -> str:
        if self.scope == Scope.PLATFORM:
            return "platform-wide"
        if self.scope == Scope.SYMBOL:
            return f"{self.symbol} for everyone"
        if self.scope == Scope.ACCOUNT_SYMBOL:
            return f"{self.account_id} on {self.symbol}"
        return str(self.account_id)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    def can_move(self, to: str) -> bool:
        return to in self.MOVES.get(self.status, frozenset())


class ActionAttempt(models.Model):
    """One call to the exchange for an action: what was sent and what came back."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Waiting for the answer"
        OK = "ok", "Applied"
        NOTHING_TO_LIFT = "nothing_to_lift", "Nothing to lift"
        TRANSIENT = "transient", "Transient failure, retried"
        PERMANENT = "permanent", "Refused by the exchange"
        GAVE_UP = "gave_up", "Transient failure, last try"
        ABANDONED = "abandoned", "No answer: the worker was lost"
        SUPERSEDED = "superseded", "Answer after another worker took over"

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    claim_token = models.UUIDField(default=uuid.uuid4)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=200)
    request_body = models.JSONField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True, default="")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    answer = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["action_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["action", "number"], name="attempt_once"),
        ]

    def __str__(self) -> str:
        return f"{self.action.reference} attempt {self.number}"

    @property
    def took_ms(self) -> int | None:
        if self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds() * 1000)


class Restriction(models.Model):
    """A measure standing on the exchange, placed by one executed action."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        LIFTED = "lifted", "Lifted"
        EXPIRED = "expired", "Expired"

    MOVES: dict[str, frozenset[str]] = {
        Status.ACTIVE: frozenset({Status.LIFTED, Status.EXPIRED}),
    }

    action = models.OneToOneField(Action, on_delete=models.PROTECT, related_name="restriction")
    exchange_id = models.CharField(max_length=64, unique=True)
    measure = models.CharField(max_length=20, choices=Measure.choices)
    scope = models.CharField(max_length=16, choices=Scope.choices)
    account = models.ForeignKey(
        "accounts.ExchangeAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="restrictions",
    )
    symbol = models.CharField(max_length=40, blank=True, default="")
    params = models.JSONField(default=dict, blank=True)
    applied_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        Action, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["-applied_at"]
        indexes = [models.Index(fields=["status", "expires_at"], name="restriction_due")]

    def __str__(self) -> str:
        return f"{self.get_measure_display()} on {self.action.target} ({self.status})"

    def is_active_at(self, at: datetime) -> bool:
        """restriction_active(at) for one restriction already in hand; the two must agree."""
        return self.status == self.Status.ACTIVE and (
            self.expires_at is None or self.expires_at > at
        )


def restriction_active(at: datetime) -> Q:
    """The one meaning of "active restriction" (customer service, the shift's handover,
    reconciliation, lifting): standing on the desk and not past its expiry at `at`. The
    contract ends a restriction at `expires_at` on the exchange, whether or not the desk's
    expiry scan has run yet, so the desk never calls one active past that instant."""
    return Q(status=Restriction.Status.ACTIVE) & (Q(expires_at__isnull=True) | Q(expires_at__gt=at))
