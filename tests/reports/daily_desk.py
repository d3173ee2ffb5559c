"""A known desk around one UTC day, for the daily report's tests: alerts in every state,
clusters new and grown, actions executed / failed / waiting, restrictions, cases, escalations
and two shifts. Rows are written directly with the moments the report reads; what each
figure must be is counted again, plainly, by the tests."""

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from apps.accounts.models import ControlCluster
from apps.actions.measures import Measure, ReasonCode, Scope
from apps.actions.models import Action, Restriction
from apps.actions.plans.models import EmergencyPlan, PlanActivation
from apps.alerts.models import SEVERITY_RANK, Alert, Severity
from apps.cases.models import Case, Escalation
from tests.alerts.payloads import stored_alert
from tests.factories import ExchangeAccountFactory, make_person
from tests.shifts.helpers import make_shift

DAY = date(2026, 11, 20)
START = datetime(2026, 11, 20, tzinfo=UTC)


def at(hours: float, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hours)


# (hours into the day, category, severity, symbol, rule, status, dismiss reason)
ALERTS = [
    (1, "self_trade", "high", "BTCUSDT", "self_trade", "dismissed", "fp_market_maker"),
    (2, "self_trade", "critical", "BTCUSDT", "self_trade", "in_case", ""),
    (3, "self_trade", "high", "ETHUSDT", "self_trade", "escalated", ""),
    (4, "frequent_cancel", "medium", "ETHUSDT", "frequent_cancel", "dismissed", "duplicate"),
    (5, "frequent_cancel", "low", "SOLUSDT", "frequent_cancel", "new", ""),
    (6, "promo_abuse", "medium", "", "promo_abuse", "claimed", ""),
    (7, "promo_abuse", "high", "", "promo_abuse", "dismissed", "fp_data_issue"),
    (13, "market_stress", "critical", "BTCUSDT", "market_stress", "new", ""),
    (20, "large_cancel", "high", "=HYPERLINK", "large_cancel", "dismissed", "fp_market_maker"),
    (23.5, "self_trade", "low", "BTCUSDT", "self_trade", "new", ""),
]


def alert(n: int, hours: float, day: date = DAY, *, spec: tuple[str, ...]) -> Alert:
    category, severity, symbol, rule, status, reason = spec
    detected = at(hours, day)
    found = stored_alert(
        n,
        category=category,
        severity=severity,
        symbol=symbol,
        rule=rule,
        dedup_key=f"daily:{day}:{n}",
        detected_at=detected.isoformat(),
        metrics={"accounts": 4, "rewards": 1250.5} if category == "promo_abuse" else {},
    )
    picked = status != "new"
    # Alerts detected in the first half of the day are picked up in time, the rest late.
    delay = timedelta(minutes=5 if hours < 12 else 120)
    Alert.objects.filter(pk=found.pk).update(
        status=status,
        dismiss_reason=reason,
        first_seen=detected,
        sla_due_at=detected + timedelta(minutes=60),
        claimed_at=detected + delay if picked else None,
        decided_at=detected + delay if status not in ("new", "claimed") else None,
        severity_rank=SEVERITY_RANK[Severity(severity)],
    )
    found.refresh_from_db()
    return found


