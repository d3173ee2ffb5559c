"""Storing alerts as they arrive, by any way in: validate, deduplicate, keep the rejects.

One call stores one batch in one transaction with a handful of statements whatever its
size: an upsert on `dedup_key` (a repeat bumps the counter on the first alert), the
accounts of the new alerts, their history rows, and the rejected records.
"""

from __future__ import annotations

import json
import reprlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db import transaction
from django.utils import timezone

from apps.alerts.bulk_sql import CHUNK, bulk_insert, record_deliveries, upsert_alerts
from apps.alerts.contract import (
    AlertIn,
    ContractError,
    Errors,
    TooDeep,
    json_array_items,
    parse_alert,
    parse_json,
    storable_text,
)
from apps.alerts.models import SEVERITY_RANK, Alert, AlertAccount, RejectedAlert, sla_for
from apps.alerts.signals import alerts_arrived
from apps.desk.audit import chain_history
from apps.desk.history import current_task

if TYPE_CHECKING:
    from apps.people.models import User

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"


@dataclass(frozen=True)
class Incoming:
    """One item as it arrived: text to parse (`raw`), or an already parsed `payload`."""

    raw: str | bytes | None = None
    payload: Any = None
    parsed: bool = False
    entry_id: str = ""
    problem: str = ""  # set when the way in already knows it is unusable

    @classmethod
    def of(cls, payload: Any, entry_id: str = "") -> Incoming:
        return cls(payload=payload, parsed=True, entry_id=entry_id)

    def raw_text(self) -> str:
        """The payload as it arrived, as text every database stores (see storable_text)."""
        if self.parsed:
            try:
                text = json.dumps(self.payload, default=str, ensure_ascii=False)
            except (RecursionError, ValueError):
                text = reprlib.repr(self.payload)
        elif isinstance(self.raw, bytes):
            text = self.raw.decode("utf-8", errors="backslashreplace")
        else:
            text = self.raw or ""
        return storable_text(text)


def incoming_batch(body: bytes) -> list[Incoming]:
    """The items of a body holding one alert or a list of them; ContractError when it is
    not JSON. A body nested too deep for the parser is split into its items first, so only
    the deep one is rejected and the others are stored."""
    try:
        data = parse_json(body)
    except TooDeep:
        return [Incoming(raw=item) for item in json_array_items(body)]
    items = data if isinstance(data, list) else [data]
    return [Incoming.of(item) for item in items]


class Outcome(NamedTuple):
    status: str
    alert_id: int | None = None
    errors: Errors | None = None


@transaction.atomic
def alerts_ingest(
    *, items: Sequence[Incoming], way_in: str, by: User | None = None, stream: str = ""
) -> list[Outcome]:
    """Store each item; the outcome of each, in order. With `stream`, entries already stored
    by an earlier delivery are skipped: a re-delivery is neither a new alert nor a repeat."""
    now = timezone.now()
    outcomes: list[Outcome | None] = [None] * len(items)
    fresh = list(range(len(items)))
    if stream:
        recorded = record_deliveries(stream, [item.entry_id for item in items], now)
        fresh = []
        for index, item in enumerate(items):
            if item.entry_id in recorded:
                recorded.discard(item.entry_id)
                fresh.append(index)
            else:
                outcomes[index] = Outcome(DUPLICATE)

    valid: list[tuple[int, AlertIn]] = []
    rejects: list[RejectedAlert] = []
    for index in fresh:
        item = items[index]
        try:
            if item.problem:
                raise ContractError({"payload": [item.problem]}, reason=item.problem)
            payload = item.payload if item.parsed else parse_json(item.raw or b"")
            valid.append((index, parse_alert(payload)))
        except ContractError as error:
            outcomes[index] = Outcome(REJECTED, errors=error.errors)
            rejects.append(
                RejectedAlert(
                    raw=item.raw_text(),
                    reason=error.reason[:300],
                    errors=error.errors,
                    way_in=way_in,
                    entry_id=item.entry_id,
                    received_at=now,
                )
            )

    for index, status, alert_id in _store(valid, now=now, way_in=way_in, by=by):
        outcomes[index] = Outcome(status, alert_id)
    if rejects:
        stored = RejectedAlert.objects.bulk_create(rejects)
        chain_history(
            RejectedAlert,
            RejectedAlert.history.bulk_history_create(
                stored,
                default_user=by,
                default_change_reason=f"rejected on the way in ({way_in})",
                default_date=now,
                custom_historical_attrs={"history_task": current_task()},
            ),
        )
    assert all(outcome is not None for outcome in outcomes)
    return outcomes  # type: ignore[return-value]


