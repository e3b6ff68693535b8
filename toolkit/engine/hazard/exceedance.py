"""Conditional probability of exceedance of intensity levels given a rupture.

For a lognormal ground motion with ln-mean ``mu`` and ln-standard deviation ``sigma``, the
probability that the intensity exceeds a level ``x`` is

.. math:: P(Y > x) = Q(\\varepsilon), \\quad \\varepsilon = (\\ln x - \\mu) / \\sigma

with Q the standard normal survival function. With a truncation level ``t`` the normal
distribution is truncated at +-t sigma and renormalised (two-sided, as OpenQuake and the PEER
instructions, "truncate at n sigma and renormalise the pdf"):

.. math:: P_t = \\mathrm{clip}\\left(\\frac{\\Phi(t) - \\Phi(\\varepsilon)}{\\Phi(t) - \\Phi(-t)},
          0, 1\\right)

A truncation level of 0, or sigma = 0, gives the deterministic step: 1 where the median
exceeds the level, else 0 (PEER "sigma = 0" cases).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

__all__ = ["probability_of_exceedance"]


def probability_of_exceedance(
    mean: np.ndarray, sigma: np.ndarray, log_levels: np.ndarray, truncation_level: float | None
) -> np.ndarray:
    """Probabilities of exceeding each level.

    Parameters
    ----------
    mean, sigma : ndarray, shape (N,)
        ln-median and ln-standard deviation of N rupture-site pairs.
    log_levels : ndarray, shape (L,)
        Natural logarithms of the intensity levels.
    truncation_level : float or None
        Number of standard deviations at which the distribution is truncated; None means
        untruncated; 0 means deterministic (median only).

    Returns
    -------
    ndarray, shape (N, L)
    """
    mean = np.asarray(mean, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    if truncation_level is not None and ndtr(truncation_level) - ndtr(-truncation_level) <= 0:
        truncation_level = 0  # a level so small that no probability mass is left: the median
    if truncation_level == 0:
        return (mean[:, None] > log_levels[None, :]).astype(float)
    zero = sigma <= 0
    # eps = (ln x - mu) / sigma, computed in place in the output array
    out = np.empty((len(mean), len(log_levels)))
    np.subtract(log_levels[None, :], mean[:, None], out=out)
    out *= (1.0 / np.where(zero, 1.0, sigma))[:, None]
    if truncation_level is None:
        np.negative(out, out=out)
        ndtr(out, out=out)
    else:
        t = float(truncation_level)
        upper, lower = ndtr(t), ndtr(-t)
        ndtr(out, out=out)
        np.subtract(upper, out, out=out)
        out *= 1.0 / (upper - lower)
        np.clip(out, 0.0, 1.0, out=out)
    if zero.any():
        out[zero] = mean[zero, None] > log_levels[None, :]
    return out
