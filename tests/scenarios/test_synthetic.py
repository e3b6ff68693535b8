"""The synthetic 3Di-like pair: same layout as the real files, a basin that fills, and the demo
pair shipped in toolkit/demos/flood is what the documented call writes."""

from __future__ import annotations

import h5py
import netCDF4
import numpy as np
import pytest

from toolkit.scenarios import derived
from toolkit.scenarios.synthetic import DEMO_DIR, DEMO_PARAMETERS, write_synthetic_pair
from toolkit.scenarios.threedi import open_threedi


@pytest.mark.shared
def test_same_names_types_and_attributes_as_a_real_pair(synthetic, lizard_dir):
    real = lizard_dir / "threedi-1d2d-zwartedijkspolder"
    with netCDF4.Dataset(real / "results_3di.nc") as ref, \
            netCDF4.Dataset(synthetic.results) as nc:
        assert set(nc.dimensions) <= set(ref.dimensions)
        assert {"model_slug", "result_type", "conventions"} <= set(nc.ncattrs())
        for name, var in nc.variables.items():
            assert name in ref.variables, name
            want = ref.variables[name]
            assert var.dimensions == want.dimensions, name
            assert var.dtype == want.dtype, name
            assert set(var.ncattrs()) <= set(want.ncattrs()) | {"bounds", "axis"}, name
        assert nc["time"].units.startswith("seconds since ")
    with h5py.File(real / "gridadmin.h5", "r") as ref, h5py.File(synthetic.gridadmin) as h5:
        assert set(h5.attrs) - {"source"} <= set(ref.attrs)
        for group in h5:
            for name, ds in h5[group].items():
                want = ref[group][name]
                assert ds.dtype.kind == want.dtype.kind and ds.ndim == want.ndim, (group, name)
                if ds.ndim == 2:
                    assert ds.shape[0] == want.shape[0], (group, name)
        # the dummy element at index 0
        assert h5["nodes/id"][0] == 0 and h5["nodes/node_type"][0] == -9999
        assert h5["lines/kcu"][0] == -9999 and np.isnan(h5["nodes/dmax"][0])


def test_exact_cell_count_and_reader_round_trip(tmp_path):
    pair = write_synthetic_pair(tmp_path, n_cells=50, n_times=5, levels=1, seed=2, lines=False,
                                extra_variables=False)
    assert pair.n_cells == 50 and pair.n_lines == 0 and pair.aggregate is None
    with open_threedi(pair.gridadmin, pair.results) as r:
        assert r.cells.sizes["cell"] == 50 and r.lines.sizes["line"] == 0
        assert r.variables("2D") == ["s1"] and r.times.size == 5
        assert r.model_slug == "toolkit-synthetic-basin-2"
        assert r.start_time == np.datetime64("2000-01-01T00:00:00")
        assert r.grid.shape == (8, 7)  # 50 cells in columns of 8


def test_the_basin_fills_from_the_west(synthetic):
    with open_threedi(synthetic.gridadmin, synthetic.results) as r:
        stats = derived.cell_statistics(r)
        x = r.cells["x"].values
        last = r.timeseries("s1").isel(time=-1).values - r.cells["bottom_level"].values
        assert r.grid.pixel_size == 20.0
        assert sorted(np.unique(r.cells["k"].values).tolist()) == [1, 2]
    flooded = ~np.isnan(stats.arrival)
    assert 0.3 < flooded.mean() < 1.0  # some cells stay dry
    assert stats.max_depth[flooded].max() > 1.0
    assert (stats.max_depth > np.clip(last, 0, None) + 0.1).any()  # the peak is not the end
    assert np.corrcoef(x[flooded], stats.arrival[flooded])[0, 1] > 0.5  # later further east
    assert len(np.unique(stats.arrival[flooded])) > 3
    assert np.nanmax(stats.rise_velocity) > 0


def test_two_level_grid_fills_coarse_blocks(synthetic):
    with open_threedi(synthetic.gridadmin, synthetic.results) as r:
        grid = r.grid
        coarse = np.flatnonzero(r.cells["k"].values == 2)
    counts = np.bincount(grid.index[grid.index >= 0], minlength=synthetic.n_cells)
    assert (counts[coarse] == 4).all() and (np.delete(counts, coarse) == 1).all()


def test_the_demo_pair_is_what_the_documented_call_writes(tmp_path):
    files = {p.name: p.stat().st_size for p in DEMO_DIR.iterdir()}
    assert {"gridadmin.h5", "results_3di.nc", "aggregate_results_3di.nc", "depth_damage.csv",
            "README.md"} <= set(files)
    assert sum(files.values()) < 1_000_000
    fresh = write_synthetic_pair(tmp_path, **DEMO_PARAMETERS)
    assert 200 <= fresh.n_cells <= 1000
    for name in ("results_3di.nc", "aggregate_results_3di.nc"):
        with netCDF4.Dataset(DEMO_DIR / name) as demo, netCDF4.Dataset(tmp_path / name) as new:
            assert set(demo.variables) == set(new.variables)
            for var in demo.variables:
                np.testing.assert_array_equal(demo[var][:], new[var][:], err_msg=var)
    with h5py.File(DEMO_DIR / "gridadmin.h5") as demo, h5py.File(tmp_path / "gridadmin.h5") as new:
        assert dict(demo.attrs).keys() == dict(new.attrs).keys()
        demo.visititems(lambda name, obj: np.testing.assert_array_equal(
            obj[()], new[name][()], err_msg=name) if isinstance(obj, h5py.Dataset) else None)
    readme = (DEMO_DIR / "README.md").read_text()
    assert "write_synthetic_pair" in readme and str(fresh.n_cells) in readme


def test_the_demo_derives(tmp_path):
    with open_threedi(DEMO_DIR / "gridadmin.h5", DEMO_DIR / "results_3di.nc",
                      DEMO_DIR / "aggregate_results_3di.nc") as r:
        results = derived.derive_all(r, tmp_path)
    assert all(d.path.is_file() for d in results) and len(results) == 8
