"""3Di readers: the real pairs as xarray, checked independently with netCDF4/h5py; bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import netCDF4
import numpy as np
import pytest

from toolkit.errors import InputError, UnknownName
from toolkit.scenarios.synthetic import write_synthetic_pair
from toolkit.scenarios.threedi import open_threedi

pytestmark = pytest.mark.shared


def _filled(var: netCDF4.Variable) -> np.ndarray:
    """A netCDF4 variable with its fill values as NaN (netCDF4's own masking)."""
    return np.ma.filled(var[:].astype(np.float64), np.nan)


def test_real_pair_sizes_and_metadata(real):
    with open_threedi(real["gridadmin"], real["results"]) as r:
        assert r.cells.sizes["cell"] == real["cells"]
        assert r.nodes_1d.sizes["node_1d"] == real["nodes_1d"]
        assert r.lines.sizes["line"] == real["lines"]
        assert r.times.size == real["steps"] and r.times[0] == 0.0
        assert r.start_time == np.datetime64("2000-01-01T12:00:00")
        assert r.epsg == 28992 and r.crs.to_epsg() == 28992
        # bytes metadata decoded
        assert isinstance(r.gridadmin_attrs["model_slug"], str)
        assert r.model_slug == r.results_attrs["model_slug"]
        assert r.lines["content_type"].dtype.kind == "U"
        # dummy index 0 removed: ids start at 1, no dummy geometry left
        assert r.cells["id"].values[0] == 1 and r.lines["id"].values[0] == 1
        for name in ("x", "y", "bottom_level", "xmin", "ymin", "xmax", "ymax"):
            assert np.isfinite(r.cells[name].values).all(), name
        assert (r.cells["node_type"].values == 1).all()
        assert (r.lines["kcu"].values != -9999).all()


def test_cells_match_the_netcdf_mesh(real):
    """Centres, bottom levels and bounds from the gridadmin equal the results' own mesh."""
    with open_threedi(real["gridadmin"], real["results"]) as r, \
            netCDF4.Dataset(real["results"]) as nc:
        c = r.cells
        np.testing.assert_array_equal(c["id"].values, nc["Mesh2DNode_id"][:])
        np.testing.assert_array_equal(c["x"].values, nc["Mesh2DFace_xcc"][:])
        np.testing.assert_array_equal(c["y"].values, nc["Mesh2DFace_ycc"][:])
        np.testing.assert_array_equal(c["bottom_level"].values, nc["Mesh2DFace_zcc"][:])
        cx, cy = nc["Mesh2DContour_x"][:], nc["Mesh2DContour_y"][:]
        np.testing.assert_array_equal(c["xmin"].values, cx.min(axis=1))
        np.testing.assert_array_equal(c["xmax"].values, cx.max(axis=1))
        np.testing.assert_array_equal(c["ymin"].values, cy.min(axis=1))
        np.testing.assert_array_equal(c["ymax"].values, cy.max(axis=1))


def test_timeseries_equal_netcdf4_with_fill_as_nan(real):
    with open_threedi(real["gridadmin"], real["results"]) as r, \
            netCDF4.Dataset(real["results"]) as nc:
        s1 = r.timeseries("s1")
        assert s1.dims == ("time", "cell")
        assert not s1.variable._in_memory  # lazy until indexed
        direct = _filled(nc["Mesh2D_s1"])
        np.testing.assert_array_equal(s1.values, direct)
        assert np.isnan(s1.values).sum() == np.ma.count_masked(nc["Mesh2D_s1"][:])
        np.testing.assert_array_equal(s1["time"].values, nc["time"][:].astype(np.float64))
        assert s1.attrs["units"] == "m" and s1.attrs["long_name"] == "waterlevel"
        q = r.timeseries("q")
        assert q.dims == ("time", "line_2d")
        np.testing.assert_array_equal(q["id"].values, nc["Mesh2DLine_id"][:])
        np.testing.assert_array_equal(q.isel(time=-1).values, _filled(nc["Mesh2D_q"])[-1])
        for var in ("u1", "vol"):
            assert var in r.variables("2D")


def test_the_fill_value_test_has_fill_values(lizard_dir):
    """Guard: the test above is only meaningful because a sample has -9999 in Mesh2D_s1."""
    path = lizard_dir / "threedi-1d2d-zwartedijkspolder" / "results_3di.nc"
    with netCDF4.Dataset(path) as nc:
        nc.set_auto_mask(False)
        assert (nc["Mesh2D_s1"][:] == -9999.0).sum() == 3535


def test_iter_steps_streams_the_same_values(real):
    with open_threedi(real["gridadmin"], real["results"]) as r:
        whole = r.timeseries("s1").values
        for chunk in (1, 4, None):
            blocks = list(r.iter_steps("s1", chunk_steps=chunk))
            assert [b[0] for b in blocks] == list(range(0, whole.shape[0],
                                                        chunk or whole.shape[0]))
            np.testing.assert_array_equal(np.concatenate([b for _, b in blocks]), whole)
        assert r.chunk_steps(10**6) == 1  # 1e6 cells: one 8 MB step per block
        assert r.chunk_steps(real["cells"]) == real["steps"]
        keep = np.array([0, 5, 7])
        first = next(r.iter_steps("s1", positions=keep, chunk_steps=2))[1]
        np.testing.assert_array_equal(first, whole[:2, keep])


def test_1d_nodes_and_timeseries(lizard_dir):
    folder = lizard_dir / "threedi-1d2d-zwartedijkspolder"
    with open_threedi(folder / "gridadmin.h5", folder / "results_3di.nc") as r, \
            netCDF4.Dataset(folder / "results_3di.nc") as nc:
        np.testing.assert_array_equal(r.nodes_1d["id"].values, nc["Mesh1DNode_id"][:])
        np.testing.assert_array_equal(r.nodes_1d["x"].values, nc["Mesh1DNode_xcc"][:])
        assert set(np.unique(r.nodes_1d["node_type"].values)) == {3, 4}
        s1 = r.timeseries("s1", "1D")
        assert s1.dims == ("time", "node_1d") and s1.shape == (25, 210)
        np.testing.assert_array_equal(s1.values, _filled(nc["Mesh1D_s1"]))
        pump = r.timeseries("q_pump", "1D")
        assert pump.dims == ("time", "pump") and pump["id"].values.tolist() == [1]
        assert (r.lines["mesh"].values == "2D").sum() == 733


def test_unknown_variable_or_subset(lizard_dir):
    folder = lizard_dir / "threedi-2d-waterquality-testmodel"
    with open_threedi(folder / "gridadmin.h5", folder / "results_3di.nc") as r:
        with pytest.raises(UnknownName, match=r"no time series 'Mesh2D_nope'.*s1"):
            r.timeseries("nope")
        with pytest.raises(UnknownName, match="unknown 3Di subset '3D'"):
            r.timeseries("s1", "3D")
        with pytest.raises(UnknownName, match="Mesh1D_s1"):
            r.timeseries("s1", "1D")  # 2D-only model


def test_results_of_another_model(lizard_dir):
    a = lizard_dir / "threedi-1d2d-zwartedijkspolder"
    b = lizard_dir / "threedi-2d-waterquality-testmodel"
    with pytest.raises(InputError) as info:
        open_threedi(a / "gridadmin.h5", b / "results_3di.nc")
    message = str(info.value)
    assert str(a / "gridadmin.h5") in message and str(b / "results_3di.nc") in message
    assert "model_slug 'threedidepth-testmodel-2' != 'bwn-zwartedijkspolder" in message
    assert "nMesh2D_nodes = 203 but the gridadmin has n2dtot + ngrtot = 360" in message


def test_same_slug_other_counts(tmp_path):
    a = write_synthetic_pair(tmp_path / "a", n_cells=40, n_times=3, levels=1, seed=7)
    b = write_synthetic_pair(tmp_path / "b", n_cells=41, n_times=3, levels=1, seed=7)
    with pytest.raises(InputError, match="nMesh2D_nodes = 41 but the gridadmin has .* = 40"):
        open_threedi(a.gridadmin, b.results)


def test_same_counts_other_coordinates(tmp_path):
    a = write_synthetic_pair(tmp_path / "a", n_cells=40, n_times=3, levels=1, seed=7)
    b = write_synthetic_pair(tmp_path / "b", n_cells=40, n_times=3, levels=1, seed=7,
                             origin=(120000.0, 481000.0))
    with pytest.raises(InputError, match="Mesh2DFace_ycc of node 1 is 481010.0, the gridadmin "
                                         "has 480010.0"):
        open_threedi(a.gridadmin, b.results)


def _truncated(src: Path, dst: Path, fraction: float) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[:int(len(data) * fraction)])
    return dst


