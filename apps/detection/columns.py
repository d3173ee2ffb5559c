"""Strict, vectorised parsing of one feed column into its pandas dtype.

A column arrives either as text (every CSV column, or a Parquet string column) or already
typed (Parquet). Either way the first offending row is reported; nothing is coerced silently.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import FeedError
from .schema import Column

TIME_DTYPE: Final = "datetime64[ms, UTC]"
# ISO-8601 in UTC only: a local offset would shift the window's day boundaries silently.
ISO_UTC = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|\+00:00)$"


def _is_text(raw: pd.Series) -> bool:
    if isinstance(raw.dtype, pd.CategoricalDtype):
        return pd.api.types.is_string_dtype(raw.dtype.categories.dtype)
    return pd.api.types.is_string_dtype(raw.dtype) or raw.dtype == object


def _first(mask: pd.Series | np.ndarray) -> int:
    """1-based row number of the first True in a boolean mask."""
    return int(np.flatnonzero(np.asarray(mask))[0]) + 1


def _quote(raw: pd.Series, row: int) -> str:
    return repr(str(raw.iloc[row - 1]))[:80]


def _missing(raw: pd.Series) -> pd.Series:
    missing = raw.isna()
    if _is_text(raw) and len(raw) and _may_hold_empty(raw):
        # In CSV a null is an empty field.
        missing = missing | (raw == "").fillna(False).astype(bool)
    return missing


def _may_hold_empty(raw: pd.Series) -> bool:
    """False when the column surely holds no "": Arrow answers that for Arrow strings in
    one pass without a Python object (pandas' == "" over 5M ids costs 0.1 s and more)."""
    if not (isinstance(raw.dtype, pd.StringDtype) and raw.dtype.storage == "pyarrow"):
        return True
    return bool(pc.any(pc.equal(pa.array(raw.array), "")).as_py())


def parse_column(raw: pd.Series, column: Column, file: str) -> pd.Series:
    """Return ``raw`` parsed as ``column`` says, or raise FeedError at the first bad row."""
    missing = _missing(raw)
    if not column.nullable and missing.any():
        row = _first(missing)
        raise FeedError(file, "is empty but the column is required", row=row, column=column.name)
    parsers = {
        "id": _parse_text,
        "text": _parse_text,
        "category": _parse_category,
        "enum": _parse_enum,
        "time": _parse_time,
        "bool": _parse_bool,
        "int": _parse_int,
        "number": _parse_number,
    }
    parsed = parsers[column.kind](raw, missing, column, file)
    parsed.name = column.name
    return parsed


def _type_error(raw: pd.Series, column: Column, file: str, expected: str) -> FeedError:
    return FeedError(
        file, f"holds {raw.dtype} values, expected {expected}", row=1, column=column.name
    )


def _parse_text(raw: pd.Series, missing: pd.Series, column: Column, file: str) -> pd.Series:
    if not _is_text(raw):
        raise _type_error(raw, column, file, "strings")
    text = raw.astype("str")
    return text.mask(missing) if missing.any() else text


def _parse_category(raw: pd.Series, missing: pd.Series, column: Column, file: str) -> pd.Series:
    if not _is_text(raw):
        raise _type_error(raw, column, file, "strings")
    if isinstance(raw.dtype, pd.CategoricalDtype):
        return raw
    return raw.astype("category")


def _parse_enum(raw: pd.Series, missing: pd.Series, column: Column, file: str) -> pd.Series:
    if not _is_text(raw):
        raise _type_error(raw, column, file, "one of " + ", ".join(column.values))
    if isinstance(raw.dtype, pd.CategoricalDtype):
        # Look at the categories, not at millions of rows; and at which are used only when
        # one is not allowed (a Parquet dictionary may list a value no row holds).
        names = [str(c) for c in raw.cat.categories]
        if all(name in column.values for name in names):
            return raw.cat.set_categories(list(column.values))
        used = np.bincount(raw.cat.codes.to_numpy() + 1, minlength=len(raw.cat.categories) + 1)
        if all(name in column.values for name, n in zip(names, used[1:], strict=True) if n):
            return raw.cat.set_categories(list(column.values))
    bad = ~raw.isin(column.values) & ~missing
    if bad.any():
        row = _first(bad)
        allowed = ", ".join(column.values)
        message = f"{_quote(raw, row)} is not one of {allowed}"
        raise FeedError(file, message, row=row, column=column.name)
    return raw.mask(missing).astype(pd.CategoricalDtype(list(column.values)))


def _parse_time(raw: pd.Series, missing: pd.Series, column: Column, file: str) -> pd.Series:
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        if str(raw.dtype.tz) != "UTC":
            raise FeedError(file, f"time zone {raw.dtype.tz}, expected UTC", column=column.name)
        return raw.astype(TIME_DTYPE)
    if pd.api.types.is_datetime64_dtype(raw.dtype):
        raise FeedError(file, "timestamps carry no time zone, expected UTC", column=column.name)
    if not _is_text(raw):
        raise _type_error(raw, column, file, "ISO-8601 UTC times")
    text = raw.astype("str")
    shaped = text.str.match(ISO_UTC).fillna(False).astype(bool)
    parsed = pd.to_datetime(text.where(shaped), format="ISO8601", utc=True, errors="coerce")
    bad = parsed.isna() & ~missing
    if bad.any():
        row = _first(bad)
        message = f"{_quote(raw, row)} is not an ISO-8601 UTC time"
        raise FeedError(file, message, row=row, column=column.name)
    return parsed.astype(TIME_DTYPE)


def _parse_bool(raw: pd.Series, missing: pd.Series, column: Column, file: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype(bool)
    if not _is_text(raw):
        raise _type_error(raw, column, file, "true or false")
    bad = ~raw.isin(("true", "false"))
    if bad.any():
        row = _first(bad)
        message = f"{_quote(raw, row)} is not true or false"
        raise FeedError(file, message, row=row, column=column.name)
    return (raw == "true").astype(bool)


def _to_float(raw: pd.Series, missing: pd.Series, column: Column, file: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw.dtype):
        raise _type_error(raw, column, file, "numbers")
    if pd.api.types.is_numeric_dtype(raw.dtype):
        values = raw.astype("float64")
    elif _is_text(raw):
        values = pd.to_numeric(raw.astype("str").where(~missing), errors="coerce")
        values = values.astype("float64")
    else:
        raise _type_error(raw, column, file, "numbers")
    bad = ~np.isfinite(values.to_numpy()) & ~missing.to_numpy()
    if bad.any():
        row = _first(bad)
        message = f"{_quote(raw, row)} is not a finite number"
        raise FeedError(file, message, row=row, column=column.name)
    return values


def _parse_number(raw: pd.Series, missing: pd.Series, column: Column, file: str) -> pd.Series:
    return _to_float(raw, missing, column, file)


def _parse_int(raw: pd.Series, missing: pd.Series, column: Column, file: str) -> pd.Series:
    if pd.api.types.is_integer_dtype(raw.dtype) and not missing.any():
        return raw.astype("int64")
    values = _to_float(raw, missing, column, file)
    bad = (values != np.round(values)) & ~missing
    if bad.any():
        row = _first(bad)
        message = f"{_quote(raw, row)} is not a whole number"
        raise FeedError(file, message, row=row, column=column.name)
    return values.astype("int64") if not missing.any() else values.astype("Int64")
