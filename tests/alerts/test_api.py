import json

import pytest
from django.test import Client
from knox.models import AuthToken

from apps.alerts.api import MAX_BATCH
from apps.alerts.models import Alert, RejectedAlert, WayIn
from tests.alerts.payloads import alert_payload, stored_alert

pytestmark = pytest.mark.django_db
URL = "/api/v1/alerts/"


def bearer(user) -> Client:
    _, token = AuthToken.objects.create(user=user)
    return Client(headers={"authorization": f"Bearer {token}"})


def post(client: Client, body: object) -> dict:
    response = client.post(URL, json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_system_token_sends_one_alert_and_it_is_accepted(system_user) -> None:
    answer = post(bearer(system_user), alert_payload())
    alert = Alert.objects.get()
    assert answer == {
        "accepted": 1,
        "duplicates": 0,
        "rejected": 0,
        "results": [{"index": 0, "status": "accepted", "id": str(alert.pk)}],
    }
    assert alert.history.get().history_user == system_user


def test_a_batch_reports_each_item_and_keeps_the_valid_ones(system_user) -> None:
    client = bearer(system_user)
    post(client, alert_payload(1))
    answer = post(
        client, [alert_payload(1), alert_payload(2), alert_payload(3, severity="severe"), 7]
    )
    assert (answer["accepted"], answer["duplicates"], answer["rejected"]) == (1, 1, 2)
    statuses = [(r["index"], r["status"]) for r in answer["results"]]
    assert statuses == [(0, "duplicate"), (1, "accepted"), (2, "rejected"), (3, "rejected")]
    assert answer["results"][2]["errors"]["severity"] == ["One of: critical, high, medium, low."]
    assert "id" not in answer["results"][2]
    assert answer["results"][0]["id"] == str(
        Alert.objects.get(dedup_key=alert_payload(1)["dedup_key"]).pk
    )
    assert RejectedAlert.objects.filter(way_in=WayIn.API).count() == 2


def test_a_body_that_is_not_json_is_a_400_and_is_kept_as_a_rejected_record(system_user) -> None:
    response = bearer(system_user).post(URL, "{oops", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The body is not JSON")
    assert RejectedAlert.objects.get().raw == "{oops"
    assert RejectedAlert.history.get().history_user == system_user  # the caller, by name


def test_a_list_over_the_limit_is_a_400_with_a_message(system_user) -> None:
    response = bearer(system_user).post(
        URL, json.dumps([alert_payload(1)] * (MAX_BATCH + 1)), content_type="application/json"
    )
    assert response.status_code == 400
    assert (
        response.json()["detail"]
        == f"At most 1000 alerts per request; this one has {MAX_BATCH + 1}."
    )
    assert Alert.objects.count() == 0


def test_a_full_batch_of_a_thousand_is_taken(system_user) -> None:
    answer = post(bearer(system_user), [alert_payload(n) for n in range(MAX_BATCH)])
    assert answer["accepted"] == MAX_BATCH


def test_no_token_is_a_401(db) -> None:
    response = Client().post(URL, json.dumps(alert_payload()), content_type="application/json")
    assert response.status_code == 401


def test_a_token_of_a_person_outside_system_is_a_403(operator, supervisor) -> None:
    for person in (operator, supervisor):
        response = bearer(person).post(
            URL, json.dumps(alert_payload()), content_type="application/json"
        )
        assert response.status_code == 403
    assert Alert.objects.count() == 0


def test_staff_read_alerts_with_filters_and_systems_do_not(operator, system_user) -> None:
    stored_alert(1, severity="critical", accounts=["U7", "U8"])
    stored_alert(2, severity="low")
    client = Client()
    client.force_login(operator)
    answer = client.get(URL, {"severity": "critical"}).json()
    assert [a["severity"] for a in answer["results"]] == ["critical"]
    assert answer["results"][0]["accounts"] == ["U7", "U8"]
    assert "evidence" not in answer["results"][0]
    assert len(client.get(URL, {"account": "U8"}).json()["results"]) == 1
    alert_id = answer["results"][0]["id"]
    detail = client.get(f"{URL}{alert_id}/").json()
    assert detail["evidence"] == {"trade_ids": ["T1", "T2"], "order_ids": []}
    assert bearer(system_user).get(URL).status_code == 403
    assert Client().get(URL).status_code == 401


def test_customer_service_cannot_read_alerts(customer_service) -> None:
    client = Client()
    client.force_login(customer_service)
    assert client.get(URL).status_code == 403


def test_the_schema_and_its_docs_page_are_served_for_staff(operator) -> None:
    client = Client()
    client.force_login(operator)
    schema = client.get("/api/v1/schema/", headers={"accept": "application/json"})
    assert schema.status_code == 200
    assert "/api/v1/alerts/" in schema.json()["paths"]
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    # Swagger UI from our own static files, and its inline script carries the CSP nonce.
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    nonce = page.wsgi_request.csp_nonce
    assert f'<script nonce="{nonce}">' in html
    assert "nonce-" in page["Content-Security-Policy"]
    assert Client().get("/api/v1/docs/").status_code in (401, 403)
