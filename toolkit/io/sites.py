"""Hazard sites of a job.ini, with their site parameters.

Where the sites are, in order of precedence (as documented for OpenQuake):

1. ``sites = lon lat[ depth], ...`` (a warning when ``sites_csv`` is given too), sorted by
   lon then lat rounded to 5 decimals, as OpenQuake 3.26 orders them (measured);
2. ``sites_csv``: one site per row, ``lon,lat[,depth]``; the first row may be a header naming
   the columns, in which case ``lon`` and ``lat`` (and optionally ``depth``) are taken by name,
   other columns (``site_id``, ``custom_site_id``) are ignored and the file order is kept;
   without a header the sites are sorted as the ``sites`` list;
3. a grid over ``region`` (a polygon ``lon lat, lon lat, ...``) with ``region_grid_spacing``
   km (:func:`region_grid`); giving it together with ``sites`` or ``sites_csv`` is an error;
4. the points of the site model (``site_model_file``) themselves.

The site parameters come from the site model when there is one (each site takes those of
the closest site-model point, see :mod:`toolkit.io.site_model`; a site farther than
``max_site_model_distance`` km, default 5, is an error), otherwise from the job's reference
values (OpenQuake's "global site parameters"): ``reference_vs30_value`` (m/s),
``reference_vs30_type`` (``measured`` or ``inferred``), ``reference_depth_to_1pt0km_per_sec``
(z1pt0, **m**) and ``reference_depth_to_2pt5km_per_sec`` (z2pt5, **km**); missing depths are
NaN (``-999``, OpenQuake's "unknown", too). Extra site parameters (site-model columns such as
``siteclass``, and ``reference_depth_to_1pt4km_per_sec`` as ``z1pt4``, see
:mod:`toolkit.io.site_reference`) go to :attr:`SiteCollection.extra`.

As documented for OpenQuake, coordinates are rounded to 5 decimals (about 1 m) and two sites
with the same rounded longitude and latitude are an error.
"""

from __future__ import annotations

import csv
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import InputError
from toolkit.io.jobini import JobIniWarning
from toolkit.io.nrml_precision import round_lonlat
from toolkit.io.site_model import (
    DEFAULT_MAX_SITE_MODEL_DISTANCE,
    SiteModel,
    read_site_model,
)

__all__ = ["site_collection_at", "read_sites", "read_sites_csv", "region_grid",
           "COORDINATE_DECIMALS"]

#: decimals kept of site longitudes and latitudes (OpenQuake's documented rounding)
COORDINATE_DECIMALS = 5


