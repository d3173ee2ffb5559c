"""Alerts as a CSV: the queue's filter in force, every matching alert (not only a page)."""

from collections.abc import Iterator, Sequence

from django.http import StreamingHttpResponse
from django.views.decorators.http import require_GET

from apps.alerts import queue_filters
from apps.alerts.models import Alert
from apps.desk.spreadsheet import csv_response
from apps.people.access import role_required
from apps.people.http import DeskRequest
from apps.people.roles import STAFF_ROLES

COLUMNS = [
    "id", "detected_at", "severity", "category", "rule", "status", "sla_due_at", "accounts",
    "symbol", "summary", "assignee", "dismiss_reason", "note", "case", "score", "source",
]  # fmt: skip
LIMIT = 100_000


def _when(value: object) -> str:
    return value.isoformat() if value else ""  # type: ignore[attr-defined]


@role_required(*STAFF_ROLES)
@require_GET
def alerts_export(request: DeskRequest) -> StreamingHttpResponse:
    filters = queue_filters.QueueFilters.from_query(request.GET, request.user)
    rows = (
        filters.apply(Alert.objects.all())
        .select_related("assignee")
        .defer("evidence", "metrics")
        .order_by("-detected_at", "-pk")[:LIMIT]
    )

    def lines() -> Iterator[Sequence[object]]:
        yield COLUMNS
        for a in rows.iterator(chunk_size=2000):
            yield [
                a.pk, _when(a.detected_at), a.get_severity_display(), a.get_category_display(),
                a.rule, a.get_status_display(), _when(a.sla_due_at), " ".join(a.accounts),
                a.symbol, a.summary, a.assignee.username if a.assignee else "",
                a.get_dismiss_reason_display() if a.dismiss_reason else "", a.note, a.case_ref,
                a.score, a.source,
            ]  # fmt: skip

    return csv_response(lines(), "alerts.csv")
