"""The embedded desk's live detection seen in a browser: the demo day replayed in-process,
an alert appearing on the queue and growing (its repeat count, its history)."""

import time
from pathlib import Path

import pytest

from apps.alerts.models import Alert
from apps.detection.services import live as live_services
from apps.detection.simulator import simulate
from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_alert_appears_on_the_queue_and_grows_as_the_demo_day_plays(
    new_page, operator, settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulate(tmp_path / "demo-5-400-live", seed=5, accounts=400, hours=4, fmt="parquet")
    settings.DETECTION_DROP_DIR = str(tmp_path)
    settings.LIVE_DEMO_SPEED = 600  # the 4 hours in 24 s
    monkeypatch.setattr(live_services, "_demo", {})

    def play(seconds: float) -> None:
        # What the in-process runner does every 2 s: one step of the demo feed.
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            live_services.live_demo_step()

    play(8)
    assert Alert.objects.exists()
    page = new_page()
    sign_in(page, "olga", PASSWORD)
    page.goto("/alerts/")
    page.locator("#queue tbody tr").first.wait_for()
    screenshot(page, "live-queue-early")
    before = {a.dedup_key: a.repeat_count for a in Alert.objects.all()}

    play(20)
    grown = [a for a in Alert.objects.all() if a.repeat_count > before.get(a.dedup_key, 0) > -1]
    assert any(a.dedup_key in before for a in grown), "an alert seen earlier grew"
    page.reload()
    page.locator("#queue tbody tr").first.wait_for()
    assert "\u00d7" in page.locator("#queue").inner_text()  # a repeat count, "x3"
    screenshot(page, "live-queue-grown")
    page.goto("/detection/live/")
    page.locator("#live section").first.wait_for()
    assert live_services.DEMO_CONSUMER in page.inner_text("#live").lower()
    screenshot(page, "live-detection-page")
