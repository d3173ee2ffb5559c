"""What reading the desk's memory of accounts costs a detection run.

    DATABASE_URL=postgres://... python bench/memory.py [--accounts 50000] [--repeat 3]

Fills the memory (apps.accounts: accounts, their identifiers, their profiles) for
``--accounts`` accounts — 5 identifiers each: an IP, a device, an address, an internal
counterparty, and a second device for every other account — unless it already holds
them, then times ``memory_recall`` for all of them (the one read a run makes, before the
rules), counts its queries, and times the lookups account_theft makes with the result.
Without DATABASE_URL it uses a SQLite file under var/bench/.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DEBUG", "true")
    if not os.environ.get("DATABASE_URL"):
        (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'memory.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskdesk.settings")
    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from apps.accounts.models import AccountProfile, ExchangeAccount, Identifier
    from apps.detection.memory_store import memory_recall

    call_command("migrate", verbosity=0)
    ids = [f"M{i:07d}" for i in range(args.accounts)]
    if ExchangeAccount.objects.filter(account_id__in=ids[-1:]).count() == 0:
        began = time.perf_counter()
        seen = datetime(2026, 11, 1, tzinfo=UTC)
        with transaction.atomic():
            ExchangeAccount.objects.bulk_create(
                [
                    ExchangeAccount(account_id=a, registered_at=seen, kyc_level=1, vip_tier=0)
                    for a in ids
                ],
                batch_size=2000,
            )
            rows = []
            for n, a in enumerate(ids):
                values = [("ip", f"10.{n % 250}.{n // 250 % 250}.1"), ("device", f"dev-{n}")]
                values += [("address", f"0x{n:040x}"), ("counterparty", ids[(n + 1) % len(ids)])]
                if n % 2:
                    values.append(("device", f"dev-{n}-b"))
                rows += [
                    Identifier(account_id=a, kind=k, value=v, first_seen=seen, last_seen=seen)
                    for k, v in values
                ]
            Identifier.objects.bulk_create(rows, batch_size=5000)
            AccountProfile.objects.bulk_create(
                [
                    AccountProfile(
                        account_id=a,
                        first_window_at=seen,
                        last_window_at=seen + timedelta(days=1),
                        days_observed=3.0,
                        orders=40,
                        usual_equity=5000.0,
                        order_notional={"BTCUSDT": 1200.0, "ETHUSDT": 800.0},
                        findings={},
                    )
                    for a in ids
                ],
                batch_size=2000,
            )
        print(f"filled the memory for {len(ids):,} accounts in {time.perf_counter() - began:.1f} s")
    vendor = connection.vendor
    timings = []
    for _ in range(args.repeat):
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            memory = memory_recall(ids, before=datetime(2026, 12, 1, tzinfo=UTC))
            timings.append(time.perf_counter() - began)
    rng = np.random.default_rng(1)
    who = np.array(ids, dtype=object)[rng.integers(0, len(ids), 10_000)]
    began = time.perf_counter()
    memory.known("device", who, [f"dev-{a[1:].lstrip('0') or 0}" for a in who])
    memory.remembers(who)
    memory.usual_equity(who)
    lookups = time.perf_counter() - began
    print(
        f"{vendor}: memory_recall of {len(ids):,} accounts ({len(memory.identifiers):,} "
        f"identifiers, {len(memory.profiles):,} profiles): best {min(timings):.2f} s, "
        f"worst {max(timings):.2f} s, {len(queries)} queries; "
        f"10,000 logins looked up in it: {lookups:.3f} s"
    )


if __name__ == "__main__":
    main()
