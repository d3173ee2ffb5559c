import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from apps.actions import services
from apps.actions.measures import Measure
from apps.actions.models import AccountLookup, Action
from tests.actions.conftest import request_one
from tests.factories import ControlClusterFactory, ExchangeAccountFactory

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


FREEZE_FORM = {
    "measure": "freeze",
    "scope": "account",
    "accounts": "U777001",
    "reason_code": "self_trade",
    "customer_text": "Your account is under review for unusual trading.",
    "internal_note": "41 self-trades, see alert",
}


def test_the_request_form_shows_what_will_happen_before_submitting(
    operator, supervisor, account
) -> None:
    client = client_for(operator)
    page = client.get(reverse("actions:new"), {"account": account.account_id})
    assert page.status_code == 200 and b"U777001" in page.content
    preview = client.post(reverse("actions:preview"), FREEZE_FORM, headers={"HX-Request": "true"})
    text = preview.content.decode()
    assert 'id="plan"' in text and "<html" not in text
    assert "a supervisor other than you must approve: Sam" in text
    assert "PUT /restrictions/A-…" in text and "never — until lifted" in text
    bad = client.post(
        reverse("actions:preview"),
        FREEZE_FORM | {"scope": "platform"},
        headers={"HX-Request": "true"},
    )
    assert "Freeze applies to: account." in bad.content.decode()
    assert not Action.objects.exists()


def test_an_operator_requests_from_the_form_and_lands_on_the_action(
    operator, supervisor, account
) -> None:
    response = client_for(operator).post(reverse("actions:new"), FREEZE_FORM)
    action = Action.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "actions:detail", args=[action.pk]
    )
    assert action.status == Action.Status.AWAITING_APPROVAL and action.internal_note
    refused = client_for(operator).post(reverse("actions:new"), FREEZE_FORM | {"accounts": "NOPE"})
    assert refused.status_code == 400 and "Unknown account: NOPE." in refused.content.decode()


def test_a_whole_cluster_is_requested_from_the_account_page(operator, supervisor) -> None:
    cluster = ControlClusterFactory(key="C00077", size=3)
    members: list[Any] = [ExchangeAccountFactory(cluster=cluster) for _ in range(3)]
    page = client_for(operator).get(reverse("accounts:detail", args=[members[0].account_id]))
    assert "?cluster=C00077" in page.content.decode()
    form = client_for(operator).get(reverse("actions:new"), {"cluster": "C00077"})
    assert all(m.account_id in form.content.decode() for m in members)
    accounts = "\n".join(m.account_id for m in members)
    client_for(operator).post(reverse("actions:new"), FREEZE_FORM | {"accounts": accounts})
    assert Action.objects.filter(batch__isnull=False).count() == 3
    inbox = client_for(supervisor).get(reverse("actions:inbox")).content.decode()
    assert "Approve all 3" in inbox


def test_the_inbox_never_offers_a_supervisor_their_own_request(
    operator, supervisor, second_supervisor
) -> None:
    theirs = request_one(operator)
    mine = request_one(supervisor)
    page = client_for(supervisor).get(reverse("actions:inbox")).content.decode()
    assert reverse("actions:approve", args=[theirs.pk]) in page
    assert reverse("actions:approve", args=[mine.pk]) not in page
    assert "You requested this" in page
    # …and the service refuses it when posted anyway.
    client_for(supervisor).post(reverse("actions:approve", args=[mine.pk]))
    mine.refresh_from_db()
    assert mine.status == Action.Status.AWAITING_APPROVAL


