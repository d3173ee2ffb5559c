"""Who may open what: every view names the roles it serves, and nothing else gets in."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from apps.people.roles import ROLE_PRECEDENCE, Role

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def roles_of(user: Any) -> set[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached = getattr(user, "_desk_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True)) & set(Role.values)
        user._desk_roles = cached
    return cached


def has_role(user: Any, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def role_of(user: Any) -> Role | None:
    """The role the header shows: the one with most reach the person holds."""
    held = roles_of(user)
    return next((role for role in ROLE_PRECEDENCE if role in held), None)


def role_required(*roles: str) -> Callable[[View], View]:
    """Let in signed-in people holding one of `roles`; send others to sign in or a 403."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise PermissionDenied("Your role does not open this page.")
            return view(request, *args, **kwargs)

        guarded.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


def public(view: View) -> View:
    """Mark a view that anyone may open (sign-in, health check)."""
    view.allowed_roles = None  # type: ignore[attr-defined]
    return view
