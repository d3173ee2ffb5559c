"""Beat's clock for the rota: thin, idempotent, each calling one service."""

from celery import shared_task

from apps.desk.history import acting_task
from apps.shifts import services


@shared_task
def rota_extend() -> dict[str, int]:
    with acting_task("rota_extend"):
        run = services.rota_extend()
    return {"created": run.created, "existing": run.existing}


@shared_task
def handovers_flag() -> int:
    with acting_task("handovers_flag"):
        return services.handovers_flag_overdue()
