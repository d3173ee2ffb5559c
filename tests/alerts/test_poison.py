"""Poison alerts: values JSON allows (or Python's json lets through) that no database stores,
on both ways in. Each is rejected with a clear error and kept as a rejected record; the
valid items around it are stored and the stream goes on past it."""

import json
import uuid
from collections.abc import Iterator

import pytest
import redis
from django.test import Client
from knox.models import AuthToken

from apps.alerts.contract import MAX_DEPTH, ContractError, parse_alert, parse_json
from apps.alerts.models import Alert, RejectedAlert
from apps.alerts.stream import StreamConsumer
from tests.alerts.payloads import alert_payload

URL = "/api/v1/alerts/"


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def _item(n: int, field: str, value_json: str) -> str:
    """An alert's JSON text with `field` set to the raw JSON text `value_json`."""
    text = json.dumps(alert_payload(n) | {field: "@@"})
    return text.replace('"@@"', value_json)


POISON = {
    "nan in metrics": ("metrics", '{"share": NaN}', "metrics"),
    "infinity in evidence": ("evidence", '{"x": [1, Infinity]}', "evidence"),
    "minus infinity in metrics": ("metrics", '{"x": -Infinity}', "metrics"),
    "a lone surrogate": ("summary", '"bad \\ud800 text"', "summary"),
    "a lone surrogate in a key": ("evidence", '{"\\udfff": 1}', "evidence"),
    "a nul character": ("summary", '"bad \\u0000 text"', "summary"),
    "a nul in evidence": ("evidence", '{"ids": ["T\\u0000"]}', "evidence"),
    "deep nesting": ("evidence", '{"x": ' + _deep(MAX_DEPTH + 5) + "}", "evidence"),
    "nesting past the parser": ("evidence", '{"x": ' + _deep(5000) + "}", "evidence"),
}


@pytest.mark.parametrize("name", POISON)
def test_the_contract_rejects_each_poison_value_with_a_clear_error(name: str) -> None:
    field, value, error_field = POISON[name]
    with pytest.raises(ContractError) as raised:
        parse_alert(parse_json(_item(1, field, value)))
    assert error_field in raised.value.errors or "payload" in raised.value.errors
    assert json.dumps(raised.value.errors, ensure_ascii=False).encode()  # storable, sayable


def test_nesting_up_to_the_limit_is_an_alert() -> None:
    text = _item(1, "evidence", '{"x": ' + _deep(MAX_DEPTH - 3) + "}")
    assert parse_alert(parse_json(text)).dedup_key == alert_payload(1)["dedup_key"]


@pytest.mark.django_db
def test_a_batch_with_every_poison_keeps_its_valid_items_and_a_record_of_each_poison(
    system_user,
) -> None:
    _, token = AuthToken.objects.create(user=system_user)
    client = Client(headers={"authorization": f"Bearer {token}"})
    poisons = [_item(10 + n, *POISON[name][:2]) for n, name in enumerate(POISON)]
    body = "[" + ", ".join([json.dumps(alert_payload(1)), *poisons, json.dumps(alert_payload(2))])
    body += "]"

    response = client.post(URL, body, content_type="application/json")

    assert response.status_code == 200, response.content[:500]
    answer = response.json()
    statuses = [r["status"] for r in answer["results"]]
    assert statuses == ["accepted", *["rejected"] * len(POISON), "accepted"]
    assert all(r["errors"] for r in answer["results"][1:-1])
    assert Alert.objects.count() == 2
    rejected = list(RejectedAlert.objects.order_by("pk"))
    assert len(rejected) == len(POISON)
    for record in rejected:
        assert "\x00" not in record.raw and record.raw.encode("utf-8")
        assert record.reason and record.errors


@pytest.mark.django_db
def test_a_body_nested_past_the_parser_is_one_rejected_record(system_user) -> None:
    _, token = AuthToken.objects.create(user=system_user)
    client = Client(headers={"authorization": f"Bearer {token}"})

    response = client.post(URL, _deep(100_000), content_type="application/json")

    assert response.status_code == 200
    assert response.json()["rejected"] == 1
    assert RejectedAlert.objects.get().raw.startswith("[[[")


@pytest.mark.django_db
def test_a_body_with_a_nul_byte_is_kept_as_a_rejected_record(system_user) -> None:
    _, token = AuthToken.objects.create(user=system_user)
    client = Client(headers={"authorization": f"Bearer {token}"})

    response = client.post(URL, b'{"a": "\x00', content_type="application/json")

    assert response.status_code == 400
    assert "\x00" not in RejectedAlert.objects.get().raw


@pytest.fixture
def stream(redis_url: str) -> Iterator[tuple[redis.Redis, str]]:
    client = redis.Redis.from_url(redis_url)
    name = f"test:alerts:{uuid.uuid4().hex}"
    yield client, name
    client.delete(name)


@pytest.mark.redis
@pytest.mark.django_db
def test_the_stream_rejects_each_poison_entry_and_goes_on_past_it(stream) -> None:
    client, name = stream
    client.xadd(name, {"alert": json.dumps(alert_payload(1))})
    for n, poison in enumerate(POISON):
        client.xadd(name, {"alert": _item(10 + n, *POISON[poison][:2])})
    client.xadd(name, {"alert": b'{"a": "\x00\xed\xa0\x80"}'})  # a NUL byte, a raw surrogate
    client.xadd(name, {"alert": json.dumps(alert_payload(2))})

    reader = StreamConsumer(client, stream=name, group="riskdesk-ingest", consumer="a", batch=4)
    reader.run(seconds=10, block_ms=50, stop_when_idle=True)

    assert sorted(Alert.objects.values_list("dedup_key", flat=True)) == sorted(
        [alert_payload(1)["dedup_key"], alert_payload(2)["dedup_key"]]
    )
    assert RejectedAlert.objects.count() == len(POISON) + 1
    assert client.xlen(name) == 0
    assert client.xpending(name, "riskdesk-ingest")["pending"] == 0
