"""Derived rasters: per-cell results checked against direct netCDF4 computations on the real
pairs; rasters mapped back to cells; GeoTIFF round trip; derive_all outputs."""

from __future__ import annotations

import netCDF4
import numpy as np
import pytest
import rasterio

from toolkit.errors import InputError
from toolkit.scenarios import derived
from toolkit.scenarios.rasters import CellGrid, write_geotiff
from toolkit.scenarios.threedi import open_threedi

pytestmark = pytest.mark.shared


def _direct(results_path):
    """Depth (time, cell) straight from the netCDF file: s1 - Mesh2DFace_zcc, fill -> NaN."""
    with netCDF4.Dataset(results_path) as nc:
        s1 = np.ma.filled(nc["Mesh2D_s1"][:].astype(np.float64), np.nan)
        zb = nc["Mesh2DFace_zcc"][:].astype(np.float64)
        t = nc["time"][:].astype(np.float64)
    return s1, s1 - zb[None, :], t


@pytest.fixture
def opened(real):
    with open_threedi(real["gridadmin"], real["results"]) as r:
        yield r


def test_max_depth_equals_direct_max_over_time(opened, real):
    s1, depth, _ = _direct(real["results"])
    expected = np.clip(np.where(np.isnan(depth), -np.inf, depth).max(axis=0), 0, None)
    expected[np.isnan(depth).all(axis=0)] = np.nan
    stats = derived.cell_statistics(opened)
    assert (opened.open_water == np.arange(real["cells"])).all()
    np.testing.assert_array_equal(stats.max_depth, expected)  # cell by cell, exactly
    assert np.nanmax(stats.max_depth) > 1.0 and (stats.max_depth > 0.01).sum() > 100
    level = np.where(np.isnan(s1), -np.inf, s1).max(axis=0)
    level[np.isnan(s1).all(axis=0)] = np.nan  # a cell that is -9999 at every step
    np.testing.assert_array_equal(stats.max_level, level)
    # and on the raster: every pixel holds its cell's value (float32)
    raster = derived.max_depth(opened)
    grid = opened.grid
    inside = grid.index >= 0
    np.testing.assert_array_equal(raster.array[inside],
                                  expected[grid.index[inside]].astype(np.float32))
    assert np.isnan(raster.array[~inside]).all()


def test_arrival_within_one_output_step(opened, real):
    _, depth, t = _direct(real["results"])
    threshold = 0.05
    wet = np.nan_to_num(depth, nan=0.0) > threshold
    first = np.where(wet.any(axis=0), t[np.argmax(wet, axis=0)], np.nan)
    stats = derived.cell_statistics(opened, threshold=threshold)
    np.testing.assert_array_equal(np.isnan(stats.arrival), np.isnan(first))
    ok = ~np.isnan(first)
    assert ok.sum() > 10
    step = np.diff(t).max()
    assert np.abs(stats.arrival[ok] - first[ok]).max() <= step
    np.testing.assert_array_equal(stats.arrival[ok], first[ok])  # in fact exact
    # the default threshold is 0.01 m
    default = derived.cell_statistics(opened)
    assert default.threshold == derived.ARRIVAL_THRESHOLD == 0.01
    assert (np.nan_to_num(default.arrival, nan=np.inf) <= np.nan_to_num(stats.arrival,
                                                                      nan=np.inf)).all()


def test_rise_velocity_equals_direct(opened, real):
    _, depth, t = _direct(real["results"])
    h = np.clip(depth, 0, None)
    rate = np.diff(h, axis=0) / np.diff(t)[:, None] * 3600.0
    expected = np.clip(np.where(np.isnan(rate), -np.inf, rate).max(axis=0), 0, None)
    expected[np.isnan(rate).all(axis=0)] = np.nan
    stats = derived.cell_statistics(opened)
    np.testing.assert_allclose(stats.rise_velocity, expected, rtol=1e-12, atol=0)


def test_streaming_does_not_depend_on_the_block_size(opened):
    one = derived.cell_statistics(opened, chunk_steps=1)
    for chunk in (3, None):
        other = derived.cell_statistics(opened, chunk_steps=chunk)
        for name in ("max_depth", "max_level", "arrival", "rise_velocity"):
            np.testing.assert_array_equal(getattr(one, name), getattr(other, name), name)


