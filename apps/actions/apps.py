from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "apps.actions"
    label = "actions"
    verbose_name = "Actions and restrictions"

    def ready(self) -> None:
        from apps.actions.models import (
            Action,
            ActionAttempt,
            CustomerContact,
            EmergencyPlan,
            PlanActivation,
            Restriction,
        )
        from apps.actions.policy import check_policy_settings
        from apps.desk.audit import chain_model
        from apps.desk.history import register_history
        from apps.people.roles import STAFF_ROLES

        check_policy_settings()
        register_history("action", Action, STAFF_ROLES)
        register_history("restriction", Restriction, STAFF_ROLES)
        register_history("plan", EmergencyPlan, STAFF_ROLES)
        register_history("plan-activation", PlanActivation, STAFF_ROLES)
        for chained in (
            Action,
            ActionAttempt,
            Restriction,
            EmergencyPlan,
            PlanActivation,
            CustomerContact,
        ):
            chain_model(chained)
