"""Ground-motion fields from a CSV file (OpenQuake ``gmfs_file`` / ``gmfs_csv``).

A scenario risk or damage job may take its ground motion from a file instead of computing it.
Accepted layouts (one row per site and event; comment lines starting with ``#`` are
skipped, so OpenQuake exports can be read back):

* the OpenQuake input format: ``[rlzi,]sid,eid,gmv_<IMT>[,gmv_<IMT>...]``;
* the export names ``rlz_id``, ``site_id``, ``event_id`` for the same columns, in any order;
* the OpenQuake >= 3.15 export ``event_id,gmv_<IMT>...,custom_site_id``; the custom site ids
  are resolved through a sites CSV that has a ``custom_site_id`` column.

``<IMT>`` is ``PGA``, ``PGV``, ``SA(T)`` (canonicalised, ``SA(0.10)`` -> ``SA(0.1)``) or
another plain IMT name (``MMI``). Ground-motion values must be finite and >= 0; an
(event, site) pair may appear once.

The optional sites CSV (OpenQuake ``sites_csv``) has the columns ``lon``, ``lat`` and
optionally ``site_id`` (the ``sid`` of the GMF file; the row number when absent) and
``custom_site_id``. With it, :attr:`GmfsFromFile.site_id` holds row indices into
:attr:`GmfsFromFile.sites`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from toolkit.errors import InputError
from toolkit.io.exposure import CsvTable, read_csv_table
from toolkit.io.riskmodels import canonical_imt

if TYPE_CHECKING:
    from toolkit.engine.hazard.sites import SiteCollection

__all__ = ["GmfsFromFile", "read_gmfs_csv"]

_SYNONYMS = {"rlzi": "rlz", "rlz_id": "rlz", "sid": "site", "site_id": "site", "eid": "event",
             "event_id": "event", "custom_site_id": "custom"}


@dataclass
class GmfsFromFile:
    """Ground-motion values read from a file, one entry per (event, site) row.

    Attributes
    ----------
    sites : SiteCollection or None
        From the sites CSV, when given (default site parameters).
    event_id : ndarray of int (R,)
    site_id : ndarray of int (R,)
        Index into ``sites`` when sites are given, else the ``sid`` of the file.
    gmv : dict of str -> ndarray (R,)
        Canonical IMT string -> ground-motion value (g for PGA and SA).
    n_events : int
        Number of distinct event ids.
    rlz_id : ndarray of int (R,) or None
        The ``rlzi`` column, when present.
    path : Path or None
    """

    sites: SiteCollection | None
    event_id: np.ndarray
    site_id: np.ndarray
    gmv: dict[str, np.ndarray]
    n_events: int
    rlz_id: np.ndarray | None = None
    path: Path | None = None

    @property
    def imts(self) -> list[str]:
        """The IMTs, in column order."""
        return list(self.gmv)

    @property
    def events(self) -> np.ndarray:
        """The distinct event ids, sorted."""
        return np.unique(self.event_id)


def _ints(table: CsvTable, j: int, what: str) -> np.ndarray:
    values = table.floats(j, what, nonnegative=True)
    frac = values != np.floor(values)
    if np.any(frac):
        i = int(np.argmax(frac))
        raise InputError(f"{table.where(i)}: {what} must be an integer, got "
                         f"{table.rows[i][j]!r}")
    return values.astype(np.int64)


@dataclass
class _Sites:
    collection: SiteCollection
    site_ids: np.ndarray | None
    custom: list[str] | None
    path: Path


def _read_sites(path: str | Path) -> _Sites:
    from toolkit.engine.hazard.sites import SiteCollection

    table = read_csv_table(path, "sites file")
    where0 = f"{table.path} line {table.header_line}"
    lon_j, lat_j = table.index("lon"), table.index("lat")
    if lon_j is None or lat_j is None:
        raise InputError(f"{where0}: the sites file needs the columns 'lon' and 'lat'; got "
                         f"{','.join(table.header)}")
    if not table.rows:
        raise InputError(f"{table.path}: the sites file has a header but no sites")
    lons = table.floats(lon_j, "lon")
    lats = table.floats(lat_j, "lat")
    bad = (np.abs(lons) > 180) | (np.abs(lats) > 90)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise InputError(f"{table.where(i)}: site ({lons[i]:g}, {lats[i]:g}) is out of range "
                         "(lon in [-180, 180], lat in [-90, 90])")
    sid_j = table.index("site_id")
    site_ids = _ints(table, sid_j, "site_id") if sid_j is not None else None
    if site_ids is not None:
        _, first, inverse = np.unique(site_ids, return_index=True, return_inverse=True)
        dup = np.flatnonzero(first[inverse.reshape(-1)] != np.arange(len(site_ids)))
        if dup.size:
            raise InputError(f"{table.where(int(dup[0]))}: site_id {site_ids[dup[0]]} is "
                             "repeated")
    custom_j = table.index("custom_site_id")
    custom = table.column(custom_j) if custom_j is not None else None
    if custom is not None and len(set(custom)) != len(custom):
        seen: set[str] = set()
        for i, c in enumerate(custom):
            if c in seen:
                raise InputError(f"{table.where(i)}: custom_site_id {c!r} is repeated")
            seen.add(c)
    return _Sites(SiteCollection(lons=lons, lats=lats), site_ids, custom, table.path)


def read_gmfs_csv(path: str | Path, sites_csv: str | Path | None = None) -> GmfsFromFile:
    """Read ground-motion fields from an OpenQuake-style CSV file.

    Parameters
    ----------
    path : str or Path
        The GMF CSV (see the module docstring for the layouts).
    sites_csv : str or Path, optional
        The sites CSV; required for the ``custom_site_id`` layout.

    Returns
    -------
    GmfsFromFile

    Raises
    ------
    InputError
        Unknown or missing columns, non-numeric, non-finite or negative values, non-integer or
        negative ids, duplicate (event, site) rows, site ids not in the sites file, or no rows;
        messages name the file, the line and the column.
    """
    table = read_csv_table(path, "ground-motion fields file")
    where0 = f"{table.path} line {table.header_line}"
    roles: dict[str, int] = {}
    imt_cols: dict[str, int] = {}
    for j, name in enumerate(table.header):
        if name in _SYNONYMS:
            role = _SYNONYMS[name]
            if role in roles:
                raise InputError(f"{where0}: columns {table.header[roles[role]]!r} and {name!r} "
                                 "give the same field")
            roles[role] = j
        elif name.startswith("gmv_") and len(name) > 4:
            imt = canonical_imt(name[4:], f"{where0}, column {name!r}")
            if imt in imt_cols:
                raise InputError(f"{where0}: columns {table.header[imt_cols[imt]]!r} and "
                                 f"{name!r} give the same IMT {imt}")
            imt_cols[imt] = j
        else:
            raise InputError(f"{where0}: unknown column {name!r}; expected [rlzi,]sid,eid,"
                             "gmv_<IMT>... (or site_id/custom_site_id, event_id)")
    if "event" not in roles:
        raise InputError(f"{where0}: no event column (eid or event_id)")
    if "site" in roles and "custom" in roles:
        raise InputError(f"{where0}: give either a site id (sid/site_id) or custom_site_id, "
                         "not both")
    if "site" not in roles and "custom" not in roles:
        raise InputError(f"{where0}: no site column (sid, site_id or custom_site_id)")
    if not imt_cols:
        raise InputError(f"{where0}: no ground-motion column (gmv_<IMT>, e.g. gmv_PGA)")
    if not table.rows:
        raise InputError(f"{table.path}: the ground-motion fields file has no rows")

    event_id = _ints(table, roles["event"], table.header[roles["event"]])
    rlz_id = _ints(table, roles["rlz"], table.header[roles["rlz"]]) if "rlz" in roles else None
    gmv = {imt: table.floats(j, table.header[j], nonnegative=True)
           for imt, j in imt_cols.items()}
    sites = _read_sites(sites_csv) if sites_csv is not None else None

    if "custom" in roles:
        if sites is None or sites.custom is None:
            raise InputError(f"{where0}: custom_site_id needs a sites CSV with a "
                             "custom_site_id column (sites_csv)")
        index = {c: k for k, c in enumerate(sites.custom)}
        cells = table.column(roles["custom"])
        site_id = np.empty(len(cells), dtype=np.int64)
        for i, cell in enumerate(cells):
            if cell not in index:
                raise InputError(f"{table.where(i)}: custom_site_id {cell!r} is not in "
                                 f"{sites.path}")
            site_id[i] = index[cell]
    else:
        sid_name = table.header[roles["site"]]
        site_id = _ints(table, roles["site"], sid_name)
        if sites is not None:
            n = len(sites.collection.lons)
            if sites.site_ids is None:
                out = site_id >= n
                if np.any(out):
                    i = int(np.argmax(out))
                    raise InputError(f"{table.where(i)}: {sid_name} {site_id[i]} is not in "
                                     f"{sites.path} ({n} sites, ids 0..{n - 1})")
            else:
                order = np.argsort(sites.site_ids)
                pos = np.searchsorted(sites.site_ids, site_id, sorter=order)
                pos = np.minimum(pos, len(order) - 1)
                found = sites.site_ids[order[pos]] == site_id
                if not np.all(found):
                    i = int(np.argmin(found))
                    raise InputError(f"{table.where(i)}: {sid_name} {site_id[i]} is not a "
                                     f"site_id of {sites.path}")
                site_id = order[pos].astype(np.int64)

    pairs = np.stack([event_id, site_id], axis=1)
    _, first, inverse = np.unique(pairs, axis=0, return_index=True, return_inverse=True)
    dup = np.flatnonzero(first[inverse.reshape(-1)] != np.arange(len(pairs)))
    if dup.size:
        i = int(dup[0])
        j = int(first[inverse.reshape(-1)[i]])
        raise InputError(f"{table.where(i)}: event {event_id[i]} at site {site_id[i]} is given "
                         f"twice (first at line {int(table.lines[j])})")
    return GmfsFromFile(sites=None if sites is None else sites.collection, event_id=event_id,
                        site_id=site_id, gmv=gmv, n_events=len(np.unique(event_id)),
                        rlz_id=rlz_id, path=table.path)
