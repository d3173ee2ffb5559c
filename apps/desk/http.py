from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class DeskRequest(HttpRequest):
    """A request as the desk's views see it: django-htmx adds `htmx`."""

    htmx: HtmxDetails
