"""The Celery app: named queues, explicit routes, time limits (settings CELERY_*)."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskdesk.settings")

app = Celery("riskdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")

# One queue per kind of work, so a flood of alerts never delays an approved freeze.
QUEUES = ("default", "ingest", "detection", "actions", "timers", "notify", "reports")
app.conf.task_queues = [Queue(name) for name in QUEUES]
app.conf.task_routes = {
    "apps.alerts.tasks.*": {"queue": "ingest"},
    "apps.detection.tasks.*": {"queue": "detection"},
    "apps.actions.tasks.*": {"queue": "actions"},
    "apps.cases.tasks.*": {"queue": "timers"},
    "apps.shifts.tasks.*": {"queue": "timers"},
    "apps.desk.tasks.*": {"queue": "notify"},
    "apps.notifications.tasks.*": {"queue": "notify"},
    "apps.reports.tasks.*": {"queue": "reports"},
}
app.autodiscover_tasks()
