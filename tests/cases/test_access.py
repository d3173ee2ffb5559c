"""Who may do what to a case: the assignee and supervisors change it, other operators and
strategy read it, customer service never opens it, auditors read everything and change
nothing, anonymous people are sent to sign in."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.cases.models import Case, EventKind, Status
from apps.cases.services import CaseError, case_assign, case_move, case_note, case_open
from tests.cases.helpers import alert_on, linked_cluster
from tests.factories import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(operator, supervisor, auditor, customer_service, strategist):
    return {
        "assignee": operator,
        "other_operator": make_person("otto", "operator"),
        "supervisor": supervisor,
        "strategy": strategist,
        "customer_service": customer_service,
        "auditor": auditor,
    }


@pytest.fixture
def case(operator) -> Case:
    members = linked_cluster()
    return case_open(alerts=[alert_on(members.ids[:1])], by=operator).case


READS = {
    "assignee": 200,
    "other_operator": 200,
    "supervisor": 200,
    "strategy": 200,
    "customer_service": 403,
    "auditor": 200,
}
CHANGES = {
    "assignee": True,
    "other_operator": False,
    "supervisor": True,
    "strategy": False,
    "customer_service": False,
    "auditor": False,
}


@pytest.mark.parametrize("who", list(READS))
def test_the_case_page_opens_for_exactly_the_readers(cast, case, who) -> None:
    client = Client()
    client.force_login(cast[who])
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == READS[who]
    body = page.content.decode()
    # A reader sees the case; only a changer gets the forms. A refused person sees neither.
    assert (case.ref in body) == (READS[who] == 200)
    assert ('id="move-form"' in body) == CHANGES[who]


@pytest.mark.parametrize("who", list(CHANGES))
def test_a_status_move_goes_through_for_exactly_the_changers(cast, case, who) -> None:
    client = Client()
    client.force_login(cast[who])
    response = client.post(reverse("cases:move", args=[case.pk]), {"to": "investigating"})
    moved = Case.objects.get(pk=case.pk).status == Status.INVESTIGATING
    assert moved == CHANGES[who]
    expected = (302, reverse("cases:detail", args=[case.pk])) if CHANGES[who] else (403, None)
    assert (response.status_code, response.get("Location")) == expected


@pytest.mark.parametrize("who", list(CHANGES))
def test_the_service_itself_refuses_everyone_but_the_changers(cast, case, who) -> None:
    if CHANGES[who]:
        case_note(case=case, by=cast[who], text=f"note by {who}")
    else:
        with pytest.raises(CaseError, match="Only the assignee"):
            case_note(case=case, by=cast[who], text=f"note by {who}")
    notes = list(case.events.filter(kind=EventKind.NOTE).values_list("actor", "text"))
    assert notes == ([(cast[who].pk, f"note by {who}")] if CHANGES[who] else [])


@pytest.mark.parametrize("who", ["customer_service", "auditor", "strategy"])
def test_only_operators_and_supervisors_open_cases(cast, who) -> None:
    members = linked_cluster("C-other")
    with pytest.raises(CaseError, match="Only risk operators and supervisors open cases"):
        case_open(alerts=[alert_on(members.ids[:1])], by=cast[who])
    client = Client()
    client.force_login(cast[who])
    assert client.get(reverse("cases:new")).status_code == 403


def test_anonymous_people_are_sent_to_sign_in(case) -> None:
    response = Client().get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 302 and "/sign-in/" in response["Location"]
    response = Client().post(reverse("cases:move", args=[case.pk]), {"to": "investigating"})
    assert response.status_code == 302 and Case.objects.get(pk=case.pk).status == Status.OPEN


def test_reassignment_moves_the_object_permission(cast, case) -> None:
    old, new = cast["assignee"], cast["other_operator"]
    case_assign(case=case, to=new, by=cast["supervisor"])
    assert new.has_perm("cases.change_case", case)
    old = type(old).objects.get(pk=old.pk)  # a fresh user: guardian caches per object
    assert not old.has_perm("cases.change_case", case)
    with pytest.raises(CaseError):
        case_move(case=case, to=Status.INVESTIGATING, by=old)
    case_move(case=case, to=Status.INVESTIGATING, by=new)


def test_an_operator_cannot_give_away_a_case_that_is_not_theirs(cast, case) -> None:
    with pytest.raises(CaseError, match="Only the assignee"):
        case_assign(case=case, to=cast["other_operator"], by=cast["other_operator"])


def test_a_case_goes_only_to_people_who_work_cases(cast, case) -> None:
    with pytest.raises(CaseError, match="not a risk operator or supervisor"):
        case_assign(case=case, to=cast["auditor"], by=cast["supervisor"])