def read_sites_csv(path: str | Path) -> np.ndarray:
    """Read a sites CSV into an array of shape (n, 3): lon, lat, depth (km, default 0).

    Sites of a file with a header stay in the file's order; those of a file without a header
    are sorted by longitude, then latitude, as OpenQuake 3.26 orders them (measured
    black-box: its outputs list such sites in that order).

    Raises
    ------
    InputError
        Missing file, missing lon/lat columns, non-numeric or out-of-range values (with the
        line), or no sites.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: sites file not found") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    rows = [(n, row) for n, row in enumerate(csv.reader(text.splitlines()), start=1)
            if row and any(cell.strip() for cell in row)]
    if not rows:
        raise InputError(f"{path}: the sites file is empty: at least one site is needed")
    columns = {"lon": 0, "lat": 1, "depth": 2}
    first_line, first = rows[0]
    headerless = _is_number(first[0])
    if not headerless:
        header = [cell.strip().lower() for cell in first]
        if "lon" not in header or "lat" not in header:
            raise InputError(f"{path} line {first_line}: the header must name the columns "
                             f"'lon' and 'lat' (optionally 'depth'), got {first}")
        columns = {name: header.index(name) for name in ("lon", "lat", "depth")
                   if name in header}
        rows = rows[1:]
        if not rows:
            raise InputError(f"{path}: the sites file has a header but no sites")
    out = np.zeros((len(rows), 3))
    for i, (line, row) in enumerate(rows):
        for j, name in enumerate(("lon", "lat", "depth")):
            col = columns.get(name)
            if col is None or (name == "depth" and col >= len(row)):
                continue
            cell = row[col].strip() if col < len(row) else ""
            if not _is_number(cell):
                raise InputError(f"{path} line {line}: {name} must be a number, got {cell!r}")
            out[i, j] = float(cell)
        if abs(out[i, 0]) > 180 or abs(out[i, 1]) > 90:
            raise InputError(f"{path} line {line}: site ({out[i, 0]:g}, {out[i, 1]:g}) is out "
                             "of range (lon in [-180, 180], lat in [-90, 90])")
    if headerless:  # OpenQuake's order: by lon then lat, rounded to COORDINATE_DECIMALS
        lonlat = np.round(out[:, :2], COORDINATE_DECIMALS)
        lines = [line for line, _ in rows]
        _, first, inverse = np.unique(lonlat, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        dup = np.flatnonzero(first[inverse] != np.arange(len(lonlat)))
        if dup.size:  # named by their file lines, before the rows are sorted
            i = int(dup[0])
            lon, lat = lonlat[i]
            raise InputError(f"{path} lines {lines[first[inverse[i]]]} and {lines[i]} are the "
                             f"same site ({lon:.5f}, {lat:.5f}) after rounding to "
                             f"{COORDINATE_DECIMALS} decimals; {dup.size} duplicate(s) in all")
        out = out[np.lexsort((lonlat[:, 1], lonlat[:, 0]))]
    return out


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def read_sites(params: Any) -> Any:
    """Build the :class:`~toolkit.engine.hazard.sites.SiteCollection` of a job.

    Parameters
    ----------
    params : JobParams
        Uses ``sites``, ``sites_csv``, ``region`` and ``region_grid_spacing``,
        ``site_model_file`` and ``max_site_model_distance``, and the reference site parameters
        (see the module docstring).

    Raises
    ------
    InputError
        No sites, duplicate sites, a grid given with ``sites``/``sites_csv``, ``region``
        without ``region_grid_spacing`` or the reverse, a region with no grid point inside, a
        missing ``reference_vs30_value`` without a site model, a bad site model file, or a
        site farther than ``max_site_model_distance`` from the site model. OpenQuake only
        logs a warning for a site far from the site model; here it is an error, because
        such a site silently takes the parameters of a distant, unrelated point. Points of
        a region grid that are too far are left out with a warning instead (the grid
        extends one spacing past the region, so past a site model covering just the region).
    """
    from toolkit.engine.hazard.sites import SiteCollection

    site_model = _site_model(params)
    coords, source = _coordinates(params, site_model is not None)
    model_points = coords is None
    if model_points:  # the site-model points are the sites
        assert site_model is not None
        coords = np.stack([site_model.lons, site_model.lats, site_model.depths], axis=1)
        source = site_model.source
    coords = np.asarray(coords, dtype=float).reshape(-1, 3)
    if len(coords) == 0:
        raise InputError(f"{source}: the site list is empty: at least one site is needed")
    lonlat = round_lonlat(coords[:, :2])  # as OpenQuake, also at near-ties (np.round is not)
    _check_duplicates(lonlat, source)
    if site_model is not None and model_points:
        return SiteCollection(lons=lonlat[:, 0], lats=lonlat[:, 1], depths=coords[:, 2],
                              vs30=site_model.vs30, vs30measured=site_model.vs30measured,
                              z1pt0=site_model.z1pt0, z2pt5=site_model.z2pt5,
                              extra=_with_reference_extra(params, site_model.extra))
    if site_model is not None and source.endswith("region grid"):
        # the grid covers the region dilated by one spacing (as OpenQuake's does), so its
        # edge may reach past a site model that covers the region: those grid points are
        # dropped with a warning (the sites a user listed are never dropped)
        limit = _positive(params, "max_site_model_distance", DEFAULT_MAX_SITE_MODEL_DISTANCE)
        _index, dist = site_model.closest(lonlat[:, 0], lonlat[:, 1])
        far = dist > limit
        if far.all():
            raise InputError(f"{source}: no grid point is within max_site_model_distance = "
                             f"{limit:g} km of the site model {site_model.source}")
        if far.any():
            warnings.warn(f"{source}: {int(far.sum())} of {len(far)} grid points are farther "
                          f"than max_site_model_distance = {limit:g} km from the site model "
                          f"{site_model.source} and are left out", JobIniWarning, stacklevel=2)
            lonlat, coords = lonlat[~far], coords[~far]
    return site_collection_at(params, np.column_stack([lonlat, coords[:, 2]]), source,
                              site_model=site_model)


def site_collection_at(params: Any, coords: np.ndarray, source: str = "sites", *,
                       site_model: Any = None) -> Any:
    """The :class:`~toolkit.engine.hazard.sites.SiteCollection` of given site coordinates,
    with the parameters of the job's site model (closest point) or its reference values.

    Parameters
    ----------
    params : JobParams
    coords : ndarray (n, 3)
        lon, lat, depth of the sites (e.g. the hazard sites of a risk job's assets).
    source : str
        Where the sites come from, for messages.
    site_model : SiteModel, optional
        Already read; else read from ``params.site_model_file`` when given.

    Raises
    ------
    InputError
        A site farther than ``max_site_model_distance`` from the site model, or no site model
        and no ``reference_vs30_value``.
    """
    from toolkit.engine.hazard.sites import SiteCollection

    job = getattr(params, "job_ini", "job.ini")
    coords = np.asarray(coords, dtype=float).reshape(-1, 3)
    lonlat = coords[:, :2]
    if site_model is None:
        site_model = _site_model(params)
    if site_model is not None:
        key = "max_site_model_distance"
        given = key in getattr(params, "raw", {})
        values = site_model.parameters_at(
            lonlat[:, 0], lonlat[:, 1],
            max_distance=_positive(params, key, DEFAULT_MAX_SITE_MODEL_DISTANCE),
            where=source, limit_where=params.where(key) if given else "the default")
        values["extra"] = _with_reference_extra(params, values["extra"])
        return SiteCollection(lons=lonlat[:, 0], lats=lonlat[:, 1], depths=coords[:, 2],
                              **values)
    if params.reference_vs30_value is None:
        raise InputError(f"{job}: missing reference_vs30_value (the vs30 of the sites, m/s)")
    z1 = params.reference_depth_to_1pt0km_per_sec
    z2 = params.reference_depth_to_2pt5km_per_sec
    return SiteCollection(
        lons=lonlat[:, 0],
        lats=lonlat[:, 1],
        depths=coords[:, 2],
        vs30=float(params.reference_vs30_value),
        vs30measured=params.reference_vs30_type == "measured",
        z1pt0=np.nan if z1 is None else float(z1),
        z2pt5=np.nan if z2 is None else float(z2),
        extra=_with_reference_extra(params, {}),
    )


def _with_reference_extra(params: Any, extra: dict[str, np.ndarray]) -> dict[str, Any]:
    """The extra site parameters with the job's reference values of those the site model
    lacks (``reference_depth_to_1pt4km_per_sec`` -> ``z1pt4``, m)."""
    from toolkit.io.site_reference import reference_extra

    return {**reference_extra(params), **extra}


def _coordinates(params: Any, has_site_model: bool) -> tuple[np.ndarray | None, str]:
    """The site coordinates (n, 3) and where they come from, or (None, "") when the
    site-model points are the sites."""
    raw = getattr(params, "raw", {})
    job = getattr(params, "job_ini", "job.ini")
    grid = bool(raw.get("region_grid_spacing"))
    given = params.sites is not None or params.sites_csv is not None
    if grid and given:
        key = "sites" if params.sites is not None else "sites_csv"
        raise InputError(f"{params.where('region_grid_spacing')}: give either {key} "
                         f"({params.where(key)}) or a grid (region and region_grid_spacing), "
                         "not both")
    if params.sites is not None:
        if params.sites_csv is not None:
            warnings.warn(f"{job}: both sites and sites_csv are given; using sites (as "
                          "OpenQuake does)", JobIniWarning, stacklevel=3)
        # OpenQuake (3.26, measured) sorts the listed sites by lon then lat, rounded to
        # COORDINATE_DECIMALS; duplicates are named by their place in the list first
        source = f"{params.where('sites')}: sites"
        coords = np.asarray(params.sites, dtype=float).reshape(-1, 3)
        lonlat = np.round(coords[:, :2], COORDINATE_DECIMALS)
        _check_duplicates(lonlat, source)
        return coords[np.lexsort((lonlat[:, 1], lonlat[:, 0]))], source
    if params.sites_csv is not None:
        return read_sites_csv(params.sites_csv), str(params.sites_csv)
    region = getattr(params, "region", None)
    if region is not None:
        if not grid:
            raise InputError(f"{params.where('region')}: region needs region_grid_spacing "
                             "(km), the spacing of the grid of sites covering the polygon")
        spacing = _positive(params, "region_grid_spacing", None)
        lons, lats = region_grid(np.asarray(region, dtype=float), spacing)
        if len(lons) == 0:
            raise InputError(f"{params.where('region')}: no point of the "
                             f"{spacing:g} km grid is inside the region: use a smaller "
                             "region_grid_spacing")
        coords = np.stack([lons, lats, np.zeros(len(lons))], axis=1)
        # OpenQuake orders the grid as the listed sites (QA classical case_40, measured)
        lonlat = np.round(coords[:, :2], COORDINATE_DECIMALS)
        return (coords[np.lexsort((lonlat[:, 1], lonlat[:, 0]))],
                f"{params.where('region')}: region grid")
    if grid:
        raise InputError(f"{params.where('region_grid_spacing')}: region_grid_spacing needs "
                         "region, the polygon 'lon lat, lon lat, ...' to cover with a grid")
    if has_site_model:
        return None, ""
    raise InputError(f"{job}: no sites: give 'sites = lon lat, lon lat, ...', sites_csv, "
                     "region and region_grid_spacing, or site_model_file")


def region_grid(region: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Hazard sites on a grid ``spacing`` km apart covering a polygon (degrees, shape (n, 2)).

    OpenQuake's manual says only that the region is discretised with the spacing. Running
    OpenQuake 3.26 on rectangles and on a non-convex pentagon shows that its grid covers the
    polygon *dilated by one spacing*, and that it is the area-source grid of that dilated
    polygon. So:

    1. the polygon (edges resampled along great circles, see
       :func:`toolkit.engine.hazard.geo.points_in_polygon`) is projected orthographically on
       the centre of its bounding box and dilated there by ``spacing`` km: edges offset
       outwards, convex corners rounded by circular arcs drawn with 16 segments per quarter
       circle (the usual polygon-buffer convention), reflex corners closed where the offset
       edges meet;
    2. the dilated polygon is taken back to longitudes and latitudes and discretised as an
       area source (:func:`toolkit.engine.hazard.geo.discretize_polygon`): rows ``spacing``
       km apart from the northern edge of its bounding box, points ``spacing`` km apart along
       each row from its western edge, kept when strictly inside; listed row by row from
       north to south and west to east.

    Points within a few metres of the dilated boundary may differ from OpenQuake's; a
    polygon with concavities narrower than two spacings, whose offset edges cross, is not
    supported (its grid may miss parts).
    """
    from toolkit.engine.hazard.geo import EARTH_RADIUS, discretize_polygon

    region = np.asarray(region, dtype=float)
    lons, lats = _dilate(region[:, 0], region[:, 1], spacing / EARTH_RADIUS)
    return discretize_polygon(lons, lats, spacing)


#: segments per quarter circle of the rounded corners of a dilated region
_QUARTER_SEGMENTS = 16


def _dilate(plons: np.ndarray, plats: np.ndarray, d: float) -> tuple[np.ndarray, np.ndarray]:
    """Vertices of a polygon dilated by ``d`` (radians) in its orthographic projection."""
    from toolkit.engine.hazard.geo import _ProjectedPolygon

    poly = _ProjectedPolygon(plons, plats)
    x, y = poly.vx, poly.vy
    if np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y) < 0:  # make it counter-clockwise
        x, y = x[::-1], y[::-1]
    ex, ey = np.roll(x, -1) - x, np.roll(y, -1) - y  # edge i: vertex i -> i + 1
    length = np.hypot(ex, ey)
    keep = length > 0
    x, y, ex, ey, length = x[keep], y[keep], ex[keep], ey[keep], length[keep]
    nx, ny = ey / length, -ex / length  # outward normals
    quantum = np.pi / 2 / _QUARTER_SEGMENTS
    out_x: list[float] = []
    out_y: list[float] = []
    for i in range(len(x)):
        j = i - 1  # the edge arriving at vertex i
        cross = ex[j] * ey[i] - ey[j] * ex[i]
        if cross > 1e-15:  # convex corner: an arc from normal j to normal i
            a1 = np.arctan2(ny[j], nx[j])
            sweep = (np.arctan2(ny[i], nx[i]) - a1) % (2 * np.pi)
            nseg = int(sweep / quantum + 0.5)
            angles = a1 + sweep * np.arange(max(nseg, 1)) / max(nseg, 1)
            out_x.extend(x[i] + d * np.cos(angles))
            out_y.extend(y[i] + d * np.sin(angles))
            out_x.append(x[i] + d * nx[i])
            out_y.append(y[i] + d * ny[i])
        elif cross < -1e-15:  # reflex corner: where the two offset edges meet
            px, py = x[j] + d * nx[j], y[j] + d * ny[j]
            qx, qy = x[i] + d * nx[i], y[i] + d * ny[i]
            t = ((qx - px) * ey[i] - (qy - py) * ex[i]) / (ex[j] * ey[i] - ey[j] * ex[i])
            out_x.append(px + t * ex[j])
            out_y.append(py + t * ey[j])
        else:  # straight on
            out_x.append(x[i] + d * nx[i])
            out_y.append(y[i] + d * ny[i])
    return _inverse_orthographic(np.array(out_x), np.array(out_y), poly.lon0, poly.lat0)


