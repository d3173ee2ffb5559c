"""Account codes of the live rows, computed once as rows arrive.

The rules group by integer account codes (``Context``: an account's place in the accounts
table). A window hashes every order's and trade's account id into a code once; the live
detector used to do it again on every detection cycle for the whole day so far (0.5-0.7 s
at 2.6M orders). Here each row is coded when it is read, against the accounts read so far
(kept in arrival order, which is the order of the accounts table the rules see), and a
cycle only looks up again the few rows whose account had not arrived yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# The account columns of the trading tables that the rules' coded views read, and their
# event times (as epoch ms, the views' form).
CODED = {"orders": ("account_id",), "trades": ("buyer_id", "seller_id")}
TIMES = {"orders": "created_at", "trades": "ts"}


@dataclass
class AccountIndex:
    """Every account id read, in arrival order: its position is its code."""

    ids: list[str] = field(default_factory=list)
    _set: pa.Array | None = None

    def add(self, accounts: pd.Series) -> None:
        self.ids.extend(str(a) for a in accounts.tolist())
        self._set = None

    def codes(self, column: pd.Series) -> np.ndarray:
        """Code of each id; -1 for an account not read yet."""
        if self._set is None:
            self._set = pa.array(self.ids, type=pa.string())
        found = pc.index_in(pa.array(column.astype("str"), type=pa.string()), value_set=self._set)
        return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


@dataclass
class DayCodes:
    """Per coded column of one day's table, the codes of its chunks (same order)."""

    parts: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def append(
        self, table: str, frame: pd.DataFrame, index: AccountIndex, times: np.ndarray
    ) -> None:
        for column in CODED.get(table, ()):
            self.parts.setdefault(column, []).append(index.codes(frame[column]))
        self.parts.setdefault(TIMES[table], []).append(times)

    def joined(self, column: str) -> np.ndarray:
        parts = self.parts.get(column, [])
        if len(parts) != 1:
            self.parts[column] = [np.concatenate(parts) if parts else np.zeros(0, np.int64)]
        return self.parts[column][0]

    def resolve(self, column: str, values: pd.Series, index: AccountIndex) -> np.ndarray:
        """The column's codes, looking up again only the rows still unknown."""
        codes = self.joined(column)
        missing = np.flatnonzero(codes < 0)
        if len(missing):
            codes[missing] = index.codes(values.iloc[missing])
        return codes
