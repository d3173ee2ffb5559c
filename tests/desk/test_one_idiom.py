"""The idioms every app repeats, written once: history that names the actor, the row lock,
the domain error. Each test here failed on the code before they were (where it was wrong)."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from apps.actions import services as actions
from apps.actions.measures import Measure
from apps.actions.services import ActionError
from apps.alerts.services import AlertError
from apps.cases.services import CaseError
from apps.desk.errors import DomainError
from apps.desk.history import NoActor, acting_task, save_by
from apps.detection.services.rules import DetectionError
from apps.shifts.models import Assignment, Handover, ShiftChange, ShiftError
from apps.shifts.services import (
    handover_acknowledge,
    shift_assign,
    shift_change_request,
    shift_change_withdraw,
    shift_supervisor_set,
    shift_unassign,
)
from tests.actions.conftest import request_one
from tests.factories import make_person
from tests.shifts.helpers import make_shift, now

pytestmark = pytest.mark.django_db


def _last_row(model, pk):
    return model.history.filter(id=pk).order_by("-history_id").first()


# A service called with no request in flight (a management command, the shell, a test)
# used to leave its history row naming nobody in actions and shifts.


def test_an_approval_names_its_supervisor_in_the_history_without_a_request(
    operator, supervisor
) -> None:
    freeze = request_one(operator, Measure.FREEZE)
    assert _last_row(type(freeze), freeze.pk).history_user == operator
    actions.action_approve(action=freeze, by=supervisor)
    row = _last_row(type(freeze), freeze.pk)
    assert (row.history_user, row.history_change_reason) == (supervisor, "approved")


def test_a_rejection_names_its_supervisor_in_the_history(operator, supervisor) -> None:
    freeze = request_one(operator, Measure.FREEZE)
    actions.action_reject(action=freeze, by=supervisor, reason="not enough evidence")
    assert _last_row(type(freeze), freeze.pk).history_user == supervisor


def test_seat_and_cover_changes_name_the_supervisor_in_the_history(operator, supervisor) -> None:
    shift = make_shift(starts_at=now() + timedelta(days=1))
    seat = shift_assign(shift=shift, person=operator, by=supervisor)
    assert _last_row(Assignment, seat.pk).history_user == supervisor
    shift_supervisor_set(shift=shift, person=supervisor, by=supervisor)
    assert _last_row(type(shift), shift.pk).history_user == supervisor
    shift_unassign(shift=shift, person=operator, by=supervisor)
    removed = _last_row(Assignment, seat.pk)
    assert (removed.history_type, removed.history_user) == ("-", supervisor)


def test_a_cover_request_and_its_withdrawal_name_the_operator(operator, supervisor) -> None:
    other = make_person("nikhil", "operator")
    shift = make_shift(starts_at=now() + timedelta(days=1), operators=[operator])
    change = shift_change_request(
        by=operator, kind=ShiftChange.Kind.COVER, shift=shift, counterpart=other, reason="ill"
    )
    assert _last_row(ShiftChange, change.pk).history_user == operator
    shift_change_withdraw(change=change, by=operator)
    assert _last_row(ShiftChange, change.pk).history_user == operator


def test_a_history_row_never_names_nobody(operator) -> None:
    shift = make_shift(starts_at=now() + timedelta(days=1))
    with pytest.raises(NoActor):
        save_by(shift, by=None, fields=["supervisor"])
    with acting_task("shifts.test"):
        save_by(shift, by=None, fields=["supervisor"])
    assert _last_row(type(shift), shift.pk).history_task == "shifts.test"


def test_a_scan_called_outside_its_task_still_names_itself(
    operator, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ban = request_one(
            operator, Measure.TRADING_BAN, expires_at=timezone.now() + timedelta(minutes=1)
        )
    assert actions.restrictions_expire(now=timezone.now() + timedelta(minutes=2)) == 1
    row = _last_row(type(ban), ban.pk)
    assert (row.history_user, row.history_task) == (None, "actions.restrictions_expire")


# The row lock: a row deleted while someone looked at it used to raise DoesNotExist (a
# server error on the page); now the app's own error, with a message for people.


def test_acknowledging_a_handover_deleted_meanwhile_is_refused_with_a_message(
    operator, supervisor
) -> None:
    shift = make_shift(starts_at=now() - timedelta(hours=13), operators=[operator])
    handover = Handover.objects.create(
        from_shift=shift, note="n", written_by=operator, written_at=now()
    )
    Handover.objects.filter(pk=handover.pk).delete()
    with pytest.raises(ShiftError, match="no longer exists"):
        handover_acknowledge(handover=handover, by=supervisor)


def test_withdrawing_a_request_deleted_meanwhile_is_refused_with_a_message(operator) -> None:
    other = make_person("nikhil", "operator")
    shift = make_shift(starts_at=now() + timedelta(days=1), operators=[operator])
    change = shift_change_request(
        by=operator, kind=ShiftChange.Kind.COVER, shift=shift, counterpart=other, reason="ill"
    )
    ShiftChange.objects.filter(pk=change.pk).delete()
    with pytest.raises(ShiftError, match="no longer exists"):
        shift_change_withdraw(change=change, by=operator)


@pytest.mark.parametrize("error", [AlertError, CaseError, ActionError, ShiftError, DetectionError])
def test_every_apps_refusal_is_one_domain_error(error: type[Exception]) -> None:
    assert issubclass(error, DomainError)


# History is written by desk.history's helpers only (save_by, delete_by, bulk_create_by,
# bulk_update_by), which name the person or the task and refuse neither: accounts used to
# write its rows with simple-history's own bulk helpers and a hand-made task stamp, and a
# case following its merged cluster set the reason by hand.
HISTORY_WRITERS = re.compile(
    r"simple_history\.utils|_history_user\b|_change_reason\s*=.*\n.*\.save\("
)


def test_only_the_desks_helpers_write_history() -> None:
    apps = Path(__file__).resolve().parents[2] / "apps"
    found = [
        str(module.relative_to(apps))
        for module in sorted(apps.rglob("*.py"))
        if module.parts[-3:-1] != ("apps", "desk") and "migrations" not in module.parts
        if HISTORY_WRITERS.search(module.read_text())
    ]
    assert found == []
