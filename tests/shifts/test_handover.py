"""Handover: the outgoing crew writes, riskdesk lists open items, the incoming crew acknowledges."""

from datetime import timedelta

import pytest

from apps.shifts import handover_items
from apps.shifts.handover_items import HandoverItem, register_collector
from apps.shifts.models import Handover, ShiftChange, ShiftError
from apps.shifts.services import (
    handover_acknowledge,
    handover_write,
    handovers_flag_overdue,
    shift_change_request,
)
from tests.factories import make_person
from tests.shifts.helpers import make_shift, now

pytestmark = pytest.mark.django_db


@pytest.fixture
def nikhil(db):
    return make_person("nikhil", "operator")


@pytest.fixture
def change_of_shift(operator, nikhil, supervisor):
    """Olga's day ends in an hour; Nikhil's night follows it."""
    outgoing = make_shift(starts_at=now() - timedelta(hours=11), operators=[operator],
                          supervisor=supervisor)  # fmt: skip
    incoming = make_shift(starts_at=outgoing.ends_at, operators=[nikhil])
    return outgoing, incoming


def test_the_outgoing_operator_writes_and_the_incoming_one_acknowledges(
    operator, nikhil, change_of_shift
) -> None:
    outgoing, incoming = change_of_shift
    handover = handover_write(shift=outgoing, by=operator, note="Watch BTC-PERP spoofing.")
    assert handover.to_shift == incoming and handover.status == Handover.Status.WRITTEN
    handover_acknowledge(handover=handover, by=nikhil)
    handover.refresh_from_db()
    assert (handover.status, handover.acknowledged_by) == (Handover.Status.ACKNOWLEDGED, nikhil)
    assert handover.acknowledged_at is not None
    handover_acknowledge(handover=handover, by=nikhil)  # again: nothing changes
    assert handover.history.count() == 2
    with pytest.raises(ShiftError, match="stays as read"):
        handover_write(shift=outgoing, by=operator, note="more")


def test_the_writer_and_people_off_the_incoming_shift_cannot_acknowledge(
    operator, supervisor, change_of_shift
) -> None:
    handover = handover_write(shift=change_of_shift[0], by=operator, note="n")
    with pytest.raises(ShiftError, match="writer"):
        handover_acknowledge(handover=handover, by=operator)
    for stranger in (make_person("priya", "operator"), supervisor):  # sam supervised outgoing
        with pytest.raises(ShiftError, match="incoming shift"):
            handover_acknowledge(handover=handover, by=stranger)


def test_only_the_crew_writes_and_not_before_the_shift_starts(
    operator, nikhil, change_of_shift
) -> None:
    outgoing, incoming = change_of_shift
    with pytest.raises(ShiftError, match="Only the crew"):
        handover_write(shift=outgoing, by=nikhil, note="n")
    with pytest.raises(ShiftError, match="not started"):
        handover_write(shift=incoming, by=nikhil, note="n")
    with pytest.raises(ShiftError, match="Write what"):
        handover_write(shift=outgoing, by=operator, note="  ")


def test_rewriting_before_acknowledgement_updates_one_handover(operator, change_of_shift) -> None:
    first = handover_write(shift=change_of_shift[0], by=operator, note="one")
    second = handover_write(shift=change_of_shift[0], by=operator, note="two")
    assert first.pk == second.pk and Handover.objects.get().note == "two"


def test_the_items_match_the_pending_requests_in_the_database(
    operator, nikhil, supervisor, change_of_shift
) -> None:
    outgoing, incoming = change_of_shift
    later = make_shift(starts_at=now() + timedelta(days=3), operators=[operator],
                       supervisor=supervisor)  # fmt: skip
    asked = shift_change_request(
        by=operator, kind=ShiftChange.Kind.COVER, shift=later, counterpart=nikhil, reason="x"
    )
    handover = handover_write(shift=outgoing, by=operator, note="n")
    sections = {s["key"]: s for s in handover.items["sections"]}
    refs = [item["ref"] for item in sections["shift_changes"]["items"]]
    pending = ShiftChange.objects.filter(status=ShiftChange.Status.REQUESTED)
    assert refs == [f"shift-change:{c.pk}" for c in pending] == [f"shift-change:{asked.pk}"]
    # The night after has no supervisor: the incoming shift is told.
    gaps = [item["ref"] for item in sections["coverage_gaps"]["items"]]
    assert f"shift:{incoming.pk}" in gaps


