import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import Identifier
from tests.factories import ExchangeAccountFactory, IdentifierFactory


@pytest.fixture
def signed_in(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


@pytest.mark.django_db
def test_search_by_ip_finds_every_account_that_used_it(signed_in) -> None:
    users = [IdentifierFactory(value="203.0.113.7").account for _ in range(37)]
    IdentifierFactory(value="203.0.113.70")  # a different IP that starts the same way
    IdentifierFactory(value="198.51.100.1")
    response = signed_in.get(reverse("accounts:search"), {"q": "203.0.113.7"})
    hits = {hit.account.account_id for hit in response.context["result"].hits}
    assert {u.account_id for u in users} <= hits
    assert response.context["result"].total == 38  # the exact IP's 37 and the .70 prefix match


@pytest.mark.django_db
def test_search_by_device_and_by_funding_address(signed_in) -> None:
    device = IdentifierFactory(kind=Identifier.Kind.DEVICE, value="dev-9f2c41")
    address = IdentifierFactory(kind=Identifier.Kind.ADDRESS, value="0xabc123def")
    for query, expected in (("dev-9f2c41", device.account), ("0xabc123def", address.account)):
        result = signed_in.get(reverse("accounts:search"), {"q": query}).context["result"]
        assert [hit.account for hit in result.hits] == [expected]


@pytest.mark.django_db
def test_search_by_account_id_prefix(signed_in) -> None:
    ExchangeAccountFactory(account_id="U777001")
    ExchangeAccountFactory(account_id="U777002")
    ExchangeAccountFactory(account_id="U888001")
    result = signed_in.get(reverse("accounts:search"), {"q": "U777"}).context["result"]
    assert sorted(hit.account.account_id for hit in result.hits) == ["U777001", "U777002"]


@pytest.mark.django_db
def test_search_as_you_type_answers_htmx_with_the_results_fragment_only(signed_in) -> None:
    IdentifierFactory(value="192.0.2.55")
    response = signed_in.get(
        reverse("accounts:search"), {"q": "192.0.2.55"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert 'id="results"' in body and "<html" not in body


@pytest.mark.django_db
def test_a_one_letter_search_asks_for_more(signed_in) -> None:
    response = signed_in.get(reverse("accounts:search"), {"q": "U"})
    assert b"at least 2 characters" in response.content


@pytest.mark.django_db
def test_account_page_shows_identifiers_and_how_many_others_share_them(signed_in) -> None:
    mine = IdentifierFactory(value="100.64.0.9")
    IdentifierFactory(value="100.64.0.9")
    response = signed_in.get(reverse("accounts:detail", args=[mine.account.account_id]))
    assert response.status_code == 200
    rows = response.context["identifiers"]
    assert [(r.identifier.value, r.shared_with) for r in rows] == [("100.64.0.9", 1)]


@pytest.mark.django_db
@pytest.mark.parametrize("accounts", [3, 60])
def test_search_page_runs_a_constant_number_of_queries(
    signed_in, django_assert_max_num_queries, accounts: int
) -> None:
    users = {IdentifierFactory(value="172.16.5.5").account.account_id for _ in range(accounts)}
    IdentifierFactory(value="172.16.9.9")  # shares no prefix with the query: never a hit
    # 12: the 11 of the search page, and one marking the restricted accounts among the hits.
    with django_assert_max_num_queries(12):
        response = signed_in.get(reverse("accounts:search"), {"q": "172.16.5.5"})
    # The same few queries for 3 accounts or 60, and they found exactly those accounts.
    result = response.context["result"]
    assert result.total == accounts
    assert {hit.account.account_id for hit in result.hits} == users
    page = response.content.decode()
    assert all(account_id in page for account_id in users)
