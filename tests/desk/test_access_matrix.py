"""Walk every URL as anonymous and as every role: each gets in only where its view says."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.alerts.models import RejectedAlert
from apps.people.roles import Role
from tests.actions.conftest import action_for_the_walk, plan_for_the_walk
from tests.alerts.payloads import stored_alert
from tests.cases.helpers import case_objects
from tests.factories import ExchangeAccountFactory, make_person
from tests.reports.daily_desk import daily_url_kwargs
from tests.shifts.helpers import shifts_url_kwargs
from tests.url_walk import desk_routes

ROLES = [role.value for role in Role]


@pytest.fixture
def url_kwargs(db: None) -> dict[str, dict[str, str]]:
    account = ExchangeAccountFactory()
    alert = stored_alert(accounts=[account.account_id])
    rejected = RejectedAlert.objects.create(raw="{", reason="not JSON", way_in="api")
    action = {"pk": str(action_for_the_walk(account).pk)}
    case, escalation, _, notification = case_objects()
    plan, activation = plan_for_the_walk()
    return {
        "cases:detail": {"pk": case.pk},
        "cases:move": {"pk": case.pk},
        "cases:note": {"pk": case.pk},
        "cases:assign": {"pk": case.pk},
        "cases:watch": {"pk": case.pk},
        "cases:reason": {"pk": case.pk},
        "cases:escalate": {"pk": case.pk},
        "cases:acknowledge": {"pk": escalation.pk},
        "cases:reply": {"pk": escalation.pk},
        "cases:alert_escalate": {"alert_id": alert.pk},
        "notifications:open": {"pk": notification.pk},
        "console:history": {"key": "account", "pk": account.account_id},
        "console:history_export": {"key": "account", "pk": account.account_id},
        "accounts:detail": {"account_id": account.account_id},
        "alerts:detail": {"pk": str(alert.pk)},
        "alerts:detail_act": {"pk": str(alert.pk)},
        "alerts:rejected_detail": {"pk": str(rejected.pk)},
        "alerts:rejected_resubmit": {"pk": str(rejected.pk)},
        "alerts_api:detail": {"pk": str(alert.pk)},
        "detection:rule": {"code": "self_trade"},
        "detection:rule_propose": {"code": "self_trade"},
        "detection:rule_activate": {"code": "self_trade", "number": 1},
        "detection:rule_switch": {"code": "self_trade"},
        "detection:rule_change_decide": {"code": "self_trade", "pk": 1},
        "lookup:record_contact": {"account_id": account.account_id},
        "actions:contact_answer": {"pk": 1},
        "detection:backtest_request": {"code": "self_trade"},
        **shifts_url_kwargs(
            make_person("walker-shift-op", "operator"),
            make_person("walker-shift-sup", "supervisor"),
        ),
        "actions:detail": action,
        "actions:approve": action,
        "actions:reject": action,
        "actions:retry": action,
        "actions:plan": {"key": plan.key},
        "actions:plan_edit": {"key": plan.key},
        "actions:plan_activate": {"key": plan.key},
        "actions:plans_for_alert": {"alert_id": str(alert.pk)},
        **{
            f"actions:activation{suffix}": {"pk": str(activation.pk)}
            for suffix in ("", "_approve", "_reject", "_lift", "_tick")
        },
        **daily_url_kwargs(),
    }


def test_every_url_declares_the_roles_it_serves() -> None:
    undeclared = [route.pattern for route in desk_routes() if route.allowed_roles is ...]
    assert undeclared == [], f"views without role_required / public: {undeclared}"


@pytest.mark.django_db
def test_anonymous_people_are_sent_to_sign_in_everywhere_but_public_pages(url_kwargs) -> None:
    client = Client()
    for route in desk_routes():
        if route.allowed_roles is None or not route.name:
            continue
        url = reverse(route.name, kwargs=url_kwargs.get(route.name))
        response = client.get(url)
        assert response.status_code in (302, 401, 403), f"{url} answered {response.status_code}"
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("people:sign_in")), url


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_exactly_the_pages_meant_for_it(role: str, url_kwargs) -> None:
    client = Client()
    client.force_login(make_person(f"walker-{role}", role))
    checked = 0
    for route in desk_routes():
        if route.allowed_roles is None or not route.name:
            continue
        url = reverse(route.name, kwargs=url_kwargs.get(route.name))
        status = client.get(url).status_code
        if role in route.allowed_roles:
            assert status in (200, 405), f"{role} should open {url}, got {status}"
        else:
            assert status == 403, f"{role} should be refused {url}, got {status}"
        checked += 1
    assert checked >= 4


@pytest.mark.django_db
def test_a_person_with_no_role_is_refused_everywhere(url_kwargs) -> None:
    client = Client()
    client.force_login(make_person("nobody", None))
    for route in desk_routes():
        if route.allowed_roles is None or not route.name:
            continue
        url = reverse(route.name, kwargs=url_kwargs.get(route.name))
        assert client.get(url).status_code == 403, url


@pytest.mark.django_db
def test_desk_roles_cannot_open_the_django_admin(url_kwargs) -> None:
    client = Client()
    client.force_login(make_person("sam", "supervisor"))
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_report_s_list_pages_are_in_the_walk() -> None:
    """The cluster list (behind the daily report's cluster figures) takes no URL argument, so
    the walk above reaches it as-is; fail-closed like every account page."""
    walked = {route.name: route.allowed_roles for route in desk_routes()}
    assert walked["accounts:clusters"] == walked["accounts:search"]
