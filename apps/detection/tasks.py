"""Detection's background work: the drop-folder scan, the parts of a run, backtests."""

from functools import partial
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.db import transaction

from apps.desk.history import acting_task
from apps.detection.models import Backtest, DetectionPart, DetectionRun
from apps.detection.services import (
    backtest_execute,
    detection_part_execute,
    detection_rule_parts,
    detection_run_claim,
    detection_run_plan,
    detection_run_remember,
)
from riskdesk.celery import Scan

READY_MARKER = "READY"  # written last by whoever drops a window, so half a copy is never read


@shared_task(soft_time_limit=60, time_limit=90)
def scan_drop_folder() -> int:
    """Start every complete window in the drop folder that no run has taken yet."""
    drop = Path(settings.DETECTION_DROP_DIR)
    if not drop.is_dir():
        return 0
    started = 0
    with acting_task("detection.scan_drop_folder"):
        for folder in sorted(p for p in drop.iterdir() if (p / READY_MARKER).is_file()):
            run = detection_run_claim(folder=folder)
            if run is None:
                continue
            _start(detection_run_plan(run=run, parts=settings.DETECTION_PARTS))
            started += 1
    return started


@shared_task(soft_time_limit=1800, time_limit=1900, acks_late=True)
def run_part(part_id: int) -> int:
    part = DetectionPart.objects.select_related("run").filter(pk=part_id).first()
    if part is None:
        return 0
    with acting_task("detection.run_part"):
        alerts = detection_part_execute(part=part)
        if part.kind == DetectionPart.Kind.LINK:  # the linkage is stored: the rules can go
            _start(detection_rule_parts(run=part.run))
        return alerts


@shared_task(soft_time_limit=1800, time_limit=1900, acks_late=True)
def remember_run(run_id: int) -> None:
    """Fold a finished run's window into the desk's memory of accounts (once per window)."""
    run = DetectionRun.objects.filter(pk=run_id, status=DetectionRun.Status.DONE).first()
    if run is None:
        return
    with acting_task("detection.remember_run"):
        detection_run_remember(run=run)


def _start(parts: list[DetectionPart]) -> None:
    for part in parts:
        transaction.on_commit(partial(run_part.delay, part.pk))


@shared_task(soft_time_limit=1800, time_limit=1900)
def backtest_run(backtest_id: int) -> None:
    backtest = Backtest.objects.select_related("version__rule").filter(pk=backtest_id).first()
    if backtest is None:
        return
    with acting_task("detection.backtest_run"):
        backtest_execute(backtest=backtest)


@shared_task(base=Scan, ignore_result=True, soft_time_limit=60, time_limit=90)
def live_demo_poll() -> int:
    """Without Redis: one cycle of live detection on the demo day replayed in-process
    (services.live). With Redis the `live` process (Procfile) follows the real streams."""
    if settings.REDIS_URL:
        return 0
    from apps.detection.services.live import live_demo_step

    with acting_task("detection.live_demo_poll"):
        return live_demo_step()
