"""The one call a detector inside riskdesk makes to hand over alerts.

With Redis configured the alerts go onto the stream (shared/contracts/alerts.md, way in 1)
and the ingest workers store them; without it — the single-process console — they are
stored right here, through the same ingest service.
"""

import json
from typing import Any

from django.conf import settings

from apps.alerts.ingest import Incoming, alerts_ingest
from apps.alerts.models import WayIn
from apps.alerts.stream import redis_client


def publish(payloads: list[dict[str, Any]]) -> None:
    if not payloads:
        return
    if settings.REDIS_URL:
        client = redis_client(settings.REDIS_URL)
        with client.pipeline(transaction=False) as pipe:
            for payload in payloads:
                pipe.xadd(settings.ALERT_STREAM, {"alert": json.dumps(payload, default=str)})
            pipe.execute()
        return
    # The same bytes as the stream would carry, so both ways read alike.
    alerts_ingest(
        items=[Incoming(raw=json.dumps(payload, default=str)) for payload in payloads],
        way_in=WayIn.IN_PROCESS,
    )
