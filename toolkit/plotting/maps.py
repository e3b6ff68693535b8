"""Interactive maps: an ipyleaflet layer for fields and scenario rasters, or matplotlib.

:func:`interactive_map` builds an :class:`ipyleaflet.Map` (pan and zoom in a notebook) when
ipyleaflet is installed, and falls back to :func:`toolkit.plotting.plot_field` otherwise (or
with ``backend="matplotlib"``). ipyleaflet is imported only on that path, so it is an optional
dependency.

A raster becomes an image overlay: :func:`field_image` colours it with the colour map into a PNG
and computes its bounds in latitude/longitude (the corners of a projected raster are transformed
with pyproj; the image itself is not warped, which is accurate for the extents of scenario
rasters, a few km). Points become circle markers.
"""

from __future__ import annotations

import base64
import importlib
import io
from typing import Any

import numpy as np

from toolkit.errors import InputError
from toolkit.plotting import with_units
from toolkit.plotting.fields import plot_field

__all__ = ["interactive_map", "field_image", "leaflet_available", "MAX_MARKERS"]

#: Most circle markers put on a leaflet map (beyond that, use a raster).
MAX_MARKERS = 5000


def leaflet_available() -> bool:
    """Whether ipyleaflet can be imported."""
    try:
        importlib.import_module("ipyleaflet")
    except ImportError:
        return False
    return True


def _colours(values: np.ndarray, cmap: Any, vmin: float | None, vmax: float | None
             ) -> tuple[np.ndarray, float, float]:
    import matplotlib

    finite = values[np.isfinite(values)]
    lo = float(vmin if vmin is not None else (finite.min() if finite.size else 0.0))
    hi = float(vmax if vmax is not None else (finite.max() if finite.size else 1.0))
    scale = (values - lo) / (hi - lo) if hi > lo else np.zeros_like(values)
    colormap = matplotlib.colormaps[cmap] if isinstance(cmap, str) else cmap
    rgba = colormap(np.clip(np.nan_to_num(scale, nan=0.0), 0, 1))
    rgba[~np.isfinite(values)] = (0, 0, 0, 0)
    return rgba, lo, hi


def field_image(raster: Any, *, cmap: Any = "viridis", vmin: float | None = None,
                vmax: float | None = None) -> tuple[bytes, tuple[tuple[float, float],
                                                                 tuple[float, float]]]:
    """A raster coloured as a PNG, and its bounds ``((south, west), (north, east))`` in degrees.

    Parameters
    ----------
    raster : xarray.DataArray
        Dims ``(y, x)`` with pixel-centre coordinates and a ``crs`` attribute (default
        EPSG:4326); NaN pixels are transparent.
    """
    import matplotlib.image

    if "band" in raster.dims and raster.sizes["band"] == 1:
        raster = raster.isel(band=0)
    if raster.ndim != 2:
        raise InputError(f"field_image: expected a raster (y, x), got dims {raster.dims}")
    ydim, xdim = raster.dims
    x = np.asarray(raster[xdim].values, dtype=float)
    y = np.asarray(raster[ydim].values, dtype=float)
    values = np.asarray(raster.values, dtype=float)
    if y.size > 1 and y[1] > y[0]:  # an image is drawn top row first
        values, y = values[::-1], y[::-1]
    if x.size > 1 and x[1] < x[0]:
        values, x = values[:, ::-1], x[::-1]
    dx = abs(x[1] - x[0]) if x.size > 1 else 1.0
    dy = abs(y[1] - y[0]) if y.size > 1 else dx
    west, east = x[0] - dx / 2, x[-1] + dx / 2
    south, north = y[-1] - dy / 2, y[0] + dy / 2
    rgba, _, _ = _colours(values, cmap, vmin, vmax)
    buf = io.BytesIO()
    matplotlib.image.imsave(buf, rgba, format="png")
    crs = str(raster.attrs.get("crs", "") or "EPSG:4326")
    if crs.upper() not in ("EPSG:4326", "OGC:CRS84"):
        from pyproj import Transformer

        transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        xs, ys = transformer.transform([west, east, west, east], [south, south, north, north])
        west, east, south, north = min(xs), max(xs), min(ys), max(ys)
    return buf.getvalue(), ((float(south), float(west)), (float(north), float(east)))


