"""``use_rates``: hazard statistics over annual rates instead of probabilities."""

from __future__ import annotations

import numpy as np

from toolkit.engine.hazard.calculators.classical import (
    ClassicalInputs,
    RealizationInput,
    summarize_curves,
)
from toolkit.engine.hazard.imt import PGA
from toolkit.engine.hazard.sites import SiteCollection

T = 50.0
LEVELS = np.array([0.01, 0.1, 1.0])


def inputs(use_rates: bool) -> ClassicalInputs:
    sites = SiteCollection([0.0], [0.0], vs30=[800.0])
    rlzs = [RealizationInput(0, 0, {}, 0.25, "A~A"), RealizationInput(1, 0, {}, 0.75, "A~B")]
    return ClassicalInputs(sites=sites, source_models=[], realizations=rlzs,
                           imtls={PGA: LEVELS}, investigation_time=T, truncation_level=3.0,
                           poes=[0.1], quantiles=[0.85], use_rates=use_rates)


# annual rates of two realizations at one site, three levels
RATES = np.array([[[0.2, 0.01, 1e-4], [0.02, 0.002, 1e-5]]])
CURVES = -np.expm1(-RATES * T)


def test_mean_is_the_poe_of_the_weighted_mean_rate():
    result = summarize_curves(inputs(True), CURVES)
    mean_rate = 0.25 * RATES[0, 0] + 0.75 * RATES[0, 1]
    np.testing.assert_allclose(result.curves_stats["mean"][0], -np.expm1(-mean_rate * T),
                               rtol=1e-12)


def test_without_use_rates_the_mean_is_over_poes():
    result = summarize_curves(inputs(False), CURVES)
    np.testing.assert_allclose(result.curves_stats["mean"][0],
                               0.25 * CURVES[0, 0] + 0.75 * CURVES[0, 1], rtol=1e-12)
    # the two differ visibly on the saturated first level
    assert abs(result.curves_stats["mean"][0, 0]
               - summarize_curves(inputs(True), CURVES).curves_stats["mean"][0, 0]) > 0.05


def test_quantile_interpolates_rates():
    # the smaller rates (realization B, weight 0.75) come first: cumulative weights 0.75, 1.0;
    # q = 0.85 lies 40 % of the way between them, interpolated linearly in rate
    result = summarize_curves(inputs(True), CURVES)
    lo, hi = RATES[0, 1], RATES[0, 0]
    rate = lo + (0.85 - 0.75) / 0.25 * (hi - lo)
    np.testing.assert_allclose(result.curves_stats["quantile-0.85"][0], -np.expm1(-rate * T),
                               rtol=1e-12)


def test_maps_follow_the_rate_mean():
    with_rates = summarize_curves(inputs(True), CURVES)
    on_poes = summarize_curves(inputs(False), CURVES)
    assert with_rates.maps_stats["mean"][0, 0, 0] != on_poes.maps_stats["mean"][0, 0, 0]
