import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD


@pytest.mark.django_db
def test_an_operator_signs_in_and_lands_on_their_home_page(operator) -> None:
    client = Client()
    response = client.post(
        reverse("people:sign_in"), {"username": "olga", "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert b"Risk operator" in response.content


@pytest.mark.django_db
def test_signing_in_follows_a_next_inside_the_console_and_no_other(operator) -> None:
    inside = Client().post(
        reverse("people:sign_in") + "?next=/alerts/",
        {"username": "olga", "password": PASSWORD},
    )
    outside = Client().post(
        reverse("people:sign_in"),
        {"username": "olga", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert inside["Location"] == "/alerts/"
    assert outside["Location"] == reverse("console:home")


@pytest.mark.django_db
def test_a_wrong_password_says_so_and_keeps_the_user_name(operator) -> None:
    response = Client().post(reverse("people:sign_in"), {"username": "olga", "password": "nope"})
    assert response.status_code == 200
    assert b"do not match" in response.content
    assert b'value="olga"' in response.content


@pytest.mark.django_db
def test_five_failed_sign_ins_lock_the_user_out_even_with_the_right_password(operator) -> None:
    client = Client()
    for _ in range(5):
        client.post(reverse("people:sign_in"), {"username": "olga", "password": "wrong"})
    response = client.post(reverse("people:sign_in"), {"username": "olga", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Sign-in locked" in response.content


@pytest.mark.django_db
def test_sign_out_needs_a_post_and_ends_the_session(operator) -> None:
    client = Client()
    client.force_login(operator)
    assert client.get(reverse("people:sign_out")).status_code == 405
    client.post(reverse("people:sign_out"))
    assert client.get(reverse("console:home")).status_code == 302


@pytest.mark.django_db
def test_sessions_expire_after_the_idle_limit(operator, settings) -> None:
    client = Client()
    client.force_login(operator)
    client.get(reverse("console:home"))
    # The end is a fixed time now (apps.people.sessions): a second may pass before reading it.
    assert 0 <= settings.SESSION_COOKIE_AGE - client.session.get_expiry_age() <= 5
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600


@pytest.mark.django_db
def test_pages_carry_security_headers_and_a_content_security_policy(operator) -> None:
    client = Client()
    client.force_login(operator)
    response = client.get(reverse("console:home"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "'nonce-" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    # htmx is served by the console itself, with the page's nonce.
    assert b"/static/django-htmx/" in response.content or b"htmx" in response.content


@pytest.mark.django_db
def test_signing_in_records_the_time_but_writes_no_history_row(operator) -> None:
    rows = operator.history.count()
    Client().post(reverse("people:sign_in"), {"username": "olga", "password": PASSWORD})
    operator.refresh_from_db()
    assert operator.last_login is not None
    assert operator.history.count() == rows
