import json

import pytest

from apps.alerts.ingest import Incoming, alerts_ingest
from apps.alerts.models import Alert, AlertAccount, RejectedAlert, Status, WayIn
from apps.alerts.pipeline import publish
from apps.desk.history import acting_task
from tests.alerts.payloads import alert_payload

pytestmark = pytest.mark.django_db


def ingest(*payloads: object, stream: str = "", entry_ids: list[str] | None = None):
    items = [
        Incoming(
            raw=p if isinstance(p, bytes) else json.dumps(p),
            entry_id=(entry_ids or [""] * len(payloads))[i],
        )
        for i, p in enumerate(payloads)
    ]
    return alerts_ingest(items=items, way_in=WayIn.STREAM, stream=stream)


def test_a_new_alert_is_stored_with_its_accounts_in_order_and_an_sla(settings) -> None:
    [outcome] = ingest(alert_payload(accounts=["U2", "U1", "U3"], severity="critical"))
    assert outcome.status == "accepted"
    alert = Alert.objects.get(pk=outcome.alert_id)
    assert alert.status == Status.NEW and alert.repeat_count == 0
    assert alert.accounts == ["U2", "U1", "U3"]
    assert list(alert.account_rows.values_list("account_id", "position")) == [
        ("U2", 0),
        ("U1", 1),
        ("U3", 2),
    ]
    assert (alert.sla_due_at - alert.first_seen).total_seconds() == 15 * 60
    assert alert.severity_rank == 4


def test_the_sla_per_severity_comes_from_settings(settings) -> None:
    settings.ALERT_SLA_MINUTES = {**settings.ALERT_SLA_MINUTES, "low": 7}
    [outcome] = ingest(alert_payload(severity="low"))
    alert = Alert.objects.get(pk=outcome.alert_id)
    assert (alert.sla_due_at - alert.first_seen).total_seconds() == 7 * 60


def test_a_resent_finding_updates_the_first_alert_instead_of_making_a_second() -> None:
    [first] = ingest(alert_payload(metrics={"self_trades": 41}))
    later = alert_payload(detected_at="2026-11-21T01:00:00Z", metrics={"self_trades": 44})
    [again] = ingest(later)
    assert again.status == "duplicate" and again.alert_id == first.alert_id
    alert = Alert.objects.get()
    assert alert.repeat_count == 1
    assert alert.metrics == {"self_trades": 44}
    assert alert.detected_at.isoformat() == "2026-11-21T01:00:00+00:00"
    assert alert.last_seen >= alert.first_seen
    assert AlertAccount.objects.count() == 1


def test_an_older_repeat_counts_but_does_not_roll_the_metrics_back() -> None:
    ingest(alert_payload(metrics={"self_trades": 41}))
    ingest(alert_payload(detected_at="2026-11-20T23:00:00Z", metrics={"self_trades": 1}))
    alert = Alert.objects.get()
    assert alert.repeat_count == 1 and alert.metrics == {"self_trades": 41}


def test_a_finding_that_grows_raises_its_severity_and_takes_its_newer_words() -> None:
    ingest(alert_payload(severity="medium", summary="U1 traded with itself 6 times", score=55))
    due = Alert.objects.get().sla_due_at
    grown = alert_payload(
        detected_at="2026-11-21T01:00:00Z",
        severity="high",
        summary="U1 traded with itself 40 times",
        score=80,
        evidence={"trade_ids": ["T1", "T2", "T3"], "order_ids": []},
    )
    ingest(grown)
    alert = Alert.objects.get()
    assert (alert.severity, alert.score, alert.summary) == (
        "high",
        80,
        "U1 traded with itself 40 times",
    )
    assert alert.evidence["trade_ids"] == ["T1", "T2", "T3"] and alert.sla_due_at <= due
    assert alert.history.first().history_change_reason.startswith("re-sent")


def test_a_repeat_never_lowers_the_severity() -> None:
    ingest(alert_payload(severity="critical"))
    ingest(alert_payload(detected_at="2026-11-21T01:00:00Z", severity="low"))
    alert = Alert.objects.get()
    assert alert.severity == "critical" and alert.repeat_count == 1


def test_repeats_inside_one_batch_count_too() -> None:
    outcomes = ingest(alert_payload(), alert_payload(), alert_payload(2), alert_payload())
    assert [o.status for o in outcomes] == ["accepted", "duplicate", "accepted", "duplicate"]
    assert Alert.objects.get(dedup_key=alert_payload()["dedup_key"]).repeat_count == 2


def test_valid_items_are_kept_when_others_in_the_batch_are_rejected() -> None:
    outcomes = alerts_ingest(
        items=[
            Incoming(raw=json.dumps(alert_payload(1))),
            Incoming(raw=b"{broken"),
            Incoming(raw=json.dumps(alert_payload(2, severity="urgent"))),
        ],
        way_in=WayIn.STREAM,
    )
    assert [o.status for o in outcomes] == ["accepted", "rejected", "rejected"]
    assert outcomes[2].errors is not None and "severity" in outcomes[2].errors
    assert Alert.objects.count() == 1
    rejected = list(RejectedAlert.objects.order_by("id"))
    assert rejected[0].raw == "{broken"
    assert rejected[0].reason == "not JSON"
    assert rejected[1].errors["severity"]


def test_a_redelivered_stream_entry_is_neither_stored_again_nor_counted_as_a_repeat() -> None:
    ingest(alert_payload(), b"{x", stream="s", entry_ids=["1-0", "1-1"])
    outcomes = ingest(alert_payload(), b"{x", stream="s", entry_ids=["1-0", "1-1"])
    assert [o.status for o in outcomes] == ["duplicate", "duplicate"]
    assert Alert.objects.get().repeat_count == 0
    assert RejectedAlert.objects.count() == 1
    # A new entry with the same finding is a real repeat.
    ingest(alert_payload(), stream="s", entry_ids=["2-0"])
    assert Alert.objects.get().repeat_count == 1


def test_history_names_the_task_that_stored_the_alert() -> None:
    with acting_task("alerts.consume_stream"):
        ingest(alert_payload())
    record = Alert.objects.get().history.get()
    assert record.history_task == "alerts.consume_stream"
    assert record.history_type == "+"


def test_publish_without_redis_stores_in_process(settings) -> None:
    settings.REDIS_URL = None
    publish([alert_payload(1), alert_payload(2), {"dedup_key": "bad"}])
    assert Alert.objects.count() == 2
    rejected = RejectedAlert.objects.get()
    assert rejected.way_in == WayIn.IN_PROCESS and "category" in rejected.errors
