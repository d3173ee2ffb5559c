"""load_demo leaves a desk with something true on every page, and adds nothing the second time."""

import io
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from apps.accounts.models import ExchangeAccount
from apps.actions.models import Action, Restriction
from apps.alerts.models import Alert
from apps.alerts.quality import rule_quality
from apps.cases.models import Case, CaseEvent
from apps.detection.models import DetectionRun
from apps.notifications.models import Notification
from apps.people.models import User
from apps.reports.models import DailyReport

MODELS = [ExchangeAccount, DetectionRun, Alert, Case, CaseEvent, Action, Restriction, Notification]


def _finding(alert: Alert) -> str:
    """What an alert states: a night's copy carries its finding's key after "night:HH:"."""
    night = alert.source == "riskdesk.demo/night"
    return alert.dedup_key.split(":", 2)[2] if night else alert.dedup_key[:191]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.mark.django_db(transaction=True)
def test_load_demo_shows_alerts_cases_and_measures_and_runs_twice_to_the_same_counts(
    tmp_path: Path,
) -> None:
    with override_settings(DETECTION_DROP_DIR=str(tmp_path)):
        started = time.monotonic()
        call_command("load_demo", "--accounts", "400", "--force", stdout=io.StringIO())
        first_took = time.monotonic() - started
        first = counts()
        call_command("load_demo", "--accounts", "400", "--force", stdout=io.StringIO())
    assert counts() == first
    assert first["Alert"] > 0 and first["Case"] > 2
    assert Action.objects.filter(status=Action.Status.AWAITING_APPROVAL, measure="freeze").exists()
    assert Action.objects.filter(status=Action.Status.EXECUTED).exists()
    assert Restriction.objects.filter(action__case__isnull=False).exists()
    assert set(Case.objects.values_list("status", flat=True)) == {
        "awaiting_approval",
        "actioned",
        "open",  # confirmed over the night, no measure asked for yet
    }
    assert (tmp_path / "demo-20261121-400" / "READY").exists()
    # The busy night: each finding found again in each of 20 hourly windows, most worked;
    # found while its alert is still open, it is that alert's repeat, not a second one.
    night = Alert.objects.filter(source="riskdesk.demo/night")
    day = Alert.objects.exclude(source="riskdesk.demo/night")
    assert night.count() + sum(a.repeat_count for a in day) == 20 * day.count()
    assert night.filter(status="dismissed").count() > night.count() // 3
    assert day.filter(status="new", repeat_count__gt=0).exists()  # the tail, with repeats
    open_findings = [_finding(a) for a in Alert.objects.filter(status__in=["new", "claimed"])]
    assert len(open_findings) == len(set(open_findings)), "a finding open twice in the queue"
    # ... and a desk with a past: findings confirmed into cases hours ago, so rule quality
    # reads real ratios (not 0 % for every rule but the one the first two cases are about).
    confirming = [q.rule for q in rule_quality() if q.confirmed and q.dismissed]
    assert len(confirming) >= 4, confirming
    earlier = Case.objects.filter(opened_at__lt=timezone.now() - timedelta(hours=3))
    assert earlier.exists()
    assert Action.objects.filter(
        case__in=earlier, executed_at__lt=timezone.now() - timedelta(hours=3)
    ).exists()
    joined = night.filter(status="in_case", decided_at__lt=timezone.now() - timedelta(hours=1))
    assert joined.count() > earlier.count()  # later alerts joined when they arrived
    assert DailyReport.objects.get().status == DailyReport.Status.READY  # once, not twice
    supervisors = User.objects.filter(groups__name="supervisor").values_list("username", flat=True)
    assert set(supervisors) >= {"sam", "mei"}  # two: every two-person path can be tried
    print(f"load_demo --accounts 400: first run {first_took:.1f} s, counts {first}")
