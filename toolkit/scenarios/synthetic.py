"""A synthetic 3Di-like result pair, written by the toolkit itself (demo and benchmark data).

The pair has the layout of the real files (``../shared/reference/lizard/`` section 3 of the
NOTES): a ``gridadmin.h5`` with the dummy index 0, root attributes ``model_slug``,
``epsg_code``, ``crs_wkt`` ..., groups ``nodes``, ``lines``, ``pumps``, ``meta``,
``grid_coordinate_attributes``; and a ``results_3di.nc`` (netCDF4, CF-1.6) with ``time``
(``seconds since <start>``, float32, slightly irregular steps), ``Mesh2DNode_id``,
``Mesh2DFace_xcc/ycc/zcc``, ``Mesh2DContour_x/y``, ``Mesh2D_s1``, ``Mesh2D_vol``,
``Mesh2D_su`` (and ``Mesh2D_u1``, ``Mesh2D_q`` on the 2D lines), fill value -9999, empty 1D
dimensions. Optionally an ``aggregate_results_3di.nc`` with ``Mesh2D_s1_max`` / ``Mesh2D_s1_min``
on their own time dimensions, as the 3Di documentation describes (no real sample was available).

The model (EPSG:28992 by default) is a tilted basin that fills from its west side:

- bed level :math:`z = -2 + 2.5\\,u + 0.4\\,v + \\epsilon` (m), with :math:`u, v \\in [0, 1]`
  the relative east and north position of the cell centre and :math:`\\epsilon \\sim N(0,
  0.05^2)` (seeded);
- boundary level :math:`L(t) = -2.5 + 3\\,\\sin(\\tfrac{\\pi}{2} t / t_p)` up to the peak at
  :math:`t_p = 0.6\\,T` (0.5 m), then falling linearly to -0.7 m at the end :math:`T`;
- the level reaches a cell with a delay of :math:`0.25\\,T\\,u`: :math:`s1 = \\max(L(t - 0.25 T
  u), z)`, so dry cells report their bed level, as 3Di does;
- about 2 % of the cells have the fill value -9999 at the first output step (as the real
  zwartedijkspolder result has).

So the maximum depth, the arrival time and the rate of rise vary over the model and the maximum
depth is not the last depth. With ``levels=2`` the western half is refined (cells of ``dx``) and
the eastern half is coarse (``2 dx``), a two-level quadtree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toolkit.errors import InputError

__all__ = ["SyntheticPair", "write_synthetic_pair", "MODEL_SLUG", "DEMO_DIR", "DEMO_PARAMETERS"]

#: model slug of the synthetic model (the seed is appended)
MODEL_SLUG = "toolkit-synthetic-basin"

#: folder of the demo pair shipped with the package
DEMO_DIR = Path(__file__).resolve().parents[1] / "demos" / "flood"

#: parameters the demo pair in :data:`DEMO_DIR` was written with
DEMO_PARAMETERS = {"n_cells": 400, "n_times": 25, "seed": 0, "levels": 2, "aggregate": True}

_FILL = -9999.0


@dataclass(frozen=True)
class SyntheticPair:
    """Paths and sizes of a written synthetic pair."""

    gridadmin: Path
    results: Path
    aggregate: Path | None
    n_cells: int
    n_lines: int
    n_times: int


def _layout(n_cells: int, levels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells as (column, row, k) on the finest pixel grid (row 0 at the bottom), gridadmin order
    (coarse cells first, then by column and row)."""
    if levels == 1:
        ny = max(1, math.ceil(math.sqrt(n_cells)))
        i = np.arange(n_cells)
        return i // ny, i % ny, np.ones(n_cells, dtype=np.int32)
    if levels != 2:
        raise InputError(f"synthetic model: levels must be 1 or 2, got {levels}")
    m = max(2, round(math.sqrt(n_cells / 2.5)))
    fine_cols = m // 2
    bx, by = np.meshgrid(np.arange(fine_cols, m), np.arange(m), indexing="ij")
    coarse = (2 * bx.ravel(), 2 * by.ravel(), np.full(bx.size, 2, dtype=np.int32))
    fx, fy = np.meshgrid(np.arange(2 * fine_cols), np.arange(2 * m), indexing="ij")
    fine = (fx.ravel(), fy.ravel(), np.ones(fx.size, dtype=np.int32))
    return tuple(np.concatenate([c, f]) for c, f in zip(coarse, fine, strict=True))


