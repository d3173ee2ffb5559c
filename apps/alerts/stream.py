"""Reading the alert stream with a consumer group: store a batch, then acknowledge it.

Delivery is at least once. An entry is acknowledged only after the transaction that
stored it has committed; if the worker dies in between, the entry stays pending, another
consumer claims it again (XAUTOCLAIM) once it has been idle long enough, and the ingest
service recognises its entry id, so it is stored once and counted once.
"""

import json
import logging
import os
import socket
import time
from dataclasses import dataclass, replace
from typing import Any

import redis
from django.conf import settings
from django.db import DataError, IntegrityError

from apps.alerts.ingest import REJECTED, Incoming, Outcome, alerts_ingest
from apps.alerts.models import WayIn
from apps.desk.history import acting_task

log = logging.getLogger(__name__)

# An entry handed out this many times without being stored is poison (it kills or stalls
# whoever takes it): it becomes a rejected record instead of being tried again.
MAX_DELIVERIES = 5

_clients: dict[str, redis.Redis] = {}


def redis_client(url: str) -> redis.Redis:
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = redis.Redis.from_url(url)
    return client


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def ensure_group(client: redis.Redis, stream: str, group: str) -> None:
    try:
        client.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise


@dataclass
class ConsumeStats:
    batches: int = 0
    entries: int = 0
    reclaimed: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0

    def count(self, outcomes: list[Outcome]) -> None:
        self.batches += 1
        self.entries += len(outcomes)
        for outcome in outcomes:
            if outcome.status == REJECTED:
                self.rejected += 1
            elif outcome.status == "accepted":
                self.accepted += 1
            else:
                self.duplicates += 1


class StreamConsumer:
    def __init__(
        self,
        client: redis.Redis,
        *,
        stream: str,
        group: str,
        consumer: str | None = None,
        batch: int = 500,
        reclaim_idle_ms: int = 60_000,
    ) -> None:
        self.client = client
        self.stream = stream
        self.group = group
        self.consumer = consumer or consumer_name()
        self.batch = batch
        self.reclaim_idle_ms = reclaim_idle_ms
        self.stats = ConsumeStats()
        self._reclaim_cursor = "0-0"
        ensure_group(client, stream, group)

    def run(self, *, seconds: float, block_ms: int = 1000, stop_when_idle: bool = False) -> None:
        """Read and store for `seconds` (or until the stream has nothing for us)."""
        deadline = time.monotonic() + seconds
        next_reclaim = 0.0
        while (now := time.monotonic()) < deadline:
            if now >= next_reclaim:
                reclaimed = self.reclaim()
                if reclaimed:
                    continue
                next_reclaim = now + min(1.0, self.reclaim_idle_ms / 2000)
            wait = max(1, min(block_ms, int((deadline - now) * 1000)))
            if not self.read(block_ms=wait) and stop_when_idle:
                return

    def read(self, *, block_ms: int | None = None) -> int:
        response: Any = self.client.xreadgroup(
            self.group, self.consumer, {self.stream: ">"}, count=self.batch, block=block_ms
        )
        if not response:
            return 0
        entries = response[0][1]
        self.store(entries)
        return len(entries)

    def reclaim(self) -> int:
        """Take over entries another consumer left pending for longer than the idle time."""
        claimed: Any = self.client.xautoclaim(
            self.stream,
            self.group,
            self.consumer,
            min_idle_time=self.reclaim_idle_ms,
            start_id=self._reclaim_cursor,
            count=self.batch,
        )
        cursor, entries, *deleted = claimed
        self._reclaim_cursor = cursor.decode() if isinstance(cursor, bytes) else str(cursor)
        # Entries trimmed from the stream while pending cannot be read any more.
        gone = [entry_id for entry_id, fields in entries if fields is None]
        if deleted and deleted[0]:
            gone.extend(deleted[0])
        if gone:
            self.client.xack(self.stream, self.group, *gone)
        entries = [(entry_id, fields) for entry_id, fields in entries if fields is not None]
        if not entries:
            return 0
        log.info("reclaimed %d pending alert entries", len(entries))
        self.stats.reclaimed += len(entries)
        self.store(entries, deliveries=self._deliveries(entries))
        return len(entries)

    def _deliveries(self, entries: list[tuple[bytes, Any]]) -> dict[str, int]:
        pending: Any = self.client.xpending_range(
            self.stream,
            self.group,
            min=entries[0][0],
            max=entries[-1][0],
            count=len(entries) * 2,
        )
        return {_text(p["message_id"]): int(p["times_delivered"]) for p in pending}

    def store(
        self, entries: list[tuple[bytes, Any]], deliveries: dict[str, int] | None = None
    ) -> None:
        items = [self._incoming(entry_id, fields, deliveries or {}) for entry_id, fields in entries]
        with acting_task("alerts.consume_stream"):
            try:
                outcomes = self._ingest(items)
            except (DataError, IntegrityError, ValueError):
                # Something in the batch the checks let through and the database (or its
                # driver: ValueError is text it cannot encode) refuses:
                # store one by one, so only the culprit becomes a rejected record.
                log.exception("alert batch refused by the database; storing one by one")
                outcomes = []
                for item in items:
                    try:
                        outcomes.extend(self._ingest([item]))
                    except (DataError, IntegrityError, ValueError) as error:
                        problem = f"could not be stored: {str(error)[:200]}"
                        outcomes.extend(self._ingest([replace(item, problem=problem)]))
        # Only now, after the commit: a crash before this line means a re-delivery,
        # which the ingest service recognises by entry id.
        ids = [entry_id for entry_id, _ in entries]
        with self.client.pipeline(transaction=False) as pipe:
            pipe.xack(self.stream, self.group, *ids)
            # One consumer group reads this stream; an acknowledged entry is done with.
            pipe.xdel(self.stream, *ids)
            pipe.execute()
        self.stats.count(outcomes)

    def _ingest(self, items: list[Incoming]) -> list[Outcome]:
        return alerts_ingest(items=items, way_in=WayIn.STREAM, stream=self.stream)

    def _incoming(
        self, entry_id: bytes, fields: dict[bytes, bytes], deliveries: dict[str, int]
    ) -> Incoming:
        entry = _text(entry_id)
        raw = fields.get(b"alert")
        if deliveries.get(entry, 0) > MAX_DELIVERIES:
            return Incoming(
                raw=raw if raw is not None else _fields_text(fields),
                entry_id=entry,
                problem=f"delivered {deliveries[entry]} times without being stored",
            )
        if raw is None:
            return Incoming(
                raw=_fields_text(fields),
                entry_id=entry,
                problem="the stream entry has no `alert` field",
            )
        return Incoming(raw=raw, entry_id=entry)


def desk_consumer(*, batch: int) -> StreamConsumer:
    """A consumer of the desk's own alert stream, as the settings name it."""
    assert settings.REDIS_URL, "the alert stream lives in Redis: REDIS_URL is not set"
    return StreamConsumer(
        redis_client(settings.REDIS_URL),
        stream=settings.ALERT_STREAM,
        group=settings.ALERT_STREAM_GROUP,
        batch=batch,
        reclaim_idle_ms=settings.ALERT_RECLAIM_IDLE_SECONDS * 1000,
    )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _fields_text(fields: dict[bytes, bytes]) -> str:
    return json.dumps(
        {
            k.decode(errors="backslashreplace"): v.decode(errors="backslashreplace")
            for k, v in fields.items()
        }
    )
