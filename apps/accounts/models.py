"""The exchange's accounts as the desk sees them, what identifies them, and who controls them."""

from django.db import models
from simple_history.models import HistoricalRecords

from apps.accounts.vocabulary import SHORT_KINDS, LinkKind, shorten
from apps.desk.history import HistoryStamp


class ControlCluster(models.Model):
    """Accounts the detection layer believes are under one actual controller."""

    key = models.CharField(max_length=80, unique=True, help_text="Stable across re-runs.")
    size = models.PositiveIntegerField(default=0)
    first_detected_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["-size", "key"]

    def __str__(self) -> str:
        return f"cluster {self.key} ({self.size} accounts)"


class ExchangeAccount(models.Model):
    account_id = models.CharField(max_length=64, primary_key=True)
    registered_at = models.DateTimeField()
    kyc_level = models.PositiveSmallIntegerField()
    vip_tier = models.PositiveSmallIntegerField()
    api_trading_allowed = models.BooleanField(default=False)
    market_maker = models.BooleanField(default=False)
    # Plain id, not a key: the referrer may be an account the desk has not loaded.
    referrer_id = models.CharField(max_length=64, blank=True, default="")
    cluster = models.ForeignKey(
        ControlCluster, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    loaded_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["account_id"]

    def __str__(self) -> str:
        return self.account_id


class Identifier(models.Model):
    """An IP, device or funding address an account was seen with.

    The row is itself the record over time (first / last seen, how often), so it carries
    no separate history table: a login storm would otherwise write millions of rows.
    """

    class Kind(models.TextChoices):
        IP = "ip", "IP address"
        DEVICE = "device", "Device"
        ADDRESS = "address", "Funding address"
        COUNTERPARTY = "counterparty", "Internal transfer counterparty"

    account = models.ForeignKey(
        ExchangeAccount, on_delete=models.CASCADE, related_name="identifiers"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    value = models.CharField(max_length=200)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    times_seen = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "kind", "value"], name="identifier_once")
        ]
        indexes = [
            models.Index(fields=["kind", "value"], name="identifier_lookup"),
            # Search matches a value whatever its kind.
            models.Index(fields=["value"], name="identifier_value"),
        ]
        ordering = ["kind", "-last_seen"]

    def __str__(self) -> str:
        return f"{self.kind} {self.value}"


class AccountProfile(models.Model):
    """What the desk has learnt of an account's usual behaviour over the windows it ran
    detection on; read by the rules (apps.detection.memory) to judge a window against it.

    Like Identifier it is a running record (no history table): every detection run
    folds its window in once, guarded by RememberedWindow.
    """

    account = models.OneToOneField(
        ExchangeAccount, on_delete=models.CASCADE, primary_key=True, related_name="profile"
    )
    first_window_at = models.DateTimeField(help_text="Start of the first window remembered.")
    last_window_at = models.DateTimeField(help_text="End of the last window remembered.")
    days_observed = models.FloatField(default=0.0)
    active_days = models.FloatField(default=0.0, help_text="Days of windows it placed orders in.")
    orders = models.PositiveBigIntegerField(default=0)
    usual_equity = models.FloatField(
        default=0.0, help_text="Most funds seen on the account in a window (USDT)."
    )
    order_notional = models.JSONField(
        default=dict, help_text="Median order notional per symbol (USDT)."
    )
    findings = models.JSONField(default=dict, help_text="Alerts raised on it, per category.")

    def __str__(self) -> str:
        return f"profile of {self.account_id}"

    @property
    def orders_per_day(self) -> float:
        return self.orders / self.days_observed if self.days_observed else 0.0


class RememberedWindow(models.Model):
    """A window whose accounts were folded into their profiles: folding is done once, so
    running detection over the same window again leaves the memory as it was."""

    start = models.DateTimeField()
    end = models.DateTimeField()
    folder = models.CharField(max_length=500)
    accounts = models.PositiveIntegerField(default=0)
    identifiers = models.PositiveIntegerField(default=0)
    remembered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["start", "end"], name="window_once")]
        ordering = ["-end"]

    def __str__(self) -> str:
        return f"window {self.start:%Y-%m-%d %H:%M} - {self.end:%Y-%m-%d %H:%M}"


