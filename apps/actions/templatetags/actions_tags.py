from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django import template

from apps.actions import selectors
from apps.actions.models import Action
from apps.people.access import has_role
from apps.people.roles import STAFF_ROLES, WORKING_ROLES, Role

if TYPE_CHECKING:
    from apps.accounts.models import ExchangeAccount

register = template.Library()

_STATUS_TAGS = {
    Action.Status.AWAITING_APPROVAL: "tag-warn",
    Action.Status.EXECUTED: "tag-ok",
    Action.Status.FAILED: "tag-crit",
    Action.Status.REJECTED: "tag-crit",
}


@register.filter
def status_tag(status: str) -> str:
    return _STATUS_TAGS.get(status, "")  # type: ignore[call-overload]


@register.simple_tag(takes_context=True)
def approvals_waiting(context: dict[str, Any]) -> selectors.Waiting:
    """The header's count of decisions waiting — the same selector as home and the inbox
    (whose page has it already: read once, shown twice)."""
    known = context.get("waiting")
    return known if isinstance(known, selectors.Waiting) else selectors.approvals_waiting()


@register.filter
def as_json(value: Any) -> str:
    """An exchange body as the contract writes it (JSON), not as Python prints it."""
    return json.dumps(value, indent=1, sort_keys=True, default=str)


@register.inclusion_tag("actions/_account_restrictions.html", takes_context=True)
def account_restrictions(context: dict[str, Any], account: ExchangeAccount) -> dict[str, Any]:
    user = context["request"].user
    return {
        "account": account,
        "view": selectors.account_restrictions(account),
        "can_request": has_role(user, *WORKING_ROLES),
    }


@register.inclusion_tag("actions/_home.html", takes_context=True)
def actions_home(context: dict[str, Any]) -> dict[str, Any]:
    user = context["request"].user
    if not has_role(user, *STAFF_ROLES):
        return {"show": False}
    return {
        "show": True,
        "is_supervisor": has_role(user, Role.SUPERVISOR),
        "waiting": selectors.approvals_waiting(),
        "failures": selectors.recent_failures(),
    }


@register.simple_tag
def restricted_set(rows: Any) -> set[str]:
    """The ids among `rows` (accounts, or rows with an .account) under an active restriction
    now, in one query: lists mark them wherever accounts are listed."""
    from django.utils import timezone

    from apps.actions.models import Restriction, restriction_active

    if hasattr(rows, "account_id"):  # one account, or one row with an account
        rows = [rows]
    ids = [getattr(getattr(r, "account", r), "account_id", None) for r in rows or []]
    return set(
        Restriction.objects.filter(restriction_active(timezone.now()), account_id__in=ids)
        .values_list("account_id", flat=True)
        .distinct()
    )


@register.inclusion_tag("actions/_account_work.html")
def account_work(account: ExchangeAccount) -> dict[str, Any]:
    """The account's alerts and cases, newest first, on its page."""
    from apps.alerts.selectors import account_alerts
    from apps.cases.selectors import account_cases

    alerts = account_alerts(account.pk)
    cases = account_cases(account.pk)
    return {
        "alerts": list(alerts[:20]),
        "alert_total": alerts.count(),
        "cases": list(cases[:20]),
        "account": account,
    }
