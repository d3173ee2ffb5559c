"""Emergency plans' pages: the plans, one plan (versions, activate), editing, an alert's
suggestion, and an activation (decide, live progress, checklist, lift)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.actions.measures import Measure, parse_param_text
from apps.actions.plans import selectors
from apps.actions.plans.models import DeputyRole, EmergencyPlan, EventKind, PlanActivation, Reach
from apps.actions.plans.rules import PLAN_MEASURES, second_supervisor_on_duty, supervisors_on_duty
from apps.actions.plans.services import (
    activation_approve,
    activation_lift_request,
    activation_reject,
    activation_request,
    checklist_tick,
    plan_save,
)
from apps.actions.services import ActionError, noting_unsent
from apps.alerts.selectors import alert_of
from apps.people.access import has_role, role_required
from apps.people.http import DeskRequest
from apps.people.roles import STAFF_ROLES, WORKING_ROLES, Role

if TYPE_CHECKING:
    pass

DECIDERS = (*WORKING_ROLES, Role.STRATEGY)  # the service decides who, by plan and duty


def _plan(key: str) -> EmergencyPlan:
    plan = selectors.plan_current(key)
    if plan is None:
        raise Http404("No such plan.")
    return plan


def _activation(pk: int) -> PlanActivation:
    activation = selectors.activation_for_view(pk)
    if activation is None:
        raise Http404("No such activation.")
    return activation


@role_required(*STAFF_ROLES)
@require_GET
def plan_list(request: DeskRequest) -> HttpResponse:
    context = {"plans": selectors.plans_current(), "recent": selectors.activations_recent()}
    return render(request, "actions/plans/list.html", context)


@role_required(*STAFF_ROLES)
@require_GET
def plan_detail(request: DeskRequest, key: str) -> HttpResponse:
    plan = _plan(key)
    alert = None
    if request.GET.get("alert", "").isdigit():
        alert = alert_of(int(request.GET["alert"]))
    context = {
        "plan": plan,
        "versions": selectors.plan_versions(key),
        "alert": alert,
        "symbol": request.GET.get("symbol") or (alert.symbol if alert else ""),
        "thin": not second_supervisor_on_duty(request.user),
        "on_duty": supervisors_on_duty(),
    }
    return render(request, "actions/plans/detail.html", context)


@role_required(*STAFF_ROLES)
@require_GET
def plans_for_alert(request: DeskRequest, alert_id: int) -> HttpResponse:
    alert = alert_of(alert_id)
    if alert is None:
        raise Http404("No such alert.")
    suggested = selectors.plans_for_alert(alert)
    if len(suggested) == 1:
        url = reverse("actions:plan", args=[suggested[0].key])
        return redirect(f"{url}?alert={alert.pk}")
    context = {"alert": alert, "suggested": suggested, "plans": selectors.plans_current()}
    return render(request, "actions/plans/for_alert.html", context)


@role_required(*WORKING_ROLES)
@require_POST
def plan_activate(request: DeskRequest, key: str) -> HttpResponse:
    plan = _plan(key)
    alert_id = request.POST.get("alert", "")
    alert = alert_of(int(alert_id)) if alert_id.isdigit() else None
    where = request.POST.get("where", "symbol")
    symbol = request.POST.get("symbol", "") if where == "symbol" else ""
    if where == "symbol" and not symbol.strip():
        messages.error(request, "Name the contract, or choose the whole platform.")
        return redirect(reverse("actions:plan", args=[key]))
    try:
        activation = activation_request(
            by=request.user,
            plan=plan,
            symbol=symbol,
            alert=alert,
            note=request.POST.get("note", ""),
        )
    except ActionError as error:
        messages.error(request, str(error))
        return redirect(reverse("actions:plan", args=[key]))
    return redirect(reverse("actions:activation", args=[activation.pk]))


def _measure_lines(plan: EmergencyPlan | None) -> str:
    if plan is None:
        return ""
    lines = []
    for item in plan.measures:
        params = " ".join(f"{k}={v}" for k, v in item.get("params", {}).items())
        reach = " @platform" if item.get("reach") == Reach.PLATFORM else ""
        lines.append(f"{item['measure']} {params}".strip() + reach)
    return "\n".join(lines)


def parse_measure_lines(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """“leverage_cap max_leverage=20 @platform”, one measure a line, into the plan's JSON."""
    measures, errors = [], []
    for n, line in enumerate(text.splitlines(), start=1):
        words = line.split()
        if not words:
            continue
        reach = Reach.PLATFORM if "@platform" in words else Reach.TARGET
        words = [w for w in words if w != "@platform"]
        raw = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        stray = [w for w in words[1:] if "=" not in w]
        if stray:
            errors.append(f"Line {n}: write params as name=value, not “{' '.join(stray)}”.")
        params = parse_param_text(words[0], raw) if words[0] in Measure.values else {}
        unknown = {k: v for k, v in raw.items() if k not in params}
        measures.append({"measure": words[0], "params": {**params, **unknown}, "reach": reach})
    return measures, errors


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@role_required(Role.SUPERVISOR)
@require_http_methods(["GET", "POST"])
def plan_edit(request: DeskRequest, key: str = "") -> HttpResponse:
    plan = _plan(key) if key else None
    form = {
        "key": key,
        "name": plan.name if plan else "",
        "kind": plan.kind if plan else "",
        "measures": _measure_lines(plan),
        "checklist": "\n".join(plan.checklist) if plan else "",
        "tell": "\n".join(plan.tell) if plan else "",
        "deputy_role": plan.deputy_role if plan else DeputyRole.OPERATOR,
        "customer_text": plan.customer_text if plan else "",
    }
    errors: list[str] = []
    if request.method == "POST":
        form.update({k: request.POST.get(k, "") for k in form if k != "key" or not key})
        new_key = form["key"].strip().lower()
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,58}", new_key):
            errors.append("The key is lower-case letters, digits and dashes, e.g. btc-cascade.")
        elif not key and selectors.plan_current(new_key):
            errors.append(f"A plan “{new_key}” exists already; edit it instead.")
        if form["kind"] not in EventKind.values:
            errors.append("Choose the kind of event.")
        measures, line_errors = parse_measure_lines(form["measures"])
        errors += line_errors
        if not errors:
            try:
                saved = plan_save(
                    by=request.user,
                    key=new_key,
                    name=form["name"],
                    kind=form["kind"],
                    measures=measures,
                    checklist=_lines(form["checklist"]),
                    tell=_lines(form["tell"]),
                    deputy_role=form["deputy_role"],
                    customer_text=form["customer_text"],
                )
            except ActionError as error:
                errors.append(str(error))
            else:
                messages.success(request, f"Saved {saved}.")
                return redirect(reverse("actions:plan", args=[saved.key]))
    context = {
        "plan": plan,
        "form": form,
        "errors": errors,
        "kinds": EventKind.choices,
        "deputies": DeputyRole.choices,
        "plan_measures": PLAN_MEASURES,
    }
    return render(request, "actions/plans/edit.html", context, status=400 if errors else 200)


