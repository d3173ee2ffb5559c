"""History rows name who acted: the signed-in person, or the task when no person acts.

simple-history records `history_user` from the request (HistoryRequestMiddleware). Work
done by Celery tasks and management commands has no request, so they run inside
`acting_task("name")` and every history row written meanwhile carries that name.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import models

_current_task: ContextVar[str] = ContextVar("riskdesk_current_task", default="")


class HistoryStamp(models.Model):
    """Extra columns on every historical table."""

    history_task = models.CharField(max_length=120, blank=True, default="")

    class Meta:
        abstract = True


@contextmanager
def acting_task(name: str) -> Iterator[None]:
    token = _current_task.set(name)
    try:
        yield
    finally:
        _current_task.reset(token)


def current_task() -> str:
    return _current_task.get()


def _stamp(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    if hasattr(history_instance, "history_task") and not history_instance.history_task:
        history_instance.history_task = _current_task.get()


def connect() -> None:
    from simple_history.signals import pre_create_historical_record

    pre_create_historical_record.connect(_stamp, dispatch_uid="desk.history_stamp")


# Models whose history the desk shows: key in the URL -> (model, roles that may read it).
_HISTORY_MODELS: dict[str, tuple[type[models.Model], frozenset[str]]] = {}


def register_history(key: str, model: type[models.Model], roles: tuple[str, ...]) -> None:
    _HISTORY_MODELS[key] = (model, frozenset(roles))


def history_model(key: str) -> tuple[type[models.Model], frozenset[str]] | None:
    return _HISTORY_MODELS.get(key)


def history_keys() -> list[str]:
    return sorted(_HISTORY_MODELS)


def save_by(
    instance: models.Model, *, by: Any, fields: list[str] | None = None, reason: str = ""
) -> None:
    """Save `instance` with its history row naming `by` (and why), whether or not a request
    is in flight: services are called from pages, the API, tasks and the shell alike."""
    instance._history_user = by  # type: ignore[attr-defined]
    if reason:
        instance._change_reason = reason  # type: ignore[attr-defined]
    if fields is None:
        instance.save()
    else:
        instance.save(update_fields=fields)
