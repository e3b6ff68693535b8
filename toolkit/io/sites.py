"""Hazard sites from a job.ini: the ``sites`` list or a ``sites_csv`` file.

The site parameters come from the job's reference values (OpenQuake's "global site
parameters"): ``reference_vs30_value`` (m/s), ``reference_vs30_type`` (``measured`` or
``inferred``), ``reference_depth_to_1pt0km_per_sec`` (z1pt0, **m**) and
``reference_depth_to_2pt5km_per_sec`` (z2pt5, **km**); missing depths are NaN.

As documented for OpenQuake, coordinates are rounded to 5 decimals (about 1 m) and two sites
with the same rounded longitude and latitude are an error; ``sites`` takes precedence over
``sites_csv`` when both are given.

CSV format (``sites_csv``): one site per row, ``lon,lat[,depth]``; the first row may be a
header naming the columns, in which case ``lon`` and ``lat`` (and optionally ``depth``) are
taken by name and other columns (``site_id``, ``custom_site_id``) are ignored.
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

__all__ = ["read_sites", "read_sites_csv", "COORDINATE_DECIMALS"]

#: decimals kept of site longitudes and latitudes (OpenQuake's documented rounding)
COORDINATE_DECIMALS = 5


def read_sites_csv(path: str | Path) -> np.ndarray:
    """Read a sites CSV into an array of shape (n, 3): lon, lat, depth (km, default 0).

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
    if not _is_number(first[0]):
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
        Uses ``sites`` or ``sites_csv`` and the reference site parameters.

    Raises
    ------
    InputError
        No sites, duplicate sites, a missing ``reference_vs30_value``, or site models and
        region grids (not supported yet).
    """
    from toolkit.engine.hazard.sites import SiteCollection

    raw = getattr(params, "raw", {})
    job = getattr(params, "job_ini", "job.ini")
    if raw.get("site_model_file"):
        raise InputError(f"{params.where('site_model_file')}: site_model_file is not supported "
                         "yet; use the reference_* site parameters")
    if params.sites is not None:
        coords, source = params.sites, f"{params.where('sites')}: sites"
        if params.sites_csv is not None:
            warnings.warn(f"{job}: both sites and sites_csv are given; using sites (as "
                          "OpenQuake does)", JobIniWarning, stacklevel=2)
    elif params.sites_csv is not None:
        coords, source = read_sites_csv(params.sites_csv), str(params.sites_csv)
    else:
        if raw.get("region"):
            raise InputError(f"{params.where('region')}: region grids are not supported yet; "
                             "give sites or sites_csv")
        raise InputError(f"{job}: no sites: give 'sites = lon lat, lon lat, ...' or sites_csv")
    coords = np.asarray(coords, dtype=float).reshape(-1, 3)
    if len(coords) == 0:
        raise InputError(f"{source}: the site list is empty: at least one site is needed")
    lonlat = np.round(coords[:, :2], COORDINATE_DECIMALS)
    _check_duplicates(lonlat, source)
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
