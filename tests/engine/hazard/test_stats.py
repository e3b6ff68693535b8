"""Statistics over realizations, hazard maps, Poisson conversion."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.engine.hazard import stats


def test_rates_poes_round_trip():
    rates = np.array([0.0, 1e-8, 2.8528e-3, 0.5, 3.0])
    poes = stats.rates_to_poes(rates, 1.0)
    assert poes[2] == pytest.approx(1 - np.exp(-2.8528e-3), rel=1e-12)
    assert np.allclose(stats.poes_to_rates(poes, 1.0), rates, rtol=1e-9)
    # investigation time scales the rate
    assert stats.rates_to_poes(np.array([0.01]), 50.0)[0] == pytest.approx(1 - np.exp(-0.5))


def test_mean_curve_is_weighted_mean_of_poes():
    values = np.array([[0.1, 0.2], [0.3, 0.6]])
    assert np.allclose(stats.mean_curve(values, [0.25, 0.75]), [0.25, 0.5])


def test_quantile_two_equal_weights_matches_openquake_convention():
    # OQ calc_3 (two realizations of weight 0.5): the 0.15 quantile is the lower curve,
    # the 0.85 quantile interpolates 70 % of the way from the lower to the upper value.
    low, high = 0.2, 0.6
    values = np.array([[high], [low]])
    assert stats.quantile_curve(0.15, values, [0.5, 0.5])[0] == pytest.approx(low)
    assert stats.quantile_curve(0.5, values, [0.5, 0.5])[0] == pytest.approx(low)
    assert stats.quantile_curve(0.85, values, [0.5, 0.5])[0] == pytest.approx(low + 0.7 * 0.4)
    assert stats.quantile_curve(1.0, values, [0.5, 0.5])[0] == pytest.approx(high)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=8), st.floats(0, 1))
def test_quantile_is_within_range_and_monotonic(vals, q):
    values = np.array(vals)[:, None]
    w = np.ones(len(vals))
    got = stats.quantile_curve(q, values, w)[0]
    assert min(vals) - 1e-12 <= got <= max(vals) + 1e-12
    higher = stats.quantile_curve(min(1.0, q + 0.1), values, w)[0]
    assert higher >= got - 1e-12


def test_hazard_map_log_log_interpolation():
    levels = np.array([0.1, 0.2, 0.4])
    curve = np.array([[1e-1, 1e-2, 1e-3]])
    # poe 10**-1.5 halfway (in log) between the first two levels
    got = stats.hazard_maps(curve, levels, [10**-1.5])[0, 0]
    assert got == pytest.approx(np.sqrt(0.1 * 0.2), rel=1e-12)
    # exactly on a level
    assert stats.hazard_maps(curve, levels, [1e-2])[0, 0] == pytest.approx(0.2)
    # above the curve: below the computed range -> 0; below the curve: highest level
    assert stats.hazard_maps(curve, levels, [0.5])[0, 0] == 0.0
    assert stats.hazard_maps(curve, levels, [1e-5])[0, 0] == pytest.approx(0.4)


def test_hazard_map_vectorised_over_sites_and_poes():
    levels = np.logspace(-2, 0, 20)
    curves = np.array([np.exp(-5 * levels), np.exp(-10 * levels)])
    maps = stats.hazard_maps(curves, levels, [0.5, 0.1])
    assert maps.shape == (2, 2)
    # the first site is more hazardous: larger level at the same poe
    assert np.all(maps[0] > maps[1])
    assert maps[0, 0] == pytest.approx(np.log(2) / 5, rel=2e-2)
