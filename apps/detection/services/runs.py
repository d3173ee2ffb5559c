"""Running detection over feed windows: in one process, or split across workers."""

import time
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.accounts.clustering import clusters_rebuild, links_store
from apps.detection.engine import ACCOUNT_LEVEL, detect, detect_part, detect_window
from apps.detection.feed import Feed, FeedError, read_feed
from apps.detection.linking import Linkage, link_accounts
from apps.detection.models import DetectionPart, DetectionRun
from apps.detection.services.rules import live_settings

PUBLISH_CHUNK = 500


def _linkage(feed: Feed) -> Linkage:
    return link_accounts(feed.logins, feed.transfers, feed.trades)


def window_detect(*, folder: Path) -> list[dict[str, Any]]:
    """Every switched-on rule, with its live thresholds, over one window (one process)."""
    params, enabled = live_settings()
    return detect_window(folder, params, enabled)


def alerts_publish(alerts: list[dict[str, Any]]) -> None:
    """Hand alerts to the alert pipeline (the Redis stream, or straight in without Redis)."""
    from apps.alerts.pipeline import publish

    for start in range(0, len(alerts), PUBLISH_CHUNK):
        publish(alerts[start : start + PUBLISH_CHUNK])


def detection_run_claim(*, folder: Path) -> DetectionRun | None:
    """Take a window for detection, once: None when another worker (or an earlier scan)
    already took it. The window's folder name is unique in the database."""
    try:
        with transaction.atomic():
            return DetectionRun.objects.create(window=folder.name, folder=str(folder))
    except IntegrityError:
        return None


@transaction.atomic
def detection_run_plan(*, run: DetectionRun, parts: int) -> list[DetectionPart]:
    """Split a run into `parts` shares: symbol groups, plus one for the account-level rules."""
    run = DetectionRun.objects.select_for_update().get(pk=run.pk)
    if run.parts.exists():
        return list(run.parts.all())
    groups: list[list[str]] = [[]]
    if parts > 1:
        feed = read_feed(Path(run.folder), tables=["instruments"])
        symbols = (
            sorted(str(s) for s in feed.instruments["symbol"])
            if feed.instruments is not None
            else []
        )
        share = max(1, parts - 1)
        groups = [symbols[i::share] for i in range(share) if symbols[i::share]] + [[]]
    made = [DetectionPart.objects.create(run=run, index=i, symbols=g) for i, g in enumerate(groups)]
    run.parts_total = len(made)
    run.status = DetectionRun.Status.RUNNING
    run.started_at = timezone.now()
    run.save(update_fields=["parts_total", "status", "started_at"])
    return made


def _run_failed(run_id: int, message: str) -> None:
    DetectionRun.objects.filter(pk=run_id).exclude(status=DetectionRun.Status.FAILED).update(
        status=DetectionRun.Status.FAILED, error=message, finished_at=timezone.now()
    )


def detection_part_execute(*, part: DetectionPart) -> int:
    """Detect one share of a window and publish what it finds. Returns the alerts raised.

    Safe to deliver twice: publishing is idempotent by dedup key, and the part is finished
    by a conditional update, so the run's counters move once.
    """
    if part.status != DetectionPart.Status.PENDING:
        return part.alerts
    started = time.monotonic()
    run = part.run
    try:
        params, enabled = live_settings()
        feed = read_feed(Path(run.folder))
        linkage = _linkage(feed)
        if part.symbols:
            alerts = detect_part(feed, list(part.symbols), linkage, params, enabled)
        else:
            if run.parts_total == 1:
                alerts = detect(feed, params, enabled, linkage=linkage)
            else:
                alerts = detect_part(feed, ACCOUNT_LEVEL, linkage, params, enabled)
            # The account pages show the window's evidence of common control too
            # (trading with each other is only seen here, not when accounts are loaded).
            links_store(linkage=linkage)
            clusters_rebuild()
    except FeedError as error:
        DetectionPart.objects.filter(pk=part.pk).update(status=DetectionPart.Status.FAILED)
        _run_failed(run.pk, str(error))
        return 0
    alerts_publish(alerts)
    with transaction.atomic():
        finished = DetectionPart.objects.filter(
            pk=part.pk, status=DetectionPart.Status.PENDING
        ).update(
            status=DetectionPart.Status.DONE,
            alerts=len(alerts),
            seconds=round(time.monotonic() - started, 2),
        )
        if finished:
            DetectionRun.objects.filter(pk=run.pk).update(
                parts_done=F("parts_done") + 1, alerts=F("alerts") + len(alerts)
            )
            DetectionRun.objects.filter(
                pk=run.pk, parts_done=F("parts_total"), status=DetectionRun.Status.RUNNING
            ).update(status=DetectionRun.Status.DONE, finished_at=timezone.now())
    return len(alerts)
