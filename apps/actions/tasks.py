"""Celery tasks on the `actions` queue (riskdesk.celery routes apps.actions.tasks.*).

Thin: each finds its work in the database and calls one service. At-least-once delivery is
fine: execution claims its action (services.execution), the scans skip what is done.
"""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from apps.actions import services
from apps.desk.history import acting_task
from riskdesk.celery import Scan

log = logging.getLogger(__name__)


# A database hiccup (a lost connection, a full server) retries the task: the claim makes a
# second run harmless, and the stalled-work scan catches whatever retries cannot.
@shared_task(
    acks_late=True,
    soft_time_limit=60,
    time_limit=90,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=1,
    max_retries=5,
)
def execute_action(action_id: int) -> str:
    with acting_task("actions.execute_action"):
        action = services.action_execute(action_id)
    return action.status if action else "nothing to do"


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def lift_again(action_id: int) -> str:
    """A late PUT may have stood a lifted restriction up again: DELETE it once more."""
    with acting_task("actions.lift_again"):
        lift = services.restriction_lift_again(action_id=action_id)
    return "lifted again" if lift else "nothing to do"


@shared_task(base=Scan)
def run_action_timers() -> dict[str, int]:
    """Every few seconds (beat): expire unanswered requests, end expired restrictions, and
    hand stalled executions (a lost message, a lost worker) to a worker again."""
    with acting_task("actions.run_action_timers"):
        expired = services.actions_expire_unanswered()
        ended = services.restrictions_expire()
        resumed = services.executions_resume_stalled()
    return {"requests_expired": expired, "restrictions_ended": ended, "resumed": len(resumed)}


@shared_task(base=Scan, soft_time_limit=120, time_limit=150)
def reconcile_restrictions() -> int:
    """Compare the exchange's active restrictions with the desk's; each difference is an alert."""
    from apps.alerts.pipeline import publish  # the alerts app owns intake

    with acting_task("actions.reconcile_restrictions"):
        differences = services.reconciliation_differences()
        if differences:
            publish(services.reconciliation_alerts(differences))
    if differences:
        log.warning("reconciliation: %d difference(s) raised as alerts", len(differences))
    return len(differences)


@shared_task(base=Scan)
def contacts_overdue() -> int:
    """Every minute (beat; queue `timers`, not the measures' own): customers' contacts and
    appeals past their time to answer are flagged to the supervisor, once each."""
    with acting_task("actions.contacts_overdue"):
        return services.contacts_overdue_tell()
