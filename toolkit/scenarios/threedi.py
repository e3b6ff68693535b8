"""Read 3Di results: a ``gridadmin.h5`` + ``results_3di.nc`` pair as xarray objects.

3Di writes two files per simulation (see ``../shared/reference/lizard/NOTES.md`` section 3):

- ``gridadmin.h5`` (HDF5, the static grid): root attributes with the model identity and CRS,
  groups ``nodes``, ``lines``, ``pumps``, ``meta`` ... Index 0 of ``nodes``, ``lines`` and
  ``pumps`` is a dummy entry (id 0, type -9999): real node ``i`` is at index ``i``. Node ids are
  2D first (1..n2dtot), then 1D. The bottom level of a 2D cell is ``nodes/dmax`` (the lowest
  pixel of the cell; equal to ``Mesh2DFace_zcc`` in the results).
- ``results_3di.nc`` (netCDF4, CF-1.6): snapshots of the flow variables on dimension ``time``
  (``seconds since <simulation start>``, not exactly regular), ``Mesh2D_<var>`` on
  ``nMesh2D_nodes`` / ``nMesh2D_lines`` and ``Mesh1D_<var>`` on ``nMesh1D_nodes`` /
  ``nMesh1D_lines`` / ``nPumps``; fill value -9999.
- ``aggregate_results_3di.nc`` (optional): ``Mesh2D_<var>_<method>`` variables, each on its own
  time dimension ``time_<var>_<method>``. No public sample exists; the layout follows the 3Di
  documentation.

:func:`open_threedi` opens a pair, checks that both files belong to the same model and exposes

- ``cells``: the 2D nodes (dimension ``cell``, in results order) with centre ``x``/``y``,
  ``bottom_level``, bounds ``xmin``/``ymin``/``xmax``/``ymax``, ``node_type``, refinement level
  ``k`` and ``sumax``;
- ``nodes_1d`` (dimension ``node_1d``) and ``lines`` (dimension ``line``, all flow lines);
- ``timeseries(var, subset)``: a lazy :class:`xarray.DataArray` (``time``, entity) read from
  disk only when indexed, fill values as NaN; :meth:`ThreediResult.iter_steps` streams it in
  blocks of time steps.

The dummy index 0 is removed everywhere, bytes metadata are decoded to ``str``, float fill
values (-9999) read as NaN (integer fields of the gridadmin keep -9999 for "none"), and times are
seconds since the simulation start (``time`` coordinate), with ``datetime`` alongside when the
units name the start. This module depends on h5py, netCDF4 (through xarray) and pyproj only, not
on threedigrid.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import InputError, UnknownName

__all__ = [
    "ThreediResult",
    "open_threedi",
    "NODE_TYPES",
    "FILL_VALUE",
    "CHUNK_BYTES",
]

#: node types of the gridadmin (threedigrid subset names)
NODE_TYPES = {
    1: "2D_OPEN_WATER",
    2: "2D_GROUNDWATER",
    3: "1D_NO_STORAGE",
    4: "1D_STORAGE",
    5: "2D_BOUNDARIES",
    6: "2D_GROUNDWATER_BOUNDARIES",
    7: "1D_BOUNDARIES",
}
_NODE_TYPES_2D = (1, 2, 5, 6)
_NODE_TYPES_1D = (3, 4, 7)

#: fill value of 3Di files (read as NaN)
FILL_VALUE = -9999.0

#: target size of one block of time steps read by :meth:`ThreediResult.iter_steps` (bytes)
CHUNK_BYTES = 8 * 2**20

_PREFIX = {"2D": "Mesh2D", "1D": "Mesh1D"}
#: netCDF dimension -> our dimension name, and the variable holding its ids
_DIMS = {
    "nMesh2D_nodes": ("cell", "Mesh2DNode_id"),
    "nMesh2D_lines": ("line_2d", "Mesh2DLine_id"),
    "nMesh1D_nodes": ("node_1d", "Mesh1DNode_id"),
    "nMesh1D_lines": ("line_1d", "Mesh1DLine_id"),
    "nPumps": ("pump", "Mesh1DPump_id"),
}
_TRUNCATED = re.compile(r"truncated file: eof = (\d+).*stored_eof = (\d+)")
_SINCE = re.compile(r"^\s*seconds\s+since\s+(\S.*?)\s*$")


# ---------------------------------------------------------------------------- helpers


def _decode(value: Any) -> Any:
    """bytes -> str and numpy scalars -> Python scalars; arrays of bytes -> arrays of str."""
    if isinstance(value, bytes | np.bytes_):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "S":
            return np.char.decode(value, "utf-8", errors="replace")
        if value.dtype.kind == "O":
            return np.array([_decode(v) for v in value.ravel()], dtype=object).reshape(
                value.shape)
        return value
    if isinstance(value, np.generic):
        return value.item()
    return value


def _unreadable(path: Path, what: str, exc: BaseException) -> InputError:
    """An InputError for an HDF5/netCDF file that does not open, saying why when possible."""
    import h5py

    reason = str(exc)
    try:
        with h5py.File(path, "r"):
            pass
    except OSError as h5exc:
        reason = str(h5exc)
    match = _TRUNCATED.search(reason)
    if match:
        have, want = int(match.group(1)), int(match.group(2))
        return InputError(f"{path}: {what} is truncated: {have} of {want} bytes (an incomplete "
                          "download or copy?)")
    return InputError(f"{path}: {what} cannot be read as HDF5/netCDF4 ({reason})")


def _check_file(path: str | Path, what: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: {what} not found")
    return path


def _open_gridadmin(path: Path) -> Any:
    import h5py

    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise _unreadable(path, "gridadmin file", exc) from None
    missing = [g for g in ("nodes", "lines", "meta") if g not in h5]
    if missing:
        h5.close()
        raise InputError(f"{path}: not a 3Di gridadmin file (no group {missing[0]!r})")
    return h5


def _open_netcdf(path: Path, what: str, aggregate: bool = False) -> tuple[Any, Any]:
    """Open with netCDF4 and wrap as a lazy xarray Dataset sharing that one handle (two handles
    on one file would share HDF5 datasets and their default 64 MB chunk caches)."""
    import h5py
    import netCDF4
    import xarray as xr

    # Check with h5py first: it names truncation precisely, and netCDF-C can crash the process
    # on some plain HDF5 files (a gridadmin.h5 given as results aborts in malloc).
    try:
        with h5py.File(path, "r") as h5:
            netcdf4 = "_NCProperties" in h5.attrs or any(
                isinstance(obj, h5py.Dataset) and obj.attrs.get("CLASS") == b"DIMENSION_SCALE"
                for obj in h5.values())
    except OSError as exc:
        raise _unreadable(path, what, exc) from None
    if not netcdf4:
        raise InputError(f"{path}: not a 3Di {what} (an HDF5 file without netCDF-4 dimensions)")
    try:
        nc = netCDF4.Dataset(path, "r")
    except OSError as exc:
        raise _unreadable(path, what, exc) from None
    try:
        ds = xr.open_dataset(xr.backends.NetCDF4DataStore(nc), decode_times=False,
                             decode_coords=False, mask_and_scale=True, cache=False)
    except (OSError, RuntimeError, ValueError) as exc:
        nc.close()
        raise InputError(f"{path}: {what} is not a valid 3Di netCDF file ({exc})") from None
    if aggregate:
        if not any(str(name).startswith("time_") for name in ds.variables):
            ds.close()
            raise InputError(f"{path}: not a 3Di {what} (no time_<var>_<method> variable)")
    elif "time" not in ds.variables:
        ds.close()
        raise InputError(f"{path}: not a 3Di {what} (no 'time' variable)")
    return ds, nc


def _times(ds: Any, path: Path, name: str = "time") -> np.ndarray:
    seconds = np.asarray(ds[name].values, dtype=np.float64)
    if seconds.ndim != 1 or not np.isfinite(seconds).all():
        raise InputError(f"{path}: variable {name!r} has missing (fill) values")
    if seconds.size > 1 and not (np.diff(seconds) > 0).all():
        raise InputError(f"{path}: variable {name!r} is not strictly increasing")
    return seconds


def _start_time(ds: Any, name: str = "time") -> np.datetime64 | None:
    match = _SINCE.match(str(ds[name].attrs.get("units", "")))
    if not match:
        return None
    try:
        return np.datetime64(match.group(1).replace(" ", "T", 1), "s")
    except ValueError:
        return None


def _epsg_from(value: Any) -> int | None:
    text = str(_decode(value) if value is not None else "").strip().upper()
    text = text.removeprefix("EPSG:")
    return int(text) if text.isdigit() and int(text) > 0 else None


# ---------------------------------------------------------------------------- the result


class ThreediResult:
    """A 3Di result pair opened for reading; use :func:`open_threedi` to make one.

    Attributes
    ----------
    gridadmin, results, aggregate : Path or None
        The files.
    gridadmin_attrs, results_attrs : dict
        Root attributes of the gridadmin and results files (bytes decoded).
    times : numpy.ndarray
        Output times in seconds since the simulation start (float64).
    start_time : numpy.datetime64 or None
        Simulation start, from the units of ``time`` (None when the units do not name it).
    crs : pyproj.CRS or None
        Model CRS (gridadmin ``epsg_code``, else ``crs_wkt``, else the results' EPSG).
    epsg : int or None
        EPSG code of ``crs`` when known.
    """

    def __init__(self, gridadmin: str | Path, results: str | Path,
                 aggregate: str | Path | None = None) -> None:
        self.gridadmin = _check_file(gridadmin, "gridadmin file")
        self.results = _check_file(results, "results file")
        self.aggregate = None if aggregate is None else _check_file(aggregate,
                                                                    "aggregate results file")
        self._h5: Any = None
        self._ds: Any = None
        self._agg: Any = None
        self._nc: dict[Path, Any] = {}  # the netCDF4 handles under _ds and _agg
        try:
            self._h5 = _open_gridadmin(self.gridadmin)
            self._ds, self._nc[self.results] = _open_netcdf(self.results, "results file")
            if self.aggregate is not None:
                self._agg, self._nc[self.aggregate] = _open_netcdf(
                    self.aggregate, "aggregate results file", aggregate=True)
            try:
                self._setup()
            except KeyError as exc:
                raise InputError(f"{self.gridadmin}: not a complete 3Di gridadmin file "
                                 f"({exc})") from None
        except BaseException:
            self.close()
            raise

    # -- opening ------------------------------------------------------------------------

    def _setup(self) -> None:
        h5 = self._h5
        self.gridadmin_attrs = {k: _decode(v) for k, v in h5.attrs.items()}
        self.results_attrs = {k: _decode(v) for k, v in self._ds.attrs.items()}
        self._meta = {k: _decode(h5["meta"][k][()]) for k in h5["meta"]}
        self._node_type = h5["nodes/node_type"][:]
        self._n_nodes = self._node_type.size - 1
        self._n_lines = h5["lines/id"].shape[0] - 1
        self._n_pumps = h5["pumps/id"].shape[0] - 1 if "pumps" in h5 else 0
        self.crs, self.epsg = self._read_crs()
        self.times = _times(self._ds, self.results)
        self.start_time = _start_time(self._ds)
        self._ids: dict[str, np.ndarray] = {}
        self._check_same_model(self._ds, self.results, "results file")
        if self._agg is not None:
            self._check_same_model(self._agg, self.aggregate, "aggregate results file")

    def _read_crs(self) -> tuple[Any, int | None]:
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            epsg = _epsg_from(self.gridadmin_attrs.get("epsg_code"))
            if epsg is not None:
                return CRS.from_epsg(epsg), epsg
            wkt = str(self.gridadmin_attrs.get("crs_wkt") or "").strip()
            if wkt:
                crs = CRS.from_wkt(wkt)
                return crs, crs.to_epsg()
            res_epsg = self._results_epsg(self._ds)
            if res_epsg is not None:
                return CRS.from_epsg(res_epsg), res_epsg
        except CRSError as exc:
            raise InputError(f"{self.gridadmin}: unknown CRS ({exc})") from None
        return None, None

    @staticmethod
    def _results_epsg(ds: Any) -> int | None:
        if "projected_coordinate_system" not in ds.variables:
            return None
        attrs = ds["projected_coordinate_system"].attrs
        return _epsg_from(attrs.get("epsg", attrs.get("EPSG_code")))

    def _ids_of(self, ds: Any, dim: str) -> np.ndarray:
        id_var = _DIMS[dim][1]
        if dim not in ds.sizes:
            return np.zeros(0, dtype=np.int64)
        if id_var not in ds.variables:
            return np.arange(1, ds.sizes[dim] + 1, dtype=np.int64)
        values = np.asarray(ds[id_var].values)
        if values.dtype.kind == "f":
            if not np.isfinite(values).all():
                return np.full(values.shape, -1, dtype=np.int64)
        return values.astype(np.int64)

    def _check_same_model(self, ds: Any, path: Path | None, what: str) -> None:
        """Raise InputError when ``ds`` (results or aggregate) is not of this gridadmin."""
        diffs: list[str] = []
        ga_slug = str(self.gridadmin_attrs.get("model_slug") or "")
        nc_slug = str(ds.attrs.get("model_slug") or "")
        if ga_slug and nc_slug and ga_slug != nc_slug:
            diffs.append(f"model_slug {nc_slug!r} != {ga_slug!r}")
        nc_epsg = self._results_epsg(ds)
        if self.epsg is not None and nc_epsg is not None and nc_epsg != self.epsg:
            diffs.append(f"EPSG {nc_epsg} != {self.epsg}")
        meta = self._meta
        size = ds.sizes.get
        # nodes: the meta counts, or (models with boundary nodes) all nodes of the mesh's types
        expected = {
            "nMesh2D_nodes": ("n2dtot + ngrtot", int(meta.get("n2dtot", 0))
                              + int(meta.get("ngrtot", 0)), _NODE_TYPES_2D),
            "nMesh1D_nodes": ("n1dtot", int(meta.get("n1dtot", 0)), _NODE_TYPES_1D),
        }
        for dim, (label, want, types) in expected.items():
            have = int(size(dim, 0))
            if have != want and have != int(np.isin(self._node_type, types).sum()):
                diffs.append(f"{dim} = {have} but the gridadmin has {label} = {want}")
        n_lines = int(size("nMesh2D_lines", 0)) + int(size("nMesh1D_lines", 0))
        if n_lines != self._n_lines:
            diffs.append(f"nMesh2D_lines + nMesh1D_lines = {n_lines} but the gridadmin has "
                         f"{self._n_lines} lines")
        if "nPumps" in ds.sizes and int(size("nPumps")) != self._n_pumps:
            diffs.append(f"nPumps = {int(size('nPumps'))} but the gridadmin has "
                         f"{self._n_pumps} pumps")
        if not diffs:
            diffs = self._check_nodes(ds)
        if diffs:
            raise InputError(f"{what} {path} does not belong to gridadmin {self.gridadmin}: "
                             + "; ".join(diffs))
        if ds is self._ds:
            for dim in _DIMS:
                self._ids[dim] = self._ids_of(ds, dim)

    def _check_nodes(self, ds: Any) -> list[str]:
        """Node ids in range, of the right type, and 2D cell centres where the gridadmin says."""
        diffs = []
        for dim, types in (("nMesh2D_nodes", _NODE_TYPES_2D), ("nMesh1D_nodes", _NODE_TYPES_1D)):
            ids = self._ids_of(ds, dim)
            if ids.size == 0:
                continue
            if ids.min() < 1 or ids.max() > self._n_nodes:
                diffs.append(f"{_DIMS[dim][1]} outside the gridadmin's node ids 1..{self._n_nodes}")
                continue
            if not np.isin(self._node_type[ids], types).all():
                diffs.append(f"{_DIMS[dim][1]} names gridadmin nodes of another type")
        if diffs or "Mesh2DFace_xcc" not in ds.variables:
            return diffs
        ids = self._ids_of(ds, "nMesh2D_nodes")
        xy = self._h5["nodes/coordinates"][:, :]
        for axis, var in enumerate(("Mesh2DFace_xcc", "Mesh2DFace_ycc")):
            if var not in ds.variables:
                continue
            nc = np.asarray(ds[var].values, dtype=np.float64)
            ga = xy[axis, ids]
            both = np.isfinite(nc) & np.isfinite(ga)
            off = np.abs(nc[both] - ga[both])
            if off.size and off.max() > 1e-3:
                i = int(np.flatnonzero(both)[np.argmax(off)])
                diffs.append(f"{var} of node {int(ids[i])} is {float(nc[i])!r}, the gridadmin "
                             f"has {float(ga[i])!r}")
        return diffs

    # -- static data --------------------------------------------------------------------

    def _nodes(self, name: str, index: np.ndarray) -> np.ndarray:
        dataset = self._h5[f"nodes/{name}"]
        if index.size and index[-1] - index[0] == index.size - 1 and (np.diff(index) == 1).all():
            data = dataset[..., int(index[0]):int(index[-1]) + 1]  # contiguous: no full copy
        else:
            data = dataset[...][..., index]
        if data.dtype.kind == "f":
            data = np.where(data == FILL_VALUE, np.nan, data)
        return _decode(data)

    @cached_property
    def cells(self) -> Any:
        """The 2D nodes as an :class:`xarray.Dataset` over ``cell`` (results order).

        Variables: ``x``, ``y`` (centre), ``bottom_level`` (m, gridadmin ``dmax``), ``xmin``,
        ``ymin``, ``xmax``, ``ymax`` (cell bounds), ``node_type`` (1 = 2D open water, 2 = 2D
        groundwater, see :data:`NODE_TYPES`), ``k`` (refinement level, cell size
        ``dx * 2**(k-1)``) and ``sumax`` (m², total cell surface). Coordinate ``id``: node id.
        """
        import xarray as xr

        ids = self._ids["nMesh2D_nodes"]
        bounds = self._nodes("cell_coords", ids)
        xy = self._nodes("coordinates", ids)
        data = {
            "x": xy[0], "y": xy[1],
            "bottom_level": self._nodes("dmax", ids),
            "xmin": bounds[0], "ymin": bounds[1], "xmax": bounds[2], "ymax": bounds[3],
            "node_type": self._node_type[ids],
        }
        if "nodk" in self._h5["nodes"]:
            data["k"] = self._nodes("nodk", ids)
        if "sumax" in self._h5["nodes"]:
            data["sumax"] = self._nodes("sumax", ids)
        ds = xr.Dataset({k: ("cell", np.asarray(v)) for k, v in data.items()},
                        coords={"id": ("cell", ids)})
        ds["bottom_level"].attrs.update(units="m", long_name="cell bottom level (dmax)")
        for name in ("x", "y", "xmin", "ymin", "xmax", "ymax"):
            ds[name].attrs["units"] = "m"
        ds.attrs.update(crs=self.crs.to_string() if self.crs is not None else "",
                        source=str(self.gridadmin))
        return ds

    @cached_property
    def nodes_1d(self) -> Any:
        """The 1D nodes as an :class:`xarray.Dataset` over ``node_1d`` (results order).

        Variables: ``x``, ``y``, ``bottom_level`` (gridadmin ``dmax``), ``node_type``,
        ``calculation_type``, ``storage_area``, ``initial_waterlevel``, ``is_manhole``, ``code``,
        ``display_name`` (those present in the gridadmin). Empty for a 2D-only model.
        """
        import xarray as xr

        ids = self._ids["nMesh1D_nodes"]
        if ids.size == 0:
            ids = np.flatnonzero(np.isin(self._node_type, _NODE_TYPES_1D)).astype(np.int64)
        group = self._h5["nodes"]
        xy = self._nodes("coordinates", ids)
        data: dict[str, Any] = {"x": xy[0], "y": xy[1], "bottom_level": self._nodes("dmax", ids),
                                "node_type": self._node_type[ids]}
        for name in ("calculation_type", "storage_area", "initial_waterlevel", "is_manhole",
                     "code", "display_name"):
            if name in group:
                data[name] = self._nodes(name, ids)
        return xr.Dataset({k: ("node_1d", np.asarray(v)) for k, v in data.items()},
                          coords={"id": ("node_1d", ids)})

    @cached_property
    def lines(self) -> Any:
        """All flow lines as an :class:`xarray.Dataset` over ``line`` (gridadmin order).

        Variables: ``kcu`` (line type: 0-5 1D, 51-58 1D2D, 100/101 2D, ...), ``node_from``,
        ``node_to`` (node ids), ``x_from``, ``y_from``, ``x_to``, ``y_to`` (``line_coords``),
        ``mesh`` ("2D" for the lines of ``Mesh2D_*`` results, else "1D"), and ``content_type``,
        ``content_pk``, ``code``, ``display_name`` when present.
        """
        import xarray as xr

        group = self._h5["lines"]
        n = self._n_lines
        ids = group["id"][1:].astype(np.int64)
        line = group["line"][:, 1:]
        coords = group["line_coords"][:, 1:]
        mesh = np.full(n, "1D", dtype="<U2")
        mesh[np.isin(ids, self._ids["nMesh2D_lines"])] = "2D"
        data: dict[str, Any] = {
            "kcu": group["kcu"][1:], "node_from": line[0], "node_to": line[1],
            "x_from": coords[0], "y_from": coords[1], "x_to": coords[2], "y_to": coords[3],
            "mesh": mesh,
        }
        for name in ("content_type", "content_pk", "code", "display_name"):
            if name in group:
                data[name] = _decode(group[name][1:])
        return xr.Dataset({k: ("line", np.asarray(v)) for k, v in data.items()},
                          coords={"id": ("line", ids)})

    @cached_property
    def open_water(self) -> np.ndarray:
        """Positions (along ``cell``) of the 2D open-water cells (node type 1)."""
        return np.flatnonzero(self.cells["node_type"].values == 1)

    @cached_property
    def grid(self) -> Any:
        """:class:`~toolkit.scenarios.rasters.CellGrid` of the open-water cells, quad resolution.

        Cell positions in the grid index :attr:`open_water`.
        """
        from toolkit.scenarios.rasters import CellGrid

        ow = self.open_water
        every = ow.size == self.cells.sizes["cell"]
        bounds = [self.cells[name].values if every else self.cells[name].values[ow]
                  for name in ("xmin", "ymin", "xmax", "ymax")]
        try:
            return CellGrid.from_bounds(*bounds)
        except InputError as exc:
            raise InputError(f"{self.gridadmin}: {exc}") from None

    @property
    def model_slug(self) -> str:
        """Model slug from the gridadmin (or the results when the gridadmin has none)."""
        return str(self.gridadmin_attrs.get("model_slug") or self.results_attrs.get("model_slug")
                   or "")

    @property
    def datetimes(self) -> np.ndarray | None:
        """Output times as ``datetime64[ms]`` (None when the start time is unknown)."""
        if self.start_time is None:
            return None
        return self.start_time.astype("datetime64[ms]") + np.rint(self.times * 1e3).astype(
            "timedelta64[ms]")

    # -- time series --------------------------------------------------------------------

    def variables(self, subset: str = "2D") -> list[str]:
        """Names of the time-series variables of a subset (without the ``Mesh2D_`` prefix)."""
        prefix = self._prefix(subset) + "_"
        names = []
        for ds in (self._ds, self._agg):
            if ds is None:
                continue
            for name, var in ds.data_vars.items():
                if name.startswith(prefix) and var.ndim == 2 and var.dims[0].startswith("time"):
                    names.append(name[len(prefix):])
        return names

    @staticmethod
    def _prefix(subset: str) -> str:
        key = str(subset).upper()
        if key not in _PREFIX:
            raise UnknownName(f"unknown 3Di subset {subset!r}: expected '2D' or '1D'")
        return _PREFIX[key]

    def _find(self, var: str, subset: str) -> tuple[Any, str, Path | None]:
        name = f"{self._prefix(subset)}_{var}"
        for ds, path in ((self._ds, self.results), (self._agg, self.aggregate)):
            if ds is not None and name in ds.data_vars and ds[name].ndim == 2:
                return ds, name, path
        where = str(self.results) + (f" or {self.aggregate}" if self.aggregate else "")
        raise UnknownName(f"{where}: no time series {name!r}; available for subset {subset!r}: "
                          + ", ".join(self.variables(subset)))

    def timeseries(self, var: str, subset: str = "2D") -> Any:
        """A lazy time series as :class:`xarray.DataArray` with dims (``time``, entity).

        Parameters
        ----------
        var : str
            Variable without prefix: ``s1`` (water level, m), ``vol`` (m³), ``u1`` (velocity on
            lines, m/s), ``q`` (discharge on lines, m³/s), ``su``, ``ucx``, ``rain`` ... or an
            aggregate ``s1_max``, ``q_cum`` ... when an aggregate file was given.
        subset : {"2D", "1D"}
            Mesh; the entity dimension is ``cell``, ``line_2d``, ``node_1d``, ``line_1d`` or
            ``pump`` depending on the variable.

        Returns
        -------
        xarray.DataArray
            Nothing is read until the array is indexed or loaded; fill values read as NaN.
            Coordinates: ``time`` (seconds since the simulation start), ``datetime`` (when the
            start is known) and ``id`` (3Di ids of the entities).

        Raises
        ------
        UnknownName
            Unknown subset or variable (the message lists the available ones).
        """
        ds, name, path = self._find(var, subset)
        da = ds[name]
        time_dim, entity_dim = da.dims
        if time_dim == "time" and ds is self._ds:
            seconds, start = self.times, self.start_time
        else:
            seconds = _times(ds, path, time_dim) if time_dim in ds.variables else np.arange(
                da.shape[0], dtype=np.float64)
            start = _start_time(ds, time_dim) if time_dim in ds.variables else None
        dim, _ = _DIMS.get(entity_dim, (entity_dim, None))
        ids = self._ids.get(entity_dim)
        if ids is None or ids.size != da.shape[1]:
            ids = self._ids_of(ds, entity_dim) if entity_dim in _DIMS else np.arange(
                1, da.shape[1] + 1)
        da = da.rename({time_dim: "time", entity_dim: dim})
        coords: dict[str, Any] = {"time": ("time", seconds), "id": (dim, ids)}
        if start is not None:
            coords["datetime"] = ("time", start.astype("datetime64[ns]")
                                  + np.rint(seconds * 1e9).astype("timedelta64[ns]"))
        da = da.assign_coords(coords)
        da.coords["time"].attrs.update(units="s", long_name="seconds since simulation start")
        da.attrs = {k: _decode(v) for k, v in da.attrs.items()}
        da.attrs["source"] = str(path)
        da.name = var
        return da

    def chunk_steps(self, n_values: int, itemsize: int = 8) -> int:
        """Time steps per block so that a block of ``n_values`` per step is ~CHUNK_BYTES."""
        return max(1, min(self.times.size, CHUNK_BYTES // max(1, n_values * itemsize)))

    def iter_steps(self, var: str, subset: str = "2D", *, positions: np.ndarray | None = None,
                   chunk_steps: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """Stream a time series in blocks of time steps.

        Parameters
        ----------
        var, subset
            As :meth:`timeseries`.
        positions : numpy.ndarray, optional
            Entity positions to keep (e.g. :attr:`open_water`); default all.
        chunk_steps : int, optional
            Time steps per block; default :meth:`chunk_steps` (about 8 MB of float64).

        Yields
        ------
        (int, numpy.ndarray)
            Index of the first step of the block and the block, float64 of shape
            ``(steps, entities)`` with NaN for fill values. Only one block is in memory at a time.
        """
        ds, name, path = self._find(var, subset)
        n_time, n_entity = ds[name].shape
        if positions is not None:
            positions = np.asarray(positions)
            if positions.size == n_entity and (positions == np.arange(n_entity)).all():
                positions = None
        steps = chunk_steps or self.chunk_steps(n_entity)
        variable = self._stream_variable(path, name)
        fill = getattr(variable, "_FillValue", None)
        for start in range(0, n_time, steps):
            block = variable[start:start + steps]
            if positions is not None:
                block = block[:, positions]
            block = block.astype(np.float64)
            if fill is not None:
                block[block == fill] = np.nan
            yield start, block

    def _stream_variable(self, path: Path, name: str) -> Any:
        """The netCDF4 variable ``name`` of ``path`` for raw block reads, with a chunk cache of
        one row of chunks (the 64 MB default would only cost memory when streaming)."""
        variable = self._nc[path].variables[name]
        variable.set_auto_maskandscale(False)
        if any(hasattr(variable, a) for a in ("scale_factor", "add_offset")):
            raise InputError(f"{path}: {name} is packed (scale_factor/add_offset), which 3Di "
                             "files are not; streaming it is not supported")
        chunking = variable.chunking()
        if isinstance(chunking, list):
            row = variable.dtype.itemsize * int(np.prod(chunking[:1])) * int(np.prod([
                -(-n // c) * c for n, c in zip(variable.shape[1:], chunking[1:], strict=True)]))
            variable.set_var_chunk_cache(size=max(2**20, row), nelems=1009, preemption=0.75)
        return variable

    # -- lifetime -----------------------------------------------------------------------

    def close(self) -> None:
        """Close the files (idempotent)."""
        self._nc = {}  # closed with the xarray datasets that wrap them
        for attr in ("_agg", "_ds", "_h5"):
            handle = getattr(self, attr, None)
            if handle is not None:
                handle.close()
                setattr(self, attr, None)

    def __enter__(self) -> ThreediResult:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._ds is None:
            return f"<ThreediResult {self.results} (closed)>"
        sizes = self._ds.sizes
        return (f"<ThreediResult {self.model_slug!r}: {sizes.get('nMesh2D_nodes', 0)} 2D cells, "
                f"{sizes.get('nMesh1D_nodes', 0)} 1D nodes, {self._n_lines} lines, "
                f"{self.times.size} output steps over {self.times[-1] if self.times.size else 0}"
                f" s, EPSG {self.epsg}>")


def open_threedi(gridadmin: str | Path, results: str | Path,
                 aggregate: str | Path | None = None) -> ThreediResult:
    """Open a 3Di result pair (and its aggregate file when given).

    Parameters
    ----------
    gridadmin : str or Path
        ``gridadmin.h5`` of the model.
    results : str or Path
        ``results_3di.nc`` of a simulation with that model.
    aggregate : str or Path, optional
        ``aggregate_results_3di.nc`` of the same simulation.

    Returns
    -------
    ThreediResult
        Open for reading; close it (or use ``with``) when done.

    Raises
    ------
    InputError
        A file is missing, truncated or not HDF5/netCDF4, or the results (or aggregate) belong
        to another model than the gridadmin: different ``model_slug`` or EPSG code, node or line
        counts that do not match, or 2D cell centres that differ (the message names both files
        and what differs).

    Examples
    --------
    >>> with open_threedi("gridadmin.h5", "results_3di.nc") as r:          # doctest: +SKIP
    ...     s1 = r.timeseries("s1")            # lazy (time, cell)
    ...     last = s1.isel(time=-1).values     # reads one step
    """
    return ThreediResult(gridadmin, results, aggregate)
