"""The market replay on the alert page: mark price with the orders and fills behind it."""

import base64
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
from django.test import Client

from apps.cases.timeline import evidence_timeline
from tests.alerts.payloads import stored_alert
from tests.cases.feed import feed_window


def _marks(folder, minutes: int = 300) -> None:
    start = datetime(2026, 11, 20, tzinfo=UTC)
    pq.write_table(
        pa.table(
            {
                "symbol": ["BTCUSDT"] * minutes,
                "ts": [start + timedelta(minutes=m) for m in range(minutes)],
                "mark_price": [60_000.0 + m for m in range(minutes)],
                "index_price": [60_000.0 + m for m in range(minutes)],
            }
        ),
        folder / "mark_prices.parquet",
    )


def _svg(image: str) -> str:
    assert image.startswith("data:image/svg+xml;base64,")
    return base64.b64decode(image.split(",", 1)[1]).decode()


def test_the_replay_draws_orders_placed_cancelled_and_filled_over_the_mark_price(
    db, tmp_path
) -> None:
    trades, orders = feed_window(tmp_path / "w", ["U1001", "U1002"])
    _marks(tmp_path / "w")
    alert = stored_alert(1, evidence={"trade_ids": trades[:3], "order_ids": orders})
    timeline = evidence_timeline(alert, tmp_path / "w", orders, trades[:3])
    assert (timeline.placed, timeline.cancelled, timeline.filled) == (10, 10, 3)
    assert timeline.marks > 0 and not timeline.note
    svg = _svg(timeline.image)
    assert "BTCUSDT mark price with the orders and fills of U1001" in svg
    assert "price (USDT)" in svg and "time (UTC)" in svg


def test_without_mark_prices_the_replay_says_so_and_draws_the_orders(db, tmp_path) -> None:
    _trades, orders = feed_window(tmp_path / "w", ["U1001", "U1002"])
    alert = stored_alert(1, evidence={"trade_ids": [], "order_ids": orders})
    timeline = evidence_timeline(alert, tmp_path / "w", orders, [])
    assert "no mark prices for BTCUSDT" in timeline.note
    assert timeline.placed == 10 and timeline.image


def test_the_alert_page_shows_the_replay_or_says_plainly_there_is_none(operator, tmp_path) -> None:
    trades, orders = feed_window(tmp_path / "w", ["U1001", "U1002"])
    _marks(tmp_path / "w")
    with_rows = stored_alert(1, evidence={"trade_ids": trades[:3], "order_ids": orders})
    without = stored_alert(2, evidence={"transfer_ids": ["X1"]})
    client = Client()
    client.force_login(operator)
    html = client.get(f"/alerts/{with_rows.pk}/").content.decode()
    assert 'id="replay"' in html and "data:image/svg+xml;base64," in html
    assert "10 orders placed (△), 10 cancelled (×), 3 fills (◆)" in html  # noqa: RUF001
    html = client.get(f"/alerts/{without.pk}/").content.decode()
    assert 'id="behind-none"' in html and "names no trades or orders" in html
