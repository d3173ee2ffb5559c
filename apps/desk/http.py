from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from apps.people.models import User


class DeskRequest(HttpRequest):
    """A request as the desk's views see it: signed in (role_required saw to that), and
    django-htmx adds `htmx`."""

    user: User
    htmx: HtmxDetails
