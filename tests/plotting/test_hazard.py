"""Hazard curves, spectra and disaggregation plots: artists and their data."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import QuadMesh

from toolkit.client.oq import curves_dataarray, uhs_dataarray
from toolkit.errors import InputError
from toolkit.plotting import plot_disaggregation, plot_hazard_curves, plot_uhs

IMTLS = {"PGA": [0.01, 0.1, 0.5, 1.0], "SA(1.0)": [0.02, 0.2, 0.8]}


@pytest.fixture
def curves():
    rng = np.random.default_rng(1)
    arrays = {}
    for kind in ("mean", "quantile-0.15"):
        poe = np.sort(rng.uniform(1e-4, 0.9, size=(2, 2, 4)), axis=-1)[..., ::-1]
        poe[:, 1, 3] = np.nan  # SA(1.0) has 3 levels: NaN-padded
        arrays[kind] = poe
    return curves_dataarray(arrays, IMTLS, [10.0, 10.1], [45.0, 45.1], investigation_time=50.0)


def test_curves_log_log_with_units_and_data(curves):
    lines = plot_hazard_curves(curves)
    assert len(lines) == 4  # 2 kinds x 2 sites, first IMT
    ax = lines[0].axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "PGA [g]"
    assert ax.get_ylabel() == "Probability of exceedance in 50 years"
    for line, (kind, site) in zip(lines, [("mean", 0), ("mean", 1), ("quantile-0.15", 0),
                                          ("quantile-0.15", 1)], strict=True):
        np.testing.assert_array_equal(line.get_xdata(), IMTLS["PGA"])
        np.testing.assert_array_equal(line.get_ydata(),
                                      curves.sel(kind=kind, site=site, imt="PGA").values)
        assert line.get_label() == f"site {site}, {kind}"
    guides = {line.get_gid(): line.get_ydata()[0] for line in ax.lines if line.get_gid()}
    assert guides["return-period-475"] == pytest.approx(1 - np.exp(-50 / 475))
    assert guides["return-period-2475"] == pytest.approx(1 - np.exp(-50 / 2475))
    assert ax.get_legend() is not None


def test_curves_of_one_imt_drop_padding(curves):
    lines = plot_hazard_curves(curves, imt="SA(1.0)", sites=1, kinds="mean")
    assert len(lines) == 1
    np.testing.assert_array_equal(lines[0].get_xdata(), IMTLS["SA(1.0)"])
    np.testing.assert_array_equal(lines[0].get_ydata(),
                                  curves.sel(kind="mean", site=1, imt="SA(1.0)").values[:3])
    assert lines[0].axes.get_xlabel() == "SA(1.0) [g]"
    assert lines[0].axes.get_legend() is None


def test_curves_as_annual_rates(curves):
    lines = plot_hazard_curves(curves, rate=True, kinds=["mean"], sites=[0])
    poe = curves.sel(kind="mean", site=0, imt="PGA").values
    np.testing.assert_allclose(lines[0].get_ydata(), -np.log1p(-poe) / 50.0)
    ax = lines[0].axes
    assert ax.get_ylabel() == "Annual rate of exceedance [1/yr]"
    guides = [line.get_ydata()[0] for line in ax.lines if line.get_gid()]
    assert guides == [pytest.approx(1 / 475), pytest.approx(1 / 2475)]


def test_selected_curve_and_mapping_input():
    one = curves_dataarray({"mean": np.array([[[0.5, 0.1, 0.01]]])}, {"PGV": [1.0, 10.0, 50.0]},
                           [0.0], [0.0]).sel(kind="mean", imt="PGV").isel(site=0)
    lines = plot_hazard_curves(one, return_periods=None)
    assert lines[0].axes.get_xlabel() == "PGV [cm/s]"
    assert lines[0].axes.get_ylabel() == "Probability of exceedance"
    np.testing.assert_array_equal(lines[0].get_ydata(), [0.5, 0.1, 0.01])
    lines = plot_hazard_curves({"a": ([0.1, 1.0], [0.1, 0.01]), "b": ([0.1, 1.0], [0.2, 0.02])},
                               imt="PGA", investigation_time=1.0, return_periods=(100,))
    assert [line.get_label() for line in lines] == ["a", "b"]
    assert lines[0].axes.get_xlabel() == "PGA [g]"


def test_curves_errors(curves):
    with pytest.raises(InputError, match="imt='PGV'"):
        plot_hazard_curves(curves, imt="PGV")
    with pytest.raises(InputError, match=r"site=\[5\]"):
        plot_hazard_curves(curves, sites=5)
    with pytest.raises(InputError, match="investigation time"):
        plot_hazard_curves({"a": ([1], [0.1])}, rate=True)


def test_uhs_lines():
    spectra = {"mean": np.array([[[0.2, 0.5, 0.1], [0.4, 0.9, 0.2]]])}  # (N=1, P=2, T=3)
    uhs = uhs_dataarray(spectra, [0.1, 0.02], ["SA(1.0)", "PGA", "SA(0.2)"], [0.0], [0.0],
                        investigation_time=50.0)
    lines = plot_uhs(uhs)
    assert len(lines) == 2
    np.testing.assert_array_equal(lines[0].get_xdata(), [0.0, 0.2, 1.0])
    np.testing.assert_array_equal(lines[0].get_ydata(), [0.5, 0.1, 0.2])  # sorted by period
    np.testing.assert_array_equal(lines[1].get_ydata(), [0.9, 0.2, 0.4])
    assert [line.get_label() for line in lines] == ["PoE 0.1 in 50 yr", "PoE 0.02 in 50 yr"]
    ax = lines[0].axes
    assert ax.get_xlabel() == "Period [s]" and ax.get_ylabel() == "Spectral acceleration [g]"
    assert len(plot_uhs(uhs, poes=0.02)) == 1


def test_disaggregation_heatmap_and_bars():
    import xarray as xr

    values = np.arange(12, dtype=float).reshape(4, 3)
    matrix = xr.DataArray(values, dims=("mag", "dist"),
                          coords={"mag": [5.0, 5.5, 6.0, 6.5], "dist": [10.0, 30.0, 50.0]})
    mesh, bar = plot_disaggregation(matrix)
    assert isinstance(mesh, QuadMesh)
    np.testing.assert_allclose(mesh.get_array().reshape(3, 4), 100 * values.T / values.sum())
    assert bar.ax.get_ylabel() == "Contribution [%]"
    assert mesh.axes.get_xlabel() == "Magnitude" and mesh.axes.get_ylabel() == "Distance [km]"
    bars = plot_disaggregation(values, kind="bars3d", normalize=False, xlabel="M", ylabel="R")
    ax = bars.axes
    assert ax.name == "3d" and ax.get_zlabel() == "Probability of exceedance"
    with pytest.raises(InputError, match="kind='pie'"):
        plot_disaggregation(values, kind="pie")
