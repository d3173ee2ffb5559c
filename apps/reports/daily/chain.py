"""The audit chain's closing hash of each day of the report: printed here, a link of that day
or before that is changed or removed later no longer leads to it (docs/audit.md)."""

from datetime import timedelta

from django.urls import reverse

from apps.desk.selectors import chain_day_links, day_closing_hash
from apps.reports.daily.window import Section, Window


def audit_chain(w: Window) -> Section:
    s = Section("audit", "Audit chain")
    days = [w.first_day + timedelta(days=n) for n in range(w.days)]
    rows = [[f"{d:%Y-%m-%d}", chain_day_links(d), day_closing_hash(d)] for d in days]
    s.figure("links", "Changes chained in the window", sum(r[1] for r in rows))
    s.table(
        "days",
        "Closing hash per UTC day",
        ["Day (UTC)", "Links", "Closing hash (SHA-256)"],
        [[day, links, digest or "no change that day"] for day, links, digest in rows],
    )
    s.notes.append(
        "Keep these hashes: `python manage.py verify_audit` (or Verify on the audit chain "
        f"page, {reverse('console:audit')}) walks the chain, and a link of these days changed "
        "or removed later no longer leads to them."
    )
    return s
