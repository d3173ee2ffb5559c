"""Many operators pressing claim at the same moment, on PostgreSQL with real threads."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from apps.alerts.models import Alert, Status
from apps.alerts.services import AlertError, alert_claim, alert_claim_next
from tests.alerts.payloads import stored_alert
from tests.factories import make_person

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 16


def all_at_once(work: Callable[[int], Any]) -> list[Any]:
    """Run work(i) in THREADS threads released together; each result or raised error."""
    start = threading.Barrier(THREADS)
    results: list[Any] = [None] * THREADS

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = work(i)
        except Exception as error:  # the outcome under test
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_sixteen_operators_claim_one_alert_and_exactly_one_wins() -> None:
    alert = stored_alert()
    people = [make_person(f"op{i}", "operator") for i in range(THREADS)]

    results = all_at_once(lambda i: alert_claim(alert=Alert.objects.get(pk=alert.pk), by=people[i]))

    winners = [r for r in results if isinstance(r, Alert)]
    losers = [r for r in results if isinstance(r, AlertError)]
    assert len(winners) == 1 and len(losers) == THREADS - 1, results
    alert.refresh_from_db()
    assert alert.status == Status.CLAIMED and alert.assignee == winners[0].assignee
    assert all(f"already claimed by {alert.assignee}" in str(e) for e in losers), losers
    assert alert.history.filter(history_change_reason="claimed").count() == 1


def test_sixteen_operators_claim_next_and_each_gets_a_different_alert() -> None:
    alerts = [stored_alert(n, severity=("critical", "high", "low")[n % 3]) for n in range(20)]
    people = [make_person(f"op{i}", "operator") for i in range(THREADS)]

    results = all_at_once(lambda i: alert_claim_next(by=people[i]))

    assert all(isinstance(r, Alert) for r in results), results
    assert len({r.pk for r in results}) == THREADS
    # Most urgent first: the 4 left over are the least urgent ones.
    left = set(Alert.objects.filter(status=Status.NEW).values_list("pk", flat=True))
    ranked = sorted(alerts, key=lambda a: (a.sla_due_at, -a.severity_rank, a.pk))
    assert left == {a.pk for a in ranked[THREADS:]}
    for result in results:
        assert Alert.objects.get(pk=result.pk).assignee == result.assignee


def test_operators_bulk_claiming_one_filter_at_once_each_alert_goes_to_one_of_them() -> None:
    from apps.alerts.bulk_services import alerts_bulk

    alerts = [stored_alert(n, severity=("critical", "high", "low")[n % 3]) for n in range(450)]
    people = [make_person(f"op{i}", "operator") for i in range(THREADS)]

    # Overlapping filters, all at once: chunks lock in one order, so nobody deadlocks, and
    # every alert is claimed exactly once — the others are told who holds it.
    results = all_at_once(
        lambda i: alerts_bulk(among=Alert.objects.all(), action="claim", by=people[i])
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    claimed = sum(len(r.done) for r in results)
    assert claimed == len(alerts)
    assert Alert.objects.filter(status=Status.CLAIMED).count() == len(alerts)
    refused = [line for r in results for line in r.refused]
    assert all("already claimed by" in line for line in refused), refused[:3]
    history = Alert.history.filter(history_change_reason="claimed").count()
    assert history == len(alerts)
