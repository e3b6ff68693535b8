"""Fragility functions evaluated on arrays of intensity measure levels.

A fragility function gives, for each limit state :math:`ls_k` (in increasing order of
damage), the probability of reaching or exceeding it at intensity :math:`x`,
:math:`P_k(x) = P(D \\ge ls_k \\mid x)`. The probabilities of being *in* each damage state
(``no_damage`` plus one per limit state) follow by differences (Silva et al. 2014, sect. 3.2):

.. math::

    p_0 = 1 - P_1, \\quad p_k = P_k - P_{k+1}, \\quad p_n = P_n.

Two formats, as in NRML 0.5 (OpenQuake manual, "Fragility Models"):

discrete
    probabilities tabulated at levels :math:`x_1 < \\dots < x_m`, linearly interpolated in
    :math:`x`. Above :math:`x_m` the last probabilities hold (the level is clipped). Below the
    lowest level the probabilities are zero; the lowest level is ``no_damage_limit`` when it is
    given and below :math:`x_1` (the curve then rises linearly from 0 at ``no_damage_limit`` to
    its value at :math:`x_1`), otherwise :math:`x_1` itself (a step: ``0`` below :math:`x_1`).
    When ``no_damage_limit`` is above :math:`x_1` the tabulated curve is used from
    ``no_damage_limit`` up and zero below it.
continuous
    lognormal CDFs whose ``mean`` and ``stddev`` are those of the lognormal variable *in
    intensity units* (NRML ``<params mean= stddev=>``). With :math:`c = s/m`,

    .. math::

        \\sigma = \\sqrt{\\ln(1 + c^2)}, \\qquad \\ln\\theta = \\ln m - \\sigma^2/2, \\qquad
        P_k(x) = \\Phi\\left(\\frac{\\ln x - \\ln\\theta}{\\sigma}\\right),

    with :math:`x` clipped to ``max_iml`` and :math:`P_k = 0` below ``min_iml`` and below
    ``no_damage_limit``. A zero ``stddev`` is a step at the mean.

References
----------
Silva, V., Crowley, H., Pagani, M., Monelli, D., Pinho, R. (2014). Development of the
OpenQuake engine, the Global Earthquake Model's open-source software for seismic risk
assessment. Natural Hazards 72(3), 1409-1427.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr

from toolkit.engine.risk.models import FragilityFunction
from toolkit.errors import InputError

__all__ = ["limit_state_poes", "damage_state_probs", "interp_rows"]


def interp_rows(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """Linear interpolation of several curves sharing the abscissae ``xp``.

    Parameters
    ----------
    x : ndarray
        Points, any shape; clipped to ``[xp[0], xp[-1]]`` (constant extension).
    xp : ndarray (m,)
        Strictly increasing abscissae.
    fp : ndarray (r, m)
        One curve per row.

    Returns
    -------
    ndarray (x.shape + (r,))
    """
    x = np.asarray(x, dtype=float)
    if xp.size == 1:
        return np.broadcast_to(fp[:, 0], x.shape + (fp.shape[0],)).copy()
    xc = np.clip(x, xp[0], xp[-1])
    i = np.clip(np.searchsorted(xp, xc, side="right") - 1, 0, xp.size - 2)
    w = (xc - xp[i]) / (xp[i + 1] - xp[i])
    lo = np.moveaxis(fp[:, i], 0, -1)
    hi = np.moveaxis(fp[:, i + 1], 0, -1)
    return lo + (hi - lo) * w[..., None]


def _where(ff: FragilityFunction) -> str:
    return f"fragility function {ff.id!r} ({ff.format}, {ff.imt})"


def _discrete(ff: FragilityFunction, x: np.ndarray) -> np.ndarray:
    if ff.imls is None or ff.poes is None:
        raise InputError(f"{_where(ff)}: a discrete function needs imls and poes")
    levels = np.asarray(ff.imls, dtype=float)
    poes = np.atleast_2d(np.asarray(ff.poes, dtype=float))
    if poes.shape != (len(ff.limit_states), levels.size):
        raise InputError(f"{_where(ff)}: poes have shape {poes.shape}, expected "
                         f"(n_limit_states, n_imls) = ({len(ff.limit_states)}, {levels.size})")
    if levels.size > 1 and np.any(np.diff(levels) <= 0):
        raise InputError(f"{_where(ff)}: imls must be strictly increasing, got {levels}")
    ndl = ff.no_damage_limit
    if ndl is not None and ndl < levels[0]:
        levels = np.concatenate([[ndl], levels])
        poes = np.concatenate([np.zeros((poes.shape[0], 1)), poes], axis=1)
        lowest = ndl
    else:
        lowest = levels[0] if ndl is None else max(ndl, levels[0])
    out = interp_rows(x, levels, poes)
    out[x < lowest] = 0.0
    return out


def _continuous(ff: FragilityFunction, x: np.ndarray) -> np.ndarray:
    if ff.means is None or ff.stddevs is None:
        raise InputError(f"{_where(ff)}: a continuous function needs means and stddevs")
    mean = np.asarray(ff.means, dtype=float)
    std = np.asarray(ff.stddevs, dtype=float)
    if mean.shape != (len(ff.limit_states),) or std.shape != mean.shape:
        raise InputError(f"{_where(ff)}: means {mean.shape} and stddevs {std.shape} must "
                         f"have one value per limit state ({len(ff.limit_states)})")
    if np.any(mean <= 0) or np.any(std < 0):
        raise InputError(f"{_where(ff)}: means must be > 0 and stddevs >= 0, got "
                         f"means={mean}, stddevs={std}")
    xc = x if ff.max_iml is None else np.minimum(x, ff.max_iml)
    sigma = np.sqrt(np.log1p((std / mean) ** 2))
    ln_median = np.log(mean) - 0.5 * sigma**2
    positive = xc > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        lnx = np.log(np.where(positive, xc, 1.0))[..., None]
        z = (lnx - ln_median) / np.where(sigma > 0, sigma, 1.0)
    out = np.where(sigma > 0, ndtr(z), (lnx >= np.log(mean)).astype(float))
    out[~positive] = 0.0
    out[np.isnan(xc)] = np.nan
    for limit in (ff.min_iml, ff.no_damage_limit):
        if limit is not None:
            out[x < limit] = 0.0
    return out


def limit_state_poes(ff: FragilityFunction, imls: ArrayLike) -> np.ndarray:
    """Probability of reaching or exceeding each limit state.

    Parameters
    ----------
    ff : FragilityFunction
    imls : array_like
        Intensity levels (any shape), in the units of ``ff.imt``.

    Returns
    -------
    ndarray (imls.shape + (n_limit_states,))
        :math:`P(D \\ge ls_k \\mid x)`; see the module docstring for the interpolation and
        the limits. NaN levels give NaN.
    """
    x = np.asarray(imls, dtype=float)
    if ff.format == "discrete":
        out = _discrete(ff, x)
    elif ff.format == "continuous":
        out = _continuous(ff, x)
    else:
        raise InputError(f"{_where(ff)}: unknown format, expected 'discrete' or 'continuous'")
    if x.ndim == 0:
        return out.reshape(-1)
    return out


def damage_state_probs(poes: ArrayLike) -> np.ndarray:
    """Probabilities of being in each damage state from limit-state exceedance probabilities.

    Parameters
    ----------
    poes : array_like (..., n_ls)
        :math:`P_k = P(D \\ge ls_k)`, limit states in increasing order of damage.

    Returns
    -------
    ndarray (..., n_ls + 1)
        :math:`[1 - P_1, P_1 - P_2, \\dots, P_{n-1} - P_n, P_n]`, first state ``no_damage``.
        The :math:`P_k` are clipped to [0, 1] and made non-increasing over the limit states
        (:math:`P_k \\leftarrow \\min_{j \\le k} P_j`), so that crossing continuous curves
        cannot give negative probabilities; the result sums to 1.
    """
    p = np.clip(np.asarray(poes, dtype=float), 0.0, 1.0)
    p = np.minimum.accumulate(p, axis=-1)
    ones = np.ones(p.shape[:-1] + (1,))
    zeros = np.zeros(p.shape[:-1] + (1,))
    upper = np.concatenate([ones, p], axis=-1)
    lower = np.concatenate([p, zeros], axis=-1)
    return upper - lower
