"""Live detection in the desk: the in-process feed behind the same consumer interface,
the status each consumer reports (lag, events/s, state, checkpoint, gaps), the feed-gap
alarm, the KRI, and the embedded demo day."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.alerts.models import Alert
from apps.detection.engine import detect
from apps.detection.feed import read_feed
from apps.detection.linking import link_window
from apps.detection.live import LiveDetector
from apps.detection.live.clusters import keep_cluster_keys
from apps.detection.live.memory_feed import MemoryFeed
from apps.detection.models import LiveConsumer
from apps.detection.replay import pace_start_ms, window_batches, window_events
from apps.detection.selectors import live_consumers, live_health
from apps.detection.services import live as live_services
from apps.detection.simulator import simulate
from apps.notifications.models import Notification
from apps.reports.shift_dashboard import read_shift


@pytest.fixture(scope="module")
def window(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulate(tmp_path_factory.mktemp("w"), seed=5, accounts=400, hours=4, fmt="parquet")


def published(window: Path, maxlen: int | None = None) -> MemoryFeed:
    feed = MemoryFeed()
    events = window_events(read_feed(window))
    for batch in window_batches(events, batch=500, start_ms=pace_start_ms(events)):
        feed.xadd("feed:" + batch.table, {"rows": batch.payload}, maxlen=maxlen)
    return feed


def test_the_in_process_feed_gives_the_window_path_s_findings(window: Path) -> None:
    detector = LiveDetector(published(window), sink=lambda _: None, count=30)
    detector.interval_seconds = 0.0
    detector.run(until_idle=True)

    feed = read_feed(window)
    linkage, _ = keep_cluster_keys(
        link_window(feed, kept=detector.saved.cluster_keys), detector.saved.cluster_keys
    )
    expected = {a["dedup_key"]: a["metrics"] for a in detect(feed, linkage=linkage)}
    assert expected
    assert {k: a["metrics"] for k, a in detector.current().items()} == expected
    status = detector.status()
    assert status["state_rows"] > 0 and status["findings_open"] == len(expected)
    assert all(lag["behind_entries"] == 0 for lag in status["streams"].values())


def test_a_consumer_behind_maxlen_says_so_on_the_page_and_tells_the_supervisors(
    window: Path, client: Any, supervisor: Any, operator: Any
) -> None:
    detector = LiveDetector(published(window, maxlen=5), sink=lambda _: None, count=5)
    detector.poll()
    status = detector.status()
    assert status["new_gaps"], "the trimmed history is reported"
    live_services.live_status_save(name="worker-1 feed:", status=status)

    consumer = LiveConsumer.objects.get(name="worker-1 feed:")
    assert live_health(consumer) == "lost rows"
    told = Notification.objects.filter(recipient=supervisor, kind="feed_gap")
    assert told.count() == len(status["new_gaps"])
    client.force_login(operator)
    page = client.get(reverse("detection:live")).content.decode()
    assert "worker-1 feed:" in page and "Fell behind MAXLEN" in page and "lost rows" in page


def test_a_stalled_or_lagging_consumer_is_a_kri_on_the_shift_dashboard(db: None) -> None:
    now = timezone.now()
    lag = {"feed:orders": {"read": "1-0", "behind_entries": 900, "behind_seconds": 95.0}}
    LiveConsumer.objects.create(name="a", streams=lag, reported_at=now)
    LiveConsumer.objects.create(name="b", streams={}, reported_at=now - timedelta(minutes=5))
    LiveConsumer.objects.create(name="c", streams={}, reported_at=now)
    assert [r.health for r in live_consumers()] == ["lagging", "stalled", "ok"]

    reading = read_shift(now - timedelta(hours=8), now + timedelta(hours=1), now=now)
    assert reading.live_consumers == 3
    assert reading.live_unhealthy == ["a: lagging", "b: stalled"]


def test_the_embedded_desk_replays_the_demo_day_into_live_detection(
    window: Path, settings: Any, monkeypatch: pytest.MonkeyPatch, db: None
) -> None:
    settings.DETECTION_DROP_DIR = str(window.parent)
    settings.LIVE_DEMO_SPEED = 100_000  # the 4 hours due in well under a second of steps
    monkeypatch.setattr(live_services, "_demo", {})
    demo_window = window.parent / "demo-5-400-live"  # the live day load_demo writes
    if not demo_window.exists():
        demo_window.symlink_to(window)
    today = timezone.now().date().isoformat()
    stored = Alert.objects.filter(dedup_key__endswith=today)
    rows, deadline = 0, time.monotonic() + 120
    while time.monotonic() < deadline and not stored.exists():
        rows += live_services.live_demo_step()  # what the runner does every 2 s
    assert rows > 0
    assert stored.exists(), "today's alerts, found live on the replayed day"
    consumer = LiveConsumer.objects.get(name=live_services.DEMO_CONSUMER)
    assert consumer.state_rows > 0 and consumer.streams


def test_the_embedded_desk_never_replays_the_window_load_demo_loaded(
    window: Path, settings: Any, monkeypatch: pytest.MonkeyPatch, db: None, tmp_path: Path
) -> None:
    # Its alerts are in the desk's history already: replayed, they would come back as new.
    (tmp_path / "demo-5-400").symlink_to(window)
    settings.DETECTION_DROP_DIR = str(tmp_path)
    settings.LIVE_DEMO_SPEED = 100_000
    monkeypatch.setattr(live_services, "_demo", {})
    assert sum(live_services.live_demo_step() for _ in range(3)) == 0
    assert not Alert.objects.exists()