def known_day() -> SimpleNamespace:
    olga = make_person("olga", "operator")
    sam = make_person("sam", "supervisor")
    vera = make_person("vera", "supervisor")
    alerts = [alert(n, row[0], spec=row[1:]) for n, row in enumerate(ALERTS, start=1)]
    # The day before and the same day a week before, for the comparisons.
    for n in range(3):
        alert(100 + n, 10, DAY - timedelta(days=1), spec=ALERTS[n][1:])
    for n in range(8):
        alert(200 + n, 10, DAY - timedelta(days=7), spec=ALERTS[0][1:])
    alert(300, 1, DAY + timedelta(days=1), spec=ALERTS[0][1:])  # the day after: not counted

    new = ControlCluster.objects.create(key="C-NEW", size=3)
    ControlCluster.objects.filter(pk=new.pk).update(first_detected_at=at(3))
    old = ControlCluster.objects.create(key="C-OLD", size=2)
    ControlCluster.objects.filter(pk=old.pk).update(first_detected_at=at(-48))
    old.history.update(history_date=at(-48))
    old.refresh_from_db()
    old.size = 5
    old.save()
    old.history.filter(size=5).update(history_date=at(9))

    accounts = [ExchangeAccountFactory() for _ in range(6)]

    def action(measure: str, **fields: Any) -> Action:
        fields.setdefault("scope", Scope.ACCOUNT)
        if fields["scope"] in (Scope.ACCOUNT, Scope.ACCOUNT_SYMBOL):
            fields.setdefault("account", accounts.pop())
        made = Action.objects.create(
            measure=measure,
            reason_code=fields.pop("reason_code", ReasonCode.SELF_TRADE),
            customer_text="Under review.",
            requires_approval=fields.pop("approval", True),
            **fields,
        )
        Action.objects.filter(pk=made.pk).update(requested_at=fields.get("requested_at", at(2)))
        made.refresh_from_db()
        return made

    freeze = action(
        Measure.FREEZE,
        status="executed",
        requested_by=olga,
        approved_by=sam,
        requested_at=at(2),
        executed_at=at(2.5),
    )
    freeze.alerts.add(alerts[1])
    ban = action(
        Measure.TRADING_BAN,
        status="executed",
        requested_by=olga,
        approved_by=vera,
        requested_at=at(3),
        executed_at=at(4),
        approval=True,
    )
    ban.alerts.add(alerts[2])
    limit = action(
        Measure.FREQUENCY_LIMIT,
        status="executed",
        requested_by=sam,
        approval=False,
        requested_at=at(5),
        executed_at=at(5.2),
        expires_at=at(30),
    )
    wide = action(
        Measure.CLOSE_ONLY,
        scope=Scope.SYMBOL,
        symbol="BTCUSDT",
        status="executed",
        requested_by=olga,
        approved_by=sam,
        requested_at=at(13),
        executed_at=at(13.5),
        reason_code=ReasonCode.MARKET_EMERGENCY,
    )
    failed = action(
        Measure.WITHDRAWAL_HOLD,
        status="failed",
        requested_by=olga,
        approval=False,
        requested_at=at(8),
        failed_at=at(8.1),
        failure_message="=gateway 502",
    )
    waiting = action(
        Measure.LIQUIDATE, status="awaiting_approval", requested_by=olga, requested_at=at(21)
    )
    earlier = action(
        Measure.FREEZE,
        status="executed",
        requested_by=olga,
        approved_by=sam,
        requested_at=at(-20),
        executed_at=at(-19),
    )

    def restriction(a: Action, n: int, **fields: Any) -> Restriction:
        assert a.executed_at is not None
        return Restriction.objects.create(
            action=a,
            exchange_id=f"X{n}",
            measure=a.measure,
            scope=a.scope,
            account=a.account,
            symbol=a.symbol,
            applied_at=a.executed_at,
            **fields,
        )

    restriction(freeze, 1)
    restriction(ban, 2, status="lifted", ended_at=at(10))
    restriction(limit, 3, expires_at=at(30))
    restriction(wide, 4)
    restriction(earlier, 5, status="expired", ended_at=at(1))

    def case(n: int, opened: float, status: str = "open", closed: float | None = None) -> Case:
        return Case.objects.create(
            title=f"Case {n}",
            severity="high",
            severity_rank=3,
            opened_by=olga,
            status=status,
            opened_at=at(opened),
            due_at=at(opened + 24),
            closed_at=at(closed) if closed is not None else None,
            outcome="no_action" if status == "closed" else "",
        )

    cases = [case(1, 2), case(2, 9, "closed", 15), case(3, -30, "investigating")]
    Escalation.objects.create(alert=alerts[2], target="strategy", reason="rule?", raised_at=at(3.5))
    Escalation.objects.create(case=cases[0], target="supervisor", reason="timer", raised_at=at(14))
    Escalation.objects.create(
        case=cases[2], target="supervisor", reason="old", raised_at=at(-29), state="acknowledged"
    )
    shifts = [
        make_shift(starts_at=at(-4), hours=12, operators=[olga], supervisor=sam),
        make_shift(starts_at=at(8), hours=12, operators=[olga], supervisor=vera),
        make_shift(starts_at=at(20), hours=12, operators=[olga], supervisor=sam),
    ]
    # An emergency plan activated in the day, and one the day before (not counted).
    plan = EmergencyPlan.objects.create(
        key="cascade",
        version=1,
        name="Liquidation cascade",
        kind="liquidation_cascade",
        deputy_role="operator",
        customer_text="Trading is limited for a while.",
        created_by=sam,
    )
    for requested in (at(11), at(-20)):
        PlanActivation.objects.create(
            plan=plan,
            symbol="BTCUSDT",
            status=PlanActivation.Status.ACTIVE,
            requested_by=olga,
            requested_at=requested,
            approved_by=sam,
            approved_at=requested + timedelta(minutes=2),
        )
    return SimpleNamespace(
        olga=olga,
        sam=sam,
        vera=vera,
        alerts=alerts,
        actions=[freeze, ban, limit, wide, failed, waiting],
        cases=cases,
        shifts=shifts,
        clusters=(new, old),
    )


def daily_url_kwargs() -> dict[str, dict[str, object]]:
    """A built report and a recipient for the access-matrix walk (tests/desk)."""
    from django.db import transaction

    from apps.reports.daily.build import daily_report_build, daily_report_request
    from apps.reports.models import ReportRecipient

    keeper = make_person("walk-report-keeper", "supervisor")
    with transaction.atomic():  # the build is run here, not after commit
        asked = daily_report_request(first_day=DAY, by=keeper, now=at(30))
    daily_report_build(report_id=asked.pk, now=at(30))
    recipient = ReportRecipient.objects.create(email="walk@desk.example", added_by=keeper)
    by_report = {"pk": asked.pk}
    return {
        "reports:daily": by_report,
        "reports:daily_csv": by_report,
        "reports:daily_xlsx": by_report,
        "reports:daily_pdf": by_report,
        "reports:daily_chart": {"pk": asked.pk, "section": "anomalies", "table": "by_severity"},
        "reports:recipient_change": {"pk": recipient.pk},
    }
