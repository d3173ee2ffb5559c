"""Telling people things: in the console at once, outbound after the commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.notifications.models import Delivery, Notification
from apps.notifications.notifiers import DeliveryFailed, notifiers

if TYPE_CHECKING:
    from apps.people.models import User

# A delivery claimed this long ago whose worker never reported back may or may not have
# gone out; it is marked failed rather than sent again, because "never twice" wins.
SENDING_TIMEOUT = timedelta(minutes=10)


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    skip: User | None = None,
) -> list[Notification]:
    """One notification per recipient (once each, never to `skip` — the person who acted),
    with its outbound deliveries queued for after the surrounding commit."""
    people = {p.pk: p for p in recipients if p.is_active and (skip is None or p.pk != skip.pk)}
    if not people:
        return []
    now = timezone.now()
    made = Notification.objects.bulk_create(
        [
            Notification(
                recipient=person, kind=kind, title=title[:300], body=body, url=url, created_at=now
            )
            for person in people.values()
        ]
    )
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(notification=notification, channel=channel, next_attempt_at=now)
            for notification in made
            for channel, notifier in notifiers().items()
            if notifier.wants(notification)
        ]
    )
    ids = [d.pk for d in deliveries]
    if ids:
        # robust: with the broker down the rows wait for deliver_due; the caller's work stands.
        transaction.on_commit(lambda: _queue(ids), robust=True)
    return made


def _queue(delivery_ids: list[int]) -> None:
    from apps.notifications.tasks import deliver

    for delivery_id in delivery_ids:
        deliver.delay(delivery_id)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min … after the 1st, 2nd, 3rd, 4th failure."""
    return timedelta(seconds=settings.NOTIFY_RETRY_SECONDS * 2 ** max(attempts - 1, 0))


@dataclass(frozen=True)
class SendOutcome:
    delivery_id: int
    status: str  # "sent", "retry", "failed", or "skipped" when another worker has it


def delivery_send(*, delivery_id: int, now: datetime | None = None) -> SendOutcome:
    """Send one delivery if it is due and nobody else holds it. Not atomic on purpose: the
    claim commits before the slow call, so a second worker sees it taken."""
    now = now or timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=now
    ).update(status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return SendOutcome(delivery_id, "skipped")
    delivery = Delivery.objects.select_related("notification__recipient").get(pk=delivery_id)
    notifier = notifiers().get(delivery.channel)
    held = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING)
    try:
        if notifier is None:
            raise DeliveryFailed(f"no notifier for channel {delivery.channel!r}")
        notifier.send(delivery.notification, delivery)
    except DeliveryFailed as error:
        if delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            held.update(status=Delivery.Status.FAILED, last_error=str(error)[:2000])
            return SendOutcome(delivery_id, "failed")
        held.update(
            status=Delivery.Status.PENDING,
            next_attempt_at=now + backoff(delivery.attempts),
            last_error=str(error)[:2000],
        )
        return SendOutcome(delivery_id, "retry")
    held.update(status=Delivery.Status.SENT, sent_at=timezone.now(), last_error="")
    return SendOutcome(delivery_id, "sent")


def deliveries_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Pending deliveries whose time has come (retries, and any whose message was lost);
    deliveries stuck in sending past the timeout are given up, not re-sent."""
    now = now or timezone.now()
    Delivery.objects.filter(
        status=Delivery.Status.SENDING, claimed_at__lt=now - SENDING_TIMEOUT
    ).update(
        status=Delivery.Status.FAILED,
        last_error="The worker sending it was lost; not sent again so it cannot go twice.",
    )
    return list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def notifications_mark_read(*, by: User, ids: Iterable[int] | None = None) -> int:
    """Mark `by`'s own notifications read (all unread ones without `ids`)."""
    unread = Notification.objects.filter(recipient=by, read_at=None)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
