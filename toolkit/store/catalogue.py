"""The catalogue of calculations: one SQLite file (``<data_dir>/db.sqlite3``).

Several processes (the server, job workers, notebooks) share the catalogue. It runs in WAL mode
(readers never block the writer), with a busy timeout, and every write is one short
``BEGIN IMMEDIATE`` transaction, so status changes are atomic across processes (an abort racing
a completion resolves to whichever commits first; the loser gets an error). A
:class:`Catalogue` may be shared by threads (calls are serialised by a lock) and survives a
``fork``: the child process opens its own connection on first use.

Tables
------
``calc``
    ``id`` (autoincrement, never reused), ``description``, ``calculation_mode``, ``status``
    (``created``, ``executing``, ``complete``, ``failed``, ``aborted``), ``owner``, ``created``,
    ``start_time``, ``stop_time`` (UTC ISO 8601, ``2026-11-22T15:17:58.009131+00:00``),
    ``job_ini``, ``datastore`` (paths), ``hazard_calculation_id`` (parent calculation), ``pid``,
    ``progress`` (0..1), ``traceback``, ``size_mb``, ``relevant`` (bool).
``log``
    ``calc_id``, ``timestamp`` (UTC ISO), ``level``, ``process`` (``MainProcess/1234``),
    ``message``; deleted with their calculation.

Status transitions::

    created ──► executing ──► complete
       │            │
       └────────────┴───────► failed | aborted

``complete``, ``failed`` and ``aborted`` are final. Setting the current status again is allowed
(to update fields). The schema version is ``PRAGMA user_version``; :data:`MIGRATIONS` upgrades
older files when a catalogue is opened.
"""

from __future__ import annotations

import getpass
import multiprocessing
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from toolkit.errors import InputError, NotFound, StoreError

__all__ = [
    "Catalogue",
    "CalcRecord",
    "LogRecord",
    "STATUSES",
    "FINAL_STATUSES",
    "SCHEMA_VERSION",
    "MIGRATIONS",
    "utc_now",
]

STATUSES = ("created", "executing", "complete", "failed", "aborted")
FINAL_STATUSES = frozenset({"complete", "failed", "aborted"})
_TRANSITIONS = {
    "created": {"created", "executing", "failed", "aborted"},
    "executing": {"executing", "complete", "failed", "aborted"},
    "complete": {"complete"},
    "failed": {"failed"},
    "aborted": {"aborted"},
}
#: Columns that :meth:`Catalogue.set_status` may update besides the status.
_UPDATABLE = (
    "description",
    "start_time",
    "stop_time",
    "job_ini",
    "datastore",
    "hazard_calculation_id",
    "pid",
    "progress",
    "traceback",
    "size_mb",
    "relevant",
)

_SCHEMA_1 = """
CREATE TABLE calc (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    description TEXT NOT NULL DEFAULT '',
    calculation_mode TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'created'
        CHECK (status IN ('created', 'executing', 'complete', 'failed', 'aborted')),
    owner TEXT NOT NULL,
    created TEXT NOT NULL,
    start_time TEXT,
    stop_time TEXT,
    job_ini TEXT,
    datastore TEXT,
    hazard_calculation_id INTEGER REFERENCES calc(id) ON DELETE SET NULL,
    pid INTEGER,
    progress REAL NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
    traceback TEXT,
    size_mb REAL,
    relevant INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX calc_mode_status ON calc (calculation_mode, status);
CREATE TABLE log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    calc_id INTEGER NOT NULL REFERENCES calc(id) ON DELETE CASCADE,
    timestamp TEXT NOT NULL,
    level TEXT NOT NULL,
    process TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL
);
CREATE INDEX log_calc ON log (calc_id, id);
"""


