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
    ``progress`` (0..1), ``traceback``, ``size_mb``, ``relevant`` (bool); since schema 2 also
    ``shared`` (bool) and ``input_dir`` (the uploaded inputs of a server job).
``log``
    ``calc_id``, ``timestamp`` (UTC ISO), ``level``, ``process`` (``MainProcess/1234``),
    ``message``; deleted with their calculation.
``users`` (schema 2)
    ``name``, ``org`` (organisation), ``is_admin``, ``password_hash`` (salted scrypt,
    ``scrypt$<n>$<r>$<p>$<salt>$<hash>``, base64; the parameters travel with each hash so they
    can be raised later), ``created``.
``sessions`` (schema 2)
    ``token_hash`` (SHA-256 of the session token: the token itself is never stored),
    ``user_name``, ``created``, ``expires`` (Unix time); deleted with their user.
``tags``, ``calc_tags`` (schema 2)
    Tag names, and which calculation carries which tag; at most one calculation per tag is
    *preferred* (a unique partial index). Deleted with their calculation or tag.
``api_keys`` (schema 3)
    Personal API keys of the Lizard-style API (HTTP Basic, user ``__key__``): ``prefix`` (the
    public part before the dot), ``key_hash`` (SHA-256 of the whole key: the key itself is
    never stored), ``user_name``, ``name`` (a label), ``created``; deleted with their user.
``scenarios``, ``scenario_results``, ``scenario_rasters``, ``tasks`` (schema 3)
    The scenario catalogue (Lizard API v4 scenarios, their results and rasters, and background
    tasks); see :mod:`toolkit.store.scenarios`, which reads and writes them.

Status transitions::

    created ──► executing ──► complete
       │            │
       └────────────┴───────► failed | aborted

``complete``, ``failed`` and ``aborted`` are final. Setting the current status again is allowed
(to update fields). The schema version is ``PRAGMA user_version``; :data:`MIGRATIONS` upgrades
older files when a catalogue is opened (1 -> 2 is additive: existing calculations are kept,
unshared and untagged; 2 -> 3 adds API keys and the scenario catalogue, nothing else changes).

Visibility (restricted server mode): an administrator sees every calculation; any other user
sees the calculations they own and the shared ones. The organisation is recorded but does not
widen visibility: a colleague's calculation is visible only once it is shared (as OpenQuake's
restricted mode, where a plain user's list holds their own and shared calculations).
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import math
import multiprocessing
import os
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from toolkit.errors import InputError, NotFound, StoreError

__all__ = [
    "Catalogue",
    "CalcRecord",
    "LogRecord",
    "User",
    "ORDER_BY",
    "STATUSES",
    "FINAL_STATUSES",
    "SCHEMA_VERSION",
    "MIGRATIONS",
    "utc_now",
    "hash_password",
    "verify_password",
    "API_KEY_USER",
]

#: The user name of HTTP Basic authentication with a personal API key (Lizard's convention).
API_KEY_USER = "__key__"

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
    "input_dir",
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
    _run_script(conn, _SCHEMA_1)


