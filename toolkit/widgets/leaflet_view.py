"""An interactive (pan and zoom) map of a field, updated in place as its step changes.

Used by :class:`~toolkit.widgets.FieldViewer` in its "Interactive" view when ipyleaflet is
installed. A gridded field (3Di cells) becomes one :class:`ipyleaflet.ImageOverlay` whose PNG
is replaced at each step (:func:`toolkit.plotting.maps.field_image`: coloured with a fixed
scale, corners transformed to longitude/latitude); a field on sites becomes circle markers
(at most :data:`toolkit.plotting.maps.MAX_MARKERS`) whose colours change with the step.

The base map is OpenStreetMap's tile layer, fetched by the browser; without a network the map
still pans and zooms over the field, on a grey background.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from toolkit.errors import InputError
from toolkit.plotting.maps import MAX_MARKERS, field_image
from toolkit.widgets._render import _raster_dataarray, field_raster
from toolkit.widgets.protocol import FieldSeries

__all__ = ["LeafletView", "lonlat_of"]

_LONLAT = {"", "lon/lat", "epsg:4326", "ogc:crs84", "wgs84"}


def lonlat_of(field: FieldSeries) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes of a field's points (transformed from its ``crs``)."""
    if field.crs.strip().lower() in _LONLAT:
        return field.x, field.y
    from pyproj import Transformer

    transformer = Transformer.from_crs(field.crs, "EPSG:4326", always_xy=True)
    lons, lats = transformer.transform(field.x, field.y)
    return np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)


def _hex(rgba: np.ndarray) -> list[str]:
    return ["#{:02x}{:02x}{:02x}".format(*(int(round(c * 255)) for c in row[:3]))
            for row in rgba]


class LeafletView:
    """An ``ipyleaflet.Map`` showing one :class:`FieldSeries` at a time.

    Parameters
    ----------
    width, height : str
        CSS size of the map.

    Attributes
    ----------
    map : ipyleaflet.Map
        The widget to display (CSS class ``tk-map``).
    layer : ipyleaflet.ImageOverlay or ipyleaflet.LayerGroup or None
        The field's layer.
    """

    def __init__(self, width: str = "640px", height: str = "420px") -> None:
        import ipyleaflet
        import ipywidgets as w

        self._leaflet = ipyleaflet
        self.map = ipyleaflet.Map(center=(0.0, 0.0), zoom=2, scroll_wheel_zoom=True,
                                  layout=w.Layout(width=width, height=height))
        self.map.add_class("tk-map")
        self.layer: Any = None
        self._field: FieldSeries | None = None
        self._markers: list[Any] = []

    def show(self, field: FieldSeries, values: np.ndarray, *, vmin: float | None,
             vmax: float | None, cmap: str = "viridis",
             transparent_below: float | None = None) -> None:
        """Show ``values`` (one step of ``field``), replacing the layer when the field
        changes and updating it in place otherwise."""
        values = np.asarray(values, dtype=float)
        if transparent_below is not None:
            values = np.where(values > transparent_below, values, np.nan)
        new_field = field is not self._field
        if new_field:
            self._clear()
            self._field = field
        if field.grid is not None:
            self._show_raster(field, values, vmin, vmax, cmap, fit=new_field)
        else:
            self._show_points(field, values, vmin, vmax, cmap, fit=new_field)

    def _clear(self) -> None:
        if self.layer is not None and self.layer in self.map.layers:
            self.map.remove(self.layer)
        self.layer = None
        self._markers = []

    def _fit(self, south: float, west: float, north: float, east: float) -> None:
        self.map.center = ((south + north) / 2.0, (west + east) / 2.0)
        span = max(north - south, (east - west) * np.cos(np.radians((south + north) / 2)),
                   1e-6)
        self.map.zoom = int(np.clip(np.floor(np.log2(360.0 / span)) - 1, 1, 18))

    def _show_raster(self, field: FieldSeries, values: np.ndarray, vmin: float | None,
                     vmax: float | None, cmap: str, fit: bool) -> None:
        raster = field_raster(field, values)
        data = _raster_dataarray(raster, raster.array)
        png, bounds = field_image(data, cmap=cmap, vmin=vmin, vmax=vmax)
        url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        if self.layer is None:
            self.layer = self._leaflet.ImageOverlay(url=url, bounds=bounds, opacity=0.75,
                                                    name=f"{field.name} [{field.units}]")
            self.map.add(self.layer)
        else:
            self.layer.url = url
        if fit:
            (south, west), (north, east) = bounds
            self._fit(south, west, north, east)

    def _show_points(self, field: FieldSeries, values: np.ndarray, vmin: float | None,
                     vmax: float | None, cmap: str, fit: bool) -> None:
        import matplotlib

        if field.n_cells > MAX_MARKERS:
            raise InputError(f"field {field.name!r} has {field.n_cells} sites: at most "
                             f"{MAX_MARKERS} can be shown as markers; use the static view")
        finite = values[np.isfinite(values)]
        lo = float(vmin if vmin is not None else (finite.min() if finite.size else 0.0))
        hi = float(vmax if vmax is not None else (finite.max() if finite.size else 1.0))
        scaled = (values - lo) / (hi - lo) if hi > lo else np.zeros_like(values)
        colours = _hex(matplotlib.colormaps[cmap](np.clip(np.nan_to_num(scaled), 0, 1)))
        if self.layer is None:
            lons, lats = lonlat_of(field)
            self._markers = [
                self._leaflet.CircleMarker(location=(float(lat), float(lon)), radius=6,
                                           weight=1, color="#333333", fill_opacity=0.85)
                for lon, lat in zip(lons, lats, strict=True)]
            self.layer = self._leaflet.LayerGroup(layers=tuple(self._markers),
                                                  name=f"{field.name} [{field.units}]")
            self.map.add(self.layer)
            if fit:
                self._fit(float(lats.min()), float(lons.min()), float(lats.max()),
                          float(lons.max()))
        for marker, colour, value in zip(self._markers, colours, values, strict=True):
            marker.fill_color = colour
            marker.opacity = 1.0 if np.isfinite(value) else 0.2
