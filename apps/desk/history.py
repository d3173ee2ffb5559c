"""History rows name who acted: the signed-in person, or the task when no person acts.

simple-history records `history_user` from the request (HistoryRequestMiddleware). Work
done by Celery tasks and management commands has no request, so they run inside
`acting_task("name")` and every history row written meanwhile carries that name.
"""

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models, transaction

from apps.desk.audit import chain_history

_current_task: ContextVar[str] = ContextVar("riskdesk_current_task", default="")
M = TypeVar("M", bound=models.Model)
F = TypeVar("F", bound=Callable[..., Any])


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


def task_work(name: str) -> Callable[[F], F]:
    """For a service no person ever runs — a scan, a worker's step: its history rows name
    the task running it, or `name` when it is called directly (the shell, a test)."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            with acting_task(_current_task.get() or name):
                return function(*args, **kwargs)

        return cast(F, run)

    return decorate


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


class NoActor(RuntimeError):
    """A history row would name nobody: the service was given no person and runs outside
    acting_task. A programming error, never shown to people."""


def _actor(by: AbstractBaseUser | None, what: models.Model | type[models.Model]) -> None:
    if by is None and not _current_task.get():
        raise NoActor(f"{what}: name the person, or run inside acting_task(...).")


def save_by(
    instance: models.Model,
    *,
    by: AbstractBaseUser | None,
    fields: Iterable[str] | None = None,
    reason: str = "",
) -> None:
    """Save `instance` with its history row naming `by` (and why), whether or not a request
    is in flight: services are called from pages, the API, tasks and the shell alike. `by`
    None is a task's work, named by acting_task; with neither, NoActor."""
    _actor(by, instance)
    instance._history_user = by  # type: ignore[attr-defined]
    if reason:
        instance._change_reason = reason  # type: ignore[attr-defined]
    if fields is None:
        instance.save()
        return
    # The audit chain records these fields as the change (apps.desk.audit).
    instance._audit_fields = list(fields)  # type: ignore[attr-defined]
    try:
        instance.save(update_fields=list(fields))
    finally:
        del instance._audit_fields  # type: ignore[attr-defined]


def delete_by(instance: models.Model, *, by: AbstractBaseUser | None, reason: str = "") -> None:
    """Delete `instance`; its last history row names `by` as save_by's does."""
    _actor(by, instance)
    instance._history_user = by  # type: ignore[attr-defined]
    if reason:
        instance._change_reason = reason  # type: ignore[attr-defined]
    instance.delete()


def bulk_create_by(
    rows: list[M], model: type[M], *, by: AbstractBaseUser | None, reason: str
) -> list[M]:
    """Insert many rows in one statement per table, each with a history row naming `by`
    (or the task) — a 1,000-account cluster is one step."""
    _actor(by, model)
    with transaction.atomic():
        created = model._default_manager.bulk_create(rows, batch_size=500)
        history = model.history.bulk_history_create(  # type: ignore[attr-defined]
            created,
            batch_size=500,
            default_user=by,
            default_change_reason=reason,
            custom_historical_attrs={"history_task": _current_task.get()},
        )
        chain_history(model, history)
    return created


def bulk_update_by(
    rows: list[M], model: type[M], fields: list[str], *, by: AbstractBaseUser | None, reason: str
) -> None:
    """Update `fields` of many rows, each with a history row naming `by` (or the task)."""
    _actor(by, model)
    with transaction.atomic():
        model._default_manager.bulk_update(rows, fields, batch_size=500)
        history = model.history.bulk_history_create(  # type: ignore[attr-defined]
            rows,
            batch_size=500,
            update=True,
            default_user=by,
            default_change_reason=reason,
            custom_historical_attrs={"history_task": _current_task.get()},
        )
        chain_history(model, history, fields=fields)
