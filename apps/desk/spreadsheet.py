"""CSV the desk hands out is opened in spreadsheets: text must never run there as a formula.

Every CSV the desk writes goes through `csv_writer`. Following OWASP's "CSV injection"
advice, a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
single quote in front, so a spreadsheet shows it as text. A real number (an int, a float, a
Decimal, written as a number) is left as it is: `-3` stays a negative number. Text that only
looks like a number ("-3" typed into a note) is text, and gets the quote like any other.
"""

import csv
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        value = "" if value is None else str(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Writer(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


class SafeCsvWriter:
    """csv.writer, with every cell passed through spreadsheet_cell."""

    def __init__(self, stream: Any) -> None:
        self._writer: _Writer = csv.writer(stream)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([spreadsheet_cell(cell) for cell in row])


def csv_writer(stream: Any) -> SafeCsvWriter:
    return SafeCsvWriter(stream)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(rows: Iterable[Iterable[Any]], filename: str) -> Any:
    """A streamed CSV download of `rows`, every cell through the formula guard."""
    from django.http import StreamingHttpResponse

    writer = csv_writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
