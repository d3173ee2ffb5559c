"""Demo rota: day, night and weekend-day patterns, a week back to four weeks ahead."""

from datetime import UTC, datetime, time, timedelta

from django.db import transaction

from apps.people.selectors import people_named
from apps.shifts.clock import desk_zone, local_today
from apps.shifts.models import PatternMember, PersonSkill, ShiftPattern, Skill
from apps.shifts.services import RotaRun, rota_generate

# code, name, starts, ends, weekdays, operators, supervisor. Weekend days have no standing operator:
# the demo calendar shows those gaps flagged, as a supervisor would see them ahead.
DEMO_PATTERNS = [
    ("day", "Day", time(8), time(20), "01234", ["olga"], "sam"),
    ("night", "Night", time(20), time(8), "0123456", ["nikhil"], "mei"),
    ("weekend-day", "Weekend day", time(8), time(20), "56", [], "sam"),
]
DEMO_SKILLS = [("promo", "Promotion abuse"), ("market_stress", "Market stress")]
DEMO_HOLDINGS = [("olga", "promo"), ("nikhil", "market_stress"), ("olga", "market_stress")]


@transaction.atomic
def demo_rota_create(now: datetime | None = None) -> RotaRun:
    names = ["olga", "nikhil", "sam", "mei"]
    people = {u.username: u for u in people_named(names)}
    zone = desk_zone().key
    for code, name, starts, ends, weekdays, crew, supervisor in DEMO_PATTERNS:
        pattern, _ = ShiftPattern.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "time_zone": zone,
                "starts": starts,
                "ends": ends,
                "weekdays": weekdays,
                "default_supervisor": people.get(supervisor) or people.get("sam"),
            },
        )
        for username in crew:
            if username in people:
                PatternMember.objects.get_or_create(pattern=pattern, person=people[username])
    skills = {
        code: Skill.objects.get_or_create(code=code, defaults={"label": label})[0]
        for code, label in DEMO_SKILLS
    }
    for username, code in DEMO_HOLDINGS:
        if username in people:
            PersonSkill.objects.get_or_create(person=people[username], skill=skills[code])
    today = local_today(now or datetime.now(UTC))
    return rota_generate(start=today - timedelta(weeks=1), end=today + timedelta(weeks=4))
