"""The pull path on a real Redis: consumer group, acknowledgement after commit, reclaim."""

import json
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from apps.alerts.ingest import Incoming, alerts_ingest
from apps.alerts.models import Alert, RejectedAlert, WayIn
from apps.alerts.pipeline import publish
from apps.alerts.stream import MAX_DELIVERIES, StreamConsumer
from tests.alerts.payloads import alert_payload

pytestmark = [pytest.mark.redis, pytest.mark.django_db]
GROUP = "riskdesk-ingest"


@pytest.fixture
def client(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url)


@pytest.fixture
def stream(client, settings) -> Iterator[str]:
    name = f"test:alerts:{uuid.uuid4().hex}"
    settings.ALERT_STREAM = name
    yield name
    client.delete(name)


def consumer(client, stream: str, name: str, **kwargs) -> StreamConsumer:
    return StreamConsumer(client, stream=stream, group=GROUP, consumer=name, **kwargs)


def test_publish_with_redis_puts_each_alert_on_the_stream_as_json(
    client, stream, settings, redis_url
) -> None:
    settings.REDIS_URL = redis_url
    publish([alert_payload(1), alert_payload(2)])
    entries = client.xrange(stream)
    assert [json.loads(fields[b"alert"])["dedup_key"] for _, fields in entries] == [
        alert_payload(1)["dedup_key"],
        alert_payload(2)["dedup_key"],
    ]
    assert Alert.objects.count() == 0  # stored by the workers, not here


def test_a_consumer_stores_the_stream_and_acknowledges_what_it_stored(client, stream) -> None:
    for n in range(5):
        client.xadd(stream, {"alert": json.dumps(alert_payload(n))})
    client.xadd(stream, {"alert": json.dumps(alert_payload(1))})  # a repeat
    client.xadd(stream, {"alert": "{not json"})
    client.xadd(stream, {"other": "field"})

    reader = consumer(client, stream, "a", batch=3)
    reader.run(seconds=5, block_ms=50, stop_when_idle=True)

    assert Alert.objects.count() == 5
    assert Alert.objects.get(dedup_key=alert_payload(1)["dedup_key"]).repeat_count == 1
    reasons = set(RejectedAlert.objects.values_list("reason", flat=True))
    assert reasons == {"not JSON", "the stream entry has no `alert` field"}
    assert RejectedAlert.objects.get(reason="not JSON").entry_id
    assert client.xpending(stream, GROUP)["pending"] == 0
    assert client.xlen(stream) == 0  # acknowledged entries are deleted
    assert reader.stats.accepted == 5 and reader.stats.rejected == 2


def test_entries_a_dead_consumer_stored_but_never_acknowledged_count_once(client, stream) -> None:
    for n in range(4):
        client.xadd(stream, {"alert": json.dumps(alert_payload(n))})
    # Consumer "dead" reads and commits, then dies before XACK.
    dead = consumer(client, stream, "dead")
    [(_, entries)] = client.xreadgroup(GROUP, "dead", {stream: ">"}, count=10)
    alerts_ingest(
        items=[Incoming(raw=f[b"alert"], entry_id=i.decode()) for i, f in entries],
        way_in=WayIn.STREAM,
        stream=stream,
    )
    assert dead.stats.entries == 0 and client.xpending(stream, GROUP)["pending"] == 4

    survivor = consumer(client, stream, "survivor", reclaim_idle_ms=1)
    time.sleep(0.01)
    assert survivor.reclaim() == 4

    assert Alert.objects.count() == 4
    assert list(Alert.objects.values_list("repeat_count", flat=True)) == [0, 0, 0, 0]
    assert survivor.stats.duplicates == 4
    assert client.xpending(stream, GROUP)["pending"] == 0


def test_an_entry_that_keeps_coming_back_becomes_a_rejected_record(client, stream) -> None:
    client.xadd(stream, {"alert": json.dumps(alert_payload())})
    consumer(client, stream, "first")
    client.xreadgroup(GROUP, "first", {stream: ">"})  # the first delivery
    # Each taker dies on it in turn.
    for n in range(MAX_DELIVERIES - 1):
        client.xautoclaim(stream, GROUP, f"crasher{n}", min_idle_time=0, start_id="0-0")
    survivor = consumer(client, stream, "survivor", reclaim_idle_ms=1)
    time.sleep(0.01)
    assert survivor.reclaim() == 1  # the delivery number MAX_DELIVERIES + 1
    rejected = RejectedAlert.objects.get()
    assert rejected.reason == f"delivered {MAX_DELIVERIES + 1} times without being stored"
    assert json.loads(rejected.raw)["dedup_key"] == alert_payload()["dedup_key"]
    assert Alert.objects.count() == 0
    assert client.xpending(stream, GROUP)["pending"] == 0
