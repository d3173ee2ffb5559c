"""Which streams a consumer of a partitioned feed reads and which rules it runs.

A partitioned feed (replay/partitions.py) has the trading tables on ``feed:p<i>:<table>``
by symbol hash and the reference tables on ``feed:<table>``. Its consumers:

- **symbol partition** ``i/N``: partition i's trading streams and the reference streams;
  runs the rules that need nothing but one symbol's rows and the accounts (``LOCAL``):
  no linking, and none of them is withheld by a rule of another consumer.
- **account level** ``accounts/N``: every partition's trading streams and the reference
  streams; links the accounts and runs every other rule: the account-level rules, and
  the per-symbol rules that read the linkage or that an account-level rule covers
  (``linked_mutual_trade``, ``matched_trade_price``, ``combined_position_limit``,
  ``frequent_cancel``).

The two sets are closed under ``covered_by`` (each rule's covering rules run in the same
consumer), so the union of the consumers' alerts is the unpartitioned run's, key by key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..replay.events import STREAMS
from ..replay.partitions import PARTITIONED, partition_prefix
from ..rules import RULES

ACCOUNTS = "accounts"
# Per-symbol rules that read nothing across symbols: no linkage, no covering rule
# elsewhere. A rule that starts reading ``ctx.linkage`` fails loudly here (NoLinkage).
# (frequent_cancel is not: unauthorized_algo, an account-level rule, covers it.)
LOCAL = frozenset({"self_trade", "large_cancel", "daily_open_limit", "market_stress"})


@dataclass(frozen=True)
class Partition:
    """``index`` None: the account-level consumer of an N-partition feed."""

    index: int | None
    count: int

    @classmethod
    def parse(cls, text: str) -> Partition:
        """``2/4`` (symbol partition 2 of 4) or ``accounts/4``."""
        which, _, count = text.partition("/")
        try:
            n = int(count)
            index = None if which == ACCOUNTS else int(which)
        except ValueError:
            raise ValueError(f"{text!r}: expected i/N or accounts/N") from None
        if n < 1 or (index is not None and not 0 <= index < n):
            raise ValueError(f"{text!r}: the partition must be 0 to N-1 of N >= 1")
        return cls(index, n)

    @property
    def name(self) -> str:
        return f"{ACCOUNTS if self.index is None else self.index}of{self.count}"

    @property
    def links(self) -> bool:
        """Whether this consumer links accounts (only the account-level one does)."""
        return self.index is None

    @property
    def rules(self) -> frozenset[str]:
        return LOCAL if self.index is not None else frozenset(RULES) - LOCAL

    def sources(self, prefix: str) -> dict[str, str]:
        """Stream -> table, in STREAMS order (an order's stream before its trade's)."""
        indexes = range(self.count) if self.index is None else [self.index]
        out: dict[str, str] = {}
        for table in STREAMS:
            if table in PARTITIONED:
                for i in indexes:
                    out[partition_prefix(prefix, i) + table] = table
            else:
                out[prefix + table] = table
        return out


class LinkageNotKept(RuntimeError):
    pass


class NoLinkage:
    """Stands for the linkage in a symbol partition, which does not link: reading it is
    a rule placed in the wrong consumer."""

    def __getattr__(self, name: str) -> Any:
        raise LinkageNotKept(
            f"a symbol partition has no linkage (asked for {name!r}); a rule reading it "
            "belongs to the account-level consumer (live/partition.py LOCAL)"
        )
