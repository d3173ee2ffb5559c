"""The rejected records: alerts ingest could not store, listed for supervisors and
auditors, each shown with its history, and re-submitted by a supervisor once fixed (the
triage queue, the alert page and rule quality are in views.py)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.alerts import services
from apps.alerts.models import RejectedAlert
from apps.alerts.services import AlertError
from apps.desk.selectors import history_entries
from apps.people.access import has_role, role_required
from apps.people.http import DeskRequest, page_number
from apps.people.roles import Role

REJECTS_READERS = (Role.SUPERVISOR, Role.AUDITOR)


@role_required(*REJECTS_READERS)
@require_GET
def rejected_list(request: DeskRequest) -> HttpResponse:
    state = request.GET.get("state", RejectedAlert.State.OPEN)
    records = RejectedAlert.objects.select_related("alert", "resubmitted_by")
    if state in RejectedAlert.State.values:
        records = records.filter(state=state)
    page = page_number(request.GET.get("page"))
    rows = list(records.order_by("-received_at", "-id")[(page - 1) * 100 : page * 100 + 1])
    return render(
        request,
        "alerts/rejected_list.html",
        {
            "records": rows[:100],
            "has_next": len(rows) > 100,
            "page": page,
            "state": state,
            "states": RejectedAlert.State.choices,
            "next_query": urlencode({"state": state, "page": page + 1}),
        },
    )


@role_required(*REJECTS_READERS)
@require_GET
def rejected_detail(request: DeskRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(RejectedAlert.objects.select_related("alert"), pk=pk)
    return _rejected_page(request, record, record.fixed_payload or _pretty(record.raw))


def _rejected_page(
    request: DeskRequest, record: RejectedAlert, text: str, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "alerts/rejected_detail.html",
        {
            "record": record,
            "text": text,
            "can_resubmit": has_role(request.user, Role.SUPERVISOR)
            and record.state == RejectedAlert.State.OPEN,
            "history": history_entries(record),
        },
        status=status,
    )


def _pretty(raw: str) -> str:
    try:
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except ValueError:
        return raw


@role_required(Role.SUPERVISOR)
@require_POST
def rejected_resubmit(request: DeskRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(RejectedAlert, pk=pk)
    text = request.POST.get("payload", "")
    try:
        alert = services.rejected_alert_resubmit(rejected=record, by=request.user, text=text)
    except AlertError as error:
        messages.error(request, str(error))
        record.refresh_from_db()
        return _rejected_page(request, record, text, status=422)
    messages.success(request, f"Re-submitted: stored as alert #{alert.pk}.")
    return redirect("alerts:rejected_detail", pk=pk)
