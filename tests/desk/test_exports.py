"""Alerts and cases can be exported, with the filter in force, and formula-safe."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.alerts.payloads import stored_alert

pytestmark = pytest.mark.django_db


def _csv(response) -> list[str]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return b"".join(response.streaming_content).decode().splitlines()


def test_alerts_export_keeps_the_filter_and_neutralises_formulas(operator) -> None:
    stored_alert(1, severity="critical", summary='=HYPERLINK("http://x")')
    stored_alert(2, severity="low")
    client = Client()
    client.force_login(operator)
    lines = _csv(client.get(reverse("alerts:export") + "?severity=critical"))
    assert lines[0].startswith("id,detected_at,severity")
    assert len(lines) == 2 and ",Critical," in lines[1]
    assert "'=HYPERLINK" in lines[1]  # shown as text in a spreadsheet, never run


def test_cases_export_lists_the_cases(operator) -> None:
    from tests.cases.helpers import case_objects

    case, *_ = case_objects()
    client = Client()
    client.force_login(operator)
    lines = _csv(client.get(reverse("cases:export") + "?status=all"))
    assert lines[0].startswith("case,title,severity")
    assert any(line.startswith(case.ref) for line in lines[1:])
