"""The Django admin reads the desk's records; no page of it reverts one to an old version."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from apps.actions.models import AccountLookup
from apps.people.models import User


def _staff_client(user: User) -> Client:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    return client


def _revert_form(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": "",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [g.pk for g in user.groups.all()],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }


@pytest.mark.django_db
def test_a_view_only_auditor_cannot_revert_a_person_through_the_admin_history(auditor) -> None:
    client = _staff_client(auditor)
    version = auditor.history.latest()
    url = reverse("admin:people_user_simple_history", args=[auditor.pk, version.history_id])
    assert client.get(url).status_code == 200  # reading an old version is fine

    response = client.post(url, _revert_form(auditor))

    assert response.status_code == 403
    auditor.refresh_from_db()
    assert not auditor.is_superuser


@pytest.mark.django_db
def test_even_a_superuser_cannot_revert_a_record_through_the_admin_history(supervisor) -> None:
    root = User.objects.create_superuser("root-admin", password="x" * 16)
    client = Client()
    client.force_login(root)
    version = supervisor.history.latest()
    url = reverse("admin:people_user_simple_history", args=[supervisor.pk, version.history_id])

    page = client.get(url)
    response = client.post(url, _revert_form(supervisor))

    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert response.status_code == 403
    supervisor.refresh_from_db()
    assert not supervisor.is_superuser


def test_every_history_admin_is_the_desks_read_only_history_admin() -> None:
    from apps.desk.admin import DeskHistoryAdmin

    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, SimpleHistoryAdmin):
            assert isinstance(model_admin, DeskHistoryAdmin), model
            # ...and only on a model that keeps history rows, or its history page fails.
            assert hasattr(model._meta, "simple_history_manager_attribute"), model


@pytest.mark.django_db
def test_the_admin_history_of_a_record_without_history_rows_opens(customer_service) -> None:
    root = User.objects.create_superuser("root-admin", password="x" * 16)
    lookup = AccountLookup.objects.create(looked_up_by=customer_service, query="U1", account=None)
    client = Client()
    client.force_login(root)

    response = client.get(reverse("admin:actions_accountlookup_history", args=[lookup.pk]))

    assert response.status_code == 200
