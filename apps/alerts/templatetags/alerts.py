from datetime import datetime
from functools import lru_cache

from django import template
from django.db.models import Model
from django.urls import get_script_prefix, reverse

register = template.Library()


@register.filter
def sla_left(due: datetime, now: datetime) -> str:
    """Time left to act as the queue shows it: "14m 05s", "3h 12m", or "-4m 10s" when late."""
    seconds = int((due - now).total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 24:
        return f"{sign}{hours // 24}d {hours % 24}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    return f"{sign}{minutes}m {secs:02d}s"


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


@register.filter
def get_item(mapping: dict, key: str) -> object:
    return mapping.get(key, 0)


@register.filter
def sla_late(alert: object, now: datetime) -> bool:
    return bool(alert.sla_breached(now))  # type: ignore[attr-defined]


_MARK = 987654321987  # a pk no alert has: reversed once, then replaced by each row's pk


@lru_cache(maxsize=64)
def _pattern(name: str, prefix: str) -> str:
    return reverse(name, args=[_MARK]).replace(str(_MARK), "{pk}")


@register.filter
def alert_link(alert: object, name: str) -> str:
    """`{% url name alert.pk %}` for a row of the queue, reversed once per URL name: fifty
    rows with four links each made 200 reversals, a quarter of the page's rendering."""
    return _pattern(name, get_script_prefix()).format(pk=alert.pk)  # type: ignore[attr-defined]


@lru_cache(maxsize=32)
def _labels(model: type[Model], name: str) -> dict[str, str]:
    field = model._meta.get_field(name)
    return {str(value): str(label) for value, label in getattr(field, "flatchoices", [])}


@register.filter
def label(obj: Model, name: str) -> str:
    """`obj.get_<name>_display()` from a dict built once: Django's rebuilds its lookup of the
    choices on every call, three times a row of the queue."""
    value = getattr(obj, name)
    return _labels(type(obj), name).get(value, value)
