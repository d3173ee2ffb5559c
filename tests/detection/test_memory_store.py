"""The desk's memory of accounts in the database: folded in once per window, read back
in a bounded number of queries, and what makes a one-day window's theft visible."""

from __future__ import annotations

import pandas as pd
import pytest

from apps.accounts.models import AccountProfile, ControlCluster, Identifier, RememberedWindow
from apps.desk.history import acting_task
from apps.detection import memory_store
from apps.detection.engine import detect
from apps.detection.linking import link_window
from apps.detection.memory_store import memory_recall, memory_remember
from apps.detection.services.runs import window_recall
from tests.detection.builder import DAY, Window, at
from tests.factories import ExchangeAccountFactory

NEXT_DAY = pd.Timedelta(days=1)


@pytest.fixture(autouse=True)
def as_remember_run():
    """What the detection.remember_run task does around the memory: the accounts it folds
    in have history rows naming the task."""
    with acting_task("detection.remember_run"):
        yield


def _usual_day() -> Window:
    w = Window()
    w.marks(minutes=60)
    w.login("U1", at(10), "10.0.0.1", "own-phone")
    w.transfer("U1", "deposit", 3000.0, at(20), address="own-wallet")
    w.transfer("U1", "internal_out", 40.0, at(25), counterparty="U2")
    w.order("U1", "buy", 10, 100_000.0, at(30))
    w.login("U2", at(11), "10.0.0.2", "phone-2")
    return w


def _theft_next_day() -> Window:
    w = Window()
    w.marks(minutes=60, start=24 * 60)
    w.login("U1", at(24 * 60 + 5), "45.1.1.1", "strange-phone")
    w.transfer("U1", "withdrawal", 2800.0, at(24 * 60 + 20), address="thief-wallet")
    w.account("U2")
    return w


def _state() -> tuple[list[tuple], list[tuple]]:
    return (
        sorted(Identifier.objects.values_list("account_id", "kind", "value", "times_seen")),
        sorted(
            AccountProfile.objects.values_list(
                "account_id", "days_observed", "orders", "usual_equity", "findings"
            )
        ),
    )


@pytest.mark.django_db
def test_remembering_the_same_window_twice_changes_nothing() -> None:
    feed = _usual_day().feed()
    alerts = [{"category": "common_control", "accounts": ["U1", "U2"]}]
    first = memory_remember(feed=feed, alerts=alerts)
    assert first is not None and first.new
    before = _state()
    again = memory_remember(feed=feed, alerts=alerts)
    assert again is not None and not again.new and again.window == first.window
    assert _state() == before and RememberedWindow.objects.count() == 1
    profile = AccountProfile.objects.get(account_id="U1")
    assert profile.orders == 1 and profile.findings == {"common_control": 1}
    assert profile.order_notional == {"BTCUSDT": 1000.0}
    kinds = set(Identifier.objects.filter(account_id="U1").values_list("kind", "value"))
    assert kinds == {
        ("ip", "10.0.0.1"),
        ("device", "own-phone"),
        ("address", "own-wallet"),
        ("counterparty", "U2"),
    }


@pytest.mark.django_db
def test_a_second_window_sees_the_first_windows_identifiers_and_finds_the_theft() -> None:
    memory_remember(feed=_usual_day().feed(), alerts=[])
    later = _theft_next_day().feed()
    memory = window_recall(later)
    assert memory.known("device", ["U1", "U1"], ["own-phone", "strange-phone"]).tolist() == [
        True,
        False,
    ]
    assert memory.usual_equity(["U1"])[0] == 3000.0
    [alert] = detect(later, enabled={"account_theft"}, memory=memory)
    assert alert["accounts"] == ["U1"] and alert["metrics"]["share_of_equity"] == 0.933
    assert detect(later, enabled={"account_theft"}) == []  # the window alone cannot tell


@pytest.mark.django_db
def test_a_window_run_again_is_judged_without_what_it_taught_the_memory() -> None:
    memory_remember(feed=_usual_day().feed(), alerts=[])
    later = _theft_next_day().feed()
    memory_remember(feed=later, alerts=[])  # the desk already ran it once
    memory = window_recall(later)
    assert not memory.known("device", ["U1"], ["strange-phone"])[0]
    assert len(detect(later, enabled={"account_theft"}, memory=memory)) == 1


