"""The database unreachable: 503 and a plain message, on pages, polls and the API; any other
error stays what it is."""

import pytest
from django.core.handlers.exception import convert_exception_to_response
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse

from apps.desk.unreachable import MESSAGE, DatabaseUnreachableMiddleware

pytestmark = pytest.mark.django_db


def _through(view, request: HttpRequest) -> HttpResponse:
    return DatabaseUnreachableMiddleware(convert_exception_to_response(view))(request)


def _database_gone(request: HttpRequest) -> HttpResponse:
    raise OperationalError("connection failed: server closed the connection unexpectedly")


def _bug(request: HttpRequest) -> HttpResponse:
    raise ValueError("a plain bug")


@pytest.fixture(autouse=True)
def production_errors(settings) -> None:
    settings.DEBUG = False  # a real 500 page, not the debug one


def test_a_page_gets_a_503_page_that_says_to_try_again(rf) -> None:
    response = _through(_database_gone, rf.get("/alerts/"))
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert MESSAGE in response.content.decode() and "<title>" in response.content.decode()


def test_a_poll_gets_the_message_alone_and_the_api_json(rf) -> None:
    poll = _through(_database_gone, rf.get("/alerts/", headers={"HX-Request": "true"}))
    assert poll.status_code == 503 and poll.content.decode() == MESSAGE
    api = _through(_database_gone, rf.get("/api/v1/alerts/"))
    assert api.status_code == 503 and api["Content-Type"] == "application/json"


def test_a_bug_with_the_database_up_stays_a_500(rf) -> None:
    assert _through(_bug, rf.get("/alerts/")).status_code == 500
