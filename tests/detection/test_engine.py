from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from apps.alerts.contract import FIELDS
from apps.alerts.models import Category
from apps.detection.engine import ACCOUNT_LEVEL, detect, detect_part, split_symbols
from apps.detection.evaluate import evaluate, read_labels, table
from apps.detection.feed import Feed, read_feed
from apps.detection.linking import link_accounts
from apps.detection.rules import RULES
from apps.detection.simulator import simulate

ALERT_FIELDS = FIELDS
# Every category of the alert contract has a rule, except "other".
CATEGORIES = set(Category.values) - {Category.OTHER}
NOW = pd.Timestamp("2026-11-21T00:02:13Z")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulate(tmp_path_factory.mktemp("w"), seed=7, accounts=1500, hours=8, fmt="parquet")


@pytest.fixture(scope="module")
def feed(folder: Path) -> Feed:
    return read_feed(folder)


@pytest.fixture(scope="module")
def alerts(feed: Feed) -> list[dict[str, object]]:
    return detect(feed, detected_at=NOW)


def test_every_rule_has_a_code_description_and_parameters() -> None:
    assert {rule.category for rule in RULES.values()} == CATEGORIES
    for code, rule in RULES.items():
        assert rule.code == code and len(rule.description) > 80 and rule.default_params


def test_alerts_follow_the_alert_contract(alerts: list[dict[str, object]]) -> None:
    assert alerts
    for alert in alerts:
        assert set(alert) == ALERT_FIELDS
        assert alert["category"] in CATEGORIES and alert["source"] == "riskdesk.detection/1"
        assert alert["severity"] in {"low", "medium", "high", "critical"}
        assert 0 <= alert["score"] <= 100  # type: ignore[operator]
        assert len(alert["dedup_key"]) <= 200  # type: ignore[arg-type]
        assert alert["accounts"] or alert["category"] == "market_stress"
        assert (
            str(alert["window_start"]).endswith("Z")
            and alert["detected_at"] == "2026-11-21T00:02:13Z"
        )
        assert len(json.dumps(alert["evidence"])) <= 64 * 1024
        json.dumps(alert)  # plain JSON, nothing numpy


def test_a_window_run_twice_gives_the_same_dedup_keys(
    feed: Feed, alerts: list[dict[str, object]]
) -> None:
    again = detect(feed)
    assert [a["dedup_key"] for a in again] == [a["dedup_key"] for a in alerts]
    assert len({a["dedup_key"] for a in alerts}) == len(alerts)


def test_a_window_split_by_symbol_merges_into_the_same_alerts(
    feed: Feed, alerts: list[dict[str, object]]
) -> None:
    linkage = link_accounts(feed.logins, feed.transfers, feed.trades)
    assert feed.trades is not None
    groups = split_symbols(feed.trades["symbol"].value_counts(), 3)
    parts: list[str | list[str]] = [ACCOUNT_LEVEL, *groups]
    merged = [a for part in parts for a in detect_part(feed, part, linkage, detected_at=NOW)]
    assert sorted(merged, key=lambda a: str(a["dedup_key"])) == alerts


def test_disabled_rules_do_not_run_and_parameters_change_thresholds(feed: Feed) -> None:
    only = detect(feed, enabled={"self_trade"})
    assert only and {a["rule"] for a in only} == {"self_trade"}
    strict = detect(
        feed, params={"self_trade": {"min_self_trades": 10_000}}, enabled={"self_trade"}
    )
    assert strict == []


def test_the_simulated_window_is_found_and_hard_negatives_stay_quiet(
    folder: Path, alerts: list[dict[str, object]]
) -> None:
    scores = evaluate(alerts, read_labels(folder / "labels.jsonl"))
    print(table(scores))
    assert {s.category for s in scores} == CATEGORIES
    for s in scores:
        # A cluster a specific alert names is shown there, not raised twice (rules/covered.py).
        recall = s.shown / s.incidents if s.category == "common_control" else s.recall
        assert recall >= 0.95 and s.precision >= 0.9, s
        assert s.hard_negative_hits == 0, s


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_alert_of_every_rule_explains_each_metric_beside_its_threshold(
    code: str, alerts: list[dict[str, object]]
) -> None:
    mine = [alert for alert in alerts if alert["rule"] == code]
    assert mine, f"the simulated window raises no {code} alert"
    for alert in mine:
        rows = alert["evidence"]["explain"]  # type: ignore[index]
        assert rows, alert["dedup_key"]
        for row in rows:
            assert row["label"] and row["unit"] and isinstance(row["value"], int | float)
            assert row["comparison"] in {">=", ">", "<=", "<"}
        crossed = [r for r in rows if r["threshold"] is not None and (r["past"] or 0) >= 1]
        assert crossed, f"{alert['dedup_key']}: no metric past its threshold in {rows}"
