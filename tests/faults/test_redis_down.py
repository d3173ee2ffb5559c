"""Redis stopped for 30 s while the detector sends alerts over REST, the stream holds
entries not yet read and an operator requests a measure: the REST way in keeps answering,
the operator is told plainly, nothing is lost or made twice, and once Redis is back every
alert is offered and the measure carried out."""

import json
import threading
import time
import uuid
from collections import Counter

from django.utils.html import escape

from apps.actions.models import Action
from apps.actions.sandbox.models import SandboxCall
from apps.alerts.models import Alert
from tests.alerts.payloads import alert_payload
from tests.factories import PASSWORD, ExchangeAccountFactory
from tests.faults.http import Person
from tests.faults.stack import FAULTS, desk_person, wait_for
from tests.shifts.helpers import make_shift, now

pytestmark = FAULTS
DOWN_SECONDS = 30
QUEUE_DOWN = "the exchange call will run when the queue is back"


def test_redis_stopped_for_30_s_loses_nothing_and_says_so(
    private_redis, make_stack, detector_token
) -> None:
    from datetime import timedelta

    operator, supervisor = desk_person("olga", "operator"), desk_person("sam", "supervisor")
    make_shift(starts_at=now() - timedelta(hours=1), operators=[operator], supervisor=supervisor)
    account = ExchangeAccountFactory(account_id="U555001")
    stack = make_stack()
    for kind in ("web", "ingest", "timers", "actions", "beat"):
        stack.start(kind)

    # The stream holds entries the ingest process has not read yet when Redis stops.
    client = private_redis.client()
    streamed = [alert_payload(5000 + n) for n in range(300)]
    for payload in streamed:
        client.xadd("riskdesk:alerts", {"alert": json.dumps(payload)})

    detector = Person(stack.url, timeout=60)
    detector.token = detector_token
    sent: list[str] = []
    answers: Counter[int] = Counter()
    timings: list[tuple[float, float]] = []  # (sent at, seconds to answer)
    done = threading.Event()

    def send_alerts() -> None:
        n = 0
        while not done.is_set():
            batch = [alert_payload(n + i) for i in range(20)]
            n += 20
            answer = detector.send(
                "POST", "/api/v1/alerts/", body=json.dumps(batch).encode(),
                content_type="application/json",
            )  # fmt: skip
            answers[answer.status] += 1
            timings.append((time.monotonic() - answer.seconds, answer.seconds))
            if answer.status == 200:
                sent.extend(p["dedup_key"] for p in batch)
            time.sleep(0.5)

    sender = threading.Thread(target=send_alerts)
    sender.start()
    time.sleep(2)
    private_redis.stop()
    stopped = time.monotonic()

    olga = Person(stack.url).sign_in("olga", PASSWORD)
    queue = olga.get("/alerts/")
    form = {
        "measure": "trading_ban", "scope": "account", "accounts": account.account_id,
        "reason_code": "self_trade", "customer_text": "Your account is under review.",
        "internal_note": "requested while Redis is down", "request_key": str(uuid.uuid4()),
    }  # fmt: skip
    requested = olga.post("/actions/new/", form)
    told = olga.get(requested.location).body if requested.location else requested.body
    again = olga.post("/actions/new/", form)
    time.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - stopped)))
    private_redis.start()
    time.sleep(3)
    done.set()
    sender.join(90)

    assert queue.status == 200, queue.body[:300]
    assert requested.status == 302, requested.body[:500]
    assert escape(QUEUE_DOWN) in told or QUEUE_DOWN in told
    assert again.status == 302 and again.location == requested.location
    stored = set(Alert.objects.values_list("dedup_key", flat=True))
    lost_rest = len(set(sent) - stored)
    wait_for(lambda: client.xlen("riskdesk:alerts") == 0, "the stream read after Redis", 60)
    lost_stream = len({p["dedup_key"] for p in streamed} - set(Alert.objects.values_list(
        "dedup_key", flat=True)))  # fmt: skip
    doubled = Alert.objects.exclude(repeat_count=0).count()
    (ban,) = Action.objects.all()
    # Once Redis is back: the stalled-action scan (every 15 s) and the routing net (60 s).
    wait_for(lambda: Action.objects.get(pk=ban.pk).status == Action.Status.EXECUTED,
             "the ban to run", 60)  # fmt: skip
    wait_for(lambda: not Alert.objects.filter(offered_to__isnull=True).exists(),
             "every alert offered", 120)  # fmt: skip
    during = [s for at, s in timings if stopped <= at < stopped + DOWN_SECONDS]
    applied = SandboxCall.objects.filter(key=ban.reference, changed_state=True).count()
    print(
        f"\nRedis down {DOWN_SECONDS} s: REST answers {dict(answers)}, while down "
        f"{len(during)} answered in {min(during):.1f}-{max(during):.1f} s; "
        f"{len(sent)} alerts by REST, {len(streamed)} on the stream; "
        f"lost={lost_rest + lost_stream} duplicated={doubled}; actions={Action.objects.count()} "
        f"applied on the exchange={applied}; every alert offered"
    )
    assert set(answers) == {200}
    assert lost_rest == 0 and lost_stream == 0 and doubled == 0
    assert applied == 1
