"""Sections on how the desk kept up: SLA per shift, escalations, cases, and the open items
carried into the next day."""

from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse

from apps.actions.figures import actions_requested_before
from apps.actions.measures import ActionStatus
from apps.alerts.figures import open_detected_before, sla_tally
from apps.cases.figures import (
    case_tally,
    escalations_raised,
    open_cases_opened_before,
    open_escalations_raised_before,
)
from apps.cases.vocabulary import Target
from apps.reports.daily.window import Section, Window, cell, iso
from apps.shifts.selectors import shifts_overlapping


def _queue(**params: str) -> str:
    return reverse("alerts:queue") + "?" + urlencode(params)


def sla(w: Window) -> Section:
    """Per shift on the rota in the window: alerts whose SLA fell due in the shift's part of
    the window, and how many of those nobody picked up in time (alerts.vocabulary.sla_breached)."""
    s = Section("sla", "SLA per shift and escalations")
    shifts = shifts_overlapping(w.start, w.end)
    rows, covered = [], []
    for shift in shifts:
        start, end = max(shift.starts_at, w.start), min(shift.ends_at, w.end)
        covered.append((start, end))
        span = {"since": iso(start), "until": iso(end), "status": "all"}
        tally = sla_tally(start, end, w.now)
        met = tally["due"] - tally["missed"]
        rows.append(
            [
                f"{shift.pattern.name} {shift.starts_at:%d %b %H:%M}–{shift.ends_at:%H:%M} UTC",  # noqa: RUF001
                cell(tally["due"], _queue(sla="due", **span)),
                cell(tally["missed"], _queue(sla="missed", **span)),
                f"{met / tally['due']:.0%}" if tally["due"] else "—",
            ]
        )
    whole = {"since": iso(w.start), "until": iso(w.end), "status": "all"}
    total = sla_tally(w.start, w.end, w.now)
    s.figure("due", "Alerts due in the window", total["due"], _queue(sla="due", **whole))
    s.figure("missed", "SLA breaches", total["missed"], _queue(sla="missed", **whole))
    s.table(
        "per_shift",
        "SLA per shift",
        ["Shift", "Due", "Missed", "Met in time"],
        rows,
        chart=2,
        empty="No shift on the rota in this window.",
    )
    if not rows:
        s.notes.append("No shift was on the rota: the figures above cover the whole window.")
    raised = escalations_raised(w.start, w.end)
    tally = raised.aggregate(
        all=Count("pk"), by_timer=Count("pk", filter=Q(raised_by__isnull=True))
    )
    s.figure("escalations", "Escalations raised", tally["all"], w.escalations_url())
    s.figure("escalations_by_timer", "Raised by a timer (past SLA or due time)", tally["by_timer"])
    per_target = dict(raised.values_list("target").annotate(n=Count("pk")).order_by())
    s.table(
        "escalations",
        "Escalations by target",
        ["To", "Raised"],
        [
            [label, cell(per_target[code], w.escalations_url(target=code))]
            for code, label in Target.choices
            if per_target.get(code)
        ],
        empty="No escalation.",
    )
    cases = case_tally(w.start, w.end)
    s.figure("cases_opened", "Cases opened", cases["opened"], w.cases_url("opened"))
    s.figure("cases_closed", "Cases closed", cases["closed"], w.cases_url("closed"))
    return s


def carried(w: Window) -> Section:
    """What was still open when the report was built, of the work that arose by the window's
    end: the next day starts with it."""
    s = Section("carried", "Open items carried into tomorrow")
    until = iso(w.end)
    before = open_detected_before(w.end)
    s.figure("alerts_open", "Alerts still open", before["open"], _queue(status="open", until=until))
    s.figure(
        "alerts_unclaimed",
        "of them unclaimed",
        before["unclaimed"],
        _queue(status="new", until=until),
    )
    s.figure(
        "cases_open",
        "Cases still open",
        open_cases_opened_before(w.end),
        reverse("cases:list") + "?" + urlencode({"status": "open", "at": "opened", "until": until}),
    )
    actions_url = reverse("actions:list") + "?"
    for status, label in (
        (ActionStatus.AWAITING_APPROVAL, "Actions awaiting approval"),
        (ActionStatus.FAILED, "Actions failed and not sent again"),
    ):
        s.figure(
            f"actions_{status}",
            label,
            actions_requested_before(w.end, status),
            actions_url + urlencode({"status": status, "at": "requested", "until": until}),
        )
    escalations = open_escalations_raised_before(w.end)
    s.figure(
        "escalations_open",
        "Escalations not yet acknowledged",
        escalations,
        reverse("cases:inbox") + "?" + urlencode({"state": "open", "until": until}),
    )
    s.notes.append(f"As the database stood when this version was built ({iso(w.now)}).")
    return s
