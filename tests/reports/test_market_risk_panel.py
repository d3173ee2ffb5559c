"""The shift dashboard shows the market's own risk from the latest window, with the plan to
suggest for each stressed contract."""

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.detection.models import DetectionRun
from tests.actions.plans_helpers import seeded_plans
from tests.detection.market_window import write_market_window

pytestmark = pytest.mark.django_db


def test_the_dashboard_reads_the_latest_window_and_suggests_the_plan(
    client, supervisor, tmp_path, settings
) -> None:
    settings.VAR_DIR = tmp_path / "var"
    seeded_plans(supervisor)
    client.force_login(supervisor)
    empty = client.get(reverse("reports:dashboard")).content.decode()
    assert "Detection has taken no window yet" in empty
    folder = write_market_window(tmp_path / "w-2026-11-20")
    DetectionRun.objects.create(
        window=folder.name, folder=str(folder), status="done", finished_at=timezone.now()
    )
    html = client.get(reverse("reports:dashboard")).content.decode()
    assert 'id="market-risk"' in html and "window w-2026-11-20" in html
    row = html[html.index(">BTCUSDT<") :].split("</tr>")[0]
    assert "2.00 %" in row and ">25<" in row
    assert "/actions/plans/liquidation-cascade/?symbol=BTCUSDT" in row
    calm = html[html.index(">ETHUSDT<") :].split("</tr>")[0]
    assert "plans/" not in calm


def test_a_fresher_live_checkpoint_is_read_instead(client, supervisor, tmp_path, settings) -> None:
    import os

    from tests.detection.test_market_risk import write_checkpoint

    settings.VAR_DIR = tmp_path / "var"
    seeded_plans(supervisor)
    folder = write_market_window(tmp_path / "w-old")
    DetectionRun.objects.create(
        window=folder.name, folder=str(folder), status="done", finished_at=timezone.now()
    )
    os.utime(folder, (1_700_000_000, 1_700_000_000))  # the window is older than the live feed
    write_checkpoint(folder, settings.VAR_DIR / "live" / "feed")
    client.force_login(supervisor)
    html = client.get(reverse("reports:dashboard")).content.decode()
    assert "live, checkpoint of" in html
    assert "/actions/plans/liquidation-cascade/?symbol=BTCUSDT" in html
