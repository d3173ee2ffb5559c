"""Notes with mentions, watching, and the customer-safe reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from apps.cases.models import Case, CaseEvent, EventKind
from apps.cases.permissions import can_change_case, can_follow_case, can_read_case
from apps.cases.services.common import (
    CaseError,
    case_timeline_add,
    case_url,
    locked,
    mentioned_usernames,
    save_case,
)
from apps.notifications.services import notify
from apps.people.selectors import people_named

if TYPE_CHECKING:
    from apps.people.models import User

NOTE_LIMIT = 10_000


@transaction.atomic
def case_note(*, case: Case, by: User, text: str) -> CaseEvent:
    """A note on the timeline; each @username it names who may read the case is told."""
    text = text.strip()
    if not text:
        raise CaseError("Write something in the note.")
    if len(text) > NOTE_LIMIT:
        raise CaseError(f"A note holds at most {NOTE_LIMIT:,} characters.")
    case = locked(case)
    if not can_change_case(by, case):
        raise CaseError(f"Only the assignee of {case.ref} or a supervisor writes notes on it.")
    names = mentioned_usernames(text)
    people = [person for person in people_named(names, active_only=True) if can_read_case(person)]
    event = case_timeline_add(
        case=case,
        kind=EventKind.NOTE,
        by=by,
        text=text,
        data={"mentions": sorted(p.username for p in people)},
    )
    notify(
        recipients=people,
        kind="case.mention",
        title=f"{by} mentioned you on {case.ref}",
        body=text[:500],
        url=case_url(case) + f"#event-{event.pk}",
        skip=by,
    )
    return event


@transaction.atomic
def case_watch(*, case: Case, by: User, watching: bool) -> Case:
    if not can_follow_case(by):
        raise CaseError("Your role reads cases; it does not follow them.")
    case = locked(case)
    if case.watchers.filter(pk=by.pk).exists() == watching:
        return case
    if watching:
        case.watchers.add(by)
    else:
        case.watchers.remove(by)
    case_timeline_add(
        case=case,
        kind=EventKind.WATCH,
        by=by,
        text=f"{by} {'watches' if watching else 'stopped watching'} the case",
    )
    return case


@transaction.atomic
def case_set_customer_reason(*, case: Case, by: User, text: str) -> Case:
    """The wording customer service may read out; internal notes never go here."""
    text = text.strip()
    case = locked(case)
    if not can_change_case(by, case):
        raise CaseError(f"Only the assignee of {case.ref} or a supervisor words its reason.")
    if case.customer_reason == text:
        return case
    if len(text) > 1000:
        raise CaseError("Keep the customer-safe reason under 1,000 characters.")
    case.customer_reason = text
    save_case(case, by=by, reason="customer-safe reason changed", fields=["customer_reason"])
    case_timeline_add(case=case, kind=EventKind.REASON, by=by, text=text)
    return case
