"""The one way a service locks the row it is about to change (STYLE.md, step 2)."""

from typing import TypeVar

from django.db import models

from apps.desk.errors import DomainError

M = TypeVar("M", bound=models.Model)


def locked(row: M, *, error: type[DomainError] = DomainError) -> M:
    """`row` read again under SELECT ... FOR UPDATE: two people clicking at once queue here,
    and the second sees what the first wrote. A row deleted meanwhile raises `error` with a
    message for people, not DoesNotExist.

    No joins: a row joined to a locked one is read from the snapshot taken before the wait,
    so a just-committed change to it would not show.
    """
    model = type(row)
    found = model._default_manager.select_for_update().filter(pk=row.pk).first()
    if found is None:
        raise error(f"{str(model._meta.verbose_name).capitalize()} {row.pk} no longer exists.")
    return found
