"""The triage queue, the alert page and rule quality (htmx, keyboard-first); the rejected
records supervisors fix and re-submit are in rejected_views.py."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from apps.alerts import (
    alert_page,
    bulk_services,
    explain,
    grouping,
    quality,
    queue_filters,
    queue_selectors,
    services,
)
from apps.alerts.models import (
    Alert,
    Category,
    DismissReason,
    Severity,
    Status,
)
from apps.alerts.rows_behind import rows_behind
from apps.alerts.services import AlertError
from apps.desk.selectors import history_entries
from apps.people.access import has_role, role_required
from apps.people.http import DeskRequest, page_number
from apps.people.roles import STAFF_ROLES, WORKING_ROLES, Role

if TYPE_CHECKING:
    from apps.people.models import User

QUALITY_READERS = (Role.STRATEGY, Role.SUPERVISOR, Role.AUDITOR)
QUALITY_WINDOWS = {"7d": 7, "30d": 30, "90d": 90}


def get_alert_for_user(request: DeskRequest, pk: int) -> Alert:
    """The one way views fetch an alert; roles are checked by the view's decorator."""
    return get_object_or_404(Alert.objects.select_related("assignee"), pk=pk)


def _queue_context(request: DeskRequest, filters: queue_filters.QueueFilters, page: int) -> dict:
    grouped = request.GET.get("group", request.POST.get("group", "on")) != "off"
    return {
        "queue": queue_selectors.queue_page(filters, page=page, grouped=grouped),
        "grouped": grouped,
        "query": filters.query_string(),
        "kept_filters": filters.kept(),
        "can_work": has_role(request.user, *WORKING_ROLES),
        "severities": Severity.choices,
        "categories": Category.choices,
        "statuses": queue_filters.STATUS_CHOICES,
        "within_choices": [("1h", "Last hour"), ("24h", "Last 24 h"), ("7d", "Last 7 days")],
        "dismiss_reasons": DismissReason.choices,
    }


@role_required(*STAFF_ROLES)
@require_GET
def queue(request: DeskRequest) -> HttpResponse:
    filters = queue_filters.QueueFilters.from_query(request.GET, request.user)
    context = _queue_context(request, filters, page_number(request.GET.get("page")))
    template = "alerts/queue.html#queue" if request.htmx else "alerts/queue.html"
    return render(request, template, context)


ACTIONS = ("claim", "release", "dismiss", "escalate")


@role_required(*WORKING_ROLES)
@require_POST
def queue_act(request: DeskRequest) -> HttpResponse:
    """Claim, release, dismiss or escalate the picked alerts, the picked groups, or every
    open alert matching the filter in force — all through `bulk_services.alerts_bulk`."""
    action = request.POST.get("action", "")
    filters = queue_filters.QueueFilters.from_query(
        QueryDict(request.POST.get("filters", "")), request.user
    )
    page = page_number(request.POST.get("page"))
    among, open_only = _picked(request, filters)
    if action not in ACTIONS:
        messages.error(request, "Unknown action.")
    elif among is None:
        messages.error(request, "Select at least one alert (x), or move to one (j / k).")
    else:
        _act_on_many(request, action, among, open_only)
    if request.htmx:
        return render(request, "alerts/queue.html#queue", _queue_context(request, filters, page))
    query = filters.query_string()
    return redirect(reverse("alerts:queue") + (f"?{query}" if query else ""))


def _picked(
    request: DeskRequest, filters: queue_filters.QueueFilters
) -> tuple[QuerySet[Alert] | None, bool]:
    """What the operator picked: every alert matching the filter, whole groups, or ids."""
    matching = filters.apply(Alert.objects.all())
    if request.POST.get("scope") == "filter":
        return matching, True
    groups = [key for key in request.POST.getlist("groups") if key]
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    if not groups and not ids:
        return None, True
    picked = Alert.objects.filter(pk__in=ids)
    for key in groups:
        picked = picked | Alert.objects.filter(
            pk__in=grouping.group_alerts(matching, key).values("pk")
        )
    return picked, not ids


def _act_on_many(
    request: DeskRequest, action: str, among: QuerySet[Alert], open_only: bool
) -> None:
    post = request.POST
    try:
        outcome = bulk_services.alerts_bulk(
            among=among,
            action=action,
            by=request.user,
            reason=post.get("reason", ""),
            note=post.get("note", ""),
            open_only=open_only,
        )
    except AlertError as error:
        messages.error(request, str(error))
        return
    past = {"claim": "Claimed", "release": "Released", "dismiss": "Dismissed"}.get(
        action, "Escalated"
    )
    done = outcome.done
    if done:
        shown = ", ".join(f"#{pk}" for pk in done[:12]) + (" …" if len(done) > 12 else "")
        messages.success(
            request, f"{past} {len(done)} alert{'s' if len(done) != 1 else ''}: {shown}."
        )
    for problem in outcome.refused[:5]:
        messages.error(request, problem)
    if len(outcome.refused) > 5:
        messages.error(request, f"… and {len(outcome.refused) - 5} more refused.")
    if outcome.remaining:
        messages.warning(
            request,
            f"{outcome.remaining} more alerts still match; one request works at most "
            f"{bulk_services.BULK_LIMIT}. Run it again to go on.",
        )
    if not done and not outcome.refused:
        messages.info(request, "Nothing to do: no open alert matches.")


