"""Write a simulated window: one file per feed table plus ``labels.jsonl``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ..schema import TABLES


def serial_ids(prefix: str, count: int, width: int = 9) -> pa.Array:
    numbers = pc.cast(pa.array(range(1, count + 1), type=pa.int64()), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, width, "0"), "")


def to_arrow(frame: pd.DataFrame, table: str) -> pa.Table:
    """Exactly the contract's columns, times as timestamp[ms, tz=UTC]."""
    columns = TABLES[table].column_names
    arrow = pa.Table.from_pandas(frame[columns], preserve_index=False)
    return arrow


def write_table(folder: Path, table: str, frame: pd.DataFrame, fmt: str) -> None:
    arrow = to_arrow(frame, table)
    if fmt == "parquet":
        pq.write_table(arrow, folder / f"{table}.parquet")
        return
    # CSV: ISO-8601 with a "T" and "Z", booleans true/false, nulls as empty fields.
    columns = []
    for field in arrow.schema:
        column = arrow.column(field.name)
        if pa.types.is_timestamp(field.type):
            column = pc.strftime(column, format="%Y-%m-%dT%H:%M:%SZ")
        elif pa.types.is_dictionary(field.type):
            column = column.cast(pa.string())
        columns.append(column)
    text = pa.table(columns, names=arrow.column_names)
    pa_csv.write_csv(text, folder / f"{table}.csv", pa_csv.WriteOptions(quoting_style="none"))


def write_labels(folder: Path, labels: list[dict[str, Any]]) -> None:
    with (folder / "labels.jsonl").open("w") as handle:
        for label in labels:
            handle.write(json.dumps(label, sort_keys=True) + "\n")