def _store(
    valid: list[tuple[int, AlertIn]], *, now: Any, way_in: str, by: User | None
) -> list[tuple[int, str, int]]:
    """Upsert the valid alerts; (index, accepted | duplicate, alert id) for each."""
    by_key: dict[str, list[tuple[int, AlertIn]]] = {}
    for index, alert_in in valid:
        by_key.setdefault(alert_in.dedup_key, []).append((index, alert_in))
    if not by_key:
        return []
    rows = [_row(occurrences, now) for occurrences in by_key.values()]
    returned: dict[str, tuple[int, int]] = {}
    for start in range(0, len(rows), CHUNK):
        returned.update(upsert_alerts(rows[start : start + CHUNK]))

    created: list[Alert] = []
    repeated: list[int] = []
    results: list[tuple[int, str, int]] = []
    for alert in rows:
        alert_id, repeat_count = returned[alert.dedup_key]
        occurrences = by_key[alert.dedup_key]
        # Inserted rows keep the repeat count this batch gave them; an update adds
        # at least one to a count that was already >= 0, so it returns more.
        inserted = repeat_count == alert.repeat_count
        alert.pk = alert_id
        if inserted:
            created.append(alert)
        else:
            repeated.append(alert_id)
        first_index = occurrences[0][0]
        results.append((first_index, ACCEPTED if inserted else DUPLICATE, alert_id))
        results.extend((index, DUPLICATE, alert_id) for index, _ in occurrences[1:])

    bulk_insert(
        AlertAccount,
        [
            AlertAccount(alert_id=alert.pk, account_id=account_id, position=position)
            for alert in created
            for position, account_id in enumerate(alert.accounts)
        ],
    )
    if created:
        new_ids = [alert.pk for alert in created]
        # robust: with the broker down the alerts are stored all the same; the periodic
        # nets (cases attach, shifts route) pick them up.
        transaction.on_commit(
            lambda: alerts_arrived.send(sender=Alert, alert_ids=new_ids), robust=True
        )
    history = _history_rows(created, "+", f"received ({way_in})", by, now)
    resent: list[Any] = []
    if repeated:
        again = list(Alert.objects.filter(pk__in=repeated).defer("evidence"))
        resent = _history_rows(again, "~", f"re-sent ({way_in})", by, now)
    bulk_insert(Alert.history.model, history + resent)
    chain_history(Alert, history)
    chain_history(Alert, resent, fields=_RESENT_FIELDS)
    return results


# What a re-sent finding may change (bulk_sql.upsert_alerts's SET), as the audit chain records it.
_RESENT_FIELDS = (
    "repeat_count",
    "last_seen",
    "metrics",
    "score",
    "summary",
    "severity",
    "sla_due_at",
    "detected_at",
)


def _history_rows(
    alerts: list[Alert], kind: str, reason: str, by: User | None, now: Any
) -> list[Any]:
    """History rows as simple-history writes them, named after the acting task."""
    model = Alert.history.model
    task = current_task()
    return [
        model(
            history_date=now,
            history_user_id=by.pk if by else None,
            history_change_reason=reason,
            history_type=kind,
            history_task=task,
            **{f.attname: getattr(alert, f.attname) for f in model.tracked_fields},
        )
        for alert in alerts
    ]


def _row(occurrences: list[tuple[int, AlertIn]], now: Any) -> Alert:
    """The alert a batch's occurrences of one key make: the first one, with the newest
    detection's time and metrics, and the later ones counted as repeats."""
    first = occurrences[0][1]
    newest = max((alert_in for _, alert_in in occurrences), key=lambda a: a.detected_at)
    return Alert(
        dedup_key=first.dedup_key,
        rule=first.rule,
        category=first.category,
        severity=first.severity,
        severity_rank=SEVERITY_RANK[first.severity],  # type: ignore[index]
        score=first.score,
        accounts=list(first.accounts),
        symbol=first.symbol,
        window_start=first.window_start,
        window_end=first.window_end,
        detected_at=newest.detected_at,
        summary=first.summary,
        metrics=newest.metrics,
        evidence=first.evidence,
        source=first.source,
        first_seen=now,
        last_seen=now,
        repeat_count=len(occurrences) - 1,
        sla_due_at=now + sla_for(first.severity),
    )
