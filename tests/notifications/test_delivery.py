"""Outbound notifications: after the commit, retried with backoff, never twice."""

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from apps.notifications.models import Delivery, Notification
from apps.notifications.notifiers import notifiers
from apps.notifications.services import deliveries_due, delivery_send, notify
from tests.factories import make_person

SECRET = "test-webhook-secret"


@pytest.fixture
def hook() -> Iterator[dict]:
    """A webhook receiver on a free local port: records bodies and headers; answers with
    the status codes queued in `answers` (200 once they run out)."""
    seen: dict = {"requests": [], "answers": []}

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen["requests"].append((dict(self.headers), body))
            self.send_response(seen["answers"].pop(0) if seen["answers"] else 200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    seen["url"] = f"http://127.0.0.1:{server.server_port}/hook"
    with override_settings(NOTIFY_WEBHOOK_URL=seen["url"], NOTIFY_WEBHOOK_SECRET=SECRET):
        notifiers.cache_clear()
        yield seen
    notifiers.cache_clear()
    server.shutdown()


def person(name: str = "olga"):
    user = make_person(name, "operator")
    user.email = f"{name}@desk.example"
    user.save()
    return user


@pytest.mark.django_db(transaction=True)
def test_nothing_goes_out_before_the_commit_and_nothing_if_it_rolls_back() -> None:
    olga = person()
    with transaction.atomic():
        notify(recipients=[olga], kind="test", title="Hello")
        assert mail.outbox == []  # still inside the transaction
    assert [m.subject for m in mail.outbox] == ["[riskdesk] Hello"]

    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipients=[olga], kind="test", title="Never")
        raise RuntimeError("the change failed")
    assert len(mail.outbox) == 1 and not Notification.objects.filter(title="Never").exists()


@pytest.mark.django_db
def test_a_delivery_is_sent_once_however_often_its_task_runs(
    django_capture_on_commit_callbacks,
) -> None:
    olga = person()
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[olga], kind="test", title="Once")
    delivery = Delivery.objects.get()
    for _ in range(3):  # the message delivered again, the beat sweep finding it
        assert delivery_send(delivery_id=delivery.pk).status == "skipped"
    assert len(mail.outbox) == 1 and deliveries_due() == []
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT and delivery.attempts == 1


@pytest.mark.django_db
def test_the_person_who_acted_is_not_told_and_each_person_once() -> None:
    olga, sam = person("olga"), person("sam")
    made = notify(recipients=[olga, sam, sam], kind="test", title="x", skip=olga)
    assert [n.recipient for n in made] == [sam]


@pytest.mark.django_db
def test_the_webhook_is_signed_with_hmac_sha256_of_the_exact_body(hook) -> None:
    olga = person()
    notify(recipients=[olga], kind="case.mention", title="You were mentioned", url="/cases/1/")
    webhook = Delivery.objects.get(channel="webhook")
    assert delivery_send(delivery_id=webhook.pk).status == "sent"

    [(headers, body)] = hook["requests"]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Riskdesk-Signature"] == expected
    assert headers["X-Riskdesk-Delivery"] == str(webhook.pk)
    assert json.loads(body)["title"] == "You were mentioned"


@pytest.mark.django_db
def test_a_failing_webhook_is_retried_with_backoff_then_given_up(hook) -> None:
    hook["answers"] = [500, 503]
    olga = person()
    notify(recipients=[olga], kind="test", title="Flaky")
    webhook = Delivery.objects.get(channel="webhook")
    now = timezone.now()

    assert delivery_send(delivery_id=webhook.pk, now=now).status == "retry"
    webhook.refresh_from_db()
    assert webhook.next_attempt_at == now + timedelta(seconds=30)
    # Not due yet: the sweep leaves it alone.
    assert webhook.pk not in deliveries_due(now=now + timedelta(seconds=29))
    assert delivery_send(delivery_id=webhook.pk, now=now + timedelta(seconds=29)).status == (
        "skipped"
    )
    later = now + timedelta(seconds=31)
    assert webhook.pk in deliveries_due(now=later)
    assert delivery_send(delivery_id=webhook.pk, now=later).status == "retry"
    webhook.refresh_from_db()
    assert webhook.next_attempt_at == later + timedelta(seconds=60)  # doubled
    assert delivery_send(delivery_id=webhook.pk, now=later + timedelta(minutes=2)).status == (
        "sent"
    )
    assert len(hook["requests"]) == 3

    with override_settings(NOTIFY_MAX_ATTEMPTS=1):
        hook["answers"] = [500]
        notify(recipients=[olga], kind="test", title="Dead")
        dead = Delivery.objects.get(channel="webhook", notification__title="Dead")
        assert delivery_send(delivery_id=dead.pk).status == "failed"


@pytest.mark.django_db
def test_a_delivery_whose_worker_was_lost_mid_send_is_not_sent_again() -> None:
    olga = person()
    notify(recipients=[olga], kind="test", title="Lost")
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENDING, claimed_at=timezone.now() - timedelta(minutes=11)
    )
    assert deliveries_due() == []
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED and "not sent again" in delivery.last_error
    assert mail.outbox == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_workers_sending_the_same_delivery_send_it_once(hook, monkeypatch) -> None:
    olga = person()
    # The queued message is held back, so the eight workers below are the only senders.
    monkeypatch.setattr("apps.notifications.services._queue", lambda ids: None)
    notify(recipients=[olga], kind="test", title="Race")
    webhook = Delivery.objects.get(channel="webhook")
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def send() -> None:
        try:
            start.wait()
            outcomes.append(delivery_send(delivery_id=webhook.pk).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["sent"] + ["skipped"] * 7
    assert len(hook["requests"]) == 1
