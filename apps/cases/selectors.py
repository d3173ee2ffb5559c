"""Reads for the case pages and the escalation inbox."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from apps.alerts.selectors import alerts_due_first, alerts_of
from apps.cases.evidence import Evidence, case_evidence
from apps.cases.graph import Graph, case_graph, render_svg
from apps.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseAccount,
    CaseAlert,
    CaseEvent,
    Escalation,
    EscalationReply,
    Status,
    Target,
)
from apps.cases.services.opening import JOINABLE
from apps.people.access import has_role
from apps.people.roles import Role

if TYPE_CHECKING:
    from apps.alerts.models import Alert
    from apps.people.models import User

LIST_LIMIT = 200


# Which moment a case list's since / until read (links from the daily report).
CASE_MOMENTS = {"opened": "opened_at", "closed": "closed_at"}


def case_list(
    *,
    status: str = "open",
    mine: User | None = None,
    at: str = "opened",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Case]:
    cases = Case.objects.select_related("assignee", "cluster").annotate(
        alert_count=Count("alert_rows", distinct=True)
    )
    if status == "open":
        cases = cases.filter(status__in=OPEN_STATUSES)
    elif status in Status.values:
        cases = cases.filter(status=status)
    if mine is not None:
        cases = cases.filter(assignee=mine)
    moment = CASE_MOMENTS.get(at, "opened_at")
    if since:
        cases = cases.filter(**{f"{moment}__gte": since})
    if until:
        cases = cases.filter(**{f"{moment}__lt": until})
    return cases.order_by("-priority", "due_at", "id")[:LIST_LIMIT]


def alert_url(alert_id: int) -> str:
    """The alert's page, once the alerts app serves one."""
    try:
        return reverse("alerts:detail", args=[alert_id])
    except NoReverseMatch:
        return ""


@dataclass
class CasePage:
    case: Case
    alerts: list[Alert]
    accounts: list[str]
    watchers: list[User]
    escalations: list[Escalation]
    graph: Graph
    graph_svg: str
    graph_links: dict[str, str]  # each drawn account's page, for a redraw with marks
    evidence: Evidence
    overdue: bool


def case_events(case: Case) -> list[CaseEvent]:
    return list(case.events.select_related("actor").order_by("at", "id"))


def case_page(case: Case) -> CasePage:
    accounts = list(case.account_rows.values_list("account_id", flat=True))
    rows = case.alert_rows.select_related("alert")
    alerts = [row.alert for row in rows.order_by("-alert__severity_rank", "alert__detected_at")]
    graph = case_graph(accounts)
    links = {a: reverse("accounts:detail", args=[a]) for a in graph.nodes}
    return CasePage(
        case=case,
        alerts=alerts,
        accounts=accounts,
        watchers=list(case.watchers.order_by("username")),
        escalations=list(
            case.escalations.select_related("to_user", "raised_by", "acknowledged_by")
            .prefetch_related("replies__by")
            .order_by("-raised_at")
        ),
        graph=graph,
        graph_svg=render_svg(graph, link_for=links),
        graph_links=links,
        evidence=case_evidence(alerts, accounts, linked=graph.nodes),
        overdue=case.overdue(timezone.now()),
    )


def joinable_alerts(*, chosen: list[int], limit: int = 200) -> list[Alert]:
    """Undecided alerts to open a case from: the chosen ones first, then the most urgent."""
    alerts = alerts_of(chosen, statuses=JOINABLE, evidence=False)
    return alerts + alerts_due_first(JOINABLE, excluding=chosen, limit=limit - len(alerts))


def inbox(
    user: User,
    *,
    state: str = "open",
    target: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Escalation]:
    """The escalations addressed to `user`'s role (or to them by name); auditors see all."""
    escalations = Escalation.objects.select_related(
        "case", "alert", "to_user", "raised_by", "acknowledged_by"
    ).prefetch_related(
        Prefetch(
            "replies", queryset=EscalationReply.objects.select_related("by"), to_attr="reply_list"
        )
    )
    if not has_role(user, Role.AUDITOR):
        addressed = Q(to_user=user)
        if has_role(user, Role.SUPERVISOR):
            addressed |= Q(target__in=[Target.SUPERVISOR, Target.HEAD_OF_RISK])
        if has_role(user, Role.STRATEGY):
            addressed |= Q(target=Target.STRATEGY)
        escalations = escalations.filter(addressed)
    if state in Escalation.State.values:
        escalations = escalations.filter(state=state)
    if target in Target.values:
        escalations = escalations.filter(target=target)
    if since:
        escalations = escalations.filter(raised_at__gte=since)
    if until:
        escalations = escalations.filter(raised_at__lt=until)
    return escalations.order_by("-raised_at", "-id")[:LIST_LIMIT]


def case_measures(case: Case) -> list[Any]:
    """The measures requested for `case`, newest first (the case page lists them). Read
    through the case's reverse relation: actions sit above cases, which never import them."""
    return list(
        case.actions.select_related(
            "account__cluster", "requested_by", "approved_by", "rejected_by", "lifts"
        ).order_by("-requested_at", "-pk")[:100]
    )


# Reads other apps make of cases (actions, the console).


def case_of(pk: int) -> Case | None:
    return Case.objects.filter(pk=pk).first()


def case_by_id(pk: int) -> Case:
    """Case `pk`, which the caller knows exists (an action's case): Case.DoesNotExist else."""
    return Case.objects.get(pk=pk)


def case_of_alert(alert: Alert) -> Case | None:
    """The case `alert` is in, if any (an alert is in at most one)."""
    row = CaseAlert.objects.filter(alert=alert).select_related("case").first()
    return row.case if row is not None else None


def case_ids_of_alerts(alerts: Iterable[Alert]) -> set[int]:
    """The cases any of `alerts` is in."""
    return set(CaseAlert.objects.filter(alert__in=list(alerts)).values_list("case_id", flat=True))


def open_case_on_account(account_id: str) -> Case | None:
    """The newest open case with `account_id` among its accounts."""
    return (
        Case.objects.filter(status__in=OPEN_STATUSES, account_rows__account_id=account_id)
        .order_by("-opened_at")
        .first()
    )


def account_cases(account_id: str) -> QuerySet[Case]:
    """An account's cases, newest first, as its page lists them."""
    return (
        Case.objects.filter(account_rows__account_id=account_id)
        .select_related("assignee")
        .order_by("-opened_at")
    )


def has_opened_cases(person: User) -> bool:
    return Case.objects.filter(opened_by=person).exists()


def accounts_in_open_cases() -> set[str]:
    """Every account some open case is about (a cluster has one open case at a time)."""
    rows = CaseAccount.objects.filter(case__status__in=OPEN_STATUSES)
    return set(rows.values_list("account_id", flat=True))
