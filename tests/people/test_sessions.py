"""A session ends after SESSION_IDLE_MINUTES without a person's request; the pages' own
polling is not a person, so an open tab left alone still times out."""

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from apps.people.sessions import POLL_HEADER

ROOT = Path(__file__).resolve().parents[2]
POLL = {POLL_HEADER: "1", "HX-Request": "true"}


class Clock:
    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Iterator[Clock]:
    clock = Clock()
    with mock.patch("django.utils.timezone.now", clock):
        yield clock


def _expiry(client: Client) -> datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


@pytest.mark.django_db
def test_polling_does_not_keep_an_idle_session_alive(operator, clock, settings) -> None:
    client = Client()
    client.force_login(operator)
    client.get(reverse("alerts:queue"))
    ends = _expiry(client)
    assert ends == clock.now + timedelta(seconds=settings.SESSION_COOKIE_AGE)

    for _ in range(3):
        clock.now += timedelta(hours=1)
        polled = client.get(reverse("alerts:queue"), headers=POLL)
        assert polled.status_code == 200
        assert _expiry(client) == ends
        assert settings.SESSION_COOKIE_NAME not in polled.cookies

    clock.now = ends + timedelta(seconds=1)
    assert client.get(reverse("alerts:queue"), headers=POLL).status_code == 302


@pytest.mark.django_db
def test_a_request_the_person_makes_starts_the_idle_time_again(operator, clock, settings) -> None:
    client = Client()
    client.force_login(operator)
    client.get(reverse("console:home"))
    clock.now += timedelta(hours=5)

    client.get(reverse("alerts:queue"))

    assert _expiry(client) == clock.now + timedelta(seconds=settings.SESSION_COOKIE_AGE)


def test_every_polling_element_marks_its_requests_as_polling() -> None:
    templates = [*ROOT.glob("apps/*/templates/**/*.html"), *ROOT.glob("templates/**/*.html")]
    polling = 0
    for path in templates:
        text = path.read_text()
        for found in re.finditer(r'hx-trigger="[^"]*\bevery ', text):
            polling += 1
            start = max(m.start() for m in re.finditer(r"<[a-zA-Z]", text[: found.start()]))
            end = text.index("<", found.end())  # the next tag: the element's tag ended before
            assert POLL_HEADER in text[start:end], f"{path.relative_to(ROOT)}: {text[start:end]}"
    assert polling >= 5


@pytest.mark.django_db
def test_signed_in_pages_api_answers_and_the_csv_are_never_stored(operator, auditor) -> None:
    client = Client()
    client.force_login(auditor)
    for url in (reverse("console:home"), reverse("actions:export"), "/api/v1/alerts/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.get("Cache-Control", ""), url


@pytest.mark.django_db
def test_an_api_answer_to_a_token_is_never_stored(system_user) -> None:
    _, token = AuthToken.objects.create(user=system_user)
    response = Client(headers={"authorization": f"Bearer {token}"}).post(
        "/api/v1/alerts/", "[]", content_type="application/json"
    )
    assert "no-store" in response.get("Cache-Control", "")


@pytest.mark.django_db
def test_static_files_stay_cacheable_for_a_signed_in_person(operator, settings) -> None:
    settings.WHITENOISE_USE_FINDERS = True  # serve from the source folders, as under DEBUG
    client = Client()
    client.force_login(operator)
    response = client.get("/static/css/desk.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