class AccountLink(models.Model):
    """One piece of evidence that two accounts share a controller."""

    Kind = LinkKind

    # The pair is stored once, lower account id first.
    account_a = models.ForeignKey(ExchangeAccount, on_delete=models.CASCADE, related_name="+")
    account_b = models.ForeignKey(ExchangeAccount, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    evidence = models.JSONField(default=dict, help_text="Shared values, counts, times.")
    first_seen = models.DateTimeField(null=True)
    last_seen = models.DateTimeField(null=True)
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account_a", "account_b", "kind"], name="link_once"),
            models.CheckConstraint(
                condition=models.Q(account_a__lt=models.F("account_b")), name="link_ordered"
            ),
        ]
        indexes = [models.Index(fields=["account_b"], name="link_b")]

    def __str__(self) -> str:
        return f"{self.account_a_id} ~ {self.account_b_id} ({self.kind})"

    @property
    def strength(self) -> float | None:
        """How strongly the pair's evidence says one controller (0-1); older links have none."""
        value = self.evidence.get("strength")
        return float(value) if value is not None else None

    def label(self) -> str:
        """A few words that say what this link is, for a graph edge: "3 transfers",
        "via U1234", "device D-9f…"; the kind alone when no evidence was kept."""
        values = [str(v) for v in self.evidence.get("values", [])]
        count = int(self.evidence.get("value_count") or len(values))
        if not values:
            return SHORT_KINDS.get(self.kind, self.kind)
        more = f" +{count - 1}" if count > 1 else ""
        match self.kind:
            case self.Kind.TRANSFER:
                return f"{count} transfer{'s' if count != 1 else ''}"
            case self.Kind.TRADES_WITH:
                return f"{self.evidence.get('events', count)} fills"
            case self.Kind.LOCKSTEP:
                return f"{self.evidence.get('events', count)}x in step"
            case self.Kind.IP:
                return f"{count} IPs" if count > 1 else f"IP {shorten(values[0])}"
            case self.Kind.COUNTERPARTY:
                return f"via {shorten(values[0])}{more}"
        return f"{SHORT_KINDS.get(self.kind, self.kind)} {shorten(values[0])}{more}"

    def reason(self) -> str:
        """One sentence an operator reads: what the two accounts share, how strongly."""
        values = ", ".join(str(v) for v in self.evidence.get("values", [])[:5])
        count = int(self.evidence.get("value_count", 0) or 0)
        more = f" and {count - 5} more" if count > 5 else ""
        sentences: dict[str, str] = {
            self.Kind.TRANSFER: f"moved funds to each other "
            f"{'once' if count == 1 else f'{count} times'} ({values}{more})",
            self.Kind.COUNTERPARTY: f"both moved funds with {values}{more}",
            self.Kind.TRADES_WITH: f"filled each other {self.evidence.get('events', 0)} times"
            f" in {values}",
            self.Kind.LOCKSTEP: f"took the same side within seconds of each other "
            f"{self.evidence.get('events', 0)} times in {values}",
            self.Kind.IP: f"logged in from the same IP{'s' if count > 1 else ''} {values}{more}",
            self.Kind.DEVICE: f"used the same device {values}{more}",
            self.Kind.ADDRESS: f"share the external wallet {values}{more}",
        }
        said = sentences.get(str(self.kind), f"{self.kind}: {values}")
        if not values:  # links found before their values were kept: no empty brackets
            said = (
                said.rstrip().removesuffix("()").rstrip().removesuffix(" in").removesuffix(" with")
            )
        strength = self.strength
        return said + (f"; strength {strength:.2f}" if strength is not None else "")


class FeedLoad(models.Model):
    """One run of the account loader over a feed window: what it read and changed."""

    folder = models.CharField(max_length=500)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True)
    accounts_created = models.PositiveIntegerField(default=0)
    accounts_updated = models.PositiveIntegerField(default=0)
    identifiers_seen = models.PositiveIntegerField(default=0)
    links = models.PositiveIntegerField(default=0)
    clusters = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"load of {self.folder} at {self.started_at:%Y-%m-%d %H:%M}"