@role_required(*STAFF_ROLES)
@require_GET
def queue_group(request: DeskRequest) -> HttpResponse:
    """The alerts of one group under the filters in force (the row's expansion)."""
    filters = queue_filters.QueueFilters.from_query(request.GET, request.user)
    key = request.GET.get("key", "")
    lead = page_number(request.GET.get("lead"))  # shown already, as the group's row
    members = list(
        grouping.group_alerts(filters.apply(Alert.objects.all()), key)
        .exclude(pk=lead)
        .select_related("assignee")
        .defer("evidence", "metrics")[: grouping.MEMBERS]
    )
    return render(
        request,
        "alerts/queue.html#members",
        {
            "members": members,
            "key": key,
            "now": timezone.now(),
            "can_work": has_role(request.user, *WORKING_ROLES),
        },
    )


def _act(request: DeskRequest, action: str, alert: Alert, by: User) -> Alert:
    note = request.POST.get("note", "")
    if action == "claim":
        return services.alert_claim(alert=alert, by=by)
    if action == "release":
        return services.alert_release(alert=alert, by=by)
    if action == "dismiss":
        return services.alert_dismiss(
            alert=alert, by=by, reason=request.POST.get("reason", ""), note=note
        )
    if action == "escalate":
        return services.alert_escalate(alert=alert, by=by, reason=note)
    if action == "reopen":
        return services.alert_reopen(
            alert=alert, by=by, note=note, claim=request.POST.get("claim") == "1"
        )
    raise AlertError("Unknown action.")


@role_required(*WORKING_ROLES)
@require_POST
def claim_next(request: DeskRequest) -> HttpResponse:
    filters = queue_filters.QueueFilters.from_query(
        QueryDict(request.POST.get("filters", "")), request.user
    )
    try:
        alert = services.alert_claim_next(by=request.user, among=filters.apply(Alert.objects.all()))
    except AlertError as error:
        messages.error(request, str(error))
        alert = None
    if alert is None:
        if not list(messages.get_messages(request)):
            messages.info(request, "Nothing left to claim in this view of the queue.")
        target = reverse("alerts:queue") + (
            f"?{filters.query_string()}" if filters.query_string() else ""
        )
    else:
        messages.success(request, f"Claimed alert #{alert.pk}, the most urgent one unclaimed.")
        target = reverse("alerts:detail", args=[alert.pk])
    return HttpResponseClientRedirect(target) if request.htmx else redirect(target)


@role_required(*STAFF_ROLES)
@require_GET
def alert_detail(request: DeskRequest, pk: int) -> HttpResponse:
    alert = get_alert_for_user(request, pk)
    why, explained = explain.why_rows(alert)
    return render(
        request,
        "alerts/detail.html",
        {
            "alert": alert,
            "now": timezone.now(),
            "accounts": alert_page.alert_accounts(alert),
            "related": alert_page.alerts_on_same_accounts(alert),
            "evidence": alert_page.evidence_blocks(alert.evidence),
            "why": why,
            "explained": explained,
            "behind": rows_behind(alert),
            "measures": alert_page.alert_measures(alert),
            "history": history_entries(alert)[:8],
            "can_work": has_role(request.user, *WORKING_ROLES),
            "dismiss_reasons": DismissReason.choices,
            "Status": Status,
        },
    )


@role_required(*WORKING_ROLES)
@require_POST
def alert_act(request: DeskRequest, pk: int) -> HttpResponse:
    alert = get_alert_for_user(request, pk)
    action = request.POST.get("action", "")
    try:
        alert = _act(request, action, alert, request.user)
        messages.success(request, f"Alert #{alert.pk} is now {alert.get_status_display().lower()}.")
    except AlertError as error:
        messages.error(request, str(error))
    return redirect("alerts:detail", pk=pk)


@role_required(*QUALITY_READERS)
@require_GET
def rule_quality(request: DeskRequest) -> HttpResponse:
    window = request.GET.get("within", "30d")
    days = QUALITY_WINDOWS.get(window)
    since = timezone.now() - timedelta(days=days) if days else None
    return render(
        request,
        "alerts/quality.html",
        {
            "rules": quality.rule_quality(since=since),
            "reasons": DismissReason.choices,
            "window": window if days else "all",
            "windows": [*QUALITY_WINDOWS, "all"],
            "small_sample": quality.SMALL_SAMPLE,
        },
    )
