"""Running detection over feed windows: in one process, or split across workers.

A split run goes in two steps. First two parts side by side: one links the window's
accounts (once, for every later part), one checks the window's ids. When the linkage is
stored, the rule parts start: the account-level rules, and the per-symbol rules over
groups of symbols, each reading only what it needs. Each part holds what it raised; the
part that finishes the run publishes it all, so a window that breaks the contract
anywhere publishes nothing.

Every run is judged against the desk's memory of its accounts (read once, before the
rules) and then folded into it (apps.detection.memory_store), so the next window knows this one.
"""

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.accounts.selectors import cluster_keys
from apps.desk.locking import locked
from apps.detection.clustering import clusters_rebuild, links_store
from apps.detection.engine import (
    ACCOUNT_LEVEL,
    WindowRun,
    detect_part,
    run_window,
    split_symbols,
)
from apps.detection.feed import Feed, FeedError, check_keys, read_feed, value_counts
from apps.detection.linking import (
    Linkage,
    link_window,
    linkage_from_bytes,
    links_to_bytes,
    window_identifiers,
)
from apps.detection.memory import AccountMemory, window_span
from apps.detection.memory_store import (
    Remembered,
    identifier_widths,
    memory_recall,
    memory_remember,
)
from apps.detection.models import DetectionPart, DetectionRun
from apps.detection.services.rules import live_settings

PUBLISH_CHUNK = 500
Kind = DetectionPart.Kind
LINK_TABLES = ["accounts", "logins", "transfers", "trades"]
# What folding a window into the memory reads, when the rules' read is not at hand.
MEMORY_TABLES = ["instruments", "accounts", "logins", "transfers", "orders", "positions"]


def window_recall(feed: Feed) -> AccountMemory:
    """What the desk remembered of the window's accounts before it: one read, before the
    rules. With the clusters the desk keeps its accounts in."""
    accounts = feed.accounts
    ids = accounts["account_id"].astype("str").tolist() if accounts is not None else []
    memory = memory_recall(ids, before=_window_start(feed))
    widths = window_widths(feed)
    memory = replace(memory, widths=widths) if len(widths) else memory
    return replace(memory, clusters=cluster_keys(ids))


def window_widths(feed: Feed) -> Any:
    """How many accounts the desk saw use each of the window's identifiers before it."""
    return identifier_widths(window_identifiers(feed), before=_window_start(feed))


def _window_start(feed: Feed) -> Any:
    span = window_span(feed)
    return span[0].to_pydatetime() if span else None


def window_detect(
    *, folder: Path, remember: bool = False, recall: bool = True
) -> list[dict[str, Any]]:
    """Every switched-on rule, with its live thresholds, over one window (one process),
    judged against the desk's memory of its accounts (``recall``). With ``remember``,
    the window is then folded into that memory (once per window)."""
    return window_run(folder=folder, remember=remember, recall=recall).alerts


def window_run(*, folder: Path, remember: bool = False, recall: bool = True) -> WindowRun:
    params, enabled = live_settings()
    run = run_window(folder, params, enabled, recall=window_recall if recall else None)
    if remember:
        memory_remember(feed=run.feed, alerts=run.alerts)
    return run


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
    """Split a run for `parts` rule shares (1: one part does the whole window). Returns
    the parts to start now; the rule parts start when the linkage is stored."""
    run = locked(run)
    if not run.parts.exists():
        shares: list[tuple[str, list[str]]] = [(Kind.WHOLE, [])]
        if parts > 1:
            counts = value_counts(Path(run.folder), "orders", "symbol")
            groups = split_symbols(counts, parts - 1)
            shares = [(Kind.LINK, []), (Kind.KEYS, []), (Kind.ACCOUNTS, [])]
            shares += [(Kind.SYMBOLS, group) for group in groups]
        for index, (kind, symbols) in enumerate(shares):
            DetectionPart.objects.create(run=run, index=index, kind=kind, symbols=symbols)
        run.parts_total = len(shares)
        run.status = DetectionRun.Status.RUNNING
        run.started_at = timezone.now()
        run.save(update_fields=["parts_total", "status", "started_at"])
    return list(run.parts.filter(kind__in=[Kind.WHOLE, Kind.LINK, Kind.KEYS]))


def detection_rule_parts(*, run: DetectionRun) -> list[DetectionPart]:
    """The rule parts still to do, once the run's linkage is stored."""
    if not DetectionRun.objects.filter(pk=run.pk, links__isnull=False).exists():
        return []
    return list(
        run.parts.filter(
            kind__in=[Kind.ACCOUNTS, Kind.SYMBOLS], status=DetectionPart.Status.PENDING
        )
    )


def _run_failed(run_id: int, message: str) -> None:
    DetectionRun.objects.filter(pk=run_id).exclude(status=DetectionRun.Status.FAILED).update(
        status=DetectionRun.Status.FAILED, error=message, finished_at=timezone.now()
    )


