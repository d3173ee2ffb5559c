"""Demo people: one per role, for the local console only (load_demo refuses without DEBUG)."""

from django.contrib.auth.models import Group
from django.db import transaction

from apps.people.models import User
from apps.people.roles import Role

DEMO_PASSWORD = "riskdesk-demo"
DEMO_PEOPLE: list[tuple[str, str, str, Role]] = [
    ("olga", "Olga", "Petrova", Role.OPERATOR),
    ("nikhil", "Nikhil", "Rao", Role.OPERATOR),
    ("sam", "Sam", "Okafor", Role.SUPERVISOR),
    # A second supervisor, so every two-person path (one requests, another approves) can be tried.
    ("mei", "Mei", "Tanaka", Role.SUPERVISOR),
    ("tess", "Tess", "Lindqvist", Role.STRATEGY),
    ("carla", "Carla", "Mendes", Role.CUSTOMER_SERVICE),
    ("audrey", "Audrey", "Klein", Role.AUDITOR),
    ("detector", "Detection", "layer", Role.SYSTEM),
]


@transaction.atomic
def demo_people_create() -> list[User]:
    people = []
    for username, first, last, role in DEMO_PEOPLE:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(Group.objects.get(name=role))
        people.append(user)
    return people
