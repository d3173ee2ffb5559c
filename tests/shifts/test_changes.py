"""Covers and swaps: asked by the operator on the shift, decided by another person, a supervisor."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from apps.shifts.models import Assignment, ShiftChange, ShiftError
from apps.shifts.selectors import on_duty
from apps.shifts.services import (
    shift_change_approve,
    shift_change_reject,
    shift_change_request,
    shift_change_withdraw,
)
from tests.factories import make_person
from tests.shifts.helpers import make_shift, now

pytestmark = pytest.mark.django_db
COVER, SWAP = ShiftChange.Kind.COVER, ShiftChange.Kind.SWAP


@pytest.fixture
def nikhil(db):
    return make_person("nikhil", "operator")


@pytest.fixture
def two_shifts(operator, nikhil, supervisor):
    start = now() + timedelta(days=1)
    mine = make_shift(starts_at=start, operators=[operator], supervisor=supervisor)
    theirs = make_shift(starts_at=start + timedelta(hours=12), operators=[nikhil])
    return mine, theirs


def _seats(shift) -> list[str]:
    return sorted(shift.assignments.values_list("person__username", flat=True))


def test_a_swap_approved_by_a_supervisor_trades_the_two_seats(
    operator, nikhil, supervisor, two_shifts
) -> None:
    mine, theirs = two_shifts
    change = shift_change_request(
        by=operator, kind=SWAP, shift=mine, counterpart=nikhil, counterpart_shift=theirs,
        reason="family visit",
    )  # fmt: skip
    assert _seats(mine) == ["olga"]  # nothing moves before a supervisor decides
    shift_change_approve(change=change, by=supervisor, note="fine")
    assert (_seats(mine), _seats(theirs)) == (["nikhil"], ["olga"])
    change.refresh_from_db()
    assert (change.status, change.decided_by) == (ShiftChange.Status.APPROVED, supervisor)
    seat = Assignment.objects.get(shift=mine)
    assert seat.change == change
    assert seat.history.first().history_change_reason.endswith("approved by Sam")


def test_an_operator_cannot_approve_a_swap(operator, nikhil, two_shifts) -> None:
    mine, theirs = two_shifts
    change = shift_change_request(
        by=operator, kind=SWAP, shift=mine, counterpart=nikhil, counterpart_shift=theirs,
        reason="x",
    )  # fmt: skip
    for person in (nikhil, make_person("oscar", "operator")):
        with pytest.raises(ShiftError, match="Only a supervisor"):
            shift_change_approve(change=change, by=person)
    assert _seats(mine) == ["olga"]


def test_a_supervisor_never_approves_their_own_request(nikhil, supervisor) -> None:
    both = make_person("ben", "operator")
    both.groups.add(supervisor.groups.get())  # an operator who is also a supervisor
    shift = make_shift(starts_at=now() + timedelta(hours=3), operators=[both])
    change = shift_change_request(
        by=both, kind=COVER, shift=shift, counterpart=nikhil, reason="sick"
    )
    with pytest.raises(ShiftError, match="part of"):
        shift_change_approve(change=change, by=both)
    # ... nor does the database let code that skips the service record it.
    with pytest.raises(IntegrityError), transaction.atomic():
        ShiftChange.objects.filter(pk=change.pk).update(decided_by=both)


def test_the_counterpart_cannot_decide_either(operator, nikhil, two_shifts) -> None:
    nikhil.groups.add(make_person("x", "supervisor").groups.get())
    change = shift_change_request(
        by=operator, kind=COVER, shift=two_shifts[0], counterpart=nikhil, reason="x"
    )
    with pytest.raises(ShiftError, match="part of"):
        shift_change_approve(change=change, by=nikhil)


def test_only_the_operator_on_the_shift_asks(operator, nikhil, supervisor, two_shifts) -> None:
    mine, _ = two_shifts
    with pytest.raises(ShiftError, match="is not on"):
        shift_change_request(by=nikhil, kind=COVER, shift=mine, counterpart=operator, reason="x")
    with pytest.raises(ShiftError, match="asked for by the operator"):
        shift_change_request(by=supervisor, kind=COVER, shift=mine, counterpart=nikhil, reason="x")
    with pytest.raises(ShiftError, match="Say why"):
        shift_change_request(by=operator, kind=COVER, shift=mine, counterpart=nikhil, reason=" ")


def test_asking_twice_asks_once(operator, nikhil, two_shifts) -> None:
    ask = dict(by=operator, kind=COVER, shift=two_shifts[0], counterpart=nikhil, reason="x")
    assert shift_change_request(**ask) == shift_change_request(**ask)
    assert ShiftChange.objects.count() == 1


def test_approval_rechecks_the_seats_and_refuses_a_stale_request(
    operator, nikhil, supervisor, two_shifts
) -> None:
    mine, _ = two_shifts
    change = shift_change_request(
        by=operator, kind=COVER, shift=mine, counterpart=nikhil, reason="x"
    )
    Assignment.objects.create(shift=mine, person=nikhil)  # a supervisor added nikhil meanwhile
    with pytest.raises(ShiftError, match="already on"):
        shift_change_approve(change=change, by=supervisor)
    change.refresh_from_db()
    assert change.status == ShiftChange.Status.REQUESTED


def test_approving_twice_is_one_approval_and_a_rejected_request_stays_rejected(
    operator, nikhil, supervisor, two_shifts
) -> None:
    change = shift_change_request(
        by=operator, kind=COVER, shift=two_shifts[0], counterpart=nikhil, reason="x"
    )
    shift_change_approve(change=change, by=supervisor)
    shift_change_approve(change=change, by=supervisor)
    assert change.history.count() == 2  # created, approved
    other = shift_change_request(
        by=nikhil, kind=COVER, shift=two_shifts[1], counterpart=operator, reason="y"
    )
    with pytest.raises(ShiftError, match="Say why"):
        shift_change_reject(change=other, by=supervisor, note="")
    shift_change_reject(change=other, by=supervisor, note="short-staffed that night")
    with pytest.raises(ShiftError, match="rejected already"):
        shift_change_approve(change=other, by=supervisor)


def test_only_the_requester_withdraws(operator, nikhil, supervisor, two_shifts) -> None:
    change = shift_change_request(
        by=operator, kind=COVER, shift=two_shifts[0], counterpart=nikhil, reason="x"
    )
    with pytest.raises(ShiftError, match="Only the person who asked"):
        shift_change_withdraw(change=change, by=supervisor)
    shift_change_withdraw(change=change, by=operator)
    with pytest.raises(ShiftError, match="withdrawn already"):
        shift_change_approve(change=change, by=supervisor)


def test_on_duty_shows_the_cover_once_approved(operator, nikhil, supervisor) -> None:
    shift = make_shift(starts_at=now() - timedelta(hours=1), operators=[operator],
                       supervisor=supervisor)  # fmt: skip
    assert [p.username for p in on_duty().operators] == ["olga"]
    change = shift_change_request(
        by=operator, kind=COVER, shift=shift, counterpart=nikhil, reason="sent home ill"
    )
    assert [p.username for p in on_duty().operators] == ["olga"]  # asked, not decided
    shift_change_approve(change=change, by=supervisor)
    duty = on_duty()
    assert [p.username for p in duty.operators] == ["nikhil"]
    assert duty.supervisor == supervisor and duty.shift == shift


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_supervisors_approving_two_covers_of_one_seat_move_it_once(
    operator, nikhil, supervisor
) -> None:
    import threading

    from django.db import connection

    sue, priya = make_person("sue", "supervisor"), make_person("priya", "operator")
    shift = make_shift(starts_at=now() + timedelta(days=1), operators=[operator])
    changes = [
        shift_change_request(by=operator, kind=COVER, shift=shift, counterpart=p, reason="x")
        for p in (nikhil, priya)
    ]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(change: ShiftChange, by) -> None:
        try:
            barrier.wait()
            shift_change_approve(change=change, by=by)
            outcomes.append("approved")
        except ShiftError as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve, args=(changes[0], supervisor)),
        threading.Thread(target=approve, args=(changes[1], sue)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["Olga is not on " + str(shift) + ".", "approved"]
    assert shift.assignments.count() == 1
    assert ShiftChange.objects.filter(status=ShiftChange.Status.APPROVED).count() == 1
