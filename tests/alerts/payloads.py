"""Alert payloads as a detector sends them (shared/contracts/alerts.md)."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from apps.alerts.ingest import Incoming, alerts_ingest
from apps.alerts.models import Alert, WayIn


def alert_payload(n: int = 1, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "dedup_key": f"self_trade:U{1000 + n}:BTCUSDT:2026-11-20",
        "rule": "self_trade",
        "category": "self_trade",
        "severity": "high",
        "score": 87.5,
        "accounts": [f"U{1000 + n}"],
        "symbol": "BTCUSDT",
        "window_start": "2026-11-20T00:00:00Z",
        "window_end": "2026-11-21T00:00:00Z",
        "detected_at": "2026-11-21T00:02:13Z",
        "summary": f"U{1000 + n} traded with itself 41 times (3.2% of its volume)",
        "metrics": {"self_trades": 41, "self_volume_share": 0.032},
        "evidence": {"trade_ids": ["T1", "T2"], "order_ids": []},
        "source": "riskdesk.detection/1",
    }
    payload.update(overrides)
    return payload


def stored_alert(n: int = 1, **overrides: Any) -> Alert:
    """An alert stored through the real ingest path."""
    payload = alert_payload(n, **overrides)
    [outcome] = alerts_ingest(items=[Incoming.of(payload)], way_in=WayIn.API)
    assert outcome.status == "accepted" and outcome.alert_id is not None, outcome
    return Alert.objects.get(pk=outcome.alert_id)


def overdue(alert: Alert) -> Alert:
    Alert.objects.filter(pk=alert.pk).update(sla_due_at=timezone.now() - timedelta(minutes=5))
    alert.refresh_from_db()
    return alert
