"""Day-over-day and week-over-week: the same headline figures over the window, the window
before it and the window a week earlier, with the notable changes said in words."""

from collections.abc import Callable
from typing import Any

from apps.actions.figures import action_tally
from apps.alerts.figures import detected_tally, sla_tally
from apps.alerts.vocabulary import Category, Severity, Status
from apps.cases.figures import case_tally, escalations_raised
from apps.reports.daily.window import Section, Window, cell, iso

# A change is called out when it moves by at least this share and this many items.
NOTABLE_SHARE = 0.5
NOTABLE_COUNT = 5


def _sla_url(w: Window) -> str:
    return w.alerts_url(sla="missed")


# key, label, the list behind it
HEADLINES: list[tuple[str, str, Callable[[Window], str]]] = [
    ("alerts", "Alerts detected", lambda w: w.alerts_url()),
    ("critical", "Critical alerts", lambda w: w.alerts_url(severity=Severity.CRITICAL)),
    ("confirmed", "Alerts confirmed", lambda w: w.alerts_url(status="confirmed")),
    ("dismissed", "Alerts dismissed", lambda w: w.alerts_url(status=Status.DISMISSED)),
    ("promo", "Promotion-abuse alerts", lambda w: w.alerts_url(category=Category.PROMO_ABUSE)),
    ("sla_missed", "SLA breaches", _sla_url),
    ("executed", "Actions executed", lambda w: w.actions_url("executed")),
    ("failed", "Action failures", lambda w: w.actions_url("failed")),
    ("cases_opened", "Cases opened", lambda w: w.cases_url("opened")),
    ("escalations", "Escalations raised", lambda w: w.escalations_url()),
]


def headline_counts(w: Window) -> dict[str, int]:
    """Five queries: alerts by detection, alerts by SLA due time, actions, cases, escalations."""
    counts = detected_tally(w.start, w.end)
    counts["sla_missed"] = sla_tally(w.start, w.end, w.now)["missed"]
    actions = action_tally(w.start, w.end)
    counts |= {"executed": actions["executed"], "failed": actions["failed"]}
    counts["cases_opened"] = case_tally(w.start, w.end)["opened"]
    counts["escalations"] = escalations_raised(w.start, w.end).count()
    return counts


def _change(now: int, before: int) -> str:
    if before == 0:
        return "new" if now else "—"
    if now == before:
        return "same"
    return f"{(now - before) / before:+.0%}"


def _notable(now: int, before: int) -> bool:
    moved = abs(now - before)
    return moved >= NOTABLE_COUNT and (before == 0 or moved / before >= NOTABLE_SHARE)


def changes(w: Window) -> Section:
    s = Section("changes", "Day over day and week over week")
    day_before, week_before = w.shifted(-w.days), w.shifted(-7)
    now, prev, week = (headline_counts(x) for x in (w, day_before, week_before))
    rows: list[list[Any]] = []
    for key, label, url in HEADLINES:
        rows.append(
            [
                label,
                cell(now[key], url(w)),
                cell(prev[key], url(day_before)),
                _change(now[key], prev[key]),
                cell(week[key], url(week_before)),
                _change(now[key], week[key]),
            ]
        )
        for before, name in ((prev[key], "the window before"), (week[key], "a week earlier")):
            if _notable(now[key], before):
                way = "rose" if now[key] > before else "fell"
                s.notes.append(
                    f"{label} {way} to {now[key]} from {before} {name} "
                    f"({_change(now[key], before)})."
                )
    previous = "Previous day" if w.days == 1 else f"Previous {w.days} days"
    s.table(
        "headlines",
        f"Headline figures, against {iso(day_before.start)[:10]} and {iso(week_before.start)[:10]}"
        f"{'' if w.days == 1 else ' (the same span before)'}",
        ["Figure", "This window", previous, "Change", "A week earlier", "Change"],
        rows,
    )
    if not s.notes:
        s.notes.append(
            f"No headline figure moved by {NOTABLE_SHARE:.0%} and {NOTABLE_COUNT} or more."
        )
    return s
