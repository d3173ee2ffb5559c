"""The strategy team's control of rules: versioned thresholds, on/off, one live version."""

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from apps.detection.models import DetectionRule, RuleVersion
from apps.detection.rules import RULES
from apps.detection.services import (
    DetectionError,
    live_settings,
    rule_change_approve,
    rule_change_request,
    rule_version_propose,
)
from tests.factories import make_person


@pytest.fixture
def self_trade(db: None) -> DetectionRule:
    live_settings()  # every rule of the code has its row and a live version 1
    return DetectionRule.objects.get(code="self_trade")


def test_every_rule_of_the_code_is_in_the_desk_with_its_defaults_live(self_trade) -> None:
    assert DetectionRule.objects.count() == len(RULES) == 13
    assert self_trade.live_version.params == RULES["self_trade"].default_params
    assert self_trade.live_version.number == 1


def test_a_strategist_proposes_a_draft_and_switching_it_live_retires_the_old(
    self_trade, strategist
) -> None:
    params = {**self_trade.live_version.params}
    name = next(n for n, v in params.items() if isinstance(v, int) and not isinstance(v, bool))
    params[name] += 3
    draft = rule_version_propose(rule=self_trade, params=params, note="fewer FPs", by=strategist)
    assert (draft.number, draft.status) == (2, RuleVersion.Status.DRAFT)
    assert live_settings()[0]["self_trade"][name] == params[name] - 3  # not live yet
    second = make_person("tom", "strategy")
    change = rule_change_request(
        rule=self_trade, kind="publish", version=draft, reason="fewer FPs", by=strategist
    )
    assert live_settings()[0]["self_trade"][name] == params[name] - 3  # waits for a second
    rule_change_approve(change=change, by=second)
    assert live_settings()[0]["self_trade"][name] == params[name]
    assert RuleVersion.objects.get(rule=self_trade, number=1).status == RuleVersion.Status.RETIRED
    assert self_trade.history.latest().history_user == second


def test_thresholds_are_checked_against_the_rule(self_trade, strategist) -> None:
    params = {**self_trade.live_version.params, "bogus": 1}
    name = next(iter(self_trade.live_version.params))
    params[name] = "five"
    with pytest.raises(DetectionError) as error:
        rule_version_propose(rule=self_trade, params=params, note="", by=strategist)
    assert error.value.errors["bogus"] == "is not a parameter of this rule"
    assert "must be" in error.value.errors[name]
    assert self_trade.versions.count() == 1


def test_only_the_strategy_team_asks_for_rule_changes(self_trade, operator, supervisor) -> None:
    for person in (operator, supervisor):
        with pytest.raises(DetectionError, match="strategy team"):
            rule_change_request(rule=self_trade, kind="switch_off", reason="noisy", by=person)


def test_switching_a_rule_off_takes_it_out_of_detection(self_trade, strategist, supervisor) -> None:
    change = rule_change_request(
        rule=self_trade, kind="switch_off", reason="noisy tonight", by=strategist
    )
    assert "self_trade" in live_settings()[1]  # not before a second person approves
    rule_change_approve(change=change, by=supervisor)
    assert "self_trade" not in live_settings()[1]


def test_the_database_holds_one_live_version_per_rule(self_trade) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        RuleVersion.objects.create(
            rule=self_trade, number=9, params={}, status=RuleVersion.Status.LIVE
        )


def test_a_bad_threshold_on_the_page_keeps_what_was_typed_and_says_what_is_wrong(
    self_trade, strategist
) -> None:
    client = Client()
    client.force_login(strategist)
    form = {f"p:{n}": str(v) for n, v in self_trade.live_version.params.items()}
    name = next(iter(self_trade.live_version.params))
    form[f"p:{name}"] = "lots"
    response = client.post(reverse("detection:rule_propose", args=["self_trade"]), form)
    assert response.status_code == 400
    assert b'value="lots"' in response.content
    assert b"Nothing was saved" in response.content
    assert self_trade.versions.count() == 1


def test_a_backtest_shows_what_a_stricter_version_would_stop_raising(
    self_trade, strategist, settings, tmp_path, django_capture_on_commit_callbacks
) -> None:
    from apps.detection.services import backtest_request
    from apps.detection.simulator import simulate

    settings.DETECTION_DROP_DIR = tmp_path
    simulate(tmp_path / "w-bt", seed=5, accounts=300, hours=2)
    stricter = {
        name: (
            value * 1000
            if isinstance(value, int | float) and not isinstance(value, bool)
            else value
        )
        for name, value in self_trade.live_version.params.items()
    }
    draft = rule_version_propose(rule=self_trade, params=stricter, note="", by=strategist)
    with django_capture_on_commit_callbacks(execute=True):
        backtest = backtest_request(version=draft, window="w-bt", by=strategist)
    backtest.refresh_from_db()
    assert backtest.status == "done"
    assert len(backtest.live_alerts) > 0
    assert backtest.proposed_alerts == []
    with pytest.raises(DetectionError, match="No stored window"):
        backtest_request(version=draft, window="../etc", by=strategist)


def test_syncing_the_rules_again_writes_no_history(self_trade) -> None:
    from apps.detection.services import rules_sync

    rows = DetectionRule.history.count()
    rules_sync()
    assert DetectionRule.history.count() == rows
