"""The request form: a measure chosen, its plan previewed (who must approve, the exchange
call it makes), and the request sent to actions.services.action_request."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.selectors import cluster_by_key
from apps.actions import services
from apps.actions.measures import PARAMS, Measure, ReasonCode, Scope, parse_param_text
from apps.actions.models import Action
from apps.actions.planning import Plan, plan_request
from apps.actions.services.execution import contract_call
from apps.alerts.selectors import alerts_of
from apps.cases.permissions import can_read_case
from apps.cases.selectors import case_of
from apps.people.access import role_required
from apps.people.http import DeskRequest
from apps.people.roles import WORKING_ROLES

if TYPE_CHECKING:
    from apps.alerts.models import Alert
    from apps.cases.models import Case

EXPIRY_CHOICES = [("", "No expiry"), ("1h", "1 hour"), ("24h", "24 hours"), ("7d", "7 days")]
EXPIRY_CHOICES += [("30d", "30 days")]
_SPANS = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7)}
_SPANS["30d"] = timedelta(days=30)


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
        "case": str(data.get("case", "")) if str(data.get("case", "")).isdigit() else "",
        "alerts": [int(v) for v in data.getlist("alert") if str(v).isdigit()][:50],
        # One per form shown: sending the same form twice makes nothing twice.
        "request_key": str(_request_key(data) or uuid.uuid4()),
    }


def _request_key(data: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(data.get("request_key", "")))
    except ValueError:
        return None


QUEUE_DOWN = (
    "{what} saved; the exchange call will run when the queue is back (the desk's task queue "
    "cannot be reached right now — nothing needs doing again)."
)


def tell_unsent(request: DeskRequest, unsent: list[int]) -> str:
    if not unsent:
        return ""
    what = f"A-{unsent[0]}" if len(unsent) == 1 else f"{len(unsent)} actions"
    notice = QUEUE_DOWN.format(what=what)
    messages.warning(request, notice)
    return notice


def _answers(values: dict[str, Any]) -> tuple[Case | None, list[Alert]]:
    """The case and alerts a request answers (hidden fields of the form)."""
    case = case_of(values["case"]) if values["case"] else None
    alerts = alerts_of(values["alerts"], evidence=False)
    return case, alerts


# What an alert's category most likely calls for, as the reason a request starts from.
_REASON_FOR_CATEGORY = {
    "self_trade": ReasonCode.SELF_TRADE,
    "linked_mutual_trade": ReasonCode.LINKED_ACCOUNTS,
    "common_control": ReasonCode.LINKED_ACCOUNTS,
    "matched_trade_price": ReasonCode.PRICE_MANIPULATION,
    "frequent_cancel": ReasonCode.ORDER_CANCEL_ABUSE,
    "large_cancel": ReasonCode.ORDER_CANCEL_ABUSE,
    "combined_position_limit": ReasonCode.POSITION_LIMIT_BREACH,
    "daily_open_limit": ReasonCode.POSITION_LIMIT_BREACH,
    "unauthorized_algo": ReasonCode.UNAUTHORIZED_ALGO,
    "account_theft": ReasonCode.ACCOUNT_SECURITY,
    "abnormal_pnl": ReasonCode.ABNORMAL_PNL,
    "promo_abuse": ReasonCode.PROMO_ABUSE,
    "market_stress": ReasonCode.MARKET_EMERGENCY,
}


def _prefill(request: DeskRequest, values: dict[str, Any]) -> None:
    """A request started from a case or an alert: its accounts, reason and wording."""
    case, alerts = _answers(values)
    if case is not None:
        if not can_read_case(request.user):
            raise PermissionDenied("Your role does not read cases.")
        accounts = list(case.account_rows.values_list("account_id", flat=True))
        if not accounts and case.cluster_id:
            accounts = list(case.cluster.members.values_list("account_id", flat=True))  # type: ignore[union-attr]
        values["accounts"] = "\n".join(sorted(accounts))
        values["reason_code"] = values["reason_code"] or ReasonCode.INVESTIGATION
        values["customer_text"] = values["customer_text"] or case.customer_reason
        values["internal_note"] = values["internal_note"] or f"{case.ref}: {case.title}"
        if not values["alerts"]:
            values["alerts"] = list(
                case.alert_rows.order_by("alert_id").values_list("alert_id", flat=True)[:50]
            )
    elif alerts:
        values["accounts"] = "\n".join(dict.fromkeys(a for alert in alerts for a in alert.accounts))
        values["reason_code"] = values["reason_code"] or _REASON_FOR_CATEGORY.get(
            alerts[0].category, ReasonCode.INVESTIGATION
        )
        values["internal_note"] = values["internal_note"] or "; ".join(
            f"alert {a.pk}: {a.summary}" for a in alerts
        )
        if alerts[0].symbol and values["scope"] == Scope.ACCOUNT_SYMBOL:
            values["symbol"] = alerts[0].symbol


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
        "answers": _answers(values),
    }


@role_required(*WORKING_ROLES)
@require_http_methods(["GET", "POST"])
def action_new(request: DeskRequest) -> HttpResponse:
    if request.method == "POST":
        values = _form_values(request.POST)
        case, alerts = _answers(values)
        started = timezone.now()
        try:
            span = _SPANS.get(values["expires_in"])
            lifts = Action.objects.filter(pk=values["lifts"]).first() if values["lifts"] else None
            with services.noting_unsent() as unsent:
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
                    case=case,
                    alerts=alerts,
                    request_key=_request_key(request.POST),
                )
        except services.ActionError as error:
            messages.error(request, str(error))
            context = _new_context(request, values, _plan(request, values))
            return render(request, "actions/new.html", context, status=400)
        first = actions[0]
        if all(action.requested_at < started for action in actions):
            messages.info(request, f"{first.reference} was already requested with this form.")
            return _requested(request, actions)
        tell_unsent(request, unsent)
        word = "sent for approval" if first.requires_approval else "sent to the exchange"
        if len(actions) > 1:
            messages.success(request, f"{len(actions)} actions {word}.")
        else:
            messages.success(request, f"{first.reference} {word}.")
        return _requested(request, actions)
    values = _form_values(request.GET)
    if request.GET.get("cluster"):
        cluster = cluster_by_key(request.GET["cluster"])
        if cluster is not None:
            members = cluster.members.order_by("account_id").values_list("account_id", flat=True)
            values["accounts"] = "\n".join(members)
    elif request.GET.get("account"):
        values["accounts"] = request.GET["account"]
    else:
        _prefill(request, values)
    if values["lifts"]:
        values["measure"] = Measure.LIFT
    plan = _plan(request, values) if values["lifts"] else None
    return render(request, "actions/new.html", _new_context(request, values, plan))


def _requested(request: DeskRequest, actions: list[Action]) -> HttpResponse:
    """Flows end where the work is: a measure asked for a case goes back to the case
    (whose timeline shows it and polls its fate); otherwise to what was made."""
    if actions[0].case_id is not None:
        return redirect("cases:detail", pk=actions[0].case_id)
    if len(actions) > 1:
        return redirect(f"{reverse('actions:list')}?requested_by={request.user.get_username()}")
    return redirect("actions:detail", pk=actions[0].pk)


@role_required(*WORKING_ROLES)
@require_POST
def action_preview(request: DeskRequest) -> HttpResponse:
    values = _form_values(request.POST)
    plan = _plan(request, values)
    return render(request, "actions/new.html#plan", _new_context(request, values, plan))
