"""Checking the audit chain (apps.desk.audit): walk every link in order, recompute its hash
from its content and the link before, and name the first that does not match
(`manage.py verify_audit`, the console's audit page)."""

from collections.abc import Iterator
from dataclasses import dataclass

from apps.desk.audit import GENESIS, body, link_hash


@dataclass(frozen=True)
class Break:
    """The first link that does not match: which, what it says, what it should say."""

    seq: int
    what: str
    says: str
    should: str

    def __str__(self) -> str:
        return f"link {self.seq}: {self.what} is {self.says}, should be {self.should}"


def walk(*, chunk: int = 2000) -> Iterator[tuple[int, str, Break | None]]:
    """Each link in key order as (seq, hash, the break found there or None), streamed; stops
    at the first break."""
    from apps.desk.models import AuditEntry

    expected_seq, prev = 1, GENESIS
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=chunk):
        broken = None
        if entry.seq != expected_seq:
            broken = Break(
                entry.seq,
                "its number (the link before it is missing)",
                str(entry.seq),
                str(expected_seq),
            )
        elif entry.prev_hash != prev:
            broken = Break(entry.seq, "the previous hash it holds", entry.prev_hash, prev)
        else:
            computed = link_hash(prev, body(entry))
            if entry.hash != computed:
                broken = Break(entry.seq, "the hash of its content", entry.hash, computed)
        yield entry.seq, entry.hash, broken
        if broken is not None:
            return
        expected_seq, prev = expected_seq + 1, entry.hash


@dataclass(frozen=True)
class Verdict:
    links: int  # links that matched
    last_hash: str  # the last matching link's hash
    broken: Break | None


def verify(*, chunk: int = 2000) -> Verdict:
    """Walk the whole chain in constant memory; the first break, if any."""
    count, last = 0, GENESIS
    for _seq, hash_, broken in walk(chunk=chunk):
        if broken is not None:
            return Verdict(count, last, broken)
        count, last = count + 1, hash_
    return Verdict(count, last, None)
