from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "apps.cases"
    label = "cases"
    verbose_name = "Cases: investigations, timeline, escalation"

    def ready(self) -> None:
        from apps.cases.models import Case, Escalation
        from apps.desk.audit import chain_model
        from apps.desk.history import register_history
        from apps.people.roles import STAFF_ROLES

        register_history("case", Case, STAFF_ROLES)
        register_history("escalation", Escalation, STAFF_ROLES)
        chain_model(Case)
        chain_model(Escalation)

        from apps.alerts.signals import alert_escalated, alerts_arrived
        from apps.cases.receivers import alert_escalated as raise_on_escalation
        from apps.cases.receivers import alerts_arrived as attach_on_arrival

        alerts_arrived.connect(attach_on_arrival, dispatch_uid="cases.attach_on_arrival")
        alert_escalated.connect(raise_on_escalation, dispatch_uid="cases.raise_on_escalation")

        from apps.accounts.signals import clusters_retired
        from apps.cases.receivers import clusters_retired as follow_clusters

        clusters_retired.connect(follow_clusters, dispatch_uid="cases.follow_clusters")

        from apps.alerts.rows_behind import register
        from apps.cases.evidence import alert_evidence

        register(alert_evidence)
