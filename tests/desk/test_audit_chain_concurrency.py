"""Writers changing chained records at the same moment, on PostgreSQL with real threads:
the chain stays one line."""

import threading
import time
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from apps.alerts.models import Alert
from apps.alerts.services import alert_claim
from apps.desk import audit
from apps.desk.audit_verify import verify
from apps.desk.models import AuditEntry
from tests.alerts.payloads import stored_alert
from tests.factories import make_person

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 8


def claims_at_once() -> tuple[list[Any], int]:
    """THREADS operators each claim their own alert at once, each holding its transaction
    open a moment after the claim (and its link) is written."""
    alerts = [stored_alert(n) for n in range(THREADS)]
    people = [make_person(f"op{i}", "operator") for i in range(THREADS)]
    before = AuditEntry.objects.count()
    start = threading.Barrier(THREADS)
    results: list[Any] = [None] * THREADS

    def run(i: int) -> None:
        try:
            start.wait()
            with transaction.atomic():
                results[i] = alert_claim(alert=Alert.objects.get(pk=alerts[i].pk), by=people[i])
                time.sleep(0.2)
        except Exception as error:  # the outcome under test
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, before


def test_eight_writers_at_once_make_eight_links_in_one_unbroken_line() -> None:
    results, before = claims_at_once()

    assert all(isinstance(r, Alert) for r in results), results
    assert AuditEntry.objects.count() == before + THREADS
    verdict = verify()
    assert verdict.broken is None and verdict.links == before + THREADS


def test_without_the_lock_the_same_writers_would_fork_the_chain(monkeypatch) -> None:
    # The control: proves the test above would catch a missing lock.
    monkeypatch.setattr(audit, "_lock", lambda using: None)
    results, _ = claims_at_once()

    assert any(isinstance(r, IntegrityError) for r in results), results
    assert verify().broken is None  # the key refused the fork; nothing half-written
