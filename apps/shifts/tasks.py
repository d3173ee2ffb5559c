"""Beat's clock for the rota, and routing: thin, idempotent, each calling one service."""

from celery import shared_task
from django.conf import settings

from apps.desk.history import acting_task
from apps.shifts import services
from riskdesk.celery import Coalesced, Scan, redis_for_tasks, send_coalesced


@shared_task(base=Scan)
def rota_extend() -> dict[str, int]:
    with acting_task("rota_extend"):
        run = services.rota_extend()
    return {"created": run.created, "existing": run.existing}


@shared_task(base=Scan)
def handovers_flag() -> int:
    with acting_task("handovers_flag"):
        return services.handovers_flag_overdue()


# Arrived alerts waiting for route_arrivals (a Redis set of ids).
ARRIVALS = "riskdesk:shifts:arrivals"


def arrivals_note(alert_ids: list[int]) -> None:
    """Queue new alerts for routing. With a broker, the ids join one set and at most one
    route_arrivals message waits (riskdesk.celery.send_coalesced): a stream batch every
    few hundred milliseconds no longer sends a routing message each."""
    if not settings.REDIS_URL:
        route_alerts.delay(alert_ids)
        return
    redis_for_tasks().sadd(ARRIVALS, *alert_ids)
    send_coalesced(route_arrivals)


@shared_task(base=Coalesced, ignore_result=True)
def route_arrivals() -> int:
    """Route every alert noted since the last run, in one go. Ids taken and then lost
    with a killed worker are offered by route_unoffered, the net."""
    with redis_for_tasks().pipeline() as pipe:
        pipe.smembers(ARRIVALS)
        pipe.delete(ARRIVALS)
        members, _ = pipe.execute()
    ids = sorted(int(member) for member in members)
    offered = 0
    with acting_task("route_alerts"):
        for start in range(0, len(ids), 1000):
            offered += len(services.alerts_route(alert_ids=ids[start : start + 1000]).offered)
    return offered


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
