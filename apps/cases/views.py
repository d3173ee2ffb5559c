"""Case pages, escalation, the inbox. Each view names its roles; objects come through one
fetch-and-authorise helper per type; every change goes through a service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from apps.alerts.selectors import alerts_of
from apps.cases import selectors, services
from apps.cases.models import Case, Outcome, Status, Target
from apps.cases.permissions import (
    can_change_case,
    can_follow_case,
    can_open_case,
    can_read_case,
)
from apps.cases.services import CaseError
from apps.people.access import role_required
from apps.people.http import DeskRequest
from apps.people.roles import FOLLOWING_ROLES, STAFF_ROLES, WORKING_ROLES
from apps.people.selectors import active_members, desk_people

if TYPE_CHECKING:
    pass


def case_for(request: DeskRequest, pk: int, *, change: bool = False) -> Case:
    """The one way views fetch a case: 404 if there is none, 403 if this person may not
    read it (or, with `change`, change it)."""
    case = get_object_or_404(Case.objects.select_related("assignee", "cluster", "opened_by"), pk=pk)
    if not can_read_case(request.user):
        raise PermissionDenied("Your role does not read cases.")
    if change and not can_change_case(request.user, case):
        raise PermissionDenied(f"Only the assignee of {case.ref} or a supervisor changes it.")
    return case


def attempt(request: DeskRequest, work: Callable[[], object], done: str) -> bool:
    try:
        work()
    except CaseError as error:
        messages.error(request, str(error))
        return False
    if done:
        messages.success(request, done)
    return True


def instant_param(request: DeskRequest, name: str) -> datetime | None:
    """An ISO-8601 time from the query (links from the daily report); anything else: none."""
    try:
        moment = datetime.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return None
    return moment if moment.tzinfo else timezone.make_aware(moment)


@role_required(*STAFF_ROLES)
@require_GET
def case_list(request: DeskRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    mine = request.GET.get("mine") == "1"
    at = request.GET.get("at", "opened")
    since, until = instant_param(request, "since"), instant_param(request, "until")
    found = selectors.case_list(
        status=status, mine=request.user if mine else None, at=at, since=since, until=until
    )
    return render(
        request,
        "cases/list.html",
        {
            "cases": found,
            "window": (at, since, until) if since or until else None,
            "status": status,
            "mine": mine,
            "statuses": Status.choices,
            "can_open": can_open_case(request.user),
            "now": timezone.now(),
        },
    )


@role_required(*WORKING_ROLES)
def case_new(request: DeskRequest) -> HttpResponse:
    """Pick alerts and open a case on their accounts (or join their cluster's open case)."""
    if not can_open_case(request.user):
        raise PermissionDenied("Your role does not open cases.")
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("alert") if v.isdigit()]
        alerts = alerts_of(ids)
        try:
            opened = services.case_open(
                alerts=alerts, by=request.user, title=request.POST.get("title", "")
            )
        except CaseError as error:
            messages.error(request, str(error))
        else:
            case = opened.case
            if opened.created:
                messages.success(request, f"Opened {case.ref} with {len(alerts)} alert(s).")
            else:
                messages.success(
                    request, f"The cluster already had {case.ref}; the alerts joined it."
                )
            return redirect("cases:detail", pk=case.pk)
        chosen = ids
    else:
        chosen = [int(v) for v in request.GET.getlist("alert") if v.isdigit()]
    return render(
        request,
        "cases/new.html",
        {"alerts": selectors.joinable_alerts(chosen=chosen), "chosen": set(chosen)},
    )


@role_required(*STAFF_ROLES)
@require_GET
def case_detail(request: DeskRequest, pk: int) -> HttpResponse:
    return _case_page(request, case_for(request, pk))


