"""The data the widgets display: protocol classes and the adapters from toolkit results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from toolkit.errors import InputError, NotFound
from toolkit.widgets import adapters
from toolkit.widgets.compare import difference, resample
from toolkit.widgets.protocol import (
    DamageTable,
    FieldSeries,
    HazardCurves,
    RasterImage,
    group_by_family,
)


def test_hazard_curves_validates_shapes() -> None:
    with pytest.raises(InputError, match="shape"):
        HazardCurves(lons=[0, 1], lats=[0, 1], levels={"PGA": [0.1, 0.2]},
                     curves={"mean": {"PGA": np.zeros((2, 3))}}, investigation_time=50)
    with pytest.raises(InputError, match="no intensity"):
        HazardCurves(lons=[0], lats=[0], levels={}, curves={}, investigation_time=50)


def test_field_series_validates_and_reads_steps() -> None:
    f = FieldSeries("d", "m", [0, 1], [0, 1], ["a", "b", "c"], np.arange(6.0).reshape(3, 2))
    assert f.vmax == 5.0 and f.n_steps == 3 and f.at(2).tolist() == [4.0, 5.0]
    with pytest.raises(InputError, match="out of range"):
        f.at(3)
    with pytest.raises(InputError, match="expected"):
        FieldSeries("d", "m", [0, 1], [0, 1], ["a"], np.zeros((2, 2)))
    lazy = FieldSeries("d", "m", [0], [0], ["a", "b"], lambda i: np.array([10.0 * i]))
    assert lazy.vmax is None and lazy.at(1).tolist() == [10.0]


def test_group_by_family_uses_lizard_order() -> None:
    items = [{"family": "Damage"}, {"family": "Raw"}, {"family": "basic"}, {"family": None}]
    assert list(group_by_family(items)) == ["Raw", "Basic", "Damage", "Other"]


def test_hazard_from_outputs_matches_the_store(calcs, classical_id, scenario_id) -> None:
    outputs = calcs.outputs(classical_id)
    hc = adapters.hazard_from_outputs(outputs)
    assert hc.kinds == ["mean", "quantile-0.16", "quantile-0.84", "rlz-0", "rlz-1"]
    assert hc.imts == ["PGA", "SA(0.2)", "SA(1.0)"] and hc.n_sites == 9
    np.testing.assert_array_equal(hc.curve("quantile-0.84", "SA(1.0)", 4),
                                  outputs.curves("SA(1.0)", stat="quantile-0.84")[4])
    np.testing.assert_array_equal(hc.curve("rlz-1", "PGA", 0), outputs.curves("PGA", rlz=1)[0])
    with pytest.raises(NotFound, match="no hazard curves"):
        adapters.hazard_from_outputs(calcs.outputs(scenario_id))


def test_hazard_from_xarray_reads_the_client_layout() -> None:
    from toolkit.client.oq import curves_dataarray

    imtls = {"PGA": [0.1, 0.2, 0.4], "SA(1.0)": [0.05, 0.1]}
    mean = np.random.default_rng(0).random((2, 2, 3))
    rlz = mean / 2
    da = curves_dataarray({"mean": mean, "rlz-000": rlz}, imtls, [10.0, 11.0], [45.0, 46.0],
                          investigation_time=30.0)
    hc = adapters.hazard_from_xarray(da)
    assert hc.kinds == ["mean", "rlz-0"] and hc.investigation_time == 30.0
    np.testing.assert_array_equal(hc.levels["SA(1.0)"], [0.05, 0.1])  # NaN padding dropped
    np.testing.assert_array_equal(hc.curve("mean", "SA(1.0)", 1), mean[1, 1, :2])
    np.testing.assert_array_equal(hc.curve("rlz-0", "PGA", 0), rlz[0, 0])
    assert hc.lons.tolist() == [10.0, 11.0]
    with pytest.raises(InputError, match="expected dims"):
        adapters.hazard_from_xarray(da.isel(site=0))


def test_fields_from_gmf_places_every_stored_value(calcs, scenario_id) -> None:
    outputs = calcs.outputs(scenario_id)
    fields = adapters.fields_from_gmf(outputs)
    assert list(fields) == ["PGA", "SA(1.0)"]
    pga = fields["PGA"]
    assert pga.n_steps == len(outputs.events) and pga.n_cells == len(outputs.sites)
    event_index = {int(e): i for i, e in enumerate(outputs.events["event_id"])}
    for row in (0, 17, len(outputs.gmf_gmv) - 1):
        e, s = int(outputs.gmf_event_id[row]), int(outputs.gmf_site_id[row])
        assert pga.at(event_index[e])[s] == pytest.approx(float(outputs.gmf_gmv[row, 0]))
    stored = np.zeros((pga.n_steps, pga.n_cells), bool)
    stored[[event_index[int(e)] for e in outputs.gmf_event_id], outputs.gmf_site_id] = True
    assert np.all(pga.values[~stored] == 0)
    assert adapters.fields_from_gmf(outputs, max_events=5)["PGA"].n_steps == 5


def test_fields_from_dataset_reads_the_client_layout() -> None:
    from toolkit.client.oq import gmfs_dataset

    ds = gmfs_dataset([1, 1, 2], [0, 2, 1], {"PGA": np.array([0.1, 0.3, 0.2])},
                      [10.0, 10.1, 10.2], [45.0, 45.0, 45.0], events=[1, 2, 3], rlz=[0, 1, 0])
    fields = adapters.fields_from_dataset(ds)
    f = fields["PGA"]
    assert f.steps == ["event 1 (rlz 0)", "event 2 (rlz 1)", "event 3 (rlz 0)"]
    np.testing.assert_allclose(f.values, [[0.1, 0, 0.3], [0, 0.2, 0], [0, 0, 0]])


def test_depth_series_is_level_minus_bottom(scenarios, flood_uuid) -> None:
    from netCDF4 import Dataset

    from toolkit.scenarios.publish import raw_files
    from toolkit.scenarios.threedi import open_threedi

    raw = raw_files(scenarios.store, flood_uuid)
    with open_threedi(raw["grid-admin"], raw["results-3di"]) as result:
        series = adapters.depth_series(result)
        lazy = adapters.depth_series(result, preload_bytes=0)
        ow = result.open_water
        grid_cells = result.grid.n_cells
        assert callable(lazy.values) and not callable(series.values)
        np.testing.assert_array_equal(lazy.at(7), series.at(7))
    with Dataset(raw["results-3di"]) as nc:
        s1 = np.ma.filled(nc["Mesh2D_s1"][:].astype(float), np.nan)
        s1[s1 == -9999] = np.nan
        bottom = nc["Mesh2DFace_zcc"][:].astype(float)
    expected = np.maximum(s1[:, ow] - bottom[ow], 0.0)
    np.testing.assert_allclose(series.values, expected, rtol=0, atol=1e-5)
    assert series.n_cells == grid_cells and series.dry_below == 0.0
    assert series.steps[0] == "2000-01-01 00:00:00"


def test_damage_from_csv(tmp_path: Path) -> None:
    path = tmp_path / "damage-summary.csv"
    path.write_text("class,flooded_pixels,flooded_area_m2,total_damage_EUR\n"
                    "residential,3,12,1500\ncommercial,0,0,0\ntotal,3,12,1500\n")
    table = adapters.damage_from_csv(path)
    assert table.categories == ["residential", "commercial"]
    assert table.columns[0] == "total_damage" and table.units["total_damage"] == "EUR"
    assert table.column("total_damage").tolist() == [1500.0, 0.0]
    assert table.units["flooded_area_m2"] == "m²"
    path.write_text("klass,x\na,1\n")
    with pytest.raises(InputError, match="'class' column"):
        adapters.damage_from_csv(path)
    path.write_text("class,x\na,many\n")
    with pytest.raises(InputError, match="line 2"):
        adapters.damage_from_csv(path)


def test_damage_from_summary() -> None:
    from toolkit.scenarios.damage import damage

    depth = np.array([[0.0, 1.0], [2.0, np.nan]])
    estimate = damage(depth, "residential", pixel_area=4.0)
    table = adapters.damage_from_summary(estimate.summary())
    row = table.categories.index("residential")
    assert table.column("total_damage")[row] == pytest.approx(estimate.total)
    assert table.column("flooded_area_m2")[row] == 8.0


def test_raster_from_geotiff_and_xarray(tmp_path: Path) -> None:
    import xarray as xr
    from affine import Affine

    from toolkit.scenarios.rasters import write_geotiff

    arr = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]])
    path = write_geotiff(tmp_path / "r.tif", arr, Affine(10, 0, 100, 0, -10, 220), 28992,
                         tags={"units": "m", "name": "depth"})
    r = adapters.raster_from_geotiff(path)
    assert r.extent == (100, 130, 200, 220) and r.units == "m" and r.crs == "EPSG:28992"
    np.testing.assert_array_equal(r.array, arr)
    da = xr.DataArray(arr[::-1], dims=("y", "x"), coords={"x": [105, 115, 125], "y": [205, 215]},
                      attrs={"units": "m"})
    r2 = adapters.raster_from_xarray(da)  # y ascending: flipped to north up
    assert r2.extent == (100, 130, 200, 220)
    np.testing.assert_array_equal(r2.array, arr)


def test_damage_table_shapes() -> None:
    t = DamageTable("t", ["a", "b"], ["x"], [1, 2])
    assert t.values.shape == (2, 1) and t.column("x").tolist() == [1, 2]


def test_difference_on_a_common_grid() -> None:
    a = RasterImage(np.array([[1.0, 2.0], [3.0, 4.0]]), (0, 20, 0, 20), "d", "m", "EPSG:1")
    b = RasterImage(np.full((4, 4), 10.0), (10, 30, 0, 20), "d", "m", "EPSG:1")  # finer, shifted
    ra, rb, rd = difference(a, b)
    assert rd.array.shape == (4, 6) and rd.extent == (0, 30, 0, 20)
    # A's top-left pixel (value 1) covers x 0..10, y 10..20: rows 0-1, cols 0-1
    assert ra.array[0, 0] == 1 and ra.array[3, 3] == 4 and np.isnan(ra.array[0, 4])
    assert np.isnan(rb.array[0, 1]) and rb.array[0, 2] == 10
    assert rd.array[0, 2] == 10 - 2 and np.isnan(rd.array[0, 0]) and np.isnan(rd.array[0, 5])
    with pytest.raises(InputError, match="EPSG:1 and EPSG:2"):
        difference(a, RasterImage(b.array, b.extent, crs="EPSG:2"))
    with pytest.raises(InputError, match="pixels"):
        difference(a, b, max_pixels=10)
    same = resample(a, a.extent, a.array.shape)
    np.testing.assert_array_equal(same, a.array)
