"""One live detection cycle (called by ``LiveDetector.detect``): the days with new rows
are run — a day's first cycle and its last word in full (linking and every rule), every
other cycle narrow on the accounts that moved (dirty.py), a symbol partition whole with
no linkage — and the days past lateness are closed. What goes out of a cycle is decided
in publishing.py; reading the feed and checkpointing stay in detector.py."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..context import MS_PER_DAY
from ..engine import detect
from ..feed import Feed
from ..linking import link_window
from ..rules import RULES
from ..rules.base import Finding
from .clusters import keep_cluster_keys
from .dirty import (
    EVERY_CYCLE,
    REFERENCES,
    WHOLE_DAY,
    changed_clusters,
    day_references,
    merged,
    merged_findings,
    narrow_linkage,
    narrow_view,
    with_clusters,
)
from .partition import NoLinkage
from .publishing import changed

if TYPE_CHECKING:
    from .detector import LiveDetector


def detect_cycle(detector: LiveDetector, *, everything: bool = False) -> list[dict[str, Any]]:
    """Run the rules on the days with new rows, close the days past lateness, and
    publish the alerts that are new or changed; returns them."""
    started = time.perf_counter()
    detector.cycle_since_ms, detector.unseen_since_ms = detector.unseen_since_ms, None
    full_before = detector.stats.get("full_cycles", 0) + detector.stats.get("relinks", 0)
    detector.relinked = set()
    moved = detector.state.take_moved()
    if moved:  # an account, a login, a transfer: every open day may read them
        detector.dirty.update(detector.state.days)
    watermark = detector.state.max_event_ms - detector.lateness_ms
    sent: list[dict[str, Any]] = []
    for day in sorted(detector.dirty | (set(detector.state.days) if everything else set())):
        if day not in detector.state.days:
            continue
        sent += detect_day(detector, day, moved, full=everything)
        detector.state.touched.pop(day, None)
    detector.dirty.clear()
    for day in sorted(detector.state.days):
        if (day + 1) * MS_PER_DAY <= watermark:
            sent += detect_day(detector, day, moved, full=True)  # the day's last word
            detector.state.close(day)
            for kept in (
                detector.linkages,
                detector.references,
                detector.by_rule,
                detector.moved_since_link,
            ):
                kept.pop(day, None)
    detector.stats["cycles"] += 1
    detector.stats["detect_s"] += time.perf_counter() - started
    if detector.stats.get("full_cycles", 0) + detector.stats.get("relinks", 0) > full_before:
        detector.full_since_ms, detector.full_unseen_since_ms = detector.full_unseen_since_ms, None
    if sent:
        detector.sink(sent)
    return sent


def detect_day(
    detector: LiveDetector, day: int, moved: set[int], *, full: bool
) -> list[dict[str, Any]]:
    """The rules on the day so far (dirty.py). The first cycle of a day, and its last
    word (``full``), run linking and every rule on the whole day. Every other cycle
    is narrow: every rule on the rows of the accounts that ``moved`` since the last
    cycle (and their clusters), the findings on the others standing. Every
    ``link_interval_seconds`` a narrow cycle also links again: the accounts whose
    cluster changed, and those in a cluster that moved since the last linking, are
    run again on the new linkage; the whole-day rules and the per-symbol references
    are renewed."""
    feed = detector.state.feed(day)
    if not (_rows(feed.orders) or _rows(feed.trades)):
        return []
    if detector.partition is not None and not detector.partition.links:
        return detect_symbols(detector, day, feed)
    now = pd.Timestamp.now(tz="UTC")
    kept = detector.linkages.get(day)
    if full or kept is None:
        return full_day(detector, day, feed, now)
    names = detector.state.index.ids
    ids = {names[code] for code in moved}
    linkage = kept[1]
    since_link = detector.moved_since_link.setdefault(day, set())
    relink = time.monotonic() - kept[0] >= detector.link_interval_seconds
    again: set[str] = set()  # accounts run again for the new linkage, not new rows
    if relink:
        fresh, detector.saved.cluster_keys = keep_cluster_keys(
            link_window(feed, kept=detector.saved.cluster_keys), detector.saved.cluster_keys
        )
        # Rows read since the last linking were run on the old linkage: of those
        # accounts, only the ones in a cluster read the links (their evidence).
        clustered = since_link.intersection(fresh.account_cluster.index)
        again = (changed_clusters(linkage, fresh) | clustered) - ids
        linkage, ids = fresh, ids | again
        detector.references[day] = day_references(feed, linkage)
        since_link.clear()
    else:
        since_link.update(ids)
    ids = with_clusters(ids, linkage)
    again = with_clusters(again, linkage) if again else again
    codes = np.array([place for place, name in enumerate(names) if name in ids], np.int64)
    enabled = set(RULES) if detector.enabled is None else detector.enabled
    by_rule = detector.by_rule.setdefault(day, {})
    given = {code: list(by_rule.get(code, [])) for code in WHOLE_DAY}
    alerts = detect(
        narrow_view(feed, ids, codes),
        detector.params,
        detector.enabled,
        linkage=narrow_linkage(linkage, ids),
        detected_at=now,
        findings=given,
        views=dict(detector.references.get(day, {})),
        only=enabled - WHOLE_DAY - EVERY_CYCLE,
    )
    for code in enabled - WHOLE_DAY - EVERY_CYCLE:
        by_rule[code] = merged_findings(by_rule.get(code, []), given.get(code, []), ids)
    whole: list[dict[str, Any]] = []
    if relink:  # the whole-day rules, reading the other rules' findings as they stand
        given = {code: list(found) for code, found in by_rule.items()}
        for code in WHOLE_DAY:
            given.pop(code, None)
        whole = detect(
            feed,
            detector.params,
            detector.enabled,
            linkage=linkage,
            detected_at=now,
            findings=given,
            views=dict(detector.references[day]),
            only=enabled & WHOLE_DAY,
        )
        by_rule.update({code: given[code] for code in WHOLE_DAY if code in given})
        detector.linkages[day] = (time.monotonic(), linkage)
    every = detect(
        feed,
        detector.params,
        detector.enabled,
        linkage=linkage,
        detected_at=now,
        only=enabled & EVERY_CYCLE,
    )
    found = merged(detector.findings.get(day, {}), alerts, every, ids, whole if relink else None)
    detector.findings[day] = found
    sent = [alert for alert in [*alerts, *whole, *every] if found.get(alert["dedup_key"]) is alert]
    renewed = {id(alert) for alert in whole}
    detector.relinked.update(
        alert["dedup_key"]
        for alert in sent
        if id(alert) in renewed or again.intersection(alert["accounts"])
    )
    detector.stats["narrow_accounts"] = detector.stats.get("narrow_accounts", 0) + len(ids)
    detector.stats["relinks"] = detector.stats.get("relinks", 0) + relink
    return [alert for alert in sent if changed(detector.saved.published, alert)]


def full_day(
    detector: LiveDetector, day: int, feed: Feed, now: pd.Timestamp
) -> list[dict[str, Any]]:
    """Linking and every rule on the whole day, keeping what the narrow cycles read."""
    linkage, detector.saved.cluster_keys = keep_cluster_keys(
        link_window(feed, kept=detector.saved.cluster_keys), detector.saved.cluster_keys
    )
    views: dict[str, Any] = {}
    by_rule: dict[str, list[Finding]] = {}
    alerts = detect(
        feed,
        detector.params,
        detector.enabled,
        linkage=linkage,
        detected_at=now,
        findings=by_rule,
        views=views,
    )
    detector.references[day] = {name: views[name] for name in REFERENCES if name in views}
    detector.by_rule[day] = by_rule
    detector.moved_since_link[day] = set()
    detector.findings[day] = {alert["dedup_key"]: alert for alert in alerts}
    detector.linkages[day] = (time.monotonic(), linkage)
    detector.stats["full_cycles"] = detector.stats.get("full_cycles", 0) + 1
    detector.relinked.update(alert["dedup_key"] for alert in alerts)
    return [alert for alert in alerts if changed(detector.saved.published, alert)]


def detect_symbols(detector: LiveDetector, day: int, feed: Any) -> list[dict[str, Any]]:
    """A symbol partition: its rules need no linkage, so every cycle runs them all."""
    now = pd.Timestamp.now(tz="UTC")
    linkage: Any = NoLinkage()
    alerts = detect(feed, detector.params, detector.enabled, linkage=linkage, detected_at=now)
    detector.findings[day] = {alert["dedup_key"]: alert for alert in alerts}
    return [alert for alert in alerts if changed(detector.saved.published, alert)]


def _rows(frame: pd.DataFrame | None) -> int:
    return 0 if frame is None else len(frame)
