"""Wall-clock shift times to UTC instants, and the desk's weeks.

Pure functions, no database: the one place where a local "20:00-08:00" becomes two instants.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings


def desk_zone() -> ZoneInfo:
    return ZoneInfo(settings.DESK_TIME_ZONE)


def shift_instants(
    day: date, starts: time, ends: time, zone: ZoneInfo
) -> tuple[datetime, datetime]:
    """The UTC start and end of a shift that starts on local `day` at `starts`.

    An end at or before the start falls on the next local day. Each end is placed on the
    wall clock separately, so across a daylight-saving change the shift is an hour shorter
    or longer in real time. A wall time the change skips (01:30 on a spring-forward night)
    is read with the offset before the change; a repeated one (autumn) as its first
    occurrence — zoneinfo's fold=0.
    """
    end_day = day + timedelta(days=1) if ends <= starts else day
    start = datetime.combine(day, starts, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(end_day, ends, tzinfo=zone).astimezone(UTC)
    return start, end


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def local_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(desk_zone()).date()


def local_midnight(day: date) -> datetime:
    """The UTC instant local `day` begins in the desk's time zone."""
    return datetime.combine(day, time(0), tzinfo=desk_zone()).astimezone(UTC)