@pytest.mark.django_db
def test_a_later_window_adds_to_the_profile() -> None:
    memory_remember(feed=_usual_day().feed(), alerts=[])
    w = _usual_day()
    w.rows["orders"], w.rows["logins"], w.rows["transfers"] = [], [], []
    w.order("U1", "buy", 40, 100_000.0, DAY + NEXT_DAY + pd.Timedelta(minutes=5))
    w.login("U1", DAY + NEXT_DAY, "10.0.0.1", "own-phone")
    memory_remember(feed=w.feed(), alerts=[{"category": "large_cancel", "accounts": ["U1"]}])
    profile = AccountProfile.objects.get(account_id="U1")
    assert profile.orders == 2 and profile.findings == {"large_cancel": 1}
    assert profile.order_notional == {"BTCUSDT": 2000.0}  # halfway (in log terms) to 4,000
    assert Identifier.objects.get(account_id="U1", kind="device").times_seen == 2


@pytest.mark.django_db
def test_reading_the_memory_is_two_queries_per_chunk_of_accounts(
    monkeypatch: pytest.MonkeyPatch, django_assert_num_queries
) -> None:
    memory_remember(feed=_usual_day().feed(), alerts=[])
    monkeypatch.setattr(memory_store, "RECALL_CHUNK", 2)
    with django_assert_num_queries(4):  # 3 accounts: 2 chunks of identifiers and profiles
        memory = memory_recall(["U1", "U2", "U3"])
    assert len(memory) == 2 and memory.remembers(["U1", "U3"]).tolist() == [True, False]
    with django_assert_num_queries(20):  # 50,000 accounts in chunks of 5,000
        monkeypatch.setattr(memory_store, "RECALL_CHUNK", 5_000)
        memory_recall([f"A{i}" for i in range(50_000)])


@pytest.mark.django_db
def test_identifier_widths_count_the_accounts_the_desk_saw_before_the_window() -> None:
    from datetime import UTC, datetime

    from apps.accounts.models import Identifier
    from apps.detection.memory_store import identifier_widths
    from tests.factories import IdentifierFactory

    for _ in range(3):
        IdentifierFactory(kind=Identifier.Kind.ADDRESS, value="hot-1")
    IdentifierFactory(
        kind=Identifier.Kind.ADDRESS,
        value="hot-1",
        first_seen=datetime(2026, 11, 25, tzinfo=UTC),  # first seen in the window itself
    )
    uses = pd.DataFrame({"kind": ["address", "address"], "value": ["hot-1", "fresh"]})
    widths = identifier_widths(uses, before=datetime(2026, 11, 24, tzinfo=UTC))
    assert widths.values.tolist() == [["address", "hot-1", 3]]


@pytest.mark.django_db
def test_the_window_path_holds_the_clusters_the_desk_keeps() -> None:
    # Three quiet accounts funded from one wallet, which also paid two busy customers.
    w = Window()
    w.marks(minutes=60)
    for minute, account in enumerate(["Q1", "Q2", "Q3", "B1", "B2"]):
        w.transfer(account, "withdrawal", 100.0, at(minute), address="funder")
    for minute, busy in enumerate(["B1", "B2"] * 12):
        w.transfer(busy, "withdrawal", 100.0, at(10 + minute), address=f"{busy}-{minute}")
    feed = w.feed()
    assert link_window(feed).clusters == {}  # a fresh desk: the wallet holds none of them
    kept = ControlCluster.objects.create(key="C-Q", size=3)
    for account in ("Q1", "Q2", "Q3"):
        ExchangeAccountFactory(account_id=account, cluster=kept)
    memory = window_recall(feed)
    assert memory.clusters == {"Q1": "C-Q", "Q2": "C-Q", "Q3": "C-Q"}
    held = link_window(feed, kept=memory.clusters)
    assert held.clusters == {"Q1": ["Q1", "Q2", "Q3"]}
