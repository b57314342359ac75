"""The demo lakehouse's history: commits made at past times, and the real Iceberg exporter's figures after
each of them, which the demo backfills (webapp/demo/components/lakehouse.py)."""
from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest

pytest.importorskip("pyiceberg")
pytest.importorskip("time_machine")

from webapp.demo.components.lakehouse import LakehouseHistory, schedule, seed, story_starts  # noqa: E402
from webapp.demo.lakehouse import (CATALOG, DETAILED_HISTORY_SECONDS, PILING, SMALL_FILE_BYTES,  # noqa: E402
                                   Lakehouse, operations, plan, workload)
from webapp.demo.world import build_world  # noqa: E402
from webapp.exporters.iceberg import IcebergExporter, IcebergSettings  # noqa: E402

ANCHOR = 1_800_000_000.0


CLOCK: dict = {}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    world = build_world("tiny", 42, ANCHOR)
    history = LakehouseHistory(tmp_path_factory.mktemp("lakehouse"))
    # what another thread of this process (the demo's live exporters) reads from the clock meanwhile
    done, seen = threading.Event(), []

    def watch():
        while not done.is_set():
            seen.append(time.time())
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    CLOCK["start"] = time.time()
    watcher.start()
    try:
        obs = history.observations(world)
    finally:
        done.set()
        watcher.join()
    CLOCK["end"], CLOCK["seen"] = time.time(), seen
    return world, history, obs


def test_building_leaves_this_process_clock_alone(built):
    """The commits are made with the clock frozen at past times, in a process of their own: the demo's
    live exporters, threads of the demo's process, go on reading the real time meanwhile."""
    assert len(CLOCK["seen"]) > 10
    assert all(CLOCK["start"] <= t <= CLOCK["end"] for t in CLOCK["seen"])


def _values(families, ts) -> dict:
    return {(f.name, s.labels["table"]): s.fn(np.asarray(ts, dtype=float)) for f in families for s in f.series}


def test_commits_carry_their_past_times(built):
    world, history, _obs = built
    cluster = world.clusters[0]
    catalog = Lakehouse(history.cluster_folder(cluster), world, cluster).catalog     # the built catalog
    times, ops = schedule(world.anchor), operations(PILING)
    for ns, tbl in {t for t, _kind in ops}:
        table = catalog.load_table((ns, tbl))
        commits = [t for t, (key, kind) in zip(times, ops) if key == (ns, tbl) and kind in ("append", "compact")]
        assert table.current_snapshot().timestamp_ms == commits[-1] * 1000
        assert all(s.timestamp_ms <= ANCHOR * 1000 for s in table.metadata.snapshots)


def test_history_ends_with_what_the_exporter_reports_live(built):
    world, history, obs = built
    # observed on the exporter's 5-minute refresh grid where an operation had changed the catalog (hourly
    # before the last 26 hours)
    assert [t for t, _ in obs] == sorted(t for t, _ in obs) and all(t % 300 == 0 for t, _ in obs)
    recent = ANCHOR - DETAILED_HISTORY_SECONDS
    assert all(t % 3600 == 0 for t, _ in obs if t < recent)
    settled = recent + 7200
    changed = {g for op in plan(world, world.clusters[0], -math.inf, ANCHOR) if (g := math.ceil(op.t / 300) * 300) > settled}
    assert {t for t, _ in obs if t > settled} == changed
    cluster = world.clusters[0]
    live = IcebergExporter(Lakehouse(history.cluster_folder(cluster), world, cluster).catalog,
                           IcebergSettings(catalog=CATALOG, small_file_bytes=SMALL_FILE_BYTES))
    seed(live, obs)         # as the demo starts it: remembering the compactions that expiry removed
    live.refresh()
    now = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in live.families() for s in f.samples}
    assert obs[-1][1] == now


def test_backfilled_series_follow_the_operations(built):
    world, history, _obs = built
    tgt = history.targets(world)[0]
    fams = history.families(world, tgt, ANCHOR - 86400, ANCHOR)
    lost = story_starts(world)["iceberg-file-lost"]
    first = min(schedule(world.anchor))
    v = _values(fams, [first - 60, lost - 60, lost + 60, ANCHOR])
    assert np.isnan(v[("iceberg_table_files_deleted_unexpectedly", "ledger_entries")][0])   # no table yet
    assert list(v[("iceberg_table_files_deleted_unexpectedly", "ledger_entries")][1:]) == [0, 1, 1]
    assert list(v[("iceberg_table_files_deleted_unexpectedly", "fx_rates")][1:]) == [0, 0, 0]
    assert list(v[("iceberg_table_data_files", "ledger_entries")][1:]) == [4, 4, 4]
    assert v[("iceberg_table_snapshots", "access_log")][-1] == 8