def test_pixel_centres_map_back_to_their_cell(opened):
    """Brute force: the cell holding each pixel centre, from the cell bounds."""
    grid = opened.grid
    c = opened.cells
    x, y = grid.pixel_centres()
    x, y = x.ravel(), y.ravel()
    inside = ((x[:, None] > c["xmin"].values) & (x[:, None] < c["xmax"].values)
              & (y[:, None] > c["ymin"].values) & (y[:, None] < c["ymax"].values))
    assert (inside.sum(axis=1) <= 1).all()
    expected = np.where(inside.any(axis=1), inside.argmax(axis=1), -1)
    np.testing.assert_array_equal(grid.index.ravel(), expected)
    np.testing.assert_array_equal(grid.cell_at(x, y), expected)
    assert grid.pixel_size == (c["xmax"] - c["xmin"]).values.min()
    # the raster covers the gridadmin's 2D extent
    np.testing.assert_allclose(grid.bounds, opened.gridadmin_attrs["extent_2d"])


def test_zwartedijkspolder_has_three_cell_sizes(lizard_dir):
    folder = lizard_dir / "threedi-1d2d-zwartedijkspolder"
    with open_threedi(folder / "gridadmin.h5", folder / "results_3di.nc") as r:
        assert sorted(np.unique(r.cells["xmax"] - r.cells["xmin"]).tolist()) == [20, 40, 80]
        counts = np.bincount(r.grid.index[r.grid.index >= 0])
        sizes = ((r.cells["xmax"] - r.cells["xmin"]).values / 20) ** 2
        np.testing.assert_array_equal(counts, sizes)  # an 80 m cell fills 4 x 4 pixels


def test_geotiff_round_trip(opened, tmp_path):
    raster = derived.max_depth(opened)
    path = raster.write(tmp_path / "depth.tif")
    with rasterio.open(path) as ds:
        assert ds.crs.to_epsg() == 28992
        assert ds.transform == opened.grid.transform
        assert ds.nodata == -9999.0 and ds.count == 1 and ds.dtypes[0] == "float32"
        assert (ds.height, ds.width) == opened.grid.shape
        data = ds.read(1, masked=True)
        assert ds.tags()["code"] == "depth-max-dtri" and ds.tags()["units"] == "m"
    np.testing.assert_array_equal(data.mask, np.isnan(raster.array))
    np.testing.assert_array_equal(data.filled(np.nan), raster.array)


def test_write_geotiff_bands_and_crs_forms(tmp_path):
    from rasterio.transform import Affine

    bands = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    bands[1, 0, 0] = np.nan
    t = Affine(10.0, 0.0, 1000.0, 0.0, -10.0, 2000.0)
    for crs in (28992, "EPSG:28992"):
        path = write_geotiff(tmp_path / f"b{crs}.tif", bands, t, crs, band_descriptions=["a", "b"])
        with rasterio.open(path) as ds:
            assert ds.count == 2 and ds.descriptions == ("a", "b") and ds.crs.to_epsg() == 28992
            assert ds.read(2)[0, 0] == -9999.0
            np.testing.assert_array_equal(ds.read(1), bands[0])
    with pytest.raises(InputError, match="2 band descriptions for 1 bands"):
        write_geotiff(tmp_path / "x.tif", bands[0], t, 28992, band_descriptions=["a", "b"])


def test_depth_at_chosen_times(opened, real):
    _, depth, t = _direct(real["results"])
    wanted = [t[1] + 1.0, t[2] - 1.0, t[1]]
    raster = derived.depth_at(opened, wanted)
    steps = derived.select_steps(opened, wanted)
    assert raster.array.shape[0] == steps.size == 2  # snapped and de-duplicated
    np.testing.assert_array_equal(raster.times, t[steps])
    grid = opened.grid
    inside = grid.index >= 0
    for band, step in enumerate(steps):
        expected = np.clip(depth[step], 0, None)[grid.index[inside]].astype(np.float32)
        np.testing.assert_array_equal(raster.array[band][inside], expected)
    levels = derived.level_at(opened, ["2000-01-01T13:00:00"])
    assert levels.band_descriptions()[0].startswith("2000-01-01T1")


def test_select_steps_rejects_times_outside(opened):
    last = opened.times[-1]
    with pytest.raises(InputError, match="outside the simulation"):
        derived.select_steps(opened, [last * 2 + 10000.0])
    with pytest.raises(InputError, match="not an ISO date-time"):
        derived.select_steps(opened, ["yesterday"])
    np.testing.assert_array_equal(derived.select_steps(opened, None),
                                  np.arange(opened.times.size))


