"""JobManager: worker processes, queue limit, abort, restart recovery, remove (real processes,
real SQLite)."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from toolkit.config import Settings
from toolkit.errors import InputError, NotFound
from toolkit.jobs import runner, worker
from toolkit.jobs.manager import JobManager
from toolkit.jobs.worker import (
    CatalogueLogHandler,
    _ProgressLogger,
    settings_from_dict,
    settings_to_dict,
)
from toolkit.store import Catalogue

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")

DEMOS = runner.demo_job_ini().parents[1]
LONG = DEMOS / "peer" / "Set1-Case10" / "job.ini"  # about 20 s: long enough to abort


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """The demo classical job with one site (about 1 s in a worker)."""
    job = tmp_path / "tiny"
    shutil.copytree(DEMOS / "classical", job)
    (job / "sites.csv").write_text("lon,lat\n10.00,45.00\n")
    return job / "job.ini"


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, max_concurrent_jobs=2)


@pytest.fixture
def make_manager():
    """JobManager factory; every manager is stopped and its workers aborted at the end."""
    managers: list[JobManager] = []

    def make(settings: Settings, start: bool = True) -> JobManager:
        manager = JobManager(settings, poll_interval=0.05, abort_grace=3.0)
        managers.append(manager)
        if start:
            manager.start()
        return manager

    yield make
    for manager in managers:
        manager.stop(abort_running=True)


def _until(predicate, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _executing(manager: JobManager, calc_id: int):
    return _until(lambda: (r := manager.catalogue.get(calc_id)).status == "executing" and r,
                  what=f"calculation {calc_id} to execute")


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def _group_members(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def _messages(catalogue: Catalogue, calc_id: int) -> list[str]:
    return [log.message for log in catalogue.get_logs(calc_id)]


# -- running -------------------------------------------------------------------------------------
def test_submit_runs_in_a_worker_to_complete_with_logs_and_progress(tiny, settings,
                                                                     make_manager):
    manager = make_manager(settings)
    calc_id = manager.submit(tiny, owner="alice")
    rec = manager.catalogue.get(calc_id)
    assert (rec.owner, rec.calculation_mode, rec.job_ini) == ("alice", "classical", str(tiny))
    assert rec.hazard_calculation_id is None
    assert manager.wait(calc_id, 30) == "complete"
    child = manager.submit(tiny, owner="alice", hazard_calculation_id=calc_id)
    assert manager.catalogue.get(child).hazard_calculation_id == calc_id
    assert manager.abort(child) is True and manager.wait(child, 20) == "aborted"
    rec = manager.catalogue.get(calc_id)
    assert rec.progress == 1.0 and rec.pid not in (None, 0, os.getpid())
    assert Path(rec.datastore) == settings.data_dir / f"calc_{calc_id}.hdf5"
    assert Path(rec.datastore).is_file() and not manager.is_running(calc_id)
    logs = manager.catalogue.get_logs(calc_id)
    text = "\n".join(log.message for log in logs)
    for expected in ("submitted by alice", f"worker process {rec.pid} started",
                     f"calculation {calc_id} started by alice", "complete; datastore",
                     f"calculation {calc_id} finished in"):
        assert expected in text
    worker_lines = [log for log in logs if log.process == f"Worker-{calc_id}/{rec.pid}"]
    assert len(worker_lines) >= 3 and all(log.level == "INFO" for log in logs)
    assert manager.running() == [] and not list((settings.data_dir / "workers").iterdir())


def test_queue_limit_one_job_at_a_time(tiny, settings, make_manager):
    manager = make_manager(settings.with_(max_concurrent_jobs=1))
    first = manager.submit(tiny, owner="alice")
    second = manager.submit(tiny, owner="bob")
    queued = manager.catalogue.get(second)
    assert (queued.status, queued.pid) == ("created", 0) and manager.is_running(second)
    _until(lambda: manager.running() == [first], what="the first worker")
    time.sleep(0.3)
    assert manager.catalogue.get(second).pid == 0  # still waiting
    assert manager.wait(first, 30) == "complete" and manager.wait(second, 30) == "complete"
    a, b = manager.catalogue.get(first), manager.catalogue.get(second)
    assert b.start_time > a.stop_time


def test_invalid_job_is_refused_and_registers_nothing(tiny, settings, make_manager, tmp_path):
    manager = make_manager(settings)
    text = tiny.read_text()
    tiny.write_text(text.replace("sites_csv = sites.csv", "sites_csv = missing.csv"))
    with pytest.raises(InputError, match="missing.csv"):
        manager.submit(tiny, owner="alice")
    tiny.write_text(text)
    with pytest.raises(InputError, match="does not exist"):
        manager.submit(tmp_path / "nope.ini", owner="alice")
    with pytest.raises(InputError, match="is a directory"):
        manager.submit(tmp_path, owner="alice")
    with pytest.raises(InputError, match="hazard calculation 99 does not exist"):
        manager.submit(tiny, owner="alice", hazard_calculation_id=99)
    with Catalogue(settings.catalogue_path) as cat:
        unfinished = cat.create("parent", "scenario", None)
    with pytest.raises(InputError, match=f"hazard calculation {unfinished} is created, not "):
        manager.submit(tiny, owner="alice", hazard_calculation_id=unfinished)
    assert manager.catalogue.list() == [manager.catalogue.get(unfinished)]
    manager.catalogue.remove(unfinished)
    assert manager.catalogue.list() == [] and not list(settings.data_dir.glob("calc_*"))


def test_inputs_broken_after_submit_fail_the_job_with_traceback(tiny, settings, make_manager):
    manager = make_manager(settings, start=False)
    calc_id = manager.submit(tiny, owner="alice")
    (tiny.parent / "sites.csv").unlink()
    manager.start()
    assert manager.wait(calc_id, 30) == "failed"
    rec = manager.catalogue.get(calc_id)
    assert "InputError" in rec.traceback and "sites.csv" in rec.traceback
    assert not any("restart" in m for m in _messages(manager.catalogue, calc_id))
    errors = [log for log in manager.catalogue.get_logs(calc_id) if log.level == "ERROR"]
    assert len(errors) == 1 and "sites.csv" in errors[0].message


def test_killed_worker_is_marked_failed(settings, make_manager):
    manager = make_manager(settings)
    calc_id = manager.submit(LONG, owner="alice")
    pid = _executing(manager, calc_id).pid
    os.killpg(pid, signal.SIGKILL)
    assert manager.wait(calc_id, 20) == "failed"
    rec = manager.catalogue.get(calc_id)
    assert f"worker process (pid {pid})" in rec.traceback and "SIGKILL" in rec.traceback
    assert not (settings.data_dir / f"calc_{calc_id}.hdf5.tmp").exists()


# -- abort ---------------------------------------------------------------------------------------
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_abort_running_job_kills_its_process_group_and_stays_aborted(settings, make_manager):
    manager = make_manager(settings.with_(executor="processpool", num_workers=1))
    calc_id = manager.submit(LONG, owner="alice")
    pid = _executing(manager, calc_id).pid
    assert os.getpgid(pid) == pid and os.getsid(pid) == pid  # its own session and group
    members = _until(lambda: len(m := _group_members(pid)) >= 2 and m, 30, "the process pool")
    assert manager.abort(calc_id) is True
    assert manager.catalogue.get(calc_id).status == "aborted"  # at once
    assert not manager.is_running(calc_id)
    assert manager.wait(calc_id, 20) == "aborted"
    _until(lambda: _group_gone(pid), 10, "the process group to vanish")
    assert not any(Path(f"/proc/{m}").exists() and m in _group_members(pid) for m in members)
    time.sleep(0.3)
    rec = manager.catalogue.get(calc_id)
    assert rec.status == "aborted" and rec.stop_time is not None
    assert "KeyboardInterrupt" in rec.traceback  # SIGINT did it, before any SIGKILL
    messages = _messages(manager.catalogue, calc_id)
    assert any("aborted by the user: interrupting process group" in m for m in messages)
    assert manager.abort(calc_id) is False
    assert not list(settings.data_dir.glob(f"calc_{calc_id}.hdf5*"))
    with pytest.raises(NotFound):
        manager.abort(calc_id + 100)


def test_abort_queued_job_never_starts(tiny, settings, make_manager):
    manager = make_manager(settings.with_(max_concurrent_jobs=1))
    running = manager.submit(LONG, owner="alice")
    queued = manager.submit(tiny, owner="alice")
    _executing(manager, running)
    assert manager.abort(queued) is True
    assert manager.abort(running) is True
    assert manager.wait(running, 20) == "aborted"
    time.sleep(0.3)
    rec = manager.catalogue.get(queued)
    assert (rec.status, rec.pid, rec.start_time) == ("aborted", 0, None)
    assert "aborted by the user before it started" in _messages(manager.catalogue, queued)


def test_abort_of_a_job_run_by_another_process_interrupts_only_that_process(settings,
                                                                              make_manager):
    code = ("from pathlib import Path; from toolkit.config import Settings; "
            "from toolkit.jobs.runner import run_job; "
            f"run_job({str(LONG)!r}, Settings(data_dir=Path({str(settings.data_dir)!r})), "
            "progress=False)")
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.DEVNULL,
                            preexec_fn=_interruptible)
    try:
        with Catalogue(settings.catalogue_path) as cat:
            rec = _until(lambda: next((r for r in cat.list(status="executing")), None),
                         what="the `toolkit run` job")
        assert rec.pid == proc.pid and os.getpgid(proc.pid) == os.getpgrp()  # our group!
        manager = make_manager(settings)
        # time for the interrupted process to record its traceback before the SIGKILL, also
        # on a loaded 2-core machine (a numpy call delays the KeyboardInterrupt)
        manager.abort_grace = 15.0
        assert manager.running() == []  # not a worker: not adopted
        assert manager.abort(rec.id) is True
        assert proc.wait(30) != 0  # interrupted; this test process (same group) survived
        assert manager.wait(rec.id, 10) == "aborted"
        assert "KeyboardInterrupt" in manager.catalogue.get(rec.id).traceback
    finally:
        proc.kill()
        proc.wait()


# -- restart -------------------------------------------------------------------------------------
def test_restart_fails_vanished_workers_requeues_and_keeps_results(tiny, settings,
                                                                   make_manager):
    old = make_manager(settings.with_(max_concurrent_jobs=1))
    done = old.submit(tiny, owner="alice")
    assert old.wait(done, 30) == "complete"
    killed = old.submit(LONG, owner="alice")
    queued = old.submit(tiny, owner="bob")
    pid = _executing(old, killed).pid
    old.stop()  # the server goes away; its worker keeps running ...
    assert not _group_gone(pid)
    os.killpg(pid, signal.SIGKILL)  # ... until it is killed
    os.waitpid(pid, 0)  # (the dead server's children are reaped by init)
    assert old.catalogue.get(queued).status == "created"

    new = make_manager(settings.with_(max_concurrent_jobs=1))  # start() recovers
    rec = new.catalogue.get(killed)
    assert rec.status == "failed" and f"(pid {pid}) vanished" in rec.traceback
    assert any("marked failed at server start" in m for m in _messages(new.catalogue, killed))
    assert new.wait(queued, 30) == "complete"
    assert "queued again after a server restart" in _messages(new.catalogue, queued)
    assert new.catalogue.get(done).status == "complete"
    assert (settings.data_dir / f"calc_{done}.hdf5").is_file()


def test_restart_adopts_a_worker_that_still_runs(settings, make_manager):
    old = make_manager(settings)
    calc_id = old.submit(LONG, owner="alice")
    pid = _executing(old, calc_id).pid
    old.stop()
    new = make_manager(settings)
    assert new.running() == [calc_id] and new.is_running(calc_id)
    assert any("adopted" in m for m in _messages(new.catalogue, calc_id))
    assert new.abort(calc_id) is True
    os.waitpid(pid, 0)  # as init would
    assert new.wait(calc_id, 20) == "aborted" and _group_gone(pid)


def test_created_row_whose_worker_vanished_is_failed(tiny, settings, make_manager):
    with Catalogue(settings.catalogue_path) as cat:
        calc_id = cat.create("x", "classical", str(tiny), "alice", pid=2**22 + 12345)
        cli_id = cat.create("y", "classical", str(tiny), "alice")  # a `toolkit run` starting
    manager = make_manager(settings)
    rec = manager.catalogue.get(calc_id)
    assert rec.status == "failed" and "vanished before it started" in rec.traceback
    assert manager.catalogue.get(cli_id).status == "created"  # not the server's: left alone


# -- remove --------------------------------------------------------------------------------------
def test_concurrent_removes_one_succeeds(tiny, settings, make_manager):
    manager = make_manager(settings)
    uploads = settings.data_dir / "calc_inputs" / "abc"
    shutil.copytree(tiny.parent, uploads)
    calc_id = manager.submit(uploads / "job.ini", owner="alice", input_dir=uploads)
    assert manager.wait(calc_id, 30) == "complete"
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def remove() -> None:
        barrier.wait(5)
        try:
            outcomes.append(manager.remove(calc_id))
        except NotFound as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=remove) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    paths = [o for o in outcomes if isinstance(o, list)]
    errors = [o for o in outcomes if isinstance(o, NotFound)]
    assert len(paths) == 1 and len(errors) == 1
    assert paths[0] == [settings.data_dir / f"calc_{calc_id}.hdf5"]
    assert calc_id not in manager.catalogue and not paths[0][0].exists()
    assert not uploads.exists() and (settings.data_dir / "calc_inputs").is_dir()
    with pytest.raises(NotFound):
        manager.remove(calc_id)


def test_remove_running_job_stops_it_first(settings, make_manager):
    manager = make_manager(settings)
    calc_id = manager.submit(LONG, owner="alice")
    pid = _executing(manager, calc_id).pid
    assert manager.remove(calc_id) == []  # nothing committed yet
    assert calc_id not in manager.catalogue and _group_gone(pid)
    assert not list(settings.data_dir.glob(f"calc_{calc_id}.*"))


# -- worker pieces -------------------------------------------------------------------------------
def test_log_handler_and_progress_milestones(data_dir):
    logger = logging.getLogger("toolkit.jobs.worker")
    with Catalogue(data_dir / "db.sqlite3") as cat:
        calc_id = cat.create("z", "classical", None)
        cat.set_status(calc_id, "executing")
        handler = CatalogueLogHandler(cat, calc_id)
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        try:
            watcher = _ProgressLogger(cat, calc_id)
            for progress in (0.0, 0.05, 0.15, 0.19, 0.55, 1.0):
                cat.set_progress(calc_id, progress)
                watcher.poll()
            logger.log(25, "between info and warning")
            logger.log(45, "between error and critical")
            logger.debug("hidden: below the handler's level")
            try:
                raise ValueError("boom")
            except ValueError:
                logger.exception("it failed")
            logs = cat.get_logs(calc_id)
            cat.remove(calc_id)
            logger.info("dropped: the calculation is gone")  # no error
        finally:
            logger.removeHandler(handler)
            logger.setLevel(logging.NOTSET)
    assert [(log.level, log.message.splitlines()[0]) for log in logs] == [
        ("INFO", "progress 10%"), ("INFO", "progress 50%"), ("INFO", "progress 100%"),
        ("INFO", "between info and warning"), ("ERROR", "between error and critical"),
        ("ERROR", "it failed")]
    assert "ValueError: boom" in logs[-1].message
    assert logs[0].process == f"MainProcess/{os.getpid()}"


def test_worker_command_line(settings, capsys):
    assert settings_from_dict(settings_to_dict(settings)) == settings
    with pytest.raises(InputError, match="unknown fields"):
        settings_from_dict({"colour": "red"})
    assert worker.main(["x"]) == 2
    assert "bad command line" in capsys.readouterr().err


def _interruptible() -> None:
    """preexec_fn: the child takes Ctrl-C (SIGINT) as a user's shell would give it to it,
    whatever the pytest worker inherited or blocked (a signal ignored or blocked there is
    ignored or blocked in every child it starts: the child would never see the interrupt)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)