def _case_page(
    request: DeskRequest, case: Case, *, kept_note: str = "", status: int = 200
) -> HttpResponse:
    live = {"events": selectors.case_events(case), "actions": selectors.case_measures(case)}
    if request.htmx and request.GET.get("part") == "live":
        # The timeline, status and measures, polled: a measure decided or carried out
        # elsewhere shows here without a reload.
        return render(request, "cases/detail.html#live", {"case": case, **live})
    page = selectors.case_page(case)
    user = request.user
    return render(
        request,
        "cases/detail.html",
        {
            **live,
            "page": page,
            "case": case,
            "can_change": can_change_case(user, case),
            "can_follow": can_follow_case(user),
            "watching": any(w.pk == user.pk for w in page.watchers),
            "moves": [(s, Status(s).label) for s in Status.values if case.can_move_to(s)],
            "outcomes": Outcome.choices,
            "targets": [(t, Target(t).label) for t in (Target.SUPERVISOR, Target.STRATEGY)],
            "assignable": active_members(*WORKING_ROLES).order_by("username"),
            "alert_urls": {a.pk: selectors.alert_url(a.pk) for a in page.alerts},
            "kept_note": kept_note,
        },
        status=status,
    )


@role_required(*WORKING_ROLES)
@require_POST
def case_move(request: DeskRequest, pk: int) -> HttpResponse:
    case = case_for(request, pk, change=True)
    to = request.POST.get("to", "")
    attempt(
        request,
        lambda: services.case_move(
            case=case,
            to=to,
            by=request.user,
            note=request.POST.get("note", ""),
            outcome=request.POST.get("outcome", ""),
        ),
        f"{case.ref} is now {Status(to).label.lower()}." if to in Status.values else "",
    )
    return redirect("cases:detail", pk=case.pk)


@role_required(*WORKING_ROLES)
@require_POST
def case_note(request: DeskRequest, pk: int) -> HttpResponse:
    case = case_for(request, pk, change=True)
    text = request.POST.get("text", "")
    if not attempt(request, lambda: services.case_note(case=case, by=request.user, text=text), ""):
        # Refused: the same page, the text still in the box, the reason above it.
        return _case_page(request, case, kept_note=text, status=400)
    return redirect(reverse("cases:detail", args=[case.pk]) + "#timeline-end")


@role_required(*WORKING_ROLES)
@require_POST
def case_assign(request: DeskRequest, pk: int) -> HttpResponse:
    case = case_for(request, pk)
    to = get_object_or_404(desk_people(), pk=request.POST.get("to") or request.user.pk)
    attempt(
        request,
        lambda: services.case_assign(case=case, to=to, by=request.user),
        f"{case.ref} is assigned to {to}.",
    )
    return redirect("cases:detail", pk=case.pk)


@role_required(*FOLLOWING_ROLES)
@require_POST
def case_watch(request: DeskRequest, pk: int) -> HttpResponse:
    case = case_for(request, pk)
    watching = request.POST.get("watch") == "1"
    attempt(request, lambda: services.case_watch(case=case, by=request.user, watching=watching), "")
    return redirect("cases:detail", pk=case.pk)


@role_required(*WORKING_ROLES)
@require_POST
def case_reason(request: DeskRequest, pk: int) -> HttpResponse:
    case = case_for(request, pk, change=True)
    attempt(
        request,
        lambda: services.case_set_customer_reason(
            case=case, by=request.user, text=request.POST.get("text", "")
        ),
        "Customer-safe reason saved.",
    )
    return redirect("cases:detail", pk=case.pk)


@role_required(*WORKING_ROLES)
@require_POST
def case_escalate(request: DeskRequest, pk: int) -> HttpResponse:
    case = case_for(request, pk, change=True)
    target = request.POST.get("target", "")
    attempt(
        request,
        lambda: services.case_escalate(
            case=case, by=request.user, target=target, reason=request.POST.get("reason", "")
        ),
        f"{case.ref} escalated to the {Target(target).label.lower()}."
        if target in Target.values
        else "",
    )
    return redirect("cases:detail", pk=case.pk)
