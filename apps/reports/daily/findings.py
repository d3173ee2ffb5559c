"""Sections on what detection found: anomalies, the rules that fired and what operators made
of them, promotion abuse. An alert belongs to the window by `detected_at` — the time the
alert queue's since / until filter reads — so each figure's link lists exactly its rows."""

from typing import Any

from django.db.models import Count
from django.urls import reverse

from apps.accounts.selectors import ClusterChange, clusters_grown, clusters_new
from apps.alerts.figures import alerts_detected
from apps.alerts.vocabulary import Category, DismissReason, Severity, Status
from apps.reports.daily.window import Section, Window, cell

CONFIRMED = (Status.ESCALATED, Status.IN_CASE)
TOP_SYMBOLS = 25


def detected(w: Window) -> Any:
    return alerts_detected(w.start, w.end)


def anomalies(w: Window) -> Section:
    s = Section("anomalies", "Anomalies found")
    by: dict[str, dict[str, int]] = {"category": {}, "severity": {}}
    total = 0
    for category, severity, n in (
        detected(w).values_list("category", "severity").annotate(n=Count("pk")).order_by()
    ):
        by["category"][category] = by["category"].get(category, 0) + n
        by["severity"][severity] = by["severity"].get(severity, 0) + n
        total += n
    s.figure("alerts", "Alerts detected", total, w.alerts_url())
    critical = by["severity"].get(Severity.CRITICAL, 0)
    s.figure("critical", "Critical", critical, w.alerts_url(severity="critical"))
    s.table(
        "by_category",
        "Alerts by category",
        ["Category", "Alerts"],
        [
            [label, cell(by["category"][code], w.alerts_url(category=code))]
            for code, label in sorted(Category.choices, key=lambda c: -by["category"].get(c[0], 0))
            if by["category"].get(code)
        ],
        chart=1,
        empty="No alerts.",
    )
    s.table(
        "by_severity",
        "Alerts by severity",
        ["Severity", "Alerts"],
        [
            [label, cell(by["severity"].get(code, 0), w.alerts_url(severity=code))]
            for code, label in Severity.choices
        ],
        chart=1,
    )
    symbols = list(
        detected(w)
        .exclude(symbol="")
        .values_list("symbol")
        .annotate(n=Count("pk"))
        .order_by("-n", "symbol")[: TOP_SYMBOLS + 1]
    )
    s.table(
        "by_contract",
        "Alerts by contract",
        ["Contract", "Alerts"],
        [[symbol, cell(n, w.alerts_url(symbol=symbol))] for symbol, n in symbols[:TOP_SYMBOLS]],
        chart=1,
        empty="No alert named a contract.",
    )
    if len(symbols) > TOP_SYMBOLS:
        s.notes.append(f"Only the {TOP_SYMBOLS} contracts with most alerts are listed.")
    _clusters(s, w)
    return s


def _clusters(s: Section, w: Window) -> None:
    """New clusters (first detected in the window) and grown ones (older, larger at the end of
    the window than at its start, read from the cluster's history)."""
    new = clusters_new(w.start, w.end)
    grown = clusters_grown(w.start, w.end)
    s.figure("clusters_new", "New control clusters", len(new), w.clusters_url("new"))
    s.figure("clusters_grown", "Control clusters that grew", len(grown), w.clusters_url("grown"))
    s.table(
        "clusters_new",
        "New control clusters",
        ["Cluster", "Accounts"],
        [[_cluster_cell(c), c.after] for c in new[:50]],
        empty="No new cluster.",
    )
    s.table(
        "clusters_grown",
        "Control clusters that grew",
        ["Cluster", "Accounts before", "Accounts after"],
        [[_cluster_cell(g), g.before, g.after] for g in grown[:50]],
        empty="No cluster grew.",
    )


def _cluster_cell(change: ClusterChange) -> Any:
    member = getattr(change.cluster, "first_member", None)
    url = reverse("accounts:detail", args=[member]) if member else ""
    return cell(change.cluster.key, url)