_SCHEMA_2 = """
ALTER TABLE calc ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calc ADD COLUMN input_dir TEXT;
CREATE INDEX calc_owner ON calc (owner);
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    org TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    created TEXT NOT NULL,
    expires REAL NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_name);
CREATE TABLE tags (
    name TEXT PRIMARY KEY,
    created TEXT NOT NULL
);
CREATE TABLE calc_tags (
    calc_id INTEGER NOT NULL REFERENCES calc(id) ON DELETE CASCADE,
    tag TEXT NOT NULL REFERENCES tags(name) ON DELETE CASCADE,
    is_preferred INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (calc_id, tag)
);
CREATE INDEX calc_tags_tag ON calc_tags (tag);
CREATE UNIQUE INDEX calc_tags_preferred ON calc_tags (tag) WHERE is_preferred = 1;
"""


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run the ``;``-separated statements of ``script`` inside the current transaction."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    """Users, sessions, tags, shared calculations, uploaded-input directories (additive)."""
    _run_script(conn, _SCHEMA_2)


_SCHEMA_3 = """
CREATE TABLE api_keys (
    prefix TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    name TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL
);
CREATE INDEX api_keys_user ON api_keys (user_name);
CREATE TABLE scenarios (
    uuid TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    organisation TEXT NOT NULL DEFAULT '',
    access_modifier TEXT NOT NULL DEFAULT 'Private'
        CHECK (access_modifier IN ('Public', 'Common', 'Private', 'Hidden')),
    created TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    simulation_identifier TEXT,
    simulation_start TEXT,
    simulation_end TEXT,
    supplier TEXT NOT NULL DEFAULT '',
    model_identifier TEXT,
    model_revision TEXT,
    model_name TEXT,
    has_raw_results INTEGER NOT NULL DEFAULT 0,
    total_size INTEGER NOT NULL DEFAULT 0,
    extra_metadata TEXT NOT NULL DEFAULT '{}',
    project TEXT,
    projection TEXT,
    origin_x REAL,
    origin_y REAL,
    upper_bound_x REAL,
    upper_bound_y REAL,
    pixelsize_x REAL,
    pixelsize_y REAL,
    calc_id INTEGER
);
CREATE INDEX scenarios_created ON scenarios (created, uuid);
CREATE INDEX scenarios_name ON scenarios (name, uuid);
CREATE INDEX scenarios_model_name ON scenarios (model_name);
CREATE INDEX scenarios_access ON scenarios (organisation, access_modifier);
CREATE TABLE scenario_rasters (
    uuid TEXT PRIMARY KEY,
    scenario_uuid TEXT NOT NULL REFERENCES scenarios(uuid) ON DELETE CASCADE,
    name TEXT NOT NULL,
    code TEXT NOT NULL,
    file TEXT,
    size INTEGER NOT NULL DEFAULT 0,
    temporal INTEGER NOT NULL DEFAULT 0,
    unit TEXT NOT NULL DEFAULT '',
    parameter TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    last_modified TEXT NOT NULL
);
CREATE INDEX scenario_rasters_scenario ON scenario_rasters (scenario_uuid);
CREATE TABLE scenario_results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scenario_uuid TEXT NOT NULL REFERENCES scenarios(uuid) ON DELETE CASCADE,
    name TEXT NOT NULL,
    code TEXT NOT NULL,
    description TEXT,
    family TEXT NOT NULL CHECK (family IN ('Raw', 'Basic', 'Arrival', 'Damage', 'Tiles')),
    raster_uuid TEXT REFERENCES scenario_rasters(uuid) ON DELETE SET NULL,
    file TEXT,
    filename TEXT,
    size INTEGER NOT NULL DEFAULT 0,
    deleting INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    last_modified TEXT NOT NULL
);
CREATE INDEX scenario_results_scenario ON scenario_results (scenario_uuid, family, id);
CREATE INDEX scenario_results_raster ON scenario_results (raster_uuid);
CREATE TABLE tasks (
    uuid TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'PENDING'
        CHECK (status IN ('PENDING', 'STARTED', 'SUCCESS', 'FAILURE')),
    owner TEXT NOT NULL DEFAULT '',
    scenario_uuid TEXT,
    file TEXT,
    detail TEXT,
    created TEXT NOT NULL,
    last_modified TEXT NOT NULL
);
"""


def _migrate_2_to_3(conn: sqlite3.Connection) -> None:
    """API keys and the scenario catalogue (additive)."""
    _run_script(conn, _SCHEMA_3)


#: ``MIGRATIONS[v]`` upgrades a catalogue from schema version ``v`` to ``v + 1``.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    0: _migrate_0_to_1,
    1: _migrate_1_to_2,
    2: _migrate_2_to_3,
}
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
    shared: bool
    input_dir: str | None
    #: tag names, preferred ones first (not a column: filled by :meth:`Catalogue.get`/``list``)
    tags: tuple[str, ...] = field(default=(), compare=False)
    #: the tags for which this calculation is the preferred one
    preferred_tags: tuple[str, ...] = field(default=(), compare=False)

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


@dataclass(frozen=True)
class User:
    """A user of the restricted server mode (the password hash is never returned)."""

    name: str
    org: str
    is_admin: bool


_NOT_COLUMNS = ("tags", "preferred_tags")
_CALC_COLUMNS = tuple(f.name for f in fields(CalcRecord) if f.name not in _NOT_COLUMNS)
_SELECT_CALC = f"SELECT {', '.join(_CALC_COLUMNS)} FROM calc"

#: ``order_by`` values accepted by :meth:`Catalogue.list` -> column (OpenQuake's names, plus
#: ``owner``, ``created`` and ``stop_time``).
ORDER_BY = {
    "id": "id",
    "start_time": "start_time",
    "stop_time": "stop_time",
    "created": "created",
    "user_name": "owner",
    "owner": "owner",
    "calculation_mode": "calculation_mode",
    "status": "status",
    "description": "description",
    "size_mb": "size_mb",
}

_USER_NAME = re.compile(r"[\w.@+-]{1,150}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_MAX_TOKEN_LEN = 256


def _record(row: Sequence[Any]) -> CalcRecord:
    values = dict(zip(_CALC_COLUMNS, row, strict=True))
    values["relevant"] = bool(values["relevant"])
    values["shared"] = bool(values["shared"])
    return CalcRecord(**values)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """Salted scrypt hash of ``password`` (RFC 7914), with its parameters:
    ``scrypt$<n>$<r>$<p>$<salt>$<hash>`` (salt and hash in base64)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT["n"],
                            r=_SCRYPT["r"], p=_SCRYPT["p"], dklen=_SCRYPT["dklen"])
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True if ``password`` matches the :func:`hash_password` string ``stored``
    (constant-time comparison; a malformed ``stored`` never matches)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        n_, r_, p_ = int(n), int(r), int(p)
        salt_b, expected = base64.b64decode(salt), base64.b64decode(digest)
    except (ValueError, TypeError, AttributeError):
        return False
    if scheme != "scrypt" or not expected:
        return False
    try:
        candidate = hashlib.scrypt(password.encode("utf-8"), salt=salt_b, n=n_, r=r_, p=p_,
                                   dklen=len(expected), maxmem=max(2**25, 256 * n_ * r_))
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(candidate, expected)


