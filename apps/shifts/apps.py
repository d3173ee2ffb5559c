from django.apps import AppConfig


class ShiftsConfig(AppConfig):
    name = "apps.shifts"
    label = "shifts"
    verbose_name = "Shifts: rota, on duty, handover"

    def ready(self) -> None:
        from apps.alerts.signals import alerts_arrived
        from apps.desk.history import register_history
        from apps.people.roles import SHIFT_READERS
        from apps.shifts import handover_items
        from apps.shifts.models import Handover, Shift, ShiftChange, ShiftPattern

        readers = SHIFT_READERS
        register_history("shift", Shift, readers)
        register_history("shift-pattern", ShiftPattern, readers)
        register_history("shift-change", ShiftChange, readers)
        register_history("handover", Handover, readers)
        handover_items.register_builtin_collectors()
        alerts_arrived.connect(_route_arrivals, dispatch_uid="shifts.route_arrivals")


def _route_arrivals(sender: object, alert_ids: list[int], **kwargs: object) -> None:
    """Sent after the ingest commit: only enqueue, ingest is not to wait on routing."""
    from apps.shifts.tasks import arrivals_note

    if alert_ids:
        arrivals_note(list(alert_ids))
