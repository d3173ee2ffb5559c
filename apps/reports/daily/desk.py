"""Sections on how the desk kept up: SLA per shift, escalations, cases, and the open items
carried into the next day."""

from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse

from apps.actions.models import Action
from apps.alerts.models import Alert
from apps.alerts.vocabulary import OPEN_STATUSES, sla_breached
from apps.cases.models import Case, Escalation
from apps.cases.vocabulary import OPEN_STATUSES as CASE_OPEN
from apps.cases.vocabulary import Target
from apps.reports.daily.window import Section, Window, cell, iso
from apps.shifts.models import Shift


def _queue(**params: str) -> str:
    return reverse("alerts:queue") + "?" + urlencode(params)


def sla(w: Window) -> Section:
    """Per shift on the rota in the window: alerts whose SLA fell due in the shift's part of
    the window, and how many of those nobody picked up in time (alerts.models.sla_breached)."""
    s = Section("sla", "SLA per shift and escalations")
    shifts = (
        Shift.objects.filter(starts_at__lt=w.end, ends_at__gt=w.start)
        .select_related("pattern")
        .order_by("starts_at")
    )
    rows, covered = [], []
    for shift in shifts:
        start, end = max(shift.starts_at, w.start), min(shift.ends_at, w.end)
        covered.append((start, end))
        span = {"since": iso(start), "until": iso(end), "status": "all"}
        tally = Alert.objects.filter(sla_due_at__gte=start, sla_due_at__lt=end).aggregate(
            due=Count("pk"), missed=Count("pk", filter=sla_breached(w.now))
        )
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
    total = Alert.objects.filter(sla_due_at__gte=w.start, sla_due_at__lt=w.end).aggregate(
        due=Count("pk"), missed=Count("pk", filter=sla_breached(w.now))
    )
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
    raised = Escalation.objects.filter(raised_at__gte=w.start, raised_at__lt=w.end)
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
    cases = Case.objects.aggregate(
        opened=Count("pk", filter=Q(opened_at__gte=w.start, opened_at__lt=w.end)),
        closed=Count("pk", filter=Q(closed_at__gte=w.start, closed_at__lt=w.end)),
    )
    s.figure("cases_opened", "Cases opened", cases["opened"], w.cases_url("opened"))
    s.figure("cases_closed", "Cases closed", cases["closed"], w.cases_url("closed"))
    return s


def carried(w: Window) -> Section:
    """What was still open when the report was built, of the work that arose by the window's
    end: the next day starts with it."""
    s = Section("carried", "Open items carried into tomorrow")
    until = iso(w.end)
    before = Alert.objects.filter(detected_at__lt=w.end, status__in=OPEN_STATUSES)
    s.figure("alerts_open", "Alerts still open", before.count(), _queue(status="open", until=until))
    s.figure(
        "alerts_unclaimed",
        "of them unclaimed",
        before.filter(status="new").count(),
        _queue(status="new", until=until),
    )
    cases = Case.objects.filter(opened_at__lt=w.end, status__in=CASE_OPEN)
    s.figure(
        "cases_open",
        "Cases still open",
        cases.count(),
        reverse("cases:list") + "?" + urlencode({"status": "open", "at": "opened", "until": until}),
    )
    actions = Action.objects.filter(requested_at__lt=w.end)
    actions_url = reverse("actions:list") + "?"
    for status, label in (
        (Action.Status.AWAITING_APPROVAL, "Actions awaiting approval"),
        (Action.Status.FAILED, "Actions failed and not sent again"),
    ):
        s.figure(
            f"actions_{status}",
            label,
            actions.filter(status=status).count(),
            actions_url + urlencode({"status": status, "at": "requested", "until": until}),
        )
    escalations = Escalation.objects.filter(
        raised_at__lt=w.end, state=Escalation.State.OPEN
    ).count()
    s.figure(
        "escalations_open",
        "Escalations not yet acknowledged",
        escalations,
        reverse("cases:inbox") + "?" + urlencode({"state": "open", "until": until}),
    )
    s.notes.append(f"As the database stood when this version was built ({iso(w.now)}).")
    return s
