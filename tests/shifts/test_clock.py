"""Daylight saving: a shift is as long as the people working it live it."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from apps.shifts.clock import shift_instants
from apps.shifts.models import Shift
from apps.shifts.services import rota_generate
from tests.shifts.helpers import make_pattern

LONDON = ZoneInfo("Europe/London")


def test_a_night_shift_into_the_last_sunday_of_march_lasts_eleven_hours() -> None:
    # Europe/London springs forward at 01:00 UTC on Sunday 29 March 2026.
    start, end = shift_instants(date(2026, 3, 28), time(20), time(8), LONDON)
    assert start == datetime(2026, 3, 28, 20, tzinfo=UTC)  # 20:00 GMT
    assert end == datetime(2026, 3, 29, 7, tzinfo=UTC)  # 08:00 BST
    assert (end - start).total_seconds() == 11 * 3600


def test_a_night_shift_into_the_last_sunday_of_october_lasts_thirteen_hours() -> None:
    # Europe/London falls back at 01:00 UTC on Sunday 25 October 2026.
    start, end = shift_instants(date(2026, 10, 24), time(20), time(8), LONDON)
    assert start == datetime(2026, 10, 24, 19, tzinfo=UTC)  # 20:00 BST
    assert end == datetime(2026, 10, 25, 8, tzinfo=UTC)  # 08:00 GMT
    assert (end - start).total_seconds() == 13 * 3600


def test_ordinary_nights_and_days_last_twelve_hours_in_summer_and_winter() -> None:
    for day in (date(2026, 1, 14), date(2026, 7, 14)):
        for starts, ends in ((time(20), time(8)), (time(8), time(20))):
            start, end = shift_instants(day, starts, ends, LONDON)
            assert (end - start).total_seconds() == 12 * 3600


def test_a_day_shift_in_another_zone_is_placed_on_that_zones_clock() -> None:
    start, end = shift_instants(date(2026, 3, 29), time(8), time(20), ZoneInfo("Asia/Singapore"))
    assert start == datetime(2026, 3, 29, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 29, 12, tzinfo=UTC)


@pytest.mark.django_db
def test_generated_nights_across_both_changes_have_their_real_lengths() -> None:
    make_pattern("night", starts=time(20), ends=time(8), zone="Europe/London")
    rota_generate(start=date(2026, 3, 27), end=date(2026, 3, 29))
    rota_generate(start=date(2026, 10, 23), end=date(2026, 10, 25))
    hours = {s.local_date: s.hours for s in Shift.objects.all()}
    assert hours == {
        date(2026, 3, 27): 12,
        date(2026, 3, 28): 11,
        date(2026, 3, 29): 12,
        date(2026, 10, 23): 12,
        date(2026, 10, 24): 13,
        date(2026, 10, 25): 12,
    }
    # Back-to-back: each night ends exactly when the next day's shift would start.
    night = Shift.objects.get(local_date=date(2026, 3, 28))
    assert night.local_ends.hour == 8 and night.local_ends.tzname() == "BST"
