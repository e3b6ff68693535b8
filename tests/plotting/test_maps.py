"""Interactive maps: the matplotlib fallback (ipyleaflet hidden), the ipyleaflet path with a
stand-in module (checks what is passed to it), and the real ipyleaflet."""

from __future__ import annotations

import io
import sys
import types

import matplotlib
import matplotlib.image
import numpy as np
import pytest
import xarray as xr
from pyproj import Transformer

from toolkit.plotting.fields import FieldArtists
from toolkit.plotting.maps import field_image, interactive_map, leaflet_available


def raster(crs="EPSG:28992"):
    values = np.array([[np.nan, 1.0, 2.0], [3.0, 4.0, 5.0]])
    return xr.DataArray(values, dims=("y", "x"),
                        coords={"x": [120010.0, 120030.0, 120050.0], "y": [480030.0, 480010.0]},
                        attrs={"units": "m", "long_name": "Max water depth", "crs": crs})


class _Layer:
    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


class _Map(_Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.layers = []

    def add(self, layer):
        self.layers.append(layer)


@pytest.fixture
def fake_leaflet(monkeypatch):
    module = types.ModuleType("ipyleaflet")
    for name in ("ImageOverlay", "CircleMarker", "LayerGroup", "LayersControl"):
        setattr(module, name, type(name, (_Layer,), {}))
    module.Map = _Map
    monkeypatch.setitem(sys.modules, "ipyleaflet", module)
    return module


def test_fallback_to_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipyleaflet", None)  # as if not installed
    assert not leaflet_available()
    artists = interactive_map(raster())
    assert isinstance(artists, FieldArtists)
    with pytest.raises(ImportError):
        interactive_map(raster(), backend="leaflet")


def test_matplotlib_on_request(fake_leaflet):
    assert isinstance(interactive_map(raster(), backend="matplotlib"), FieldArtists)


def test_raster_overlay(fake_leaflet):
    m = interactive_map(raster())
    control, layer = m.layers
    assert type(control).__name__ == "LayersControl"
    assert type(layer).__name__ == "ImageOverlay" and layer.name == "Max water depth [m]"
    to_wgs84 = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)
    xs, ys = to_wgs84.transform([120000, 120060, 120000, 120060],
                                [480000, 480000, 480040, 480040])
    (south, west), (north, east) = layer.bounds
    assert (west, east) == pytest.approx((min(xs), max(xs)))
    assert (south, north) == pytest.approx((min(ys), max(ys)))
    assert layer.url.startswith("data:image/png;base64,")
    assert south < m.center[0] < north and west < m.center[1] < east


def test_field_image_pixels():
    da = raster("EPSG:4326").isel(y=slice(None, None, -1))  # south up: flipped for the image
    png, bounds = field_image(da, cmap="viridis", vmin=0, vmax=5)
    rgba = matplotlib.image.imread(io.BytesIO(png))
    assert rgba.shape == (2, 3, 4)
    assert rgba[0, 0, 3] == 0.0 and (rgba[0, 1:, 3] == 1.0).all()  # NaN is transparent
    np.testing.assert_allclose(rgba[1, 2], matplotlib.colormaps["viridis"](1.0), atol=1 / 255)
    assert bounds == ((480000.0, 120000.0), (480040.0, 120060.0))


def test_point_markers(fake_leaflet):
    m = interactive_map([10.0, 10.1, 10.2], [45.0, 45.1, 45.2], [0.1, np.nan, 0.3], units="g",
                        label="PGA")
    group = m.layers[-1]
    assert type(group).__name__ == "LayerGroup" and group.name == "PGA [g]"
    assert [mk.location for mk in group.layers] == [(45.0, 10.0), (45.2, 10.2)]
    assert group.layers[0].fill_color != group.layers[1].fill_color


def test_real_ipyleaflet_map():
    leaflet = pytest.importorskip("ipyleaflet")
    m = interactive_map(raster())
    assert isinstance(m, leaflet.Map)
    overlay = next(layer for layer in m.layers if isinstance(layer, leaflet.ImageOverlay))
    assert overlay.name == "Max water depth [m]" and overlay.url.startswith("data:image/png")
