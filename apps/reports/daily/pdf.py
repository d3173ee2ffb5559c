"""The report as a PDF, laid out by fpdf2: a title block, then each section's figures,
notes, charts and tables, with page numbers.

fpdf2, not weasyprint (which needs pango and cairo from the system) nor reportlab: it is a
pure-Python wheel, has tables built in, and embeds the DejaVu font matplotlib ships."""

import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from fpdf import FPDF
from fpdf.fonts import FontFace
from matplotlib import font_manager

from apps.reports.daily.charts import bar_chart, font_path
from apps.reports.daily.window import plain
from apps.reports.models import DailyReport

INK = (33, 37, 41)
MUTED = (108, 117, 125)
HEAD = (230, 236, 245)
ROWS = 40  # a table prints this many rows; the page and the CSV / XLSX have them all


class ReportPDF(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.report_title = title
        self.add_font("dejavu", "", font_path())
        bold = font_manager.findfont(
            font_manager.FontProperties(family="DejaVu Sans", weight="bold")
        )
        self.add_font("dejavu", "B", str(bold))
        self.set_auto_page_break(auto=True, margin=16)
        self.set_margins(16, 16, 16)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("dejavu", "", 7)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"{self.report_title} · page {self.page_no()}/{{nb}}", align="C")


def local(moment: str, zone_name: str = "") -> str:
    zone = ZoneInfo(zone_name or str(settings.DESK_TIME_ZONE))
    at = datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(zone)
    return f"{at:%a %d %b %Y %H:%M} {at.tzname()}"


def report_pdf(report: DailyReport) -> bytes:
    content = report.content
    pdf = ReportPDF(f"Daily risk-control report {report.days_label} v{report.version}")
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_text_color(*INK)
    pdf.set_font("dejavu", "B", 18)
    pdf.cell(0, 10, "Daily risk-control report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 11)
    pdf.cell(
        0,
        6,
        f"UTC {'day' if report.first_day == report.last_day else 'days'} "
        f"{report.days_label} · version {report.version}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("dejavu", "", 8.5)
    pdf.set_text_color(*MUTED)
    start, end = content.get("start"), content.get("end")
    lines = [
        f"From {local(start, 'UTC')} to {local(end, 'UTC')}; in the desk's time zone "
        f"({settings.DESK_TIME_ZONE}) {local(start)} to {local(end)}."
        if start and end
        else "",
        f"Built {report.built_at:%Y-%m-%d %H:%M} UTC by {report.built_by}; figures as the "
        f"database stood then."
        if report.built_at
        else "Not built.",
        "The day was not over when this version was built." if content.get("partial") else "",
        "On the console every figure links to the list of rows it counts.",
    ]
    for line in filter(None, lines):
        pdf.multi_cell(0, 4.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    for section in content.get("sections", []):
        _section(pdf, section)
    return bytes(pdf.output())


def _section(pdf: ReportPDF, section: dict[str, Any]) -> None:
    if pdf.get_y() > pdf.h - 60:
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font("dejavu", "B", 13)
    pdf.cell(0, 8, section["title"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*MUTED)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)
    if "error" in section:
        pdf.set_font("dejavu", "", 9)
        pdf.multi_cell(0, 5, f"This section could not be read: {section['error']}")
        return
    figures = section.get("figures", [])
    if figures:
        pdf.set_font("dejavu", "", 9)
        with pdf.table(
            col_widths=(3, 1),
            text_align=("LEFT", "RIGHT"),
            first_row_as_headings=False,
            line_height=5,
            borders_layout="HORIZONTAL_LINES",
        ) as table:
            for figure in figures:
                row = table.row()
                row.cell(figure["label"])
                row.cell(_value(figure["value"], figure.get("unit", "")))
    pdf.set_font("dejavu", "", 9)
    for note in section.get("notes", []):
        pdf.multi_cell(0, 5, f"• {note}", new_x="LMARGIN", new_y="NEXT")
    tiles: list[bytes] = []
    for table in section.get("tables", []):
        chart = bar_chart(table, fmt="png", width=4.2) if table["rows"] else b""
        if chart and len(table["columns"]) <= 2:
            tiles.append(chart)  # the chart says all a two-column table does
            continue
        _charts(pdf, tiles)
        tiles = []
        _table(pdf, table, chart)
    _charts(pdf, tiles)


def _charts(pdf: ReportPDF, charts: list[bytes]) -> None:
    """Charts two abreast, each pair on one page."""
    width = (pdf.w - pdf.l_margin - pdf.r_margin - 6) / 2
    for i in range(0, len(charts), 2):
        pair = charts[i : i + 2]
        height = max(width * _png_ratio(png) for png in pair)
        pdf.ln(2)
        if pdf.get_y() + height > pdf.h - 20:
            pdf.add_page()
        top = pdf.get_y()
        for n, png in enumerate(pair):
            pdf.image(io.BytesIO(png), x=pdf.l_margin + n * (width + 6), y=top, w=width)
        pdf.set_y(top + height)


def _table(pdf: ReportPDF, table: dict[str, Any], chart: bytes) -> None:
    pdf.ln(2)
    if chart:
        height = 120 * _png_ratio(chart)
        if pdf.get_y() + height > pdf.h - 20:
            pdf.add_page()
        pdf.image(io.BytesIO(chart), w=120)
    if pdf.get_y() > pdf.h - 40:
        pdf.add_page()
    pdf.set_font("dejavu", "B", 9.5)
    pdf.cell(0, 6, table["title"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 8)
    rows = table["rows"]
    if not rows:
        pdf.set_text_color(*MUTED)
        pdf.cell(0, 5, table.get("empty", "None."), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(*INK)
        return
    widths = _widths(table)
    numeric = [all(isinstance(plain(r[i]), int | float) for r in rows) for i in range(len(widths))]
    with pdf.table(
        col_widths=widths,
        text_align=tuple("RIGHT" if n else "LEFT" for n in numeric),
        line_height=4.5,
        headings_style=FontFace(emphasis="BOLD", fill_color=HEAD),
        borders_layout="MINIMAL",
    ) as out:
        out.row([str(c) for c in table["columns"]])
        for row in rows[:ROWS]:
            out.row([_value(plain(c)) for c in row])
    if len(rows) > ROWS:
        pdf.set_text_color(*MUTED)
        pdf.cell(
            0,
            5,
            f"… {len(rows) - ROWS} more rows in the CSV / XLSX.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(*INK)


def _widths(table: dict[str, Any]) -> tuple[int, ...]:
    longest = [
        max([len(str(table["columns"][i]))] + [len(str(plain(r[i]))) for r in table["rows"][:ROWS]])
        for i in range(len(table["columns"]))
    ]
    return tuple(min(max(n, 6), 60) for n in longest)


def _png_ratio(png: bytes) -> float:
    width = int.from_bytes(png[16:20], "big")
    height = int.from_bytes(png[20:24], "big")
    return height / width if width else 0.5


def _value(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:,.2f}" if unit == "USDT" else f"{value:,.1f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return (
        f"{text} {unit}".strip()
        if unit and unit != "min"
        else text + (" min" if unit == "min" else "")
    )
