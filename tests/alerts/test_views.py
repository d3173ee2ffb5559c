import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.alerts.models import Alert, DismissReason, RejectedAlert, Status
from apps.alerts.queue_filters import QueueFilters
from apps.alerts.queue_selectors import queue_page
from apps.alerts.services import alert_claim, alert_dismiss, alert_escalate
from tests.alerts.payloads import alert_payload, overdue, stored_alert
from tests.factories import ControlClusterFactory, ExchangeAccountFactory, make_person

pytestmark = pytest.mark.django_db
QUEUE = "/alerts/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_queue_lists_open_alerts_by_severity_then_sla_then_age(operator) -> None:
    low = stored_alert(1, severity="low")
    critical = stored_alert(2, severity="critical")
    late = overdue(stored_alert(3, severity="medium"))
    medium = stored_alert(5, severity="medium")
    alert_dismiss(alert=stored_alert(4), by=operator, reason=DismissReason.DUPLICATE)
    page = signed_in(operator).get(QUEUE).context["queue"]
    # A late medium alert waits behind a critical one but goes before a medium one due later.
    assert page.alerts == [critical, late, medium, low]
    assert page.breached == 1
    assert {c.severity: c.count for c in page.counts} == {
        "critical": 1,
        "high": 0,
        "medium": 2,
        "low": 1,
    }


def test_a_breached_sla_is_marked_in_the_header_and_on_the_row(operator) -> None:
    overdue(stored_alert(1))
    html = signed_in(operator).get(QUEUE).content.decode()
    assert "⚠ 1 alert past SLA" in html
    assert "BREACHED" in html and 'class="sev-row-high late"' in html


def test_each_filter_narrows_the_queue(operator) -> None:
    a = stored_alert(
        1,
        severity="critical",
        category="large_cancel",
        rule="spoof",
        symbol="ETHUSDT",
        accounts=["U9", "U10"],
    )
    b = stored_alert(2)
    alert_claim(alert=b, by=operator)
    client = signed_in(operator)

    def ids(**query: str) -> list[int]:
        return [alert.pk for alert in client.get(QUEUE, query).context["queue"].alerts]

    assert ids(severity="critical") == [a.pk]
    assert ids(category="large_cancel") == [a.pk]
    assert ids(symbol="ethusdt") == [a.pk]
    assert ids(account="U10") == [a.pk]
    assert ids(assignee="me") == [b.pk]
    assert ids(assignee="none") == [a.pk]
    assert ids(status="claimed") == [b.pk]
    assert ids(within="1h") == []  # detected in 2026-11-21 per the payload
    assert sorted(ids(status="all")) == sorted([a.pk, b.pk])
    response = client.get(QUEUE, {"severity": "nope"})
    assert "Unknown severity “nope” ignored." in response.content.decode()


def test_a_time_window_lists_its_alerts_most_urgent_first_page_by_page(operator) -> None:
    # A window ranks the page's ids first, then reads their rows (queue_selectors.queue_page).
    low = stored_alert(1, severity="low")
    critical = stored_alert(2, severity="critical")
    medium = stored_alert(3, severity="medium")
    client = signed_in(operator)
    page = client.get(QUEUE, {"since": "2026-11-20T00:00:00Z"}).context["queue"]
    assert page.alerts == [critical, medium, low] and not page.has_next
    assert client.get(QUEUE, {"since": "2026-11-22T00:00:00Z"}).context["queue"].alerts == []
    window = QueueFilters(since=datetime(2026, 11, 20, tzinfo=UTC))
    second = queue_page(window, page=2, size=1, grouped=False)
    assert second.alerts == [medium] and second.has_next
    assert queue_page(window, page=3, size=1).alerts == [low]


def test_the_queue_page_costs_a_fixed_number_of_queries(operator) -> None:
    client = signed_in(operator)
    client.get(QUEUE)  # warm the session

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(QUEUE).status_code == 200
        return len(queries)

    for n in range(3):
        stored_alert(n, accounts=[f"U{n}", f"V{n}"])
    few = count()
    for n in range(3, 60):
        alert = stored_alert(n, accounts=[f"U{n}", f"V{n}"])
        if n % 2:
            alert_claim(alert=alert, by=operator)
    assert count() == few
    # session, user, roles; the page; the counts per severity; breached; who is on duty
    # (the header); the unread-notification badge; the clusters of the page's accounts (the
    # grouping); which of the page's accounts are restricted (one query for every row's
    # mark). No session save: the idle end moves at most once a minute
    # (apps.people.sessions.RENEW), and the warm-up request moved it.
    assert few == 10, few


