"""The scenario catalogue: scenarios, their results and rasters, and background tasks.

Tables in the catalogue's SQLite file (schema 3 of :mod:`toolkit.store.catalogue`), files under
``<data_dir>/scenarios/<scenario uuid>/``:

``scenarios``
    One row per scenario with Lizard API v4's fields (``name``, ``organisation``,
    ``access_modifier``, ``simulation_*``, ``model_*``, ``supplier``, ``extra_metadata``,
    ``project``, the spatial fields ``projection, origin_x/y, upper_bound_x/y, pixelsize_x/y``),
    and ``has_raw_results`` / ``total_size``, kept up to date in the same transaction as every
    change of the scenario's files. ``calc_id`` names the engine calculation a scenario was
    published from.
``scenario_results``
    ``id`` (integer, never reused), ``name, code, description, family`` (``Raw``, ``Basic``,
    ``Arrival``, ``Damage``, ``Tiles``), ``raster_uuid``, the attached ``file`` (path relative to
    the data directory), its ``filename`` and ``size``, and ``deleting`` (scheduled for
    deletion: hidden at once, purged in the background).
``scenario_rasters``
    The rasters that results link to (``/api/v4/rasters/{uuid}/``): ``file`` (a GeoTIFF; bands
    are time steps of a ``temporal`` raster), ``unit`` and ``parameter`` (observation type).
``tasks``
    Background work (``process`` of raw 3Di results, ``raster-export``): ``status`` ``PENDING``
    -> ``STARTED`` -> ``SUCCESS`` | ``FAILURE``, the result ``file`` and a ``detail`` message.

Nothing is ever half-written: a file enters the catalogue by an atomic rename from a work
directory on the same file system *inside* the write transaction that records it, so a reader
sees the old file or the new one; files a transaction made unreferenced are removed after it
commits. Deleting a scenario deletes its rows in one transaction, then its folder; a
transaction adding files to a scenario that no longer exists fails with :class:`NotFound` and
its work files are discarded by the caller.

Visibility (``visible_to`` a :class:`~toolkit.store.catalogue.User`; None means no
restriction): an administrator sees everything; another user sees ``Public`` and ``Common``
scenarios, the ``Private`` ones of their organisation, and the ``Hidden`` ones they supplied.
The same rule decides who sees a scenario's results, rasters and tasks; changing a scenario
needs an administrator, its supplier or a member of its organisation
(:meth:`ScenarioStore.can_change`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import time
import uuid as uuidlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from toolkit.errors import InputError, NotFound
from toolkit.store.catalogue import Catalogue, User

__all__ = [
    "ScenarioStore",
    "Scenario",
    "ScenarioResult",
    "RasterRecord",
    "Task",
    "NewResult",
    "FAMILIES",
    "ACCESS_MODIFIERS",
    "TASK_STATUSES",
    "FILTER_FIELDS",
    "ORDERING_FIELDS",
    "timestamp",
    "parse_timestamp",
]

#: result families in list order (Lizard lists Raw, then Basic, Arrival, Damage)
FAMILIES = ("Raw", "Basic", "Arrival", "Damage", "Tiles")
ACCESS_MODIFIERS = ("Public", "Common", "Private", "Hidden")
TASK_STATUSES = ("PENDING", "STARTED", "SUCCESS", "FAILURE")
_FINAL_TASK = ("SUCCESS", "FAILURE")

#: scenario columns that filters may name -> column
FILTER_FIELDS = {
    "uuid": "uuid", "name": "name", "model_name": "model_name",
    "model_identifier": "model_identifier", "model_revision": "model_revision",
    "simulation_identifier": "simulation_identifier", "organisation": "organisation",
    "supplier": "supplier", "username": "supplier", "access_modifier": "access_modifier",
    "project": "project", "source": "source", "created": "created",
    "last_modified": "last_modified", "simulation_start": "simulation_start",
    "simulation_end": "simulation_end", "total_size": "total_size",
}
#: ``ordering`` names (Lizard's, plus a few) -> column
ORDERING_FIELDS = {
    "created": "created", "last_modified": "last_modified", "name": "name",
    "organisation__name": "organisation", "organisation": "organisation",
    "username": "supplier", "supplier": "supplier", "model_name": "model_name",
    "total_size": "total_size", "simulation_start": "simulation_start", "uuid": "uuid",
}
_LOOKUPS = ("exact", "iexact", "startswith", "istartswith", "contains", "icontains", "isnull",
            "lt", "lte", "gt", "gte")

#: scenario fields that :meth:`ScenarioStore.create` and :meth:`ScenarioStore.update` set
_WRITABLE = ("name", "source", "description", "organisation", "access_modifier",
             "simulation_identifier", "simulation_start", "simulation_end", "supplier",
             "model_identifier", "model_revision", "model_name", "extra_metadata", "project",
             "projection", "origin_x", "origin_y", "upper_bound_x", "upper_bound_y",
             "pixelsize_x", "pixelsize_y", "calc_id")
_SPATIAL = ("projection", "origin_x", "origin_y", "upper_bound_x", "upper_bound_y",
            "pixelsize_x", "pixelsize_y")
_FILENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._()+-]{0,199}")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._()+-]{0,99}")
_WORK_MAX_AGE_S = 86400.0
_EXPORT_MAX_AGE_S = 7 * 86400.0


def timestamp(when: datetime | None = None) -> str:
    """UTC time as Lizard writes it: ``2019-12-16T19:42:54.016209Z`` (fixed width, so that
    strings sort as times)."""
    when = datetime.now(UTC) if when is None else when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(value: Any, what: str = "time") -> str:
    """An ISO 8601 date or date-time (``Z``/offset or naive = UTC) as :func:`timestamp` text.

    Raises
    ------
    InputError
        Not an ISO 8601 date-time.
    """
    if isinstance(value, datetime):
        when = value
    else:
        text = str(value).strip()
        try:
            when = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            raise InputError(f"{what}: {value!r} is not an ISO 8601 date-time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return timestamp(when)


@dataclass(frozen=True)
class Scenario:
    """One scenario (times are :func:`timestamp` strings; ``organisation`` is a name, '' for
    none)."""

    uuid: str
    name: str
    source: str
    description: str
    organisation: str
    access_modifier: str
    created: str
    last_modified: str
    simulation_identifier: str | None
    simulation_start: str | None
    simulation_end: str | None
    supplier: str
    model_identifier: str | None
    model_revision: str | None
    model_name: str | None
    has_raw_results: bool
    total_size: int
    extra_metadata: dict[str, Any]
    project: str | None
    projection: str | None
    origin_x: float | None
    origin_y: float | None
    upper_bound_x: float | None
    upper_bound_y: float | None
    pixelsize_x: float | None
    pixelsize_y: float | None
    calc_id: int | None


@dataclass(frozen=True)
class ScenarioResult:
    """One result of a scenario; ``file`` is relative to the data directory (None: no
    attachment)."""

    id: int
    scenario_uuid: str
    name: str
    code: str
    description: str | None
    family: str
    raster_uuid: str | None
    file: str | None
    filename: str | None
    size: int
    deleting: bool
    created: str
    last_modified: str


@dataclass(frozen=True)
class RasterRecord:
    """A raster linked from results; ``file`` is a GeoTIFF relative to the data directory."""

    uuid: str
    scenario_uuid: str
    name: str
    code: str
    file: str | None
    size: int
    temporal: bool
    unit: str
    parameter: str
    created: str
    last_modified: str


@dataclass(frozen=True)
class Task:
    """A background task (``file``: its output, relative to the data directory)."""

    uuid: str
    kind: str
    status: str
    owner: str
    scenario_uuid: str | None
    file: str | None
    detail: str | None
    created: str
    last_modified: str


@dataclass(frozen=True)
class NewResult:
    """A result to add to a scenario (or to replace: same code) by
    :meth:`ScenarioStore.publish`.

    ``file`` (the attachment) and ``raster_file`` (a GeoTIFF served as the result's raster)
    are MOVED into the catalogue; they must lie on the data directory's file system (use
    :meth:`ScenarioStore.work_dir`).
    """

    code: str
    family: str
    name: str
    description: str | None = None
    file: Path | None = None
    filename: str | None = None
    raster_file: Path | None = None
    temporal: bool = False
    unit: str = ""
    parameter: str = ""


_SCENARIO_COLUMNS = tuple(f.name for f in fields(Scenario))
_RESULT_COLUMNS = tuple(f.name for f in fields(ScenarioResult))
_RASTER_COLUMNS = tuple(f.name for f in fields(RasterRecord))
_TASK_COLUMNS = tuple(f.name for f in fields(Task))
_FAMILY_RANK = "CASE family " + " ".join(
    f"WHEN '{f}' THEN {i}" for i, f in enumerate(FAMILIES)) + " END"


def _scenario(row: Sequence[Any]) -> Scenario:
    values = dict(zip(_SCENARIO_COLUMNS, row, strict=True))
    values["has_raw_results"] = bool(values["has_raw_results"])
    try:
        values["extra_metadata"] = json.loads(values["extra_metadata"] or "{}")
    except ValueError:
        values["extra_metadata"] = {}
    return Scenario(**values)


def _result(row: Sequence[Any]) -> ScenarioResult:
    values = dict(zip(_RESULT_COLUMNS, row, strict=True))
    values["deleting"] = bool(values["deleting"])
    return ScenarioResult(**values)


def _raster(row: Sequence[Any]) -> RasterRecord:
    values = dict(zip(_RASTER_COLUMNS, row, strict=True))
    values["temporal"] = bool(values["temporal"])
    return RasterRecord(**values)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def check_filename(name: object) -> str:
    """A file name safe to store and to put in a URL (no path, no leading dot)."""
    if not isinstance(name, str) or not _FILENAME.fullmatch(name):
        raise InputError(f"invalid file name {name!r}: expected 1 to 200 letters, digits or "
                         "._()+- not starting with a dot")
    return name


def _check_code(code: object) -> str:
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise InputError(f"invalid result code {code!r}: expected 1 to 100 letters, digits or "
                         "._()+-")
    return code


def _check_family(family: object) -> str:
    if family not in FAMILIES:
        raise InputError(f"invalid family {family!r}: expected one of {', '.join(FAMILIES)}")
    return str(family)


def _check_name(name: object, what: str = "name") -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise InputError(f"invalid {what} {name!r}: expected 1 to 255 characters")
    return name


class ScenarioStore:
    """The scenario catalogue over a :class:`~toolkit.store.catalogue.Catalogue`.

    Parameters
    ----------
    catalogue : Catalogue
        Its SQLite file holds the tables (schema 3); its connection and lock are shared, so a
        store may be used by several threads.
    data_dir : path-like
        The data directory; files live under ``<data_dir>/scenarios/``.
    """

    def __init__(self, catalogue: Catalogue, data_dir: str | os.PathLike[str]) -> None:
        self.catalogue = catalogue
        self.data_dir = Path(data_dir)
        self.root = self.data_dir / "scenarios"
        self.work = self.root / ".work"
        #: outputs of raster export tasks, one folder per task (pruned after 7 days)
        self.exports = self.data_dir / "exports"

    # -- plumbing --------------------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self.catalogue._read() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self.catalogue._write() as conn:
            yield conn

    def path(self, relative: str) -> Path:
        """Absolute path of a file recorded in the catalogue."""
        return self.data_dir / relative

    def work_dir(self) -> Path:
        """A fresh folder on the data directory's file system for files about to be added
        (remove it when done; leftovers older than a day are swept by :meth:`recover`)."""
        path = self.work / uuidlib.uuid4().hex
        path.mkdir(parents=True)
        return path

    def _unlink_unreferenced(self, conn: sqlite3.Connection, candidates: set[str]) -> list[str]:
        """The candidate files no row refers to any more (to unlink after commit)."""
        gone = []
        for rel in candidates:
            if rel and not conn.execute(
                    "SELECT 1 FROM scenario_results WHERE file = ? UNION ALL "
                    "SELECT 1 FROM scenario_rasters WHERE file = ? LIMIT 1",
                    (rel, rel)).fetchone():
                gone.append(rel)
        return gone

    def _remove_files(self, relatives: Sequence[str]) -> None:
        for rel in relatives:
            try:
                self.path(rel).unlink(missing_ok=True)
            except OSError:
                pass  # an orphan file is harmless

    def _move_in(self, conn: sqlite3.Connection, scenario_uuid: str, source: Path,
                 filename: str) -> tuple[str, int]:
        """Move ``source`` into the scenario's folder (atomic rename); return its relative path
        and size. Called inside a write transaction."""
        folder = self.root / scenario_uuid
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{uuidlib.uuid4().hex[:12]}-{check_filename(filename)}"
        size = source.stat().st_size
        os.replace(source, target)
        return str(target.relative_to(self.data_dir)), size

    @staticmethod
    def _require_scenario(conn: sqlite3.Connection, scenario_uuid: str) -> Scenario:
        row = conn.execute(f"SELECT {', '.join(_SCENARIO_COLUMNS)} FROM scenarios WHERE uuid = ?",
                           (str(scenario_uuid),)).fetchone()
        if row is None:
            raise NotFound(f"scenario {scenario_uuid} not found")
        return _scenario(row)

    @staticmethod
    def _refresh(conn: sqlite3.Connection, scenario_uuid: str) -> None:
        """Recompute ``total_size`` and ``has_raw_results``; touch ``last_modified``."""
        total = conn.execute(
            "SELECT COALESCE(SUM(size), 0) FROM ("
            " SELECT file, size FROM scenario_results"
            "  WHERE scenario_uuid = :u AND deleting = 0 AND file IS NOT NULL"
            " UNION"
            " SELECT r.file, r.size FROM scenario_rasters r"
            "  WHERE r.scenario_uuid = :u AND r.file IS NOT NULL AND EXISTS ("
            "   SELECT 1 FROM scenario_results s WHERE s.raster_uuid = r.uuid AND s.deleting = 0))",
            {"u": scenario_uuid}).fetchone()[0]
        raw = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM scenario_results WHERE scenario_uuid = ? AND "
            "family = 'Raw' AND deleting = 0 AND file IS NOT NULL)",
            (scenario_uuid,)).fetchone()[0]
        conn.execute("UPDATE scenarios SET total_size = ?, has_raw_results = ?, "
                     "last_modified = ? WHERE uuid = ?",
                     (int(total), int(raw), timestamp(), scenario_uuid))

    # -- visibility --------------------------------------------------------------------------
    @staticmethod
    def is_visible(scenario: Scenario, user: User | None) -> bool:
        """Whether ``user`` may see ``scenario`` (None: no restriction); see the module doc."""
        if user is None or user.is_admin:
            return True
        access = scenario.access_modifier
        if access in ("Public", "Common"):
            return True
        if access == "Private":
            return (bool(user.org) and scenario.organisation == user.org) or (
                scenario.supplier == user.name)
        return scenario.supplier == user.name  # Hidden

    @staticmethod
    def can_change(scenario: Scenario, user: User | None) -> bool:
        """Administrators, the supplier and members of the scenario's organisation (and
        anyone when ``user`` is None) may change a scenario and its results."""
        if user is None or user.is_admin or scenario.supplier == user.name:
            return True
        return bool(user.org) and scenario.organisation == user.org

    @staticmethod
    def _visibility(user: User | None, alias: str = "") -> tuple[str, list[Any]]:
        if user is None or user.is_admin:
            return "", []
        a = f"{alias}." if alias else ""
        return (f"({a}access_modifier IN ('Public', 'Common') OR ({a}access_modifier = "
                f"'Private' AND ({a}organisation = ? AND ? != '')) OR {a}supplier = ?)",
                [user.org, user.org, user.name])

    # -- scenarios ---------------------------------------------------------------------------
    def create(self, name: str, *, uuid: str | None = None, **values: Any) -> Scenario:
        """Add a scenario; return it.

        Keyword arguments are the writable fields (``description``, ``organisation``,
        ``access_modifier`` (default ``Private``), ``supplier``, ``source``,
        ``simulation_identifier``, ``simulation_start``, ``simulation_end`` (ISO 8601),
        ``model_identifier``, ``model_revision``, ``model_name``, ``extra_metadata`` (a dict),
        ``project``, the spatial fields and ``calc_id``).
        """
        values = self._check_values({"name": name, **values})
        key = str(uuidlib.UUID(str(uuid))) if uuid is not None else str(uuidlib.uuid4())
        now = timestamp()
        values.setdefault("access_modifier", "Private")
        columns = ["uuid", "created", "last_modified", *values]
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM scenarios WHERE uuid = ?", (key,)).fetchone():
                raise InputError(f"scenario {key} exists already")
            conn.execute(
                f"INSERT INTO scenarios ({', '.join(columns)}) VALUES "
                f"({', '.join('?' * len(columns))})", (key, now, now, *values.values()))
            return self._require_scenario(conn, key)

    def _check_values(self, values: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(values) - set(_WRITABLE))
        if unknown:
            raise InputError(f"unknown scenario field(s) {unknown}; writable: {list(_WRITABLE)}")
        out: dict[str, Any] = {}
        for key, value in values.items():
            if key == "name":
                value = _check_name(value)
            elif key == "access_modifier":
                if value not in ACCESS_MODIFIERS:
                    raise InputError(f"invalid access_modifier {value!r}: expected one of "
                                     f"{', '.join(ACCESS_MODIFIERS)}")
            elif key in ("simulation_start", "simulation_end"):
                value = None if value in (None, "") else parse_timestamp(value, key)
            elif key == "extra_metadata":
                if value is None:
                    value = {}
                if not isinstance(value, dict):
                    raise InputError(f"extra_metadata must be a JSON object, got {value!r}")
                value = json.dumps(value, sort_keys=True)
            elif key in ("origin_x", "origin_y", "upper_bound_x", "upper_bound_y",
                         "pixelsize_x", "pixelsize_y"):
                value = None if value is None else float(value)
            elif key == "calc_id":
                value = None if value is None else int(value)
            elif key in ("description", "organisation", "supplier", "source"):
                value = "" if value is None else str(value)
            elif value is not None:
                value = str(value)
            out[key] = value
        return out

    def get(self, scenario_uuid: str, *, visible_to: User | None = None) -> Scenario:
        """The scenario ``scenario_uuid``.

        Raises
        ------
        NotFound
            No such scenario, or ``visible_to`` may not see it (same message: no existence
            leak).
        """
        try:
            key = str(uuidlib.UUID(str(scenario_uuid)))
        except ValueError:
            raise NotFound(f"scenario {scenario_uuid} not found") from None
        with self._read() as conn:
            scenario = self._require_scenario(conn, key)
        if not self.is_visible(scenario, visible_to):
            raise NotFound(f"scenario {scenario_uuid} not found")
        return scenario

    def _where(self, lookups: Sequence[tuple[str, str, Any]],
               visible_to: User | None) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for field, op, value in lookups:
            column = FILTER_FIELDS.get(field)
            if column is None:
                raise InputError(f"cannot filter scenarios by {field!r}; filters: "
                                 f"{sorted(FILTER_FIELDS)}")
            if op not in _LOOKUPS:
                raise InputError(f"unknown lookup {field}__{op}; lookups: {list(_LOOKUPS)}")
            if op == "isnull":
                negate = "" if value else "NOT "
                clauses.append(f"{negate}({column} IS NULL OR {column} = '')")
                continue
            if op == "exact":
                clauses.append(f"{column} = ?")
            elif op == "iexact":
                clauses.append(f"{column} = ? COLLATE NOCASE")
            elif op == "startswith":
                clauses.append(f"substr({column}, 1, length(?)) = ?")
                params.append(value)
            elif op == "istartswith":
                clauses.append(f"{column} LIKE ? ESCAPE '\\'")
                value = _like_escape(str(value)) + "%"
            elif op == "contains":
                clauses.append(f"instr({column}, ?) > 0")
            elif op == "icontains":
                clauses.append(f"{column} LIKE ? ESCAPE '\\'")
                value = "%" + _like_escape(str(value)) + "%"
            else:
                clauses.append(f"{column} {dict(lt='<', lte='<=', gt='>', gte='>=')[op]} ?")
            params.append(value)
        vis, vparams = self._visibility(visible_to)
        if vis:
            clauses.append(vis)
            params += vparams
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def list(self, lookups: Sequence[tuple[str, str, Any]] = (), *,
             visible_to: User | None = None, ordering: Sequence[str] = ("-created",),
             limit: int | None = None, offset: int = 0) -> list[Scenario]:
        """Scenarios matching every lookup ``(field, op, value)``, in ``ordering``.

        Parameters
        ----------
        lookups : sequence of (field, op, value)
            ``field`` from :data:`FILTER_FIELDS`; ``op`` one of exact, iexact, startswith,
            istartswith, contains, icontains (ASCII case folding), isnull, lt, lte, gt, gte;
            time values as :func:`timestamp` strings.
        visible_to : User, optional
            Only the scenarios this user may see.
        ordering : sequence of str
            Names of :data:`ORDERING_FIELDS`, ``-`` for descending; ties by uuid (in the
            direction of the last name, so that an index on ``(column, uuid)`` serves it).
        limit, offset : int
            Paging (None: all).
        """
        where, params = self._where(lookups, visible_to)
        order = []
        desc = False
        for name in ordering:
            desc = name.startswith("-")
            column = ORDERING_FIELDS.get(name.lstrip("-"))
            if column is None:
                raise InputError(f"cannot order scenarios by {name!r}; fields: "
                                 f"{sorted(ORDERING_FIELDS)}")
            order.append(f"{column} {'DESC' if desc else 'ASC'}")
        order.append(f"uuid {'DESC' if desc else 'ASC'}")  # same direction: index order
        sql = (f"SELECT {', '.join(_SCENARIO_COLUMNS)} FROM scenarios{where} "
               f"ORDER BY {', '.join(order)} LIMIT ? OFFSET ?")
        with self._read() as conn:
            rows = conn.execute(sql, (*params, -1 if limit is None else int(limit),
                                      int(offset))).fetchall()
        return [_scenario(r) for r in rows]

    def count(self, lookups: Sequence[tuple[str, str, Any]] = (), *,
              visible_to: User | None = None) -> int:
        """Number of scenarios :meth:`list` would return without paging."""
        where, params = self._where(lookups, visible_to)
        with self._read() as conn:
            return int(conn.execute(f"SELECT COUNT(*) FROM scenarios{where}",
                                    params).fetchone()[0])

    def update(self, scenario_uuid: str, **values: Any) -> Scenario:
        """Change writable fields of a scenario (see :meth:`create`); return it."""
        values = self._check_values(values)
        with self._write() as conn:
            self._require_scenario(conn, scenario_uuid)
            if values:
                sets = ", ".join(f"{k} = ?" for k in values)
                conn.execute(f"UPDATE scenarios SET {sets}, last_modified = ? WHERE uuid = ?",
                             (*values.values(), timestamp(), scenario_uuid))
            return self._require_scenario(conn, scenario_uuid)

    def delete(self, scenario_uuid: str) -> Scenario:
        """Delete a scenario, its results and rasters (one transaction), then its files.

        Tasks of the scenario are kept (a running one fails when it tries to add files)."""
        with self._write() as conn:
            scenario = self._require_scenario(conn, scenario_uuid)
            conn.execute("DELETE FROM scenarios WHERE uuid = ?", (scenario.uuid,))
        shutil.rmtree(self.root / scenario.uuid, ignore_errors=True)
        return scenario

    # -- results -----------------------------------------------------------------------------
    def add_result(self, scenario_uuid: str, *, name: str, code: str, family: str,
                   description: str | None = None, raster_uuid: str | None = None
                   ) -> ScenarioResult:
        """Add a result without attachment (a file is added later by :meth:`attach`)."""
        _check_name(name)
        _check_code(code)
        _check_family(family)
        now = timestamp()
        with self._write() as conn:
            self._require_scenario(conn, scenario_uuid)
            if raster_uuid is not None:
                self._require_raster(conn, raster_uuid, scenario_uuid)
            cur = conn.execute(
                "INSERT INTO scenario_results (scenario_uuid, name, code, description, family, "
                "raster_uuid, created, last_modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (scenario_uuid, name, code, description, family, raster_uuid, now, now))
            conn.execute("UPDATE scenarios SET last_modified = ? WHERE uuid = ?",
                         (now, scenario_uuid))
            return self._require_result(conn, scenario_uuid, int(cur.lastrowid or 0))

    @staticmethod
    def _require_result(conn: sqlite3.Connection, scenario_uuid: str,
                        result_id: int) -> ScenarioResult:
        row = conn.execute(
            f"SELECT {', '.join(_RESULT_COLUMNS)} FROM scenario_results WHERE id = ? AND "
            "scenario_uuid = ? AND deleting = 0", (int(result_id), str(scenario_uuid))).fetchone()
        if row is None:
            raise NotFound(f"result {result_id} of scenario {scenario_uuid} not found")
        return _result(row)

    @staticmethod
    def _require_raster(conn: sqlite3.Connection, raster_uuid: str,
                        scenario_uuid: str | None = None) -> RasterRecord:
        row = conn.execute(f"SELECT {', '.join(_RASTER_COLUMNS)} FROM scenario_rasters "
                           "WHERE uuid = ?", (str(raster_uuid),)).fetchone()
        if row is None or (scenario_uuid is not None and row[1] != scenario_uuid):
            raise NotFound(f"raster {raster_uuid} not found")
        return _raster(row)

    def get_result(self, scenario_uuid: str, result_id: int) -> ScenarioResult:
        """One result (not scheduled for deletion)."""
        with self._read() as conn:
            return self._require_result(conn, scenario_uuid, result_id)

    def list_results(self, scenario_uuid: str, *, family: str | None = None,
                     limit: int | None = None, offset: int = 0) -> list[ScenarioResult]:
        """The results of a scenario (those scheduled for deletion excluded): Raw, Basic,
        Arrival, Damage, Tiles, each in creation order."""
        where, params = "scenario_uuid = ? AND deleting = 0", [str(scenario_uuid)]
        if family is not None:
            where += " AND family = ?"
            params.append(_check_family(family))
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(_RESULT_COLUMNS)} FROM scenario_results WHERE {where} "
                f"ORDER BY {_FAMILY_RANK}, id LIMIT ? OFFSET ?",
                (*params, -1 if limit is None else int(limit), int(offset))).fetchall()
        return [_result(r) for r in rows]

    def count_results(self, scenario_uuid: str, *, family: str | None = None) -> int:
        where, params = "scenario_uuid = ? AND deleting = 0", [str(scenario_uuid)]
        if family is not None:
            where += " AND family = ?"
            params.append(_check_family(family))
        with self._read() as conn:
            return int(conn.execute(f"SELECT COUNT(*) FROM scenario_results WHERE {where}",
                                    params).fetchone()[0])

    def update_result(self, scenario_uuid: str, result_id: int, **values: Any
                      ) -> ScenarioResult:
        """Change ``name``, ``code``, ``description``, ``family`` or ``raster_uuid`` (a raster
        of the same scenario, or None)."""
        allowed = ("name", "code", "description", "family", "raster_uuid")
        unknown = sorted(set(values) - set(allowed))
        if unknown:
            raise InputError(f"unknown result field(s) {unknown}; writable: {list(allowed)}")
        if "name" in values:
            _check_name(values["name"])
        if "code" in values:
            _check_code(values["code"])
        if "family" in values:
            _check_family(values["family"])
        with self._write() as conn:
            self._require_result(conn, scenario_uuid, result_id)
            if values.get("raster_uuid") is not None:
                self._require_raster(conn, values["raster_uuid"], scenario_uuid)
            if values:
                sets = ", ".join(f"{k} = ?" for k in values)
                conn.execute(f"UPDATE scenario_results SET {sets}, last_modified = ? "
                             "WHERE id = ?", (*values.values(), timestamp(), int(result_id)))
                self._refresh(conn, scenario_uuid)
            return self._require_result(conn, scenario_uuid, result_id)

    def attach(self, scenario_uuid: str, result_id: int, source: str | os.PathLike[str],
               filename: str, *, raster: bool = False, temporal: bool = False,
               unit: str = "", parameter: str = "") -> ScenarioResult:
        """Make ``source`` the attachment of a result (moved in atomically); return the result.

        With ``raster`` the file (a GeoTIFF) also becomes the data of the result's raster (a
        raster is created when the result has none). The previous file is removed after the
        transaction commits; of two concurrent attachments the later one wins, whole.

        Raises
        ------
        NotFound
            The scenario or result no longer exists (or is scheduled for deletion); ``source``
            is left in place for the caller to remove.
        """
        filename = check_filename(filename)
        source = Path(source)
        with self._write() as conn:
            result = self._require_result(conn, scenario_uuid, result_id)
            rel, size = self._move_in(conn, scenario_uuid, source, filename)
            old = {result.file} if result.file else set()
            now = timestamp()
            raster_uuid = result.raster_uuid
            if raster:
                if raster_uuid is None:
                    raster_uuid = str(uuidlib.uuid4())
                    conn.execute(
                        "INSERT INTO scenario_rasters (uuid, scenario_uuid, name, code, file, "
                        "size, temporal, unit, parameter, created, last_modified) VALUES "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (raster_uuid, scenario_uuid, result.name, result.code, rel, size,
                         int(temporal), unit, parameter, now, now))
                else:
                    prev = self._require_raster(conn, raster_uuid)
                    if prev.file:
                        old.add(prev.file)
                    conn.execute("UPDATE scenario_rasters SET file = ?, size = ?, temporal = ?, "
                                 "last_modified = ? WHERE uuid = ?",
                                 (rel, size, int(temporal), now, raster_uuid))
            conn.execute("UPDATE scenario_results SET file = ?, filename = ?, size = ?, "
                         "raster_uuid = ?, last_modified = ? WHERE id = ?",
                         (rel, filename, size, raster_uuid, now, int(result_id)))
            self._refresh(conn, scenario_uuid)
            gone = self._unlink_unreferenced(conn, old)
            out = self._require_result(conn, scenario_uuid, result_id)
        self._remove_files(gone)
        return out

    def publish(self, scenario_uuid: str, items: Sequence[NewResult], *,
                spatial: dict[str, Any] | None = None,
                metadata: dict[str, Any] | None = None) -> list[ScenarioResult]:
        """Add results with their files in ONE transaction; a result with the code of an
        existing one replaces its files (its id stays). Return the results, in ``items`` order.

        ``spatial`` sets the scenario's spatial fields; ``metadata`` other writable fields.

        Raises
        ------
        NotFound
            The scenario was deleted meanwhile: nothing is recorded and the item files are left
            in place for the caller to remove.
        """
        for item in items:
            _check_code(item.code)
            _check_family(item.family)
            _check_name(item.name)
        extra = self._check_values({**(metadata or {}), **(spatial or {})})
        ids = []
        with self._write() as conn:
            self._require_scenario(conn, scenario_uuid)
            old: set[str] = set()
            now = timestamp()
            for item in items:
                row = conn.execute(
                    f"SELECT {', '.join(_RESULT_COLUMNS)} FROM scenario_results WHERE "
                    "scenario_uuid = ? AND code = ? AND deleting = 0 ORDER BY id LIMIT 1",
                    (scenario_uuid, item.code)).fetchone()
                current = _result(row) if row else None
                file_rel, size, filename = None, 0, None
                if item.file is not None:
                    filename = item.filename or Path(item.file).name
                    file_rel, size = self._move_in(conn, scenario_uuid, Path(item.file),
                                                   filename)
                raster_uuid = current.raster_uuid if current else None
                if item.raster_file is not None:
                    r_rel, r_size = self._move_in(conn, scenario_uuid, Path(item.raster_file),
                                                  f"{item.code}.tif")
                    if raster_uuid is None:
                        raster_uuid = str(uuidlib.uuid4())
                        conn.execute(
                            "INSERT INTO scenario_rasters (uuid, scenario_uuid, name, code, "
                            "file, size, temporal, unit, parameter, created, last_modified) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (raster_uuid, scenario_uuid, item.name, item.code, r_rel, r_size,
                             int(item.temporal), item.unit, item.parameter, now, now))
                    else:
                        prev = self._require_raster(conn, raster_uuid)
                        if prev.file:
                            old.add(prev.file)
                        conn.execute(
                            "UPDATE scenario_rasters SET name = ?, file = ?, size = ?, "
                            "temporal = ?, unit = ?, parameter = ?, last_modified = ? "
                            "WHERE uuid = ?", (item.name, r_rel, r_size, int(item.temporal),
                                               item.unit, item.parameter, now, raster_uuid))
                if current is None:
                    cur = conn.execute(
                        "INSERT INTO scenario_results (scenario_uuid, name, code, description, "
                        "family, raster_uuid, file, filename, size, created, last_modified) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (scenario_uuid, item.name, item.code, item.description, item.family,
                         raster_uuid, file_rel, filename, size, now, now))
                    ids.append(int(cur.lastrowid or 0))
                else:
                    if current.file:
                        old.add(current.file)
                    conn.execute(
                        "UPDATE scenario_results SET name = ?, description = ?, family = ?, "
                        "raster_uuid = ?, file = ?, filename = ?, size = ?, last_modified = ? "
                        "WHERE id = ?", (item.name, item.description, item.family, raster_uuid,
                                         file_rel, filename, size, now, current.id))
                    ids.append(current.id)
            if extra:
                sets = ", ".join(f"{k} = ?" for k in extra)
                conn.execute(f"UPDATE scenarios SET {sets} WHERE uuid = ?",
                             (*extra.values(), scenario_uuid))
            self._refresh(conn, scenario_uuid)
            gone = self._unlink_unreferenced(conn, old)
            out = [self._require_result(conn, scenario_uuid, i) for i in ids]
        self._remove_files(gone)
        return out

    def schedule_deletion(self, scenario_uuid: str, *, family: str | None = None,
                          result_id: int | None = None) -> list[int]:
        """Mark results for deletion (all of the scenario, one family, or one result): they
        disappear from lists and sizes at once; :meth:`purge` removes them. Return their ids.

        Raises
        ------
        NotFound
            Unknown scenario, or unknown ``result_id``.
        """
        where, params = "scenario_uuid = ? AND deleting = 0", [str(scenario_uuid)]
        if family is not None:
            where += " AND family = ?"
            params.append(_check_family(family))
        if result_id is not None:
            where += " AND id = ?"
            params.append(int(result_id))
        with self._write() as conn:
            self._require_scenario(conn, scenario_uuid)
            ids = [r[0] for r in conn.execute(f"SELECT id FROM scenario_results WHERE {where}",
                                              params)]
            if result_id is not None and not ids:
                raise NotFound(f"result {result_id} of scenario {scenario_uuid} not found")
            if ids:
                conn.execute(f"UPDATE scenario_results SET deleting = 1 WHERE {where}", params)
                self._refresh(conn, scenario_uuid)
        return ids

    def purge(self, ids: Sequence[int] | None = None) -> int:
        """Delete results scheduled for deletion (``ids``, or all of them), their rasters when
        no other result links to them, then their files. Return how many were deleted."""
        with self._write() as conn:
            sql = ("SELECT id, scenario_uuid, file, raster_uuid FROM scenario_results "
                   "WHERE deleting = 1")
            rows = conn.execute(sql).fetchall()
            if ids is not None:
                wanted = {int(i) for i in ids}
                rows = [r for r in rows if r[0] in wanted]
            files: set[str] = set()
            rasters: set[str] = set()
            for rid, _, file, raster_uuid in rows:
                conn.execute("DELETE FROM scenario_results WHERE id = ?", (rid,))
                if file:
                    files.add(file)
                if raster_uuid:
                    rasters.add(raster_uuid)
            for raster_uuid in rasters:
                if not conn.execute("SELECT 1 FROM scenario_results WHERE raster_uuid = ?",
                                    (raster_uuid,)).fetchone():
                    row = conn.execute("SELECT file FROM scenario_rasters WHERE uuid = ?",
                                       (raster_uuid,)).fetchone()
                    conn.execute("DELETE FROM scenario_rasters WHERE uuid = ?", (raster_uuid,))
                    if row and row[0]:
                        files.add(row[0])
            for scenario_uuid in {r[1] for r in rows}:
                if conn.execute("SELECT 1 FROM scenarios WHERE uuid = ?",
                                (scenario_uuid,)).fetchone():
                    self._refresh(conn, scenario_uuid)
            gone = self._unlink_unreferenced(conn, files)
        self._remove_files(gone)
        return len(rows)

    def find_result(self, result_id: int) -> ScenarioResult:
        """A result by id alone (not scheduled for deletion), whatever its scenario."""
        with self._read() as conn:
            row = conn.execute(f"SELECT {', '.join(_RESULT_COLUMNS)} FROM scenario_results "
                               "WHERE id = ? AND deleting = 0", (int(result_id),)).fetchone()
        if row is None:
            raise NotFound(f"result {result_id} not found")
        return _result(row)

    def organisations(self) -> list[str]:
        """Names of the organisations of users and scenarios, sorted."""
        with self._read() as conn:
            rows = conn.execute("SELECT organisation FROM scenarios WHERE organisation != '' "
                                "UNION SELECT org FROM users WHERE org != '' ORDER BY 1")
            return [r[0] for r in rows]

    # -- rasters -----------------------------------------------------------------------------
    def get_raster(self, raster_uuid: str, *, visible_to: User | None = None
                   ) -> tuple[RasterRecord, Scenario]:
        """A raster that a live result links to, and its scenario.

        Raises
        ------
        NotFound
            Unknown raster, only linked from results scheduled for deletion, or of a scenario
            ``visible_to`` may not see.
        """
        with self._read() as conn:
            try:
                raster = self._require_raster(conn, raster_uuid)
            except NotFound:
                raise NotFound(f"raster {raster_uuid} not found") from None
            live = conn.execute("SELECT 1 FROM scenario_results WHERE raster_uuid = ? AND "
                                "deleting = 0", (raster.uuid,)).fetchone()
            scenario = self._require_scenario(conn, raster.scenario_uuid)
        if not live or not self.is_visible(scenario, visible_to):
            raise NotFound(f"raster {raster_uuid} not found")
        return raster, scenario

    # -- tasks -------------------------------------------------------------------------------
    def create_task(self, kind: str, owner: str = "", scenario_uuid: str | None = None) -> Task:
        """A new ``PENDING`` task."""
        key = str(uuidlib.uuid4())
        now = timestamp()
        with self._write() as conn:
            conn.execute("INSERT INTO tasks (uuid, kind, status, owner, scenario_uuid, created, "
                         "last_modified) VALUES (?, ?, 'PENDING', ?, ?, ?, ?)",
                         (key, str(kind), str(owner), scenario_uuid, now, now))
        return self.get_task(key)

    def set_task(self, task_uuid: str, status: str, *, file: str | None = None,
                 detail: str | None = None) -> Task:
        """Move a task to ``status`` (a final status never changes: InputError)."""
        if status not in TASK_STATUSES:
            raise InputError(f"unknown task status {status!r}; expected one of {TASK_STATUSES}")
        with self._write() as conn:
            row = conn.execute("SELECT status FROM tasks WHERE uuid = ?",
                               (str(task_uuid),)).fetchone()
            if row is None:
                raise NotFound(f"task {task_uuid} not found")
            if row[0] in _FINAL_TASK and row[0] != status:
                raise InputError(f"task {task_uuid} is {row[0]}: it cannot become {status}")
            conn.execute("UPDATE tasks SET status = ?, file = COALESCE(?, file), detail = ?, "
                         "last_modified = ? WHERE uuid = ?",
                         (status, file, detail, timestamp(), str(task_uuid)))
        return self.get_task(task_uuid)

    def get_task(self, task_uuid: str, *, visible_to: User | None = None) -> Task:
        """A task; :class:`NotFound` if unknown or owned by another (non-admin) user."""
        with self._read() as conn:
            row = conn.execute(f"SELECT {', '.join(_TASK_COLUMNS)} FROM tasks WHERE uuid = ?",
                               (str(task_uuid),)).fetchone()
        if row is None:
            raise NotFound(f"task {task_uuid} not found")
        task = Task(*row)
        if visible_to is not None and not visible_to.is_admin and task.owner != visible_to.name:
            raise NotFound(f"task {task_uuid} not found")
        return task

    def running_task(self, scenario_uuid: str, kind: str) -> Task | None:
        """The unfinished task of this kind for a scenario, if any."""
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {', '.join(_TASK_COLUMNS)} FROM tasks WHERE scenario_uuid = ? AND "
                "kind = ? AND status IN ('PENDING', 'STARTED') ORDER BY created LIMIT 1",
                (str(scenario_uuid), str(kind))).fetchone()
        return None if row is None else Task(*row)

    # -- recovery ----------------------------------------------------------------------------
    def recover(self, reason: str = "the server stopped before the task finished") -> None:
        """After a restart: unfinished tasks fail with ``reason``, results scheduled for
        deletion are purged, work folders older than a day and export folders older than
        their signed URLs (7 days) are removed."""
        with self._write() as conn:
            conn.execute("UPDATE tasks SET status = 'FAILURE', detail = ?, last_modified = ? "
                         "WHERE status IN ('PENDING', 'STARTED')", (reason, timestamp()))
        self.purge()
        for folder, age in ((self.work, _WORK_MAX_AGE_S), (self.exports, _EXPORT_MAX_AGE_S)):
            if not folder.is_dir():
                continue
            limit = time.time() - age
            for entry in folder.iterdir():
                try:
                    if entry.stat().st_mtime < limit:
                        shutil.rmtree(entry, ignore_errors=True)
                except OSError:
                    pass
