"""Sections on what the desk did: actions executed, restrictions standing, emergency measures.
An action belongs to the window by the moment its figure is about (requested, executed,
failed), the moment the actions list's `at` filter reads."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Min
from django.urls import reverse

from apps.actions.figures import (
    action_tally,
    actions_at,
    restriction_tally,
    restrictions_standing,
)
from apps.actions.measures import Measure, Scope
from apps.actions.plans.selectors import activations_between
from apps.reports.daily.window import Section, Window, cell
from apps.reports.shift_dashboard import Spread

if TYPE_CHECKING:
    from apps.actions.models import Restriction

WIDE = (Scope.SYMBOL, Scope.PLATFORM)
LISTED = 50
DAY = timedelta(days=1)


def _at(w: Window, moment: str) -> Any:
    return actions_at(moment, w.start, w.end)


def _grouped(rows: Any, field: str) -> list[tuple[Any, int]]:
    return sorted(
        rows.values_list(field).annotate(n=Count("pk")).order_by(),
        key=lambda r: (-r[1], str(r[0])),
    )


def actions(w: Window) -> Section:
    s = Section("actions", "Actions executed")
    executed = _at(w, "executed_at")
    tally = action_tally(w.start, w.end)
    s.figure("executed", "Actions executed", tally["executed"], w.actions_url("executed"))
    s.figure("requested", "Actions requested", tally["requested"], w.actions_url())
    s.figure("failed", "Executions that failed", tally["failed"], w.actions_url("failed"))
    labels = {"measure": dict(Measure.choices), "scope": dict(Scope.choices)}
    for field, title in (("measure", "By measure"), ("scope", "By scope")):
        s.table(
            f"by_{field}",
            f"Executed, {title.lower()}",
            [title[3:].capitalize(), "Executed"],
            [
                [labels[field].get(code, code), cell(n, w.actions_url("executed", **{field: code}))]
                for code, n in _grouped(executed, field)
            ],
            chart=1,
            empty="Nothing executed.",
        )
    s.table(
        "by_requester",
        "Executed, by requester",
        ["Requester", "Executed"],
        [
            [who, cell(n, w.actions_url("executed", requested_by=who))]
            for who, n in _grouped(executed, "requested_by__username")
        ],
        empty="Nothing executed.",
    )
    s.table(
        "by_approver",
        "Executed, by approver",
        ["Approver", "Executed"],
        [
            [
                who or "no second person needed",
                cell(n, w.actions_url("executed", approved_by=who) if who else ""),
            ]
            for who, n in _grouped(executed, "approved_by__username")
        ],
        empty="Nothing executed.",
    )
    # From the first alert behind an action to its execution on the exchange.
    delays = [
        (done - first).total_seconds() / 60
        for done, first in executed.annotate(first=Min("alerts__detected_at"))
        .filter(first__isnull=False)
        .values_list("executed_at", "first")
        .order_by()
    ]
    spread = Spread.of(delays)
    url = w.actions_url("executed")
    s.figure("alert_to_action_median", "Alert to action, median (min)", spread.median, url, "min")
    s.figure(
        "alert_to_action_p90", "Alert to action, 90th percentile (min)", spread.p90, url, "min"
    )
    s.figure("alert_to_action_count", "Executed actions with an alert behind them", spread.count)
    failed = _at(w, "failed_at").order_by("failed_at", "pk")[:LISTED]
    s.table(
        "failures",
        "Failures",
        ["Action", "Measure", "On", "Failed at (UTC)", "Message"],
        [
            [
                cell(a.reference, reverse("actions:detail", args=[a.pk])),
                a.get_measure_display(),
                a.target,
                f"{a.failed_at:%Y-%m-%d %H:%M}",
                a.failure_message[:160],
            ]
            for a in failed
        ],
        empty="No failure.",
    )
    return s


def restrictions(w: Window) -> Section:
    """Standing at the end of the window, lifted or lapsed in it, ending within a day after."""
    s = Section("restrictions", "Restrictions: active, lifted, expiring")
    end = min(w.end, w.now)
    tally = restriction_tally(w.start, w.end, end)
    executed = w.actions_url("executed")
    url = w.restrictions_url
    s.figure("active", "Standing at the end of the window", tally["active"], url("active"))
    s.figure("applied", "Applied in the window", tally["applied"], executed)
    s.figure("lifted", "Lifted in the window", tally["lifted"], url("lifted"))
    s.figure("expired", "Expired in the window", tally["expired"], url("expired"))
    s.figure("expiring", "Expiring within 24 h after", tally["expiring"], url("expiring"))
    labels = dict(Measure.choices)
    standing = restrictions_standing(end, applied_before=end)
    s.table(
        "active_by_measure",
        "Standing, by measure",
        ["Measure", "Restrictions"],
        [[labels.get(code, code), n] for code, n in _grouped(standing, "measure")],
        chart=1,
        empty="None standing.",
    )
    s.notes.append(
        "Restrictions are listed by the actions that placed them; each row below links to one."
    )
    ending = standing.filter(expires_at__lt=end + DAY)
    s.table(
        "expiring",
        "Expiring within 24 h",
        ["Action", "Measure", "On", "Expires (UTC)"],
        [_restriction_row(r, r.expires_at) for r in ending.order_by("expires_at", "pk")[:LISTED]],
        empty="Nothing expires.",
    )
    return s


def _restriction_row(r: Restriction, moment: Any) -> list[Any]:
    return [
        cell(r.action.reference, reverse("actions:detail", args=[r.action_id])),
        r.get_measure_display(),
        r.action.target,
        f"{moment:%Y-%m-%d %H:%M}" if moment else "until lifted",
    ]


def emergency(w: Window) -> Section:
    """Symbol- and platform-wide measures, the actions app's emergency response today."""
    s = Section("emergency", "Emergency measures (symbol- or platform-wide)")
    end = min(w.end, w.now)
    for scope in WIDE:
        s.figure(
            f"requested_{scope}",
            f"Requested, {Scope(scope).label.lower()}",
            _at(w, "requested_at").filter(scope=scope).count(),
            w.actions_url(scope=scope),
        )
        s.figure(
            f"executed_{scope}",
            f"Executed, {Scope(scope).label.lower()}",
            _at(w, "executed_at").filter(scope=scope).count(),
            w.actions_url("executed", scope=scope),
        )
    standing = restrictions_standing(end, applied_before=end).filter(scope__in=WIDE)
    ordered = list(standing.order_by("applied_at", "pk"))
    rows = [_restriction_row(r, r.expires_at) for r in ordered]
    for scope in WIDE:
        s.figure(
            f"standing_{scope}",
            f"Standing at the end of the window, {Scope(scope).label.lower()}",
            sum(1 for r in ordered if r.scope == scope),
            w.restrictions_url("active", scope=scope),
        )
    s.table(
        "standing",
        "Standing wide measures",
        ["Action", "Measure", "On", "Until (UTC)"],
        rows[:LISTED],
        empty="No symbol- or platform-wide measure stands.",
    )
    activations = activations_between(w.start, w.end)
    s.figure("plans", "Emergency plans requested, approved or lifted", len(activations))
    s.table(
        "plans",
        "Emergency plans",
        ["Activation", "Plan", "On", "Status", "Requested by", "Approved by"],
        [_activation_row(a) for a in activations[:LISTED]],
        empty="No emergency plan was activated, approved or lifted.",
    )
    return s


def _activation_row(activation: Any) -> list[Any]:
    return [
        cell(activation.reference, reverse("actions:activation", args=[activation.pk])),
        f"{activation.plan.name} v{activation.plan.version}",
        activation.target,
        activation.get_status_display(),
        str(activation.requested_by),
        str(activation.approved_by or "—"),
    ]
