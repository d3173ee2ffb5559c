"""Sustained alerts/s from the Redis stream into PostgreSQL with one worker process.

    DATABASE_ADMIN_URL=postgres://root@127.0.0.1:5432/postgres \
    BENCH_REDIS_URL=redis://127.0.0.1:6379/14 [BENCH_DB_NAME=riskdesk_bench_alerts] \
    /work/main/.venv/bin/python bench/alerts_ingest.py [--alerts 50000] [--batch 500]

Creates the database riskdesk_bench_alerts, migrates it, puts N alerts on a fresh stream
(10 % of them repeats of earlier findings, as a re-running detector sends), then drains it
with the consumer the Celery task runs (one process, this one) and reports alerts/s. In the
same run, the same rows go into an empty alert table as one bare multi-row INSERT per 500
rows — no dedup, accounts, history, stream or acknowledgements — the physical floor this
machine's PostgreSQL sets; the ratio says what the pipeline costs on top of it.
"""

import argparse
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_NAME = os.environ.get("BENCH_DB_NAME", "riskdesk_bench_alerts")


def admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def payloads(n: int) -> list[dict]:
    rng = random.Random(7)
    out: list[dict] = []
    categories = ["self_trade", "linked_mutual_trade", "frequent_cancel", "large_cancel"]
    for i in range(n):
        if i and rng.random() < 0.10:
            repeat = dict(out[rng.randrange(len(out))])
            repeat["detected_at"] = "2026-11-21T01:00:00Z"
            repeat["metrics"] = {"count": rng.randrange(100)}
            out.append(repeat)
            continue
        account = f"U{rng.randrange(10**6):07d}"
        out.append(
            {
                "dedup_key": f"bench:{i}:{account}",
                "rule": rng.choice(categories),
                "category": rng.choice(categories),
                "severity": rng.choice(["low", "medium", "high", "critical"]),
                "score": round(rng.random() * 100, 1),
                "accounts": [account, f"U{rng.randrange(10**6):07d}"],
                "symbol": rng.choice(["BTCUSDT", "ETHUSDT", "SOLUSDT"]),
                "window_start": "2026-11-20T00:00:00Z",
                "window_end": "2026-11-21T00:00:00Z",
                "detected_at": "2026-11-21T00:02:13Z",
                "summary": f"{account} traded with itself {rng.randrange(100)} times",
                "metrics": {"self_trades": rng.randrange(100), "share": rng.random()},
                "evidence": {"trade_ids": [f"T{rng.randrange(10**9)}" for _ in range(10)]},
                "source": "bench/1",
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="Keep the bench database.")
    options = parser.parse_args()
    admin_url = os.environ.get("DATABASE_ADMIN_URL", "postgres://root@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    parts = urlparse(admin_url)
    db_url = urlunparse(parts._replace(path=f"/{DB_NAME}"))
    stream = f"bench:alerts:{uuid.uuid4().hex}"

    admin(admin_url, f"DROP DATABASE IF EXISTS {DB_NAME}")
    admin(admin_url, f"CREATE DATABASE {DB_NAME}")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="riskdesk.settings",
        # As in production: DEBUG would keep every statement (with its parameters) in memory.
        DEBUG="false",
        SECRET_KEY="bench-" + uuid.uuid4().hex * 2,
        ALLOWED_HOSTS="localhost",
        HTTPS="false",
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        ALERT_STREAM=stream,
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from apps.alerts import bulk_sql, ingest
    from apps.alerts.ingest import _row
    from apps.alerts.models import Alert, AlertAccount
    from apps.alerts.stream import StreamConsumer, redis_client

    try:
        call_command("migrate", verbosity=0)
        items = payloads(options.alerts)
        distinct = len({p["dedup_key"] for p in items})
        client = redis_client(redis_url)

        started = time.perf_counter()
        with client.pipeline(transaction=False) as pipe:
            for n, payload in enumerate(items):
                pipe.xadd(stream, {"alert": json.dumps(payload)})
                if n % 5000 == 4999:
                    pipe.execute()
            pipe.execute()
        xadd_seconds = time.perf_counter() - started

        # The audit chain's share of the pipeline, timed inside the same run (the machine is
        # too noisy for two runs to compare by a few percent).
        chain_seconds = [0.0]
        chain_history = ingest.chain_history

        def timed_chain_history(*args: Any, **kwargs: Any) -> None:
            began = time.perf_counter()
            chain_history(*args, **kwargs)
            chain_seconds[0] += time.perf_counter() - began

        ingest.chain_history = timed_chain_history
        consumer = StreamConsumer(
            client, stream=stream, group="riskdesk-ingest", batch=options.batch
        )
        started = time.perf_counter()
        consumer.run(seconds=600, block_ms=200, stop_when_idle=True)
        pipeline_seconds = time.perf_counter() - started
        stored = Alert.objects.count()
        repeats = sum(Alert.objects.values_list("repeat_count", flat=True))
        assert stored == distinct, (stored, distinct)
        assert stored + repeats == len(items), (stored, repeats, len(items))
        pending: Any = client.xpending(stream, "riskdesk-ingest")
        assert pending["pending"] == 0
        # Every stored alert and every repeat is a link of the audit chain; walk it all.
        from apps.desk.audit_verify import verify

        started = time.perf_counter()
        verdict = verify()
        verify_seconds = time.perf_counter() - started
        assert verdict.broken is None and verdict.links >= distinct, verdict

        # The floor: the same distinct rows, bare multi-row INSERTs in one transaction each.
        from apps.alerts.contract import parse_alert

        first: dict[str, dict] = {}
        for payload in items:
            first.setdefault(payload["dedup_key"], payload)
        now = timezone.now()
        rows = [_row([(0, parse_alert(p))], now) for p in first.values()]

        def truncate() -> None:
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE alerts_alert CASCADE")

        truncate()
        names = ", ".join(connection.ops.quote_name(f.column or "") for f in bulk_sql.ALERT_COLUMNS)
        started = time.perf_counter()
        for start in range(0, len(rows), options.batch):
            source, params = bulk_sql.rows_source(
                bulk_sql.ALERT_COLUMNS, rows[start : start + options.batch]
            )
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"INSERT INTO alerts_alert ({names}) {source}", params)
        bare_seconds = time.perf_counter() - started
        assert Alert.objects.count() == distinct and AlertAccount.objects.count() == 0

        truncate()
        started = time.perf_counter()
        with transaction.atomic():
            bulk_sql.bulk_insert(Alert, rows)
        copy_seconds = time.perf_counter() - started
        assert Alert.objects.count() == distinct

        pipeline_rate = len(items) / pipeline_seconds
        bare_rate = distinct / bare_seconds
        print(
            f"alerts on the stream:      {len(items):,} ({distinct:,} distinct, "
            f"{len(items) - distinct:,} repeats); XADD took {xadd_seconds:.2f} s"
        )
        print(
            f"stream -> PostgreSQL:      {pipeline_seconds:.2f} s = {pipeline_rate:,.0f} alerts/s "
            f"(one process, batches of {options.batch}: validate, upsert, accounts, history, "
            f"delivery ids, XACK+XDEL)"
        )
        print(
            f"bare bulk INSERT, same rows: {bare_seconds:.2f} s = {bare_rate:,.0f} rows/s "
            f"(one INSERT … SELECT unnest per {options.batch} rows, nothing else)"
        )
        print(
            f"COPY, same rows, for scale: {copy_seconds:.2f} s = "
            f"{distinct / copy_seconds:,.0f} rows/s"
        )
        print(f"pipeline / bare INSERT:    {pipeline_rate / bare_rate:.2f}")
        print(
            f"audit chain in the pipeline: {chain_seconds[0]:.2f} s of {pipeline_seconds:.2f} s "
            f"({100 * chain_seconds[0] / pipeline_seconds:.1f} %: canonical JSON, SHA-256, COPY)"
        )
        print(
            f"verify_audit:              {verdict.links:,} links in {verify_seconds:.2f} s = "
            f"{verdict.links / verify_seconds:,.0f} links/s"
        )
        print(f"goal >= 2,000 alerts/s:    {'met' if pipeline_rate >= 2000 else 'NOT met'}")
    finally:
        redis_client(redis_url).delete(stream)
        connection.close()
        if not options.keep:
            admin(admin_url, f"DROP DATABASE IF EXISTS {DB_NAME}")


if __name__ == "__main__":
    main()
