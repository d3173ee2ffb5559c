import pytest

from apps.alerts.models import Alert, DismissReason, Status
from apps.alerts.services import (
    AlertError,
    alert_claim,
    alert_claim_next,
    alert_dismiss,
    alert_escalate,
    alert_mark_in_case,
    alert_release,
    alert_reopen,
)
from tests.alerts.payloads import stored_alert
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def test_an_operator_claims_a_new_alert_and_history_says_who(operator) -> None:
    alert = alert_claim(alert=stored_alert(), by=operator)
    assert alert.status == Status.CLAIMED and alert.assignee == operator
    latest = alert.history.latest()
    assert latest.history_user == operator and latest.history_change_reason == "claimed"


def test_claiming_twice_is_harmless_but_someone_elses_claim_is_refused(operator) -> None:
    alert = alert_claim(alert=stored_alert(), by=operator)
    assert alert_claim(alert=alert, by=operator).history.count() == 2  # no new row
    other = make_person("nikhil", "operator")
    with pytest.raises(AlertError, match="already claimed by Olga"):
        alert_claim(alert=alert, by=other)


def test_strategy_and_auditors_read_alerts_but_cannot_work_them(strategist, auditor) -> None:
    alert = stored_alert()
    for person in (strategist, auditor):
        with pytest.raises(AlertError, match="Only risk operators and supervisors"):
            alert_claim(alert=alert, by=person)


def test_release_puts_the_alert_back_in_the_queue(operator) -> None:
    alert = alert_release(alert=alert_claim(alert=stored_alert(), by=operator), by=operator)
    assert alert.status == Status.NEW and alert.assignee is None


def test_only_the_holder_or_a_supervisor_acts_on_a_claimed_alert(operator, supervisor) -> None:
    alert = alert_claim(alert=stored_alert(), by=operator)
    other = make_person("nikhil", "operator")
    with pytest.raises(AlertError, match="claimed by Olga; only they or a supervisor"):
        alert_dismiss(alert=alert, by=other, reason=DismissReason.DUPLICATE)
    alert = alert_release(alert=alert, by=supervisor)
    assert alert.status == Status.NEW


def test_dismissal_needs_a_reason_and_other_needs_a_note(operator) -> None:
    alert = stored_alert()
    with pytest.raises(AlertError, match="Choose a dismissal reason"):
        alert_dismiss(alert=alert, by=operator, reason="")
    with pytest.raises(AlertError, match="Say why in the note"):
        alert_dismiss(alert=alert, by=operator, reason=DismissReason.OTHER)
    alert = alert_dismiss(
        alert=alert, by=operator, reason=DismissReason.FP_MARKET_MAKER, note="MM desk 7"
    )
    assert alert.status == Status.DISMISSED and alert.dismiss_reason == "fp_market_maker"
    assert alert.assignee == operator and alert.decided_at is not None
    assert alert.history.latest().history_change_reason.startswith("dismissed: False positive")


def test_a_dismissed_alert_cannot_be_escalated_until_it_is_reopened(operator) -> None:
    alert = alert_dismiss(alert=stored_alert(), by=operator, reason=DismissReason.DUPLICATE)
    with pytest.raises(AlertError, match="is dismissed; it cannot be escalated"):
        alert_escalate(alert=alert, by=operator, reason="large")
    alert = alert_reopen(alert=alert, by=operator, note="new trades", claim=True)
    assert alert.status == Status.CLAIMED and alert.dismiss_reason == ""
    alert = alert_escalate(alert=alert, by=operator, reason="large")
    assert alert.status == Status.ESCALATED and alert.note == "large"
    alert = alert_reopen(alert=alert, by=operator)
    assert alert.status == Status.NEW and alert.assignee is None


def test_an_alert_in_a_case_follows_the_case(operator) -> None:
    alert = alert_mark_in_case(alert=stored_alert(), by=operator, case_ref="CASE-7")
    assert alert.status == Status.IN_CASE and alert.case_ref == "CASE-7"
    with pytest.raises(AlertError, match="only dismissed or escalated alerts are reopened"):
        alert_reopen(alert=alert, by=operator)
    with pytest.raises(AlertError, match="cannot be claimed"):
        alert_claim(alert=alert, by=operator)


def test_claim_next_takes_the_most_urgent_unclaimed_alert(operator) -> None:
    low = stored_alert(1, severity="low")
    critical = stored_alert(2, severity="critical")
    high = stored_alert(3, severity="high")
    assert alert_claim_next(by=operator) == critical
    assert alert_claim_next(by=operator) == high
    assert alert_claim_next(by=operator) == low
    assert alert_claim_next(by=operator) is None
    assert Alert.objects.filter(status=Status.CLAIMED, assignee=operator).count() == 3


def test_every_status_has_a_row_in_the_table_of_moves() -> None:
    from apps.alerts.models import ALLOWED_MOVES

    assert set(ALLOWED_MOVES) == set(Status.values)