def test_an_htmx_claim_re_renders_the_list_from_fresh_data(operator) -> None:
    alert = stored_alert()
    response = signed_in(operator).post(
        "/alerts/act/",
        {"action": "claim", "ids": [alert.pk], "filters": ""},
        headers={"hx-request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="queue"')
    assert f"Claimed 1 alert: #{alert.pk}." in html
    alert.refresh_from_db()
    assert alert.status == Status.CLAIMED and alert.assignee == operator


def test_bulk_dismiss_without_htmx_redirects_back_to_the_filtered_queue(operator) -> None:
    alerts = [stored_alert(n) for n in range(3)]
    response = signed_in(operator).post(
        "/alerts/act/",
        {
            "action": "dismiss",
            "ids": [a.pk for a in alerts],
            "reason": DismissReason.FP_MARKET_MAKER,
            "note": "MM",
            "filters": "severity=high",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/alerts/?severity=high"
    assert set(Alert.objects.values_list("status", "dismiss_reason")) == {
        ("dismissed", "fp_market_maker")
    }


def test_refusals_in_a_bulk_action_are_told_one_by_one(operator) -> None:
    mine, theirs = stored_alert(1), stored_alert(2)
    alert_claim(alert=theirs, by=make_person("nikhil", "operator"))
    response = signed_in(operator).post(
        "/alerts/act/",
        {"action": "claim", "ids": [mine.pk, theirs.pk]},
        headers={"hx-request": "true"},
    )
    html = response.content.decode()
    assert f"Claimed 1 alert: #{mine.pk}." in html
    assert f"Alert {theirs.pk} is already claimed by Nikhil." in html


def test_claim_next_takes_the_most_urgent_and_opens_it(operator) -> None:
    stored_alert(1, severity="low")
    critical = stored_alert(2, severity="critical")
    client = signed_in(operator)
    response = client.post("/alerts/claim-next/", {"filters": ""})
    assert response["Location"] == f"/alerts/{critical.pk}/"
    response = client.post(
        "/alerts/claim-next/", {"filters": "severity=critical"}, headers={"hx-request": "true"}
    )
    assert response["HX-Redirect"] == "/alerts/?severity=critical"


def test_strategy_reads_the_queue_but_cannot_act(strategist) -> None:
    alert = stored_alert()
    client = signed_in(strategist)
    assert client.get(QUEUE).status_code == 200
    assert "Claim next" not in client.get(QUEUE).content.decode()
    assert client.post("/alerts/act/", {"action": "claim", "ids": [alert.pk]}).status_code == 403


def test_the_alert_page_shows_accounts_clusters_evidence_rows_and_related_alerts(operator) -> None:
    cluster = ControlClusterFactory(key="C00042", size=3)
    ExchangeAccountFactory(account_id="U1001", cluster=cluster)
    alert = stored_alert(
        1,
        accounts=["U1001", "U9999"],
        evidence={
            "trade_ids": ["T1", "T2"],
            "trades": [{"trade_id": "T1", "price": "97000.5", "qty": "0.2"}],
        },
    )
    other = stored_alert(2, accounts=["U9999"])
    alert_claim(alert=alert, by=operator)
    html = signed_in(operator).get(f"/alerts/{alert.pk}/").content.decode()
    assert '<a href="/accounts/U1001/">U1001</a>' in html
    assert '#linked">C00042</a> (3 accounts)' in html
    assert "not loaded in the desk yet" in html
    assert "<th>price</th>" in html and "97000.5" in html
    assert "<code>T2</code>" in html
    assert f'href="/alerts/{other.pk}/"' in html
    assert f'href="/history/alert/{alert.pk}/"' in html
    assert "claimed" in html


def test_the_alert_page_moves_an_alert_through_its_services(operator) -> None:
    alert = stored_alert()
    client = signed_in(operator)
    url = f"/alerts/{alert.pk}/act/"
    client.post(url, {"action": "escalate", "note": "big"})
    alert.refresh_from_db()
    assert alert.status == Status.ESCALATED
    client.post(url, {"action": "reopen", "claim": "1"})
    alert.refresh_from_db()
    assert alert.status == Status.CLAIMED and alert.assignee == operator
    response = client.post(url, {"action": "dismiss", "reason": ""}, follow=True)
    assert "Choose a dismissal reason." in response.content.decode()


def test_the_history_page_of_an_alert_shows_its_moves(operator) -> None:
    alert = alert_claim(alert=stored_alert(), by=operator)
    html = (
        signed_in(operator)
        .get(reverse("console:history", args=["alert", alert.pk]))
        .content.decode()
    )
    assert "claimed" in html


def test_rule_quality_counts_confirmations_and_dismissals_by_reason(strategist, operator) -> None:
    a, b, c = stored_alert(1), stored_alert(2), stored_alert(3)
    stored_alert(4, rule="spoof", category="large_cancel")
    alert_escalate(alert=a, by=operator, reason="a ring")
    alert_dismiss(alert=b, by=operator, reason=DismissReason.FP_MARKET_MAKER)
    alert_dismiss(alert=c, by=operator, reason=DismissReason.FP_MARKET_MAKER)
    response = signed_in(strategist).get("/alerts/quality/?within=all")
    rules = {r.rule: r for r in response.context["rules"]}
    self_trade = rules["self_trade"]
    assert (self_trade.raised, self_trade.confirmed, self_trade.dismissed) == (3, 1, 2)
    assert self_trade.dismissed_by_reason == {"fp_market_maker": 2}
    assert self_trade.confirmation_rate == pytest.approx(1 / 3)
    assert rules["spoof"].confirmation_rate is None
    assert "33%" in response.content.decode()


def test_a_supervisor_fixes_and_resubmits_a_rejected_alert(supervisor) -> None:
    client = signed_in(supervisor)
    bad = alert_payload(severity="severe")
    from apps.alerts.ingest import Incoming, alerts_ingest

    alerts_ingest(items=[Incoming(raw=json.dumps(bad))], way_in="stream")
    record = RejectedAlert.objects.get()
    assert "does not meet the alert contract" in client.get("/alerts/rejected/").content.decode()
    page = client.get(f"/alerts/rejected/{record.pk}/").content.decode()
    assert "One of: critical, high, medium, low." in page

    still_bad = client.post(f"/alerts/rejected/{record.pk}/resubmit/", {"payload": json.dumps(bad)})
    assert still_bad.status_code == 422
    assert "still not valid — severity" in still_bad.content.decode()

    fixed = json.dumps({**bad, "severity": "high"})
    response = client.post(f"/alerts/rejected/{record.pk}/resubmit/", {"payload": fixed})
    assert response.status_code == 302
    record.refresh_from_db()
    alert = Alert.objects.get()
    assert record.state == RejectedAlert.State.RESUBMITTED and record.alert == alert
    assert json.loads(record.raw)["severity"] == "severe"  # the original is kept
    assert record.history.latest().history_change_reason.startswith("re-submitted: accepted")
    again = client.post(f"/alerts/rejected/{record.pk}/resubmit/", {"payload": fixed}, follow=True)
    assert "already re-submitted" in again.content.decode()


def test_the_home_page_shows_an_operators_queue_figures(operator) -> None:
    overdue(stored_alert(1))
    alert_claim(alert=stored_alert(2), by=operator)
    response = signed_in(operator).get("/")
    summary = response.context["alert_queue"]
    assert (summary.open, summary.unclaimed, summary.mine, summary.breached) == (2, 1, 1, 1)
    assert "panel-alarm" in response.content.decode()


EXPLAINED = {
    "trade_ids": ["T0", "T12"],
    "order_ids": [],
    "explain": [
        {"label": "realised profit that day", "value": 302206, "unit": "USDT",
         "threshold": 50000, "comparison": ">=", "past": 6.04},
        {"label": "closing fills won", "value": 92.5, "unit": "%", "threshold": 80,
         "comparison": ">=", "past": 1.16},
        {"label": "orders that filled", "value": 2.5, "unit": "%", "threshold": 10,
         "comparison": "<=", "past": 4.0},
    ],
}  # fmt: skip


def test_the_alert_page_explains_each_metric_beside_its_threshold_with_units(
    operator, tmp_path
) -> None:
    from tests.cases.feed import feed_window

    cluster = ControlClusterFactory(key="U1001", size=2)
    ExchangeAccountFactory(account_id="U1001", cluster=cluster)
    feed_window(tmp_path / "w", ["U1001", "U1002"])
    alert = stored_alert(1, accounts=["U1001", "U1002"], evidence=EXPLAINED)
    html = signed_in(operator).get(f"/alerts/{alert.pk}/").content.decode()
    assert "Why this alert" in html
    assert "realised profit that day" in html and "302,206 USDT" in html
    assert "≥ 50,000 USDT" in html and "6.0\u00d7 the threshold" in html
    assert "≤ 10 %" in html and "4.0\u00d7 under the threshold" in html
    # the rows behind it, read from the window, with links to the accounts and the cluster
    assert ">T12<" in html and "read from window w" in html
    assert 'href="/accounts/U1002/"' in html and 'href="/accounts/U1001/#linked">U1001</a>' in html
    assert "<h3>explain</h3>" not in html  # not repeated as raw evidence


def test_an_alert_without_an_explanation_lists_its_metrics_as_sent(operator) -> None:
    alert = stored_alert(1, metrics={"self_trades": 41, "notional_usdt": 1234567.5})
    html = signed_in(operator).get(f"/alerts/{alert.pk}/").content.decode()
    assert "Why this alert" in html and "self trades" in html
    assert "1,234,567.5" in html and "without thresholds" in html
