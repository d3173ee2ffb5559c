from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from apps.people.access import has_role


class HasDeclaredRole(BasePermission):
    """Fail closed: an endpoint must name `allowed_roles`; only those roles get through."""

    message = "Your role cannot use this endpoint."

    def has_permission(self, request: Request, view: Any) -> bool:
        roles = getattr(view, "allowed_roles", None)
        if not roles:
            raise ImproperlyConfigured(f"{type(view).__name__} declares no allowed_roles.")
        return bool(request.user and request.user.is_authenticated) and has_role(
            request.user, *roles
        )
