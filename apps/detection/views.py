from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.detection import selectors, services
from apps.detection.models import DetectionRule, RuleChange, RuleVersion
from apps.detection.services.backtests import windows_stored
from apps.people.access import has_role, role_required
from apps.people.http import DeskRequest
from apps.people.roles import STAFF_ROLES, Role


def get_rule(code: str) -> DetectionRule:
    return get_object_or_404(DetectionRule.objects.select_related("live_version"), code=code)


@role_required(*STAFF_ROLES)
@require_GET
def rule_list(request: DeskRequest) -> HttpResponse:
    return render(request, "detection/rules.html", {"rules": selectors.rules()})


def _rule_page(
    request: DeskRequest,
    rule: DetectionRule,
    typed: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "rule": rule,
        "versions": selectors.rule_versions(rule),
        "version_rows": selectors.version_rows(rule),
        "fields": selectors.param_fields(rule, typed, errors),
        "backtests": [selectors.backtest_diff(b) for b in selectors.rule_backtests(rule)],
        "windows": windows_stored(),
        "can_edit": has_role(request.user, Role.STRATEGY),
        "can_backtest": has_role(request.user, Role.STRATEGY, Role.SUPERVISOR),
        "can_decide": has_role(request.user, Role.STRATEGY, Role.SUPERVISOR),
        "changes": selectors.rule_changes(rule),
        "quality": selectors.rule_quality_note(rule),
    }
    return render(request, "detection/rule.html", context, status=status)


@role_required(*STAFF_ROLES)
@require_GET
def rule_detail(request: DeskRequest, code: str) -> HttpResponse:
    return _rule_page(request, get_rule(code))


def _typed_params(rule: DetectionRule, form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Read the thresholds a person typed, keeping each as typed when it does not parse."""
    live = rule.live_version.params if rule.live_version else {}
    typed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, default in live.items():
        raw = form.get(f"p:{name}", "")
        if isinstance(default, bool):
            typed[name] = raw == "on"
            continue
        try:
            typed[name] = int(raw) if isinstance(default, int) else float(raw)
        except ValueError:
            typed[name] = raw
            kind = "a whole number" if isinstance(default, int) else "a number"
            errors[name] = f"must be {kind}"
    return typed, errors


@role_required(Role.STRATEGY)
@require_POST
def rule_propose(request: DeskRequest, code: str) -> HttpResponse:
    rule = get_rule(code)
    typed, errors = _typed_params(rule, request.POST)
    if errors:
        messages.error(request, "Nothing was saved: fix the marked thresholds.")
        return _rule_page(request, rule, typed, errors, status=400)
    try:
        version = services.rule_version_propose(
            rule=rule, params=typed, note=request.POST.get("note", ""), by=request.user
        )
    except services.DetectionError as error:
        messages.error(request, f"Nothing was saved: {error}")
        return _rule_page(request, rule, typed, error.errors, status=400)
    messages.success(
        request, f"Saved as draft v{version.number}. Backtest it, then switch it live."
    )
    return redirect("detection:rule", code=code)


@role_required(Role.STRATEGY)
@require_POST
def rule_activate(request: DeskRequest, code: str, number: int) -> HttpResponse:
    """Ask to publish a draft: it goes live when a second person approves."""
    version = get_object_or_404(RuleVersion, rule__code=code, number=number)
    try:
        services.rule_change_request(
            rule=version.rule,
            kind=RuleChange.Kind.PUBLISH,
            version=version,
            reason=request.POST.get("reason", ""),
            by=request.user,
        )
        messages.success(
            request, f"Asked to publish v{number}: it goes live when a second person approves."
        )
    except services.DetectionError as error:
        messages.error(request, f"Nothing was asked: {error}")
    return redirect("detection:rule", code=code)


@role_required(Role.STRATEGY)
@require_POST
def rule_switch(request: DeskRequest, code: str) -> HttpResponse:
    """On: at once, with a reason. Off (the desk sees less): asked, and made on approval."""
    rule = get_rule(code)
    reason = request.POST.get("reason", "")
    try:
        if request.POST.get("enabled") == "on":
            services.rule_switch_on(rule=rule, by=request.user, reason=reason)
            messages.success(request, f"{code} is on.")
        else:
            services.rule_change_request(
                rule=rule, kind=RuleChange.Kind.SWITCH_OFF, reason=reason, by=request.user
            )
            messages.success(request, f"Asked to switch {code} off: a second person decides.")
    except services.DetectionError as error:
        messages.error(request, f"Nothing was changed: {error}")
    return redirect("detection:rule", code=code)


@role_required(Role.STRATEGY, Role.SUPERVISOR)
@require_POST
def rule_change_decide(request: DeskRequest, code: str, pk: int) -> HttpResponse:
    change = get_object_or_404(RuleChange, pk=pk, rule__code=code)
    note = request.POST.get("note", "")
    try:
        if request.POST.get("decision") == "approve":
            services.rule_change_approve(change=change, by=request.user, note=note)
            messages.success(request, f"Approved: {change.rule.code} changed.")
        else:
            services.rule_change_reject(change=change, by=request.user, note=note)
            messages.success(request, "Rejected: nothing changed.")
    except services.DetectionError as error:
        messages.error(request, str(error))
    return redirect("detection:rule", code=code)


@role_required(Role.STRATEGY, Role.SUPERVISOR)
@require_POST
def backtest_request(request: DeskRequest, code: str) -> HttpResponse:
    rule = get_rule(code)
    number = request.POST.get("version", "")
    version = rule.versions.filter(number=number).first() if number.isdigit() else None
    if version is None:
        messages.error(request, "Choose a version to backtest.")
        return redirect("detection:rule", code=code)
    try:
        services.backtest_request(
            version=version, window=request.POST.get("window", ""), by=request.user
        )
        messages.success(request, f"Backtest of v{version.number} started.")
    except services.DetectionError as error:
        messages.error(request, str(error))
    return redirect("detection:rule", code=code)


@role_required(*STAFF_ROLES)
@require_GET
def run_list(request: DeskRequest) -> HttpResponse:
    runs = selectors.recent_runs()
    template = "detection/runs.html#runs" if request.htmx else "detection/runs.html"
    active = any(run.status in ("queued", "running") for run in runs)
    return render(request, template, {"runs": runs, "active": active})


@role_required(*STAFF_ROLES)
@require_GET
def live_list(request: DeskRequest) -> HttpResponse:
    template = "detection/live.html#live" if request.htmx else "detection/live.html"
    return render(request, template, {"consumers": selectors.live_consumers()})
