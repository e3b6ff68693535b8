"""Conditional probabilities of exceedance with and without truncation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm, truncnorm

from toolkit.engine.hazard.exceedance import probability_of_exceedance

LEVELS = np.log(np.array([0.01, 0.1, 0.2, 0.5, 1.0]))


def test_untruncated_is_normal_survival():
    mean, sigma = np.array([np.log(0.2)]), np.array([0.6])
    got = probability_of_exceedance(mean, sigma, LEVELS, None)[0]
    assert np.allclose(got, norm.sf(LEVELS, loc=mean[0], scale=sigma[0]), rtol=1e-12)


@pytest.mark.parametrize("t", [1.0, 2.0, 3.0])
def test_truncated_is_renormalised_two_sided(t):
    mean, sigma = np.array([np.log(0.2)]), np.array([0.6])
    got = probability_of_exceedance(mean, sigma, LEVELS, t)[0]
    expected = truncnorm.sf(LEVELS, -t, t, loc=mean[0], scale=sigma[0])
    assert np.allclose(got, expected, rtol=1e-10, atol=1e-15)


def test_zero_truncation_and_zero_sigma_are_steps():
    mean, sigma = np.array([np.log(0.15), np.log(0.15)]), np.array([0.6, 0.0])
    steps = probability_of_exceedance(mean, sigma, LEVELS, 0)
    assert steps.tolist() == [[1, 1, 0, 0, 0], [1, 1, 0, 0, 0]]
    # sigma = 0 in one pair only, with truncation: that pair is a step, the other is not
    mixed = probability_of_exceedance(mean, sigma, LEVELS, 3.0)
    assert mixed[1].tolist() == [1, 1, 0, 0, 0]
    assert 0 < mixed[0, 2] < 1


def test_vanishing_truncation_level_is_the_median_step():
    mean, sigma = np.array([np.log(0.15)]), np.array([0.6])
    steps = probability_of_exceedance(mean, sigma, LEVELS, 1e-300)
    assert steps.tolist() == [[1, 1, 0, 0, 0]]
