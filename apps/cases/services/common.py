"""What every case service shares: the error, the lock, the timeline, who is told."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.cases.models import Case, CaseEvent
from apps.cases.permissions import can_change_case
from apps.desk.errors import DomainError
from apps.desk.history import current_task, save_by
from apps.desk.locking import locked as locked_row
from apps.notifications.services import notify

if TYPE_CHECKING:
    from apps.people.models import User


class CaseError(DomainError):
    """A move the desk does not allow; the message is shown to the person as it is."""


def locked(case: Case) -> Case:
    return locked_row(case, error=CaseError)


def check_can_change(case: Case, by: User) -> None:
    if not can_change_case(by, case):
        raise CaseError(f"Only the assignee of {case.ref} or a supervisor can change it.")


def due_for(severity: str, now: datetime) -> datetime:
    return now + timedelta(hours=settings.CASE_DUE_HOURS[severity])


def case_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.pk])


def save_case(case: Case, *, by: User | None, reason: str, fields: list[str] | None) -> None:
    save_by(case, by=by, fields=fields, reason=reason)


@transaction.atomic
def case_timeline_add(
    *,
    case: Case,
    kind: str,
    by: User | None,
    text: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
    tell_followers: bool = False,
) -> CaseEvent:
    """Add one line to a case's timeline. Other apps (actions: requested / approved /
    executed, restrictions) call this; `by` None means a task did it (named by
    apps.desk.history.acting_task). With `tell_followers`, the assignee and watchers hear."""
    event = CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=by,
        task=current_task(),
        text=text,
        data=data or {},
        at=at or timezone.now(),
    )
    if tell_followers:
        title = f"{case.ref}: {event.get_kind_display().lower()}"
        notify(
            recipients=followers(case),
            kind=f"case.{kind}",
            title=title,
            body=text,
            url=case_url(case),
            skip=by,
        )
    return event


def followers(case: Case) -> list[User]:
    people = list(case.watchers.all())
    if case.assignee is not None and case.assignee not in people:
        people.append(case.assignee)
    return people


_MENTION = re.compile(r"(?<![\w@])@([\w.+-]+)")


def mentioned_usernames(text: str) -> list[str]:
    """'@sam' and '@sam.' both name sam: a sentence's full stop is not part of a name."""
    return list(dict.fromkeys(name.rstrip(".-") for name in _MENTION.findall(text)))
