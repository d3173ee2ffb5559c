"""Live detection in the desk: its status rows, the feed-gap alarm, and the embedded demo.

The detector itself (``apps.detection.live``) knows nothing of Django: these functions are
its ``report`` hook and its runner.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.detection.models import LiveConsumer
from apps.notifications.services import notify
from apps.people.selectors import active_supervisors


@transaction.atomic
def live_status_save(*, name: str, status: dict[str, Any], now: datetime | None = None) -> None:
    """Keep the consumer's latest status; a new gap (history trimmed away unread) tells
    the supervisors at once: the findings of those rows will never be raised."""
    now = now or timezone.now()
    saved = status.get("checkpoint_at")
    LiveConsumer.objects.update_or_create(
        name=name,
        defaults={
            "streams": status["streams"],
            "events_per_second": round(float(status["events_per_second"]), 1),
            "state_rows": int(status["state_rows"]),
            "findings_open": int(status["findings_open"]),
            "checkpoint_at": datetime.fromisoformat(saved) if saved else None,
            "gaps": status["gaps"],
            "reported_at": now,
        },
    )
    for gap in status.get("new_gaps", []):
        notify(
            recipients=active_supervisors(),
            kind="feed_gap",
            title=f"Live detection lost {gap['missed_entries']} entries of {gap['stream']}",
            body=(
                f"Consumer {name} had read up to {gap['last_read']}; the stream now starts "
                f"at {gap['first_available']} (trimmed by MAXLEN). Rows in between were "
                f"never seen: run the day's window through detection to cover them."
            ),
            url=reverse("detection:live"),
        )


# The embedded desk's demo feed and its detector: one per process, made on first use.
_demo: dict[str, Any] = {}
DEMO_CONSUMER = "demo day (in-process)"


def live_demo_step() -> int:
    """One cycle of live detection on the demo's live day replayed in this process (no
    Redis): what is due is published, read, detected; alerts go into the pipeline like any
    detector's. Returns the rows read; 0 when there is no live day to play. Only a live
    day is played, never the window load_demo loaded: its alerts are already in the
    history, and replayed they would come back as new."""
    from apps.detection.live.demo import DemoFeed, live_days
    from apps.detection.services.rules import live_settings

    demo = _demo.get("feed")
    if demo is None:
        windows = live_days(Path(settings.DETECTION_DROP_DIR))
        if not windows:
            return 0
        params, enabled = live_settings()
        demo = DemoFeed(
            windows[-1],
            settings.LIVE_DEMO_SPEED,
            params=params,
            enabled=enabled,
            report=lambda status: live_status_save(name=DEMO_CONSUMER, status=status),
        )
        _demo["feed"] = demo
    rows: int = demo.step()
    return rows
