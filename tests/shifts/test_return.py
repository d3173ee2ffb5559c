"""At the end of a shift the work offered to it and left unclaimed goes back to the queue,
once, and is offered again to whoever is on duty then."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from apps.alerts.models import Alert
from apps.alerts.services import alert_claim
from apps.shifts import tasks
from apps.shifts.models import Shift
from apps.shifts.services import shift_return_unclaimed, shifts_return_due
from tests.alerts.payloads import stored_alert
from tests.factories import make_person
from tests.shifts.helpers import make_shift, now

BACK = "back to the queue"


def offer(alert: Alert, person, at) -> Alert:
    Alert.objects.filter(pk=alert.pk).update(offered_to=person, offered_at=at)
    alert.refresh_from_db()
    return alert


def day_then_night(operator, supervisor):
    """Olga's day ended ten minutes ago; Nikhil's night runs now."""
    nikhil = make_person("nikhil", "operator")
    day = make_shift(starts_at=now() - timedelta(hours=12, minutes=10), operators=[operator],
                     supervisor=supervisor)  # fmt: skip
    night = make_shift(starts_at=day.ends_at, operators=[nikhil], supervisor=supervisor)
    return day, night, nikhil


@pytest.mark.django_db
def test_unclaimed_offers_of_an_ended_shift_go_to_the_next_one_and_the_rest_stay(
    django_capture_on_commit_callbacks, operator, supervisor
) -> None:
    day, night, nikhil = day_then_night(operator, supervisor)
    during = day.starts_at + timedelta(hours=3)
    left = [offer(stored_alert(n), operator, during) for n in (1, 2)]
    taken = alert_claim(alert=offer(stored_alert(3), operator, during), by=operator)
    earlier = offer(stored_alert(4), operator, day.starts_at - timedelta(hours=1))
    tonight = offer(stored_alert(5), nikhil, night.starts_at + timedelta(minutes=2))

    with django_capture_on_commit_callbacks(execute=True):
        returned = tasks.return_unclaimed.delay().get()
    assert returned == 2
    for alert in left:
        alert.refresh_from_db()
        assert alert.offered_to == nikhil  # routed again, to the night
        assert [h.history_change_reason for h in alert.history.all()[:2]] == [
            "offered to an operator on duty",
            f"unclaimed at the end of {day}: {BACK}",
        ]
    for alert, holder in ((taken, operator), (earlier, operator), (tonight, nikhil)):
        alert.refresh_from_db()
        assert alert.offered_to == holder
    assert alert.history.filter(history_change_reason__endswith=BACK).count() == 0
    day.refresh_from_db()
    assert day.work_returned_at is not None


@pytest.mark.django_db
def test_each_shift_returns_its_work_once_and_a_running_shift_none(operator, supervisor) -> None:
    day, night, _nikhil = day_then_night(operator, supervisor)
    offer(stored_alert(1), operator, day.starts_at + timedelta(hours=1))
    first = shifts_return_due()
    assert first[day.pk] and night.pk not in first
    assert shifts_return_due() == {}
    assert shift_return_unclaimed(shift=day) is None
    assert shift_return_unclaimed(shift=night) is None  # still running
    night.refresh_from_db()
    assert night.work_returned_at is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_return_each_shift_once(operator, supervisor) -> None:
    day, _night, nikhil = day_then_night(operator, supervisor)
    during = day.starts_at + timedelta(hours=2)
    alerts = [offer(stored_alert(n), operator, during) for n in range(1, 21)]
    offered = Alert.history.filter(history_change_reason="offered to an operator on duty")
    offered_before = offered.count()  # committed ingest routed them once already
    barrier = threading.Barrier(2)
    results: list[dict[int, list[int]]] = []
    errors: list[BaseException] = []

    def scan() -> None:
        try:
            barrier.wait()
            results.append(shifts_return_due())
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # Exactly one scheduler returned the day's work; the other found it done.
    returned = [result[day.pk] for result in results if day.pk in result]
    assert len(returned) == 1 and sorted(returned[0]) == [a.pk for a in alerts]
    back = Alert.history.filter(history_change_reason__endswith=BACK)
    assert back.count() == 20
    # Re-routed (eagerly, after the winner's commit) to the night, once each.
    assert set(Alert.objects.values_list("offered_to", flat=True)) == {nikhil.pk}
    assert offered.count() - offered_before == 20
    assert Shift.objects.get(pk=day.pk).work_returned_at is not None
