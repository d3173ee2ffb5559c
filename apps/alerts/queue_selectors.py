"""The triage queue page: one page of rows, the severity counts and the home page's totals
(its filters: queue_filters.py; one alert's reads and the reads other apps make:
selectors.py)."""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
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
    Severity,
    Status,
    sla_breached,
)
from apps.alerts.queue_filters import QueueFilters

QUEUE_ORDER = URGENCY
PAGE_SIZE = 50
# Counting a filter that matches most of a million rows costs more than it tells: the
# counts look at no more than this many alerts, and say "+" when there were more.
COUNT_CAP = 5_000


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
