"""Fields on maps: rasters (imshow), points (scatter), overlays, colour bars with units."""

from __future__ import annotations

import time

import numpy as np
import pytest
import xarray as xr
from matplotlib.collections import PathCollection, QuadMesh
from matplotlib.image import AxesImage

from toolkit.client.oq import gmfs_dataset, maps_dataarray
from toolkit.errors import InputError
from toolkit.plotting import plot_field, plot_hazard_map


def raster(ny=3, nx=4, crs="EPSG:28992"):
    x = 120010.0 + 20 * np.arange(nx)
    y = 480050.0 - 20 * np.arange(ny)  # north up
    values = np.arange(ny * nx, dtype=float).reshape(ny, nx) / 10
    values[0, 0] = np.nan
    return xr.DataArray(values, dims=("y", "x"), coords={"x": x, "y": y}, name="depth",
                        attrs={"units": "m", "long_name": "Max water depth", "crs": crs})


def test_raster_image_extent_data_and_colour_bar():
    da = raster()
    artists = plot_field(da)
    image, bar, overlays = artists
    assert isinstance(image, AxesImage) and overlays == []
    assert image.get_extent() == [120000.0, 120080.0, 480000.0, 480060.0]
    assert image.origin == "upper"
    data = image.get_array()
    assert data.mask[0, 0] and not data.mask[1:, :].any()
    np.testing.assert_array_equal(data[1:], da.values[1:])
    assert bar.ax.get_ylabel() == "Max water depth [m]"
    ax = image.axes
    assert ax.get_xlabel() == "x [m] (EPSG:28992)" and ax.get_ylabel() == "y [m] (EPSG:28992)"


def test_raster_south_up_and_irregular():
    da = raster().isel(y=slice(None, None, -1))
    image = plot_field(da).mappable
    assert image.origin == "lower"
    assert image.get_extent() == [120000.0, 120080.0, 480000.0, 480060.0]
    irregular = raster().assign_coords(x=[0.0, 1.0, 3.0, 7.0])
    assert isinstance(plot_field(irregular).mappable, QuadMesh)
    banded = raster().expand_dims(band=1)
    assert isinstance(plot_field(banded).mappable, AxesImage)
    with pytest.raises(InputError, match="select a band, time or event first"):
        plot_field(raster().expand_dims(band=2))


def test_points_with_overlays():
    lons, lats, values = [10.0, 10.1, 10.2], [45.0, 45.1, 45.2], [0.1, 0.3, 0.2]
    points, bar, overlays = plot_field(lons, lats, values, units="g", label="PGA",
                                       sites=(lons, lats), assets=np.array([[10.05, 45.05]]))
    assert isinstance(points, PathCollection)
    np.testing.assert_array_equal(points.get_offsets(), np.column_stack([lons, lats]))
    np.testing.assert_array_equal(points.get_array(), values)
    assert bar.ax.get_ylabel() == "PGA [g]"
    assert [o.get_label() for o in overlays] == ["sites", "assets"]
    np.testing.assert_array_equal(overlays[1].get_offsets(), [[10.05, 45.05]])
    ax = points.axes
    assert ax.get_xlabel() == "Longitude [°]" and ax.get_ylabel() == "Latitude [°]"
    assert ax.get_legend() is not None
    with pytest.raises(InputError, match="3 lons, 3 lats, 2 values"):
        plot_field(lons, lats, values[:2])


def test_one_event_of_the_gmfs():
    ds = gmfs_dataset([0, 0, 1], [0, 2, 1], {"PGV": [3.0, 4.0, 5.0]}, [0.0, 0.0, 0.0],
                      [0.0, 0.1, 0.2], events=[0, 1])
    points, bar, _ = plot_field(ds["PGV"].sel(event=0))
    np.testing.assert_array_equal(points.get_array(), [3.0, 0.0, 4.0])
    assert bar.ax.get_ylabel() == "PGV [cm/s]"


def test_log_colour_scale():
    points = plot_field([0, 1, 2], [0, 1, 2], [0.0, 0.01, 1.0], log=True).mappable
    assert points.norm.vmin == pytest.approx(0.01) and points.norm.vmax == pytest.approx(1.0)
    assert type(points.norm).__name__ == "LogNorm"


def test_hazard_map():
    maps = maps_dataarray({"mean": np.array([[[0.2, 0.1]], [[0.3, 0.15]]])}, [0.1, 0.02],
                          [10.0, 10.5], [45.0, 45.5], ["PGA"], investigation_time=50.0)
    points, bar, _ = plot_hazard_map(maps, poe=0.02)
    np.testing.assert_array_equal(points.get_array(), [0.1, 0.15])
    assert bar.ax.get_ylabel() == "PGA, PoE 0.02 in 50 yr [g]"
    points, bar, _ = plot_hazard_map(maps)
    np.testing.assert_array_equal(points.get_array(), [0.2, 0.3])
    with pytest.raises(InputError, match="poe=0.5"):
        plot_hazard_map(maps, poe=0.5)


def test_a_million_cells_draw_fast():
    rng = np.random.default_rng(0)
    da = xr.DataArray(rng.random((1000, 1000)), dims=("y", "x"),
                      coords={"x": np.arange(1000.0), "y": np.arange(1000.0)[::-1]},
                      attrs={"units": "m", "crs": "EPSG:28992"})
    start = time.perf_counter()
    image = plot_field(da).mappable
    image.figure.canvas.draw()
    assert time.perf_counter() - start < 3.0
    assert image.get_array().shape == (1000, 1000)
