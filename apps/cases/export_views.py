"""Cases as a CSV, with the list's filter in force."""

from collections.abc import Iterator, Sequence

from django.http import StreamingHttpResponse
from django.views.decorators.http import require_GET

from apps.cases import selectors
from apps.desk.spreadsheet import csv_response
from apps.people.access import role_required
from apps.people.http import DeskRequest
from apps.people.roles import STAFF_ROLES

COLUMNS = [
    "case", "title", "severity", "status", "outcome", "opened_at", "due_at", "assignee",
    "cluster", "alerts", "accounts", "customer_reason",
]  # fmt: skip


def _when(value: object) -> str:
    return value.isoformat() if value else ""  # type: ignore[attr-defined]


@role_required(*STAFF_ROLES)
@require_GET
def cases_export(request: DeskRequest) -> StreamingHttpResponse:
    status = request.GET.get("status", "open")
    mine = request.user if request.GET.get("mine") == "1" else None
    cases = selectors.case_list(status=status, mine=mine).prefetch_related("account_rows")

    def lines() -> Iterator[Sequence[object]]:
        yield COLUMNS
        for c in cases:
            yield [
                c.ref, c.title, c.get_severity_display(), c.get_status_display(),
                c.get_outcome_display() if c.outcome else "", _when(c.opened_at),
                _when(c.due_at), c.assignee.username if c.assignee else "",
                c.cluster.key if c.cluster else "", c.alert_count,  # type: ignore[attr-defined]  # annotated by case_list
                " ".join(r.account_id for r in c.account_rows.all()), c.customer_reason,
            ]  # fmt: skip

    return csv_response(lines(), "cases.csv")
