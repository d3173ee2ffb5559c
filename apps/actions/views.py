from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.actions import selectors, services
from apps.actions.export import actions_csv
from apps.actions.impact import approval_impact, needs_confirmation
from apps.actions.measures import Measure, ReasonCode, Scope
from apps.actions.models import Action
from apps.actions.request_views import tell_unsent
from apps.people.access import role_required
from apps.people.http import DeskRequest, day_or_instant, safe_next
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
    def moment(name: str) -> tuple[datetime | None, bool]:
        """A day (YYYY-MM-DD, in the desk's zone) or an exact ISO-8601 time (links from
        the daily report carry UTC instants); the flag says which."""
        try:
            return day_or_instant(request.GET.get(name, ""))
        except ValueError:
            return None, False

    def pick(name: str, allowed: Any) -> str:
        value = request.GET.get(name, "")
        return value if value in allowed else ""

    until, exact = moment("until")
    return selectors.ActionFilter(
        status=pick("status", Action.Status),
        measure=pick("measure", Measure),
        scope=pick("scope", Scope),
        reason=pick("reason", ReasonCode),
        at=pick("at", selectors.ActionFilter.MOMENTS) or "requested",
        requested_by=request.GET.get("requested_by", "").strip(),
        approved_by=request.GET.get("approved_by", "").strip(),
        since=moment("since")[0],
        until=until + timedelta(days=1) if until and not exact else until,
        account=request.GET.get("account", "").strip(),
        restriction=pick("restriction", selectors.ActionFilter.RESTRICTIONS),
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
        {
            "items": selectors.approval_inbox(),
            "failures": selectors.recent_failures(),
            "waiting": selectors.approvals_waiting(),
        },
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


def _confirm(request: DeskRequest, action: Action) -> HttpResponse:
    """A freeze, a liquidation or a symbol- / platform-wide measure: first its reach,
    then a second, deliberate click (apps/actions/impact.py)."""
    item = selectors.inbox_item(action)
    context = {
        "item": item,
        "action": item.lead,
        "impact": approval_impact(item.actions),
        "next": safe_next(request, reverse("actions:inbox")),
    }
    if request.htmx:
        return render(request, "actions/_confirm.html", context)
    return render(request, "actions/confirm.html", context)


@role_required(Role.SUPERVISOR)
@require_POST
def action_approve(request: DeskRequest, pk: int) -> HttpResponse:
    action = get_action_for_user(request, pk)
    if (
        needs_confirmation(action)
        and action.status == Action.Status.AWAITING_APPROVAL
        and action.requested_by_id != request.user.pk  # the service refuses it anyway
        and request.POST.get("confirmed") != "yes"
    ):
        return _confirm(request, action)
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
        if action.status == Action.Status.AWAITING_APPROVAL:
            return _undecided(request, action, str(error))
        return _decided(request, action, str(error))
    return _decided(request, action)


def _undecided(request: DeskRequest, action: Action, error: str) -> HttpResponse:
    """A refused rejection (no reason): the card stays, with its form and why."""
    if request.htmx:
        item = selectors.inbox_item(action)
        restricted = selectors.restricted_accounts(item.account_ids)
        context = {"item": item, "action": item.lead, "error": error, "restricted": restricted}
        return render(request, "actions/inbox.html#decision", context)
    messages.error(request, error)
    return redirect(safe_next(request, reverse("actions:inbox")))


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
