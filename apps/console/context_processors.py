from typing import Any

from django.http import HttpRequest

from apps.people.access import role_of


def desk(request: HttpRequest) -> dict[str, Any]:
    role = role_of(request.user)
    return {
        "desk_role": role,
        "desk_role_label": role.label if role else "",
        # django-htmx's {% htmx_script %} looks for `csp_nonce`; django-csp 4 keeps it here.
        "csp_nonce": getattr(request, "csp_nonce", ""),
    }
