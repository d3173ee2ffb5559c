"""What the desk sees changes with two people: publishing a version or switching a rule off
is asked with a reason and made when another strategist or a supervisor approves; thresholds
keep their units' bounds; each version says what it changed."""

import pytest

from apps.detection.models import DetectionRule, RuleChange
from apps.detection.selectors import version_rows
from apps.detection.services import (
    DetectionError,
    live_settings,
    rule_change_approve,
    rule_change_reject,
    rule_change_request,
    rule_switch_on,
    rule_version_propose,
)
from apps.notifications.models import Notification
from tests.factories import make_person


@pytest.fixture
def pnl(db: None) -> DetectionRule:
    live_settings()
    return DetectionRule.objects.get(code="abnormal_pnl")


def _draft(rule: DetectionRule, by, **changes):
    live = rule.live_version
    assert live is not None
    return rule_version_propose(rule=rule, params={**live.params, **changes}, note="tune", by=by)


def test_a_win_rate_above_one_is_refused_with_its_bounds(pnl, strategist) -> None:
    with pytest.raises(DetectionError) as error:
        _draft(pnl, strategist, min_win_rate=1.2)
    assert error.value.errors["min_win_rate"] == (
        "must be at most 1 (share of closing trades that won, 0 to 1); 1.2 is above it"
    )
    assert pnl.versions.count() == 1


def test_each_version_says_what_it_changed(pnl, strategist) -> None:
    _draft(pnl, strategist, min_win_rate=0.9, min_closes=20)
    rows = version_rows(pnl)
    assert rows[0].changes == ["min_closes: 10 → 20", "min_win_rate: 0.8 → 0.9"]
    assert rows[1].changes == []


def test_publishing_needs_a_reason_and_a_second_person_never_oneself(pnl, strategist) -> None:
    mei = make_person("mei", "supervisor")
    draft = _draft(pnl, strategist, min_win_rate=0.9)
    with pytest.raises(DetectionError, match="Say why"):
        rule_change_request(rule=pnl, kind="publish", version=draft, reason=" ", by=strategist)
    change = rule_change_request(
        rule=pnl, kind="publish", version=draft, reason="too many FPs", by=strategist
    )
    with pytest.raises(DetectionError, match="second person"):
        rule_change_approve(change=change, by=strategist)
    with pytest.raises(DetectionError, match="already asked"):
        rule_change_request(rule=pnl, kind="switch_off", reason="x", by=strategist)
    assert Notification.objects.filter(recipient=mei, kind="rule_change").exists()
    rule_change_approve(change=change, by=mei)
    assert live_settings()[0]["abnormal_pnl"]["min_win_rate"] == 0.9
    change.refresh_from_db()
    assert (change.status, change.decided_by) == (RuleChange.Status.APPROVED, mei)
    assert Notification.objects.filter(recipient=strategist, title__contains="approved").exists()


def test_a_rejection_needs_a_note_and_changes_nothing(pnl, strategist, operator) -> None:
    change = rule_change_request(rule=pnl, kind="switch_off", reason="noisy", by=strategist)
    tom = make_person("tom", "strategy")
    with pytest.raises(DetectionError, match="strategist or a supervisor"):
        rule_change_reject(change=change, by=operator, note="no")
    with pytest.raises(DetectionError, match="Say why you reject"):
        rule_change_reject(change=change, by=tom, note="")
    rule_change_reject(change=change, by=tom, note="it caught two cases this week")
    assert "abnormal_pnl" in live_settings()[1]
    with pytest.raises(DetectionError, match="Already rejected"):
        rule_change_approve(change=change, by=make_person("sue", "supervisor"))


def test_switching_back_on_is_direct_but_needs_a_reason(pnl, strategist, supervisor) -> None:
    change = rule_change_request(rule=pnl, kind="switch_off", reason="noisy", by=strategist)
    rule_change_approve(change=change, by=supervisor)
    with pytest.raises(DetectionError, match="Say why"):
        rule_switch_on(rule=pnl, by=strategist, reason="")
    rule_switch_on(rule=pnl, by=strategist, reason="market calm again")
    assert "abnormal_pnl" in live_settings()[1]


# The one row lock (desk.locking.locked): a rule or a change gone while someone looked at it
# used to raise DoesNotExist (a server error on the page); now detection's own refusal.


def test_deciding_on_a_change_deleted_meanwhile_is_refused_with_a_message(
    pnl, strategist, supervisor
) -> None:
    draft = _draft(pnl, strategist, min_win_rate=0.9)
    change = rule_change_request(
        rule=pnl, kind="publish", version=draft, reason="too many FPs", by=strategist
    )
    RuleChange.objects.filter(pk=change.pk).delete()
    with pytest.raises(DetectionError, match="no longer exists"):
        rule_change_approve(change=change, by=supervisor)


def test_tuning_a_rule_that_is_gone_is_refused_with_a_message(pnl, strategist) -> None:
    gone = DetectionRule(pk=pnl.pk + 10_000, code="gone")
    with pytest.raises(DetectionError, match="no longer exists"):
        rule_version_propose(rule=gone, params={}, note="tune", by=strategist)
    with pytest.raises(DetectionError, match="no longer exists"):
        rule_change_request(rule=gone, kind="switch_off", reason="noise", by=strategist)
