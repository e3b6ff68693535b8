"""FieldViewer's interactive view: an ipyleaflet map whose layer follows the time slider."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import traitlets

from toolkit.widgets import FieldViewer
from toolkit.widgets.protocol import FieldSeries

ipyleaflet = pytest.importorskip("ipyleaflet")


def _png_pixels(url: str) -> np.ndarray:
    import matplotlib.image

    assert url.startswith("data:image/png;base64,")
    return matplotlib.image.imread(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))


def test_flood_raster_overlay_follows_the_slider(scenarios, flood_uuid) -> None:
    field = scenarios.fields(flood_uuid)["Water depth"]
    viewer = FieldViewer(field)
    assert viewer.view_toggle.layout.display is None  # ipyleaflet installed: toggle shown
    assert viewer.map_box.layout.display == "none"
    viewer.view_toggle.value = "interactive"  # as a user clicks "Interactive"
    assert viewer.view == "interactive"
    assert viewer.image.layout.display == "none" and viewer.map_box.layout.display is None
    layer = viewer.artist
    assert isinstance(layer, ipyleaflet.ImageOverlay) and layer in viewer.leaflet.map.layers
    assert layer.name == "Water depth [m]"
    # the overlay covers the model's cells, transformed from the model CRS to lon/lat
    from pyproj import Transformer

    xmin, ymin, xmax, ymax = field.grid.bounds
    to_ll = Transformer.from_crs(field.crs, "EPSG:4326", always_xy=True)
    lons, lats = to_ll.transform([xmin, xmax, xmin, xmax], [ymin, ymin, ymax, ymax])
    (south, west), (north, east) = layer.bounds
    assert (south, west, north, east) == pytest.approx(
        (min(lats), min(lons), max(lats), max(lons)), abs=1e-9)
    centre = viewer.leaflet.map.center
    assert south < centre[0] < north and west < centre[1] < east
    assert viewer.zoom_label.value == f"zoom {float(viewer.leaflet.map.zoom):g}"
    # dry at the first step, wet later: transparent pixels become coloured
    first = _png_pixels(layer.url)
    viewer.slider.value = 12
    assert viewer.artist is layer  # updated in place, not re-added
    later = _png_pixels(layer.url)
    wet = int((field.at(12) > 0).sum())
    assert (later[..., 3] > 0).sum() > (first[..., 3] > 0).sum() and wet > 0
    assert viewer.status_text.startswith("Water depth at") and "(time 13 of 25)" in \
        viewer.status_text
    # zooming on the map (from the browser) shows in the label
    viewer.leaflet.map.zoom = viewer.leaflet.map.zoom + 1
    assert viewer.zoom_label.value == f"zoom {float(viewer.leaflet.map.zoom):g}"
    viewer.view_toggle.value = "static"
    assert viewer.map_box.layout.display == "none" and viewer.image.layout.display is None


def test_sites_become_markers_coloured_by_value() -> None:
    values = np.array([[0.1, 0.2, np.nan], [0.3, 0.1, 0.2]])
    field = FieldSeries("PGA", "g", [10.0, 10.1, 10.2], [45.0, 45.1, 45.2], ["e0", "e1"],
                        values, crs="lon/lat", step_name="event")
    viewer = FieldViewer(field, view="interactive")
    group = viewer.artist
    assert isinstance(group, ipyleaflet.LayerGroup) and len(group.layers) == 3
    locations = [tuple(m.location) for m in group.layers]
    assert locations == [(45.0, 10.0), (45.1, 10.1), (45.2, 10.2)]
    before = [m.fill_color for m in group.layers]
    assert group.layers[2].opacity == 0.2  # no data at the first event
    viewer.step = 1
    after = [m.fill_color for m in group.layers]
    assert after[0] != before[0] and after[1] == before[0]  # 0.1 has one colour at both steps
    assert group.layers[2].opacity == 1.0


def test_bad_view_and_missing_leaflet(monkeypatch) -> None:
    field = FieldSeries("x", "u", [0.0], [0.0], ["only"], np.array([[1.0]]))
    with pytest.raises(traitlets.TraitError, match="expected 'static' or 'interactive'"):
        FieldViewer(field, view="3d")
    import toolkit.widgets.field_viewer as fv

    monkeypatch.setattr(fv, "leaflet_available", lambda: False)
    viewer = FieldViewer(field)
    assert viewer.view_toggle.layout.display == "none"
    with pytest.raises(traitlets.TraitError, match="needs ipyleaflet"):
        viewer.view = "interactive"
    assert viewer.view == "static" and viewer.image.value[:4] == b"\x89PNG"
