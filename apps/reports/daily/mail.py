"""E-mailing a built report to the list the supervisors keep (ReportRecipient), through
Django's mail backend, with the PDF attached."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone

from apps.reports.models import DailyReport, ReportRecipient


def report_text(report: DailyReport) -> str:
    lines = [
        f"The daily risk-control report for {report.days_label} (UTC days), "
        f"version {report.version}, built {report.built_at:%Y-%m-%d %H:%M} UTC "
        f"by {report.built_by}.",
        "",
    ]
    for section in report.content.get("sections", []):
        lines.append(section["title"])
        if "error" in section:
            lines.append(f"  could not be read: {section['error']}")
        for figure in section.get("figures", []):
            lines.append(
                f"  {figure['label']}: {figure['value'] if figure['value'] is not None else '—'}"
            )
        lines.extend(f"  · {note}" for note in section.get("notes", []))
        lines.append("")
    site = settings.NOTIFY_SITE_URL.rstrip("/")
    lines.append(
        f"Every figure, with the list behind it: {site}{reverse('reports:daily', args=[report.pk])}"
    )
    return "\n".join(lines)


def daily_report_send(*, report_id: int) -> int:
    """Send once: the row is marked mailed before the message goes (a second delivery of the
    task finds it marked). A failure to send is logged by the backend and not retried, so
    nobody receives the report twice."""
    claimed = DailyReport.objects.filter(
        pk=report_id, status=DailyReport.Status.READY, mailed_at__isnull=True
    ).update(mailed_at=timezone.now())
    if not claimed:
        return 0
    report = DailyReport.objects.get(pk=report_id)
    to = list(ReportRecipient.objects.filter(active=True).values_list("email", flat=True))
    if not to:
        return 0
    from apps.reports.daily.pdf import report_pdf

    message = EmailMessage(
        subject=f"Daily risk-control report {report.days_label} (v{report.version})",
        body=report_text(report),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[settings.DEFAULT_FROM_EMAIL],
        bcc=to,  # recipients do not see each other
    )
    message.attach(f"{report.file_stem}.pdf", report_pdf(report), "application/pdf")
    return message.send()