def _inverse_orthographic(x: np.ndarray, y: np.ndarray, lon0: float, lat0: float
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes of points of the orthographic projection (unit sphere)
    centred on (lon0, lat0) (Snyder 1987, Map Projections: A Working Manual, eqs. 20-14,
    20-15)."""
    rho = np.hypot(x, y)
    c = np.arcsin(np.clip(rho, 0.0, 1.0))
    phi0 = np.radians(lat0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sin_phi = np.cos(c) * np.sin(phi0) + np.where(rho > 0, y * np.sin(c) * np.cos(phi0)
                                                       / rho, 0.0)
    lat = np.degrees(np.arcsin(np.clip(sin_phi, -1.0, 1.0)))
    lam = np.arctan2(x * np.sin(c), rho * np.cos(c) * np.cos(phi0) - y * np.sin(c) * np.sin(phi0))
    lon = (lon0 + np.degrees(lam) + 180.0) % 360.0 - 180.0
    return lon, lat


def _positive(params: Any, key: str, default: float | None) -> float:
    """A positive number from the job.ini (``default`` when absent)."""
    value = getattr(params, "raw", {}).get(key)
    if not value:
        if default is None:
            raise InputError(f"{params.job_ini}: missing {key}")
        return default
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise InputError(f"{params.where(key)}: {key} must be a positive number (km), got "
                         f"{value!r}")
    return number


def site_model_paths(params: Any) -> list[Path]:
    """The files of the job's ``site_model_file`` (several may be given), resolved against
    the job's folder; empty without one."""
    value = getattr(params, "raw", {}).get("site_model_file")
    paths = []
    for token in (value or "").split():
        path = Path(token).expanduser()
        paths.append(path if path.is_absolute() else Path(params.input_dir) / path)
    return paths


def _site_model(params: Any) -> SiteModel | None:
    """The job's site model, or None without ``site_model_file``."""
    paths = site_model_paths(params)
    if not paths:
        return None
    return read_site_model(
        paths,
        reference_vs30_value=params.reference_vs30_value,
        reference_vs30_type=params.reference_vs30_type,
        reference_z1pt0=params.reference_depth_to_1pt0km_per_sec,
        reference_z2pt5=params.reference_depth_to_2pt5km_per_sec,
    )


def _check_duplicates(lonlat: np.ndarray, source: str) -> None:
    _, first, inverse = np.unique(lonlat, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    dup = np.flatnonzero(first[inverse] != np.arange(len(lonlat)))
    if dup.size:
        i = int(dup[0])
        j = int(first[inverse[i]])
        lon, lat = lonlat[i]
        raise InputError(f"{source}: sites {j + 1} and {i + 1} are the same site ({lon:.5f}, "
                         f"{lat:.5f}) after rounding to {COORDINATE_DECIMALS} decimals; "
                         f"{dup.size} duplicate(s) in all")
