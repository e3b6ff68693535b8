"""Fragility functions: discrete interpolation, continuous lognormal CDFs, damage states."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from toolkit.engine.risk.fragility import damage_state_probs, limit_state_poes
from toolkit.engine.risk.models import FragilityFunction
from toolkit.errors import InputError


def discrete(ndl=None):
    return FragilityFunction(
        id="RC", imt="PGA", limit_states=["LS1", "LS2"], format="discrete",
        imls=np.array([0.1, 0.2, 0.3, 0.5]),
        poes=np.array([[0.0073, 0.35, 0.74, 0.99], [0.001, 0.02, 0.25, 0.72]]),
        no_damage_limit=ndl)


def continuous(**kw):
    return FragilityFunction(
        id="W", imt="SA(0.3)", limit_states=["slight", "moderate", "complete"],
        format="continuous", means=np.array([0.2, 0.45, 0.9]),
        stddevs=np.array([0.1, 0.2, 0.5]), **kw)


def test_discrete_hand_interpolation():
    ff = discrete()
    poes = limit_state_poes(ff, [0.1, 0.15, 0.25, 0.4, 0.5])
    expected = [
        [0.0073, 0.001],                                    # first level
        [0.0073 + 0.5 * (0.35 - 0.0073), 0.001 + 0.5 * (0.02 - 0.001)],
        [0.35 + 0.5 * (0.74 - 0.35), 0.02 + 0.5 * (0.25 - 0.02)],
        [0.74 + 0.5 * (0.99 - 0.74), 0.25 + 0.5 * (0.72 - 0.25)],
        [0.99, 0.72],                                       # last level
    ]
    assert np.allclose(poes, expected, rtol=0, atol=1e-15)


def test_discrete_above_last_level_is_clipped_and_below_first_is_zero():
    ff = discrete()
    poes = limit_state_poes(ff, [0.0, 0.05, 0.0999, 0.6, 3.0])
    assert np.array_equal(poes[:3], np.zeros((3, 2)))
    assert np.array_equal(poes[3:], [[0.99, 0.72], [0.99, 0.72]])


def test_discrete_no_damage_limit_ramps_from_zero():
    ff = discrete(ndl=0.05)
    poes = limit_state_poes(ff, [0.04, 0.05, 0.075, 0.1])
    assert np.array_equal(poes[0], [0.0, 0.0])
    assert np.array_equal(poes[1], [0.0, 0.0])
    assert np.allclose(poes[2], [0.5 * 0.0073, 0.5 * 0.001], rtol=1e-13)
    assert np.allclose(poes[3], [0.0073, 0.001], rtol=1e-13)


def test_discrete_no_damage_limit_above_first_level_cuts():
    ff = discrete(ndl=0.25)
    poes = limit_state_poes(ff, [0.2, 0.2499, 0.25, 0.3])
    assert np.array_equal(poes[:2], np.zeros((2, 2)))
    assert np.allclose(poes[2], [0.545, 0.135], rtol=1e-13)
    assert np.allclose(poes[3], [0.74, 0.25], rtol=1e-13)


def test_discrete_keeps_array_shape():
    imls = np.full((4, 7), 0.25)
    poes = limit_state_poes(discrete(), imls)
    assert poes.shape == (4, 7, 2)
    assert np.allclose(poes, [0.545, 0.135])
    assert limit_state_poes(discrete(), 0.25).shape == (2,)


def test_continuous_matches_scipy_lognorm():
    ff = continuous()
    x = np.geomspace(0.01, 3.0, 57)
    poes = limit_state_poes(ff, x)
    for k, (m, s) in enumerate(zip(ff.means, ff.stddevs, strict=True)):
        sigma = np.sqrt(np.log(1.0 + (s / m) ** 2))
        dist = stats.lognorm(sigma, scale=m / np.sqrt(1.0 + (s / m) ** 2))
        # the parameters really are the mean and stddev of the lognormal variable
        assert dist.mean() == pytest.approx(m, rel=1e-12)
        assert dist.std() == pytest.approx(s, rel=1e-12)
        assert np.allclose(poes[:, k], dist.cdf(x), rtol=1e-12, atol=1e-15)


def test_continuous_limits():
    ff = continuous(min_iml=0.05, max_iml=1.5, no_damage_limit=0.08)
    x = np.array([0.0, 0.04, 0.07, 0.08, 1.5, 2.0, 10.0])
    poes = limit_state_poes(ff, x)
    assert np.array_equal(poes[:3], np.zeros((3, 3)))
    assert np.allclose(poes[3], limit_state_poes(continuous(), 0.08), rtol=1e-14)
    assert np.array_equal(poes[5], poes[4])   # clipped to max_iml
    assert np.array_equal(poes[6], poes[4])
    only_min = continuous(min_iml=0.05)
    assert np.array_equal(limit_state_poes(only_min, 0.049), [0.0, 0.0, 0.0])
    assert limit_state_poes(only_min, 0.05)[0] > 0


def test_continuous_zero_stddev_is_a_step_at_the_mean():
    ff = FragilityFunction(id="x", imt="PGA", limit_states=["a"], format="continuous",
                           means=np.array([0.3]), stddevs=np.array([0.0]))
    assert np.array_equal(limit_state_poes(ff, [0.0, 0.29, 0.3, 0.31])[:, 0], [0, 0, 1, 1])


def test_damage_state_probs_hand_values_and_sum():
    probs = damage_state_probs([[0.545, 0.135], [0.0, 0.0], [1.0, 1.0]])
    assert np.allclose(probs, [[0.455, 0.41, 0.135], [1, 0, 0], [0, 0, 1]], atol=1e-15)
    rng = np.random.default_rng(3)
    poes = np.sort(rng.uniform(size=(100, 4)), axis=1)[:, ::-1]
    assert np.allclose(damage_state_probs(poes).sum(axis=-1), 1.0, rtol=0, atol=1e-14)


def test_crossing_curves_give_no_negative_probabilities():
    probs = damage_state_probs([0.4, 0.5, 0.1])     # P(LS2) > P(LS1): capped at P(LS1)
    assert np.allclose(probs, [0.6, 0.0, 0.3, 0.1])
    assert np.all(probs >= 0)


def test_errors_name_the_function():
    bad = discrete()
    bad.poes = bad.poes[:, :3]
    with pytest.raises(InputError, match="'RC'.*poes have shape"):
        limit_state_poes(bad, 0.2)
    weird = discrete()
    weird.format = "tabular"
    with pytest.raises(InputError, match="unknown format"):
        limit_state_poes(weird, 0.2)