@pytest.mark.parametrize("fraction", [0.3, 0.99])
def test_truncated_results(real, tmp_path, fraction):
    bad = _truncated(real["results"], tmp_path / "results_3di.nc", fraction)
    with pytest.raises(InputError, match=r"results file is truncated: \d+ of \d+ bytes"):
        open_threedi(real["gridadmin"], bad)


def test_truncated_gridadmin(real, tmp_path):
    bad = _truncated(real["gridadmin"], tmp_path / "gridadmin.h5", 0.5)
    with pytest.raises(InputError, match=r"gridadmin.h5: gridadmin file is truncated"):
        open_threedi(bad, real["results"])


def test_missing_and_wrong_files(real, tmp_path):
    with pytest.raises(InputError, match="results_3di.nc: results file not found"):
        open_threedi(real["gridadmin"], tmp_path / "results_3di.nc")
    with pytest.raises(InputError, match="gridadmin.h5: gridadmin file not found"):
        open_threedi(tmp_path / "gridadmin.h5", real["results"])
    with pytest.raises(InputError, match="not a 3Di results file"):
        open_threedi(real["gridadmin"], real["gridadmin"])
    with pytest.raises(InputError, match="not a 3Di gridadmin file"):
        open_threedi(real["results"], real["results"])
    text = tmp_path / "results_3di.nc"
    text.write_text("not netcdf")
    with pytest.raises(InputError, match="cannot be read as HDF5/netCDF4"):
        open_threedi(real["gridadmin"], text)