def test_derive_all(lizard_dir, tmp_path):
    folder = lizard_dir / "threedi-1d2d-zwartedijkspolder"
    with open_threedi(folder / "gridadmin.h5", folder / "results_3di.nc") as r:
        results = derived.derive_all(r, tmp_path / "out", times=[0.0, 3600.0, 7200.0])
        stats = derived.cell_statistics(r)
        grid = r.grid
    codes = [d.code for d in results]
    assert codes == ["depth-dtri", "depth-max-dtri", "s1-dtri", "s1-max-dtri",
                     "rise-velocity-quad", "depth-first-dtri", "damage-summary", "total-damage"]
    families = {d.code: d.family for d in results}
    assert families["depth-first-dtri"] == "Arrival" and families["total-damage"] == "Damage"
    assert {families[c] for c in codes[:5]} == {"Basic"}
    names = {d.code: d.name for d in results}
    assert names["depth-max-dtri"] == "Max water depth" and names["depth-dtri"] == (
        "Water depth (timeseries)")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        d.path.name for d in results)  # no temporary file left behind
    by_code = {d.code: d for d in results}
    with rasterio.open(by_code["depth-dtri"].path) as ds:
        assert ds.count == 3
        assert ds.descriptions[0] == "2000-01-01T12:00:00"
        assert float(ds.tags(2)["seconds"]) == pytest.approx(3609.128662109375)
    with rasterio.open(by_code["depth-max-dtri"].path) as ds:
        data = ds.read(1, masked=True)
    inside = grid.index >= 0
    np.testing.assert_array_equal(data[inside], stats.max_depth[grid.index[inside]].astype(
        np.float32))
    with rasterio.open(by_code["depth-first-dtri"].path) as ds:
        assert ds.tags()["threshold_m"] == "0.01" and ds.tags()["units"] == "s"
    assert by_code["depth-dtri"].temporal and by_code["depth-dtri"].times[1] == pytest.approx(
        3609.128662109375)
    summary = by_code["damage-summary"].path.read_text().splitlines()
    assert summary[0].startswith("class,flooded_pixels") and summary[-1].startswith("total,")


def test_cell_grid_errors():
    with pytest.raises(InputError, match="not on the 10.0 m pixel grid"):
        CellGrid.from_bounds([0, 10], [0, 0], [10, 25], [10, 15])
    with pytest.raises(InputError, match="cells overlap"):
        CellGrid.from_bounds([0, 0], [0, 0], [10, 20], [10, 20])
    with pytest.raises(InputError, match="no cells"):
        CellGrid.from_bounds([], [], [], [])
    grid = CellGrid.from_bounds([0, 10, 0], [0, 0, 10], [10, 20, 20], [10, 10, 30])
    assert grid.shape == (3, 2) and grid.index.tolist() == [[2, 2], [2, 2], [0, 1]]
    with pytest.raises(InputError, match="expected 3 per-cell values"):
        grid.to_raster(np.zeros(2))


def test_depth_below_the_bottom_counts_as_dry(tmp_path):
    """Real samples never have s1 below the bottom level, so force it in a synthetic file."""
    from toolkit.scenarios.synthetic import write_synthetic_pair

    pair = write_synthetic_pair(tmp_path, n_cells=4, n_times=3, levels=1, seed=1, lines=False)
    with netCDF4.Dataset(pair.results, "r+") as nc:
        bed = nc["Mesh2DFace_zcc"][:]
        t = nc["time"][:].astype(np.float64)
        s1 = np.tile(bed, (3, 1)) - 1.0  # everything 1 m below the bottom ...
        s1[2, 1] = bed[1] + 0.5  # ... but cell 1 at the last step, 0.5 m deep
        nc["Mesh2D_s1"][:] = s1
        deep = float(nc["Mesh2D_s1"][2, 1]) - bed[1]  # 0.5 m, after float32 storage
    with open_threedi(pair.gridadmin, pair.results) as r:
        stats = derived.cell_statistics(r)
    np.testing.assert_array_equal(stats.max_depth, [0.0, deep, 0.0, 0.0])
    assert deep == pytest.approx(0.5, abs=1e-6)
    assert np.isnan(stats.arrival[[0, 2, 3]]).all() and stats.arrival[1] == t[2]
    np.testing.assert_allclose(stats.rise_velocity, [0, deep / (t[2] - t[1]) * 3600, 0, 0],
                               rtol=1e-12)
