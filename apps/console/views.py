from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from apps.accounts.selectors import desk_overview
from apps.alerts.selectors import queue_summary
from apps.console.strategy import strategy_home
from apps.desk.history import history_model
from apps.desk.selectors import desk_time, history_entries, recent_changes
from apps.desk.spreadsheet import csv_response
from apps.people.access import has_role, public, role_of, role_required
from apps.people.http import DeskRequest
from apps.people.roles import EVERY_PERSON, STAFF_ROLES, WORKING_ROLES, Role


@role_required(*EVERY_PERSON)
@require_GET
def home(request: DeskRequest) -> HttpResponse:
    role = role_of(request.user)
    return render(
        request,
        "console/home.html",
        {
            "role": role,
            "overview": desk_overview() if has_role(request.user, *STAFF_ROLES) else None,
            "alert_queue": queue_summary(request.user)
            if has_role(request.user, *WORKING_ROLES)
            else None,
            "strategy": strategy_home() if has_role(request.user, Role.STRATEGY) else None,
            "changes": recent_changes()
            if has_role(request.user, Role.AUDITOR, Role.SUPERVISOR)
            else [],
        },
    )


def _history_of(request: DeskRequest, key: str, pk: str) -> tuple[Any, str]:
    registered = history_model(key)
    if registered is None:
        raise Http404("No such kind of record.")
    model, roles = registered
    if not has_role(request.user, *roles):
        raise PermissionDenied("Your role does not read this history.")
    return get_object_or_404(model, pk=pk), str(model._meta.verbose_name)


@role_required(*STAFF_ROLES)
@require_GET
def object_history(request: DeskRequest, key: str, pk: str) -> HttpResponse:
    instance, kind = _history_of(request, key, pk)
    return render(
        request,
        "console/history.html",
        {
            "object": instance,
            "kind": kind,
            "key": key,
            "entries": history_entries(instance),
            "zone": timezone.get_current_timezone_name(),
        },
    )


@role_required(*STAFF_ROLES)
@require_GET
def history_export(request: DeskRequest, key: str, pk: str) -> StreamingHttpResponse:
    """The same history as a CSV (through the desk's formula-safe writer): one row a field."""
    instance, _ = _history_of(request, key, pk)
    rows: list[list[object]] = [["when", "who", "what", "field", "old", "new", "why"]]
    for entry in history_entries(instance):
        when = desk_time(entry.at)
        if not entry.changes:
            rows.append([when, entry.actor, entry.kind, "", "", "", entry.reason])
        for change in entry.changes:
            rows.append(
                [when, entry.actor, entry.kind, change.field, change.old, change.new, entry.reason]
            )
    return csv_response(rows, f"history-{key}-{pk}.csv")


@public
@require_GET
def health(request: DeskRequest) -> JsonResponse:
    """For load balancers: answers without touching the database."""
    return JsonResponse({"status": "ok"})