def _lines(col: np.ndarray, row: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Pairs (a, b) of 0-based cell positions sharing an edge, via a pixel index map."""
    cols, rows = int((col + size).max()), int((row + size).max())
    index = np.full((rows, cols), -1, dtype=np.int64)
    for s in np.unique(size):
        sel = np.flatnonzero(size == s)
        rr = row[sel, None, None] + np.arange(s)[None, :, None]
        cc = col[sel, None, None] + np.arange(s)[None, None, :]
        index[rr, cc] = sel[:, None, None]
    pairs = []
    for a, b in ((index[:, :-1], index[:, 1:]), (index[:-1, :], index[1:, :])):
        keep = (a != b) & (a >= 0) & (b >= 0)
        pairs.append(np.stack([a[keep], b[keep]], axis=1))
    return np.unique(np.concatenate(pairs), axis=0)


def _level(t: np.ndarray, duration: float) -> np.ndarray:
    """Boundary water level L(t) (m), see the module docstring."""
    tp = 0.6 * duration
    rising = -2.5 + 3.0 * np.sin(0.5 * np.pi * np.clip(t, 0.0, tp) / tp)
    falling = 0.5 - 1.2 * (t - tp) / (duration - tp)
    return np.where(t <= tp, rising, falling)


def write_synthetic_pair(folder: str | Path, n_cells: int = 400, n_times: int = 25,
                         seed: int = 0, *, levels: int = 2, dx: float = 20.0,
                         duration: float = 6 * 3600.0, epsg: int = 28992,
                         origin: tuple[float, float] = (120000.0, 480000.0),
                         start: str = "2000-01-01 00:00:00", lines: bool = True,
                         extra_variables: bool = True, aggregate: bool = False,
                         agg_every: int = 4, compress: bool = True) -> SyntheticPair:
    """Write ``gridadmin.h5`` and ``results_3di.nc`` (and optionally the aggregate) to a folder.

    Parameters
    ----------
    folder : str or Path
        Output folder (created).
    n_cells : int
        Number of 2D cells: exact with ``levels=1``, approximate with ``levels=2``.
    n_times : int
        Number of output steps (>= 2), spread over ``duration`` with a small seeded jitter.
    seed : int
        Seed of the bed noise, time jitter and fill pattern; part of the model slug.
    levels : {1, 2}
        Quadtree levels (1: uniform ``dx`` cells; 2: refined west half, ``2 dx`` east half).
    dx : float
        Smallest cell size (m).
    duration : float
        Simulated time (s).
    epsg : int
        CRS of the coordinates.
    origin : (float, float)
        South-west corner of the grid.
    start : str
        Simulation start, in the time units.
    lines : bool
        Write the 2D flow lines and their ``u1``/``q`` (False for very large benchmarks).
    extra_variables : bool
        Write ``Mesh2D_vol`` and ``Mesh2D_su`` besides ``Mesh2D_s1``.
    aggregate : bool
        Also write ``aggregate_results_3di.nc`` (``s1_max``/``s1_min`` every ``agg_every``
        output steps).
    compress : bool
        Compress the arrays (zlib level 1 in the netCDF files, gzip in the gridadmin), as the
        real 3Di files are.

    Returns
    -------
    SyntheticPair
    """
    import h5py
    import netCDF4
    from pyproj import CRS
    from pyproj.enums import WktVersion

    if n_cells < 1 or n_times < 2:
        raise InputError(f"synthetic model: need n_cells >= 1 and n_times >= 2, got {n_cells}, "
                         f"{n_times}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    col, row, k = _layout(int(n_cells), int(levels))
    n = col.size
    size = 2 ** (k - 1)
    x0, y0 = origin
    xmin = x0 + col * dx
    ymin = y0 + row * dx
    xmax = xmin + size * dx
    ymax = ymin + size * dx
    xc, yc = 0.5 * (xmin + xmax), 0.5 * (ymin + ymax)
    width = float(xmax.max() - x0)
    height = float(ymax.max() - y0)
    u = (xc - x0) / width
    v = (yc - y0) / height
    bed = -2.0 + 2.5 * u + 0.4 * v + rng.normal(0.0, 0.05, n)
    area = (size * dx) ** 2
    step = duration / (n_times - 1)
    times = np.arange(n_times) * step
    times[1:-1] += rng.uniform(-0.01, 0.01, n_times - 2) * step
    times = times.astype(np.float32)
    fill_first = rng.random(n) < 0.02
    pairs = _lines(col, row, size) if lines else np.zeros((0, 2), dtype=np.int64)
    n_lines = len(pairs)
    crs = CRS.from_epsg(epsg)
    wkt = crs.to_wkt(WktVersion.WKT1_GDAL)
    slug = f"{MODEL_SLUG}-{seed}"
    kmax = int(k.max())
    dxs = dx * 2.0 ** np.arange(kmax)

    def s1_at(i: int) -> np.ndarray:
        level = _level(float(times[i]) - 0.25 * duration * u, duration)
        s1 = np.maximum(level, bed).astype(np.float32)
        if i == 0:
            s1[fill_first] = _FILL
        return s1

    # -- gridadmin.h5 -----------------------------------------------------------------------
    ga_path = folder / "gridadmin.h5"
    nan1 = np.full(n + 1, np.nan)
    with h5py.File(ga_path, "w") as h5:
        attrs = {
            "model_name": b"synthetic_basin", "model_slug": slug.encode(),
            "revision_nr": np.int32(1), "revision_hash": b"",
            "threedigrid_builder_version": b"", "threedicore_version": b"",
            "threedi_version": b"", "threedi_tables_version": b"",
            "epsg_code": str(epsg).encode(), "crs_wkt": wkt.encode(),
            "extent_2d": np.array([x0, y0, x0 + width, y0 + height]),
            "extent_1d": np.full(4, np.nan), "zero_dim_extent": np.full(4, np.nan),
            "has_0d": np.False_, "has_1d": np.False_, "has_2d": np.True_,
            "has_breaches": np.False_, "has_embedded": np.False_,
            "has_groundwater": np.False_, "has_groundwater_flow": np.False_,
            "has_pumpstations": np.False_, "has_simple_infiltration": np.False_,
            "has_interception": np.False_, "has_interflow": np.False_,
            "has_initial_waterlevels": np.False_,
            "has_max_infiltration_capacity": np.False_, "has_vegetation": np.False_,
            "source": f"toolkit.scenarios.synthetic (seed={seed})".encode(),
        }
        h5.attrs.update(attrs)

        def put(group: h5py.Group, name: str, data: np.ndarray) -> None:
            data = np.asarray(data)
            if compress and data.ndim and data.size:
                group.create_dataset(name, data=data, compression="gzip", compression_opts=1)
            else:
                group[name] = data

        nodes = h5.create_group("nodes")

        def dummy(values: np.ndarray, fill: float | int, dtype: str) -> np.ndarray:
            values = np.asarray(values)
            out = np.empty(values.shape[:-1] + (n + 1,), dtype=dtype)
            out[..., 0] = fill
            out[..., 1:] = values
            return out

        put(nodes, "id", np.arange(n + 1, dtype=np.int32))
        put(nodes, "node_type", dummy(np.ones(n), -9999, "i4"))
        put(nodes, "calculation_type", np.full(n + 1, -9999, dtype=np.int32))
        put(nodes, "cell_coords", dummy(np.stack([xmin, ymin, xmax, ymax]), np.nan, "f8"))
        put(nodes, "coordinates", dummy(np.stack([xc, yc]), np.nan, "f8"))
        put(nodes, "dmax", dummy(bed, np.nan, "f8"))
        put(nodes, "bottom_level", nan1)
        put(nodes, "initial_waterlevel", nan1)
        put(nodes, "sumax", dummy(area, np.nan, "f8"))
        put(nodes, "nodk", dummy(k, -9999, "i4"))
        put(nodes, "nodm", dummy(col // size + 1, -9999, "i4"))
        put(nodes, "nodn", dummy(row // size + 1, -9999, "i4"))
        dxp = dx / 40.0
        pix = np.stack([col, row, col + size, row + size]) * (dx / dxp)
        put(nodes, "pixel_coords", dummy(pix, -9999, "i4"))
        put(nodes, "code", np.zeros(n + 1, dtype="S32"))
        put(nodes, "display_name", np.zeros(n + 1, dtype="S64"))
        grp = h5.create_group("lines")
        put(grp, "id", np.arange(n_lines + 1, dtype=np.int32))
        put(grp, "kcu", np.concatenate([[-9999], np.full(n_lines, 100)]).astype(np.int32))
        line = np.full((2, n_lines + 1), -9999, dtype=np.int32)
        line[:, 1:] = pairs.T + 1
        put(grp, "line", line)
        lc = np.full((4, n_lines + 1), np.nan)
        lc[:, 1:] = np.stack([xc[pairs[:, 0]], yc[pairs[:, 0]], xc[pairs[:, 1]],
                              yc[pairs[:, 1]]])
        put(grp, "line_coords", lc)
        put(grp, "content_type", np.zeros(n_lines + 1, dtype="S10"))
        put(grp, "content_pk", np.full(n_lines + 1, -9999, dtype=np.int32))
        put(grp, "code", np.zeros(n_lines + 1, dtype="S32"))
        put(grp, "display_name", np.zeros(n_lines + 1, dtype="S64"))
        pumps = h5.create_group("pumps")
        pumps["id"] = np.zeros(1, dtype=np.int32)
        pumps["capacity"] = np.full(1, np.nan)
        meta = h5.create_group("meta")
        for key, value in {"n2dtot": n, "n1dtot": 0, "l2dtot": n_lines, "l1dtot": 0,
                           "ngrtot": 0, "n2dobc": 0, "n1dobc": 0, "lgrtot": 0}.items():
            meta[key] = np.int32(value)
        gca = h5.create_group("grid_coordinate_attributes")
        gca["dx"] = dxs
        gca["dxp"] = np.float64(dxp)
        gca["x0p"] = np.float64(x0)
        gca["y0p"] = np.float64(y0)
        gca["kmax"] = np.int32(kmax)
        gca["mmax"] = (round(width / dx) // 2 ** np.arange(kmax)).astype(np.int32)
        gca["nmax"] = (round(height / dx) // 2 ** np.arange(kmax)).astype(np.int32)
        gs = h5.create_group("grid_settings")
        gs["grid_space"] = np.float64(dx)
        gs["kmax"] = np.int32(kmax)

    # -- results_3di.nc ---------------------------------------------------------------------
    nc_path = folder / "results_3di.nc"
    units = f"seconds since {start}"
    with netCDF4.Dataset(nc_path, "w", format="NETCDF4") as nc:
        nc.setncatts({
            "institution": "toolkit (synthetic 3Di-like result)",
            "references": "toolkit.scenarios.synthetic",
            "source": "toolkit.scenarios.synthetic, tilted basin filling from the west",
            "threedicore_version": "", "model_slug": slug, "result_type": "raw",
            "conventions": "CF-1.6", "simulation_id": np.int64(seed),
            "schematisation_id": np.int64(0), "revision_id": np.int64(1),
            "model_id": np.int64(0),
        })
        _write_mesh(nc, n, n_lines, xc, yc, bed, xmin, ymin, xmax, ymax, area, pairs, epsg, wkt)
        nc.createDimension("time", None)
        tv = nc.createVariable("time", "f4", ("time",), fill_value=_FILL)
        tv.setncatts({"units": units, "standard_name": "time"})
        tv[:] = times
        node_vars = {"s1": ("waterlevel", "m", "water_surface_height_above_reference_datum")}
        if extra_variables:
            node_vars["vol"] = ("water volume", "m3", "sea_water_volume")
            node_vars["su"] = ("wet surface area", "m2", "cell_area")
        out = {}
        for name, (long_name, unit, std) in node_vars.items():
            var = nc.createVariable(f"Mesh2D_{name}", "f4", ("time", "nMesh2D_nodes"),
                                    fill_value=_FILL, chunksizes=(1, max(1, n)),
                                    zlib=compress, complevel=1)
            var.setncatts({"coordinates": "Mesh2DNode_xcc Mesh2DNode_ycc",
                           "standard_name": std, "long_name": long_name, "units": unit,
                           "id": "Mesh2DNode_id"})
            out[name] = var
        if n_lines:
            for name, (long_name, unit) in {"u1": ("flow velocity on flow line", "m s-1"),
                                            "q": ("Discharge on flow line", "m3 s-1")}.items():
                var = nc.createVariable(f"Mesh2D_{name}", "f4", ("time", "nMesh2D_lines"),
                                        fill_value=_FILL, chunksizes=(1, n_lines),
                                        zlib=compress, complevel=1)
                var.setncatts({"coordinates": "Mesh2DLine_xcc Mesh2DLine_ycc",
                               "long_name": long_name, "units": unit, "id": "Mesh2DLine_id"})
                out[name] = var
        agg_max = np.full(n if aggregate else 0, -np.inf, dtype=np.float32)
        agg_min = np.full(n if aggregate else 0, np.inf, dtype=np.float32)
        agg_rows: list[tuple[float, np.ndarray, np.ndarray]] = []
        for i in range(n_times):
            s1 = s1_at(i)
            out["s1"][i, :] = s1
            valid = s1 != _FILL
            depth = np.where(valid, np.maximum(s1 - bed, 0.0), np.nan)
            if extra_variables:
                out["vol"][i, :] = np.where(valid, depth * area, _FILL).astype(np.float32)
                out["su"][i, :] = np.where(valid, area * (depth > 0), _FILL).astype(np.float32)
            if n_lines:
                a, b = pairs[:, 0], pairs[:, 1]
                h = np.nan_to_num(np.minimum(depth[a], depth[b]))
                slope = np.nan_to_num(s1[a].astype(np.float64) - s1[b]) * valid[a] * valid[b]
                dist = np.hypot(xc[b] - xc[a], yc[b] - yc[a])
                u1 = np.where(h > 0, 2.0 * np.sign(slope) * np.sqrt(np.abs(slope) / dist), 0.0)
                out["u1"][i, :] = u1.astype(np.float32)
                out["q"][i, :] = (u1 * h * dx).astype(np.float32)
            if not aggregate:
                continue
            s = np.where(valid, s1, np.nan)
            agg_max = np.fmax(agg_max, s)
            agg_min = np.fmin(agg_min, s)
            if (i + 1) % agg_every == 0 or i == n_times - 1:
                agg_rows.append((float(times[i]), agg_max.copy(), agg_min.copy()))
                agg_max[:] = -np.inf
                agg_min[:] = np.inf

    agg_path = None
    if aggregate:
        agg_path = folder / "aggregate_results_3di.nc"
        with netCDF4.Dataset(agg_path, "w", format="NETCDF4") as nc:
            nc.setncatts({"institution": "toolkit (synthetic 3Di-like result)",
                          "source": "toolkit.scenarios.synthetic", "model_slug": slug,
                          "result_type": "aggregate", "conventions": "CF-1.6"})
            _write_mesh(nc, n, n_lines, xc, yc, bed, xmin, ymin, xmax, ymax, area, pairs, epsg,
                        wkt)
            for method, j in (("max", 1), ("min", 2)):
                tdim = f"time_s1_{method}"
                nc.createDimension(tdim, None)
                tv = nc.createVariable(tdim, "f4", (tdim,), fill_value=_FILL)
                tv.setncatts({"units": units, "standard_name": "time"})
                tv[:] = np.array([r[0] for r in agg_rows], dtype=np.float32)
                var = nc.createVariable(f"Mesh2D_s1_{method}", "f4", (tdim, "nMesh2D_nodes"),
                                        fill_value=_FILL, chunksizes=(1, max(1, n)),
                                        zlib=compress, complevel=1)
                var.setncatts({"long_name": f"waterlevel ({method})", "units": "m",
                               "id": "Mesh2DNode_id"})
                for r, rowdata in enumerate(agg_rows):
                    values = np.nan_to_num(rowdata[j], nan=_FILL, posinf=_FILL, neginf=_FILL)
                    var[r, :] = values.astype(np.float32)
    return SyntheticPair(gridadmin=ga_path, results=nc_path, aggregate=agg_path, n_cells=n,
                         n_lines=n_lines, n_times=n_times)


def _write_mesh(nc: object, n: int, n_lines: int, xc: np.ndarray, yc: np.ndarray,
                bed: np.ndarray, xmin: np.ndarray, ymin: np.ndarray, xmax: np.ndarray,
                ymax: np.ndarray, area: np.ndarray, pairs: np.ndarray, epsg: int,
                wkt: str) -> None:
    """Dimensions, mesh and CRS variables shared by the results and aggregate files."""
    dims = {"nMesh2D_nodes": n, "nMesh2D_lines": n_lines, "nMesh1D_nodes": 0,
            "nMesh1D_lines": 0, "nPumps": 0, "nCorner_Nodes": 4}
    for name, length in dims.items():
        nc.createDimension(name, length or None)
    nc.createDimension("epsg_count", 2048)
    nc.createDimension("strlen", 1)

    def var(name: str, dtype: str, dims: tuple[str, ...], data: np.ndarray, **attrs: str) -> None:
        v = nc.createVariable(name, dtype, dims, fill_value=-9999 if dtype == "i4" else _FILL)
        v.setncatts(attrs)
        if np.size(data):
            v[:] = data

    node_id = np.arange(1, n + 1, dtype=np.int32)
    var("Mesh2DNode_id", "i4", ("nMesh2D_nodes",), node_id, long_name="Node Identifier")
    var("Mesh2DNode_type", "i4", ("nMesh2D_nodes",), np.ones(n, dtype=np.int32),
        id="Mesh2DNode_id", surface_water_2d="1")
    xy_attrs = {"units": "m", "id": "Mesh2DNode_id"}
    var("Mesh2DFace_xcc", "f8", ("nMesh2D_nodes",), xc, axis="x",
        standard_name="projection_x_coordinate", bounds="Mesh2DContour_x", **xy_attrs)
    var("Mesh2DFace_ycc", "f8", ("nMesh2D_nodes",), yc, axis="y",
        standard_name="projection_y_coordinate", bounds="Mesh2DContour_y", **xy_attrs)
    var("Mesh2DFace_zcc", "f8", ("nMesh2D_nodes",), bed, **xy_attrs)
    var("Mesh2DFace_sumax", "f8", ("nMesh2D_nodes",), area, units="m2", id="Mesh2DNode_id")
    var("Mesh2DContour_x", "f8", ("nMesh2D_nodes", "nCorner_Nodes"),
        np.stack([xmin, xmax, xmax, xmin], axis=1), **xy_attrs)
    var("Mesh2DContour_y", "f8", ("nMesh2D_nodes", "nCorner_Nodes"),
        np.stack([ymin, ymin, ymax, ymax], axis=1), **xy_attrs)
    line_id = np.arange(1, n_lines + 1, dtype=np.int32)
    var("Mesh2DLine_id", "i4", ("nMesh2D_lines",), line_id, long_name="Line Identifier")
    var("Mesh2DLine_type", "i4", ("nMesh2D_lines",), np.full(n_lines, 100, dtype=np.int32),
        id="Mesh2DLine_id", open_water_2d="100")
    if n_lines:
        lx = 0.5 * (xc[pairs[:, 0]] + xc[pairs[:, 1]])
        ly = 0.5 * (yc[pairs[:, 0]] + yc[pairs[:, 1]])
    else:
        lx = ly = np.zeros(0)
    var("Mesh2DLine_xcc", "f8", ("nMesh2D_lines",), lx, units="m", id="Mesh2DLine_id")
    var("Mesh2DLine_ycc", "f8", ("nMesh2D_lines",), ly, units="m", id="Mesh2DLine_id")
    pcs = nc.createVariable("projected_coordinate_system", "i4", (), fill_value=-9999)
    pcs.setncatts({"epsg": str(epsg), "EPSG_code": f"EPSG:{epsg}",
                   "long_name": "Spatial reference epsg code."})
    proj = nc.createVariable("coordinate_system_projection_string", "S1",
                             ("strlen", "epsg_count"))
    proj.long_name = "CRS projection string"
    chars = np.zeros((1, 2048), dtype="S1")
    text = wkt.encode()[:2048]
    chars[0, :len(text)] = np.frombuffer(text, dtype="S1")
    proj[:] = chars
