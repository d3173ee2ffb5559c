"""The audit export: every action with who asked, who decided, when, and what came of it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from apps.actions.models import Action
from apps.alerts.selectors import alerts_as_ids
from apps.desk.spreadsheet import csv_writer

if TYPE_CHECKING:
    pass

COLUMNS = [
    "reference",
    "case",
    "alerts",
    "batch",
    "measure",
    "lifts",
    "scope",
    "account",
    "symbol",
    "params",
    "expires_at",
    "reason_code",
    "customer_text",
    "internal_note",
    "requires_approval",
    "requested_by",
    "requested_at",
    "approved_by",
    "rejected_by",
    "decided_at",
    "rejection_reason",
    "status",
    "attempts",
    "executed_at",
    "failed_at",
    "failure_message",
    "exchange_answer",
]


def _when(value: object) -> str:
    return value.isoformat() if value else ""  # type: ignore[attr-defined]


def _row(a: Action) -> list[object]:
    # Counts go out as numbers; text goes through the writer's formula guard.
    return [
        a.reference,
        a.case.ref if a.case else "",
        " ".join(str(alert.pk) for alert in a.alerts.all()),
        str(a.batch or ""),
        a.measure,
        a.lifts.reference if a.lifts else "",
        a.scope,
        a.account_id or "",
        a.symbol,
        json.dumps(a.params, sort_keys=True),
        _when(a.expires_at),
        a.reason_code,
        a.customer_text,
        a.internal_note,
        "yes" if a.requires_approval else "no",
        a.requested_by.get_username(),
        _when(a.requested_at),
        a.approved_by.get_username() if a.approved_by else "",
        a.rejected_by.get_username() if a.rejected_by else "",
        _when(a.decided_at),
        a.rejection_reason,
        a.status,
        a.attempts,
        _when(a.executed_at),
        _when(a.failed_at),
        a.failure_message,
        json.dumps(a.result, sort_keys=True) if a.result is not None else "",
    ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def actions_csv(actions: QuerySet[Action]) -> StreamingHttpResponse:
    writer = csv_writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(COLUMNS)
        chosen = actions.select_related("rejected_by", "case").prefetch_related(
            Prefetch("alerts", queryset=alerts_as_ids())
        )
        for action in chosen.iterator(chunk_size=500):
            yield writer.writerow(_row(action))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = f"riskdesk-actions-{timezone.now():%Y%m%d-%H%M}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
