"""Ingest work (queue `ingest`): drain the alert stream; forget old delivery records."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from apps.alerts.models import StreamDelivery
from apps.alerts.stream import desk_consumer
from riskdesk.celery import Scan

# An entry pending longer than this is re-delivered long before its record is forgotten.
DELIVERY_MEMORY = timedelta(days=3)


@shared_task(ignore_result=True, soft_time_limit=75, time_limit=90)
def consume_alert_stream(seconds: float = 10.0, batch: int = 500) -> dict[str, int]:
    """Read the stream for `seconds`. Beat starts one every few seconds, so a lost or
    crashed run costs a few seconds of delay, never an alert."""
    if not settings.REDIS_URL:
        return {}
    consumer = desk_consumer(batch=batch)
    consumer.run(seconds=seconds)
    return vars(consumer.stats)


@shared_task(base=Scan, ignore_result=True, soft_time_limit=300, time_limit=330)
def forget_old_deliveries() -> int:
    deleted, _ = StreamDelivery.objects.filter(
        stored_at__lt=timezone.now() - DELIVERY_MEMORY
    ).delete()
    return deleted
