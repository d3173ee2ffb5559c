from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from apps.accounts.selectors import desk_overview
from apps.alerts.queue_selectors import queue_summary
from apps.console.strategy import strategy_home
from apps.desk import audit
from apps.desk.audit_verify import verify
from apps.desk.history import history_model
from apps.desk.selectors import (
    chain_head,
    day_closing_hash,
    desk_time,
    history_entries,
    recent_changes,
    record_links,
)
from apps.desk.spreadsheet import csv_response
from apps.people.access import has_role, public, role_of, role_required
from apps.people.http import DeskRequest
from apps.people.roles import EVERY_PERSON, STAFF_ROLES, WORKING_ROLES, Role
from apps.people.selectors import desk_people

if TYPE_CHECKING:
    from apps.desk.models import AuditEntry


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
    model = type(instance)
    return render(
        request,
        "console/history.html",
        {
            "object": instance,
            "kind": kind,
            "key": key,
            "entries": history_entries(instance),
            "zone": timezone.get_current_timezone_name(),
            "links": _named(record_links(instance)) if audit.is_chained(model) else None,
        },
    )


def _model_name(label: str, *, plural: bool = False) -> str:
    try:
        meta = django_apps.get_model(label)._meta
    except LookupError:  # a model since removed: its links stay
        return label
    return str(meta.verbose_name_plural if plural else meta.verbose_name)


def _named(links: Iterable[AuditEntry]) -> list[tuple[AuditEntry, str, str]]:
    """Each link with its actor and its kind of record as people read them ("user:7" is
    Olga, "task:x" the task x, "alerts.alert" an alert)."""
    links = list(links)
    ids = [link.actor.split(":", 1)[1] for link in links if link.actor.startswith("user:")]
    names = {f"user:{u.pk}": str(u) for u in desk_people().filter(pk__in=ids)}
    return [
        (link, names.get(link.actor, link.actor.replace(":", " ", 1)), _model_name(link.model))
        for link in links
    ]


@role_required(Role.AUDITOR, Role.SUPERVISOR)
@require_GET
def audit_chain(request: DeskRequest) -> HttpResponse:
    """The audit chain at a glance: its head, the closing hashes of the last days, and — when
    asked (`?verify=1`) — a walk of the whole chain naming the first link that does not match."""
    today = timezone.now().astimezone(dt.UTC).date()
    started = time.perf_counter()
    verdict = verify() if request.GET.get("verify") else None
    return render(
        request,
        "console/audit.html",
        {
            "head": _named(chain_head()),
            "days": [
                (day, day_closing_hash(day))
                for day in (today - dt.timedelta(days=n) for n in range(7))
            ],
            "verdict": verdict,
            "took": time.perf_counter() - started,
            "chained": [_model_name(label, plural=True) for label in audit.chained_models()],
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
