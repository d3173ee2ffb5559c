"""Timed and follow-up work of cases (queue `timers`): thin wrappers over the services."""

from celery import shared_task

from apps.cases.services import case_attach_new_alerts, timers_scan
from apps.desk.history import acting_task
from riskdesk.celery import Coalesced, Scan


@shared_task(base=Scan, ignore_result=True, soft_time_limit=50, time_limit=60)
def scan_timers() -> int:
    with acting_task("cases.scan_timers"):
        return len(timers_scan().fired)


@shared_task(base=Coalesced, ignore_result=True, soft_time_limit=50, time_limit=60)
def attach_new_alerts() -> int:
    """Alerts that arrive on an account of an open case join it: enqueued when alerts
    arrive (apps.alerts.signals.alerts_arrived), and by beat every 10 s as the net."""
    with acting_task("cases.attach_new_alerts"):
        return case_attach_new_alerts()
