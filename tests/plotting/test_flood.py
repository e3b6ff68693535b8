"""Flood plots: water level at 3Di cells (the demo result pair), arrival-time maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from toolkit.errors import InputError
from toolkit.plotting import plot_arrival, plot_timeseries
from toolkit.scenarios.threedi import open_threedi

FLOOD = Path(__file__).resolve().parents[2] / "toolkit" / "demos" / "flood"


@pytest.fixture(scope="module")
def s1():
    with open_threedi(FLOOD / "gridadmin.h5", FLOOD / "results_3di.nc") as result:
        yield result.timeseries("s1").load()


def test_water_level_at_cells(s1):
    lines = plot_timeseries(s1, cells=[1, 200])
    assert [line.get_label() for line in lines] == ["cell 1", "cell 200"]
    np.testing.assert_allclose(lines[0].get_xdata(), s1["time"].values / 3600)
    position = int(np.flatnonzero(s1["id"].values == 200)[0])
    np.testing.assert_array_equal(lines[1].get_ydata(), s1.isel(cell=position).values)
    ax = lines[0].axes
    assert ax.get_xlabel() == "Time since start [h]" and ax.get_ylabel() == "Water level [m]"
    (line,) = plot_timeseries(s1.isel(cell=0), time="datetime")
    assert line.axes.get_xlabel() == "Time" and line.get_label() == "cell 1"
    with pytest.raises(InputError, match="choose some with cells="):
        plot_timeseries(s1)
    with pytest.raises(InputError, match=r"cells=\[99999\]"):
        plot_timeseries(s1, cells=99999)


def test_plain_series():
    (line,) = plot_timeseries(([0.0, 1800.0, 3600.0], [1.0, 2.0, 3.0]), label="Level",
                              units="m")
    np.testing.assert_array_equal(line.get_xdata(), [0.0, 0.5, 1.0])
    assert line.axes.get_ylabel() == "Level [m]"


def test_arrival_map_in_hours():
    seconds = np.array([[np.nan, 1800.0, 3600.0], [5400.0, 7200.0, 9000.0]])
    da = xr.DataArray(seconds, dims=("y", "x"),
                      coords={"x": [0.5, 1.5, 2.5], "y": [1.5, 0.5]},
                      attrs={"units": "s", "crs": "EPSG:28992"})
    image, bar, overlays = plot_arrival(da, contours=True)
    np.testing.assert_allclose(image.get_array()[1], seconds[1] / 3600)
    assert image.get_array().mask[0, 0]
    assert bar.ax.get_ylabel() == "Arrival time [h]"
    assert len(overlays) == 1 and list(overlays[0].levels) == [1.0, 2.0]
    minutes = da / 60
    minutes.attrs = {"units": "min"}
    np.testing.assert_allclose(plot_arrival(minutes).mappable.get_array()[1], seconds[1] / 3600)
    with pytest.raises(InputError, match="expected s, min or h"):
        plot_arrival(da, source_units="fortnights")
