"""Real answers of the API checked against the OpenAPI schema it publishes."""

import json
from typing import Any

import jsonschema
import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from apps.alerts.api import MAX_BATCH
from tests.alerts.payloads import alert_payload, stored_alert
from tests.alerts.test_api import URL, bearer

pytestmark = pytest.mark.django_db


def as_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 `nullable` as JSON Schema's null type; the rest is JSON Schema already."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: as_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def check(schema: dict[str, Any], path: str, method: str, response: Any) -> None:
    """The answer's status is documented for the operation, and its body matches."""
    operation = schema["paths"][path][method]
    documented = operation["responses"]
    assert str(response.status_code) in documented, (
        f"{method.upper()} {path} answered {response.status_code}, documented: {list(documented)}"
    )
    content = documented[str(response.status_code)].get("content", {})
    assert "application/json" in content, f"no body documented for {response.status_code}"
    body_schema = {
        **as_json_schema(content["application/json"]["schema"]),
        "components": as_json_schema(schema["components"]),
    }
    jsonschema.validate(response.json(), body_schema)


def check_request(schema: dict[str, Any], path: str, method: str, body: Any) -> None:
    request_schema = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
    jsonschema.validate(
        body,
        {
            **as_json_schema(request_schema["schema"]),
            "components": as_json_schema(schema["components"]),
        },
    )


def test_the_list_and_the_detail_answer_as_documented(schema, operator, system_user) -> None:
    unassigned = stored_alert(1)  # assignee null, symbol set
    stored_alert(2, symbol=None, accounts=["U2002"])
    client = Client()
    client.force_login(operator)
    listed = client.get(URL)
    assert listed.status_code == 200 and len(listed.json()["results"]) == 2
    check(schema, URL, "get", listed)
    detail = client.get(f"{URL}{unassigned.pk}/")
    assert detail.json()["assignee"] is None
    check(schema, "/api/v1/alerts/{id}/", "get", detail)
    check(schema, "/api/v1/alerts/{id}/", "get", client.get(f"{URL}999999/"))
    check(schema, URL, "get", Client().get(URL))  # anonymous
    check(schema, URL, "get", bearer(system_user).get(URL))  # a system is not staff


def test_an_invalid_filter_is_a_400_that_says_what_is_wrong(schema, operator) -> None:
    client = Client()
    client.force_login(operator)
    bad = client.get(URL, {"since": "yesterday-ish"})
    assert bad.status_code == 400
    assert "since" in bad.json()["detail"] and "ISO-8601" in bad.json()["detail"]
    check(schema, URL, "get", bad)
    unknown = client.get(URL, {"severity": "severe"})
    assert unknown.status_code == 400 and "severity" in unknown.json()["detail"]
    good = client.get(URL, {"since": "2026-11-20T00:00:00Z"})
    assert good.status_code == 200


def test_sending_one_alert_or_a_list_answers_as_documented(schema, system_user, operator) -> None:
    client = bearer(system_user)
    one, batch = alert_payload(1), [alert_payload(2), alert_payload(3, severity="severe")]
    for body in (one, batch):
        check_request(schema, URL, "post", body)
        answer = client.post(URL, json.dumps(body), content_type="application/json")
        assert answer.status_code == 200
        check(schema, URL, "post", answer)
    with pytest.raises(jsonschema.ValidationError):
        check_request(schema, URL, "post", [alert_payload(n) for n in range(MAX_BATCH + 1)])
    not_json = client.post(URL, "{oops", content_type="application/json")
    check(schema, URL, "post", not_json)
    staff = Client()
    staff.force_login(operator)
    refused = staff.post(URL, json.dumps(one), content_type="application/json")
    assert refused.status_code == 403
    check(schema, URL, "post", refused)