def rules(w: Window) -> Section:
    s = Section("rules", "Rules triggered")
    per_rule: dict[str, dict[str, int]] = {}
    for rule, status, n in (
        detected(w).values_list("rule", "status").annotate(n=Count("pk")).order_by()
    ):
        row = per_rule.setdefault(rule, {"all": 0, "confirmed": 0, "dismissed": 0, "open": 0})
        row["all"] += n
        kind = (
            "confirmed"
            if status in CONFIRMED
            else "dismissed"
            if status == Status.DISMISSED
            else "open"
        )
        row[kind] += n
    totals = {
        k: sum(r[k] for r in per_rule.values()) for k in ("all", "confirmed", "dismissed", "open")
    }
    s.figure("rules", "Rules that fired", len(per_rule))
    s.figure(
        "confirmed",
        "Confirmed by operators (escalated or in a case)",
        totals["confirmed"],
        w.alerts_url(status="confirmed"),
    )
    s.figure(
        "dismissed", "Dismissed by operators", totals["dismissed"], w.alerts_url(status="dismissed")
    )
    s.figure("undecided", "Not yet decided", totals["open"], w.alerts_url(status="open"))
    s.table(
        "by_rule",
        "Alerts by rule",
        ["Rule", "Alerts", "Confirmed", "Dismissed", "Open"],
        [
            [
                rule,
                cell(r["all"], w.alerts_url(rule=rule)),
                cell(r["confirmed"], w.alerts_url(rule=rule, status="confirmed")),
                cell(r["dismissed"], w.alerts_url(rule=rule, status="dismissed")),
                cell(r["open"], w.alerts_url(rule=rule, status="open")),
            ]
            for rule, r in sorted(per_rule.items(), key=lambda kv: (-kv[1]["all"], kv[0]))
        ],
        chart=1,
        empty="No rule fired.",
    )
    reasons = dict(
        detected(w)
        .filter(status=Status.DISMISSED)
        .values_list("dismiss_reason")
        .annotate(n=Count("pk"))
        .order_by()
    )
    s.table(
        "dismissed_by_reason",
        "Dismissed, by reason",
        ["Reason", "Alerts"],
        [
            [label, cell(reasons[code], w.alerts_url(status="dismissed", reason=code))]
            for code, label in DismissReason.choices
            if reasons.get(code)
        ],
        chart=1,
        empty="Nothing dismissed.",
    )
    return s


def promotion(w: Window) -> Section:
    """Promotion abuse: the rule writes `accounts` and `rewards` (USDT) into its metrics."""
    s = Section("promotion", "Promotion abuse and rewards at stake")
    found = detected(w).filter(category=Category.PROMO_ABUSE)
    rows = list(found.values_list("status", "metrics", "symbol").order_by())
    rewards = sum(float((m or {}).get("rewards", 0) or 0) for _, m, _ in rows)
    at_stake = sum(
        float((m or {}).get("rewards", 0) or 0) for st, m, _ in rows if st != Status.DISMISSED
    )
    accounts = sum(int((m or {}).get("accounts", 0) or 0) for _, m, _ in rows)
    url = w.alerts_url(category=Category.PROMO_ABUSE)
    s.figure("alerts", "Promotion-abuse alerts", len(rows), url)
    s.figure("accounts", "Accounts named by them", accounts, url, unit="accounts")
    s.figure("rewards", "Rewards collected (USDT)", round(rewards, 2), url, unit="USDT")
    s.figure(
        "at_stake", "Rewards at stake, not dismissed (USDT)", round(at_stake, 2), url, unit="USDT"
    )
    by_status: dict[str, int] = {}
    for status, _, _ in rows:
        by_status[status] = by_status.get(status, 0) + 1
    s.table(
        "by_status",
        "Promotion-abuse alerts by status",
        ["Status", "Alerts"],
        [
            [label, cell(by_status[code], w.alerts_url(category=Category.PROMO_ABUSE, status=code))]
            for code, label in Status.choices
            if by_status.get(code)
        ],
        empty="No promotion abuse found.",
    )
    return s