def test_snapshots_pile_up_after_the_last_expiry(built):
    world, history, _obs = built
    fams = history.families(world, history.targets(world)[0], ANCHOR - 86400, ANCHOR)
    stopped = story_starts(world)["iceberg-snapshots-piling"]
    ts = np.array([stopped - 60, stopped + 60, ANCHOR - 4 * 3600, ANCHOR - 2 * 3600, ANCHOR])
    snaps = _values(fams, ts)[("iceberg_table_snapshots", "orders_cdc")]
    assert snaps[0] == 3 and snaps[1] == 1                  # the last expiry kept only the current snapshot
    assert snaps[2] < 100 < snaps[3] and snaps[4] == 121     # past the 100 threshold since ~2.5 h before


def test_workload_tables_are_compacted_and_expired(built):
    """The workload tables live as the design's do: compactions bring the data files back down, expiries
    keep the snapshots below the 100 threshold, and nothing is lost behind Iceberg's back."""
    world, history, _obs = built
    fams = history.families(world, history.targets(world)[0], ANCHOR - 86400, ANCHOR)
    ts = np.arange(ANCHOR - 24 * 3600, ANCHOR + 1, 300.0)
    v = _values(fams, ts)
    files = v[("iceberg_table_data_files", "payments_cdc")]
    assert (np.diff(files) < 0).any() and (np.diff(files) > 0).any()
    for table in ("payments_cdc", "sessions", "features_user", "model_predictions"):
        assert v[("iceberg_table_snapshots", table)].max() < 100, table
        assert v[("iceberg_table_files_deleted_unexpectedly", table)].max() == 0, table
    # streaming tables write small files; batch tables' files are above the demo's small-file size
    assert v[("iceberg_table_small_files", "payments_cdc")][-1] > 0
    assert v[("iceberg_table_small_files", "sessions")][-1] == 0 < v[("iceberg_table_data_files", "sessions")][-1]


def test_compaction_overdue_story(built):
    world, history, _obs = built
    fams = history.families(world, history.targets(world)[0], ANCHOR - 86400, ANCHOR)
    stopped = story_starts(world)["iceberg-compaction-overdue"]
    ts = np.arange(stopped, ANCHOR + 1, 300.0)
    v = _values(fams, ts)
    files = v[("iceberg_table_data_files", "clickstream_events")]
    assert (np.diff(files) >= 0).all()                           # no compaction since
    assert files[0] < 10_000 < files[-1]
    crossed = ts[np.argmax(files > 10_000)]
    assert ANCHOR - 6 * 3600 < crossed < ANCHOR - 1 * 3600        # about 3 h before the anchor
    before = _values(fams, np.arange(stopped - 12 * 3600, stopped, 300.0))
    assert (np.diff(before[("iceberg_table_data_files", "clickstream_events")]) < 0).any()


def test_plan_is_the_same_in_any_windows():
    """The history build and the live writer cut the plan at different times: the same operations either way."""
    world = build_world("tiny", 42, ANCHOR)
    for cluster in world.clusters:
        whole = plan(world, cluster, -math.inf, ANCHOR + 3600)
        cut = ANCHOR - 7 * 3600 + 17
        assert plan(world, cluster, -math.inf, cut) + plan(world, cluster, cut, ANCHOR + 3600) == whole
        assert whole == plan(build_world("tiny", 42, ANCHOR), cluster, -math.inf, ANCHOR + 3600)
        created = {op.table for op in whole if op.kind == "create"}
        assert created >= {(t.namespace, t.name) for t in workload(world, cluster)}
    story = [op for op in plan(world, world.clusters[0], -math.inf, ANCHOR + 86400)
             if op.table == ("raw", "clickstream_events") and op.kind == "compact"]
    assert story and max(op.t for op in story) < story_starts(world)["iceberg-compaction-overdue"]


