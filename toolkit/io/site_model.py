"""Site models: site parameters given at points, from one or several CSV or NRML files.

A site model (job.ini ``site_model_file``, one or several files separated by spaces) gives
the site parameters at a set of points. Each file is either a CSV with a header row naming
the columns (case-insensitive, in any order; lines starting with ``#`` and blank lines are
skipped) or an NRML 0.4/0.5 ``<siteModel>`` whose ``<site>`` attributes are the columns
(``vs30Type="measured|inferred"`` for ``vs30measured``; see :mod:`toolkit.io.site_model_xml`):

============  ========  ==========================================================
column        unit      when missing
============  ========  ==========================================================
lon, lat      degrees   required
vs30          m/s       ``reference_vs30_value`` of the job, else NaN (unknown: an error
                        when a GSIM of the job requires vs30)
vs30measured  0/1       ``reference_vs30_type`` of the job (``measured`` -> True);
                        ``true``/``false`` are accepted too
z1pt0         m         ``reference_depth_to_1pt0km_per_sec``, else NaN
z2pt5         km        ``reference_depth_to_2pt5km_per_sec``, else NaN
depth         km        0 (used only when the site-model points are the sites)
============  ========  ==========================================================

vs30 must be positive, z1pt0 and z2pt5 non-negative or ``-999``, lon in [-180, 180] and lat
in [-90, 90]; every error names the file, the line and the column. ``-999`` for z1pt0 or
z2pt5 is OpenQuake's "unknown": it becomes NaN, and each GSIM then estimates the depth from
vs30 with its own relation (as with a job without reference depths).

Any other column (``siteclass``, ``z1pt4``, ``backarc``, ``xvf``, ``soiltype``, ``z_sed`` ...;
``site_id`` excepted) is kept as an *extra* site parameter (:attr:`SiteModel.extra`, name in lower
case, as OpenQuake's site parameter names): float when every cell is a number, else text
(``backarc``: a flag, 0, 1, true or false); with several files, only the extra
columns all of them have are kept, except ``backarc``, False where a file lacks it
(OpenQuake's default, measured with OpenQuake 3.26). Extra parameters reach the GSIMs that
require them (OpenQuake's GSIMs through the hazardlib bridge); the toolkit's own GSIMs ignore
them.

Sites are given the parameters of the closest site-model point (:meth:`SiteModel.closest`):
the nearest neighbour by great-circle distance on a sphere of radius 6371 km, found with a
k-d tree over 3-D unit vectors. The chord :math:`c` between unit vectors increases
monotonically with the great-circle distance :math:`d = 2R\\arcsin(c/2)`, so the nearest
point by chord is the nearest on the sphere, in :math:`O((N + M)\\log M)` for N sites and M
points.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from toolkit.errors import InputError

__all__ = ["SiteModel", "read_site_model", "DEFAULT_MAX_SITE_MODEL_DISTANCE"]

#: km; OpenQuake's default ``max_site_model_distance``
DEFAULT_MAX_SITE_MODEL_DISTANCE = 5.0

_FLOAT_COLUMNS = ("lon", "lat", "vs30", "z1pt0", "z2pt5", "depth")
#: columns that are not site parameters
_IGNORED_COLUMNS = frozenset({"site_id", "sids"})
#: OpenQuake's value for an unknown z1pt0 / z2pt5 (read as NaN)
UNKNOWN_DEPTH = -999.0
_TRUE = frozenset({"1", "true", "1.0"})
_FALSE = frozenset({"0", "false", "0.0"})
_FLAG_COLUMNS = ("backarc",)  # boolean extra parameters (OpenQuake's default: False)


@dataclass(frozen=True)
class SiteModel:
    """Site parameters at points (one entry per point, in file order).

    Attributes
    ----------
    lons, lats : ndarray
        Degrees.
    depths : ndarray
        km, positive down (0 when the files have no ``depth`` column).
    vs30 : ndarray
        m/s (NaN when unknown).
    vs30measured : ndarray of bool
    z1pt0 : ndarray
        Depth to Vs = 1.0 km/s, **m** (NaN when unknown).
    z2pt5 : ndarray
        Depth to Vs = 2.5 km/s, **km** (NaN when unknown).
    files : tuple of Path
        The files read.
    extra : dict of str -> ndarray
        Other site parameters by column name (float or str arrays), see the module docstring.
    """

    lons: np.ndarray
    lats: np.ndarray
    depths: np.ndarray
    vs30: np.ndarray
    vs30measured: np.ndarray
    z1pt0: np.ndarray
    z2pt5: np.ndarray
    files: tuple[Path, ...] = ()
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.lons)

    @property
    def source(self) -> str:
        """The files, for messages."""
        return " ".join(str(f) for f in self.files) or "site model"

    def closest(self, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index of the closest site-model point of each site and its distance (km).

        The search runs on a k-d tree (:class:`scipy.spatial.cKDTree`) over unit vectors;
        the distance returned is the great-circle distance
        (:func:`toolkit.engine.hazard.geo.geodetic_distance`) to that point. Among points at
        exactly the same distance, which one is taken is unspecified.
        """
        from scipy.spatial import cKDTree

        from toolkit.engine.hazard.geo import geodetic_distance, unit_vectors

        lons = np.atleast_1d(np.asarray(lons, dtype=float))
        lats = np.atleast_1d(np.asarray(lats, dtype=float))
        tree = cKDTree(unit_vectors(self.lons, self.lats))
        _, index = tree.query(unit_vectors(lons, lats), k=1)
        index = np.asarray(index, dtype=np.int64)
        dist = geodetic_distance(lons, lats, self.lons[index], self.lats[index])
        return index, dist

    def parameters_at(self, lons: np.ndarray, lats: np.ndarray, *,
                      max_distance: float = DEFAULT_MAX_SITE_MODEL_DISTANCE,
                      where: str = "sites", limit_where: str = "the default"
                      ) -> dict[str, np.ndarray]:
        """The parameters of the closest point of each site (``vs30``, ``vs30measured``,
        ``z1pt0``, ``z2pt5`` and ``extra``, a dict of the extra parameters).

        Unlike OpenQuake, which logs a warning and goes on, a site whose closest point is
        farther than ``max_distance`` km is an error.

        Parameters
        ----------
        lons, lats : array_like
            The sites.
        max_distance : float
            km.
        where : str
            Where the sites come from, for the message.
        limit_where : str
            Where ``max_distance`` comes from (e.g. ``"job.ini line 7"``), for the message.

        Raises
        ------
        InputError
            Naming the first site too far (1-based index, lon, lat), its distance, the
            closest point, the limit and how many sites are too far in all.
        """
        lons = np.atleast_1d(np.asarray(lons, dtype=float))
        lats = np.atleast_1d(np.asarray(lats, dtype=float))
        index, dist = self.closest(lons, lats)
        far = np.flatnonzero(dist > max_distance)
        if far.size:
            i = int(far[0])
            j = int(index[i])
            raise InputError(
                f"{where}: site {i + 1} ({lons[i]:.5f}, {lats[i]:.5f}) is {dist[i]:.3f} km from "
                f"the closest point ({self.lons[j]:.5f}, {self.lats[j]:.5f}) of the site model "
                f"{self.source}, farther than max_site_model_distance = {max_distance:g} km "
                f"({limit_where}); {far.size} site(s) in all are not covered: extend the site "
                "model or raise max_site_model_distance")
        return {"vs30": self.vs30[index], "vs30measured": self.vs30measured[index],
                "z1pt0": self.z1pt0[index], "z2pt5": self.z2pt5[index],
                "extra": {name: values[index] for name, values in self.extra.items()}}


