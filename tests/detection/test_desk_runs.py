"""Running detection from the desk: the detect command, the drop folder, split runs."""

import json
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from apps.accounts.models import AccountProfile, RememberedWindow
from apps.alerts.contract import FIELDS, parse_alert
from apps.desk.history import acting_task
from apps.detection import tasks
from apps.detection.models import DetectionPart, DetectionRun
from apps.detection.services import (
    detection_part_execute,
    detection_rule_parts,
    detection_run_claim,
    detection_run_plan,
)
from apps.detection.services import runs as run_services
from apps.detection.simulator import simulate


@pytest.fixture(scope="module")
def window(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulate(tmp_path_factory.mktemp("feed") / "w-2026-11-20", seed=5, accounts=300, hours=2)


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """What detection hands to the alert pipeline."""
    seen: list[dict] = []
    monkeypatch.setattr(run_services, "alerts_publish", seen.extend)
    return seen


@pytest.mark.django_db
def test_detect_writes_one_alert_per_line_in_the_contract_shape(window, tmp_path) -> None:
    out = tmp_path / "alerts.jsonl"
    call_command("detect", window, out=out)
    alerts = [json.loads(line) for line in out.read_text().splitlines()]
    assert alerts
    for alert in alerts:  # what the alerts app accepts on every way in
        assert set(alert) == FIELDS
        parse_alert(alert)


@pytest.mark.django_db
def test_a_window_run_twice_gives_the_same_dedup_keys(window, tmp_path) -> None:
    call_command("detect", window, out=tmp_path / "a.jsonl")
    call_command("detect", window, out=tmp_path / "b.jsonl")
    keys = [
        [json.loads(line)["dedup_key"] for line in (tmp_path / f).read_text().splitlines()]
        for f in ("a.jsonl", "b.jsonl")
    ]
    assert keys[0] == keys[1] and len(set(keys[0])) == len(keys[0])


@pytest.mark.django_db
def test_a_feed_error_exits_non_zero_and_writes_nothing(window, tmp_path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for file in window.iterdir():
        (broken / file.name).write_bytes(file.read_bytes())
    lines = (broken / "orders.csv").read_text().splitlines()
    lines[3] = lines[3].replace("buy", "sideways", 1).replace("sell", "sideways", 1)
    (broken / "orders.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "alerts.jsonl"
    with pytest.raises(CommandError, match=r"orders\.csv, row 3"):
        call_command("detect", broken, out=out)
    assert not out.exists() and not list(tmp_path.glob(".alerts.jsonl*"))


@pytest.mark.django_db
def test_a_window_is_claimed_once_however_many_scans_see_it(window) -> None:
    assert detection_run_claim(folder=window) is not None
    assert detection_run_claim(folder=window) is None
    assert DetectionRun.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_drop_folder_scan_runs_each_ready_window_once(
    window, published, settings, tmp_path
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    ready = drop / window.name
    ready.symlink_to(window, target_is_directory=True)
    (drop / "half-copied").mkdir()  # no READY file yet: left alone
    settings.DETECTION_DROP_DIR = drop
    marker = window / tasks.READY_MARKER
    marker.touch()
    try:
        assert tasks.scan_drop_folder() == 1
        assert tasks.scan_drop_folder() == 0
    finally:
        marker.unlink()
    run = DetectionRun.objects.get()
    assert (run.status, run.parts_done, run.parts_total) == ("done", 1, 1)
    assert run.alerts == len(published) > 0
    # The run folded its window into the desk's memory, once, and kept no alerts itself.
    assert RememberedWindow.objects.get().folder == str(ready)
    assert AccountProfile.objects.count() == 300
    assert not any(DetectionPart.objects.values_list("found", flat=True))


@pytest.fixture
def as_run_part():
    """What the detection.run_part task does around each part: the accounts, links and
    memory a part writes have history rows naming the task."""
    with acting_task("detection.run_part"):
        yield


def _split_run(window: Path, parts: int) -> tuple[DetectionRun, list[DetectionPart]]:
    run = detection_run_claim(folder=window)
    assert run is not None
    return run, detection_run_plan(run=run, parts=parts)


@pytest.mark.django_db
def test_a_split_run_raises_what_one_process_raises_and_counts_a_redelivered_part_once(
    window, published, django_capture_on_commit_callbacks, as_run_part
) -> None:
    whole = run_services.window_detect(folder=window)
    run, first = _split_run(window, parts=3)
    assert [p.kind for p in first] == ["link", "keys"]
    assert detection_rule_parts(run=run) == []  # nothing to share before the linkage
    for part in first:
        detection_part_execute(part=part)
    rules = detection_rule_parts(run=run)
    assert [p.kind for p in rules] == ["accounts", "symbols", "symbols"]
    traded = set(pd.read_csv(window / "orders.csv")["symbol"])
    assert sorted(s for p in rules for s in p.symbols) == sorted(traded)  # each once
    with django_capture_on_commit_callbacks(execute=True):  # the memory is folded after commit
        for part in rules:
            detection_part_execute(part=part)
            assert published == [] or part == rules[-1]  # held until the last part is in
    detection_part_execute(part=DetectionPart.objects.get(pk=rules[0].pk))  # delivered again
    run.refresh_from_db()
    assert (run.status, run.parts_done, run.parts_total) == ("done", 5, 5)
    assert sorted(a["dedup_key"] for a in published) == sorted(a["dedup_key"] for a in whole)
    assert run.alerts == len(whole) and run.links is None
    assert not any(DetectionPart.objects.values_list("found", flat=True))
    assert RememberedWindow.objects.get().folder == str(window)


@pytest.mark.django_db
def test_a_split_run_on_a_window_with_a_duplicate_id_publishes_nothing(
    window, published, tmp_path, as_run_part
) -> None:
    broken = tmp_path / window.name
    broken.mkdir()
    for file in window.iterdir():
        (broken / file.name).write_bytes(file.read_bytes())
    with (broken / "orders.csv").open() as handle:
        lines = handle.read().splitlines()
    (broken / "orders.csv").write_text("\n".join([*lines, lines[1]]) + "\n")
    run, first = _split_run(broken, parts=2)
    for part in [*first, *detection_rule_parts(run=run)]:
        detection_part_execute(part=part)
    run.refresh_from_db()
    assert run.status == "failed" and "duplicate order_id" in run.error
    assert f"row {len(lines)}" in run.error
    assert published == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_scanning_at_once_start_each_window_once(
    window, published, settings, tmp_path
) -> None:
    import threading

    from django.db import connection

    drop = tmp_path / "drop"
    drop.mkdir()
    for n in range(4):
        (drop / f"w{n}").symlink_to(window, target_is_directory=True)
    settings.DETECTION_DROP_DIR = drop
    settings.DETECTION_PARTS = 2
    marker = window / tasks.READY_MARKER
    marker.touch()
    started: list[int] = []
    barrier = threading.Barrier(2)

    def scheduler() -> None:
        try:
            barrier.wait()
            started.append(tasks.scan_drop_folder())
        finally:
            connection.close()

    try:
        threads = [threading.Thread(target=scheduler) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        marker.unlink()
    assert sum(started) == 4
    assert DetectionRun.objects.count() == 4
    # link, check ids, account-level rules, one group of symbols
    assert DetectionPart.objects.count() == 4 * 4
    assert set(DetectionRun.objects.values_list("status", flat=True)) == {"done"}


@pytest.mark.django_db
def test_publishing_a_window_twice_makes_no_duplicate_alerts(window) -> None:
    from apps.alerts.models import Alert

    call_command("detect", window)
    first = dict(Alert.objects.values_list("dedup_key", "repeat_count"))
    call_command("detect", window)
    again = dict(Alert.objects.values_list("dedup_key", "repeat_count"))
    assert first and set(again) == set(first)
    assert set(first.values()) == {0} and set(again.values()) == {1}  # counted as a re-send