def test_close_and_context_manager(real):
    r = open_threedi(real["gridadmin"], real["results"])
    handle = r._nc[r.results]
    with r:
        assert "2D cells" in repr(r)
    assert not handle.isopen()
    assert "closed" in repr(r)
    r.close()  # idempotent


def test_aggregate_file(synthetic):
    with open_threedi(synthetic.gridadmin, synthetic.results, synthetic.aggregate) as r, \
            netCDF4.Dataset(synthetic.aggregate) as nc:
        assert {"s1_max", "s1_min"} <= set(r.variables("2D"))
        agg = r.timeseries("s1_max")
        assert agg.dims == ("time", "cell")
        np.testing.assert_array_equal(agg["time"].values, nc["time_s1_max"][:].astype(float))
        # every 4 output steps, the maximum of the raw snapshots in that window
        raw = r.timeseries("s1").values
        windows = [raw[i:i + 4] for i in range(0, raw.shape[0], 4)]
        expected = np.stack([np.fmax.reduce(w, axis=0) for w in windows])
        np.testing.assert_array_equal(agg.values, expected.astype(np.float32))


def test_gridadmin_with_other_epsg(tmp_path, lizard_dir):
    src = lizard_dir / "threedi-2d-waterquality-testmodel"
    ga = shutil.copy(src / "gridadmin.h5", tmp_path / "gridadmin.h5")  # a modified copy
    with h5py.File(ga, "r+") as h5:
        h5.attrs["epsg_code"] = b"4326"
    with pytest.raises(InputError, match="EPSG 28992 != 4326"):
        open_threedi(ga, src / "results_3di.nc")
