"""Customer service and the desk: a customer's contact or appeal, recorded by customer
service, becomes the desk's work with a time to answer; the answer goes back to customer
service in words safe for the customer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from apps.actions.models import CustomerContact
from apps.actions.services.common import ActionError
from apps.cases.selectors import open_case_on_account
from apps.cases.services import case_timeline_add
from apps.cases.vocabulary import EventKind
from apps.desk.history import save_by, task_work
from apps.desk.locking import locked
from apps.notifications.services import notify
from apps.people.access import has_role
from apps.people.roles import WORKING_ROLES, Role
from apps.people.selectors import active_supervisors
from apps.shifts.selectors import on_duty

if TYPE_CHECKING:
    from apps.accounts.models import ExchangeAccount
    from apps.cases.models import Case
    from apps.people.models import User

TEXT_LIMIT = 4000
Kind = CustomerContact.Kind


def contact_due(kind: str, at: datetime) -> datetime:
    return at + timedelta(minutes=settings.CUSTOMER_CONTACT_ANSWER_MINUTES[kind])


def _text(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ActionError(f"Write {what}: it is what the desk reads.")
    if len(text) > TEXT_LIMIT:
        raise ActionError(f"Keep {what} under {TEXT_LIMIT} characters (it has {len(text)}).")
    return text


def _operator_for(now: datetime) -> User | None:
    """The operator on duty with the fewest open contacts (the supervisor when nobody is)."""
    duty = on_duty(now)
    if not duty.operators:
        return duty.supervisor
    open_counts = dict(
        CustomerContact.objects.filter(status=CustomerContact.Status.OPEN)
        .values_list("assigned_to")
        .annotate(n=Count("pk"))
    )
    return min(duty.operators, key=lambda p: (open_counts.get(p.pk, 0), p.username))


def _open_case(account: ExchangeAccount) -> Case | None:
    return open_case_on_account(account.pk)


def contacts_url() -> str:
    return reverse("actions:contacts")


@transaction.atomic
def contact_record(*, by: User, account: ExchangeAccount, kind: str, text: str) -> CustomerContact:
    if not has_role(by, Role.CUSTOMER_SERVICE, Role.SUPERVISOR):
        raise ActionError("Only customer service records a customer's contact or appeal.")
    if kind not in Kind.values:
        raise ActionError("Say whether it is a contact or an appeal.")
    text = _text(text, "what the customer said")
    now = timezone.now()
    contact = CustomerContact(
        account=account,
        kind=kind,
        text=text,
        recorded_by=by,
        recorded_at=now,
        due_at=contact_due(kind, now),
        assigned_to=_operator_for(now),
        case=_open_case(account),
    )
    save_by(contact, by=by, reason=f"{Kind(kind).label.lower()} recorded")
    label = Kind(kind).label
    if contact.case is not None:
        case_timeline_add(
            case=contact.case,
            kind=EventKind.NOTE,
            by=by,
            text=f"{label} from the customer of {account.pk}: {text}",
            tell_followers=True,
        )
    due = timezone.localtime(contact.due_at).strftime("%H:%M")
    notify(
        recipients=[contact.assigned_to] if contact.assigned_to else list(active_supervisors()),
        kind="customer_contact",
        title=f"{label} from the customer of {account.pk}: answer by {due}",
        body=text,
        url=contacts_url() + f"#contact-{contact.pk}",
        skip=by,
    )
    return contact


@transaction.atomic
def contact_answer(*, by: User, contact: CustomerContact, answer: str) -> CustomerContact:
    if not has_role(by, *WORKING_ROLES):
        raise ActionError("An operator or a supervisor answers the customer's contact.")
    answer = _text(answer, "the answer customer service may give")
    contact = locked(contact, error=ActionError)
    if contact.status == CustomerContact.Status.ANSWERED:
        raise ActionError(f"{contact.answered_by} has already answered it.")
    contact.status = CustomerContact.Status.ANSWERED
    contact.answer = answer
    contact.answered_by = by
    contact.answered_at = timezone.now()
    save_by(contact, by=by, reason="answered")
    if contact.case_id:
        case_timeline_add(
            case=contact.case,  # type: ignore[arg-type]
            kind=EventKind.NOTE,
            by=by,
            text=f"Answered the customer's {contact.get_kind_display().lower()}: {answer}",
        )
    notify(
        recipients=[contact.recorded_by],
        kind="customer_contact",
        title=f"The desk answered the {contact.get_kind_display().lower()} about "
        f"{contact.account_id}",
        body=answer,
        url=reverse("lookup:account") + f"?q={contact.account_id}#contact-{contact.pk}",
        skip=by,
    )
    return contact


@task_work("actions.contacts_overdue")
def contacts_overdue_tell(*, now: datetime | None = None) -> int:
    """Open contacts past their time to answer: the supervisor on duty (else every one) is
    told once each."""
    now = now or timezone.now()
    told = 0
    due = CustomerContact.objects.filter(
        Q(status=CustomerContact.Status.OPEN), due_at__lte=now, overdue_told_at__isnull=True
    )
    for pk in due.values_list("pk", flat=True)[:200]:
        with transaction.atomic():
            contact = locked(CustomerContact.objects.get(pk=pk), error=ActionError)
            if contact.overdue_told_at or contact.status != CustomerContact.Status.OPEN:
                continue
            contact.overdue_told_at = now
            save_by(contact, by=None, fields=["overdue_told_at"], reason="overdue: supervisor told")
            supervisor = on_duty(now).supervisor
            late = int((now - contact.due_at).total_seconds() // 60)
            notify(
                recipients=[supervisor] if supervisor else list(active_supervisors()),
                kind="customer_contact",
                title=f"Overdue: the customer's {contact.get_kind_display().lower()} about "
                f"{contact.account_id} is {late} min past its time to answer",
                body=contact.text,
                url=contacts_url() + f"#contact-{contact.pk}",
            )
            told += 1
    return told
