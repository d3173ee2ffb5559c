from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts.models import ControlCluster
from apps.actions import selectors, services
from apps.actions.export import actions_csv
from apps.actions.measures import PARAMS, Measure, ReasonCode, Scope, parse_param_text
from apps.actions.models import Action
from apps.actions.planning import Plan, plan_request
from apps.actions.services.execution import contract_call
from apps.desk.http import DeskRequest
from apps.people.access import role_required
from apps.people.roles import STAFF_ROLES, Role

REQUESTERS = (Role.OPERATOR, Role.SUPERVISOR)
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


def _form_values(data: Any) -> dict[str, Any]:
    measure = data.get("measure", Measure.FREEZE)
    lifts_id = data.get("lifts", "")
    return {
        "measure": measure,
        "scope": data.get("scope", Scope.ACCOUNT),
        "accounts": data.get("accounts", ""),
        "symbol": data.get("symbol", ""),
        "params": {p.key: data.get(p.key, "") for spec in PARAMS.values() for p in spec},
        "expires_in": data.get("expires_in", ""),
        "reason_code": data.get("reason_code", ""),
        "customer_text": data.get("customer_text", ""),
        "internal_note": data.get("internal_note", ""),
        "lifts": lifts_id if str(lifts_id).isdigit() else "",
    }


def _plan(request: DeskRequest, values: dict[str, Any]) -> Plan:
    lifts = Action.objects.filter(pk=values["lifts"]).first() if values["lifts"] else None
    span = _SPANS.get(values["expires_in"])
    return plan_request(
        by=request.user,
        measure=values["measure"],
        scope=values["scope"],
        account_ids=values["accounts"].replace(",", " ").split(),
        symbol=values["symbol"],
        params=parse_param_text(values["measure"], values["params"]),
        expires_at=timezone.now() + span if span else None,
        reason_code=values["reason_code"],
        customer_text=values["customer_text"],
        lifts=lifts,
    )


def _call_preview(plan: Plan) -> dict[str, Any] | None:
    """The exchange call the first action will make, as the contract spells it."""
    if plan.errors:
        return None
    sample = Action(
        pk=0,
        measure=plan.measure,
        scope=plan.scope,
        account=plan.accounts[0] if plan.accounts else None,
        symbol=plan.symbol,
        params=plan.params,
        expires_at=plan.expires_at,
        reason_code=plan.reason_code,
        lifts=plan.lifts,
    )
    method, path, body, key = contract_call(sample)
    return {"method": method, "path": path.replace("A-0", "A-…"), "body": body, "key": key}


def _new_context(request: DeskRequest, values: dict[str, Any], plan: Plan | None) -> dict:
    return {
        "values": values,
        "plan": plan,
        "call": _call_preview(plan) if plan else None,
        "measures": [m for m in Measure.choices if m[0] != Measure.LIFT],
        "scopes": Scope.choices,
        "reasons": ReasonCode.choices,
        "expiries": EXPIRY_CHOICES,
        "params": [(measure, spec) for measure, spec in PARAMS.items()],
        "lifts": Action.objects.filter(pk=values["lifts"]).first() if values["lifts"] else None,
    }


@role_required(*REQUESTERS)
@require_http_methods(["GET", "POST"])
def action_new(request: DeskRequest) -> HttpResponse:
    if request.method == "POST":
        values = _form_values(request.POST)
        try:
            span = _SPANS.get(values["expires_in"])
            lifts = Action.objects.filter(pk=values["lifts"]).first() if values["lifts"] else None
            actions = services.action_request(
                by=request.user,
                measure=Measure.LIFT if lifts else values["measure"],
                scope=values["scope"],
                account_ids=values["accounts"].replace(",", " ").split(),
                symbol=values["symbol"],
                params=parse_param_text(values["measure"], values["params"]),
                expires_at=timezone.now() + span if span else None,
                reason_code=values["reason_code"],
                customer_text=values["customer_text"],
                internal_note=values["internal_note"],
                lifts=lifts,
            )
        except services.ActionError as error:
            messages.error(request, str(error))
            context = _new_context(request, values, _plan(request, values))
            return render(request, "actions/new.html", context, status=400)
        first = actions[0]
        word = "sent for approval" if first.requires_approval else "sent to the exchange"
        if len(actions) > 1:
            messages.success(request, f"{len(actions)} actions {word}.")
            return redirect(f"{reverse('actions:list')}?requested_by={request.user.get_username()}")
        messages.success(request, f"{first.reference} {word}.")
        return redirect("actions:detail", pk=first.pk)
    values = _form_values(request.GET)
    if request.GET.get("cluster"):
        cluster = ControlCluster.objects.filter(key=request.GET["cluster"]).first()
        if cluster is not None:
            members = cluster.members.order_by("account_id").values_list("account_id", flat=True)
            values["accounts"] = "\n".join(members)
    elif request.GET.get("account"):
        values["accounts"] = request.GET["account"]
    if values["lifts"]:
        values["measure"] = Measure.LIFT
    plan = _plan(request, values) if values["lifts"] else None
    return render(request, "actions/new.html", _new_context(request, values, plan))


@role_required(*REQUESTERS)
@require_POST
def action_preview(request: DeskRequest) -> HttpResponse:
    values = _form_values(request.POST)
    plan = _plan(request, values)
    return render(request, "actions/new.html#plan", _new_context(request, values, plan))


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


def _decided(request: DeskRequest, action: Action, error: str = "") -> HttpResponse:
    if request.htmx:
        action = get_action_for_user(request, action.pk)
        return render(request, "actions/inbox.html#decided", {"action": action, "error": error})
    if error:
        messages.error(request, error)
    return redirect(request.POST.get("next") or reverse("actions:detail", args=[action.pk]))


@role_required(Role.SUPERVISOR)
@require_POST
def action_approve(request: DeskRequest, pk: int) -> HttpResponse:
    action = get_action_for_user(request, pk)
    try:
        if request.POST.get("whole_batch") and action.batch:
            services.batch_approve(batch=action.batch, by=request.user)
        else:
            services.action_approve(action=action, by=request.user)
    except services.ActionError as error:
        return _decided(request, action, str(error))
    return _decided(request, action)


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
        services.action_retry(action=action, by=request.user)
    except services.ActionError as error:
        messages.error(request, str(error))
    return redirect("actions:detail", pk=action.pk)
