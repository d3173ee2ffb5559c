"""Emergency plans (versioned), their activations and the checklist ticks.

A plan's measures are not executed by the plan: an activation requests one ordinary Action
per measure, all in one batch, so the two-person rule, the approval inbox, the gateway and
its retries are the actions app's own. The activation remembers the plan version it used.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from apps.desk.history import HistoryStamp


class EventKind(models.TextChoices):
    EXTREME_MOVE = "extreme_move", "Extreme move on a contract"
    MARK_INDEX_DIVERGENCE = "mark_index_divergence", "Mark / index divergence"
    LIQUIDATION_CASCADE = "liquidation_cascade", "Liquidation cascade"
    EXCHANGE_FAILURE = "exchange_failure", "Matching engine or price feed failure"
    PROMOTION_DRAINED = "promotion_drained", "Promotion being drained"


class DeputyRole(models.TextChoices):
    """Who may approve when no second supervisor is on duty: a role, paged when needed."""

    OPERATOR = "operator", "Senior risk operator on call"
    STRATEGY = "strategy", "Strategy lead on call"


class Reach(models.TextChoices):
    """Where one measure of a plan lands when the plan is activated."""

    TARGET = "target", "The activated contract (or the platform)"
    PLATFORM = "platform", "Always platform-wide"


class EmergencyPlan(models.Model):
    """One version of a plan. Editing writes a new version; only the newest is current."""

    key = models.SlugField(max_length=60)
    version = models.PositiveIntegerField()
    is_current = models.BooleanField(default=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    # [{"measure": str, "params": {...}, "reach": "target" | "platform"}]
    measures = models.JSONField(default=list)
    checklist = models.JSONField(default=list)  # [str]: the manual steps, in order
    tell = models.JSONField(default=list)  # [str]: who is told (teams, desks, addresses)
    deputy_role = models.CharField(max_length=20, choices=DeputyRole.choices)
    customer_text = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        app_label = "actions"
        ordering = ["kind", "key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="plan_version_once"),
            models.UniqueConstraint(
                fields=["key"], condition=Q(is_current=True), name="plan_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class PlanActivation(models.Model):
    """A plan put to work on one contract or the platform, and later lifted."""

    class Status(models.TextChoices):
        AWAITING_APPROVAL = "awaiting_approval", "Waiting for a second person"
        REJECTED = "rejected", "Rejected"
        ACTIVE = "active", "Active"
        LIFT_AWAITING = "lift_awaiting", "Lift waiting for a second person"
        LIFTED = "lifted", "Lifted"

    MOVES: dict[str, frozenset[str]] = {
        Status.AWAITING_APPROVAL: frozenset({Status.ACTIVE, Status.REJECTED}),
        Status.ACTIVE: frozenset({Status.LIFT_AWAITING}),
        Status.LIFT_AWAITING: frozenset({Status.LIFTED, Status.ACTIVE}),
    }

    plan = models.ForeignKey(EmergencyPlan, on_delete=models.PROTECT, related_name="activations")
    symbol = models.CharField(max_length=40, blank=True, default="")  # "": the platform
    status = models.CharField(max_length=20, choices=Status.choices, db_index=True)
    batch = models.UUIDField(default=uuid.uuid4, unique=True)  # the measures' Action.batch
    lift_batch = models.UUIDField(null=True, blank=True, unique=True)
    alert = models.ForeignKey(
        "alerts.Alert", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True, default="")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    deputy_paged_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True, default="")
    lift_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lift_requested_at = models.DateTimeField(null=True, blank=True)
    lift_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        app_label = "actions"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("requested_by")),
                name="activation_approver_is_not_requester",
            ),
            models.CheckConstraint(
                condition=Q(lift_approved_by__isnull=True)
                | ~Q(lift_approved_by=models.F("lift_requested_by")),
                name="activation_lift_approver_is_not_requester",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.plan.name} on {self.target}"

    @property
    def reference(self) -> str:
        return f"EP-{self.pk}"

    @property
    def target(self) -> str:
        return self.symbol or "the platform"


class ChecklistTick(models.Model):
    """A manual step of an activation's checklist, ticked off by name."""

    activation = models.ForeignKey(PlanActivation, on_delete=models.CASCADE, related_name="ticks")
    step = models.PositiveSmallIntegerField()  # index into the plan version's checklist
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        app_label = "actions"
        ordering = ["step"]
        constraints = [
            models.UniqueConstraint(fields=["activation", "step"], name="checklist_step_once"),
        ]

    def __str__(self) -> str:
        return f"{self.activation} step {self.step}"
