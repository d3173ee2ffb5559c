"""The single-process desk's clock (apps.desk.beat): the beat schedule runs in the web
process on its periods, driven here by a fake clock; an overdue alert is escalated and the
supervisor told with nothing but the clock running."""

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from apps.alerts.models import Alert
from apps.cases.models import Escalation, Target
from apps.desk import beat
from apps.desk.beat import InProcessBeat
from apps.notifications.models import Notification
from tests.cases.helpers import alert_on


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _recorder() -> tuple[list[str], Any]:
    ran: list[str] = []

    def run(task: str, args: tuple, kwargs: dict) -> None:
        ran.append(task)

    return ran, run


def test_each_entry_runs_on_its_period_and_not_before() -> None:
    clock = FakeClock()
    ran, run = _recorder()
    schedule = {
        "fast": {"task": "x.fast", "schedule": 10.0},
        "slow": {"task": "x.slow", "schedule": timedelta(minutes=1)},
    }
    runner = InProcessBeat(schedule, clock=clock, run=run, first_delay=5)

    assert runner.tick() == 5 and ran == []  # nothing before the first delay
    clock.now += 5
    runner.tick()
    assert sorted(ran) == ["x.fast", "x.slow"]
    clock.now += 9.9
    runner.tick()
    assert len(ran) == 2
    clock.now += 0.1
    runner.tick()
    assert ran[-1] == "x.fast" and len(ran) == 3
    clock.now += 50  # 60 s after the first run: both again, the fast one once (no catch-up)
    runner.tick()
    assert ran.count("x.slow") == 2 and ran.count("x.fast") == 3
    assert runner.runs == {"fast": 3, "slow": 2}


def test_a_long_pause_runs_an_entry_once_not_once_per_missed_period() -> None:
    clock = FakeClock()
    ran, run = _recorder()
    runner = InProcessBeat({"scan": {"task": "x.scan", "schedule": 10}}, clock=clock, run=run)
    clock.now += 3600
    runner.tick()
    runner.tick()
    assert ran == ["x.scan"]


def test_a_failing_entry_is_logged_and_the_others_still_run(caplog) -> None:
    clock = FakeClock()
    ran: list[str] = []

    def run(task: str, args: tuple, kwargs: dict) -> None:
        if task == "x.broken":
            raise RuntimeError("boom")
        ran.append(task)

    schedule = {"a": {"task": "x.broken", "schedule": 10}, "b": {"task": "x.ok", "schedule": 10}}
    runner = InProcessBeat(schedule, clock=clock, run=run, first_delay=0)
    runner.tick()
    clock.now += 10
    runner.tick()
    assert ran == ["x.ok", "x.ok"]
    assert "x.broken" in caplog.text and "failed" in caplog.text


def test_it_runs_every_entry_of_the_settings_schedule_by_name() -> None:
    """Generic over CELERY_BEAT_SCHEDULE: every entry there (and any added later) resolves to
    a task and is run by the clock."""
    clock = FakeClock()
    ran, run = _recorder()
    runner = InProcessBeat(settings.CELERY_BEAT_SCHEDULE, clock=clock, run=run, first_delay=0)
    runner.tick()
    assert sorted(ran) == sorted(e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values())
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        module, _, name = entry["task"].rpartition(".")
        assert callable(getattr(__import__(module, fromlist=[name]), name).apply)


def test_a_crontab_entry_is_refused_with_its_name() -> None:
    from celery.schedules import crontab

    with pytest.raises(ValueError, match="interval entries only"):
        InProcessBeat({"c": {"task": "x.c", "schedule": crontab(minute="*/5")}})


@override_settings(REDIS_URL="redis://127.0.0.1:6379/0")
def test_it_never_starts_when_redis_is_set() -> None:
    with pytest.raises(RuntimeError, match="beat"):
        beat.in_process_beat_start()
    assert beat._running is None


def test_tests_never_start_it() -> None:
    import threading

    assert beat._running is None
    assert "in-process-beat" not in {t.name for t in threading.enumerate()}


@pytest.mark.django_db(transaction=True)
def test_left_alone_the_clock_escalates_an_overdue_alert_and_tells_the_supervisor(
    supervisor,
) -> None:
    """The whole schedule, the real tasks: the clock alone fires the SLA scan."""
    alert = alert_on(["U1"], severity="critical")
    clock = FakeClock()
    only_timers = {
        k: v for k, v in settings.CELERY_BEAT_SCHEDULE.items() if k == "cases-scan-timers"
    }
    runner = InProcessBeat(only_timers, clock=clock, first_delay=5)
    runner.tick()  # within its SLA: nothing to do, and the scan has not run yet
    assert not Escalation.objects.exists()

    Alert.objects.filter(pk=alert.pk).update(
        sla_due_at=alert.sla_due_at - timedelta(minutes=20)
    )  # 20 minutes pass with nobody picking it up
    clock.now += 4
    runner.tick()
    assert not Escalation.objects.exists()  # not due yet on the clock
    clock.now += 1
    runner.tick()

    escalation = Escalation.objects.get(alert=alert)
    assert escalation.target == Target.SUPERVISOR and escalation.by_timer
    note = Notification.objects.get(recipient=supervisor, kind="escalation")
    assert note.title.startswith("Overdue: alert")
    clock.now += 30
    runner.tick()
    assert Escalation.objects.filter(alert=alert).count() == 1
    assert runner.runs["cases-scan-timers"] == 2
