"""The accounts are linked on a second thread while the rules that do not read the
links run (engine.run_window, Rule.reads_links): those rules must truly not read them,
and the run's alerts are the ones an eager linkage gives."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from apps.detection.context import Context
from apps.detection.engine import SharedRules, detect, detect_window, heavy_at_the_ends
from apps.detection.feed import read_feed
from apps.detection.linking import link_window
from apps.detection.live.partition import NoLinkage
from apps.detection.rules import RULES, Finding
from apps.detection.simulator import simulate


@pytest.fixture(scope="module")
def window(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulate(tmp_path_factory.mktemp("m"), seed=3, accounts=900, hours=6, fmt="parquet")


def test_the_rules_said_not_to_read_the_links_never_do(window: Path) -> None:
    unread = {code for code, rule in RULES.items() if not rule.reads_links}
    assert unread >= {"self_trade", "frequent_cancel", "unauthorized_algo"}
    for code in unread:  # nor does any rule covering them
        assert set(RULES[code].covered_by) <= unread, code
    alerts = detect(read_feed(window), enabled=unread, linkage=NoLinkage())  # type: ignore[arg-type]
    assert {alert["rule"] for alert in alerts} == unread  # each ran, and found its incident


def test_linking_beside_the_rules_finds_what_linking_first_finds(window: Path) -> None:
    feed = read_feed(window)
    eager = detect(feed, linkage=link_window(feed))
    alerts, linkage = detect_window(window)
    key = lambda alert: (alert["dedup_key"], alert["severity"], alert["summary"])  # noqa: E731
    assert sorted(map(key, alerts)) == sorted(map(key, eager))
    assert linkage.clusters == link_window(feed).clusters


def test_the_shared_rules_run_each_once_and_a_failure_is_raised_where_read() -> None:
    ran: list[str] = []

    def run(code: str) -> list[Finding]:
        ran.append(code)
        if code == "b":
            raise KeyError(code)
        return []

    shared = SharedRules(["a", "b", "c", "d"], run)
    with ThreadPoolExecutor(max_workers=1) as beside:
        beside.submit(shared.work, front=False)
        shared.work(front=True)
    assert sorted(ran) == ["a", "b", "c", "d"]
    assert shared.runs["a"].result() == []
    with pytest.raises(KeyError):
        shared.runs["b"].result()


def test_accounts_outside_the_accounts_table_get_codes_whichever_rule_meets_them_first(
    window: Path,
) -> None:
    feed = read_feed(window)
    assert feed.accounts is not None
    feed.accounts = feed.accounts.iloc[25:].reset_index(drop=True)  # 25 strangers now
    orders, buyers = feed.orders["account_id"], feed.trades["buyer_id"]  # type: ignore[index]
    one = Context.build(feed, linkage=NoLinkage())  # type: ignore[arg-type]
    two = Context.build(feed, linkage=NoLinkage())  # type: ignore[arg-type]
    one_orders, one_buyers = one.account_codes(orders), one.account_codes(buyers)
    two_buyers, two_orders = two.account_codes(buyers), two.account_codes(orders)
    assert len(one.accounts) > len(feed.accounts)
    assert list(one.accounts) == list(two.accounts)
    assert (one_orders == two_orders).all() and (one_buyers == two_buyers).all()
    assert (one.accounts[one_orders] == orders.astype("str").to_numpy()).all()


def test_the_heavy_rules_are_taken_first_from_both_ends() -> None:
    chosen = [rule for rule in RULES.values() if rule.reads_links]
    order = [rule.code for rule in heavy_at_the_ends(chosen)]
    heavy = [rule.code for rule in chosen if rule.heavy]
    assert len(heavy) >= 2 and sorted(order) == sorted(rule.code for rule in chosen)
    assert {order[0], order[-1]} == set(heavy[:2])
