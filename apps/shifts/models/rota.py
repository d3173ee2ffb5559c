"""The rota: patterns in a wall-clock time zone, concrete shifts in UTC, who works them.

A pattern says "08:00-20:00 in Europe/London on weekdays"; a shift is one occurrence of
it, stored as two UTC instants computed once (apps.shifts.clock), so a night shift across
a daylight-saving change is 11 or 13 hours long, as the people working it live it.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from apps.desk.errors import DomainError
from apps.desk.history import HistoryStamp
from apps.shifts.clock import shift_instants


def _desk_time_zone() -> str:
    return settings.DESK_TIME_ZONE


def _validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (KeyError, ValueError):
        raise ValidationError(f"{value!r} is not a known time zone.") from None


def _validate_weekdays(value: str) -> None:
    if not value or any(c not in "0123456" for c in value) or len(set(value)) != len(value):
        raise ValidationError("Weekdays are digits 0 (Monday) to 6 (Sunday), each once.")


class ShiftPattern(models.Model):
    """A recurring shift in local wall-clock time; an end at or before the start is next day."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    time_zone = models.CharField(
        max_length=64, default=_desk_time_zone, validators=[_validate_time_zone]
    )
    starts = models.TimeField(help_text="Local wall-clock time the shift starts.")
    ends = models.TimeField(help_text="Local time it ends; at or before the start means next day.")
    weekdays = models.CharField(
        max_length=7,
        default="0123456",
        validators=[_validate_weekdays],
        help_text="Days the shift starts on: 0 Monday … 6 Sunday.",
    )
    min_operators = models.PositiveSmallIntegerField(default=1)
    # The standing crew a newly generated shift starts with; changes per shift are swaps.
    default_supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    active = models.BooleanField(default=True)
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["starts", "code"]

    def __str__(self) -> str:
        return f"{self.name} {self.starts:%H:%M}\u2013{self.ends:%H:%M} {self.time_zone}"

    def runs_on(self, day: date) -> bool:
        return str(day.weekday()) in self.weekdays

    def instants(self, day: date) -> tuple[datetime, datetime]:
        return shift_instants(day, self.starts, self.ends, ZoneInfo(self.time_zone))

    @property
    def crosses_midnight(self) -> bool:
        return self.ends <= self.starts


class PatternMember(models.Model):
    """An operator on a pattern's standing crew: copied onto each shift generated from it."""

    pattern = models.ForeignKey(ShiftPattern, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pattern", "person"], name="shifts_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.person} on {self.pattern.code}"


class Shift(models.Model):
    pattern = models.ForeignKey(ShiftPattern, on_delete=models.PROTECT, related_name="shifts")
    local_date = models.DateField(help_text="The local date the shift starts on.")
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField(db_index=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervised_shifts",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once, by the end-of-shift scan, in the transaction that returns the work the
    # shift left unclaimed (services.offers.shift_return_unclaimed).
    work_returned_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(bases=[HistoryStamp], excluded_fields=["work_returned_at"])

    class Meta:
        ordering = ["starts_at", "pattern__starts"]
        constraints = [
            # Two beat runs at once (or a rerun) can never make the same shift twice.
            models.UniqueConstraint(fields=["pattern", "local_date"], name="shifts_shift_once"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shifts_shift_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pattern.name} {self.local_date:%a %Y-%m-%d}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.pattern.time_zone)

    @property
    def local_starts(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    @property
    def local_ends(self) -> datetime:
        return self.ends_at.astimezone(self.zone)

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600


class Assignment(models.Model):
    """One operator's seat on one shift. A swap or cover moves the seat to another person."""

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="assignments")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shift_assignments"
    )
    # The approved change that put this person in the seat; empty when the rota did.
    change = models.ForeignKey(
        "ShiftChange", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["shift__starts_at", "person__username"]
        constraints = [
            models.UniqueConstraint(fields=["shift", "person"], name="shifts_assignment_once")
        ]

    def __str__(self) -> str:
        return f"{self.person} on {self.shift}"


class ShiftError(DomainError):
    """A change to the rota that the desk's rules do not allow; the message says why."""


class ShiftChange(models.Model):
    """An operator asks to be covered on a shift, or to swap shifts; a supervisor decides."""

    class Kind(models.TextChoices):
        COVER = "cover", "Cover (someone takes my shift)"
        SWAP = "swap", "Swap (we trade shifts)"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    MOVES: dict[str, set[str]] = {
        Status.REQUESTED: {Status.APPROVED, Status.REJECTED, Status.WITHDRAWN},
        Status.APPROVED: set(),
        Status.REJECTED: set(),
        Status.WITHDRAWN: set(),
    }

    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.REQUESTED, db_index=True
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shift_changes_asked"
    )
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="changes")
    counterpart = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shift_changes_named"
    )
    # For a swap: the counterpart's shift, which the requester takes in return.
    counterpart_shift = models.ForeignKey(
        Shift, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shift_changes_decided",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Never self-approved, also for code that bypasses the service.
            models.CheckConstraint(
                condition=~Q(decided_by=F("requester")), name="shifts_change_not_self_decided"
            ),
            models.CheckConstraint(
                condition=~Q(counterpart=F("requester")), name="shifts_change_other_person"
            ),
            models.CheckConstraint(
                condition=Q(kind="cover", counterpart_shift__isnull=True)
                | Q(kind="swap", counterpart_shift__isnull=False),
                name="shifts_change_swap_has_two_shifts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display().split(' ')[0]} #{self.pk} {self.shift}"

    def can_move_to(self, status: str) -> bool:
        return status in self.MOVES[self.status]


class Skill(models.Model):
    """Something an operator is trusted with, for routing (e.g. promo, market_stress)."""

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=80)
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class PersonSkill(models.Model):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skills"
    )
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="holders")
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "skill"], name="shifts_skill_once")
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.skill.code}"
