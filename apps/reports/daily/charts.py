"""The report's charts, drawn by matplotlib: SVG for the page, PNG for the PDF.

matplotlib, not the desk's hand-written SVG helpers: it lays out long labels, axes and
ticks itself, and one drawing serves the page and the PDF alike. Figures are made through
the object API (no pyplot), which keeps no global state between threads."""

import io
from typing import Any

from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from apps.reports.daily.window import plain

BAR = "#3566a8"
ALARM = "#c0392b"
MAX_BARS = 15


def chart_rows(table: dict[str, Any]) -> list[tuple[str, float]]:
    """(label, value) for each row of a table that asks for a chart, largest first."""
    column = table.get("chart")
    if column is None:
        return []
    rows = [(str(plain(row[0])), float(plain(row[column]) or 0)) for row in table["rows"]]
    return rows[:MAX_BARS]


def bar_chart(table: dict[str, Any], *, fmt: str = "svg", width: float = 4.8) -> bytes:
    """The page shows the table's title above its chart; the PDF draws it into the PNG."""
    rows = chart_rows(table)
    if not rows:
        return b""
    labels = [_short(label) for label, _ in rows][::-1]
    values = [value for _, value in rows][::-1]
    titled = fmt != "svg"
    figure = Figure(
        figsize=(width, 0.5 + 0.24 * len(rows) + 0.2 * titled), dpi=110, layout="constrained"
    )
    ax = figure.subplots()
    colour = ALARM if table["columns"][table["chart"]].lower() in ("missed", "failed") else BAR
    bars = ax.barh(labels, values, color=colour, height=0.65)
    ax.bar_label(bars, fmt="%g", padding=3, fontsize=8)
    ax.set_xlabel(table["columns"][table["chart"]], fontsize=8)
    ax.tick_params(labelsize=8)
    ax.margins(x=0.12)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if titled:
        ax.set_title(table["title"], fontsize=9, loc="left")
    out = io.BytesIO()
    figure.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return out.getvalue()


def _short(label: str, width: int = 34) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def font_path() -> str:
    """DejaVu Sans, shipped inside matplotlib: the PDF needs a font with the desk's
    punctuation (dashes, middle dots, ellipses) and a fresh machine has no system fonts."""
    return str(font_manager.findfont("DejaVu Sans"))
