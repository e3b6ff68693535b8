"""Run calculations in worker processes: a queue, abort, restart recovery.

:class:`JobManager` is what the server uses. One manager per server process; the catalogue
(SQLite) is the single source of truth, so the queue survives a restart.

Submit
    :meth:`JobManager.submit` validates the job synchronously (``load_job`` +
    ``build_inputs``): an :class:`~toolkit.errors.InputError` propagates and nothing is
    registered. A valid job is registered ``created`` with ``pid = 0`` (queued; OpenQuake also
    reports ``pid: 0`` until a job starts).
Queue
    A background thread starts queued calculations, oldest first, while fewer than
    ``settings.max_concurrent_jobs`` workers run, and reaps finished workers. Each worker is a
    fresh interpreter (``python -m toolkit.jobs.worker``, see :mod:`toolkit.jobs.worker`) that
    leads its own session and process group, so the calculation's process pool belongs to
    that group. A worker that exits without recording a final status (killed, crashed) is
    marked ``failed`` with its exit status and the tail of its stderr.
Abort
    :meth:`JobManager.abort` marks the calculation ``aborted`` first (one atomic catalogue
    transition: if the calculation completed meanwhile, the abort is refused and returns
    False), then sends SIGINT to the worker's process group (the runner turns the interrupt
    into ``aborted`` and exits), and SIGKILL to the group after ``abort_grace`` seconds if
    anything is left. A final status never changes in the catalogue, so an aborted
    calculation stays ``aborted`` whatever its worker does afterwards. A queued calculation
    is simply marked ``aborted`` and never starts. A calculation executed by another process
    (``toolkit run`` in a terminal) is interrupted with SIGINT the same way.
Restart recovery (:meth:`JobManager.start`)
    * ``executing`` calculations whose process is gone become ``failed`` with a reason
      (:func:`toolkit.jobs.runner.recover_vanished`, which also removes their temporary
      datastore files);
    * ``created`` calculations whose worker was started (pid > 0) but is gone become
      ``failed`` ("vanished before it started");
    * workers of a previous server that still run (they have their own session, so they
      survive a server stop) are *adopted*: they count towards the limit, can be aborted,
      and are marked ``failed`` if they vanish without a final status;
    * queued calculations (``created``, pid 0) are **queued again** and run: they were
      validated when submitted, and the worker re-validates them, so a job whose inputs
      disappeared meanwhile fails with the input error as its traceback;
    * ``created`` rows with no pid at all belong to a ``toolkit run`` in progress elsewhere
      and are left alone.
    Completed calculations and their datastores are never touched.
Remove
    :meth:`JobManager.remove` aborts a running calculation and waits for its worker to stop,
    then deletes the datastore files and the catalogue row in one catalogue transaction:
    of two concurrent removes, one succeeds and the other gets :class:`NotFound`. The
    uploaded-input directory recorded with the calculation is deleted too when it lies under
    ``<data_dir>/calc_inputs/``.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.config import Settings
from toolkit.errors import InputError, NotFound, ToolkitError
from toolkit.jobs.runner import recover_vanished
from toolkit.jobs.worker import worker_argv
from toolkit.store import Catalogue, remove_datastore

__all__ = ["JobManager"]

_log = logging.getLogger("toolkit.jobs")
_STDERR_TAIL = 4000  # characters of a crashed worker's stderr kept in its traceback


@dataclass
class _Worker:
    """A worker process this manager watches."""

    calc_id: int
    pid: int
    popen: subprocess.Popen[bytes] | None  # None: adopted from a previous server
    stderr_path: Path | None


@dataclass
class _Abort:
    """A signalled process (group) that gets SIGKILL at ``deadline`` if still there."""

    target: int
    group: bool
    deadline: float


def _cmdline(pid: int) -> list[str] | None:
    """The command line of ``pid`` (Linux /proc); None where it cannot be read."""
    try:
        raw = Path(f"/proc/{int(pid)}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.decode("utf-8", "replace").split("\0")


def _alive(pid: int | None) -> bool:
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_worker_of(pid: int | None, calc_id: int) -> bool:
    """Whether ``pid`` is a live worker process of ``calc_id`` (session leader running
    ``toolkit.jobs.worker CALC_ID``; where /proc is missing, a live session leader)."""
    if not _alive(pid):
        return False
    assert pid is not None
    try:
        if os.getsid(pid) != pid:
            return False
    except OSError:
        return False
    if not Path("/proc/self").exists():  # pragma: no cover - not Linux
        return True
    cmd = _cmdline(pid)
    return bool(cmd) and "toolkit.jobs.worker" in cmd and str(calc_id) in cmd


def _signal(target: int, group: bool, sig: int) -> bool:
    """Send ``sig`` to a process group or a process; False if there is none."""
    try:
        if group:
            os.killpg(target, sig)
        else:
            os.kill(target, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _exit_description(code: int | None) -> str:
    if code is None:
        return "vanished"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


class JobManager:
    """Run calculations in worker processes, at most ``settings.max_concurrent_jobs`` at once.

    Parameters
    ----------
    settings : Settings
        Data directory, executor of each calculation, ``max_concurrent_jobs``.
    poll_interval : float
        Seconds between two rounds of the background thread (it is also woken by
        :meth:`submit` and :meth:`abort`).
    abort_grace : float
        Seconds between SIGINT and SIGKILL when aborting.

    Notes
    -----
    Thread-safe: the HTTP layer may call it from several threads. ``start`` must be called
    for queued calculations to run. See the module docstring for the design.
    """

    def __init__(
        self, settings: Settings, *, poll_interval: float = 0.2, abort_grace: float = 5.0
    ) -> None:
        self.settings = settings
        self.poll_interval = float(poll_interval)
        self.abort_grace = float(abort_grace)
        self.catalogue = Catalogue(settings.catalogue_path)
        self._lock = threading.RLock()
        self._workers: dict[int, _Worker] = {}
        self._aborting: dict[int, _Abort] = {}
        self._submitted: set[int] = set()  # queued by this manager (not a previous server)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"<JobManager {self.settings.data_dir} running={sorted(self._workers)}>"

    def __enter__(self) -> JobManager:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Recover what a previous server left behind, then start the background thread
        (idempotent)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._recover()
            self._stopping.clear()
            self._thread = threading.Thread(target=self._loop, name="toolkit-jobs", daemon=True)
            self._thread.start()

    def stop(self, *, abort_running: bool = False, timeout: float = 10.0) -> None:
        """Stop the background thread. Running workers keep running (a later ``start``, in
        this or another server process, adopts them) unless ``abort_running``."""
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._thread = None
        if abort_running:
            with self._lock:
                ids = sorted(self._workers)
            for calc_id in ids:
                try:
                    self.abort(calc_id)
                except NotFound:
                    pass
            for calc_id in ids:
                self._wait_stopped(calc_id, self.abort_grace + timeout)

    def _recover(self) -> None:
        for calc_id in recover_vanished(self.catalogue, self.settings):
            self._log(calc_id, "WARNING", "marked failed at server start: the process running "
                                          "it vanished")
        for rec in self.catalogue.list(limit=None, is_running=True, order_dir="ASC"):
            if rec.id in self._workers:
                continue
            if rec.status == "executing" or (rec.pid or 0) > 0:
                if _is_worker_of(rec.pid, rec.id):
                    assert rec.pid is not None
                    stderr_path = self.settings.data_dir / "workers" / f"calc_{rec.id}.stderr"
                    self._workers[rec.id] = _Worker(rec.id, rec.pid, None, stderr_path)
                    self._log(rec.id, "INFO", f"worker process {rec.pid} adopted after a "
                                              "server restart")
                elif rec.status == "created":
                    self._fail(rec.id, f"the worker process (pid {rec.pid}) of calculation "
                                       f"{rec.id} vanished before it started")
                # else: executing in a live process that is not a worker (`toolkit run`)
            elif rec.pid == 0 and rec.id not in self._submitted:
                self._submitted.add(rec.id)
                self._log(rec.id, "INFO", "queued again after a server restart")

    # -- public API --------------------------------------------------------------------------
    def submit(
        self,
        job_ini: str | Path,
        *,
        owner: str,
        hazard_calculation_id: int | None = None,
        input_dir: str | Path | None = None,
    ) -> int:
        """Validate ``job_ini`` and queue it; return the new calculation id.

        ``hazard_calculation_id`` (OpenQuake's ``hazard_job_id``), or the job file's own
        ``hazard_calculation_id``, is recorded as the parent calculation; it must exist and be
        complete (the worker checks that it holds the kind of hazard the job needs).

        Raises
        ------
        InputError
            Invalid job (file, parameters, models, sites), unknown or unfinished parent
            calculation; nothing is registered.
        """
        from toolkit.io.inputs import build_inputs, load_job

        path = Path(job_ini).absolute()
        if path.is_dir():
            raise InputError(f"{path} is a directory; give the path of a job.ini file")
        if not path.is_file():
            raise InputError(f"job file {path} does not exist")
        # the request's parent overrides the file's (OpenQuake's hazard_job_id)
        overrides = ({"hazard_calculation_id": str(int(hazard_calculation_id))}
                     if hazard_calculation_id is not None else None)
        params = load_job(path, overrides=overrides)
        build_inputs(params)
        parent = getattr(params, "hazard_calculation_id", None)
        if parent is not None:
            try:
                status = self.catalogue.get(parent).status
            except NotFound:
                raise InputError(f"hazard calculation {parent} does not exist") from None
            if status != "complete":
                raise InputError(f"hazard calculation {parent} is {status}, not complete: its "
                                 "results cannot be used")
        calc_id = self.catalogue.create(
            params.description, params.calculation_mode, str(path), owner,
            hazard_calculation_id=parent, pid=0,
            input_dir=None if input_dir is None else Path(input_dir).absolute())
        self._submitted.add(calc_id)
        self._log(calc_id, "INFO", f"submitted by {owner}: {path}")
        self._wake.set()
        return calc_id

    def abort(self, calc_id: int) -> bool:
        """Abort a queued or running calculation; True if it was, False if it had finished.

        The status becomes ``aborted`` at once and stays so; the worker's process group gets
        SIGINT, then SIGKILL after ``abort_grace`` seconds. :class:`NotFound` for an unknown
        id.
        """
        with self._lock:
            rec = self.catalogue.get(calc_id)
            if rec.is_final:
                return False
            try:
                self.catalogue.set_status(calc_id, "aborted")
            except InputError:  # it finished meanwhile
                return False
            worker = self._workers.get(calc_id)
            pid = worker.pid if worker is not None else rec.pid
            if pid and pid > 0 and _alive(pid):
                # workers lead their own group; a `toolkit run` may or may not
                group = worker is not None or _is_worker_of(pid, calc_id)
                if not group:
                    try:
                        group = os.getpgid(pid) == pid
                    except OSError:
                        group = False
                _signal(pid, group, signal.SIGINT)
                self._aborting[calc_id] = _Abort(pid, group, time.monotonic() + self.abort_grace)
                self._log(calc_id, "WARNING", f"aborted by the user: interrupting process "
                                              f"{'group ' if group else ''}{pid}")
            else:
                self._log(calc_id, "WARNING", "aborted by the user before it started")
        self._wake.set()
        return True

    def is_running(self, calc_id: int) -> bool:
        """True while ``calc_id`` is queued or running (False for an unknown id)."""
        with self._lock:
            if calc_id in self._workers and calc_id not in self._aborting:
                return True
        try:
            return not self.catalogue.get(calc_id).is_final
        except NotFound:
            return False

    def running(self) -> list[int]:
        """Ids of the calculations whose worker process this manager watches."""
        with self._lock:
            return sorted(self._workers)

    def wait(self, calc_id: int, timeout: float) -> str:
        """Wait until ``calc_id`` has a final status and its worker has exited; return the
        status. :class:`TimeoutError` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            rec = self.catalogue.get(calc_id)
            with self._lock:
                if not self._thread_alive():
                    self._reap()
                    self._escalate()
                busy = calc_id in self._workers or calc_id in self._aborting
            if rec.is_final and not busy:
                return rec.status
            if time.monotonic() >= deadline:
                raise TimeoutError(f"calculation {calc_id} is still {rec.status} "
                                   f"after {timeout} s")
            time.sleep(0.05)

    def remove(self, calc_id: int) -> list[Path]:
        """Delete a calculation: abort it if needed, delete its datastore files and its
        catalogue row (one transaction); return the deleted datastore files.

        :class:`NotFound` for an unknown id, and for the loser of two concurrent removes.
        """
        rec = self.catalogue.get(calc_id)
        if not rec.is_final or calc_id in self._workers:
            try:
                self.abort(calc_id)
            except NotFound:
                pass
            self._wait_stopped(calc_id, self.abort_grace + 5.0)
        removed: list[Path] = []
        data_dir = self.settings.data_dir

        def delete_files(record: Any) -> None:
            removed.extend(remove_datastore(data_dir, record.id))
            (data_dir / f"calc_{record.id}.hdf5.lock").unlink(missing_ok=True)

        record = self.catalogue.remove(calc_id, before_commit=delete_files)
        if record.input_dir:
            uploads = (data_dir / "calc_inputs").resolve()
            inputs = Path(record.input_dir).resolve()
            if inputs != uploads and inputs.is_relative_to(uploads):
                shutil.rmtree(inputs, ignore_errors=True)
        return removed

    # -- background work -------------------------------------------------------------------
    def _thread_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                with self._lock:
                    self._reap()
                    self._escalate()
                    if not self._stopping.is_set():
                        self._start_queued()
            except Exception:  # never let the queue die; try again next round
                _log.exception("job manager round failed")
            self._wake.wait(self.poll_interval)
            self._wake.clear()

    def _wait_stopped(self, calc_id: int, timeout: float) -> None:
        """Wait (escalating to SIGKILL) until the worker of ``calc_id`` has exited."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                self._reap()
                self._escalate()
                if calc_id not in self._workers and calc_id not in self._aborting:
                    return
            time.sleep(0.05)

    def _reap(self) -> None:
        for calc_id, worker in list(self._workers.items()):
            if worker.popen is not None:
                code = worker.popen.poll()
                if code is None:
                    continue
            elif _is_worker_of(worker.pid, calc_id):
                continue
            else:
                code = None
            del self._workers[calc_id]
            self._finished(worker, code)

    def _finished(self, worker: _Worker, code: int | None) -> None:
        """Bookkeeping after a worker exited with ``code`` (None: unknown, adopted)."""
        calc_id = worker.calc_id
        stderr = ""
        if worker.stderr_path is not None:
            try:
                stderr = worker.stderr_path.read_text("utf-8", "replace")[-_STDERR_TAIL:].strip()
                worker.stderr_path.unlink()
            except OSError:
                pass
        try:
            rec = self.catalogue.get(calc_id)
        except NotFound:
            return  # removed meanwhile
        if not rec.is_final:
            reason = (f"the worker process (pid {worker.pid}) of calculation {calc_id} "
                      f"{_exit_description(code)} before finishing")
            self._fail(calc_id, reason + (f"\nits stderr ends with:\n{stderr}" if stderr else ""))
        elif stderr and code != 0:
            self._log(calc_id, "WARNING", f"worker stderr: {stderr}")
        if rec.status != "complete":
            for suffix in (".hdf5.tmp", ".hdf5.lock"):
                (self.settings.data_dir / f"calc_{calc_id}{suffix}").unlink(missing_ok=True)

    def _escalate(self) -> None:
        now = time.monotonic()
        for calc_id, abort in list(self._aborting.items()):
            if not _signal(abort.target, abort.group, 0):
                del self._aborting[calc_id]
            elif now >= abort.deadline:
                _signal(abort.target, abort.group, signal.SIGKILL)
                del self._aborting[calc_id]
                self._log(calc_id, "WARNING", f"process {'group ' if abort.group else ''}"
                                              f"{abort.target} killed (SIGKILL) after "
                                              f"{self.abort_grace:g} s")

    def _start_queued(self) -> None:
        free = self.settings.max_concurrent_jobs - len(self._workers)
        if free <= 0:
            return
        queued = [r for r in self.catalogue.list(limit=None, status="created", order_dir="ASC")
                  if r.pid == 0 and r.id not in self._workers]
        for rec in queued[:free]:
            self._spawn(rec)

    def _spawn(self, rec: Any) -> None:
        import toolkit

        calc_id = rec.id
        folder = self.settings.data_dir / "workers"
        stderr_path = folder / f"calc_{calc_id}.stderr"
        env = dict(os.environ)
        root = str(Path(toolkit.__file__).resolve().parents[1])  # the same toolkit as ours
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(stderr_path, "wb") as stderr:
                popen = subprocess.Popen(
                    worker_argv(calc_id, rec.job_ini, self.settings, rec.owner),
                    stdin=subprocess.DEVNULL, stdout=stderr, stderr=subprocess.STDOUT,
                    start_new_session=True, close_fds=True, env=env)
        except OSError as exc:
            self._fail(calc_id, f"cannot start a worker process for calculation {calc_id}: "
                                f"{exc}")
            return
        self._workers[calc_id] = _Worker(calc_id, popen.pid, popen, stderr_path)
        try:  # the worker may have moved on to 'executing' (and set its pid) already
            self.catalogue.set_status(calc_id, "created", pid=popen.pid)
        except (InputError, NotFound):
            pass
        self._log(calc_id, "INFO", f"worker process {popen.pid} started ({len(self._workers)} "
                                   f"of at most {self.settings.max_concurrent_jobs} running)")

    # -- catalogue helpers -------------------------------------------------------------------
    def _log(self, calc_id: int, level: str, message: str) -> None:
        try:
            self.catalogue.add_log(calc_id, level, message)
        except ToolkitError:
            pass

    def _fail(self, calc_id: int, reason: str) -> None:
        try:
            self.catalogue.fail(calc_id, reason)
        except (InputError, NotFound):
            return
        self._log(calc_id, "ERROR", reason.splitlines()[0])