def _migrate_0_to_1(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA_1.split(";"):
        if statement.strip():
            conn.execute(statement)


#: ``MIGRATIONS[v]`` upgrades a catalogue from schema version ``v`` to ``v + 1``.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {0: _migrate_0_to_1}
SCHEMA_VERSION = max(MIGRATIONS) + 1

_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def utc_now() -> str:
    """The current UTC time in ISO 8601 with microseconds and offset."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class CalcRecord:
    """One row of the ``calc`` table (times are UTC ISO 8601 strings)."""

    id: int
    description: str
    calculation_mode: str
    status: str
    owner: str
    created: str
    start_time: str | None
    stop_time: str | None
    job_ini: str | None
    datastore: str | None
    hazard_calculation_id: int | None
    pid: int | None
    progress: float
    traceback: str | None
    size_mb: float | None
    relevant: bool

    @property
    def is_running(self) -> bool:
        """True while the calculation is ``created`` or ``executing`` (as OpenQuake reports)."""
        return self.status in ("created", "executing")

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class LogRecord:
    """One log line of a calculation."""

    id: int
    calc_id: int
    timestamp: str
    level: str
    process: str
    message: str


_CALC_COLUMNS = tuple(f.name for f in fields(CalcRecord))


def _record(row: sqlite3.Row) -> CalcRecord:
    values = dict(zip(_CALC_COLUMNS, row, strict=True))
    values["relevant"] = bool(values["relevant"])
    return CalcRecord(**values)


def _default_owner() -> str:
    try:
        return getpass.getuser() or "local"
    except (OSError, KeyError, ImportError):
        return "local"


class Catalogue:
    """The catalogue of calculations in the SQLite file ``path``.

    Parameters
    ----------
    path : path-like
        The SQLite file (created with its directory if missing). Usually
        ``Settings.catalogue_path``.
    timeout : float
        Seconds to wait for another process's write transaction before failing.

    Raises
    ------
    StoreError
        The file cannot be opened, or was written by a newer toolkit (schema version).
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout = float(timeout)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = os.getpid()
        self._inherited: list[sqlite3.Connection] = []
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the catalogue directory {self.path.parent}: {exc}"
            ) from exc
        with self._lock:
            self._connection()

    # -- connection ------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid != os.getpid():
            # Inherited through fork: never use (or close) the parent's connection here.
            self._inherited.append(self._conn)
            self._conn = None
            self._pid = os.getpid()
        if self._conn is None:
            try:
                conn = sqlite3.connect(
                    self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
                )
                conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA synchronous = NORMAL")
                self._migrate(conn)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open the catalogue {self.path}: {exc}") from exc
            self._conn = conn
        return self._conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"catalogue {self.path} has schema version {version}, newer than the "
                f"{SCHEMA_VERSION} this toolkit knows; upgrade toolkit"
            )
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # another process?
            while version < SCHEMA_VERSION:
                MIGRATIONS[version](conn)
                version += 1
                conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @property
    def schema_version(self) -> int:
        with self._read() as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connection()
            try:
                yield conn
            except sqlite3.Error as exc:
                raise StoreError(f"catalogue {self.path}: {exc}") from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction, taken immediately (no lock upgrade deadlocks)."""
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(
                    f"catalogue {self.path}: cannot start a transaction: {exc}"
                ) from exc
            try:
                yield conn
            except BaseException as exc:
                conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"catalogue {self.path}: {exc}") from exc
                raise
            else:
                try:
                    conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    conn.execute("ROLLBACK")
                    raise StoreError(f"catalogue {self.path}: cannot commit: {exc}") from exc

    def close(self) -> None:
        """Close the connection (idempotent; a later call reopens it)."""
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    def __enter__(self) -> Catalogue:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Catalogue {self.path}>"

    # -- calculations ----------------------------------------------------------------------
    def create(
        self,
        description: str,
        mode: str,
        job_ini: str | os.PathLike[str] | None,
        owner: str | None = None,
        *,
        hazard_calculation_id: int | None = None,
    ) -> int:
        """Add a calculation in status ``created``; return its id."""
        if not isinstance(mode, str) or not mode:
            raise InputError(f"calculation mode must be a non-empty string, got {mode!r}")
        job = None if job_ini is None else os.fspath(job_ini)
        with self._write() as conn:
            if hazard_calculation_id is not None:
                self._require(conn, hazard_calculation_id)
            cur = conn.execute(
                "INSERT INTO calc (description, calculation_mode, owner, created, job_ini, "
                "hazard_calculation_id) VALUES (?, ?, ?, ?, ?, ?)",
                (str(description), mode, owner or _default_owner(), utc_now(), job,
                 hazard_calculation_id),
            )
            calc_id = cur.lastrowid
        assert calc_id is not None
        return int(calc_id)

    @staticmethod
    def _require(conn: sqlite3.Connection, calc_id: int) -> tuple[Any, ...]:
        row = conn.execute(
            f"SELECT {', '.join(_CALC_COLUMNS)} FROM calc WHERE id = ?", (int(calc_id),)
        ).fetchone()
        if row is None:
            raise NotFound(f"calculation {calc_id} not found")
        return row

    def get(self, calc_id: int) -> CalcRecord:
        """The record of ``calc_id``; :class:`~toolkit.errors.NotFound` if there is none."""
        with self._read() as conn:
            return _record(self._require(conn, calc_id))

    def __contains__(self, calc_id: object) -> bool:
        if not isinstance(calc_id, int):
            return False
        with self._read() as conn:
            row = conn.execute("SELECT 1 FROM calc WHERE id = ?", (calc_id,)).fetchone()
        return row is not None

    def set_status(self, calc_id: int, status: str, **fields: Any) -> CalcRecord:
        """Move ``calc_id`` to ``status`` and update other columns; return the new record.

        ``start_time`` is set when the calculation starts executing, ``stop_time`` when it
        reaches a final status (unless given), and ``progress`` becomes 1 on ``complete``.

        Raises
        ------
        InputError
            Unknown status or column, or an illegal transition (a final status never changes).
        NotFound
            Unknown calculation.
        """
        if status not in STATUSES:
            raise InputError(f"unknown calculation status {status!r}; expected one of {STATUSES}")
        unknown = sorted(set(fields) - set(_UPDATABLE))
        if unknown:
            raise InputError(
                f"cannot set {unknown} of calculation {calc_id}; settable: {list(_UPDATABLE)}"
            )
        if "progress" in fields:
            fields["progress"] = _check_progress(calc_id, fields["progress"])
        if "relevant" in fields:
            fields["relevant"] = int(bool(fields["relevant"]))
        for key in ("job_ini", "datastore"):
            if fields.get(key) is not None:
                fields[key] = os.fspath(fields[key])
        with self._write() as conn:
            row = self._require(conn, calc_id)
            current = row[_CALC_COLUMNS.index("status")]
            if status not in _TRANSITIONS[current]:
                raise InputError(
                    f"calculation {calc_id} is {current!r}: it cannot become {status!r}"
                )
            if status != current:
                if status == "executing":
                    fields.setdefault("start_time", utc_now())
                if status in FINAL_STATUSES:
                    fields.setdefault("stop_time", utc_now())
                if status == "complete":
                    fields.setdefault("progress", 1.0)
            values = {"status": status, **fields}
            assignments = ", ".join(f"{name} = ?" for name in values)
            conn.execute(
                f"UPDATE calc SET {assignments} WHERE id = ?", (*values.values(), int(calc_id))
            )
            return _record(self._require(conn, calc_id))

    def set_progress(self, calc_id: int, progress: float) -> None:
        """Record the progress (0..1) of ``calc_id``."""
        value = _check_progress(calc_id, progress)
        with self._write() as conn:
            cur = conn.execute("UPDATE calc SET progress = ? WHERE id = ?", (value, int(calc_id)))
            if cur.rowcount == 0:
                raise NotFound(f"calculation {calc_id} not found")

    def fail(self, calc_id: int, traceback: str) -> CalcRecord:
        """Mark ``calc_id`` as ``failed`` with its traceback text (see :meth:`set_status`)."""
        return self.set_status(calc_id, "failed", traceback=str(traceback))

    def list(
        self,
        limit: int = 100,
        offset: int = 0,
        mode: str | None = None,
        status: str | None = None,
        owner: str | None = None,
    ) -> list[CalcRecord]:
        """Calculations, newest (highest id) first, optionally filtered."""
        where, params = self._filters(mode, status, owner)
        limit, offset = int(limit), int(offset)
        if limit < 0 or offset < 0:
            raise InputError(f"limit and offset must be >= 0, got {limit} and {offset}")
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(_CALC_COLUMNS)} FROM calc{where} ORDER BY id DESC "
                "LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
        return [_record(r) for r in rows]

    def count(
        self, mode: str | None = None, status: str | None = None, owner: str | None = None
    ) -> int:
        """Number of calculations matching the filters of :meth:`list`."""
        where, params = self._filters(mode, status, owner)
        with self._read() as conn:
            return int(conn.execute(f"SELECT COUNT(*) FROM calc{where}", params).fetchone()[0])

    @staticmethod
    def _filters(
        mode: str | None, status: str | None, owner: str | None
    ) -> tuple[str, tuple[Any, ...]]:
        if status is not None and status not in STATUSES:
            raise InputError(f"unknown calculation status {status!r}; expected one of {STATUSES}")
        clauses, params = [], []
        for column, value in (("calculation_mode", mode), ("status", status), ("owner", owner)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return where, tuple(params)

    def remove(self, calc_id: int) -> CalcRecord:
        """Delete ``calc_id`` and its logs; return the deleted record (files are not touched)."""
        with self._write() as conn:
            record = _record(self._require(conn, calc_id))
            conn.execute("DELETE FROM calc WHERE id = ?", (int(calc_id),))
        return record

    # -- logs --------------------------------------------------------------------------------
    def add_log(
        self, calc_id: int, level: str, message: str, *, process: str | None = None
    ) -> None:
        """Append a log line (``level`` one of DEBUG, INFO, WARNING, ERROR, CRITICAL)."""
        lvl = str(level).upper()
        if lvl not in _LEVELS:
            raise InputError(f"unknown log level {level!r}; expected one of {_LEVELS}")
        if process is None:
            process = f"{multiprocessing.current_process().name}/{os.getpid()}"
        with self._write() as conn:
            self._require(conn, calc_id)
            conn.execute(
                "INSERT INTO log (calc_id, timestamp, level, process, message) "
                "VALUES (?, ?, ?, ?, ?)",
                (int(calc_id), utc_now(), lvl, process, str(message)),
            )

    def get_logs(self, calc_id: int, start: int = 0, stop: int | None = None) -> list[LogRecord]:
        """Log lines ``start:stop`` (Python slice semantics, non-negative) of ``calc_id``.

        An unknown calculation has no logs (an empty list), as in OpenQuake's WebAPI.
        """
        start = int(start)
        if start < 0 or (stop is not None and int(stop) < 0):
            raise InputError(f"log slice bounds must be >= 0, got {start}:{stop}")
        limit = -1 if stop is None else max(int(stop) - start, 0)
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, calc_id, timestamp, level, process, message FROM log "
                "WHERE calc_id = ? ORDER BY id LIMIT ? OFFSET ?",
                (int(calc_id), limit, start),
            ).fetchall()
        return [LogRecord(*row) for row in rows]


def _check_progress(calc_id: int, progress: Any) -> float:
    try:
        value = float(progress)
    except (TypeError, ValueError):
        raise InputError(
            f"calculation {calc_id}: progress must be a number, got {progress!r}"
        ) from None
    if not 0.0 <= value <= 1.0:
        raise InputError(f"calculation {calc_id}: progress must be in [0, 1], got {value}")
    return value
