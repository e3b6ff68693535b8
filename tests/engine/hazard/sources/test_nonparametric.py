"""Non-parametric sources: ruptures with probabilities of 0, 1, 2, ... occurrences.

For one rupture and one site, with poe the probability that one occurrence exceeds a level
(the GSIM called directly), the probability of exceedance in the investigation time is
``1 - sum_k p_k (1 - poe)^k``: ``p * poe`` for ``probs_occur = [1 - p, p]``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from toolkit.engine.hazard.calculators.classical import ClassicalInputs
from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.sadigh_1997 import SadighEtAl1997
from toolkit.engine.hazard.imt import PGA
from toolkit.engine.hazard.kernel import HazardSpec, compute_rates
from toolkit.engine.hazard.mfd import ArbitraryMFD
from toolkit.engine.hazard.msr import PointMSR
from toolkit.engine.hazard.ruptures import RuptureBlock
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.engine.hazard.sources import NonParametricSource, PointSource
from toolkit.engine.hazard.sources.nonparametric import equivalent_rates, sample_occurrences
from toolkit.engine.hazard.surfaces import PlanarSurfaces
from toolkit.errors import InputError

LEVELS = np.array([0.01, 0.05, 0.1, 0.2, 0.4])
T = 50.0
MAG, RAKE = 6.5, 0.0
SITE = (0.2, 0.0)


def rupture(lon0=0.0):
    """A vertical 11 km x 10 km plane along the meridian ``lon0``, 2 to 12 km deep."""
    corners = np.array([[[lon0, -0.05, 2.0], [lon0, 0.05, 2.0], [lon0, 0.05, 12.0],
                         [lon0, -0.05, 12.0]]])
    return RuptureBlock("r", "Active Shallow Crust", np.array([MAG]), np.array([RAKE]),
                        np.array([np.nan]), np.array([[lon0, 0.0, 7.0]]),
                        PlanarSurfaces(corners, 0.0, 90.0))


def sites():
    return SiteCollection([SITE[0]], [SITE[1]], vs30=[760.0])


def spec(truncation=None, investigation_time=T):
    return HazardSpec({PGA(): LEVELS}, truncation, 300.0, investigation_time=investigation_time)


def poe_by_hand(truncation=None):
    """Probability that one occurrence exceeds each level: Sadigh et al. (1997) called on the
    rupture-site distance, and the (truncated) normal distribution from scipy."""
    block = rupture()
    rrup = block.surface.distances(np.array([SITE[0]]), np.array([SITE[1]]), np.zeros(1),
                                   {"rrup"})["rrup"][0, 0]
    assert rrup == pytest.approx(np.hypot(SITE[0] * 111.195, 2.0), rel=1e-3)
    ctx = Context(mag=[MAG], rake=[RAKE], rrup=[rrup], vs30=[760.0])
    mean, sig, _, _ = SadighEtAl1997().get_mean_and_stddevs(ctx, [PGA()])
    eps = (np.log(LEVELS) - mean[0, 0]) / sig[0, 0]
    if truncation is None:
        return norm.sf(eps)
    return np.clip((norm.cdf(truncation) - norm.cdf(eps))
                   / (norm.cdf(truncation) - norm.cdf(-truncation)), 0, 1)


def curve(sources, truncation=None, investigation_time=T):
    blocks = (b for src in sources for b in src.iter_ruptures())
    rates = compute_rates(blocks, sites(), [SadighEtAl1997()], spec(truncation,
                                                                    investigation_time))
    return 1.0 - np.exp(-rates[0, 0] * T)


def source(probs, lon0=0.0):
    return NonParametricSource("np", "np", "Active Shallow Crust", [rupture(lon0)], [probs])


@pytest.mark.parametrize("truncation", [None, 3.0])
def test_one_rupture_with_probs_1_minus_p_p_gives_p_times_poe(truncation):
    p = 0.3
    expected = p * poe_by_hand(truncation)  # 1 - [(1 - p) + p (1 - poe)]
    np.testing.assert_allclose(curve([source([1 - p, p])], truncation), expected, rtol=1e-12)


def test_three_occurrence_probabilities():
    probs = [0.5, 0.3, 0.2]
    poe = poe_by_hand()
    expected = 1.0 - (0.5 + 0.3 * (1 - poe) + 0.2 * (1 - poe) ** 2)
    np.testing.assert_allclose(curve([source(probs)]), expected, rtol=1e-12)


def test_differs_from_the_poisson_rupture_of_the_same_occurrence_probability():
    """A Poisson rupture with rate -ln(1 - p)/T occurs at least once with probability p, but
    its exceedance probability is 1 - (1 - p)^poe, not p poe: equal only when poe is 0 or 1."""
    p = 0.3
    poe = poe_by_hand()
    poisson = 1.0 - (1.0 - p) ** poe
    got = curve([source([1 - p, p])])
    assert np.all(got < poisson)  # p poe < 1 - (1 - p)^poe for 0 < poe < 1
    # certain exceedance (a level far below the median with truncation): both give p
    rates = equivalent_rates(np.array([[1.0, 0.0]]), np.array([[1 - p, p]]), T)
    np.testing.assert_allclose(1 - np.exp(-rates * T), [[p, 0.0]], rtol=1e-14, atol=0)


def test_combined_with_a_poisson_source_multiplies_non_exceedance_probabilities():
    p, rate = 0.2, 0.01
    point = PointSource("pt", "pt", "Active Shallow Crust", -0.1, 0.0, 0.0, 20.0, PointMSR(),
                        1.0, ArbitraryMFD([5.5], [rate]), [(1.0, 0.0, 90.0, 0.0)],
                        [(1.0, 5.0)])
    alone = curve([point])
    both = curve([point, source([1 - p, p])])
    expected = 1.0 - (1.0 - alone) * (1.0 - p * poe_by_hand())
    np.testing.assert_allclose(both, expected, rtol=1e-12)


def test_tiny_probabilities_keep_their_precision():
    rates = equivalent_rates(np.array([[1e-12]]), np.array([[1 - 1e-9, 1e-9]]), 1.0)
    assert rates[0, 0] == pytest.approx(1e-21, rel=1e-9)


def test_needs_an_investigation_time():
    with pytest.raises(InputError, match="investigation_time"):
        curve([source([0.9, 0.1])], investigation_time=None)


def test_classical_inputs_pass_the_investigation_time():
    inp = ClassicalInputs(sites(), [], [], {PGA(): LEVELS}, 50.0, None)
    assert inp.spec_for("Active Shallow Crust").investigation_time == 50.0


@pytest.mark.parametrize("probs, message", [
    ([0.5, 0.6], "sums to 1.1"),
    ([1.0], "at least two"),
    ([1.2, -0.2], r"in \[0, 1\]"),
])
def test_bad_probabilities(probs, message):
    with pytest.raises(InputError, match=message):
        source(probs)


def test_blocks_merge_planar_ruptures_and_filter_magnitudes():
    src = NonParametricSource("np", "np", "Active Shallow Crust",
                              [rupture(0.0), rupture(0.1)], [[0.9, 0.1], [0.5, 0.25, 0.25]],
                              investigation_time=10.0)
    [block] = list(src.iter_ruptures())
    assert len(block) == 2 and block.probs_occur.shape == (2, 3)
    np.testing.assert_allclose(block.probs_occur[0], [0.9, 0.1, 0.0])
    np.testing.assert_allclose(block.rate, [0.01, 0.075])  # mean occurrences / T
    assert src.count_ruptures() == 2 and src.count_ruptures(7.0) == 0
    assert list(src.iter_ruptures(min_mag=7.0)) == []
    west, south, east, north = src.location_bounds()
    assert (west, east) == pytest.approx((0.0, 0.1)) and (south, north) == pytest.approx(
        (-0.05, 0.05))


def test_sampled_occurrences():
    rng = np.random.default_rng(1)
    certain = sample_occurrences(rng, np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])[:2], 7)
    np.testing.assert_array_equal(certain, [7, 0])
    probs = np.array([[0.5, 0.3, 0.2]])
    n = 20_000
    counts = sample_occurrences(rng, np.repeat(probs, 50, axis=0), n)
    mean = 0.3 + 2 * 0.2
    var = 0.3 + 4 * 0.2 - mean**2
    # the mean over 50 ruptures of n periods each is within 4 standard errors
    assert abs(counts.mean() / n - mean) < 4 * np.sqrt(var / (n * 50))
