from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "apps.alerts"
    label = "alerts"
    verbose_name = "Alerts: intake, triage queue, rule quality"

    def ready(self) -> None:
        from apps.alerts.models import Alert, RejectedAlert
        from apps.desk.audit import chain_model
        from apps.desk.history import register_history
        from apps.people.roles import STAFF_ROLES, Role

        register_history("alert", Alert, STAFF_ROLES)
        register_history("rejected-alert", RejectedAlert, (Role.SUPERVISOR, Role.AUDITOR))
        chain_model(Alert)
        chain_model(RejectedAlert)
