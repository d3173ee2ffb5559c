"""The triage queue page: its filters, one page of rows, the severity counts and the home
page's totals (one alert's reads and the reads other apps make: selectors.py)."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.utils import timezone

from apps.alerts.grouping import QueueRow, group_rows
from apps.alerts.models import (
    OPEN_STATUSES,
    SEVERITY_RANK,
    URGENCY,
    Alert,
    AlertAccount,
    Category,
    DismissReason,
    Severity,
    Status,
    sla_breached,
)

QUEUE_ORDER = URGENCY
PAGE_SIZE = 50
# Counting a filter that matches most of a million rows costs more than it tells: the
# counts look at no more than this many alerts, and say "+" when there were more.
COUNT_CAP = 5_000
WITHIN = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
STATUS_CHOICES = [
    ("open", "Open (new + claimed)"),
    *Status.choices,
    ("confirmed", "Confirmed (escalated or in a case)"),
    ("all", "All"),
]
CONFIRMED_STATUSES = (Status.ESCALATED, Status.IN_CASE)


def _parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else timezone.make_aware(moment, timezone.get_current_timezone())


@dataclass(frozen=True)
class QueueFilters:
    status: str = "open"
    severity: str = ""
    category: str = ""
    symbol: str = ""
    rule: str = ""
    reason: str = ""  # the dismissal reason
    # "due": since / until read the SLA due time instead of detection; "missed": and only
    # the alerts whose SLA was breached (alerts.models.sla_breached).
    sla: str = ""
    account: str = ""
    assignee: str = ""  # "me", "offered" (to me), "none", or a username
    within: str = ""  # one of WITHIN
    since: datetime | None = None
    until: datetime | None = None
    user_id: int | None = None
    problems: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_query(
        cls, query: Mapping[str, Any], user: Any, *, status: str = "open"
    ) -> "QueueFilters":
        problems = []

        def pick(name: str, allowed: list[str] | None = None) -> str:
            value = str(query.get(name, "") or "").strip()
            if value and allowed is not None and value not in allowed:
                problems.append(f"Unknown {name} “{value}” ignored.")
                return ""
            return value

        times = {}
        for name in ("since", "until"):
            raw = pick(name)
            times[name] = _parse_time(raw) if raw else None
            if raw and times[name] is None:
                problems.append(f"{name} “{raw}” is not an ISO-8601 time; ignored.")
        return cls(
            status=pick("status", [v for v, _ in STATUS_CHOICES]) or status,
            severity=pick("severity", Severity.values),
            category=pick("category", Category.values),
            symbol=pick("symbol").upper(),
            rule=pick("rule"),
            reason=pick("reason", DismissReason.values),
            sla=pick("sla", ["due", "missed"]),
            account=pick("account"),
            assignee=pick("assignee"),
            within=pick("within", list(WITHIN)),
            since=times["since"],
            until=times["until"],
            user_id=getattr(user, "pk", None),
            problems=tuple(problems),
        )

    def apply(self, alerts: QuerySet[Alert]) -> QuerySet[Alert]:
        if self.status == "open":
            alerts = alerts.filter(status__in=OPEN_STATUSES)
        elif self.status == "confirmed":
            alerts = alerts.filter(status__in=CONFIRMED_STATUSES)
        elif self.status in Status.values:
            alerts = alerts.filter(status=self.status)
        if self.reason:
            alerts = alerts.filter(dismiss_reason=self.reason)
        exact = {"category": self.category, "symbol": self.symbol}
        alerts = alerts.filter(**{name: value for name, value in exact.items() if value})
        if self.severity:
            # By rank, the column every urgency index starts with after its prefix: the
            # planner then finds e.g. "category X, severity critical" as one index range
            # instead of walking the category's rows to filter them (820 ms -> 1 ms).
            alerts = alerts.filter(severity_rank=SEVERITY_RANK[Severity(self.severity)])
        if self.rule:
            alerts = alerts.filter(rule=self.rule)
        if self.account:
            alerts = alerts.filter(
                pk__in=AlertAccount.objects.filter(account_id=self.account).values("alert_id")
            )
        if self.assignee == "me":
            alerts = alerts.filter(assignee_id=self.user_id)
        elif self.assignee == "offered":  # routed to me (apps.shifts), not yet taken
            alerts = alerts.filter(status=Status.NEW, offered_to_id=self.user_id)
        elif self.assignee == "none":
            alerts = alerts.filter(assignee__isnull=True)
        elif self.assignee:
            alerts = alerts.filter(assignee__username=self.assignee)
        if self.within:
            alerts = alerts.filter(detected_at__gte=timezone.now() - WITHIN[self.within])
        moment = "sla_due_at" if self.sla else "detected_at"
        if self.since:
            alerts = alerts.filter(**{f"{moment}__gte": self.since})
        if self.until:
            alerts = alerts.filter(**{f"{moment}__lt": self.until})
        if self.sla == "missed":
            alerts = alerts.filter(sla_breached(timezone.now()))
        return alerts

    def kept(self) -> list[tuple[str, str]]:
        """Filters with no field in the queue's form (they come from links, e.g. the daily
        report's figures): the form carries them on, and the page says they apply."""
        utc = {n: t.astimezone(UTC).isoformat() for n, t in (("since", self.since),
               ("until", self.until)) if t}  # fmt: skip
        named = (("rule", self.rule), ("reason", self.reason), ("sla", self.sla), *utc.items())
        return [(n, v) for n, v in named if v]

    def in_force(self) -> list[str]:
        """The filter in words, as the queue's header says it."""
        status = dict(STATUS_CHOICES).get(self.status, self.status)
        words = [f"status {str(status).lower()}"]
        labels = {
            "severity": dict(Severity.choices).get(self.severity, ""),
            "category": dict(Category.choices).get(self.category, ""),
            "symbol": self.symbol,
            "rule": self.rule,
            "account": self.account,
            "assignee": {"me": "mine", "none": "unassigned", "offered": "offered to me"}.get(
                self.assignee, self.assignee
            ),
            "detected": {"1h": "last hour", "24h": "last 24 h", "7d": "last 7 days"}.get(
                self.within, ""
            ),
        }
        words += [f"{name} {value}" for name, value in labels.items() if value]
        if self.reason:
            words.append(f"dismissed as {self.reason}")
        if self.sla:
            words.append({"due": "SLA due", "missed": "SLA missed"}.get(self.sla, self.sla))
        if self.since:
            words.append(f"since {self.since:%Y-%m-%d %H:%M}")
        if self.until:
            words.append(f"until {self.until:%Y-%m-%d %H:%M}")
        return words

    def query_string(self, **changes: str) -> str:
        from urllib.parse import urlencode

        values = {
            "status": self.status,
            "severity": self.severity,
            "category": self.category,
            "symbol": self.symbol,
            "rule": self.rule,
            "reason": self.reason,
            "sla": self.sla,
            "account": self.account,
            "assignee": self.assignee,
            "within": self.within,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        values.update(changes)
        return urlencode(
            {k: v for k, v in values.items() if v and not (k == "status" and v == "open")}
        )


@dataclass(frozen=True)
class SeverityCount:
    severity: str
    label: str
    count: int
    capped: bool


@dataclass(frozen=True)
class QueuePage:
    alerts: list[Alert]
    filters: QueueFilters
    counts: list[SeverityCount]
    breached: int
    page: int
    has_next: bool
    now: datetime
    rows: list[QueueRow] = field(default_factory=list)
    grouped: bool = False

    @property
    def total(self) -> int:
        """Alerts matching the filters (counted up to COUNT_CAP, see `capped`: the header
        then says "5000+", not the 5,001 the count stopped at)."""
        if self.filters.severity:
            found = next(c.count for c in self.counts if c.severity == self.filters.severity)
        else:
            found = sum(c.count for c in self.counts)
        return min(found, COUNT_CAP)

    @property
    def capped(self) -> bool:
        return any(c.capped for c in self.counts)


def queue_page(
    filters: QueueFilters, *, page: int = 1, size: int = PAGE_SIZE, grouped: bool = True
) -> QueuePage:
    """One page of the queue, most urgent first; a fixed number of queries whatever the page.
    Grouped, the alerts of one cluster or incident on the page fold into one row."""
    page = max(1, page)
    base = filters.apply(Alert.objects.all())
    order: list[Any] = list(QUEUE_ORDER)
    if filters.within or filters.since or filters.until:
        # A time window is best found through the detected_at index and then sorted;
        # ordering by the bare column tempts the planner to walk the whole urgency index
        # looking for recent rows (400 ms on a million alerts, against 30 ms). The page's
        # ids are ranked from that index alone, and only their rows are read (7 days of
        # every status: 145 ms -> see docs/alerts.md).
        order[0] = ExpressionWrapper(F("severity_rank") + Value(0), IntegerField()).desc()
        order[1] = ExpressionWrapper(F("sla_due_at") + Value(timedelta(0)), DateTimeField())
        ids = base.order_by(*order).values("pk")[(page - 1) * size : page * size + 1]
        rows = list(
            Alert.objects.filter(pk__in=Subquery(ids))
            .select_related("assignee")
            .defer("evidence", "metrics")
            .order_by(*order)
        )
    else:
        rows = list(
            base.select_related("assignee")
            .defer("evidence", "metrics")
            .order_by(*order)[(page - 1) * size : page * size + 1]
        )
    now = timezone.now()
    shown = rows[:size]
    return QueuePage(
        alerts=shown,
        rows=group_rows(shown, base) if grouped else [QueueRow(a) for a in shown],
        grouped=grouped,
        filters=filters,
        counts=severity_counts(filters),
        breached=breached_count(now),
        page=page,
        has_next=len(rows) > size,
        now=now,
    )


def severity_counts(filters: QueueFilters) -> list[SeverityCount]:
    """Alerts per severity under the filters (but the severity filter, so the other
    severities stay in view), in one pass over at most COUNT_CAP + 1 of them."""
    # By rank, the first column of every urgency index: the open queue's counts are then
    # read from its partial index alone, not from 5,000 table rows.
    sample = (
        replace(filters, severity="")
        .apply(Alert.objects.all())
        .order_by()
        .values_list("severity_rank", flat=True)[: COUNT_CAP + 1]
    )
    sql, params = sample.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT severity_rank, COUNT(*) FROM ({sql}) sample GROUP BY severity_rank", params
        )
        found = dict(cursor.fetchall())
    capped = sum(found.values()) > COUNT_CAP
    return [
        SeverityCount(severity.value, severity.label, found.get(SEVERITY_RANK[severity], 0), capped)
        for severity in Severity
    ]


def breached_count(now: datetime | None = None) -> int:
    return Alert.objects.filter(
        sla_breached(now or timezone.now()), status__in=OPEN_STATUSES
    ).count()


@dataclass(frozen=True)
class QueueSummary:
    open: int
    unclaimed: int
    mine: int
    breached: int
    my_breached: int


def queue_summary(user: Any) -> QueueSummary:
    """The figures on an operator's or supervisor's home page, in one query."""
    now = timezone.now()
    mine = Q(assignee_id=user.pk)
    late = sla_breached(now)
    figures = Alert.objects.filter(status__in=OPEN_STATUSES).aggregate(
        open=Count("id"),
        unclaimed=Count("id", filter=Q(status=Status.NEW)),
        mine=Count("id", filter=mine),
        breached=Count("id", filter=late),
        my_breached=Count("id", filter=mine & late),
    )
    return QueueSummary(**figures)