def interactive_map(field: Any, lats: Any = None, values: Any = None, *, backend: str = "auto",
                    units: str | None = None, label: str | None = None, cmap: Any = "viridis",
                    vmin: float | None = None, vmax: float | None = None, opacity: float = 0.7,
                    zoom: int | None = None, m: Any = None, **kwargs: Any) -> Any:
    """A field on an interactive map, or on matplotlib axes when ipyleaflet is missing.

    Parameters
    ----------
    field, lats, values
        As :func:`~toolkit.plotting.plot_field`: a raster DataArray, points with ``lon``/
        ``lat`` coordinates, or ``lons, lats, values``.
    backend : {"auto", "leaflet", "matplotlib"}
        ``auto``: leaflet when ipyleaflet is installed. ``leaflet`` raises ImportError without
        it.
    m : ipyleaflet.Map, optional
        Add the layer to this map instead of a new one.
    **kwargs
        For the matplotlib fallback (:func:`plot_field`: ``ax``, ``sites`` ...).

    Returns
    -------
    ipyleaflet.Map
        With the layer (an ``ImageOverlay`` named after the field, or a ``LayerGroup`` of
        ``CircleMarker``) and a ``LayersControl``; the layer's ``name`` carries the units.
    FieldArtists
        From the matplotlib fallback.
    """
    if backend not in ("auto", "leaflet", "matplotlib"):
        raise InputError(f"backend={backend!r}: expected 'auto', 'leaflet' or 'matplotlib'")
    if backend == "matplotlib" or (backend == "auto" and not leaflet_available()):
        return plot_field(field, lats, values, units=units, label=label, cmap=cmap, vmin=vmin,
                          vmax=vmax, **kwargs)
    leaflet = importlib.import_module("ipyleaflet")  # ImportError for backend="leaflet"
    is_raster = hasattr(field, "dims") and lats is None and values is None and (
        field.ndim == 2 or ("band" in field.dims and field.ndim == 3))
    if hasattr(field, "dims"):
        units = units if units is not None else str(field.attrs.get("units", "") or "")
        label = label or str(field.attrs.get("long_name") or field.name or "field")
    name = with_units(label or "field", units)
    if is_raster:
        png, bounds = field_image(field, cmap=cmap, vmin=vmin, vmax=vmax)
        url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        layer = leaflet.ImageOverlay(url=url, bounds=bounds, opacity=opacity, name=name)
        (south, west), (north, east) = bounds
        centre = ((south + north) / 2, (west + east) / 2)
        span = max(north - south, east - west, 1e-6)
    else:
        if hasattr(field, "dims"):
            lons = np.asarray(field["lon"].values, dtype=float)
            lat = np.asarray(field["lat"].values, dtype=float)
            data = np.asarray(field.values, dtype=float)
        else:
            lons = np.asarray(field, dtype=float).ravel()
            lat = np.asarray(lats, dtype=float).ravel()
            data = np.asarray(values, dtype=float).ravel()
        if lons.size > MAX_MARKERS:
            raise InputError(f"interactive_map: {lons.size} points is more than "
                             f"{MAX_MARKERS} markers; grid them into a raster first")
        import matplotlib.colors

        rgba, _, _ = _colours(data, cmap, vmin, vmax)
        markers = [leaflet.CircleMarker(location=(float(la), float(lo)), radius=6, stroke=False,
                                        fill_color=matplotlib.colors.to_hex(c[:3]),
                                        fill_opacity=opacity, name=f"{v:.4g}")
                   for lo, la, v, c in zip(lons, lat, data, rgba, strict=True)
                   if np.isfinite(v)]
        layer = leaflet.LayerGroup(layers=markers, name=name)
        centre = (float(np.nanmean(lat)), float(np.nanmean(lons)))
        span = max(float(np.ptp(lat)) if lat.size else 0.0,
                   float(np.ptp(lons)) if lons.size else 0.0, 1e-3)
    if m is None:
        if zoom is None:
            zoom = int(np.clip(np.floor(np.log2(360.0 / span)) - 1, 1, 18))
        m = leaflet.Map(center=centre, zoom=zoom, scroll_wheel_zoom=True)
        m.add(leaflet.LayersControl(position="topright"))
    m.add(layer)
    return m

