from django.apps import AppConfig


class ShiftsConfig(AppConfig):
    name = "apps.shifts"
    label = "shifts"
    verbose_name = "Shifts: rota, on duty, handover"

    def ready(self) -> None:
        from apps.desk.history import register_history
        from apps.people.roles import Role
        from apps.shifts import handover_items
        from apps.shifts.models import Handover, Shift, ShiftChange, ShiftPattern

        readers = (Role.OPERATOR, Role.SUPERVISOR, Role.AUDITOR)
        register_history("shift", Shift, readers)
        register_history("shift-pattern", ShiftPattern, readers)
        register_history("shift-change", ShiftChange, readers)
        register_history("handover", Handover, readers)
        handover_items.register_builtin_collectors()
