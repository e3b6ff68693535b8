"""Fields on a map: ground motion at sites, hazard maps, flood rasters, with a colour bar.

:func:`plot_field` takes either a raster (:class:`xarray.DataArray` with dims ``(y, x)``, as
:meth:`toolkit.ScenarioClient.raster` returns; drawn with ``imshow``, so a million cells draw
fast), values at points (a 1-D DataArray with ``lon``/``lat`` coordinates, such as one event of
:meth:`toolkit.Client.gmfs`, or three arrays ``lons, lats, values``; drawn as coloured markers),
and overlays sites and assets.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from toolkit.errors import InputError
from toolkit.plotting import imt_units, new_axes, with_units

__all__ = ["FieldArtists", "plot_field", "plot_hazard_map"]


class FieldArtists(NamedTuple):
    """What :func:`plot_field` drew."""

    mappable: Any
    """The image (raster) or path collection (points)."""
    colorbar: Any
    """The colour bar (None with ``colorbar=False``)."""
    overlays: list
    """Path collections of the sites and assets overlaid, and any contour set."""


def _xy_points(points: Any) -> tuple[np.ndarray, np.ndarray]:
    """(lons, lats) of ``(lons, lats)``, an (n, 2) array, or a frame with lon/lat columns."""
    if hasattr(points, "columns"):
        cols = {c.lower(): c for c in points.columns}
        x = cols.get("lon") or cols.get("longitude") or cols.get("x")
        y = cols.get("lat") or cols.get("latitude") or cols.get("y")
        if x is None or y is None:
            raise InputError(f"overlay: a frame needs lon/lat (or x/y) columns, got "
                             f"{list(points.columns)}")
        return points[x].to_numpy(float), points[y].to_numpy(float)
    if isinstance(points, tuple) and len(points) == 2:
        return np.asarray(points[0], float).ravel(), np.asarray(points[1], float).ravel()
    arr = np.asarray(points, dtype=float)
    if arr.ndim == 2 and arr.shape[1] == 2:
        return arr[:, 0], arr[:, 1]
    raise InputError("overlay: expected (lons, lats), an (n, 2) array or a frame with lon/lat")


def _geographic(crs: Any) -> bool:
    text = str(crs or "").upper().replace(" ", "")
    return text in ("EPSG:4326", "OGC:CRS84", "WGS84", "EPSG:4258") or "GEOGCS" in text[:10]


def _raster_extent(x: np.ndarray, y: np.ndarray) -> tuple[list[float], str] | None:
    """imshow extent and origin for regular pixel centres (None when irregular)."""
    if x.size < 2 or y.size < 2:
        dx = abs(x[1] - x[0]) if x.size > 1 else 1.0
        dy = abs(y[1] - y[0]) if y.size > 1 else dx
    else:
        dxs, dys = np.diff(x), np.diff(y)
        if not (np.allclose(dxs, dxs[0], rtol=1e-6, atol=0) and
                np.allclose(dys, dys[0], rtol=1e-6, atol=0)) or dxs[0] <= 0:
            return None
        dx, dy = dxs[0], abs(dys[0])
    left, right = x[0] - dx / 2, x[-1] + dx / 2
    if y.size > 1 and y[1] < y[0]:  # north up: first row is the top
        return [left, right, y[-1] - dy / 2, y[0] + dy / 2], "upper"
    return [left, right, y[0] - dy / 2, y[-1] + dy / 2], "lower"


def plot_field(lons: Any, lats: Any = None, values: Any = None, *, ax: Any = None,
               units: str | None = None, label: str | None = None, sites: Any = None,
               assets: Any = None, cmap: Any = "viridis", vmin: float | None = None,
               vmax: float | None = None, log: bool = False, colorbar: bool = True,
               markersize: float = 30.0, **style: Any) -> FieldArtists:
    """A field on a map with a colour bar (label and units).

    Parameters
    ----------
    lons : array, or xarray.DataArray
        Longitudes of points (then ``lats`` and ``values``), or a DataArray: a raster with
        dims ``(y, x)`` (a single ``band`` is squeezed) or values at points with ``lon`` and
        ``lat`` coordinates.
    lats, values : array, optional
        Latitudes and values of the points.
    units : str, optional
        Colour-bar units (default the ``units`` attribute of the DataArray).
    label : str, optional
        Colour-bar label (default the DataArray's ``long_name`` or name).
    sites, assets : optional
        Points overlaid: ``(lons, lats)``, an (n, 2) array or a frame with ``lon``/``lat``.
    log : bool
        Logarithmic colour scale (values <= 0 are left blank).
    **style
        Passed to ``imshow`` or ``scatter``.

    Returns
    -------
    FieldArtists
        ``(mappable, colorbar, overlays)``.
    """
    from matplotlib.colors import LogNorm

    ax = new_axes(ax)
    crs = ""
    if hasattr(lons, "dims") and lats is None and values is None:
        da = lons
        units = units if units is not None else str(da.attrs.get("units", "") or "")
        label = label or str(da.attrs.get("long_name") or da.name or "")
        crs = str(da.attrs.get("crs", ""))
        if "band" in da.dims and da.sizes["band"] == 1:
            da = da.isel(band=0)
        if da.ndim == 2:
            ydim, xdim = da.dims
            x = np.asarray(da[xdim].values if xdim in da.coords else np.arange(da.shape[1]),
                           dtype=float)
            y = np.asarray(da[ydim].values if ydim in da.coords else np.arange(da.shape[0]),
                           dtype=float)
            xunits = da[xdim].attrs.get("units", "") if xdim in da.coords else ""
            geographic = _geographic(crs) or xunits in ("degrees", "degrees_east", "°") or \
                xdim in ("lon", "longitude")
            kind, data = "raster", np.asarray(da.values, dtype=float)
        elif da.ndim == 1 and "lon" in da.coords and "lat" in da.coords:
            x = np.asarray(da["lon"].values, dtype=float)
            y = np.asarray(da["lat"].values, dtype=float)
            kind, data, geographic = "points", np.asarray(da.values, dtype=float), True
        else:
            raise InputError(f"plot_field: expected a raster (y, x) or points with lon/lat "
                             f"coordinates, got dims {da.dims}; select a band, time or event "
                             "first")
    else:
        if lats is None or values is None:
            raise InputError("plot_field: give lons, lats and values, or one DataArray")
        x = np.asarray(lons, dtype=float).ravel()
        y = np.asarray(lats, dtype=float).ravel()
        data = np.asarray(values, dtype=float).ravel()
        if not (x.size == y.size == data.size):
            raise InputError(f"plot_field: {x.size} lons, {y.size} lats, {data.size} values")
        kind, geographic = "points", True
        units = units or ""
        label = label or ""
    finite = data[np.isfinite(data)]
    norm = None
    if log:
        positive = finite[finite > 0]
        lo = vmin if vmin is not None else (positive.min() if positive.size else 1e-3)
        hi = vmax if vmax is not None else (positive.max() if positive.size else 1.0)
        norm = LogNorm(vmin=lo, vmax=max(hi, lo * 10))
        data = np.where(data > 0, data, np.nan)
        vmin = vmax = None
    if kind == "raster":
        extent = _raster_extent(x, y)
        masked = np.ma.masked_invalid(data)
        if extent is None:
            mappable = ax.pcolormesh(x, y, masked, cmap=cmap, norm=norm, vmin=vmin, vmax=vmax,
                                     shading="nearest", **style)
        else:
            box, origin = extent
            mappable = ax.imshow(masked, extent=box, origin=origin, cmap=cmap, norm=norm,
                                 vmin=vmin, vmax=vmax, interpolation="nearest", **style)
    else:
        mappable = ax.scatter(x, y, c=data, s=markersize, cmap=cmap, norm=norm, vmin=vmin,
                              vmax=vmax, edgecolors="none", plotnonfinite=False, **style)
    bar = None
    if colorbar:
        bar = ax.figure.colorbar(mappable, ax=ax)
        bar.set_label(with_units(label or "value", units))
    overlays = []
    for points, marker, name, colour in ((sites, "^", "sites", "k"),
                                         (assets, "s", "assets", "w")):
        if points is None:
            continue
        px, py = _xy_points(points)
        overlays.append(ax.scatter(px, py, marker=marker, s=28, c=colour, edgecolors="k",
                                   linewidths=0.7, label=name, zorder=3))
    if geographic:
        ax.set_xlabel("Longitude [°]")
        ax.set_ylabel("Latitude [°]")
        mid = np.nanmean(y) if y.size else 0.0
        ax.set_aspect(1.0 / max(np.cos(np.radians(mid)), 0.05), adjustable="datalim")
    else:
        suffix = f" ({crs})" if crs and len(crs) < 20 else ""
        ax.set_xlabel(f"x [m]{suffix}")
        ax.set_ylabel(f"y [m]{suffix}")
        ax.set_aspect("equal", adjustable="datalim")
    if overlays:
        ax.legend(loc="best", fontsize="small")
    return FieldArtists(mappable, bar, overlays)


def plot_hazard_map(maps: Any, *, imt: str | None = None, poe: float | None = None,
                    kind: str = "mean", ax: Any = None, **kwargs: Any) -> FieldArtists:
    """A hazard map: the intensity with a probability of exceedance at every site.

    Parameters
    ----------
    maps : xarray.DataArray
        What :meth:`toolkit.Client.hazard_maps` returns (``iml``, dims
        ``(kind, site, imt, poe)``, coordinates ``lon``, ``lat``), or already a 1-D selection
        over ``site``.
    imt, poe, kind : optional
        Selections (default the first IMT and PoE, and ``"mean"`` when present).
    **kwargs
        Passed to :func:`plot_field` (``sites``, ``assets``, ``cmap`` ...).
    """
    da = maps
    selection: dict[str, Any] = {}
    for dim, wanted in (("kind", kind), ("imt", imt), ("poe", poe)):
        if dim not in da.dims:
            continue
        values = da[dim].values.tolist()
        if wanted is None or (dim == "kind" and wanted not in values):
            wanted = values[0]
        elif wanted not in values:
            if dim == "poe":
                close = [v for v in values if np.isclose(v, wanted)]
                if not close:
                    raise InputError(f"poe={poe}: not in the maps; available: {values}")
                wanted = close[0]
            else:
                raise InputError(f"{dim}={wanted!r}: not in the maps; available: {values}")
        selection[dim] = wanted
    da = da.sel(selection)
    if da.ndim != 1:
        raise InputError(f"plot_hazard_map: after selecting {selection} the maps still have dims "
                         f"{da.dims}")
    imt_name = str(da["imt"].values) if "imt" in da.coords else (imt or "")
    poe_value = float(da["poe"].values) if "poe" in da.coords else poe
    t_inv = maps.attrs.get("investigation_time")
    label = imt_name or "Intensity"
    if poe_value is not None:
        label += f", PoE {poe_value:g}" + (f" in {t_inv:g} yr" if t_inv else "")
    units = kwargs.pop("units", None)
    if units is None:
        units = str(da["units"].values) if "units" in da.coords else imt_units(imt_name)
    return plot_field(da["lon"].values, da["lat"].values, da.values, ax=ax, units=units,
                      label=kwargs.pop("label", label), **kwargs)
