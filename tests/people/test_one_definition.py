"""The desk's repeated idioms are written once, in people: which roles work alerts, cases and
measures, and who the active supervisors are."""

import re
from pathlib import Path

import pytest

from apps.people.roles import WORKING_ROLES, Role
from apps.people.selectors import active_supervisors
from tests.factories import make_person

APPS = Path(__file__).resolve().parents[2] / "apps"


def _sources() -> list[tuple[str, str]]:
    return [(str(p.relative_to(APPS)), p.read_text()) for p in sorted(APPS.rglob("*.py"))]


def test_the_working_roles_are_named_once() -> None:
    assert WORKING_ROLES == (Role.OPERATOR, Role.SUPERVISOR)
    spelled = re.compile(r"Role\.OPERATOR,\s*Role\.SUPERVISOR\s*[,)]")
    again = [
        name for name, text in _sources() if name != "people/roles.py" and spelled.search(text)
    ]
    assert again == []


def test_the_active_supervisors_are_queried_once() -> None:
    query = re.compile(r"groups__name=Role\.SUPERVISOR|_members\(Role\.SUPERVISOR\)")
    again = [
        name for name, text in _sources() if name != "people/selectors.py" and query.search(text)
    ]
    assert again == []


@pytest.mark.django_db
def test_active_supervisors_are_the_supervisors_who_may_sign_in() -> None:
    sam = make_person("sam", "supervisor")
    make_person("olga", "operator")
    gone = make_person("gone", "supervisor")
    gone.is_active = False
    gone.save()
    both = make_person("bo", "supervisor")
    both.groups.add(*make_person("x", "operator").groups.all())
    assert list(active_supervisors()) == [both, sam]
