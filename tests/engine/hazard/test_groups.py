"""Source groups: probabilities of exceedance computed by hand from single-rupture PoEs."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard.calculators.classical import classical_task
from toolkit.engine.hazard.groups import (
    GroupSemantics,
    GroupSource,
    NegativeBinomialTOM,
    rupture_log_pne,
)
from toolkit.engine.hazard.gsim.sadigh_1997 import SadighEtAl1997
from toolkit.engine.hazard.imt import PGA
from toolkit.engine.hazard.kernel import HazardSpec, compute_rates
from toolkit.engine.hazard.mfd import EvenlyDiscretizedMFD
from toolkit.engine.hazard.msr import PointMSR
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.engine.hazard.sources import PointSource
from toolkit.engine.hazard.sources.nonparametric import NonParametricSource
from toolkit.errors import InputError

LEVELS = np.array([0.01, 0.05, 0.1, 0.2, 0.4])
TIME = 50.0
SITES = SiteCollection(lons=np.array([0.0, 0.3]), lats=np.array([0.1, 0.0]))
SPEC = HazardSpec({PGA(): LEVELS}, 3.0, 300.0, 0.0, TIME)
GSIMS = [SadighEtAl1997()]


def point(source_id: str, lon: float, mag: float, rate: float) -> PointSource:
    return PointSource(
        source_id=source_id, name=source_id, trt="Active Shallow Crust", lon=lon, lat=0.0,
        upper_seismogenic_depth=0.0, lower_seismogenic_depth=20.0, msr=PointMSR(),
        rupture_aspect_ratio=1.0, mfd=EvenlyDiscretizedMFD(mag, 0.1, [rate]),
        nodal_planes=[(1.0, 0.0, 90.0, 0.0)], hypo_depths=[(1.0, 8.0)])


A = point("a", 0.0, 6.0, 0.02)
B = point("b", 0.2, 6.8, 0.005)


def single_poe(src: PointSource) -> np.ndarray:
    """P(Y > x | the rupture), shape (S, L): the kernel's rate of a one-rupture source
    divided by the rupture's rate."""
    rate = src.mfd.get_annual_occurrence_rates()[1][0]
    return compute_rates(src.iter_ruptures(), SITES, GSIMS, SPEC)[0] / rate


P_A, P_B = single_poe(A), single_poe(B)


def group_poe(semantics: GroupSemantics, sources) -> np.ndarray:
    rates = GroupSource(semantics, sources).hazard_rates(SITES, GSIMS, SPEC)
    assert rates.shape == (1, 2, len(LEVELS))
    return -np.expm1(-rates[0] * TIME)


def test_single_rupture_poes_are_informative():
    assert np.all(np.diff(P_A, axis=1) < 0) and P_A[0, 0] > 0.5 and P_B[1, -1] > 1e-3


def test_independent_sources_reduce_to_poisson():
    poe = group_poe(GroupSemantics(toms={"z": NegativeBinomialTOM(1.0, 1.0)}), [A, B])
    expected = 1 - np.exp(-TIME * (0.02 * P_A + 0.005 * P_B))
    np.testing.assert_allclose(poe, expected, rtol=1e-12)


def test_mutually_exclusive_sources():
    poe = group_poe(GroupSemantics(src_mutex=True, srcs_weights=(0.3, 0.7)), [A, B])
    expected = (0.3 * (1 - np.exp(-0.02 * TIME * P_A))
                + 0.7 * (1 - np.exp(-0.005 * TIME * P_B)))
    np.testing.assert_allclose(poe, expected, rtol=1e-12)


def test_cluster_of_two_sources():
    rate = 0.004
    poe = group_poe(GroupSemantics(cluster_rate=rate), [A, B])
    # given the cluster, both ruptures occur once: 1 - (1 - pA)(1 - pB) exceeds
    expected = 1 - np.exp(-rate * TIME * (1 - (1 - P_A) * (1 - P_B)))
    np.testing.assert_allclose(poe, expected, rtol=1e-12)
    # a cluster that certainly exceeds: the Poisson probability of one cluster or more
    assert poe[0, 0] == pytest.approx(1 - np.exp(-rate * TIME), rel=1e-3)


