"""Customer service and the desk: the lookup finds an account by what the customer quotes
and says what they can and cannot do; a contact or appeal reaches the operator on duty
with a time to answer, is flagged when overdue, and its answer comes back."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Identifier
from apps.accounts.selectors import accounts_quoted
from apps.actions.customer_view import customer_can
from apps.actions.measures import Measure, Scope
from apps.actions.models import Action, CustomerContact, Restriction
from apps.actions.services import (
    ActionError,
    contact_answer,
    contact_record,
    contacts_overdue_tell,
)
from apps.notifications.models import Notification
from tests.factories import ExchangeAccountFactory, make_person
from tests.shifts.helpers import make_shift, now

pytestmark = pytest.mark.django_db


def _restrict(account, measure: str, *, hours: int | None = None) -> Restriction:
    at = timezone.now()
    action = Action.objects.create(
        measure=measure,
        scope=Scope.ACCOUNT,
        account=account,
        reason_code="investigation",
        customer_text="Under review.",
        requested_by=make_person(f"req{measure}", "operator"),
        requires_approval=False,
        status=Action.Status.EXECUTED,
    )
    return Restriction.objects.create(
        action=action,
        exchange_id=f"X-{action.pk}",
        measure=measure,
        scope=Scope.ACCOUNT,
        account=account,
        applied_at=at,
        expires_at=at + timedelta(hours=hours) if hours else None,
    )


def test_lookup_finds_an_account_whatever_the_case_and_by_a_funding_address() -> None:
    account = ExchangeAccountFactory.create(account_id="U000390")
    Identifier.objects.create(
        account=account,
        kind=Identifier.Kind.ADDRESS,
        value="bc1qXyZ",
        first_seen=datetime(2026, 11, 1, tzinfo=UTC),
        last_seen=datetime(2026, 11, 2, tzinfo=UTC),
    )
    assert list(accounts_quoted("u000390")) == [account]
    assert list(accounts_quoted(" BC1QXYZ ")) == [account]
    assert list(accounts_quoted("nobody")) == []


def test_it_says_what_the_customer_can_and_cannot_do_and_until_when() -> None:
    account = ExchangeAccountFactory.create()
    assert customer_can(account).cannot == []
    _restrict(account, Measure.WITHDRAWAL_HOLD, hours=24)
    _restrict(account, Measure.CLOSE_ONLY)
    said = customer_can(account)
    cannot = dict(said.cannot)
    assert cannot["withdraw funds"].startswith("until 20")
    assert cannot["open new positions"] == "until the desk lifts it (no end date set)"
    assert "close or reduce positions" in said.can and "deposit funds" in said.can


def test_an_appeal_goes_to_the_operator_on_duty_and_the_answer_comes_back(
    operator, supervisor, customer_service
) -> None:
    make_shift(starts_at=now() - timedelta(hours=1), operators=[operator], supervisor=supervisor)
    account = ExchangeAccountFactory.create()
    contact = contact_record(
        by=customer_service, account=account, kind="appeal", text="I need my funds for rent."
    )
    assert contact.assigned_to == operator
    assert timedelta(minutes=59) < contact.due_at - contact.recorded_at <= timedelta(minutes=60)
    told = Notification.objects.get(recipient=operator, kind="customer_contact")
    assert "Appeal" in told.title and "answer by" in told.title

    with pytest.raises(ActionError, match="Write"):
        contact_answer(by=operator, contact=contact, answer="  ")
    with pytest.raises(ActionError, match="operator or a supervisor"):
        contact_answer(by=customer_service, contact=contact, answer="ok")
    contact_answer(by=operator, contact=contact, answer="The hold ends tomorrow 10:00 UTC.")
    contact.refresh_from_db()
    assert contact.status == "answered" and contact.answered_by == operator
    back = Notification.objects.get(recipient=customer_service, kind="customer_contact")
    assert back.body == "The hold ends tomorrow 10:00 UTC."
    with pytest.raises(ActionError, match="already answered"):
        contact_answer(by=supervisor, contact=contact, answer="again")


def test_only_customer_service_records_and_a_blank_one_is_refused(operator, customer_service):
    account = ExchangeAccountFactory.create()
    with pytest.raises(ActionError, match="Only customer service"):
        contact_record(by=operator, account=account, kind="contact", text="hi")
    with pytest.raises(ActionError, match="Write"):
        contact_record(by=customer_service, account=account, kind="contact", text=" ")
    assert not CustomerContact.objects.exists()


def test_an_overdue_contact_is_flagged_to_the_supervisor_once(supervisor, customer_service):
    account = ExchangeAccountFactory.create()
    contact = contact_record(by=customer_service, account=account, kind="contact", text="Why?")
    assert contacts_overdue_tell(now=contact.due_at - timedelta(seconds=1)) == 0
    assert contacts_overdue_tell(now=contact.due_at + timedelta(minutes=3)) == 1
    assert contacts_overdue_tell(now=contact.due_at + timedelta(minutes=4)) == 0
    note = Notification.objects.filter(recipient=supervisor, title__startswith="Overdue")
    assert note.count() == 1 and "3 min past" in note.get().title


def test_a_refused_contact_keeps_its_text_on_the_page(customer_service) -> None:
    account = ExchangeAccountFactory.create()
    client = Client()
    client.force_login(customer_service)
    url = reverse("lookup:record_contact", args=[account.pk])
    page = client.post(url, {"kind": "bogus", "text": "My words stay"}, follow=True)
    body = page.content.decode()
    assert "contact or an appeal" in body and "My words stay" in body
    assert not CustomerContact.objects.exists()


def test_restricted_accounts_are_marked_on_their_page_and_in_search(operator) -> None:
    account = ExchangeAccountFactory.create(account_id="U000777")
    other = ExchangeAccountFactory.create(account_id="U000778")
    _restrict(account, Measure.WITHDRAWAL_HOLD)
    client = Client()
    client.force_login(operator)
    page = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert "restricted-mark" in page and "Alerts (0)" in page and "Cases" in page
    assert (
        "restricted-mark"
        not in client.get(reverse("accounts:detail", args=[other.pk])).content.decode()
    )
    found = client.get(reverse("accounts:search") + "?q=U00077").content.decode()
    assert found.count("restricted-mark") == 1
