from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from apps.shifts.selectors import OnDuty
from apps.shifts.selectors import on_duty as select_on_duty


def on_duty(request: HttpRequest) -> dict[str, Any]:
    """Who is on duty, for the header: read at most once per request, and only if shown."""
    if not request.user.is_authenticated:
        return {"desk_time_zone": settings.DESK_TIME_ZONE}

    def read() -> OnDuty:
        cached = getattr(request, "_desk_on_duty", None)
        if cached is None:
            cached = select_on_duty()
            request._desk_on_duty = cached  # type: ignore[attr-defined]
        return cached

    return {"on_duty": SimpleLazyObject(read), "desk_time_zone": settings.DESK_TIME_ZONE}
