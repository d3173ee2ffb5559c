"""The poison payloads of issue 18 on both ways in, against the processes as shipped (the
`web` process for the API, the `ingest` process for the stream): the valid alerts around
them are stored, each poison is one rejected record with a reason, the stream goes on."""

import json

from apps.alerts.models import Alert, RejectedAlert
from tests.alerts.payloads import alert_payload
from tests.alerts.test_poison import POISON, _item
from tests.faults.http import Person
from tests.faults.stack import FAULTS, wait_for

pytestmark = FAULTS


def test_poison_on_the_api_and_the_stream_loses_no_valid_alert_and_records_each_poison(
    private_redis, make_stack, detector_token
) -> None:
    stack = make_stack()
    stack.start("web")
    stack.start("ingest")
    poisons = list(POISON)

    detector = Person(stack.url)
    detector.token = detector_token
    items = [json.dumps(alert_payload(1))]
    items += [_item(10 + n, *POISON[name][:2]) for n, name in enumerate(poisons)]
    items += [json.dumps(alert_payload(2))]
    answer = detector.send(
        "POST", "/api/v1/alerts/", body=("[" + ", ".join(items) + "]").encode(),
        content_type="application/json",
    )  # fmt: skip
    nul_body = detector.send(
        "POST", "/api/v1/alerts/", body=b'{"a": "\x00', content_type="application/json"
    )

    client = private_redis.client()
    stream = "riskdesk:alerts"
    client.xadd(stream, {"alert": json.dumps(alert_payload(3))})
    for n, name in enumerate(poisons):
        client.xadd(stream, {"alert": _item(100 + n, *POISON[name][:2])})
    client.xadd(stream, {"alert": b'{"a": "\x00\xed\xa0\x80"}'})  # a NUL byte, a raw surrogate
    client.xadd(stream, {"alert": json.dumps(alert_payload(4))})
    wait_for(lambda: client.exists(stream) and client.xlen(stream) == 0, "the stream read", 60)

    valid = {alert_payload(n)["dedup_key"] for n in (1, 2, 3, 4)}
    stored = set(Alert.objects.values_list("dedup_key", flat=True))
    rejected = RejectedAlert.objects.count()
    expected_rejected = len(poisons) + 1 + len(poisons) + 1  # API batch + NUL body + stream
    print(
        f"\npoison: API answered {answer.status} and {nul_body.status}; valid stored "
        f"{len(stored & valid)}/4, lost={len(valid - stored)}, extra={len(stored - valid)}; "
        f"rejected records {rejected}/{expected_rejected}"
    )
    assert answer.status == 200, answer.body[:500]
    statuses = [r["status"] for r in answer.json()["results"]]
    assert statuses == ["accepted", *["rejected"] * len(poisons), "accepted"]
    assert nul_body.status == 400 and "\x00" not in nul_body.body
    assert stored == valid and rejected == expected_rejected
    assert int(client.xpending(stream, "riskdesk-ingest")["pending"]) == 0
    assert all(r.reason and "\x00" not in r.raw for r in RejectedAlert.objects.all())
