import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import ExchangeAccount
from apps.desk.history import acting_task
from apps.people.models import User
from tests.factories import ExchangeAccountFactory


@pytest.mark.django_db
def test_a_change_made_through_a_page_names_the_person_who_made_it(supervisor) -> None:
    admin = User.objects.create_superuser("root-admin", password="x" * 16)
    client = Client()
    client.force_login(admin)
    response = client.post(
        reverse("admin:people_user_change", args=[supervisor.pk]),
        {
            "username": "sam",
            "first_name": "Samuel",
            "last_name": "Okafor",
            "email": "",
            "is_active": "on",
            "groups": [g.pk for g in supervisor.groups.all()],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    latest = supervisor.history.latest()
    assert latest.history_user == admin
    assert latest.first_name == "Samuel"


@pytest.mark.django_db
def test_a_change_made_by_a_task_names_the_task() -> None:
    with acting_task("load_accounts"):
        account = ExchangeAccountFactory(kyc_level=1)
        account.kyc_level = 3
        account.save()
    latest = account.history.latest()
    assert latest.history_user is None
    assert latest.history_task == "load_accounts"


@pytest.mark.django_db
def test_the_history_page_shows_who_changed_what_old_to_new(operator) -> None:
    with acting_task("load_accounts"):
        account = ExchangeAccountFactory(vip_tier=1)
        ExchangeAccount.objects.get(pk=account.pk).save()
        account.vip_tier = 4
        account.save()
    client = Client()
    client.force_login(operator)
    response = client.get(reverse("console:history", args=["account", account.account_id]))
    entries = response.context["entries"]
    newest = entries[0]
    assert newest.actor == "worker: load_accounts"
    assert [(c.field, c.old, c.new) for c in newest.changes] == [("vip tier", 1, 4)]
    assert b"worker: load_accounts" in response.content


@pytest.mark.django_db
def test_the_history_shows_names_labels_and_one_time_format_not_ids(operator, supervisor) -> None:
    from apps.alerts.services import alert_claim
    from tests.alerts.payloads import stored_alert

    alert = stored_alert(1, severity="critical")
    alert_claim(alert=alert, by=operator)
    client = Client()
    client.force_login(supervisor)
    response = client.get(reverse("console:history", args=["alert", alert.pk]))
    claimed = response.context["entries"][0]
    shown = {c.field: c.new for c in claimed.changes}
    assert shown["status"] == "Claimed" and shown["assignee"] == "Olga (olga)"
    assert shown["claimed at"].endswith(" UTC") and len(shown["claimed at"]) == 23
    created = response.context["entries"][-1]
    assert "severity rank" not in {c.field for c in created.changes}  # internal: hidden
    body = response.content.decode()
    assert "{&#x27;" not in body and "{'" not in body  # no Python repr of a dict
    export = client.get(reverse("console:history_export", args=["alert", alert.pk]))
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert lines[0] == "when,who,what,field,old,new,why"
    assert any("Olga (olga)" in line and "Claimed" in line for line in lines)


@pytest.mark.django_db
def test_history_of_an_unknown_kind_of_record_is_not_found(operator) -> None:
    client = Client()
    client.force_login(operator)
    assert client.get(reverse("console:history", args=["nuclear-codes", "1"])).status_code == 404
