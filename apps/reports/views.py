"""The shift dashboard (the current shift's key risk indicators, polling) and shift reports."""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.alerts.vocabulary import Category, Severity
from apps.desk.charts import Series, line_chart
from apps.people.access import role_required
from apps.people.http import DeskRequest
from apps.people.roles import SHIFT_READERS
from apps.reports.charts import SEVERITY_SERIES, hbar_chart
from apps.reports.market_risk import market_risk
from apps.reports.shift_dashboard import ShiftReading, read_shift
from apps.shifts.handover_selectors import shift_report_of, shift_reports_recent
from apps.shifts.selectors import on_duty

# With no shift on the rota now, the dashboard reads this far back.
NO_SHIFT_WINDOW = timedelta(hours=12)
POLL_SECONDS = 30  # settings.SHIFT_DASHBOARD_POLL_SECONDS overrides


def _charts(reading: ShiftReading) -> dict[str, Any]:
    severity_labels = dict(Severity.choices)
    category_labels = dict(Category.choices)
    by_category = sorted(reading.by_category.items(), key=lambda kv: (-kv[1], kv[0]))
    hours = reading.per_hour
    return {
        "severity": hbar_chart(
            [(severity_labels[s], n, SEVERITY_SERIES[s]) for s, n in reading.by_severity.items()],
            title="Alerts by severity",
        ),
        "category": hbar_chart(
            [(category_labels.get(c, c), n, 0) for c, n in by_category],
            title="Alerts by category",
        ),
        # line_chart colours by position (series-0 … 3: link, high, ok, crit), so this
        # order gives critical red, high orange, low green, medium blue.
        "per_hour": line_chart(
            [
                Series(str(severity_labels[s]), [(h, float(c.get(s, 0))) for h, c in hours])
                for s in ("medium", "high", "low", "critical")
            ],
            title="Alerts per hour by severity (UTC)",
            unit="alerts",
        )
        if len(hours) > 1
        else "",
    }


@role_required(*SHIFT_READERS)
@require_GET
def dashboard(request: DeskRequest) -> HttpResponse:
    now = datetime.now(UTC)
    duty = on_duty(now)
    request._desk_on_duty = duty  # type: ignore[attr-defined]  # the header reads it again
    shift = duty.shift
    start, end = (shift.starts_at, shift.ends_at) if shift else (now - NO_SHIFT_WINDOW, now)
    reading = read_shift(start, end, now=now)
    context = {
        "shift": shift,
        "duty": duty,
        "reading": reading,
        "charts": _charts(reading),
        "market": market_risk(),
        "poll": getattr(settings, "SHIFT_DASHBOARD_POLL_SECONDS", POLL_SECONDS),
        "now": now,
    }
    template = "reports/dashboard.html#board" if request.htmx else "reports/dashboard.html"
    return render(request, template, context)


@role_required(*SHIFT_READERS)
@require_GET
def reports(request: DeskRequest) -> HttpResponse:
    found = shift_reports_recent(60)
    return render(request, "reports/reports.html", {"reports": found})


@role_required(*SHIFT_READERS)
@require_GET
def report_detail(request: DeskRequest, pk: int) -> HttpResponse:
    report = shift_report_of(pk)
    if report is None:
        raise Http404("No such shift report.")
    handover = getattr(report.shift, "handover", None)
    return render(
        request,
        "reports/report.html",
        {"report": report, "f": report.figures, "handover": handover},
    )
