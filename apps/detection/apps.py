from django.apps import AppConfig


class DetectionConfig(AppConfig):
    name = "apps.detection"
    label = "detection"
    verbose_name = "Detection rules and runs"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from apps.desk.audit import chain_model
        from apps.desk.history import register_history
        from apps.detection.models import DetectionRule, RuleChange, RuleVersion
        from apps.people.roles import STAFF_ROLES

        register_history("rule", DetectionRule, STAFF_ROLES)
        register_history("rule-version", RuleVersion, STAFF_ROLES)
        chain_model(DetectionRule)
        chain_model(RuleVersion)
        chain_model(RuleChange)

        def sync(**kwargs: object) -> None:
            from apps.detection.services import rules_sync

            rules_sync()

        # Every rule the code knows gets a row (with its defaults as version 1) after migrate.
        post_migrate.connect(sync, sender=self, dispatch_uid="detection.rules_sync")
