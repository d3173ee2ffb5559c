"""The Celery set-up: beat's entries cannot pile up, a scan never runs twice at once."""

import pytest
import redis
from django.conf import settings

from apps.actions import tasks
from riskdesk.celery import Scan, app


def test_every_beat_entry_expires_within_its_period() -> None:
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert 0 < entry["options"]["expires"] <= entry["schedule"], name


def test_the_alert_stream_is_read_by_its_own_process_not_by_a_periodic_task() -> None:
    tasks_on_beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "apps.alerts.tasks.consume_alert_stream" not in tasks_on_beat


def test_every_scan_on_beat_takes_the_lock() -> None:
    app.loader.import_default_modules()
    unlocked = {
        entry["task"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if not isinstance(app.tasks[entry["task"]], Scan)
    }
    # Detection claims each window in the database; attaching is enqueued on arrival too.
    assert unlocked == {
        "apps.detection.tasks.scan_drop_folder",
        "apps.cases.tasks.attach_new_alerts",
    }


@pytest.mark.redis
@pytest.mark.django_db
def test_a_scan_already_running_elsewhere_is_skipped(redis_url: str, settings, monkeypatch) -> None:
    settings.REDIS_URL = redis_url
    ran: list[bool] = []

    def expire_unanswered() -> int:
        ran.append(True)
        return 0

    monkeypatch.setattr("apps.actions.services.actions_expire_unanswered", expire_unanswered)
    client = redis.Redis.from_url(redis_url)
    key = f"riskdesk:scan:{tasks.run_action_timers.name}"
    lock = client.lock(key, timeout=30)
    assert lock.acquire(blocking=False)
    try:
        assert tasks.run_action_timers() is None
        assert ran == []
    finally:
        lock.release()
    assert tasks.run_action_timers() is not None
    assert ran == [True]
    assert client.ttl(key) == -2  # released after the run


def test_a_lost_message_comes_back_soon_after_the_longest_task_could_have_run() -> None:
    app.loader.import_default_modules()
    limits = [
        task.time_limit or app.conf.task_time_limit
        for name, task in app.tasks.items()
        if not name.startswith("celery.")
    ]
    longest = max(limit for limit in limits if limit)
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    # Not before: a task still running would start twice. Not an hour later either.
    assert longest + 30 < visibility <= longest + 300
