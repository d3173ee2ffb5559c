"""The database unreachable (restarting, failing over, the network cut): every page and
poll answers 503 with a plain message to try again, instead of a 500 with a stack trace
in the log for each of a room full of operators' queue refreshes.

Django turns an exception anywhere in the chain (a view, the session saved on the way
out) into a response inside that layer, so the outermost middleware sees a 500 or a 400
(a session that could not be saved), not the exception. The exception is noted on the
request as it happens (got_request_exception) and the answer replaced on the way out; a
400 or 500 without a note is replaced only if the database does not answer a probe now.
"""

import json
import sys
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

UNREACHABLE = (OperationalError, InterfaceError)
MESSAGE = (
    "The desk cannot reach its database just now, so this was not done (what was saved "
    "before is safe): try again in a moment."
)
_NOTE = "_riskdesk_database_unreachable"


def _caused_by_the_database(error: BaseException | None) -> bool:
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, UNREACHABLE):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def note_unreachable(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    if request is not None and _caused_by_the_database(sys.exc_info()[1]):
        setattr(request, _NOTE, True)


got_request_exception.connect(note_unreachable, dispatch_uid="desk.database_unreachable")


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        connection.close()  # do not hand a broken connection to the next request
        return False


class DatabaseUnreachableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code not in (400, 500):
            return response
        if not getattr(request, _NOTE, False) and _database_answers():
            return response
        return unreachable_response(request)


def unreachable_response(request: HttpRequest) -> HttpResponse:
    """Rendered without the request's context: the header's who-is-on-duty and the
    session read the database."""
    if request.path.startswith("/api/"):
        body, kind = json.dumps({"detail": MESSAGE}), "application/json"
    elif request.headers.get("HX-Request"):
        body, kind = MESSAGE, "text/plain; charset=utf-8"
    else:
        body, kind = render_to_string("503.html", {"message": MESSAGE}), "text/html; charset=utf-8"
    response = HttpResponse(body, status=503, content_type=kind)
    response["Retry-After"] = "5"
    response["Cache-Control"] = "no-store"
    return response
