"""Customer service's tables: each lookup of an account (who looked, when, what they were
told), and each contact or appeal a customer made, which is the desk's work to answer."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from apps.desk.history import HistoryStamp


class AccountLookup(models.Model):
    """Customer service looked an account up: who, when, which id. Written once, never changed."""

    looked_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    looked_up_at = models.DateTimeField(auto_now_add=True)
    query = models.CharField(max_length=64)
    account = models.ForeignKey(
        "accounts.ExchangeAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    was_restricted = models.BooleanField(default=False)

    class Meta:
        ordering = ["-looked_up_at"]

    def __str__(self) -> str:
        return f"{self.looked_up_by} looked up {self.query} at {self.looked_up_at:%Y-%m-%d %H:%M}"


class CustomerContact(models.Model):
    """A customer got in touch about an account — a question, or an appeal against a
    measure — recorded by customer service. It is the desk's work with a time to answer:
    offered to an operator on duty, flagged to the supervisor once overdue; the answer (in
    words safe for the customer) goes back to customer service."""

    class Kind(models.TextChoices):
        CONTACT = "contact", "Contact"
        APPEAL = "appeal", "Appeal"

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for the desk"
        ANSWERED = "answered", "Answered"

    account = models.ForeignKey(
        "accounts.ExchangeAccount", on_delete=models.PROTECT, related_name="customer_contacts"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.TextField(help_text="What the customer said or asks, in CS's words.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    due_at = models.DateTimeField(help_text="When the desk should have answered.")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    answer = models.TextField(blank=True, default="", help_text="What customer service may say.")
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    overdue_told_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="contact_open"),
            models.Index(fields=["account", "recorded_at"], name="contact_account"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} about {self.account_id} ({self.get_status_display()})"
