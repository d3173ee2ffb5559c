"""The one error the feed reader raises."""

from __future__ import annotations


class FeedError(ValueError):
    """A feed window breaks its contract: names the file, the data row and the column.

    ``row`` counts data records from 1: row 1 is the first record after the CSV header
    (CSV line 2 when no field spans lines) or the first record of a Parquet file. ``row``
    is None for problems of the file or of its header as a whole.
    """

    def __init__(
        self, file: str, message: str, *, row: int | None = None, column: str | None = None
    ):
        self.file = file
        self.row = row
        self.column = column
        self.reason = message
        where = [file]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {message}")
