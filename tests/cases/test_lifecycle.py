"""A case from open to closed: every move in the table, every other move refused."""

import pytest

from apps.actions.measures import Measure, ReasonCode, Scope
from apps.actions.models import Action
from apps.actions.services import action_execute, action_request
from apps.alerts.models import Status as AlertStatus
from apps.cases.models import HAND_MOVES, Case, CaseEvent, EventKind, Outcome, Status
from apps.cases.services import CaseError, case_move, case_open
from tests.cases.helpers import alert_on, linked_cluster

pytestmark = pytest.mark.django_db


_keys = iter(range(100_000))


def _measure(case: Case, by, measure: str) -> Action:
    (action,) = action_request(
        by=by,
        measure=measure,
        scope=Scope.ACCOUNT,
        account_ids=list(case.account_rows.values_list("account_id", flat=True)),
        reason_code=ReasonCode.LINKED_ACCOUNTS,
        customer_text="Your account is under review.",
        case=case,
    )
    return action


def case_in(status: str, by) -> Case:
    """A case brought to `status` through the services: by hand, or — for the statuses its
    measures decide — by a freeze that waits, or a withdrawal hold carried out."""
    members = linked_cluster(key=f"C-{status}-{next(_keys)}", size=1)
    case = case_open(alerts=[alert_on(members.ids)], by=by).case
    if status != Status.OPEN:
        case = case_move(case=case, to=Status.INVESTIGATING, by=by)
    if status == Status.AWAITING_APPROVAL:
        _measure(case, by, Measure.FREEZE)
    if status == Status.ACTIONED:
        action_execute(_measure(case, by, Measure.WITHDRAWAL_HOLD).pk)
    if status == Status.CLOSED:
        case = case_move(case=case, to=Status.CLOSED, by=by, outcome=Outcome.NO_ACTION)
    case.refresh_from_db()
    assert case.status == status
    return case


def test_opening_a_case_puts_its_alerts_in_it_and_gives_it_to_the_opener(operator) -> None:
    members = linked_cluster()
    first, second = alert_on(members.ids[:2]), alert_on(members.ids[1:], severity="critical")

    opened = case_open(alerts=[first, second], by=operator, title="Wash ring")

    case = opened.case
    assert opened.created and case.status == Status.OPEN and case.assignee == operator
    assert case.severity == "critical" and case.cluster == members.cluster
    assert set(case.account_rows.values_list("account_id", flat=True)) == set(members.ids)
    for alert in (first, second):
        alert.refresh_from_db()
        assert alert.status == AlertStatus.IN_CASE and alert.case_ref == case.ref
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == [EventKind.OPENED, EventKind.ALERT_JOINED, EventKind.ALERT_JOINED]
    assert operator.has_perm("cases.change_case", case)


IN_TABLE = [(start, to) for start in Status for to in sorted(HAND_MOVES[start])]
OUTSIDE = [
    (start, to) for start in Status for to in Status if to != start and to not in HAND_MOVES[start]
]


def test_the_hand_moves_are_the_ones_the_desk_needs() -> None:
    assert IN_TABLE == [
        (Status.OPEN, Status.INVESTIGATING),
        (Status.INVESTIGATING, Status.CLOSED),
        (Status.ACTIONED, Status.CLOSED),
        (Status.CLOSED, Status.INVESTIGATING),
    ]


@pytest.mark.parametrize(("start", "to"), OUTSIDE)
def test_every_move_outside_the_table_is_refused_with_a_message(operator, start, to) -> None:
    case = case_in(start, operator)
    with pytest.raises(CaseError) as refused:
        case_move(case=case, to=to, by=operator, outcome=Outcome.NO_ACTION)
    message = str(refused.value)
    assert case.ref in message and f"cannot move to {Status(to).label.lower()}" in message
    assert Case.objects.get(pk=case.pk).status == start


@pytest.mark.parametrize(("start", "to"), IN_TABLE)
def test_every_move_in_the_table_is_made(operator, start, to) -> None:
    case = case_in(start, operator)
    outcome = Outcome.NO_ACTION if to == Status.CLOSED else ""
    moved = case_move(case=case, to=to, by=operator, outcome=outcome)
    assert moved.status == to and Case.objects.get(pk=case.pk).status == to
    event = CaseEvent.objects.filter(case=case, kind=EventKind.STATUS).last()
    assert event is not None and (event.data["from"], event.data["to"]) == (start, to)
    assert event.actor == operator


def test_a_case_closes_only_with_an_outcome(operator) -> None:
    case = case_in(Status.INVESTIGATING, operator)
    with pytest.raises(CaseError, match="Choose an outcome"):
        case_move(case=case, to=Status.CLOSED, by=operator)


def test_a_restriction_is_recorded_only_once_the_measure_was_actioned(operator) -> None:
    case = case_in(Status.INVESTIGATING, operator)
    with pytest.raises(CaseError, match="once the measure has been actioned"):
        case_move(case=case, to=Status.CLOSED, by=operator, outcome=Outcome.RESTRICTED)
    action_execute(_measure(case, operator, Measure.WITHDRAWAL_HOLD).pk)
    case.refresh_from_db()
    assert case.status == Status.ACTIONED
    closed = case_move(case=case, to=Status.CLOSED, by=operator, outcome=Outcome.RESTRICTED)
    assert closed.outcome == Outcome.RESTRICTED and closed.closed_at is not None


def test_reopening_clears_the_outcome(operator) -> None:
    case = case_in(Status.CLOSED, operator)
    reopened = case_move(case=case, to=Status.INVESTIGATING, by=operator)
    assert reopened.outcome == "" and reopened.closed_at is None


def test_a_case_cannot_be_reopened_while_its_cluster_has_another_open_one(operator) -> None:
    members = linked_cluster()
    old = case_open(alerts=[alert_on(members.ids[:1])], by=operator).case
    case_move(case=old, to=Status.INVESTIGATING, by=operator)
    case_move(case=old, to=Status.CLOSED, by=operator, outcome=Outcome.NO_ACTION)
    new = case_open(alerts=[alert_on(members.ids[1:2])], by=operator).case
    assert new.pk != old.pk
    with pytest.raises(CaseError, match=f"already has open case {new.ref}"):
        case_move(case=old, to=Status.INVESTIGATING, by=operator)


def test_a_move_to_the_same_status_changes_nothing(operator) -> None:
    case = case_in(Status.INVESTIGATING, operator)
    events = case.events.count()
    case_move(case=case, to=Status.INVESTIGATING, by=operator)
    assert case.events.count() == events


def test_alerts_of_two_clusters_do_not_make_one_case(operator) -> None:
    one, two = linked_cluster("C1"), linked_cluster("C2")
    with pytest.raises(CaseError, match=r"different control clusters \(C1, C2\)"):
        case_open(alerts=[alert_on(one.ids[:1]), alert_on(two.ids[:1])], by=operator)


def test_an_alert_already_in_a_case_does_not_open_another(operator) -> None:
    members = linked_cluster()
    alert = alert_on(members.ids[:1])
    case = case_open(alerts=[alert], by=operator).case
    with pytest.raises(CaseError, match=f"already in case {case.ref}"):
        case_open(alerts=[alert], by=operator)