def test_negative_binomial_source():
    alpha = 2.0
    poe = group_poe(GroupSemantics(toms={"a": NegativeBinomialTOM(mu=0.02, alpha=alpha)}),
                    [A])
    expected = 1 - (1 + alpha * 0.02 * TIME * P_A) ** (-1 / alpha)
    np.testing.assert_allclose(poe, expected, rtol=1e-12)
    # over-dispersion (same mean number of events) lowers the probability of exceedance
    some = P_A > 0
    assert some.sum() >= 8 and np.all(poe[some] < 1 - np.exp(-0.02 * TIME * P_A[some]))
    # and a vanishing dispersion gives back the Poisson model
    tiny = group_poe(GroupSemantics(toms={"a": NegativeBinomialTOM(0.02, 1e-9)}), [A])
    np.testing.assert_allclose(tiny, 1 - np.exp(-0.02 * TIME * P_A), rtol=1e-6)


def non_parametric(probs) -> NonParametricSource:
    ruptures = [next(iter(A.iter_ruptures())), next(iter(B.iter_ruptures()))]
    return NonParametricSource("n", "n", "Active Shallow Crust", ruptures, probs, TIME)


def test_mutually_exclusive_ruptures():
    src = non_parametric([[0.6, 0.4], [0.2, 0.8]])
    poe = group_poe(GroupSemantics(rup_mutex=True, rup_weights={"n": (0.25, 0.75)}), [src])
    # P(no exceedance | rupture r) = p0 + p1 (1 - poe_r)
    expected = 0.25 * 0.4 * P_A + 0.75 * 0.8 * P_B
    np.testing.assert_allclose(poe, expected, rtol=1e-12)


def test_mutex_ruptures_inside_a_cluster():
    src = non_parametric([[0.0, 1.0], [0.5, 0.3, 0.2]])
    rate = 0.01
    poe = group_poe(GroupSemantics(rup_mutex=True, rup_weights={"n": (0.4, 0.6)},
                                   cluster_rate=rate), [src])
    pne_b = 0.5 + 0.3 * (1 - P_B) + 0.2 * (1 - P_B) ** 2
    exceed = 0.4 * P_A + 0.6 * (1 - pne_b)
    np.testing.assert_allclose(poe, 1 - np.exp(-rate * TIME * exceed), rtol=1e-12)


def test_mutex_rupture_weights_must_match():
    src = non_parametric([[0.0, 1.0], [0.0, 1.0]])
    group = GroupSource(GroupSemantics(rup_mutex=True, rup_weights={"n": (1.0,)}), [src])
    with pytest.raises(InputError, match="1 rup_weights for 2 ruptures"):
        group.hazard_rates(SITES, GSIMS, SPEC)


def test_group_needs_matching_source_weights():
    with pytest.raises(InputError, match="srcs_weights has 1 values for 2 sources"):
        GroupSource(GroupSemantics(src_mutex=True, srcs_weights=(1.0,)), [A, B])


def test_classical_task_adds_groups_to_plain_sources():
    """The calculator's task: plain sources through the kernel, groups by their rates."""
    group = GroupSource(GroupSemantics(cluster_rate=0.004), [B])
    rates = classical_task([A, group], SITES, GSIMS, SPEC)
    expected = 0.02 * P_A + 0.004 * P_B
    np.testing.assert_allclose(rates[0], expected, rtol=1e-12)
    assert group.split(10) == [group] and group.count_ruptures() == 1


def test_rupture_log_pne_models():
    poe = np.array([[0.0, 0.5, 1.0]])
    rate = np.array([0.1])
    np.testing.assert_allclose(rupture_log_pne(poe, rate, None, 2.0), [[0, -0.1, -0.2]])
    np.testing.assert_allclose(rupture_log_pne(poe, rate, None, 2.0, fated=True),
                               [[0, np.log(0.5), -np.inf]])
    np.testing.assert_allclose(
        rupture_log_pne(poe, rate, np.array([[0.5, 0.5]]), 2.0), [[0, np.log(0.75),
                                                                   np.log(0.5)]])
    nb = NegativeBinomialTOM(mu=0.1, alpha=0.5)
    np.testing.assert_allclose(rupture_log_pne(poe, rate, None, 2.0, tom=nb),
                               np.log((1 + 0.5 * 0.2 * poe) ** -2.0))
    with pytest.raises(InputError, match="alpha must be a positive number"):
        NegativeBinomialTOM(mu=0.1, alpha=-1.0)
