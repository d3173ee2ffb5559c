"""Restricted accounts are marked wherever accounts are listed: one selector says which (the
one meaning of "active restriction"), one tag draws the mark, one query per list."""

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.actions import services
from apps.actions.measures import Measure
from apps.actions.models import Restriction
from apps.actions.selectors import restricted_accounts
from apps.cases.services import case_open
from tests.actions.conftest import request_one
from tests.cases.helpers import alert_on, linked_cluster

pytestmark = pytest.mark.django_db

MARK = 'class="tag tag-late restricted-mark"'


@pytest.fixture
def held(operator, run_on_commit):
    """A cluster of three: the first under a withdrawal hold (carried out, no approval
    needed), the others free."""
    members = linked_cluster(key="C-held", size=3)
    with run_on_commit():
        hold = request_one(operator, Measure.WITHDRAWAL_HOLD, account_ids=[members.ids[0]])
    services.action_execute(hold.pk)  # with a broker the worker would; done already without
    assert Restriction.objects.get(account_id=members.ids[0]).status == "active"
    return members


def test_the_selector_names_the_restricted_accounts_and_their_measures(held) -> None:
    found = restricted_accounts([*held.ids, "U-nobody"])
    assert found == {held.ids[0]: ["Withdrawal hold"]}
    assert restricted_accounts([]) == {}


def test_a_restriction_past_its_expiry_marks_nobody(held) -> None:
    Restriction.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert restricted_accounts(held.ids) == {}
    # ... though it did at a moment before its expiry.
    assert restricted_accounts(held.ids, at=timezone.now() - timedelta(minutes=1))


def test_one_query_marks_a_whole_list(held, django_assert_num_queries) -> None:
    template = Template(
        "{% load actions_tags %}{% restricted_set accounts as restricted %}"
        "{% for a in accounts %}[{{ a.account_id }}{% restricted_mark a.account_id restricted %}]"
        "{% endfor %}"
    )
    with django_assert_num_queries(1):
        html = template.render(Context({"accounts": held.accounts}))
    first, *others = held.ids
    assert f"[{first}<span {MARK}" in html
    assert all(f"[{other}]" in html for other in others)
    assert 'title="Restricted now: Withdrawal hold"' in html


def test_the_tag_reads_alerts_queue_rows_and_bare_ids(held) -> None:
    alert = alert_on(held.ids[1:])  # free accounts only
    template = Template(
        "{% load actions_tags %}{% restricted_set rows as restricted %}"
        "{% for r in rows %}{% restricted_mark r restricted %}|{% endfor %}"
    )
    html = template.render(Context({"rows": [alert, alert_on(held.ids[:2]), held.ids[0]]}))
    assert html.count(MARK) == 2 and html.startswith("|")


def test_every_list_of_accounts_marks_the_restricted_one(client: Client, operator, held) -> None:
    alert = alert_on(held.ids[:2])
    case = case_open(alerts=[alert], by=operator).case
    client.force_login(operator)
    pages = {
        "queue": reverse("alerts:queue") + "?status=all&group=off",
        "alert page": reverse("alerts:detail", args=[alert.pk]),
        "case page": reverse("cases:detail", args=[case.pk]),
        "search": reverse("accounts:search") + "?q=" + held.ids[0],
        "clusters": reverse("accounts:clusters") + "?since=2000-01-01",
        "actions": reverse("actions:list"),
        "account page": reverse("accounts:detail", args=[held.ids[1]]),
    }
    for name, url in pages.items():
        html = client.get(url).content.decode()
        assert MARK in html, f"the {name} does not mark {held.ids[0]} restricted"
    graph = client.get(pages["case page"]).content.decode()
    assert 'class="node-restricted"' in graph and f"{held.ids[0]} (restricted)" in graph
    free = client.get(reverse("accounts:search") + "?q=" + held.ids[2]).content.decode()
    assert MARK not in free
