"""The accounts are linked on a second thread while the rules that do not read the
links run (engine.run_window, Rule.reads_links): those rules must truly not read them,
and the run's alerts are the ones an eager linkage gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.detection.engine import detect, detect_window
from apps.detection.feed import read_feed
from apps.detection.linking import link_window
from apps.detection.live.partition import NoLinkage
from apps.detection.rules import RULES
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
