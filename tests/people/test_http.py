import pytest
from django.test import RequestFactory

from apps.people.http import safe_next


@pytest.mark.parametrize(
    "wanted",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:///evil.example",
    ],
)
def test_a_next_that_leaves_the_console_is_replaced_by_the_fallback(wanted: str) -> None:
    request = RequestFactory().post("/x", {"next": wanted}, HTTP_HOST="desk.example")
    assert safe_next(request, "/home/") == "/home/"


def test_a_next_inside_the_console_is_followed_from_a_form_or_a_link() -> None:
    posted = RequestFactory().post("/x", {"next": "/actions/inbox/"}, HTTP_HOST="desk.example")
    linked = RequestFactory().get("/x?next=https://desk.example/cases/", HTTP_HOST="desk.example")
    assert safe_next(posted, "/home/") == "/actions/inbox/"
    assert safe_next(linked, "/home/") == "https://desk.example/cases/"


def test_without_a_next_the_fallback_is_used() -> None:
    assert safe_next(RequestFactory().get("/x"), "/home/") == "/home/"