@role_required(*STAFF_ROLES)
@require_GET
def activation_detail(request: DeskRequest, pk: int) -> HttpResponse:
    activation = _activation(pk)
    ticks = {t.step: t for t in activation.ticks.select_related("done_by")}
    context = {
        "activation": activation,
        "progress": selectors.activation_progress(activation),
        "steps": [(n, text, ticks.get(n)) for n, text in enumerate(activation.plan.checklist)],
        "thin": not second_supervisor_on_duty(activation.requested_by),
        "on_duty": supervisors_on_duty(),
        "deputy_approved": activation.approved_by is not None
        and not has_role(activation.approved_by, Role.SUPERVISOR),
    }
    template = "actions/plans/activation.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, context)


def _back(request: DeskRequest, activation: PlanActivation, error: str = "") -> HttpResponse:
    if error:
        messages.error(request, error)
    return redirect(reverse("actions:activation", args=[activation.pk]))


@role_required(*DECIDERS)
@require_POST
def activation_approve_view(request: DeskRequest, pk: int) -> HttpResponse:
    activation = _activation(pk)
    try:
        with noting_unsent() as unsent:
            activation_approve(activation=activation, by=request.user)
    except ActionError as error:
        return _back(request, activation, str(error))
    if unsent:
        messages.warning(request, "The queue is unreachable: the measures wait for the scan.")
    return _back(request, activation)


@role_required(*DECIDERS)
@require_POST
def activation_reject_view(request: DeskRequest, pk: int) -> HttpResponse:
    activation = _activation(pk)
    try:
        activation_reject(
            activation=activation, by=request.user, reason=request.POST.get("reason", "")
        )
    except ActionError as error:
        return _back(request, activation, str(error))
    return _back(request, activation)


@role_required(*WORKING_ROLES)
@require_POST
def activation_lift(request: DeskRequest, pk: int) -> HttpResponse:
    activation = _activation(pk)
    try:
        activation_lift_request(activation=activation, by=request.user)
    except ActionError as error:
        return _back(request, activation, str(error))
    return _back(request, activation)


@role_required(*WORKING_ROLES)
@require_POST
def activation_tick(request: DeskRequest, pk: int) -> HttpResponse:
    activation = _activation(pk)
    step = request.POST.get("step", "")
    try:
        checklist_tick(
            activation=activation, step=int(step) if step.isdigit() else -1, by=request.user
        )
    except ActionError as error:
        return _back(request, activation, str(error))
    return redirect(reverse("actions:activation", args=[activation.pk]) + "#checklist")
