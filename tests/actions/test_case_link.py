"""Actions joined to cases and alerts: the link, the case's timeline and status, who is told."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.actions import services
from apps.actions.gateway import Reply
from apps.actions.measures import Measure, ReasonCode, Scope
from apps.actions.models import Action
from apps.cases.models import EventKind
from apps.cases.models import Status as CaseStatus
from apps.cases.services import case_move, case_open
from apps.notifications.models import Delivery, Notification
from tests.cases.helpers import alert_on, linked_cluster
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def freeze_for(case, by, **fields) -> list[Action]:
    return services.action_request(
        by=by,
        measure=fields.pop("measure", Measure.FREEZE),
        scope=Scope.ACCOUNT,
        account_ids=fields.pop("account_ids", None)
        or list(case.account_rows.values_list("account_id", flat=True)),
        reason_code=ReasonCode.LINKED_ACCOUNTS,
        customer_text="Your account is under review.",
        case=case,
        **fields,
    )


def opened(operator, size: int = 3):
    members = linked_cluster(size=size)
    alert = alert_on(members.ids[:1])
    return case_open(alerts=[alert], by=operator).case, alert, members


def kinds(case) -> list[str]:
    return list(case.events.order_by("at", "id").values_list("kind", flat=True))


def statuses(case) -> list[tuple[str, str]]:
    rows = case.events.filter(kind=EventKind.STATUS).order_by("at", "id")
    return [(e.data["from"], e.data["to"]) for e in rows]


def test_a_freeze_from_a_case_names_the_case_and_its_alerts_and_the_case_waits(
    operator, supervisor
) -> None:
    case, alert, _ = opened(operator)
    actions = freeze_for(case, operator, alerts=[alert])

    assert len(actions) == 3 and {a.case_id for a in actions} == {case.pk}
    assert all(list(a.alerts.all()) == [alert] for a in actions)
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_APPROVAL
    # Through the table of moves: open -> investigating -> awaiting approval, each on the line.
    assert statuses(case) == [("open", "investigating"), ("investigating", "awaiting_approval")]
    requested = case.events.get(kind=EventKind.ACTION_REQUESTED)
    assert requested.actor == operator and sorted(requested.data["actions"]) == sorted(
        a.pk for a in actions
    )
    assert "needs a supervisor's approval" in requested.text


def test_requested_approved_executed_and_the_restriction_follow_on_the_timeline(
    operator, supervisor, run_on_commit
) -> None:
    case, _, _ = opened(operator, size=1)
    (freeze,) = freeze_for(case, operator)
    with run_on_commit():
        services.action_approve(action=freeze, by=supervisor)
    freeze.refresh_from_db()
    assert freeze.status == Action.Status.EXECUTED

    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIONED
    assert kinds(case)[-7:] == [
        EventKind.ACTION_REQUESTED,
        EventKind.STATUS,  # open -> investigating
        EventKind.STATUS,  # investigating -> awaiting approval
        EventKind.ACTION_APPROVED,
        EventKind.ACTION_EXECUTED,
        EventKind.RESTRICTION,
        EventKind.STATUS,  # awaiting approval -> actioned
    ]
    executed = case.events.get(kind=EventKind.ACTION_EXECUTED)
    assert executed.actor is None and executed.task == "actions.execute_action"
    assert case.events.get(kind=EventKind.RESTRICTION).data["change"] == "applied"
    assert statuses(case)[-1] == ("awaiting_approval", "actioned")
    # The case may now close as restricted: its own rule, reached through its own moves.
    case_move(case=case, to=CaseStatus.CLOSED, by=operator, outcome="restricted")


def test_an_approval_free_measure_moves_the_case_to_actioned_when_it_executes(
    operator, run_on_commit
) -> None:
    case, _, _ = opened(operator, size=1)
    with run_on_commit():
        freeze_for(case, operator, measure=Measure.WITHDRAWAL_HOLD)
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIONED
    assert statuses(case) == [("open", "investigating"), ("investigating", "actioned")]


def test_a_rejection_sends_the_waiting_case_back_to_investigation(operator, supervisor) -> None:
    case, _, _ = opened(operator, size=2)
    first = freeze_for(case, operator)
    assert first[0].batch is not None
    services.batch_reject(batch=first[0].batch, by=supervisor, reason="not enough evidence")
    case.refresh_from_db()
    assert case.status == CaseStatus.INVESTIGATING
    rejected = case.events.filter(kind=EventKind.ACTION_REJECTED).get()  # one line per decision
    assert "not enough evidence" in rejected.text and rejected.actor == supervisor


def test_an_unanswered_request_expires_onto_the_timeline_and_the_case_stops_waiting(
    operator,
) -> None:
    case, _, _ = opened(operator, size=1)
    freeze_for(case, operator)
    assert services.actions_expire_unanswered(now=timezone.now() + timedelta(days=1)) == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.INVESTIGATING
    assert case.events.filter(kind=EventKind.ACTION_EXPIRED).count() == 1


def test_only_who_may_change_the_case_links_a_measure_to_it(operator, supervisor) -> None:
    case, _, _ = opened(operator, size=1)
    other = make_person("ingrid", "operator")
    with pytest.raises(services.ActionError, match="only they or a supervisor"):
        freeze_for(case, other)
    assert not Action.objects.exists()
    freeze_for(case, supervisor)  # supervisors change every case


def test_a_closed_case_takes_no_new_measure(operator) -> None:
    case, _, _ = opened(operator, size=1)
    case_move(case=case, to=CaseStatus.INVESTIGATING, by=operator)
    case_move(case=case, to=CaseStatus.CLOSED, by=operator, outcome="no_action")
    with pytest.raises(services.ActionError, match="is closed"):
        freeze_for(case, operator)


def test_a_request_from_an_alert_in_a_case_answers_that_case(operator) -> None:
    case, alert, members = opened(operator, size=1)
    (hold,) = services.action_request(
        by=operator,
        measure=Measure.WITHDRAWAL_HOLD,
        scope=Scope.ACCOUNT,
        account_ids=members.ids,
        reason_code=ReasonCode.LINKED_ACCOUNTS,
        customer_text="Withdrawals are paused during a review.",
        alerts=[alert],
    )
    assert hold.case_id == case.pk and list(hold.alerts.all()) == [alert]


def test_a_failed_action_tells_the_supervisors_once_and_only_after_the_commit(
    operator, supervisor, django_capture_on_commit_callbacks
) -> None:
    second = make_person("vera", "supervisor")
    case, _, _ = opened(operator, size=1)
    (hold,) = freeze_for(case, operator, measure=Measure.WITHDRAWAL_HOLD)
    claim = services.execution_claim(action_id=hold.pk)
    assert claim is not None
    refused = Reply(status=400, body={"error": "account closed"}, error="")
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        services.execution_record(claim=claim, reply=refused)
    hold.refresh_from_db()
    assert hold.status == Action.Status.FAILED
    told = Notification.objects.filter(kind="action.failed")
    assert sorted(told.values_list("recipient__username", flat=True)) == sorted(
        [supervisor.username, second.username, operator.username]
    )
    # Outbound deliveries leave only when the commit's callbacks run.
    queued = [c for c in after_commit if "_queue" in getattr(c, "__qualname__", "")]
    assert Delivery.objects.filter(notification__in=told).exists() == bool(queued)
    # The same answer recorded again (a redelivered task) tells nobody a second time.
    services.execution_record(claim=claim, reply=refused)
    assert told.count() == 3
    assert case.events.filter(kind=EventKind.ACTION_FAILED).count() == 1


def test_a_request_awaiting_approval_tells_the_supervisors_but_not_the_requester(
    supervisor,
) -> None:
    other = make_person("vera", "supervisor")
    operator = make_person("olga", "operator")
    case, _, _ = opened(supervisor, size=2)
    freeze_for(case, supervisor)
    waiting = Notification.objects.filter(kind="action.awaiting_approval")
    assert list(waiting.values_list("recipient", flat=True)) == [other.pk]  # one per request
    assert case.ref in waiting.get().title
    assert not Notification.objects.filter(recipient=operator, kind="action.awaiting_approval")


def test_lifting_and_expiry_are_restriction_changes_on_the_case(
    operator, supervisor, run_on_commit
) -> None:
    case, _, members = opened(operator, size=2)
    with run_on_commit():
        (hold,) = freeze_for(
            case, operator, measure=Measure.WITHDRAWAL_HOLD, account_ids=members.ids[:1]
        )
        freeze_for(
            case,
            operator,
            measure=Measure.TRADING_BAN,
            account_ids=members.ids[1:],
            expires_at=timezone.now() + timedelta(hours=1),
        )
    with run_on_commit():
        (lift,) = services.action_request(
            by=operator,
            measure=Measure.LIFT,
            scope=hold.scope,
            reason_code=ReasonCode.RESOLVED,
            customer_text="The review is over.",
            lifts=hold,
        )
    assert lift.case_id == case.pk  # a lift answers its action's case
    services.restrictions_expire(now=timezone.now() + timedelta(hours=2))
    changes = [
        e.data["change"] for e in case.events.filter(kind=EventKind.RESTRICTION).order_by("id")
    ]
    assert changes == ["applied", "applied", "lifted", "expired"]


def test_customer_service_sees_the_case_reference_of_a_restriction(
    client, operator, customer_service, run_on_commit
) -> None:
    case, _, members = opened(operator, size=1)
    with run_on_commit():
        (hold,) = freeze_for(case, operator, measure=Measure.WITHDRAWAL_HOLD)
    client.force_login(customer_service)
    page = client.get(reverse("lookup:account"), {"q": members.ids[0]})
    text = page.content.decode()
    assert page.status_code == 200
    assert case.ref in text and hold.reference in text
    assert case.title not in text  # the case's internal title stays on the desk


def test_the_audit_export_names_the_case_and_the_alerts(client, operator, auditor) -> None:
    case, alert, _ = opened(operator, size=1)
    (freeze,) = freeze_for(case, operator, alerts=[alert])
    client.force_login(auditor)
    response = client.get(reverse("actions:export"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0]["reference"] == freeze.reference
    assert rows[0]["case"] == case.ref and rows[0]["alerts"] == str(alert.pk)


def test_a_batch_executed_on_three_accounts_tells_the_case_once(
    operator, supervisor, run_on_commit
) -> None:
    case, _, _ = opened(operator, size=3)
    actions = freeze_for(case, operator)
    with run_on_commit():
        assert actions[0].batch is not None
        services.batch_approve(batch=actions[0].batch, by=supervisor)
    assert {a.status for a in Action.objects.filter(case=case)} == {Action.Status.EXECUTED}
    # One timeline line per account, but the people following the case hear it once.
    assert case.events.filter(kind=EventKind.ACTION_EXECUTED).count() == 3
    told = Notification.objects.filter(kind=f"case.{EventKind.ACTION_EXECUTED}")
    assert told.count() == told.values("recipient").distinct().count() >= 1
    first = told.first()
    assert first is not None and "the whole request is done" in first.title + first.body
