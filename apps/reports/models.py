"""The daily risk-control report (one row per version of a day or range of days) and the list
of people it is mailed to."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.desk.history import HistoryStamp


class DailyReport(models.Model):
    """One build of the report for the UTC days [first_day, last_day].

    A rebuild is a new row with the next version: the earlier one stays as it was read, so a
    report already sent can be shown again. Rows are written once (queued → building →
    ready or failed) and never edited after; that is why they carry no history table of their
    own: `requested_by` / `built_by` / `built_at` are the record."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        BUILDING = "building", "Building"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    MOVES: dict[str, frozenset[str]] = {
        Status.QUEUED: frozenset({Status.BUILDING}),
        Status.BUILDING: frozenset({Status.READY, Status.FAILED}),
    }

    first_day = models.DateField(help_text="The first UTC day covered.")
    last_day = models.DateField(help_text="The last UTC day covered (inclusive).")
    version = models.PositiveIntegerField()
    # Made by the end-of-day task; at most one per day (the once-guard for two schedulers).
    scheduled = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)
    built_by = models.CharField(
        max_length=150, blank=True, default="", help_text="A person or a task."
    )
    sections_done = models.PositiveSmallIntegerField(default=0)
    sections_total = models.PositiveSmallIntegerField(default=0)
    content = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-first_day", "-last_day", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["first_day", "last_day", "version"], name="daily_report_version_once"
            ),
            models.UniqueConstraint(
                fields=["first_day"],
                condition=Q(scheduled=True),
                name="daily_report_scheduled_once",
            ),
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")), name="daily_report_days_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"Daily report {self.days_label} v{self.version}"

    @property
    def days_label(self) -> str:
        if self.first_day == self.last_day:
            return f"{self.first_day:%Y-%m-%d}"
        return f"{self.first_day:%Y-%m-%d} – {self.last_day:%Y-%m-%d}"  # noqa: RUF001

    @property
    def file_stem(self) -> str:
        days = f"{self.first_day:%Y-%m-%d}"
        if self.last_day != self.first_day:
            days += f"_to_{self.last_day:%Y-%m-%d}"
        return f"daily-report-{days}-v{self.version}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.READY, self.Status.FAILED)


class ReportRecipient(models.Model):
    """Someone the daily report is e-mailed to; the supervisors keep the list."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True, default="")
    active = models.BooleanField(default=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email
