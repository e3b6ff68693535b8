"""GMPE trellis plots: the drawn lines are gmpe_table's medians and exp(+-sigma) bands."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PolyCollection

from toolkit.errors import InputError
from toolkit.gmpe import gmpe_table
from toolkit.plotting import GmpeArtists, plot_gmpe_trellis

SCENARIO = dict(mag=6.5, rake=0.0, vs30=760.0)


def test_versus_distance_matches_gmpe_table():
    rrup = np.array([1.0, 10.0, 50.0, 200.0])
    artists = plot_gmpe_trellis(["BooreEtAl2014", "Idriss2014"], "SA(1.0)", x="rrup",
                                values=rrup, **SCENARIO)
    assert [a.gsim for a in artists] == ["BooreEtAl2014", "Idriss2014"]
    assert all(isinstance(a, GmpeArtists) for a in artists)
    boore = gmpe_table("BooreEtAl2014", "SA(1.0)", rjb=rrup, **SCENARIO)  # rjb = rrup here
    idriss = gmpe_table("Idriss2014", "SA(1.0)", rrup=rrup, **SCENARIO)
    for art, table in zip(artists, (boore, idriss), strict=True):
        median, sigma = table["median_g"].to_numpy(), table["sigma_ln"].to_numpy()
        np.testing.assert_array_equal(art.median.get_xdata(), rrup)
        np.testing.assert_allclose(art.median.get_ydata(), median, rtol=1e-12)
        np.testing.assert_allclose(art.lower.get_ydata(), median * np.exp(-sigma), rtol=1e-12)
        np.testing.assert_allclose(art.upper.get_ydata(), median * np.exp(sigma), rtol=1e-12)
        assert isinstance(art.band, PolyCollection)
    # distinct colours per model, the band in the model's colour
    assert artists[0].median.get_color() != artists[1].median.get_color()
    ax = artists[0].median.axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "Rupture distance $R_{rup}$ [km]"
    assert ax.get_ylabel() == "Median SA(1.0) and ±1σ [g]"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["BooreEtAl2014",
                                                                    "Idriss2014"]


def test_versus_magnitude_and_default_values():
    _, ax = plt.subplots()
    (art,) = plot_gmpe_trellis("Idriss2014", "PGA", x="mag", ax=ax, rrup=20.0, rake=90.0,
                               vs30=450.0, band=False, legend=False)
    mags = art.median.get_xdata()
    assert mags[0] == 4.0 and mags[-1] == 8.0 and len(mags) == 33
    table = gmpe_table("Idriss2014", "PGA", mag=mags, rrup=20.0, rake=90.0, vs30=450.0)
    np.testing.assert_allclose(art.median.get_ydata(), table["median_g"], rtol=1e-12)
    assert art.band is None and ax.get_legend() is None
    assert ax.get_xscale() == "linear" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "Moment magnitude $M_w$"


def test_versus_period_skips_periods_a_model_lacks():
    periods = [0.05, 0.1, 1.0, 5.0]  # Sadigh 1997 is defined from 0.075 to 4 s
    sadigh, boore = plot_gmpe_trellis(["SadighEtAl1997", "BooreEtAl2014"], x="period",
                                      values=periods, rrup=10.0, rjb=10.0, **SCENARIO)
    np.testing.assert_array_equal(sadigh.median.get_xdata(), [0.1, 1.0])
    np.testing.assert_array_equal(boore.median.get_xdata(), periods)
    expected = [gmpe_table("BooreEtAl2014", f"SA({t})", rjb=10.0, **SCENARIO)["median_g"][0]
                for t in periods]
    np.testing.assert_allclose(boore.median.get_ydata(), expected, rtol=1e-12)
    ax = boore.median.axes
    assert ax.get_xlabel() == "Period [s]"
    assert ax.get_ylabel() == "Median Spectral acceleration and ±1σ [g]"


def test_pgv_units_and_errors():
    (art,) = plot_gmpe_trellis("BooreEtAl2014", "PGV", values=[5.0, 50.0], **SCENARIO)
    assert art.median.axes.get_ylabel().endswith("[cm/s]")
    with pytest.raises(InputError, match="x must be one of"):
        plot_gmpe_trellis("BooreEtAl2014", "PGA", x="vs30", **SCENARIO)
    with pytest.raises(InputError, match=r"Idriss2014 requires \['vs30'\]"):
        plot_gmpe_trellis("Idriss2014", "PGA", mag=6.0, rake=0.0)
    with pytest.raises(InputError, match=r"requires \['vs30'\]"):
        plot_gmpe_trellis("Idriss2014", x="period", mag=6.0, rake=0.0, rrup=10.0)
