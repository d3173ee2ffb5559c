"""The daily report's pages: the list and the request form, one report (polling while it
builds), its charts, CSV, XLSX and PDF, and the list of people it is mailed to."""

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.desk.history import delete_by, save_by
from apps.people.access import has_role, role_required
from apps.people.http import DeskRequest
from apps.people.roles import REPORT_BUILDERS, REPORT_MAIL_KEEPERS, REPORT_READERS
from apps.reports.daily.build import ReportError, daily_report_request, utc_today
from apps.reports.daily.charts import bar_chart
from apps.reports.daily.export import report_csv, report_xlsx
from apps.reports.daily.pdf import report_pdf
from apps.reports.forms import RecipientForm
from apps.reports.models import DailyReport, ReportRecipient

POLL_SECONDS = 1


def report_for(pk: int) -> DailyReport:
    """The one way these views fetch a report: every reader reads every report."""
    return get_object_or_404(DailyReport.objects.select_related("requested_by"), pk=pk)


@role_required(*REPORT_READERS)
@require_GET
def daily_list(request: DeskRequest) -> HttpResponse:
    yesterday = utc_today() - timedelta(days=1)
    return render(
        request,
        "reports/daily_list.html",
        {
            # The content (every section) is read on the report's own page only.
            "reports": DailyReport.objects.select_related("requested_by").defer("content")[:100],
            "yesterday": yesterday,
            "can_build": has_role(request.user, *REPORT_BUILDERS),
            "keeps_list": has_role(request.user, *REPORT_MAIL_KEEPERS),
        },
    )


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@role_required(*REPORT_BUILDERS)
@require_POST
def daily_request(request: DeskRequest) -> HttpResponse:
    first = _day(request.POST.get("first_day", ""))
    last = _day(request.POST.get("last_day", "")) or first
    if first is None:
        messages.error(request, "Give the first day as YYYY-MM-DD (a UTC day).")
        return redirect("reports:daily_list")
    try:
        report = daily_report_request(first_day=first, last_day=last, by=request.user)
    except ReportError as error:
        messages.error(request, str(error))
        return redirect("reports:daily_list")
    return redirect("reports:daily", report.pk)


def _window(report: DailyReport) -> dict[str, datetime]:
    return {
        name: datetime.fromisoformat(report.content[name].replace("Z", "+00:00"))
        for name in ("start", "end", "read_at")
        if name in report.content
    }


@role_required(*REPORT_READERS)
@require_GET
def daily_detail(request: DeskRequest, pk: int) -> HttpResponse:
    report = report_for(pk)
    versions = DailyReport.objects.filter(
        first_day=report.first_day, last_day=report.last_day
    ).values_list("pk", "version", "built_at", "status")
    context = {
        "report": report,
        "window": _window(report),
        "versions": list(versions),
        "poll": POLL_SECONDS,
        "can_build": has_role(request.user, *REPORT_BUILDERS),
    }
    if request.htmx and not report.is_finished:
        return render(request, "reports/daily.html#progress", context)
    if request.htmx:  # just finished: the whole page, once
        response = HttpResponse()
        response["HX-Refresh"] = "true"
        return response
    return render(request, "reports/daily.html", context)


def _table(report: DailyReport, section: str, table: str) -> dict:
    for s in report.content.get("sections", []):
        if s["key"] == section:
            for t in s.get("tables", []):
                if t["key"] == table:
                    return t
    raise Http404("No such table in this report.")


@role_required(*REPORT_READERS)
@require_GET
def daily_chart(request: DeskRequest, pk: int, section: str, table: str) -> HttpResponse:
    svg = bar_chart(_table(report_for(pk), section, table), fmt="svg")
    if not svg:
        raise Http404("This table has no chart.")
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=86400"  # a built version never changes
    return response


def _download(body: str | bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@role_required(*REPORT_READERS)
@require_GET
def daily_csv(request: DeskRequest, pk: int) -> HttpResponse:
    report = report_for(pk)
    return _download(report_csv(report), f"{report.file_stem}.csv", "text/csv; charset=utf-8")


@role_required(*REPORT_READERS)
@require_GET
def daily_xlsx(request: DeskRequest, pk: int) -> HttpResponse:
    report = report_for(pk)
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(report_xlsx(report), f"{report.file_stem}.xlsx", kind)


@role_required(*REPORT_READERS)
@require_GET
def daily_pdf(request: DeskRequest, pk: int) -> HttpResponse:
    report = report_for(pk)
    response = HttpResponse(report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{report.file_stem}.pdf"'
    return response


@role_required(*REPORT_MAIL_KEEPERS)
def recipients(request: DeskRequest) -> HttpResponse:
    form = RecipientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        recipient = form.save(commit=False)
        recipient.added_by = request.user
        save_by(recipient, by=request.user, reason="added to the daily report's list")
        messages.success(request, f"{recipient} will receive the daily report.")
        return redirect("reports:recipients")
    return render(
        request,
        "reports/recipients.html",
        {
            "recipients": ReportRecipient.objects.select_related("added_by"),
            "form": form,
        },
    )


@role_required(*REPORT_MAIL_KEEPERS)
@require_POST
def recipient_change(request: DeskRequest, pk: int) -> HttpResponse:
    recipient = get_object_or_404(ReportRecipient, pk=pk)
    if request.POST.get("do") == "remove":
        delete_by(recipient, by=request.user, reason="removed from the daily report's list")
        messages.success(request, f"{recipient} removed.")
    else:
        recipient.active = not recipient.active
        save_by(
            recipient,
            by=request.user,
            fields=["active"],
            reason="resumed" if recipient.active else "paused",
        )
    return redirect(reverse("reports:recipients"))