def _accounts_linked(linkage: Linkage) -> None:
    """The account pages show the window's evidence of common control too (trading with
    each other is only seen here, not when accounts are loaded)."""
    links_store(linkage=linkage)
    clusters_rebuild()


def _part_work(part: DetectionPart) -> list[dict[str, Any]]:
    """What one part does; the alerts it raised. Raises FeedError on a broken window."""
    run, folder = part.run, Path(part.run.folder)
    if part.kind == Kind.KEYS:
        check_keys(read_feed(folder, checking_keys=False, keys_only=True))
        return []
    if part.kind == Kind.LINK:
        feed = read_feed(folder, LINK_TABLES, checking_keys=False)
        memory = window_recall(feed)
        linkage = link_window(
            feed, widths=memory.widths, remembered=memory.identifiers, kept=memory.clusters
        )
        _accounts_linked(linkage)
        DetectionRun.objects.filter(pk=run.pk).update(links=links_to_bytes(linkage))
        return []
    params, enabled = live_settings()
    if part.kind == Kind.WHOLE:
        whole = run_window(folder, params, enabled, recall=window_recall)
        _accounts_linked(whole.linkage)
        memory_remember(feed=whole.feed, alerts=whole.alerts)
        return whole.alerts
    links = DetectionRun.objects.values_list("links", flat=True).get(pk=run.pk)
    assert links is not None, "rule parts start once the linkage is stored"
    linkage = linkage_from_bytes(bytes(links))
    feed = read_feed(folder, checking_keys=False)
    # Every part reads the memory: a symbol part withholds what abnormal_pnl (which reads
    # the accounts' usual capital) covers, as the whole run does.
    memory = window_recall(feed)
    if part.kind == Kind.ACCOUNTS:
        return detect_part(feed, ACCOUNT_LEVEL, linkage, params, enabled, memory=memory)
    return detect_part(feed, list(part.symbols), linkage, params, enabled, memory=memory)


def detection_part_execute(*, part: DetectionPart) -> int:
    """Do one share of a window. Returns the alerts it raised.

    Safe to deliver twice: the part is finished by a conditional update, so the run's
    counters move once, and publishing is idempotent by dedup key anyway.
    """
    if part.status != DetectionPart.Status.PENDING:
        return part.alerts
    started = time.monotonic()
    try:
        alerts = _part_work(part)
    except FeedError as error:
        DetectionPart.objects.filter(pk=part.pk).update(status=DetectionPart.Status.FAILED)
        _run_failed(part.run_id, str(error))
        return 0
    with transaction.atomic():
        finished = DetectionPart.objects.filter(
            pk=part.pk, status=DetectionPart.Status.PENDING
        ).update(
            status=DetectionPart.Status.DONE,
            alerts=len(alerts),
            found=alerts,
            seconds=round(time.monotonic() - started, 2),
        )
        if finished:
            DetectionRun.objects.filter(pk=part.run_id).update(parts_done=F("parts_done") + 1)
            _run_finish(part.run_id)
    return len(alerts)


def _run_finish(run_id: int) -> None:
    """When the last part is in (and nothing failed), publish what every part raised.
    Inside the last part's transaction: if publishing fails, the part is not done and
    its redelivery publishes again (the pipeline drops repeats by dedup key)."""
    last = DetectionRun.objects.filter(
        pk=run_id, parts_done=F("parts_total"), status=DetectionRun.Status.RUNNING
    ).update(status=DetectionRun.Status.DONE, finished_at=timezone.now())
    if not last:
        return
    parts = DetectionPart.objects.filter(run_id=run_id)
    alerts = [alert for found in parts.values_list("found", flat=True) for alert in found]
    alerts.sort(key=lambda alert: alert["dedup_key"])
    alerts_publish(alerts)
    DetectionRun.objects.filter(pk=run_id).update(alerts=len(alerts), links=None)
    if parts.filter(kind=Kind.WHOLE).exists():
        # The one-process part folded the window in already, with the feed at hand.
        parts.update(found=[])  # the alerts live in the alerts app from here on
        return
    # A split run has no part holding the whole window: the fold reads it again, after
    # commit, in its own task, which clears the parts' alerts when done.
    from apps.detection.tasks import remember_run

    transaction.on_commit(lambda: remember_run.delay(run_id))


def detection_run_remember(*, run: DetectionRun) -> Remembered | None:
    """Fold a finished split run's window and alerts into the desk's memory; idempotent
    (a window is folded once), so a redelivered task changes nothing."""
    parts = DetectionPart.objects.filter(run=run)
    alerts = [alert for found in parts.values_list("found", flat=True) for alert in found]
    feed = read_feed(Path(run.folder), MEMORY_TABLES, checking_keys=False)
    remembered = memory_remember(feed=feed, alerts=alerts)
    parts.update(found=[])  # the alerts live in the alerts app from here on
    return remembered
