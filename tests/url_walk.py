"""Every URL the console serves, with the roles its view declares (apps.people.access)."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

# Django admin keeps its own staff-only sign-in; these prefixes are not desk pages.
OUTSIDE_THE_DESK = ("admin/",)


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    view: Any
    allowed_roles: Any  # the roles; None: public; ... (Ellipsis): undeclared


def _walk(patterns: list[Any], namespace: str = "", prefix: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            space = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, space, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else ""
            view = entry.callback
            # A DRF view declares its roles on the class (apps.people.api_access).
            declared = getattr(getattr(view, "cls", None), "allowed_roles", ...)
            yield Route(
                name, prefix + str(entry.pattern), view, getattr(view, "allowed_roles", declared)
            )


def desk_routes() -> list[Route]:
    return [
        r for r in _walk(get_resolver().url_patterns) if not r.pattern.startswith(OUTSIDE_THE_DESK)
    ]
