"""The Celery app: named queues, explicit routes, time limits (settings CELERY_*)."""

import logging
import os
from contextlib import suppress
from typing import Any

import redis
from celery import Celery, Task
from django.conf import settings
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskdesk.settings")

log = logging.getLogger(__name__)

app = Celery("riskdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")

# One queue per kind of work, each served by its own process (Procfile), so a flood of
# alerts never delays an approved freeze nor the SLA scan.
QUEUES = ("default", "ingest", "detection", "actions", "timers", "notify", "reports")
app.conf.task_queues = [Queue(name) for name in QUEUES]
app.conf.task_routes = {
    "apps.alerts.tasks.*": {"queue": "ingest"},
    "apps.detection.tasks.*": {"queue": "detection"},
    # A timer of customer service's work, not a measure: it never waits behind a freeze.
    "apps.actions.tasks.contacts_overdue": {"queue": "timers"},
    "apps.actions.tasks.*": {"queue": "actions"},
    "apps.cases.tasks.*": {"queue": "timers"},
    "apps.shifts.tasks.*": {"queue": "timers"},
    "apps.desk.tasks.*": {"queue": "notify"},
    "apps.notifications.tasks.*": {"queue": "notify"},
    "apps.reports.tasks.*": {"queue": "reports"},
}
app.autodiscover_tasks()

_locks: dict[str, redis.Redis] = {}


class Scan(Task):
    """A periodic scan of the database: at most one run at a time, across every worker.

    Beat's entries expire after one period (settings CELERY_BEAT_SCHEDULE), so runs never
    queue up behind a slow one; this lock keeps a run that does start from overlapping one
    still going. The lock expires with the task's hard time limit, so a killed worker
    cannot hold it for longer than its run could have lasted."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not settings.REDIS_URL:  # the single-process console: nothing runs alongside
            return super().__call__(*args, **kwargs)
        client = redis_for_tasks()
        ttl = self.time_limit or app.conf.task_time_limit or 300
        lock = client.lock(f"riskdesk:scan:{self.name}", timeout=ttl)
        if not lock.acquire(blocking=False):
            log.info("%s is already running elsewhere; this run is skipped", self.name)
            return None
        try:
            return super().__call__(*args, **kwargs)
        finally:
            # A run that outlived its TTL holds nothing any more: the lock is someone else's.
            with suppress(redis.exceptions.LockError):
                lock.release()


def redis_for_tasks() -> redis.Redis:
    assert settings.REDIS_URL, "only with a broker"
    client = _locks.get(settings.REDIS_URL)
    if client is None:
        client = _locks[settings.REDIS_URL] = redis.Redis.from_url(settings.REDIS_URL)
    return client


def _waiting_flag(name: str) -> str:
    return f"riskdesk:waiting:{name}"


class Coalesced(Task):
    """A task whose messages are interchangeable (it works on whatever is due when it runs):
    sent through `send_coalesced`, at most one message of it waits in the queue. A run
    clears the flag as it starts, so what arrives during a run sends one more."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if settings.REDIS_URL:
            with suppress(redis.RedisError):
                redis_for_tasks().delete(_waiting_flag(self.name))
        return super().__call__(*args, **kwargs)


# A flag outlives a lost message by at most this long; the beat nets cover the gap.
WAITING_FLAG_SECONDS = 60


def send_coalesced(task: Task) -> None:
    """Send `task` (a Coalesced one) unless a message of it already waits. A stream batch
    of a few alerts each 100 ms sent two messages per batch to the timers queue: 5,000
    alerts in a minute queued ~1,600 of them and the SLA scan expired behind them."""
    if not settings.REDIS_URL:
        task.delay()
        return
    if redis_for_tasks().set(_waiting_flag(task.name), 1, nx=True, ex=WAITING_FLAG_SECONDS):
        task.delay()
