"""PostgreSQL goes away while operators' queues refresh (every open connection dropped, new
ones refused: a restart as the app sees it) and comes back: a clear page while it is away,
never a storm of 500s, and the queue as before once it is back."""

import threading
import time
from collections import Counter

from tests.factories import PASSWORD
from tests.faults.http import Answer, Person
from tests.faults.stack import FAULTS, desk_person

pytestmark = FAULTS
OPERATORS = 3
AWAY_SECONDS = 6


def test_a_database_restart_during_queue_refreshes_gives_a_clear_page_and_no_500(
    make_stack, pg_proxy
) -> None:
    names = [f"op{n}" for n in range(OPERATORS)]
    for name in names:
        desk_person(name, "operator")
    stack = make_stack(via=pg_proxy)
    stack.start("web")
    people = [Person(stack.url, timeout=30).sign_in(name, PASSWORD) for name in names]
    answers: dict[str, list[tuple[float, Answer]]] = {"before": [], "away": [], "back": []}
    phase = ["before"]
    done = threading.Event()

    def refresh(person: Person) -> None:
        while not done.is_set():
            # What the queue's poll sends (htmx), and a full reload now and then.
            answer = person.send("GET", "/alerts/", headers={"HX-Request": "true"})
            answers[phase[0]].append((time.monotonic(), answer))
            time.sleep(0.2)

    threads = [threading.Thread(target=refresh, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    time.sleep(2)
    pg_proxy.cut()
    phase[0] = "away"
    time.sleep(AWAY_SECONDS)
    pg_proxy.restore()
    phase[0] = "back"
    time.sleep(4)
    done.set()
    for thread in threads:
        thread.join(40)
    codes = {name: Counter(a.status for _, a in got) for name, got in answers.items()}
    print(f"\nqueue refreshes around a database restart: {codes}")
    assert set(codes["before"]) == {200}
    assert codes["away"][500] == 0 and codes["away"][0] == 0, codes["away"]
    assert set(codes["away"]) <= {200, 503}  # a request in flight at the cut may still finish
    assert codes["away"][503] >= OPERATORS
    clear = [a for _, a in answers["away"] if a.status == 503]
    assert all("database" in a.body and "try again" in a.body for a in clear), clear[0].body[:400]
    # Back: at most the first refresh of each web worker meets its dropped connection.
    late = [a.status for at, a in answers["back"]][OPERATORS * 2 :]
    assert late and set(late) == {200}, codes["back"]
    assert codes["back"][500] == 0
