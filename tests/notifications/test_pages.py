"""The bell in the header and the list page."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.notifications.models import Notification
from apps.notifications.services import notify

pytestmark = pytest.mark.django_db


def test_the_header_badge_counts_unread_with_one_query(client: Client, operator) -> None:
    notify(recipients=[operator], kind="test", title="one")
    notify(recipients=[operator], kind="test", title="two")
    client.force_login(operator)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("console:home"))
    badge = [q for q in queries.captured_queries if "notifications_notification" in q["sql"]]
    assert len(badge) == 1
    assert 'aria-label="Notifications: 2 unread"' in page.content.decode()


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(
    client: Client, operator
) -> None:
    [note] = notify(recipients=[operator], kind="test", title="go", url="/cases/")
    client.force_login(operator)
    response = client.post(reverse("notifications:open", args=[note.pk]))
    assert response.status_code == 302 and response["Location"] == "/cases/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_nobody_opens_another_persons_notification(client: Client, operator, supervisor) -> None:
    [note] = notify(recipients=[operator], kind="test", title="mine")
    client.force_login(supervisor)
    assert client.post(reverse("notifications:open", args=[note.pk])).status_code == 404
    assert Notification.objects.get(pk=note.pk).read_at is None


def test_a_notification_never_redirects_off_the_site(client: Client, operator) -> None:
    [note] = notify(recipients=[operator], kind="test", title="x", url="https://evil.example/")
    client.force_login(operator)
    response = client.post(reverse("notifications:open", args=[note.pk]))
    assert response["Location"] == reverse("notifications:list")


def test_mark_all_read(client: Client, operator) -> None:
    notify(recipients=[operator], kind="test", title="a")
    client.force_login(operator)
    client.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(recipient=operator, read_at=None).exists()
