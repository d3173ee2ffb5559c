from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Read models that span apps: the shift dashboard and reports, the handover's open items
    from alerts, cases and actions. Above every domain app; only the console is above it."""

    name = "apps.reports"
    label = "reports"
    verbose_name = "Reports: daily report, shift dashboard, shift reports, handover items"

    def ready(self) -> None:
        from apps.reports import collectors
        from apps.reports.daily import sections

        collectors.register()
        sections.register()
