from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails

from apps.people.models import User


class DeskRequest(HttpRequest):
    """A request as the desk's views see it: signed in (role_required saw to that), and
    django-htmx adds `htmx`."""

    user: User
    htmx: HtmxDetails


def local_url(request: HttpRequest, url: str, fallback: str = "") -> str:
    """`url` if it is a page of this console, else fallback: the one check before the desk
    redirects anywhere it was told to (a `next`, a stored link), so a link sent to a
    supervisor cannot take them from an approval to a look-alike site (an open redirect)."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return fallback


def safe_next(request: HttpRequest, fallback: str = "") -> str:
    """Where `next` (POST, else GET) asks to go, if it is a page of this console."""
    return local_url(request, request.POST.get("next") or request.GET.get("next") or "", fallback)
