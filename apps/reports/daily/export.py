"""Every table of a report as CSV (one file, table after table) and as XLSX (a sheet per
section). Both pass each cell through desk.spreadsheet.spreadsheet_cell, so text starting
with = + - @ never runs as a formula in the spreadsheet that opens it."""

import io
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from apps.desk.spreadsheet import csv_writer, spreadsheet_cell
from apps.reports.daily.window import plain
from apps.reports.models import DailyReport


def report_rows(report: DailyReport) -> Iterator[tuple[str, list[Any]]]:
    """(sheet, row) for every line of every table, the figures first as a table of their own."""
    for section in report.content.get("sections", []):
        sheet = section["title"]
        if "error" in section:
            yield sheet, ["Could not be read", section["error"]]
            continue
        yield sheet, ["Figure", "Value", "Unit"]
        for figure in section.get("figures", []):
            yield sheet, [figure["label"], figure["value"], figure.get("unit", "")]
        for table in section.get("tables", []):
            yield sheet, []
            yield sheet, [table["title"]]
            yield sheet, list(table["columns"])
            for row in table["rows"]:
                yield sheet, [plain(value) for value in row]


def report_csv(report: DailyReport) -> str:
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(
        [
            "Daily risk-control report",
            report.days_label,
            f"v{report.version}",
            "UTC",
            report.content.get("start", ""),
            report.content.get("end", ""),
        ]
    )
    current = None
    for sheet, row in report_rows(report):
        if sheet != current:
            writer.writerow([])
            writer.writerow([f"## {sheet}"])
            current = sheet
        writer.writerow(row)
    return out.getvalue()


def report_xlsx(report: DailyReport) -> bytes:
    book = Workbook()
    book.remove(book.active)
    sheets: dict[str, Any] = {}
    bold = Font(bold=True)
    for name, row in report_rows(report):
        sheet = sheets.get(name)
        if sheet is None:
            # Excel sheet names: at most 31 characters, none of : \ / ? * [ ]
            title = "".join(c for c in name if c not in ":\\/?*[]")[:31]
            sheet = sheets[name] = book.create_sheet(title)
            start, end = report.content.get("start", ""), report.content.get("end", "")
            sheet.append([f"{report} · UTC {start} to {end}"])
            sheet.append([])
        sheet.append([spreadsheet_cell(value) for value in row])
        if len(row) == 1 or row[:2] == ["Figure", "Value"]:
            for c in sheet[sheet.max_row]:
                c.font = bold
    for sheet in sheets.values():
        sheet.column_dimensions["A"].width = 48
        for column in "BCDEF":
            sheet.column_dimensions[column].width = 16
    if not sheets:
        book.create_sheet("Report").append(["Not built."])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
