"""The daily report is true to the database: built from a known day, each figure equals a
plain count of the rows it names, and the link on each figure lists exactly those rows."""

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db.models import Q
from django.test import RequestFactory
from django.urls import resolve

from apps.accounts import views as account_views
from apps.actions import views as action_views
from apps.actions.models import Action, Restriction
from apps.actions.plans.models import PlanActivation
from apps.alerts.models import Alert, sla_breached
from apps.alerts.queue_filters import QueueFilters
from apps.cases import selectors as case_selectors
from apps.cases.models import Case, Escalation
from apps.desk.models import AuditEntry
from apps.reports.daily.build import daily_report_build, daily_report_request
from apps.reports.daily.window import plain
from tests.factories import make_person
from tests.reports.daily_desk import DAY, START, at, known_day

pytestmark = pytest.mark.django_db

END = START + timedelta(days=1)
NOW = at(30)


@pytest.fixture
def report(django_capture_on_commit_callbacks):
    desk = known_day()
    with django_capture_on_commit_callbacks(execute=False):
        asked = daily_report_request(first_day=DAY, by=desk.sam, now=NOW)
    built = daily_report_build(report_id=asked.pk, now=NOW)
    assert built is not None
    return built


def figures(report) -> dict[str, object]:
    return {
        f"{s['key']}.{f['key']}": f["value"]
        for s in report.content["sections"]
        for f in s.get("figures", [])
    }


def in_day(field: str) -> Q:
    return Q(**{f"{field}__gte": START, f"{field}__lt": END})


def test_every_figure_equals_a_direct_count(report) -> None:
    alerts = Alert.objects.filter(in_day("detected_at"))
    actions = Action.objects.all()
    due = Alert.objects.filter(in_day("sla_due_at"))
    standing = Restriction.objects.filter(
        Q(applied_at__lt=END, status="active")
        & (Q(expires_at__isnull=True) | Q(expires_at__gt=END))
    )
    promo = list(alerts.filter(category="promo_abuse"))
    expected = {
        "anomalies.alerts": alerts.count(),
        "anomalies.critical": alerts.filter(severity="critical").count(),
        "anomalies.clusters_new": 1,
        "anomalies.clusters_grown": 1,
        "rules.rules": alerts.values("rule").distinct().count(),
        "rules.confirmed": alerts.filter(status__in=["escalated", "in_case"]).count(),
        "rules.dismissed": alerts.filter(status="dismissed").count(),
        "rules.undecided": alerts.filter(status__in=["new", "claimed"]).count(),
        "actions.executed": actions.filter(in_day("executed_at")).count(),
        "actions.requested": actions.filter(in_day("requested_at")).count(),
        "actions.failed": actions.filter(in_day("failed_at")).count(),
        # freeze: alert at 02:00, executed 02:30; ban: alert 03:00, executed 04:00
        "actions.alert_to_action_median": 30.0,
        "actions.alert_to_action_p90": 60.0,
        "actions.alert_to_action_count": 2,
        "promotion.alerts": len(promo),
        "promotion.accounts": sum(a.metrics["accounts"] for a in promo),
        "promotion.rewards": round(sum(a.metrics["rewards"] for a in promo), 2),
        "promotion.at_stake": round(
            sum(a.metrics["rewards"] for a in promo if a.status != "dismissed"), 2
        ),
        "sla.due": due.count(),
        "sla.missed": due.filter(sla_breached(NOW)).count(),
        "sla.escalations": Escalation.objects.filter(in_day("raised_at")).count(),
        "sla.escalations_by_timer": Escalation.objects.filter(
            in_day("raised_at"), raised_by__isnull=True
        ).count(),
        "sla.cases_opened": Case.objects.filter(in_day("opened_at")).count(),
        "sla.cases_closed": Case.objects.filter(in_day("closed_at")).count(),
        "restrictions.active": standing.count(),
        "restrictions.applied": Restriction.objects.filter(in_day("applied_at")).count(),
        "restrictions.lifted": Restriction.objects.filter(
            in_day("ended_at"), status="lifted"
        ).count(),
        "restrictions.expired": Restriction.objects.filter(
            in_day("ended_at"), status="expired"
        ).count(),
        "restrictions.expiring": standing.filter(expires_at__lt=END + timedelta(days=1)).count(),
        "emergency.requested_symbol": actions.filter(
            in_day("requested_at"), scope="symbol"
        ).count(),
        "emergency.requested_platform": 0,
        "emergency.executed_symbol": actions.filter(in_day("executed_at"), scope="symbol").count(),
        "emergency.executed_platform": 0,
        "emergency.standing_symbol": standing.filter(scope="symbol").count(),
        "emergency.standing_platform": standing.filter(scope="platform").count(),
        "emergency.plans": PlanActivation.objects.filter(
            in_day("requested_at") | in_day("approved_at") | in_day("lifted_at")
        ).count(),
        "carried.alerts_open": Alert.objects.filter(
            detected_at__lt=END, status__in=["new", "claimed"]
        ).count(),
        "carried.alerts_unclaimed": Alert.objects.filter(detected_at__lt=END, status="new").count(),
        "carried.cases_open": Case.objects.filter(opened_at__lt=END)
        .exclude(status="closed")
        .count(),
        "carried.actions_awaiting_approval": actions.filter(
            requested_at__lt=END, status="awaiting_approval"
        ).count(),
        "carried.actions_failed": actions.filter(requested_at__lt=END, status="failed").count(),
        "carried.escalations_open": Escalation.objects.filter(
            raised_at__lt=END, state="open"
        ).count(),
        "audit.links": AuditEntry.objects.filter(in_day("at")).count(),
    }
    got = figures(report)
    assert got == expected
    # The known day is not empty anywhere: a figure stuck at zero would not be noticed.
    assert sum(1 for key, value in expected.items() if value) >= 35
    assert expected["anomalies.alerts"] == 10 and expected["sla.missed"] == 3


