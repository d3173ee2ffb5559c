"""The embedded demo's live feed raises the live day's incidents, never again the ones
load_demo already put in the desk's history."""

import io
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from apps.alerts.models import Alert
from apps.detection.services import live as live_services

# A controlled cluster of the population is one every day: common_control states it again
# for each day's window (batch or live), as the rule does for any later window.
STANDING = {"common_control"}


def _incident(alert: Mapping[str, Any]) -> tuple[Any, ...]:
    numbers = sorted((k, v) for k, v in alert["metrics"].items() if isinstance(v, int | float))
    return alert["rule"], tuple(alert["accounts"]), tuple(numbers)


@pytest.mark.django_db(transaction=True)
def test_the_live_demo_raises_new_incidents_not_the_loaded_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo: dict[str, Any] = {}  # the desk's one demo feed, made by the first step
    monkeypatch.setattr(live_services, "_demo", demo)
    with override_settings(DETECTION_DROP_DIR=str(tmp_path), LIVE_DEMO_SPEED=1_000_000):
        call_command("load_demo", "--accounts", "400", "--force", stdout=io.StringIO())
        loaded = list(Alert.objects.values("dedup_key", "rule", "accounts", "metrics"))
        started, rows = time.monotonic(), live_services.live_demo_step()
        while (rows or demo["feed"].next is not None) and time.monotonic() - started < 120:
            rows = live_services.live_demo_step()  # the whole day is due within a second
    today = timezone.now().date().isoformat()
    live = list(
        Alert.objects.filter(dedup_key__contains=today)
        .exclude(dedup_key__in=[a["dedup_key"] for a in loaded])
        .values("dedup_key", "rule", "accounts", "metrics")
    )
    found = [a for a in live if a["rule"] not in STANDING]
    assert len(found) >= 5, "the live day's own incidents were raised"
    seen = {_incident(a) for a in loaded}
    assert [a for a in found if _incident(a) in seen] == []
    # Nor on the same accounts (market_stress names none: the platform, every day).
    on = {(a["rule"], tuple(a["accounts"])) for a in loaded if a["accounts"]}
    assert [a["dedup_key"] for a in found if (a["rule"], tuple(a["accounts"])) in on] == []
    print(f"{len(loaded)} loaded, {len(live)} live ({len(found)} besides common_control)")
