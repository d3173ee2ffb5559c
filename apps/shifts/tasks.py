"""Beat's clock for the rota, and routing: thin, idempotent, each calling one service."""

from celery import shared_task

from apps.desk.history import acting_task
from apps.shifts import services
from riskdesk.celery import Scan


@shared_task(base=Scan)
def rota_extend() -> dict[str, int]:
    with acting_task("rota_extend"):
        run = services.rota_extend()
    return {"created": run.created, "existing": run.existing}


@shared_task(base=Scan)
def handovers_flag() -> int:
    with acting_task("handovers_flag"):
        return services.handovers_flag_overdue()


@shared_task
def route_alerts(alert_ids: list[int]) -> int:
    """Offer new alerts to whoever is on duty; alerts already offered are left alone."""
    with acting_task("route_alerts"):
        return len(services.alerts_route(alert_ids=alert_ids).offered)


@shared_task(base=Scan)
def route_unoffered() -> int:
    """The net under route_alerts (beat, every minute): new alerts a lost message left
    unoffered are offered now."""
    with acting_task("route_alerts"):
        return len(services.alerts_route_unoffered().offered)


@shared_task(base=Scan)
def return_unclaimed() -> int:
    """Ended shifts give back the work offered to them and left unclaimed (once each)."""
    with acting_task("return_unclaimed"):
        returned = services.shifts_return_due()
    return sum(len(ids) for ids in returned.values())
