from __future__ import annotations

import json
from collections.abc import Iterable
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
def params_in_words(params: Any, measure: str) -> str:
    """A measure's params as the desk says them ("orders per second ≤ 5"), not as the
    gateway's keys ("max_orders_per_second=5")."""
    from apps.actions.measures import PARAMS

    if not isinstance(params, dict) or not params:
        return ""
    labels = {p.key: p.label for p in PARAMS.get(measure, ())}
    return ", ".join(f"{labels.get(k, k.replace('_', ' '))} ≤ {v}" for k, v in params.items())


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


def _account_ids(rows: Any) -> list[str]:
    """Account ids out of whatever a page lists: ids, accounts, alerts (their `accounts`),
    queue rows (their alert), or rows carrying `account_ids`, `other_id`, `account_id` or
    `account`."""
    if rows is None or isinstance(rows, str) or not isinstance(rows, Iterable):
        rows = [rows] if rows else []
    ids: list[str] = []
    for row in rows:
        if isinstance(row, str):
            ids.append(row)
        elif getattr(row, "alert", None) is not None:  # a queue row
            ids.extend(str(a) for a in row.alert.accounts)
        elif isinstance(getattr(row, "accounts", None), list):
            ids.extend(str(a) for a in row.accounts)
        elif getattr(row, "account_ids", None):
            ids.extend(str(a) for a in row.account_ids)
        elif getattr(row, "other_id", None):  # a link row on an account's page
            ids.append(str(row.other_id))
        elif getattr(row, "account_id", None):
            ids.append(str(row.account_id))
        elif getattr(getattr(row, "account", None), "account_id", None):  # an account's row
            ids.append(row.account.account_id)
    return ids


@register.simple_tag
def restricted_set(rows: Any) -> dict[str, list[str]]:
    """The accounts among `rows` under an active restriction now, with their measures, in
    one query for the whole list (`selectors.restricted_accounts`); rows then show
    `{% restricted_mark id restricted %}`."""
    return selectors.restricted_accounts(_account_ids(rows))


@register.inclusion_tag("actions/_restricted_mark.html")
def restricted_mark(accounts: Any, restricted: dict[str, list[str]] | None) -> dict[str, Any]:
    """The one mark of a restricted account (or of a row whose accounts include one) in a
    list; no query: `restricted` is the list's `restricted_set`."""
    ids = [accounts] if isinstance(accounts, str) else _account_ids(accounts)
    measures: list[str] = []
    for account_id in ids:
        for said in (restricted or {}).get(str(account_id), []):
            if said not in measures:
                measures.append(said)
    return {"measures": measures}


@register.inclusion_tag("actions/_account_positions.html")
def account_positions(account: ExchangeAccount) -> dict[str, Any]:
    """The account's open positions, in words and USDT, on its page."""
    from apps.actions.impact import open_positions

    return {"held": open_positions([account.account_id])}


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
