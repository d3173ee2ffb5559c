import pytest
from django.test import Client
from django.urls import reverse

from apps.alerts.services import alert_claim
from apps.desk.models import AuditEntry
from tests.alerts.payloads import stored_alert
from tests.desk.test_audit_chain import as_superuser


def signed_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


@pytest.mark.django_db
def test_the_auditor_verifies_the_chain_and_sees_where_it_breaks(auditor, operator) -> None:
    alert = stored_alert()
    alert_claim(alert=alert, by=operator)
    page = reverse("console:audit")
    client = signed_in(auditor)

    before = client.get(page).content.decode()
    assert "Not checked on this page yet" in before
    head = AuditEntry.objects.order_by("-seq").first()
    assert head is not None and head.hash in before and "Olga" in before
    assert "Intact" in client.get(page, {"verify": "1"}).content.decode()

    as_superuser("UPDATE desk_auditentry SET reason = 'nothing' WHERE seq = %s", [head.seq])
    broken = client.get(page, {"verify": "1"}).content.decode()
    assert f"Broken at link {head.seq}" in broken


@pytest.mark.django_db
def test_an_operator_does_not_open_the_audit_chain_page(operator) -> None:
    assert signed_in(operator).get(reverse("console:audit")).status_code == 403


@pytest.mark.django_db
def test_a_records_history_page_lists_its_links_in_the_chain(supervisor, operator) -> None:
    alert = stored_alert()
    alert_claim(alert=alert, by=operator)
    page = signed_in(supervisor).get(reverse("console:history", args=["alert", alert.pk]))
    text = page.content.decode()
    assert "In the audit chain" in text
    links = AuditEntry.objects.filter(model="alerts.alert", object_id=str(alert.pk))
    assert links.count() == 2
    assert all(link.hash[:16] in text for link in links)