def test_approving_from_the_inbox_with_htmx_answers_the_decided_fragment(
    operator, supervisor, run_on_commit
) -> None:
    freeze = request_one(operator)
    with run_on_commit():
        response = client_for(supervisor).post(
            reverse("actions:approve", args=[freeze.pk]),
            {"confirmed": "yes"},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200 and "<html" not in response.content.decode()
    assert "Approved, queued" in response.content.decode()
    freeze.refresh_from_db()
    assert freeze.status == Action.Status.EXECUTED


def test_a_rejection_without_a_reason_is_refused_on_the_page(operator, supervisor) -> None:
    freeze = request_one(operator)
    response = client_for(supervisor).post(
        reverse("actions:reject", args=[freeze.pk]), {"reason": ""}, headers={"HX-Request": "true"}
    )
    assert "Say why you reject it" in response.content.decode()
    client_for(supervisor).post(
        reverse("actions:reject", args=[freeze.pk]), {"reason": "Not enough evidence"}
    )
    freeze.refresh_from_db()
    assert freeze.status == Action.Status.REJECTED and freeze.rejected_by == supervisor


@pytest.mark.parametrize(
    "elsewhere", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"]
)
def test_approving_or_rejecting_never_sends_the_supervisor_to_another_site(
    operator, supervisor, run_on_commit, elsewhere
) -> None:
    freeze, ban = request_one(operator), request_one(operator)
    client = client_for(supervisor)
    with run_on_commit():
        approved = client.post(
            reverse("actions:approve", args=[freeze.pk]), {"next": elsewhere, "confirmed": "yes"}
        )
    rejected = client.post(
        reverse("actions:reject", args=[ban.pk]), {"reason": "No grounds", "next": elsewhere}
    )
    assert approved.status_code == 302
    assert approved["Location"] == reverse("actions:detail", args=[freeze.pk])
    assert rejected["Location"] == reverse("actions:detail", args=[ban.pk])


def test_rejecting_from_the_inbox_goes_back_to_the_inbox(operator, supervisor) -> None:
    freeze = request_one(operator)
    inbox = reverse("actions:inbox")
    response = client_for(supervisor).post(
        reverse("actions:reject", args=[freeze.pk]), {"reason": "No grounds", "next": inbox}
    )
    assert response["Location"] == inbox


def test_an_operator_cannot_approve_from_the_page(operator, supervisor) -> None:
    freeze = request_one(supervisor)
    assert (
        client_for(operator).post(reverse("actions:approve", args=[freeze.pk])).status_code == 403
    )


def test_the_action_page_polls_while_open_and_stops_when_done(
    operator, supervisor, run_on_commit
) -> None:
    freeze = request_one(operator)
    client = client_for(operator)
    fragment = client.get(
        reverse("actions:detail", args=[freeze.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "Awaiting approval" in fragment
    with run_on_commit():
        services.action_approve(action=freeze, by=supervisor)
    fragment = client.get(
        reverse("actions:detail", args=[freeze.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "hx-trigger" not in fragment
    assert "approved by <strong>Sam</strong>" in fragment
    assert f"PUT /restrictions/{freeze.reference}" in fragment and "201" in fragment


def test_the_account_page_shows_active_restrictions_with_their_reasons(
    operator, supervisor, account, run_on_commit
) -> None:
    with run_on_commit():
        freeze = request_one(operator, account_ids=[account.account_id])
        services.action_approve(action=freeze, by=supervisor)
    page = (
        client_for(operator)
        .get(reverse("accounts:detail", args=[account.account_id]))
        .content.decode()
    )
    assert "Freeze" in page and freeze.reference in page and "Self-trading" in page


def test_customer_service_sees_the_customer_wording_never_the_internal_note(
    operator, supervisor, customer_service, account, run_on_commit
) -> None:
    with run_on_commit():
        freeze = request_one(
            operator,
            account_ids=[account.account_id],
            internal_note="linked to C00042, 41 self-trades",
        )
        services.action_approve(action=freeze, by=supervisor)
    page = (
        client_for(customer_service)
        .get(reverse("lookup:account"), {"q": account.account_id})
        .content.decode()
    )
    assert "restricted" in page and "Your account is under review for unusual trading." in page
    assert freeze.reference in page and "until further notice" in page
    assert "C00042" not in page and "self-trades" not in page and "Self-trading" not in page
    lookup = AccountLookup.objects.get()
    assert (lookup.looked_up_by, lookup.account, lookup.was_restricted) == (
        customer_service,
        account,
        True,
    )
    client_for(customer_service).get(reverse("lookup:account"), {"q": "U-missing"})
    assert AccountLookup.objects.filter(query="U-missing", account=None).exists()


def test_the_audit_export_lists_requester_approver_times_and_results(
    operator, supervisor, auditor, run_on_commit
) -> None:
    with run_on_commit():
        freeze = request_one(operator)
        services.action_approve(action=freeze, by=supervisor)
        request_one(operator, Measure.TRADING_BAN)
    response = client_for(auditor).get(reverse("actions:export"), {"measure": "freeze"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1
    (row,) = rows
    assert (row["reference"], row["requested_by"], row["approved_by"], row["status"]) == (
        freeze.reference,
        "olga",
        "sam",
        "executed",
    )
    assert (
        row["requested_at"]
        and row["decided_at"]
        and row["executed_at"]
        and '"status": "active"' in row["exchange_answer"]
    )
    assert client_for(operator).get(reverse("actions:export")).status_code == 403


def test_list_pages_take_a_fixed_number_of_queries(
    operator, supervisor, django_assert_max_num_queries
) -> None:
    for _ in range(30):
        request_one(operator)
    client = client_for(supervisor)
    # 13: the header counts the approvals waiting (one selector: header, home, inbox).
    with django_assert_max_num_queries(13):
        assert client.get(reverse("actions:list")).status_code == 200
    # …and the inbox: its alerts (the evidence links) and the count, read once for both.
    with django_assert_max_num_queries(14):
        assert client.get(reverse("actions:inbox")).status_code == 200


def test_approving_a_freeze_first_shows_its_reach_and_asks_to_confirm(
    operator, supervisor, run_on_commit
) -> None:
    freeze = request_one(operator)
    client = client_for(supervisor)
    url = reverse("actions:approve", args=[freeze.pk])
    shown = client.post(url, {"next": reverse("actions:inbox")}, headers={"HX-Request": "true"})
    html = shown.content.decode()
    assert 'id="confirm-accounts"' in html and str(freeze.account_id) in html
    assert "no trading, deposit or withdrawal" in html and 'name="confirmed" value="yes"' in html
    assert "positions and notional are unknown" in html  # no snapshot on the desk: said so
    freeze.refresh_from_db()
    assert freeze.status == Action.Status.AWAITING_APPROVAL
    with run_on_commit():
        client.post(url, {"confirmed": "yes"}, headers={"HX-Request": "true"})
    freeze.refresh_from_db()
    assert freeze.status == Action.Status.EXECUTED and freeze.approved_by == supervisor


def test_a_light_measure_is_approved_in_one_click(operator, supervisor, run_on_commit) -> None:
    from apps.actions.measures import Measure, Scope

    ban = request_one(operator, Measure.TRADING_BAN, scope=Scope.SYMBOL, symbol="BTCUSDT")
    hold = request_one(operator, Measure.WITHDRAWAL_HOLD)
    client = client_for(supervisor)
    wide = client.post(reverse("actions:approve", args=[ban.pk]))
    assert "for every account" in wide.content.decode()  # symbol-wide: confirm first
    if hold.status == Action.Status.AWAITING_APPROVAL:
        with run_on_commit():
            client.post(reverse("actions:approve", args=[hold.pk]))
        hold.refresh_from_db()
        assert hold.status != Action.Status.AWAITING_APPROVAL


def test_a_blank_rejection_keeps_the_card_and_its_form(operator, supervisor) -> None:
    freeze = request_one(operator)
    response = client_for(supervisor).post(
        reverse("actions:reject", args=[freeze.pk]),
        {"reason": "  "},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "Say why you reject it" in html
    assert "data-reject" in html and reverse("actions:approve", args=[freeze.pk]) in html


def test_a_rejected_measure_names_who_rejected_it(operator, supervisor) -> None:
    freeze = request_one(operator)
    response = client_for(supervisor).post(
        reverse("actions:reject", args=[freeze.pk]),
        {"reason": "Not enough evidence"},
        headers={"HX-Request": "true"},
    )
    assert "Rejected</span> by <strong>Sam" in response.content.decode()


def test_header_home_and_inbox_count_the_same_decisions(operator, supervisor) -> None:
    from apps.actions import services
    from apps.actions.measures import Measure, ReasonCode, Scope
    from tests.factories import ExchangeAccountFactory

    accounts = [str(ExchangeAccountFactory().account_id) for _ in range(3)]
    services.action_request(
        by=operator, measure=Measure.FREEZE, scope=Scope.ACCOUNT, account_ids=accounts,
        reason_code=ReasonCode.SELF_TRADE, customer_text="Under review.",
    )  # fmt: skip
    request_one(operator)
    client = client_for(supervisor)
    inbox = client.get(reverse("actions:inbox")).content.decode()
    home = client.get("/").content.decode()
    assert '<b id="inbox-approvals">2</b> decisions waiting (4 account actions)' in inbox
    assert '<span class="badge" id="header-approvals">2</span>' in inbox
    assert 'id="home-approvals">2</a>' in home
    assert '<span class="badge" id="header-approvals">2</span>' in home
