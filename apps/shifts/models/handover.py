"""What a shift leaves the next: the handover (written, acknowledged or flagged overdue)
and the report made when it ends (written by apps.reports)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from apps.desk.history import HistoryStamp
from apps.shifts.models.rota import Shift


class Handover(models.Model):
    """What the outgoing shift leaves to the incoming one; the incoming shift acknowledges."""

    class Status(models.TextChoices):
        WRITTEN = "written", "Written, awaiting acknowledgement"
        OVERDUE = "overdue", "Not acknowledged in time"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"

    MOVES: dict[str, set[str]] = {
        Status.WRITTEN: {Status.OVERDUE, Status.ACKNOWLEDGED},
        Status.OVERDUE: {Status.ACKNOWLEDGED},
        Status.ACKNOWLEDGED: set(),
    }

    from_shift = models.OneToOneField(Shift, on_delete=models.PROTECT, related_name="handover")
    to_shift = models.ForeignKey(
        Shift, null=True, blank=True, on_delete=models.PROTECT, related_name="handovers_in"
    )
    status = models.CharField(
        max_length=14, choices=Status.choices, default=Status.WRITTEN, db_index=True
    )
    note = models.TextField()
    # Open items collected at writing time by the registered collectors (handover_items).
    items = models.JSONField(default=dict, blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handovers_written"
    )
    written_at = models.DateTimeField()
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handovers_acknowledged",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["-written_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(acknowledged_by=F("written_by")), name="shifts_handover_other_reader"
            )
        ]

    def __str__(self) -> str:
        return f"handover of {self.from_shift}"

    def can_move_to(self, status: str) -> bool:
        return status in self.MOVES[self.status]

    @property
    def open_item_count(self) -> int:
        return sum(len(section.get("items", [])) for section in self.items.get("sections", []))


class ShiftReport(models.Model):
    """What a shift saw and did, made once when it ends (tasks.shift_reports_make).

    `figures` is the shift dashboard's reading of [starts_at, ends_at), frozen: what came
    in, what was done, what was still open at the end.
    """

    shift = models.OneToOneField(Shift, on_delete=models.PROTECT, related_name="report")
    made_at = models.DateTimeField()
    figures = models.JSONField(default=dict)

    class Meta:
        ordering = ["-made_at"]

    def __str__(self) -> str:
        return f"report of {self.shift}"
