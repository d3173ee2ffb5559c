"""What the cases app hears from other apps."""

from typing import Any


def alerts_arrived(sender: Any, alert_ids: list[int], **kwargs: Any) -> None:
    """New alerts were committed: have them join open cases now, not at the next beat (the
    10 s beat stays as the net for a lost message). Only enqueues: ingest is hot."""
    if not alert_ids:
        return
    from apps.cases.tasks import attach_new_alerts

    attach_new_alerts.delay()
