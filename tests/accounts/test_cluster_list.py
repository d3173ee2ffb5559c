"""The list of control clusters first detected or grown in a span (the daily report links
here): each row opens a member's account page; bad input is named, never silently dropped."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import ControlCluster
from tests.factories import ExchangeAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def _span(hours: int = 1) -> dict[str, str]:
    now = timezone.now()
    return {
        "since": (now - timedelta(hours=hours)).isoformat(),
        "until": (now + timedelta(hours=hours)).isoformat(),
    }


@pytest.fixture
def clusters() -> tuple[ControlCluster, ControlCluster]:
    long_ago = timezone.now() - timedelta(days=2)
    new = ControlCluster.objects.create(key="C-NEW", size=3)
    ExchangeAccountFactory(account_id="U900002", cluster=new)
    ExchangeAccountFactory(account_id="U900001", cluster=new)
    old = ControlCluster.objects.create(key="C-OLD", size=2)
    ControlCluster.objects.filter(pk=old.pk).update(first_detected_at=long_ago)
    ControlCluster.history.filter(id=old.pk).update(history_date=long_ago)
    old.refresh_from_db()
    old.size = 5
    old.save()
    still = ControlCluster.objects.create(key="C-STILL", size=2)
    ControlCluster.objects.filter(pk=still.pk).update(first_detected_at=long_ago)
    ControlCluster.history.filter(id=still.pk).update(history_date=long_ago)
    return new, old


def test_new_clusters_open_on_their_first_member(signed_in, clusters) -> None:
    page = signed_in.get(reverse("accounts:clusters"), {"change": "new", **_span()})
    assert [row.cluster.key for row in page.context["rows"]] == ["C-NEW"]
    assert reverse("accounts:detail", args=["U900001"]) in page.content.decode()


def test_grown_clusters_show_their_size_before_and_after(signed_in, clusters) -> None:
    page = signed_in.get(reverse("accounts:clusters"), {"change": "grown", **_span()})
    assert [(r.cluster.key, r.before, r.after) for r in page.context["rows"]] == [("C-OLD", 2, 5)]
    earlier = signed_in.get(reverse("accounts:clusters"), {"change": "grown", **_span(0)})
    assert earlier.context["rows"] == []  # a span that ended before it grew


def test_bad_input_is_named(signed_in, clusters) -> None:
    page = signed_in.get(reverse("accounts:clusters"), {"change": "shrunk", "since": "yesterday"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "“shrunk” is not new or grown" in text and "“yesterday” is not a date" in text
    assert [row.cluster.key for row in page.context["rows"]] == ["C-NEW"]  # the last 24 hours
