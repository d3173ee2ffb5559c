"""The grouped queue and bulk work by filter (alerts/grouping.py, bulk_services.alerts_bulk)."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.alerts.models import Alert, DismissReason, Status
from apps.alerts.services import alert_claim
from apps.people.models import User
from tests.alerts.payloads import stored_alert
from tests.factories import ControlClusterFactory, ExchangeAccountFactory, make_person

QUEUE = "/alerts/"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def cluster_of(key: str, *account_ids: str) -> None:
    cluster = ControlClusterFactory(key=key, size=len(account_ids))
    for account_id in account_ids:
        ExchangeAccountFactory(account_id=account_id, cluster=cluster)


def test_alerts_of_one_cluster_fold_into_one_row_that_counts_them_all(operator) -> None:
    cluster_of("C1", "U1001", "U1002", "U1003")
    members = [stored_alert(n) for n in (1, 2, 3)]
    alone = stored_alert(9)
    page = signed_in(operator).get(QUEUE).context["queue"]
    [group, single] = page.rows
    assert group.alert == members[0] and group.grouped and group.members == 3
    assert group.label == "cluster C1" and set(group.folded) == {m.pk for m in members[1:]}
    assert single.alert == alone and not single.grouped
    assert page.total == 4


def test_the_group_count_covers_alerts_beyond_the_page(operator) -> None:
    cluster_of("C1", "U1001", "U1002")
    first = stored_alert(1, severity="critical")
    for n in range(3, 8):
        stored_alert(n, severity="critical")
    later = stored_alert(2, severity="low")  # the same cluster, far down the queue
    client = signed_in(operator)
    page = client.get(QUEUE, {"page": 1}).context["queue"]
    assert page.rows[0].alert == first and page.rows[0].members == 2
    html = client.get(
        "/alerts/group/", {"key": "cluster:C1", "lead": str(first.pk)}
    ).content.decode()
    assert f'data-id="{later.pk}"' in html and f'data-id="{first.pk}"' not in html
    assert 'data-member-of="cluster:C1"' in html


def test_ungrouped_shows_every_alert_on_its_own_row(operator) -> None:
    cluster_of("C1", "U1001", "U1002")
    stored_alert(1), stored_alert(2)
    page = signed_in(operator).get(QUEUE, {"group": "off"}).context["queue"]
    assert len(page.rows) == 2 and not any(row.grouped for row in page.rows)


def test_grouping_costs_a_fixed_number_of_queries(operator) -> None:
    client = signed_in(operator)
    client.get(QUEUE)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(QUEUE).status_code == 200
        return len(queries)

    cluster_of("C1", "U1001", "U1002")
    stored_alert(1), stored_alert(2)
    few = count()
    for c in range(2, 12):
        cluster_of(f"C{c}", f"U{1000 + 10 * c}", f"U{1001 + 10 * c}")
        stored_alert(10 * c), stored_alert(10 * c + 1)
    assert count() == few == 11  # the queue's 10 and the groups' sizes, whatever their number


def test_the_header_says_the_total_and_the_filter_in_force(operator) -> None:
    stored_alert(1, severity="critical")
    stored_alert(2)
    html = signed_in(operator).get(QUEUE, {"severity": "critical"}).content.decode()
    assert '<b id="queue-total">1</b> alert match · status open' in html
    assert "status open (new + claimed) · severity Critical" in html


def test_a_total_past_the_count_cap_says_the_cap_and_a_plus(operator, monkeypatch) -> None:
    monkeypatch.setattr("apps.alerts.queue_selectors.COUNT_CAP", 3)
    for n in range(5):
        stored_alert(n)
    html = signed_in(operator).get(QUEUE).content.decode()
    # The count stopped at the cap + 1 (4); the header says what it knows: at least 3.
    assert '<b id="queue-total">3+</b> alerts match' in html


def test_dismiss_by_filter_reaches_alerts_beyond_the_page(operator) -> None:
    highs = [stored_alert(n) for n in range(60)]  # more than a page of 50
    low = stored_alert(99, severity="low")
    response = signed_in(operator).post(
        "/alerts/act/",
        {
            "action": "dismiss",
            "scope": "filter",
            "filters": "severity=high",
            "reason": DismissReason.DUPLICATE,
        },
        headers={"hx-request": "true"},
    )
    assert "Dismissed 60 alerts" in response.content.decode()
    assert Alert.objects.filter(pk__in=[a.pk for a in highs], status=Status.DISMISSED).count() == 60
    low.refresh_from_db()
    assert low.status == Status.NEW


def test_bulk_by_filter_keeps_each_alerts_own_guard(operator) -> None:
    nikhil = make_person("nikhil", "operator")
    theirs = stored_alert(1)
    alert_claim(alert=theirs, by=nikhil)
    mine = stored_alert(2)
    response = signed_in(operator).post(
        "/alerts/act/",
        {"action": "dismiss", "scope": "filter", "filters": "", "reason": "duplicate"},
        headers={"hx-request": "true"},
    )
    html = response.content.decode()
    assert "Dismissed 1 alert" in html and "claimed by Nikhil" in html
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.status == Status.CLAIMED and mine.status == Status.DISMISSED


def test_a_bulk_dismiss_without_a_reason_is_refused_once_and_changes_nothing(operator) -> None:
    for n in range(3):
        stored_alert(n)
    response = signed_in(operator).post(
        "/alerts/act/",
        {"action": "dismiss", "scope": "filter", "filters": ""},
        headers={"hx-request": "true"},
    )
    assert response.content.decode().count("Choose a dismissal reason.") == 1
    assert not Alert.objects.filter(status=Status.DISMISSED).exists()


def test_a_group_picked_in_the_queue_is_claimed_whole(operator) -> None:
    cluster_of("C1", "U1001", "U1002", "U1003")
    members = [stored_alert(n) for n in (1, 2, 3)]
    other = stored_alert(9)
    signed_in(operator).post(
        "/alerts/act/", {"action": "claim", "groups": ["cluster:C1"], "filters": ""}
    )
    assert set(Alert.objects.filter(status=Status.CLAIMED).values_list("pk", flat=True)) == {
        m.pk for m in members
    }
    other.refresh_from_db()
    assert other.status == Status.NEW


def test_strategy_cannot_bulk_act_by_filter(strategist) -> None:
    stored_alert(1)
    response = signed_in(strategist).post(
        "/alerts/act/", {"action": "claim", "scope": "filter", "filters": ""}
    )
    assert response.status_code == 403
    assert not Alert.objects.filter(status=Status.CLAIMED).exists()
