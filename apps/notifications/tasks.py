"""Outbound sending (queue `notify`): thin wrappers over the services."""

from celery import shared_task

from apps.notifications.services import deliveries_due, delivery_send
from riskdesk.celery import Scan


@shared_task(ignore_result=True, soft_time_limit=30, time_limit=45)
def deliver(delivery_id: int) -> str:
    return delivery_send(delivery_id=delivery_id).status


@shared_task(base=Scan, ignore_result=True, soft_time_limit=120, time_limit=150)
def deliver_due() -> int:
    """Beat runs this every half minute: retries, and deliveries whose message was lost."""
    due = deliveries_due()
    for delivery_id in due:
        delivery_send(delivery_id=delivery_id)
    return len(due)
