"""The worker process of one server calculation.

:class:`~toolkit.jobs.manager.JobManager` starts it as a fresh interpreter::

    python -m toolkit.jobs.worker CALC_ID SPEC_JSON

where ``SPEC_JSON`` holds the job file, the owner and the settings (:func:`worker_argv` builds
the command). The process is the leader of its own session and process group (the manager
starts it with ``start_new_session``; :func:`run_worker` makes sure), so that an abort can
signal it *and* the process-pool children of its calculation at once with ``os.killpg``.

The worker

1. installs a :class:`CatalogueLogHandler` on the root logger, so that log records (and
   warnings) become lines of the calculation's log in the catalogue, with their level and
   process name (``Worker-<calc_id>/<pid>``);
2. runs :func:`toolkit.jobs.runner.run_job` with the pre-registered ``calc_id`` (the runner
   moves it to ``executing``, records the progress, and marks it ``complete``, ``failed`` or,
   on SIGINT, ``aborted``);
3. logs the start, every 10 % of progress and the end;
4. marks the calculation ``failed`` with the traceback on any error the runner did not record
   itself (an input that became invalid after the server validated it, for example). A final
   status is never overwritten: an aborted calculation stays aborted.

Exit status: 0 complete, 1 failed, 2 bad command line, 130 interrupted (aborted).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from toolkit.config import Settings
from toolkit.errors import InputError, NotFound, ToolkitError

__all__ = ["CatalogueLogHandler", "run_worker", "worker_argv", "settings_to_dict",
           "settings_from_dict", "main"]

_log = logging.getLogger("toolkit.jobs.worker")
_LEVELS = ((logging.CRITICAL, "CRITICAL"), (logging.ERROR, "ERROR"),
           (logging.WARNING, "WARNING"), (logging.INFO, "INFO"))


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    """JSON-ready copy of ``settings`` (paths as strings)."""
    return {f.name: (str(v) if isinstance(v, Path) else v)
            for f in fields(settings) for v in [getattr(settings, f.name)]}


def settings_from_dict(data: dict[str, Any]) -> Settings:
    """Inverse of :func:`settings_to_dict`."""
    kinds = {f.name: f.type for f in fields(Settings)}
    unknown = sorted(set(data) - set(kinds))
    if unknown:
        raise InputError(f"worker settings: unknown fields {unknown}")
    return Settings(**{k: (Path(v) if kinds[k] in ("Path", Path) else v)
                       for k, v in data.items()})


def worker_argv(calc_id: int, job_ini: str | Path, settings: Settings, owner: str) -> list[str]:
    """The command line of the worker process of ``calc_id``."""
    spec = {"job_ini": str(job_ini), "owner": owner, "settings": settings_to_dict(settings)}
    return [sys.executable, "-m", "toolkit.jobs.worker", str(int(calc_id)), json.dumps(spec)]


class CatalogueLogHandler(logging.Handler):
    """Write log records as log lines of one calculation in the catalogue.

    The level becomes the nearest standard level at or below it; the process is
    ``<processName>/<pid>``; the message is the formatted record (with its traceback, if
    any). A record that cannot be stored (calculation removed, catalogue busy) is dropped.
    """

    def __init__(self, catalogue: Any, calc_id: int, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.catalogue = catalogue
        self.calc_id = int(calc_id)
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level = next((name for value, name in _LEVELS if record.levelno >= value), "DEBUG")
            self.catalogue.add_log(self.calc_id, level, self.format(record),
                                   process=f"{record.processName}/{record.process}")
        except ToolkitError:
            pass  # removed meanwhile or busy: a log line is not worth failing the job
        except Exception:
            self.handleError(record)


class _ProgressLogger(threading.Thread):
    """Log the progress recorded in the catalogue every time it passes a 10 % step."""

    def __init__(self, catalogue: Any, calc_id: int, interval: float = 0.25) -> None:
        super().__init__(name=f"progress-{calc_id}", daemon=True)
        self.catalogue = catalogue
        self.calc_id = calc_id
        self.interval = interval
        self.done = threading.Event()
        self.step = 0

    def run(self) -> None:
        while not self.done.wait(self.interval):
            self.poll()

    def poll(self) -> None:
        try:
            rec = self.catalogue.get(self.calc_id)
        except ToolkitError:
            return
        if rec.status != "executing":
            return
        step = int(rec.progress * 10 + 1e-9)
        if step > self.step:
            self.step = step
            _log.info("progress %d%%", 10 * step)

    def stop(self) -> None:
        self.done.set()
        self.join(2.0)


def _own_session() -> None:
    """Lead a new session (and process group) unless this process already does."""
    try:
        if os.getsid(0) != os.getpid():
            os.setsid()
    except OSError:  # pragma: no cover - already a group leader: keep its group
        pass


def _finalise(catalogue: Any, calc_id: int, status: str, traceback_text: str) -> bool:
    """Set a final status unless the calculation has one already (recorded by the runner,
    or aborted by the server); True if it was set."""
    try:
        if catalogue.get(calc_id).is_final:
            return False
        catalogue.set_status(calc_id, status, traceback=traceback_text)
    except (InputError, NotFound):  # became final meanwhile, or removed
        return False
    except ToolkitError:  # catalogue unusable: the server marks the vanished worker failed
        return False
    return True


def run_worker(calc_id: int, job_ini: str | Path, settings: Settings, owner: str) -> int:
    """Run calculation ``calc_id`` (registered ``created``) in this process; return the exit
    status (see the module docstring)."""
    from toolkit.jobs.runner import run_job
    from toolkit.store import Catalogue

    _own_session()
    # SIGINT means abort, even if the server was started with SIGINT ignored (nohup, &)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    multiprocessing.current_process().name = f"Worker-{calc_id}"
    catalogue = Catalogue(settings.catalogue_path)
    handler = CatalogueLogHandler(catalogue, calc_id)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    watcher = _ProgressLogger(catalogue, calc_id)
    started = time.monotonic()
    try:
        _log.info("calculation %d started by %s: %s (worker pid %d, executor %s)", calc_id,
                  owner, job_ini, os.getpid(), settings.executor)
        watcher.start()
        parent = catalogue.get(calc_id).hazard_calculation_id
        overrides = {"hazard_calculation_id": str(parent)} if parent else None
        run_job(job_ini, settings, progress=False, owner=owner, calc_id=calc_id,
                overrides=overrides)
        watcher.stop()
        _log.info("calculation %d finished in %.1f s", calc_id, time.monotonic() - started)
        return 0
    except KeyboardInterrupt:
        if _finalise(catalogue, calc_id, "aborted", traceback.format_exc()):
            _log.warning("calculation %d aborted (interrupt)", calc_id)
        return 130
    except BaseException as exc:
        if _finalise(catalogue, calc_id, "failed", traceback.format_exc()):
            _log.error("calculation %d failed: %s: %s", calc_id, type(exc).__name__, exc)
        return 1
    finally:
        watcher.stop()
        logging.captureWarnings(False)
        root.removeHandler(handler)
        catalogue.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: ``python -m toolkit.jobs.worker CALC_ID SPEC_JSON``."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        calc_id = int(args[0])
        spec = json.loads(args[1])
        settings = settings_from_dict(spec["settings"])
        job_ini, owner = str(spec["job_ini"]), str(spec["owner"])
    except (IndexError, ValueError, KeyError, TypeError) as exc:
        print(f"toolkit.jobs.worker: bad command line ({exc}); expected CALC_ID SPEC_JSON",
              file=sys.stderr)
        return 2
    return run_worker(calc_id, job_ini, settings, owner)


if __name__ == "__main__":  # pragma: no cover - run by the job manager
    sys.exit(main())
