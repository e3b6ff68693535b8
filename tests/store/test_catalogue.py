"""Catalogue: records, status transitions, logs, schema versions, several processes."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import sys
from datetime import datetime

import pytest

from toolkit.errors import InputError, NotFound, StoreError
from toolkit.store.catalogue import SCHEMA_VERSION, STATUSES, CalcRecord, Catalogue

needs_fork = pytest.mark.skipif(
    sys.platform == "win32" or "fork" not in mp.get_all_start_methods(), reason="needs fork"
)


@pytest.fixture
def cat(data_dir):
    with Catalogue(data_dir / "db.sqlite3") as catalogue:
        yield catalogue


def test_create_and_get(cat):
    calc_id = cat.create("Etna", "classical", "/jobs/job.ini", owner="alice")
    rec = cat.get(calc_id)
    assert isinstance(rec, CalcRecord)
    assert (rec.id, rec.description, rec.calculation_mode, rec.status, rec.owner) == (
        calc_id, "Etna", "classical", "created", "alice")
    assert rec.job_ini == "/jobs/job.ini" and rec.relevant is True and rec.progress == 0.0
    assert rec.start_time is None and rec.stop_time is None and rec.pid is None
    assert rec.is_running and not rec.is_final
    assert datetime.fromisoformat(rec.created).utcoffset().total_seconds() == 0
    assert cat.get(cat.create("x", "classical", None)).owner  # default: the OS user or 'local'
    child = cat.create("risk", "scenario_damage", None, hazard_calculation_id=calc_id)
    assert cat.get(child).hazard_calculation_id == calc_id
    assert calc_id in cat and 999 not in cat


def test_unknown_calculation(cat):
    with pytest.raises(NotFound) as err:
        cat.get(42)
    assert str(err.value) == "calculation 42 not found"
    assert isinstance(err.value, KeyError) and err.value.status == 404
    for call in (lambda: cat.set_status(42, "executing"), lambda: cat.set_progress(42, 0.5),
                 lambda: cat.remove(42), lambda: cat.add_log(42, "INFO", "x"),
                 lambda: cat.create("r", "scenario_risk", None, hazard_calculation_id=42)):
        with pytest.raises(NotFound, match="calculation 42 not found"):
            call()
    assert cat.get_logs(42) == []  # as the WebAPI: unknown calculation, no logs


def test_status_transitions(cat):
    calc_id = cat.create("a", "classical", None)
    rec = cat.set_status(calc_id, "executing", pid=1234)
    assert rec.status == "executing" and rec.pid == 1234 and rec.start_time is not None
    cat.set_progress(calc_id, 0.25)
    assert cat.get(calc_id).progress == 0.25
    rec = cat.set_status(calc_id, "executing", progress=0.5)  # same status: update fields
    assert rec.progress == 0.5 and rec.start_time == cat.get(calc_id).start_time
    rec = cat.set_status(calc_id, "complete", datastore="/data/calc_1.hdf5", size_mb=0.15)
    assert rec.status == "complete" and rec.progress == 1.0 and rec.stop_time is not None
    assert rec.datastore == "/data/calc_1.hdf5" and rec.size_mb == 0.15
    assert rec.is_final and not rec.is_running
    for bad in ("failed", "executing", "aborted", "created"):
        with pytest.raises(InputError, match=f"is 'complete': it cannot become '{bad}'"):
            cat.set_status(calc_id, bad)
    assert cat.set_status(calc_id, "complete", relevant=False).relevant is False

    aborted = cat.create("b", "classical", None)
    cat.set_status(aborted, "aborted")
    for bad in ("complete", "failed", "executing"):
        with pytest.raises(InputError, match="is 'aborted'"):
            cat.set_status(aborted, bad)
    with pytest.raises(InputError, match="'created': it cannot become 'complete'"):
        cat.set_status(cat.create("c", "classical", None), "complete")


def test_invalid_status_fields_and_progress(cat):
    calc_id = cat.create("a", "classical", None)
    with pytest.raises(InputError, match="unknown calculation status 'done'"):
        cat.set_status(calc_id, "done")
    with pytest.raises(InputError, match=r"cannot set \['id', 'status_x'\]"):
        cat.set_status(calc_id, "executing", id=3, status_x=1)
    for bad in (-0.1, 1.5, "half"):
        with pytest.raises(InputError, match="progress must be"):
            cat.set_progress(calc_id, bad)
    assert cat.get(calc_id).status == "created"  # nothing changed


def test_fail_keeps_the_traceback(cat):
    calc_id = cat.create("a", "classical", None)
    cat.set_status(calc_id, "executing")
    rec = cat.fail(calc_id, "Traceback (most recent call last):\n  ...\nValueError: boom")
    assert rec.status == "failed" and rec.traceback.endswith("ValueError: boom")
    assert rec.stop_time is not None
    with pytest.raises(InputError, match="is 'failed'"):
        cat.set_status(calc_id, "complete")


def test_list_count_and_remove(cat):
    ids = [cat.create(f"c{i}", "classical" if i % 2 else "scenario", None) for i in range(6)]
    cat.set_status(ids[1], "executing")
    assert [r.id for r in cat.list()] == ids[::-1]
    assert [r.id for r in cat.list(limit=2, offset=1)] == ids[4:2:-1]
    assert [r.id for r in cat.list(mode="classical")] == [ids[5], ids[3], ids[1]]
    assert [r.id for r in cat.list(mode="classical", status="executing")] == [ids[1]]
    assert cat.count() == 6 and cat.count(mode="scenario") == 3
    with pytest.raises(InputError, match="unknown calculation status"):
        cat.list(status="running")
    cat.add_log(ids[0], "INFO", "hello")
    removed = cat.remove(ids[0])
    assert removed.description == "c0"
    assert ids[0] not in cat and cat.get_logs(ids[0]) == []
    assert cat.create("new", "classical", None) > ids[-1]  # ids are never reused


def test_logs(cat):
    calc_id = cat.create("a", "classical", None)
    for i in range(5):
        cat.add_log(calc_id, "info" if i else "WARNING", f"message {i}")
    logs = cat.get_logs(calc_id)
    assert [log.message for log in logs] == [f"message {i}" for i in range(5)]
    assert logs[0].level == "WARNING" and logs[1].level == "INFO"
    assert logs[0].process.endswith(f"/{__import__('os').getpid()}")
    assert [log.message for log in cat.get_logs(calc_id, 1, 3)] == ["message 1", "message 2"]
    assert [log.message for log in cat.get_logs(calc_id, 3)] == ["message 3", "message 4"]
    assert cat.get_logs(calc_id, 4, 2) == []
    with pytest.raises(InputError, match="unknown log level 'LOUD'"):
        cat.add_log(calc_id, "LOUD", "x")
    with pytest.raises(InputError, match="log slice bounds"):
        cat.get_logs(calc_id, -1)


def test_schema_version_wal_and_reopen(data_dir):
    path = data_dir / "db.sqlite3"
    with Catalogue(path) as cat:
        calc_id = cat.create("a", "classical", None)
        assert cat.schema_version == SCHEMA_VERSION
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    with Catalogue(path) as cat:
        assert cat.get(calc_id).description == "a"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError,
                       match=f"newer than the {SCHEMA_VERSION} this toolkit knows") as err:
        Catalogue(path)
    assert str(path) in str(err.value)


def test_migration_hook_runs_on_old_files(data_dir, monkeypatch):
    import toolkit.store.catalogue as catalogue

    path = data_dir / "db.sqlite3"
    Catalogue(path).close()

    def add_tags(conn):
        conn.execute("ALTER TABLE calc ADD COLUMN extra_tags TEXT")

    monkeypatch.setitem(catalogue.MIGRATIONS, SCHEMA_VERSION, add_tags)
    monkeypatch.setattr(catalogue, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with Catalogue(path) as cat:
        assert cat.schema_version == SCHEMA_VERSION + 1
    with sqlite3.connect(path) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(calc)")]
    assert "extra_tags" in columns


def test_statuses_constant():
    assert STATUSES == ("created", "executing", "complete", "failed", "aborted")


# -- several processes ---------------------------------------------------------------------------
def _worker(path, barrier, n, queue):
    with Catalogue(path) as cat:
        barrier.wait(10)
        ids = []
        for i in range(n):
            calc_id = cat.create(f"w{i}", "classical", None)
            cat.set_status(calc_id, "executing")
            cat.add_log(calc_id, "INFO", "started")
            cat.set_progress(calc_id, 0.5)
            ids.append(calc_id)
        queue.put(ids)


def _race(path, calc_id, status, barrier, queue):
    cat = Catalogue(path)
    barrier.wait(10)
    try:
        cat.set_status(calc_id, status)
        queue.put(status)
    except InputError:
        queue.put("refused")
    finally:
        cat.close()


@needs_fork
def test_concurrent_writers_from_several_processes(data_dir):
    path = data_dir / "db.sqlite3"
    Catalogue(path).close()
    ctx = mp.get_context("fork")
    n_procs, n = 4, 15
    barrier, queue = ctx.Barrier(n_procs), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(path, barrier, n, queue)) for _ in range(n_procs)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=20) for _ in procs]
    for p in procs:
        p.join(10)
        assert p.exitcode == 0
    ids = sorted(i for r in results for i in r)
    assert len(set(ids)) == n_procs * n
    with Catalogue(path) as cat:
        assert cat.count(status="executing") == n_procs * n
        assert all(len(cat.get_logs(i)) == 1 for i in ids)


@needs_fork
def test_racing_completion_and_abort_has_one_winner(data_dir):
    path = data_dir / "db.sqlite3"
    ctx = mp.get_context("fork")
    for _ in range(3):
        with Catalogue(path) as cat:
            calc_id = cat.create("race", "classical", None)
            cat.set_status(calc_id, "executing")
        barrier, queue = ctx.Barrier(2), ctx.Queue()
        procs = [ctx.Process(target=_race, args=(path, calc_id, s, barrier, queue))
                 for s in ("complete", "aborted")]
        for p in procs:
            p.start()
        outcomes = sorted(queue.get(timeout=20) for _ in procs)
        for p in procs:
            p.join(10)
        assert outcomes in (["complete", "refused"], ["aborted", "refused"])
        with Catalogue(path) as cat:
            assert cat.get(calc_id).status == [o for o in outcomes if o != "refused"][0]


def _use_inherited(cat, queue):
    calc_id = cat.create("child", "classical", None)
    cat.add_log(calc_id, "INFO", "from the child")
    queue.put(calc_id)


@needs_fork
def test_catalogue_object_survives_fork(cat):
    parent_id = cat.create("parent", "classical", None)
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_use_inherited, args=(cat, queue))
    proc.start()
    child_id = queue.get(timeout=20)
    proc.join(10)
    assert proc.exitcode == 0
    assert child_id == parent_id + 1
    assert cat.get(child_id).description == "child"  # the parent connection still works
    assert cat.get_logs(child_id)[0].message == "from the child"
