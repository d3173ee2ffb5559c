from datetime import datetime, timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from apps.actions import selectors, services
from apps.actions.export import actions_csv
from apps.actions.measures import Measure
from apps.actions.models import Action
from apps.actions.request_views import tell_unsent
from apps.people.access import role_required
from apps.people.http import DeskRequest, safe_next
from apps.people.roles import STAFF_ROLES, Role

EXPIRY_CHOICES = [("", "No expiry"), ("1h", "1 hour"), ("24h", "24 hours"), ("7d", "7 days")]
EXPIRY_CHOICES += [("30d", "30 days")]
_SPANS = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7)}
_SPANS["30d"] = timedelta(days=30)


def get_action_for_user(request: DeskRequest, pk: int) -> Action:
    """The one way views fetch an action; every staff role reads every action."""
    action = selectors.action_for_page(pk)
    if action is None:
        raise Http404("No such action.")
    return action


def _filter(request: DeskRequest) -> selectors.ActionFilter:
    def day(name: str) -> datetime | None:
        try:
            value = datetime.strptime(request.GET.get(name, ""), "%Y-%m-%d")
        except ValueError:
            return None
        return value.replace(tzinfo=timezone.get_current_timezone())

    until = day("until")
    return selectors.ActionFilter(
        status=request.GET.get("status", "") if request.GET.get("status") in Action.Status else "",
        measure=request.GET.get("measure", "") if request.GET.get("measure") in Measure else "",
        requested_by=request.GET.get("requested_by", "").strip(),
        approved_by=request.GET.get("approved_by", "").strip(),
        since=day("since"),
        until=until + timedelta(days=1) if until else None,
        account=request.GET.get("account", "").strip(),
    )


@role_required(*STAFF_ROLES)
@require_GET
def action_list(request: DeskRequest) -> HttpResponse:
    choice = _filter(request)
    return render(
        request,
        "actions/list.html",
        {
            "actions": selectors.action_list(choice),
            "choice": choice,
            "query": request.GET.urlencode(),
            "statuses": Action.Status.choices,
            "measures": Measure.choices,
        },
    )


@role_required(Role.AUDITOR, Role.SUPERVISOR)
@require_GET
def action_export(request: DeskRequest) -> StreamingHttpResponse:
    return actions_csv(selectors.export_rows(_filter(request)))


@role_required(Role.SUPERVISOR)
@require_GET
def approval_inbox(request: DeskRequest) -> HttpResponse:
    return render(
        request,
        "actions/inbox.html",
        {"items": selectors.approval_inbox(), "failures": selectors.recent_failures()},
    )


@role_required(*STAFF_ROLES)
@require_GET
def action_detail(request: DeskRequest, pk: int) -> HttpResponse:
    action = get_action_for_user(request, pk)
    template = "actions/detail.html#state" if request.htmx else "actions/detail.html"
    return render(request, template, {"action": action, "attempts": action.attempt_log.all()})


def _decided(
    request: DeskRequest, action: Action, error: str = "", notice: str = ""
) -> HttpResponse:
    if request.htmx:
        action = get_action_for_user(request, action.pk)
        context = {"action": action, "error": error, "notice": notice}
        return render(request, "actions/inbox.html#decided", context)
    if error:
        messages.error(request, error)
    return redirect(safe_next(request, reverse("actions:detail", args=[action.pk])))


@role_required(Role.SUPERVISOR)
@require_POST
def action_approve(request: DeskRequest, pk: int) -> HttpResponse:
    action = get_action_for_user(request, pk)
    try:
        with services.noting_unsent() as unsent:
            if request.POST.get("whole_batch") and action.batch:
                services.batch_approve(batch=action.batch, by=request.user)
            else:
                services.action_approve(action=action, by=request.user)
    except services.ActionError as error:
        return _decided(request, action, str(error))
    return _decided(request, action, notice=tell_unsent(request, unsent))


@role_required(Role.SUPERVISOR)
@require_POST
def action_reject(request: DeskRequest, pk: int) -> HttpResponse:
    action = get_action_for_user(request, pk)
    reason = request.POST.get("reason", "")
    try:
        if request.POST.get("whole_batch") and action.batch:
            services.batch_reject(batch=action.batch, by=request.user, reason=reason)
        else:
            services.action_reject(action=action, by=request.user, reason=reason)
    except services.ActionError as error:
        return _decided(request, action, str(error))
    return _decided(request, action)


@role_required(Role.SUPERVISOR)
@require_POST
def action_retry(request: DeskRequest, pk: int) -> HttpResponse:
    action = get_action_for_user(request, pk)
    try:
        with services.noting_unsent() as unsent:
            services.action_retry(action=action, by=request.user)
        tell_unsent(request, unsent)
    except services.ActionError as error:
        messages.error(request, str(error))
    return redirect("actions:detail", pk=action.pk)
