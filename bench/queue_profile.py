"""One queue URL on the seeded bench database, profiled: every query of the request with its
`EXPLAIN (ANALYZE, BUFFERS)` time (`-v`: the plans), then wall and CPU time over 30 requests.

    BENCH_DB=riskdesk_queue_bench python bench/queue_profile.py "status=dismissed" [-v]
    QUEUE_CODE=/work/main python bench/queue_profile.py ""   # another checkout's code, same data

The database is one `bench/queue_page.py --keep` left. With pyinstrument installed, `--py`
prints where the Python time of 20 requests goes.
"""

import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(os.environ.get("QUEUE_CODE", Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(ROOT))


def main() -> None:
    query = next((a for a in sys.argv[1:] if not a.startswith("-")), "")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="riskdesk.settings",
        DEBUG="false",
        SECRET_KEY="bench-" + uuid.uuid4().hex * 2,
        ALLOWED_HOSTS="testserver",
        HTTPS="false",
        DATABASE_URL="postgres://root@127.0.0.1:5432/"
        + os.environ.get("BENCH_DB", "riskdesk_queue_bench"),
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.conf import settings

    settings.STORAGES["staticfiles"]["BACKEND"] = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from apps.people.models import User

    setup_test_environment()
    client = Client()
    client.force_login(User.objects.get(username="bench-op7"))
    url = f"/alerts/?{query}"
    for _ in range(5):
        client.get(url)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    print(f"{ROOT}: {url}: {len(queries)} queries")
    with connection.cursor() as cursor:
        for captured in queries.captured_queries:
            sql = captured["sql"] or ""
            head = sql[:150].replace("\n", " ")
            if not sql.lstrip().upper().startswith("SELECT"):
                print(f"  {'':>9}  {head}")
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [row[0] for row in cursor.fetchall()]
            spent = next(line for line in plan if "Execution Time" in line).split(":")[1]
            print(f"  {spent.strip():>9}  {head}")
            if "-v" in sys.argv:
                print("\n".join("      " + line for line in plan))
    wall, cpu = [], []
    for _ in range(30):
        started, used = time.perf_counter(), time.process_time()
        client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    print(
        f"wall min {min(wall):.1f} p50 {statistics.median(wall):.1f} ms; "
        f"CPU (this process) min {min(cpu):.1f} p50 {statistics.median(cpu):.1f} ms; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    if "--py" in sys.argv:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(20):
            client.get(url)
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    main()
