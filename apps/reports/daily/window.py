"""What a section is made of, and the window it reads.

A section is figures (a label, a number, the link to the rows it counts), tables (rows of
cells; a number cell carries its own link) and notes in words. It is stored as JSON in the
report, so the page, the CSV / XLSX, the PDF and the e-mail all read the same frozen figures.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Window:
    """The UTC days [first_day, last_day], read at `now` (the build's moment)."""

    first_day: date
    last_day: date
    now: datetime

    @property
    def start(self) -> datetime:
        return datetime(self.first_day.year, self.first_day.month, self.first_day.day, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def shifted(self, days: int) -> "Window":
        step = timedelta(days=days)
        return Window(self.first_day + step, self.last_day + step, self.now)

    @property
    def span(self) -> dict[str, str]:
        return {"since": iso(self.start), "until": iso(self.end)}

    # Links to the lists behind the figures, in the parameters those pages accept.
    def alerts_url(self, **params: str) -> str:
        return _url("alerts:queue", {"status": "all", **self.span, **params})

    def actions_url(self, at: str = "requested", **params: str) -> str:
        return _url("actions:list", {"at": at, **self.span, **params})

    def cases_url(self, at: str = "opened", **params: str) -> str:
        return _url("cases:list", {"status": "all", "at": at, **self.span, **params})

    def escalations_url(self, **params: str) -> str:
        return _url("cases:inbox", {"state": "all", **self.span, **params})

    def clusters_url(self, change: str) -> str:
        return _url("accounts:clusters", {"change": change, **self.span})

    def restrictions_url(self, kind: str, **params: str) -> str:
        """Actions whose restriction is `kind` (active, lifted, expired, expiring) — standing
        ones read at the window's end, or now if the window has not ended yet."""
        span = {**self.span, "until": iso(min(self.end, self.now))}
        return _url("actions:list", {"restriction": kind, **span, **params})


def _url(name: str, params: dict[str, str]) -> str:
    return reverse(name) + "?" + urlencode({k: v for k, v in params.items() if v != ""})


def cell(value: Any, url: str = "") -> dict[str, Any]:
    """A table cell that is a figure: its value and the list behind it."""
    return {"v": value, "url": url}


@dataclass
class Section:
    key: str
    title: str
    figures: list[dict[str, Any]] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def figure(self, key: str, label: str, value: Any, url: str = "", unit: str = "") -> None:
        self.figures.append({"key": key, "label": label, "value": value, "url": url, "unit": unit})

    def table(
        self,
        key: str,
        title: str,
        columns: list[str],
        rows: list[list[Any]],
        *,
        chart: int | None = None,
        empty: str = "None.",
    ) -> None:
        """`chart`: the column whose values a bar chart shows against the first column."""
        self.tables.append(
            {
                "key": key,
                "title": title,
                "columns": columns,
                "rows": rows,
                "chart": chart,
                "empty": empty,
            }
        )

    def value(self, key: str) -> Any:
        return next(f["value"] for f in self.figures if f["key"] == key)

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "figures": self.figures,
            "tables": self.tables,
            "notes": self.notes,
        }


def plain(value: Any) -> Any:
    """A cell's value, whether it is a figure cell or plain text."""
    return value["v"] if isinstance(value, dict) else value