def read_site_model(
    paths: str | Path | Sequence[str | Path],
    *,
    reference_vs30_value: float | None = None,
    reference_vs30_type: str = "inferred",
    reference_z1pt0: float | None = None,
    reference_z2pt5: float | None = None,
) -> SiteModel:
    """Read one or several site-model CSV files (see the module docstring for the format).

    Parameters
    ----------
    paths : path or sequence of paths
        The files; their points are concatenated in order.
    reference_vs30_value, reference_vs30_type, reference_z1pt0, reference_z2pt5
        The job's reference site parameters, used for the columns a file does not have
        (z1pt0 in m, z2pt5 in km).

    Raises
    ------
    InputError
        A missing or unreadable file, a file without points, a header without ``lon``,
        ``lat`` (or ``vs30`` when no reference vs30 is given) or with a repeated column, a
        row with missing cells, a non-numeric or out-of-range value (naming file, line and
        column).
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError("site_model_file: no file given")
    defaults = {
        "vs30": np.nan if reference_vs30_value is None else reference_vs30_value,
        "vs30measured": reference_vs30_type == "measured",
        "z1pt0": np.nan if reference_z1pt0 is None else reference_z1pt0,
        "z2pt5": np.nan if reference_z2pt5 is None else reference_z2pt5,
        "depth": 0.0,
    }
    parts = [_read_file(path, defaults) for path in paths]
    # an extra parameter only some files give is left out (a GSIM requiring it then fails
    # with the parameter named)
    for name in _FLAG_COLUMNS:  # a site without the flag: False, as OpenQuake's default
        if any(name in p for p in parts):
            for p in parts:
                p.setdefault(name, np.zeros(len(p["lon"]), bool))
    common = [name for name in parts[0] if all(name in p for p in parts)]
    columns = {name: np.concatenate([p[name] for p in parts]) for name in common}
    core = {*_FLOAT_COLUMNS, "vs30measured"}
    return SiteModel(
        lons=columns["lon"], lats=columns["lat"], depths=columns["depth"],
        vs30=columns["vs30"], vs30measured=columns["vs30measured"].astype(bool),
        z1pt0=columns["z1pt0"], z2pt5=columns["z2pt5"], files=tuple(paths),
        extra={name: values for name, values in columns.items() if name not in core},
    )


def _read_file(path: Path, defaults: dict[str, object]) -> dict[str, np.ndarray]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: site model file not found") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if text.lstrip().startswith(("<?xml", "<nrml")):
        from toolkit.io.site_model_xml import site_model_table

        header_line, header_row, data = site_model_table(path)
    else:
        rows = [(n, row) for n, row in enumerate(csv.reader(text.splitlines()), start=1)
                if row and any(c.strip() for c in row) and not row[0].lstrip().startswith("#")]
        if not rows:
            raise InputError(f"{path}: the site model file is empty: a header "
                             "'lon,lat,vs30,...' and at least one point are needed")
        (header_line, header_row), data = rows[0], rows[1:]
    header = [c.strip().lower() for c in header_row]
    missing = [name for name in ("lon", "lat") if name not in header]
    if missing:
        raise InputError(f"{path} line {header_line}: the header must name the column(s) "
                         f"{', '.join(missing)}; got {','.join(header_row)!r}")
    wanted = [*_FLOAT_COLUMNS, "vs30measured"]
    for name in header:
        if header.count(name) > 1:
            raise InputError(f"{path} line {header_line}: column {name!r} appears twice")
    if not data:
        raise InputError(f"{path}: the site model file has a header but no points")
    col_of = {name: header.index(name) for name in wanted if name in header}
    extra_of = {name: i for i, name in enumerate(header)  # lower case, as OpenQuake's names
                if name not in col_of and name not in _IGNORED_COLUMNS and name}
    width = max([*col_of.values(), *extra_of.values()]) + 1
    short = next(((n, row) for n, row in data if len(row) < width), None)
    if short is not None:
        n, row = short
        raise InputError(f"{path} line {n}: {len(row)} value(s), expected {len(header)} "
                         f"(the header names {','.join(header)})")
    lines = np.array([n for n, _ in data])
    out: dict[str, np.ndarray] = {}
    for name in _FLOAT_COLUMNS:
        if name in col_of:
            col = col_of[name]
            out[name] = _floats([row[col] for _, row in data], path, lines, col, name)
            if name in ("z1pt0", "z2pt5"):
                out[name][out[name] == UNKNOWN_DEPTH] = np.nan
        else:
            out[name] = np.full(len(data), float(defaults[name]))  # type: ignore[arg-type]
    if "vs30measured" in col_of:
        out["vs30measured"] = _flags(data, path, lines, col_of["vs30measured"], "vs30measured")
    else:
        out["vs30measured"] = np.full(len(data), bool(defaults["vs30measured"]))
    _check_ranges(out, path, lines, col_of)
    for name, col in extra_of.items():
        out[name] = (_flags(data, path, lines, col, name) if name in _FLAG_COLUMNS
                     else _extra_column([row[col].strip() for _, row in data]))
    return out


def _flags(data: list, path: Path, lines: np.ndarray, col: int, name: str) -> np.ndarray:
    """A boolean column (0, 1, true or false, any case)."""
    cells = np.array([row[col].strip().lower() for _, row in data])
    true, false = np.isin(cells, list(_TRUE)), np.isin(cells, list(_FALSE))
    bad = np.flatnonzero(~(true | false))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"{path} line {lines[i]} column {col + 1} ({name}): must "
                         f"be 0, 1, true or false, got {data[i][1][col]!r}")
    return true


def _extra_column(cells: list[str]) -> np.ndarray:
    """An extra site parameter: floats when every cell is a number, else the text."""
    if all(_is_number(cell) for cell in cells):
        return np.array(cells, dtype=float)
    return np.array(cells, dtype=str)


def _floats(cells: list[str], path: Path, lines: np.ndarray, col: int, name: str
            ) -> np.ndarray:
    try:
        values = np.array(cells, dtype=float)
    except ValueError:
        values = None
    if values is not None and np.isfinite(values).all():
        return values
    for i, cell in enumerate(cells):
        if not _is_number(cell):
            raise InputError(f"{path} line {lines[i]} column {col + 1} ({name}): must be a "
                             f"number, got {cell!r}")
    raise AssertionError("unreachable")  # pragma: no cover


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _check_ranges(out: dict[str, np.ndarray], path: Path, lines: np.ndarray,
                  col_of: dict[str, int]) -> None:
    checks = (
        ("lon", np.abs(out["lon"]) > 180, "must be in [-180, 180]"),
        ("lat", np.abs(out["lat"]) > 90, "must be in [-90, 90]"),
        ("vs30", out["vs30"] <= 0, "must be positive (m/s)"),  # NaN: not given
        ("z1pt0", out["z1pt0"] < 0, "must be non-negative (m) or -999 (unknown)"),
        ("z2pt5", out["z2pt5"] < 0, "must be non-negative (km) or -999 (unknown)"),
    )
    for name, bad, expected in checks:
        index = np.flatnonzero(bad)
        if index.size:
            i = int(index[0])
            where = (f"line {lines[i]} column {col_of[name] + 1} ({name})" if name in col_of
                     else f"line {lines[i]} ({name} from the job's reference value)")
            raise InputError(f"{path} {where}: {expected}, got {out[name][i]:g}")