def test_the_comparisons_count_the_day_before_and_the_week_before(report) -> None:
    [changes] = [s for s in report.content["sections"] if s["key"] == "changes"]
    [table] = changes["tables"]
    alerts_row = next(r for r in table["rows"] if r[0] == "Alerts detected")
    assert [plain(c) for c in alerts_row[1:]] == [10, 3, "+233%", 8, "+25%"]
    assert "Alerts detected rose to 10 from 3 the window before (+233%)." in changes["notes"]


def _count_behind(url: str, viewer) -> int:
    """How many rows the page at `url` lists, read through the page's own filter code."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    name = resolve(parts.path).view_name
    if name == "alerts:queue":
        filters = QueueFilters.from_query(query, viewer)
        assert not filters.problems, (url, filters.problems)
        return filters.apply(Alert.objects.all()).count()
    if name in ("actions:list", "accounts:clusters"):
        return len(_rows_behind(url, viewer))
    request: Any = RequestFactory().get(parts.path, query)
    request.user = viewer
    if name == "cases:list":
        since, until = (case_views_instant(request, n) for n in ("since", "until"))
        return case_selectors.case_list(
            status=query.get("status", "open"),
            at=query.get("at", "opened"),
            since=since,
            until=until,
        ).count()
    if name == "cases:inbox":
        since, until = (case_views_instant(request, n) for n in ("since", "until"))
        return case_selectors.inbox(
            viewer,
            state=query.get("state", "open"),
            since=since,
            until=until,
            target=query.get("target", ""),
        ).count()
    raise AssertionError(f"no count for {url}")


def _rows_behind(url: str, viewer) -> set[Any]:
    """Which rows the actions list or the cluster list at `url` shows, through the page's own
    code: action ids, or cluster keys."""
    parts = urlsplit(url)
    request: Any = RequestFactory().get(parts.path, parse_qs(parts.query))
    request.user = viewer
    name = resolve(parts.path).view_name
    if name == "actions:list":
        choice = action_views._filter(request)
        return set(choice.apply(Action.objects.all()).values_list("pk", flat=True))
    assert name == "accounts:clusters", url
    page = account_views.cluster_choice(request)
    assert not page["problems"], (url, page["problems"])
    return {row.cluster.key for row in page["rows"]}


def case_views_instant(request, name: str):
    from apps.cases.views import instant_param

    return instant_param(request, name)


def _one_record(url: str) -> bool:
    """One action's, activation's or account's page: it names its row, nothing to count."""
    return resolve(urlsplit(url).path).view_name in (
        "actions:detail",
        "actions:activation",
        "accounts:detail",
    )


def test_each_link_lists_exactly_the_rows_its_figure_counts(report) -> None:
    auditor = make_person("audrey", "auditor")  # reads every escalation
    checked = 0
    for section in report.content["sections"]:
        # A duration or a sum in USDT links to the rows it is read from, not to a count.
        linked = [(f["value"], f["url"]) for f in section["figures"] if f["url"] and not f["unit"]]
        for table in section["tables"]:
            for row in table["rows"]:
                for value in row:
                    if isinstance(value, dict) and value["url"]:
                        linked.append((value["v"], value["url"]))
        for value, url in linked:
            if _one_record(url):
                continue
            assert _count_behind(url, auditor) == value, (section["key"], url)
            checked += 1
    assert checked >= 60


def test_cluster_and_restriction_links_list_the_very_rows_counted(report) -> None:
    """Counts can agree by chance (several of these figures are 1 on the known day): each link
    must list the same rows a direct query names."""
    urls = {
        f"{s['key']}.{f['key']}": f["url"] for s in report.content["sections"] for f in s["figures"]
    }
    standing = Restriction.objects.filter(
        Q(applied_at__lt=END, status="active")
        & (Q(expires_at__isnull=True) | Q(expires_at__gt=END))
    )

    def placed_by(rows) -> set[Any]:
        return set(rows.values_list("action_id", flat=True))

    ended = Restriction.objects.filter(in_day("ended_at"))
    expected: dict[str, set[Any]] = {
        "anomalies.clusters_new": {"C-NEW"},
        "anomalies.clusters_grown": {"C-OLD"},
        "restrictions.active": placed_by(standing),
        "restrictions.lifted": placed_by(ended.filter(status="lifted")),
        "restrictions.expired": placed_by(ended.filter(status="expired")),
        "restrictions.expiring": placed_by(standing.filter(expires_at__lt=END + timedelta(days=1))),
        "emergency.standing_symbol": placed_by(standing.filter(scope="symbol")),
        "emergency.standing_platform": placed_by(standing.filter(scope="platform")),
    }
    auditor = make_person("audrey", "auditor")
    for key, rows in expected.items():
        assert _rows_behind(urls[key], auditor) == rows, (key, urls[key])
    # The known day tells the kinds apart: no two of these lists are the same rows.
    kinds = [
        frozenset(rows) for key, rows in expected.items() if key != "emergency.standing_platform"
    ]
    assert len(set(kinds)) == len(kinds) and all(kinds)