def test_a_restarted_demo_resumes_its_lakehouse(built, tmp_path):
    """What fell due while the demo was stopped is committed at its times on restart, and the history goes on
    from where it was: the operations of the hour after the anchor, observed on the same grid."""
    import shutil

    import subprocess
    import sys
    world, history, obs = built
    cluster = world.clusters[0]
    folder = tmp_path / cluster
    shutil.copytree(history.cluster_folder(cluster), folder)
    # as the demo resumes it: in a process of its own, whose clock is frozen per commit (this one's must not be:
    # the demo's live exporters, threads of this process, would serve values of the frozen time)
    subprocess.run([sys.executable, "-m", "webapp.demo.components.lakehouse", str(folder), world.scale.name,
                    str(world.seed), repr(world.anchor), cluster, repr(ANCHOR + 3600)], check=True, timeout=600)
    resumed = _saved_in(folder)
    due = plan(world, cluster, ANCHOR, ANCHOR + 3600)
    assert due and resumed["observations"][:len(obs)] == _saved(history, cluster)["observations"]
    new = resumed["observations"][len(obs):]
    assert {o["t"] for o in new} == {math.ceil(op.t / 300) * 300 for op in due}
    assert Lakehouse(folder, world, cluster).applied_until == due[-1].t
    for key in {op.table for op in due if op.kind == "append"}:
        table = Lakehouse(folder, world, cluster).catalog.load_table(key)
        committed = table.current_snapshot().timestamp_ms / 1000           # at its planned time
        assert committed in {op.t for op in due if op.table == key}, key
        assert committed >= max(op.t for op in due if op.table == key and op.kind == "append"), key


def _saved(history, cluster) -> dict:
    return _saved_in(history.cluster_folder(cluster))


def _saved_in(folder) -> dict:
    import json
    return json.loads((folder / "history.json").read_text())


def test_the_live_writer_is_a_process_that_ends_with_its_input(built, tmp_path):
    """The demo's live writer: a process per cluster that applies what is due and ends when the demo closes
    its standard input (or dies), without a traceback."""
    import shutil
    import subprocess

    from webapp.demo.components.lakehouse import writer_command
    world, history, _obs = built
    cluster = world.clusters[0]
    folder = tmp_path / cluster
    shutil.copytree(history.cluster_folder(cluster), folder)
    # applied far ahead: nothing falls due on any date this test runs
    (folder / "progress.json").write_text('{"until": 1e12}')
    before = Lakehouse(folder, world, cluster).applied_until
    with open(tmp_path / "writer.log", "w") as out:
        proc = subprocess.Popen(writer_command(folder, world, cluster, 0.2), stdin=subprocess.PIPE, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        time.sleep(3)
        assert proc.poll() is None
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (tmp_path / "writer.log").read_text() == ""
    assert Lakehouse(folder, world, cluster).applied_until == before


def test_freezing_the_clock_is_refused_beside_other_threads(built, tmp_path):
    import shutil
    world, history, _obs = built
    cluster = world.clusters[0]
    shutil.copytree(history.cluster_folder(cluster), tmp_path / cluster)
    stop = threading.Event()
    server = threading.Thread(target=stop.wait, name="a-live-exporter")
    server.start()
    try:
        with pytest.raises(RuntimeError, match="a-live-exporter"):
            Lakehouse(tmp_path / cluster, world, cluster).advance(ANCHOR + 3600, frozen=True)
    finally:
        stop.set()
        server.join()


def test_old_history_is_observed_hourly_and_the_last_day_every_five_minutes(tmp_path):
    world = build_world("small", 42, ANCHOR)                  # 72 hours of history
    lakehouse = Lakehouse(tmp_path, world, world.clusters[0])
    lakehouse.apply = lambda op: None                          # the grid only: no commits
    seen: list[float] = []
    lakehouse.advance(ANCHOR, observe=seen.append)
    ops = plan(world, world.clusters[0], -math.inf, ANCHOR)
    recent = ANCHOR - DETAILED_HISTORY_SECONDS
    old, new = [t for t in seen if t < recent], [t for t in seen if t >= recent + 3600]
    assert len(old) > 30 and all(t % 3600 == 0 for t in old)
    assert any(t % 3600 for t in new) and all(t % 300 == 0 for t in new)
    # each operation is observed at the first grid point at or after it
    for op in ops:
        first = next(t for t in seen if t >= op.t)
        assert first - op.t < (3600 if op.t < recent else 300) + 1e-9, op
