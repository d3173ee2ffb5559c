"""Used by the demo loader only (apps.console.demo_past): the demo's past is made through
the real services, then moved back in time, which no business rule does."""

from datetime import datetime, timedelta

from django.db.models import F

from apps.cases.models import Case, CaseEvent


def case_dated_back(*, case_id: int, opened: datetime, back: timedelta) -> None:
    """The case opened at `opened`; its deadline and its timeline move `back` with it."""
    Case.objects.filter(pk=case_id).update(opened_at=opened, due_at=F("due_at") - back)
    CaseEvent.objects.filter(case_id=case_id).update(at=F("at") - back)


def case_alert_joined_at(*, case_id: int, alert_id: int, at: datetime) -> None:
    """The timeline says the alert joined the case at `at`."""
    CaseEvent.objects.filter(case_id=case_id, kind="alert_joined", data__alert=alert_id).update(
        at=at
    )
