"""How long a signed-in session lives, and what the browser may keep of what it was shown.

A session ends SESSION_IDLE_MINUTES after the person's last request. Pages poll (the queue
every few seconds, a case's timeline, the dashboard), and a poll is not the person: if it
counted, a tab left open on an unattended desk would stay signed in for ever. So the end of
the session is kept as a fixed time in the session, moved only by requests that are not
polls; a poll reads the session and leaves that time as it was, even if the poll writes to
the session (a message shown).

Polling elements mark their requests with the X-Desk-Poll header (hx-headers on the element;
a test checks every `hx-trigger="every …"` carries it).
"""

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from django.utils.cache import patch_cache_control

POLL_HEADER = "X-Desk-Poll"
RENEW = timedelta(minutes=1)  # the idle end moves in steps of at least this


def is_poll(request: HttpRequest) -> bool:
    return request.headers.get(POLL_HEADER) == "1"


class IdleSessionMiddleware:
    """After SessionMiddleware: a request of the person moves the session's end to
    SESSION_COOKIE_AGE from now (when that moves it by RENEW or more); a poll leaves it alone
    (SESSION_SAVE_EVERY_REQUEST is off)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        session = request.session
        # An empty session (never signed in, or just signed out) is not created by this.
        if not is_poll(request) and not session.is_empty():
            ends = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
            # Moved when it moves by a minute or more: a page a second would otherwise
            # write the session row (UPDATE + COMMIT) on every click.
            if "_session_expiry" not in session or ends - session.get_expiry_date() >= RENEW:
                session.set_expiry(ends)
        return response


class NoStoreWhenSignedInMiddleware:
    """What a signed-in person or a token is shown (pages, fragments, API answers, the CSV
    export) is never kept by a browser or a proxy: a shared desk machine must not give it to
    the next person through the back button or the cache. Static files never reach here
    (WhiteNoise answers them first) and stay cacheable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # DRF sets request.user on this request too, so a token's answer counts as signed in.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response
