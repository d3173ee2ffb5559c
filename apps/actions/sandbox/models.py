"""The sandbox exchange's own tables. They stand for the exchange's state, not the desk's,
so they carry no desk history: SandboxCall is the exchange's own log of what it was asked."""

from django.db import models


class SandboxRestriction(models.Model):
    id = models.CharField(max_length=64, primary_key=True)
    # null as in the contract (JSON null), not "": the sandbox stores what it was sent.
    account_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    scope = models.CharField(max_length=10)
    symbol = models.CharField(max_length=40, null=True, blank=True)  # noqa: DJ001
    measure = models.CharField(max_length=20)
    params = models.JSONField(default=dict)
    reason_code = models.CharField(max_length=40)
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, default="active")
    applied_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "actions"
        ordering = ["applied_at"]

    def __str__(self) -> str:
        return f"sandbox {self.id} {self.measure} ({self.status})"


class SandboxPosition(models.Model):
    account_id = models.CharField(max_length=64)
    symbol = models.CharField(max_length=40)
    qty = models.FloatField()
    entry_price = models.FloatField()
    mark_price = models.FloatField()
    leverage = models.PositiveSmallIntegerField(default=10)

    class Meta:
        app_label = "actions"
        constraints = [
            models.UniqueConstraint(fields=["account_id", "symbol"], name="sandbox_position_once")
        ]

    def __str__(self) -> str:
        return f"sandbox {self.account_id} {self.symbol} {self.qty}"


class SandboxLiquidation(models.Model):
    """The first answer under an Idempotency-Key, given again for the same key."""

    idempotency_key = models.CharField(max_length=64, primary_key=True)
    account_id = models.CharField(max_length=64)
    symbol = models.CharField(max_length=40, null=True, blank=True)  # noqa: DJ001
    answer = models.JSONField()
    at = models.DateTimeField()

    class Meta:
        app_label = "actions"

    def __str__(self) -> str:
        return f"sandbox liquidation {self.idempotency_key}"


class SandboxFault(models.Model):
    """Trouble ordered on purpose: the next `remaining` calls fail this way."""

    class Kind(models.TextChoices):
        UNAVAILABLE = "unavailable", "Answer 503 and change nothing"
        HANG_BEFORE = "hang_before", "Wait `seconds`, then handle the call"
        HANG_AFTER = "hang_after", "Handle the call, then wait `seconds` before answering"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    remaining = models.PositiveIntegerField(default=1)
    seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "actions"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"sandbox fault {self.kind} x{self.remaining}"


class SandboxCall(models.Model):
    at = models.DateTimeField(auto_now_add=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=200)
    key = models.CharField(max_length=64, blank=True, default="")
    status_code = models.PositiveSmallIntegerField()
    # Whether the call changed the exchange's state: a retry of an applied call does not.
    changed_state = models.BooleanField(default=False)
    fault = models.CharField(max_length=12, blank=True, default="")

    class Meta:
        app_label = "actions"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status_code}"
