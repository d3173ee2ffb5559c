from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
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


def page_number(value: str | None) -> int:
    """The page a list was asked for (`?page=`), from 1; anything else is the first page."""
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def day_or_instant(raw: str) -> tuple[datetime, bool]:
    """A filter's time as people and links write it: a day (YYYY-MM-DD, midnight in the
    desk's zone) or an exact ISO-8601 time (the daily report's links carry UTC instants).
    Also whether it was exact. Raises ValueError for anything else."""
    try:
        day = datetime.strptime(raw, "%Y-%m-%d")
    except ValueError:
        exact = datetime.fromisoformat(raw)  # ValueError: neither
        return (exact if exact.tzinfo else timezone.make_aware(exact)), True
    return day.replace(tzinfo=timezone.get_current_timezone()), False


def signed_in_person(user: object) -> User | None:
    """The desk's person behind `request.user`, or None for an anonymous caller."""
    return user if isinstance(user, User) else None
