"""Statistics over logic-tree realizations, hazard maps and uniform hazard spectra.

All functions are vectorised over sites and intensity levels.

References
----------
- Mean hazard: the weighted mean of the realizations' probabilities of exceedance, as in
  OpenQuake (hazard statistics are computed on poes, not rates).
- Quantiles: the inverse of the weighted empirical distribution of the realizations,
  interpolated linearly between cumulative weights (OpenQuake's convention): sort the values,
  accumulate their weights, and interpolate the quantile in the cumulative weights; below the
  first cumulative weight the smallest value is returned.
- Hazard maps: log-log interpolation of a hazard curve at the target poe (McGuire 2004,
  *Seismic Hazard and Risk Analysis*, EERI, ch. 4).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["mean_curve", "quantile_curve", "hazard_maps", "rates_to_poes", "poes_to_rates"]

#: poes below this value are treated as this value when taking logarithms
EPSILON = 1e-30


def rates_to_poes(rates: np.ndarray, investigation_time: float) -> np.ndarray:
    """Poisson probability of at least one exceedance in ``investigation_time`` years.

    P = 1 - exp(-rate * T), computed with ``expm1`` for accuracy at small rates.
    """
    return -np.expm1(-np.asarray(rates) * investigation_time)


def poes_to_rates(poes: np.ndarray, investigation_time: float) -> np.ndarray:
    """Inverse of :func:`rates_to_poes`: rate = -ln(1 - P) / T."""
    return -np.log1p(-np.clip(poes, 0.0, 1.0 - 1e-16)) / investigation_time


def mean_curve(values: np.ndarray, weights: Sequence[float]) -> np.ndarray:
    """Weighted mean over the first axis (realizations).

    Parameters
    ----------
    values : ndarray, shape (R, ...)
    weights : sequence of R floats, summing to 1
    """
    w = np.asarray(weights, dtype=float)
    return np.tensordot(w / w.sum(), values, axes=(0, 0))


def quantile_curve(q: float, values: np.ndarray, weights: Sequence[float]) -> np.ndarray:
    """Weighted quantile ``q`` over the first axis (realizations).

    Parameters
    ----------
    q : float in [0, 1]
    values : ndarray, shape (R, ...)
    weights : sequence of R floats

    Returns
    -------
    ndarray, shape values.shape[1:]
    """
    values = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    order = np.argsort(values, axis=0, kind="stable")
    sorted_values = np.take_along_axis(values, order, axis=0)
    cum = np.cumsum(w[order], axis=0)  # same shape as values
    # For each cell, find k with cum[k-1] < q <= cum[k] and interpolate linearly.
    k = np.sum(cum < q, axis=0)  # number of cumulative weights strictly below q
    r = len(w)
    hi = np.clip(k, 0, r - 1)
    lo = np.clip(k - 1, 0, r - 1)
    c_hi = np.take_along_axis(cum, hi[None], axis=0)[0]
    c_lo = np.take_along_axis(cum, lo[None], axis=0)[0]
    v_hi = np.take_along_axis(sorted_values, hi[None], axis=0)[0]
    v_lo = np.take_along_axis(sorted_values, lo[None], axis=0)[0]
    span = c_hi - c_lo
    frac = np.divide(q - c_lo, span, out=np.zeros_like(span), where=span > 0)
    frac = np.clip(frac, 0.0, 1.0)
    result = v_lo + frac * (v_hi - v_lo)
    return np.where(k == 0, sorted_values[0], result)


def hazard_maps(curves: np.ndarray, levels: np.ndarray, poes: Sequence[float]) -> np.ndarray:
    """Intensity levels with the given probabilities of exceedance.

    Log-log interpolation of each curve; a target poe larger than the curve's value at the
    lowest level gives 0 (the answer lies below the levels computed); a target poe below the
    curve's value at the highest level gives the highest level.

    Parameters
    ----------
    curves : ndarray, shape (N, L)
        Probabilities of exceedance, non-increasing along the last axis.
    levels : ndarray, shape (L,)
        Increasing intensity levels.
    poes : sequence of P floats

    Returns
    -------
    ndarray, shape (N, P)
    """
    curves = np.atleast_2d(np.asarray(curves, dtype=float))
    levels = np.asarray(levels, dtype=float)
    log_levels = np.log(levels)
    log_curves = np.log(np.maximum(curves, EPSILON))
    out = np.zeros((len(curves), len(poes)))
    for j, poe in enumerate(poes):
        target = np.log(poe)
        # index of the first level whose poe is below the target
        below = log_curves < target
        first = np.where(below.any(axis=1), below.argmax(axis=1), len(levels))
        i1 = np.clip(first, 1, len(levels) - 1)
        i0 = i1 - 1
        rows = np.arange(len(curves))
        y0, y1 = log_curves[rows, i0], log_curves[rows, i1]
        x0, x1 = log_levels[i0], log_levels[i1]
        dy = y1 - y0
        frac = np.divide(target - y0, dy, out=np.zeros_like(dy), where=dy != 0)
        value = np.exp(x0 + np.clip(frac, 0.0, 1.0) * (x1 - x0))
        value = np.where(first == 0, 0.0, value)
        value = np.where(first == len(levels), levels[-1], value)
        out[:, j] = value
    return out
