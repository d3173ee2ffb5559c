"""The desk's side of detection: rules with versioned thresholds, and runs over windows."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from apps.desk.history import HistoryStamp


class DetectionRule(models.Model):
    """One rule of apps.detection.rules as the strategy team runs it: on or off, which version."""

    code = models.CharField(max_length=60, unique=True)
    category = models.CharField(max_length=40)
    description = models.TextField()
    enabled = models.BooleanField(default=True)
    live_version = models.ForeignKey(
        "RuleVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["category", "code"]

    def __str__(self) -> str:
        return self.code


class RuleVersion(models.Model):
    """Thresholds of a rule. Versions are never edited: a change is a new version."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        LIVE = "live", "Live"
        RETIRED = "retired", "Retired"

    rule = models.ForeignKey(DetectionRule, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    params = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["rule", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "number"], name="rule_version_once"),
            models.UniqueConstraint(
                fields=["rule"], condition=models.Q(status="live"), name="one_live_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule.code} v{self.number}"


class DetectionRun(models.Model):
    """One window of the feed taken by detection. The window name is unique, so a window is
    run once however many workers see it in the drop folder.

    Runs and their parts are work logs moved by conditional updates (so a task delivered
    twice counts once); their own timestamps are their history, with no history table."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    window = models.CharField(max_length=300, unique=True, help_text="Folder name of the window.")
    folder = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    parts_total = models.PositiveIntegerField(default=1)
    parts_done = models.PositiveIntegerField(default=0)
    alerts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    links = models.BinaryField(
        null=True, editable=False, help_text="The window's account links (Parquet), for every part."
    )
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-queued_at"]

    def __str__(self) -> str:
        return self.window

    @property
    def progress(self) -> int:
        return round(100 * self.parts_done / self.parts_total) if self.parts_total else 0


class DetectionPart(models.Model):
    """One worker's share of a run. A split run links the window's accounts and checks its
    ids first, side by side; then the rules run in shares: the account-level rules, and
    the per-symbol rules over groups of symbols. What a share raises is held here until
    every part is done, so a window that breaks the contract publishes nothing. Finishing
    a part is a conditional update, so a task delivered twice counts once."""

    class Kind(models.TextChoices):
        WHOLE = "whole", "Whole window"
        LINK = "link", "Link accounts"
        KEYS = "keys", "Check ids"
        ACCOUNTS = "accounts", "Account-level rules"
        SYMBOLS = "symbols", "Per-symbol rules"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(DetectionRun, on_delete=models.CASCADE, related_name="parts")
    index = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.WHOLE)
    symbols = models.JSONField(default=list, help_text="The symbols of a per-symbol share.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    alerts = models.PositiveIntegerField(default=0)
    found = models.JSONField(
        default=list, help_text="The alerts raised, held until the whole run is done."
    )
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="part_once")]

    def __str__(self) -> str:
        return f"{self.run.window} part {self.index}"


class Backtest(models.Model):
    """A rule version run over a stored window without raising anything, beside the live one."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    version = models.ForeignKey(RuleVersion, on_delete=models.CASCADE, related_name="backtests")
    window = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    live_alerts = models.JSONField(default=list)
    proposed_alerts = models.JSONField(default=list)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"backtest of {self.version} on {self.window}"


class RuleChange(models.Model):
    """A change to what the desk sees — a version of thresholds published, or a rule switched
    off — asked for by one person with a reason and made only when a second person (strategy
    or supervisor, never the one who asked) approves it."""

    class Kind(models.TextChoices):
        PUBLISH = "publish", "Publish a version"
        SWITCH_OFF = "switch_off", "Switch the rule off"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Waiting for a second person"
        APPROVED = "approved", "Approved and made"
        REJECTED = "rejected", "Rejected"

    rule = models.ForeignKey(DetectionRule, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    version = models.ForeignKey(
        RuleVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, default="")
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule"], condition=models.Q(status="requested"), name="one_open_rule_change"
            )
        ]

    def __str__(self) -> str:
        what = f"v{self.version.number}" if self.version_id else "off"  # type: ignore[union-attr]
        return f"{self.rule.code}: {what} ({self.get_status_display().lower()})"


class LiveConsumer(models.Model):
    """A live detector as it last reported itself (one row per consumer, rewritten each
    cycle): how far behind each stream it is, how fast it reads, how much it holds, when
    it last saved, and the history it lost behind MAXLEN. A heartbeat, not a decision: its
    own timestamps are its history, with no history table."""

    name = models.CharField(max_length=120, unique=True)
    # stream -> {"read": last id read, "behind_entries": n, "behind_seconds": s}
    streams = models.JSONField(default=dict)
    events_per_second = models.FloatField(default=0)
    state_rows = models.BigIntegerField(default=0)
    findings_open = models.PositiveIntegerField(default=0)
    checkpoint_at = models.DateTimeField(null=True, blank=True)
    gaps = models.JSONField(default=list)
    reported_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