def test_a_registered_collector_adds_its_items_and_a_failing_one_is_said_plainly(
    operator, change_of_shift, monkeypatch
) -> None:
    monkeypatch.setattr(handover_items, "_COLLECTORS", dict(handover_items._COLLECTORS))

    def unclaimed(shift):
        return [HandoverItem("Alert 17 unclaimed", "self-trading", "/alerts/17/", "alert:17")]

    def broken(shift):
        raise RuntimeError("database gone")

    register_collector("alerts_unclaimed", "Unclaimed alerts", unclaimed, order=1)
    register_collector("cases_open", "Open cases", broken, order=2)
    handover = handover_write(shift=change_of_shift[0], by=operator, note="n")
    first, second = handover.items["sections"][:2]
    assert first["items"] == [
        {"title": "Alert 17 unclaimed", "detail": "self-trading", "url": "/alerts/17/",
         "ref": "alert:17"}
    ]  # fmt: skip
    assert second["items"] == [] and "RuntimeError" in second["error"]


def test_an_unacknowledged_handover_is_flagged_overdue(
    operator, nikhil, change_of_shift, settings
) -> None:
    settings.HANDOVER_ACK_MINUTES = 30
    outgoing, incoming = change_of_shift
    handover = handover_write(shift=outgoing, by=operator, note="n")
    assert handovers_flag_overdue(now=incoming.starts_at + timedelta(minutes=29)) == 0
    assert handovers_flag_overdue(now=incoming.starts_at + timedelta(minutes=31)) == 1
    assert handovers_flag_overdue(now=incoming.starts_at + timedelta(minutes=32)) == 0
    handover.refresh_from_db()
    assert handover.status == Handover.Status.OVERDUE
    assert "within 30 minutes" in handover.history.first().history_change_reason
    handover_acknowledge(handover=handover, by=nikhil)  # late, but still read
    handover.refresh_from_db()
    assert handover.status == Handover.Status.ACKNOWLEDGED


def test_an_overdue_handover_escalates_to_the_incoming_shifts_supervisor_once(
    operator, supervisor, nikhil, change_of_shift
) -> None:
    from apps.notifications.models import Notification

    outgoing, incoming = change_of_shift
    vera = make_person("vera", "supervisor")
    incoming.supervisor = vera
    incoming.save()
    handover = handover_write(shift=outgoing, by=operator, note="n")
    late = incoming.starts_at + timedelta(minutes=45)
    handovers_flag_overdue(now=late)
    handovers_flag_overdue(now=late + timedelta(minutes=1))
    [told] = Notification.objects.filter(kind="handover_overdue")
    assert told.recipient == vera and told.url == f"/shifts/handovers/{handover.pk}/"
    assert told.title.startswith(f"Handover of {outgoing} not acknowledged")


def test_an_overdue_handover_with_nobody_supervising_tells_every_supervisor(
    operator, supervisor, change_of_shift
) -> None:
    from apps.notifications.models import Notification

    outgoing, incoming = change_of_shift
    outgoing.supervisor = None
    outgoing.save()
    vera = make_person("vera", "supervisor")
    handover_write(shift=outgoing, by=operator, note="n")
    handovers_flag_overdue(now=incoming.starts_at + timedelta(hours=1))
    told = Notification.objects.filter(kind="handover_overdue")
    assert {n.recipient for n in told} == {supervisor, vera}
