"""The clock of the single-process desk: with no REDIS_URL there is no Celery beat nor
worker, so this runs settings.CELERY_BEAT_SCHEDULE inside the web process — every entry
on its period, in one background thread — and the SLA escalations, expiries,
reconciliation and handover reminders still fire while `make run` is left alone.

It is generic over the schedule: an entry added to CELERY_BEAT_SCHEDULE runs here too.
It is started only by `manage.py serve_desk` (what `make run` uses without Redis), in the
process that serves requests — under the autoreloader that is the child alone — and it
refuses to start when REDIS_URL is set (the real `beat` process owns the clock then).
Tests never start it; they drive `InProcessBeat.tick` with a fake clock.
"""

import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections

log = logging.getLogger(__name__)


@dataclass
class Entry:
    name: str
    task: str
    every: float  # seconds
    args: tuple
    kwargs: dict
    next_at: float  # on the runner's clock


def _seconds(schedule: object) -> float:
    """The period of a beat entry: a number of seconds, a timedelta, or celery's interval
    `schedule`. A crontab has no fixed period and is refused with its name (say it in
    seconds, as every entry of settings does)."""
    if isinstance(schedule, int | float):
        return float(schedule)
    if isinstance(schedule, timedelta):
        return schedule.total_seconds()
    run_every = getattr(schedule, "run_every", None)
    if isinstance(run_every, timedelta):
        return run_every.total_seconds()
    raise ValueError(f"{schedule!r}: the in-process clock runs interval entries only")


def run_task(path: str, args: tuple, kwargs: dict) -> Any:
    """Run one task here and now, as a worker would run its message."""
    module, _, name = path.rpartition(".")
    task = getattr(importlib.import_module(module), name)
    return task.apply(args=args, kwargs=kwargs).get()


class InProcessBeat:
    """Runs the entries of a beat schedule when due. `clock` gives seconds (monotonic);
    `run` runs one task by its dotted path. Every entry first runs `first_delay` seconds
    after the start (a scan that was due while the desk was down fires at once, as the
    scans find their work in the database), then once per period; a run that overran its
    period is not repeated to catch up — the next one finds the work."""

    def __init__(
        self,
        schedule: dict[str, dict],
        *,
        clock: Callable[[], float] = time.monotonic,
        run: Callable[[str, tuple, dict], Any] = run_task,
        first_delay: float = 5.0,
    ) -> None:
        self.clock = clock
        self.run = run
        start = clock() + first_delay
        self.entries = [
            Entry(
                name=name,
                task=entry["task"],
                every=_seconds(entry["schedule"]),
                args=tuple(entry.get("args", ())),
                kwargs=dict(entry.get("kwargs", {})),
                next_at=start,
            )
            for name, entry in schedule.items()
        ]
        self.runs: dict[str, int] = {entry.name: 0 for entry in self.entries}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> float:
        """Run every entry due now; return the seconds until the next one is due."""
        for entry in sorted(self.entries, key=lambda e: e.next_at):
            if self._stop.is_set():
                break
            if entry.next_at > self.clock():
                continue
            close_old_connections()
            try:
                self.run(entry.task, entry.args, entry.kwargs)
                self.runs[entry.name] += 1
            except Exception:  # one failing scan must not stop the clock for the others
                log.exception("in-process beat: %s (%s) failed", entry.name, entry.task)
            finally:
                close_old_connections()
            entry.next_at += entry.every
            if entry.next_at <= self.clock():  # overran or paused: one period from now
                entry.next_at = self.clock() + entry.every
        if not self.entries:
            return 60.0
        return max(0.0, min(e.next_at for e in self.entries) - self.clock())

    def _loop(self) -> None:
        log.info("in-process beat: %d entries, the shortest every %.0f s", *self._summary())
        while not self._stop.is_set():
            wait = self.tick()
            self._stop.wait(min(wait, 60.0))
        log.info("in-process beat stopped")

    def _summary(self) -> tuple[int, float]:
        return len(self.entries), min((e.every for e in self.entries), default=0.0)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="in-process-beat", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the task in hand (never in the middle of one), waiting `timeout` s."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


_running: InProcessBeat | None = None
_lock = threading.Lock()


def in_process_beat_start() -> InProcessBeat:
    """Start this process's one clock (a second call returns the running one)."""
    global _running
    if settings.REDIS_URL:
        raise RuntimeError(
            "REDIS_URL is set: the `beat` process runs the schedule; the web process must not."
        )
    with _lock:
        if _running is None:
            _running = InProcessBeat(settings.CELERY_BEAT_SCHEDULE)
            _running.start()
        return _running


def in_process_beat_stop() -> None:
    global _running
    with _lock:
        if _running is not None:
            _running.stop()
            _running = None
