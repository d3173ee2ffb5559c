"""Outbound channels. Each is a class with `wants` and `send`; settings.NOTIFIERS names them,
so a deployment adds a channel (chat, pager) without touching the services."""

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from functools import cache
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from apps.notifications.models import Delivery, Notification

DEFAULT_NOTIFIERS = {
    "email": "apps.notifications.notifiers.EmailNotifier",
    "webhook": "apps.notifications.notifiers.WebhookNotifier",
}
SIGNATURE_HEADER = "X-Riskdesk-Signature"
DELIVERY_HEADER = "X-Riskdesk-Delivery"


class DeliveryFailed(Exception):
    """The channel refused or could not be reached; the delivery is tried again later."""


class Notifier(Protocol):
    def wants(self, notification: Notification) -> bool: ...

    def send(self, notification: Notification, delivery: Delivery) -> None: ...


class EmailNotifier:
    """Through Django's mail backend, to people who have an address."""

    def wants(self, notification: Notification) -> bool:
        return bool(notification.recipient.email)

    def send(self, notification: Notification, delivery: Delivery) -> None:
        link = f"\n\n{settings.NOTIFY_SITE_URL}{notification.url}" if notification.url else ""
        try:
            send_mail(
                subject=f"[riskdesk] {notification.title}",
                message=f"{notification.body}{link}".strip(),
                from_email=None,
                recipient_list=[notification.recipient.email],
            )
        except OSError as error:
            raise DeliveryFailed(f"mail: {error}") from error


def webhook_body(notification: Notification, delivery: Delivery) -> bytes:
    return json.dumps(
        {
            "delivery": delivery.pk,
            "kind": notification.kind,
            "recipient": notification.recipient.username,
            "title": notification.title,
            "body": notification.body,
            "url": notification.url,
            "created_at": notification.created_at.isoformat(),
        },
        sort_keys=True,
    ).encode()


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookNotifier:
    """POSTs JSON signed with HMAC-SHA256 of the exact body (secret from the environment);
    the delivery id in a header lets the receiver drop a repeat."""

    def wants(self, notification: Notification) -> bool:
        return bool(settings.NOTIFY_WEBHOOK_URL)

    def send(self, notification: Notification, delivery: Delivery) -> None:
        body = webhook_body(notification, delivery)
        request = urllib.request.Request(
            settings.NOTIFY_WEBHOOK_URL,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(body, settings.NOTIFY_WEBHOOK_SECRET or ""),
                DELIVERY_HEADER: str(delivery.pk),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                if not 200 <= response.status < 300:
                    raise DeliveryFailed(f"webhook answered {response.status}")
        except (urllib.error.URLError, OSError) as error:
            raise DeliveryFailed(f"webhook: {error}") from error


@cache
def notifiers() -> dict[str, Notifier]:
    configured = getattr(settings, "NOTIFIERS", None) or DEFAULT_NOTIFIERS
    return {channel: import_string(path)() for channel, path in configured.items()}