_DUMMY_HASH: list[str] = []


def _dummy_hash() -> str:
    """A hash to verify against for unknown users, so that timing does not reveal them."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(secrets.token_hex(8)))
    return _DUMMY_HASH[0]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_user_name(name: object) -> str:
    if not isinstance(name, str) or not _USER_NAME.fullmatch(name):
        raise InputError(
            f"invalid user name {name!r}: expected 1 to 150 letters, digits or . @ + - _"
        )
    return name


def _check_text(value: object, what: str, max_len: int, slash: bool = True) -> str:
    if (not isinstance(value, str) or not value.strip() or value != value.strip()
            or len(value) > max_len or _CONTROL.search(value) or (not slash and "/" in value)):
        extra = "" if slash else ", no '/'"
        raise InputError(
            f"invalid {what} {value!r}: expected 1 to {max_len} characters without "
            f"control characters or surrounding blanks{extra}"
        )
    return value


def _check_tag(name: object) -> str:
    return _check_text(name, "tag name", 100, slash=False)


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
        pid: int | None = None,
        input_dir: str | os.PathLike[str] | None = None,
    ) -> int:
        """Add a calculation in status ``created``; return its id.

        ``pid`` 0 marks a calculation queued by a server's job manager (OpenQuake reports
        ``pid: 0`` until the job starts); ``input_dir`` is where its uploaded inputs live.
        """
        if not isinstance(mode, str) or not mode:
            raise InputError(f"calculation mode must be a non-empty string, got {mode!r}")
        job = None if job_ini is None else os.fspath(job_ini)
        inputs = None if input_dir is None else os.fspath(input_dir)
        with self._write() as conn:
            if hazard_calculation_id is not None:
                self._require(conn, hazard_calculation_id)
            cur = conn.execute(
                "INSERT INTO calc (description, calculation_mode, owner, created, job_ini, "
                "hazard_calculation_id, pid, input_dir) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (str(description), mode, owner or _default_owner(), utc_now(), job,
                 hazard_calculation_id, pid, inputs),
            )
            calc_id = cur.lastrowid
        assert calc_id is not None
        return int(calc_id)

    @staticmethod
    def _require(conn: sqlite3.Connection, calc_id: int) -> tuple[Any, ...]:
        row = conn.execute(f"{_SELECT_CALC} WHERE id = ?", (int(calc_id),)).fetchone()
        if row is None:
            raise NotFound(f"calculation {calc_id} not found")
        return row

    @staticmethod
    def is_visible(record: CalcRecord, user: User | None) -> bool:
        """Whether ``user`` may see ``record``: anyone when ``user`` is None (public mode),
        an administrator always, another user only their own or shared calculations."""
        return user is None or user.is_admin or record.shared or record.owner == user.name

    def get(self, calc_id: int, *, visible_to: User | None = None) -> CalcRecord:
        """The record of ``calc_id`` (with its tags).

        Raises
        ------
        NotFound
            No such calculation, or ``visible_to`` may not see it (the same message, so that
            the existence of another user's calculation does not leak).
        """
        with self._read() as conn:
            record = _record(self._require(conn, calc_id))
            if not self.is_visible(record, visible_to):
                raise NotFound(f"calculation {calc_id} not found")
            return self._with_tags(conn, [record])[0]

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
        for key in ("job_ini", "datastore", "input_dir"):
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
            return self._with_tags(conn, [_record(self._require(conn, calc_id))])[0]

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

    def share(self, calc_id: int, shared: bool = True) -> CalcRecord:
        """Share (or unshare) ``calc_id``: every user may then see it; return the record."""
        with self._write() as conn:
            self._require(conn, calc_id)
            conn.execute("UPDATE calc SET shared = ? WHERE id = ?",
                         (int(bool(shared)), int(calc_id)))
            return self._with_tags(conn, [_record(self._require(conn, calc_id))])[0]

    def list(
        self,
        limit: int | None = 100,
        offset: int = 0,
        mode: str | None = None,
        status: str | None = None,
        owner: str | None = None,
        *,
        visible_to: User | None = None,
        tag: str | None = None,
        preferred_only: bool = False,
        is_running: bool | None = None,
        relevant: bool | None = None,
        shared: bool | None = None,
        user_name_like: str | None = None,
        order_by: str = "id",
        order_dir: str = "DESC",
    ) -> list[CalcRecord]:
        """Calculations (with their tags), newest (highest id) first by default.

        Parameters
        ----------
        limit, offset : int
            At most ``limit`` records (None: all) after skipping ``offset``.
        mode, status, owner : str, optional
            Exact calculation mode, status, owner.
        visible_to : User, optional
            Only what this user may see (:meth:`is_visible`); None: no restriction.
        tag : str, optional
            Only calculations carrying this tag; with ``preferred_only``, only the preferred
            calculation of the tag (without ``tag``: calculations preferred for any tag).
        is_running : bool, optional
            Only calculations that are (True) or are not (False) ``created``/``executing``.
        relevant, shared : bool, optional
            Only calculations with this ``relevant``/``shared`` flag.
        user_name_like : str, optional
            SQL ``LIKE`` pattern on the owner (``%`` any text, ``_`` one character).
        order_by : str
            One of :data:`ORDER_BY` (ties broken by id in the same direction).
        order_dir : str
            ``"ASC"`` or ``"DESC"`` (any case).
        """
        where, params = self._filters(
            mode, status, owner, visible_to=visible_to, tag=tag, preferred_only=preferred_only,
            is_running=is_running, relevant=relevant, shared=shared,
            user_name_like=user_name_like)
        column = ORDER_BY.get(order_by) if isinstance(order_by, str) else None
        if column is None:
            raise InputError(f"cannot order calculations by {order_by!r}; expected one of "
                             f"{sorted(ORDER_BY)}")
        direction = order_dir.upper() if isinstance(order_dir, str) else ""
        if direction not in ("ASC", "DESC"):
            raise InputError(f"order direction must be 'ASC' or 'DESC', got {order_dir!r}")
        limit_ = -1 if limit is None else int(limit)
        offset = int(offset)
        if (limit is not None and limit_ < 0) or offset < 0:
            raise InputError(f"limit and offset must be >= 0, got {limit} and {offset}")
        order = f"{column} {direction}" + ("" if column == "id" else f", id {direction}")
        with self._read() as conn:
            rows = conn.execute(
                f"{_SELECT_CALC}{where} ORDER BY {order} LIMIT ? OFFSET ?",
                (*params, limit_, offset),
            ).fetchall()
            return self._with_tags(conn, [_record(r) for r in rows])

    def count(
        self,
        mode: str | None = None,
        status: str | None = None,
        owner: str | None = None,
        **filters: Any,
    ) -> int:
        """Number of calculations matching the filters of :meth:`list` (the keyword-only
        ones too: ``visible_to``, ``tag``, ``preferred_only``, ``is_running``, ...)."""
        where, params = self._filters(mode, status, owner, **filters)
        with self._read() as conn:
            return int(conn.execute(f"SELECT COUNT(*) FROM calc{where}", params).fetchone()[0])

    @staticmethod
    def _filters(
        mode: str | None,
        status: str | None,
        owner: str | None,
        *,
        visible_to: User | None = None,
        tag: str | None = None,
        preferred_only: bool = False,
        is_running: bool | None = None,
        relevant: bool | None = None,
        shared: bool | None = None,
        user_name_like: str | None = None,
    ) -> tuple[str, tuple[Any, ...]]:
        if status is not None and status not in STATUSES:
            raise InputError(f"unknown calculation status {status!r}; expected one of {STATUSES}")
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("calculation_mode", mode), ("status", status), ("owner", owner)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        for column, flag in (("relevant", relevant), ("shared", shared)):
            if flag is not None:
                clauses.append(f"{column} = ?")
                params.append(int(bool(flag)))
        if is_running is not None:
            negate = "" if is_running else "NOT "
            clauses.append(f"status {negate}IN ('created', 'executing')")
        if user_name_like is not None:
            clauses.append("owner LIKE ?")
            params.append(str(user_name_like))
        if visible_to is not None and not visible_to.is_admin:
            clauses.append("(owner = ? OR shared = 1)")
            params.append(visible_to.name)
        if tag is not None or preferred_only:
            sub = "SELECT 1 FROM calc_tags t WHERE t.calc_id = calc.id"
            if tag is not None:
                sub += " AND t.tag = ?"
                params.append(str(tag))
            if preferred_only:
                sub += " AND t.is_preferred = 1"
            clauses.append(f"EXISTS ({sub})")
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return where, tuple(params)

    @staticmethod
    def _with_tags(conn: sqlite3.Connection, records: list[CalcRecord]) -> list[CalcRecord]:
        """The records with their ``tags`` (preferred first, then by name) filled in."""
        tags: dict[int, list[tuple[str, bool]]] = {}
        ids = [r.id for r in records]
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            rows = conn.execute(
                f"SELECT calc_id, tag, is_preferred FROM calc_tags WHERE calc_id IN "
                f"({', '.join('?' * len(chunk))}) ORDER BY is_preferred DESC, tag",
                chunk,
            ).fetchall()
            for calc_id, name, preferred in rows:
                tags.setdefault(calc_id, []).append((name, bool(preferred)))
        return [
            replace(r, tags=tuple(n for n, _ in tags[r.id]),
                    preferred_tags=tuple(n for n, p in tags[r.id] if p))
            if r.id in tags else r
            for r in records
        ]

    def remove(
        self, calc_id: int, *, before_commit: Callable[[CalcRecord], object] | None = None
    ) -> CalcRecord:
        """Delete ``calc_id``, its logs and tags; return the deleted record.

        Files are not touched, except by ``before_commit(record)``, called inside the delete
        transaction: if it raises, nothing is deleted from the catalogue. Of two concurrent
        removes of the same calculation one succeeds, the other gets :class:`NotFound`.
        """
        with self._write() as conn:
            record = _record(self._require(conn, calc_id))
            conn.execute("DELETE FROM calc WHERE id = ?", (int(calc_id),))
            if before_commit is not None:
                before_commit(record)
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

    def logs(self, calc_id: int, start: int = 0, stop: int | None = None) -> list[LogRecord]:
        """Same as :meth:`get_logs`."""
        return self.get_logs(calc_id, start, stop)

    def log_size(self, calc_id: int) -> int:
        """Number of log lines of ``calc_id`` (0 for an unknown calculation)."""
        with self._read() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM log WHERE calc_id = ?",
                                    (int(calc_id),)).fetchone()[0])

    # -- users and sessions ----------------------------------------------------------------
    def add_user(self, name: str, password: str, org: str, is_admin: bool = False) -> User:
        """Add a user with a salted scrypt hash of ``password``; return it.

        Raises
        ------
        InputError
            Invalid name (1 to 150 letters, digits or ``. @ + - _``), empty password or
            organisation, or a user of that name exists already.
        """
        _check_user_name(name)
        _check_text(org, "organisation", 200)
        if not isinstance(password, str) or not password:
            raise InputError(f"user {name!r}: the password must be a non-empty string")
        stored = hash_password(password)
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise InputError(f"user {name!r} already exists")
            conn.execute(
                "INSERT INTO users (name, org, is_admin, password_hash, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (name, org, int(bool(is_admin)), stored, utc_now()),
            )
        return User(name, org, bool(is_admin))

    def get_user(self, name: str) -> User | None:
        """The user called ``name``, or None."""
        with self._read() as conn:
            row = conn.execute("SELECT name, org, is_admin FROM users WHERE name = ?",
                               (str(name),)).fetchone()
        return None if row is None else User(row[0], row[1], bool(row[2]))

    def list_users(self) -> list[User]:
        """Every user, by name."""
        with self._read() as conn:
            rows = conn.execute("SELECT name, org, is_admin FROM users ORDER BY name").fetchall()
        return [User(n, o, bool(a)) for n, o, a in rows]

    def remove_user(self, name: str) -> None:
        """Delete a user and their sessions (their calculations stay);
        :class:`NotFound` if there is no such user."""
        with self._write() as conn:
            if conn.execute("DELETE FROM users WHERE name = ?", (str(name),)).rowcount == 0:
                raise NotFound(f"user {name!r} not found")

    def authenticate(self, name: str, password: str) -> User | None:
        """The user if ``password`` is theirs, else None (unknown users take as long)."""
        if not isinstance(name, str) or not isinstance(password, str):
            return None
        with self._read() as conn:
            row = conn.execute(
                "SELECT name, org, is_admin, password_hash FROM users WHERE name = ?", (name,)
            ).fetchone()
        if row is None:
            verify_password(password, _dummy_hash())
            return None
        if not verify_password(password, row[3]):
            return None
        return User(row[0], row[1], bool(row[2]))

    def create_session(self, user_name: str, ttl_s: float = 86400) -> str:
        """Open a session for ``user_name`` lasting ``ttl_s`` seconds; return its token
        (random, URL-safe; only its SHA-256 is stored). Expired sessions are purged."""
        try:
            ttl = float(ttl_s)
        except (TypeError, ValueError):
            ttl = math.nan
        if not (math.isfinite(ttl) and ttl >= 0):
            raise InputError(f"session lifetime must be a finite number >= 0, got {ttl_s!r}")
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self._write() as conn:
            if not conn.execute("SELECT 1 FROM users WHERE name = ?", (str(user_name),)
                                ).fetchone():
                raise NotFound(f"user {user_name!r} not found")
            conn.execute("DELETE FROM sessions WHERE expires <= ?", (now,))
            conn.execute(
                "INSERT INTO sessions (token_hash, user_name, created, expires) "
                "VALUES (?, ?, ?, ?)",
                (_token_hash(token), str(user_name), utc_now(), now + ttl),
            )
        return token

    def session_user(self, token: str | None) -> User | None:
        """The user of a live session token, or None (unknown, expired, malformed)."""
        if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_LEN:
            return None
        with self._read() as conn:
            row = conn.execute(
                "SELECT u.name, u.org, u.is_admin FROM sessions s "
                "JOIN users u ON u.name = s.user_name WHERE s.token_hash = ? AND s.expires > ?",
                (_token_hash(token), time.time()),
            ).fetchone()
        return None if row is None else User(row[0], row[1], bool(row[2]))

    def delete_session(self, token: str | None) -> None:
        """End a session (nothing happens for an unknown token)."""
        if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_LEN:
            return
        with self._write() as conn:
            conn.execute("DELETE FROM sessions WHERE token_hash = ?", (_token_hash(token),))

    # -- tags --------------------------------------------------------------------------------
    def create_tag(self, name: str) -> bool:
        """Create a tag; True if it is new, False if it existed already."""
        _check_tag(name)
        with self._write() as conn:
            cur = conn.execute("INSERT OR IGNORE INTO tags (name, created) VALUES (?, ?)",
                               (name, utc_now()))
            return cur.rowcount == 1

    def delete_tag(self, name: str) -> None:
        """Delete a tag (calculations lose it); :class:`NotFound` if there is no such tag."""
        with self._write() as conn:
            if conn.execute("DELETE FROM tags WHERE name = ?", (str(name),)).rowcount == 0:
                raise NotFound(f"tag {name!r} not found")

    def list_tags(self) -> list[str]:
        """Every tag name, sorted."""
        with self._read() as conn:
            return [r[0] for r in conn.execute("SELECT name FROM tags ORDER BY name")]

    def add_tag(self, calc_id: int, name: str) -> None:
        """Tag ``calc_id`` with ``name`` (the tag is created if needed, as OpenQuake does);
        nothing changes if it carries the tag already."""
        _check_tag(name)
        with self._write() as conn:
            self._require(conn, calc_id)
            conn.execute("INSERT OR IGNORE INTO tags (name, created) VALUES (?, ?)",
                         (name, utc_now()))
            conn.execute("INSERT OR IGNORE INTO calc_tags (calc_id, tag) VALUES (?, ?)",
                         (int(calc_id), name))

    def remove_tag(self, calc_id: int, name: str) -> None:
        """Remove a tag from ``calc_id`` (the tag itself stays);
        :class:`NotFound` if the calculation does not carry it."""
        with self._write() as conn:
            self._require(conn, calc_id)
            cur = conn.execute("DELETE FROM calc_tags WHERE calc_id = ? AND tag = ?",
                               (int(calc_id), str(name)))
            if cur.rowcount == 0:
                raise NotFound(f"calculation {calc_id} has no tag {name!r}")

    def tags_of(self, calc_id: int) -> list[str]:
        """The tags of ``calc_id``, the preferred ones first, then by name."""
        return list(self.get(calc_id).tags)

    def set_preferred(self, calc_id: int, tag: str) -> None:
        """Make ``calc_id`` the preferred calculation of ``tag`` (tagging it first if needed;
        the previous preferred calculation of the tag stops being preferred)."""
        _check_tag(tag)
        with self._write() as conn:
            self._require(conn, calc_id)
            conn.execute("INSERT OR IGNORE INTO tags (name, created) VALUES (?, ?)",
                         (tag, utc_now()))
            conn.execute("UPDATE calc_tags SET is_preferred = 0 WHERE tag = ?", (tag,))
            conn.execute(
                "INSERT INTO calc_tags (calc_id, tag, is_preferred) VALUES (?, ?, 1) "
                "ON CONFLICT (calc_id, tag) DO UPDATE SET is_preferred = 1",
                (int(calc_id), tag),
            )

    def unset_preferred(self, tag: str) -> None:
        """``tag`` has no preferred calculation any more; :class:`NotFound` for an unknown
        tag."""
        with self._write() as conn:
            if not conn.execute("SELECT 1 FROM tags WHERE name = ?", (str(tag),)).fetchone():
                raise NotFound(f"tag {tag!r} not found")
            conn.execute("UPDATE calc_tags SET is_preferred = 0 WHERE tag = ?", (str(tag),))

    def get_preferred(self, tag: str) -> int | None:
        """The preferred calculation of ``tag``, or None (also for an unknown tag)."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT calc_id FROM calc_tags WHERE tag = ? AND is_preferred = 1", (str(tag),)
            ).fetchone()
        return None if row is None else int(row[0])


    # -- API keys (schema 3) -----------------------------------------------------------------
    def create_api_key(self, user: str, name: str = "") -> str:
        """Create a personal API key for ``user``; return it (it is shown once: only its
        SHA-256 is stored).

        The key is ``<prefix>.<secret>``: the 8-character prefix identifies the key in
        :meth:`list_api_keys` and :meth:`revoke_api_key`; the secret is 256 random bits.

        Raises
        ------
        NotFound
            No such user.
        """
        label = "" if name is None else str(name)
        if len(label) > 200 or _CONTROL.search(label):
            raise InputError(f"invalid API key name {name!r}: at most 200 characters without "
                             "control characters")
        with self._write() as conn:
            if not conn.execute("SELECT 1 FROM users WHERE name = ?", (str(user),)).fetchone():
                raise NotFound(f"user {user!r} not found")
            while True:
                prefix = secrets.token_hex(4)
                if not conn.execute("SELECT 1 FROM api_keys WHERE prefix = ?",
                                    (prefix,)).fetchone():
                    break
            key = f"{prefix}.{secrets.token_urlsafe(32)}"
            conn.execute(
                "INSERT INTO api_keys (prefix, key_hash, user_name, name, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (prefix, _token_hash(key), str(user), label, utc_now()),
            )
        return key

    def user_for_api_key(self, key: str | None) -> User | None:
        """The user of an API key, or None (unknown, revoked, malformed)."""
        if not isinstance(key, str) or not key or len(key) > _MAX_TOKEN_LEN:
            return None
        with self._read() as conn:
            row = conn.execute(
                "SELECT u.name, u.org, u.is_admin FROM api_keys k "
                "JOIN users u ON u.name = k.user_name WHERE k.key_hash = ?",
                (_token_hash(key),),
            ).fetchone()
        return None if row is None else User(row[0], row[1], bool(row[2]))

    def list_api_keys(self, user: str | None = None) -> list[dict[str, str]]:
        """``[{"prefix", "user", "name", "created"}]`` of every key (of ``user`` if given)."""
        sql = "SELECT prefix, user_name, name, created FROM api_keys"
        params: tuple[Any, ...] = ()
        if user is not None:
            sql += " WHERE user_name = ?"
            params = (str(user),)
        with self._read() as conn:
            rows = conn.execute(sql + " ORDER BY created, prefix", params).fetchall()
        return [{"prefix": p, "user": u, "name": n, "created": c} for p, u, n, c in rows]

    def revoke_api_key(self, prefix: str) -> None:
        """Delete the key with this prefix; :class:`NotFound` if there is none."""
        with self._write() as conn:
            if conn.execute("DELETE FROM api_keys WHERE prefix = ?",
                            (str(prefix),)).rowcount == 0:
                raise NotFound(f"API key {prefix!r} not found")

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
