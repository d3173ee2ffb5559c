"""Reads about the desk's reports that other apps share."""

from apps.reports.models import DailyReport


def daily_reports_exist() -> bool:
    """Whether the desk has asked for any daily report yet (the demo loader builds one only
    when there is none)."""
    return DailyReport.objects.exists()
