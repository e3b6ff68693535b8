"""Classical (hazard-curve based) risk and damage.

Both calculators combine a hazard curve, probabilities of exceedance :math:`H(x)` of intensity
levels in ``investigation_time`` :math:`T_h`, with the conditional response of a building
class, by discretising the intensity into bins around a set of levels (the convolution of
Cornell 1968 applied to losses, as in Crowley & Bommer 2006 and the OpenQuake risk manual,
"Classical Probabilistic Seismic Risk Analysis"; Silva et al. 2014, sect. 4.3).

Classical risk (loss curves)
    The levels are those of the vulnerability function, :math:`x_1 < \\dots < x_n`
    (:math:`n \\ge 2`). Bin :math:`j` spans the midpoints around :math:`x_j`, with outer edges
    :math:`b_0 = \\max(0, x_1 - (x_2 - x_1)/2)` and :math:`b_n = x_n + (x_n - x_{n-1})/2`.
    :math:`H` at the edges is interpolated linearly in :math:`x` and held constant outside the
    hazard levels. The probability that the intensity falls in bin :math:`j` is
    :math:`PO_j = H(b_{j-1}) - H(b_j)`, and

    .. math::

        P(LR > lr_k) = \\sum_j \\mathrm{LREM}_{kj}\\, PO_j,

    with the loss ratio exceedance matrix :math:`\\mathrm{LREM}_{kj} = P(LR > lr_k \\mid x_j)`
    (:func:`~toolkit.engine.risk.vulnerability.loss_ratio_exceedance_matrix`). Intensities
    below :math:`b_0` and above :math:`b_n` do not contribute. When a risk investigation time
    :math:`T_r \\ne T_h` is given, the hazard curve is first rescaled assuming a Poisson
    process, :math:`H_r = 1 - (1 - H)^{T_r / T_h}`. The average loss ratio is the area under
    the loss curve, :math:`\\int P(LR > l)\\,dl`, by the trapezoidal rule on the loss ratio grid
    (the expected loss ratio in :math:`T_r` when the grid spans [0, 1]).

Classical damage
    The levels are the hazard levels, each interval optionally split into
    ``steps_per_interval`` equal sub-intervals (:math:`H` interpolated linearly). With annual
    exceedance rates :math:`\\lambda_i = -\\ln(1 - H_i)/T_h` (:math:`H` capped at
    :math:`1 - 10^{-16}`), the rate of occurrence attributed to level :math:`x_i` is the drop
    of the rate across its bin, the bin edges taking the mean rate of neighbouring levels and
    the outer edges the end rates:

    .. math::

        \\nu_i = \\bar\\lambda_{i-1/2} - \\bar\\lambda_{i+1/2}, \\quad
        \\bar\\lambda_{i+1/2} = (\\lambda_i + \\lambda_{i+1})/2, \\quad
        \\bar\\lambda_{-1/2} = \\lambda_0, \\ \\bar\\lambda_{m+1/2} = \\lambda_m.

    The rate of reaching limit state :math:`k` is :math:`\\Lambda_k = \\sum_i \\nu_i P_k(x_i)`,
    its probability in :math:`T_r` is :math:`1 - e^{-\\Lambda_k T_r}`, and the damage state
    probabilities follow by differences
    (:func:`~toolkit.engine.risk.fragility.damage_state_probs`).

References
----------
Cornell, C. A. (1968). Engineering seismic risk analysis. BSSA 58(5), 1583-1606.

Crowley, H., Bommer, J. J. (2006). Modelling seismic hazard in earthquake loss models with
spatially distributed exposure. Bulletin of Earthquake Engineering 4, 249-273.

Silva, V., Crowley, H., Pagani, M., Monelli, D., Pinho, R. (2014). Development of the
OpenQuake engine, the Global Earthquake Model's open-source software for seismic risk
assessment. Natural Hazards 72(3), 1409-1427.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from toolkit.engine.risk.fragility import damage_state_probs, interp_rows, limit_state_poes
from toolkit.engine.risk.models import FragilityFunction, VulnerabilityFunction
from toolkit.engine.risk.vulnerability import (
    check_vulnerability_function,
    default_loss_ratios,
    loss_ratio_exceedance_matrix,
)
from toolkit.errors import InputError

__all__ = ["LossCurve", "bin_edges", "average_loss", "classical_risk", "classical_damage"]

_MAX_POE = 1.0 - 1e-16


class LossCurve(NamedTuple):
    """Loss ratio exceedance curve(s) of classical risk."""

    loss_ratios: np.ndarray         #: (K,) loss ratio grid
    poes: np.ndarray                #: (..., K) P(LR > lr) in the risk investigation time
    average_loss_ratio: np.ndarray  #: (...) area under the curve


def bin_edges(levels: ArrayLike) -> np.ndarray:
    """Edges (n + 1,) of the bins around ``levels`` (n >= 2): midpoints between levels,
    half an interval beyond the ends, the lower edge not below 0."""
    x = np.asarray(levels, dtype=float)
    if x.ndim != 1 or x.size < 2 or np.any(np.diff(x) <= 0):
        raise InputError(f"need at least two strictly increasing levels, got {x}")
    lower = max(0.0, x[0] - (x[1] - x[0]) / 2.0)
    upper = x[-1] + (x[-1] - x[-2]) / 2.0
    return np.concatenate([[lower], (x[:-1] + x[1:]) / 2.0, [upper]])


def average_loss(losses: ArrayLike, poes: ArrayLike) -> np.ndarray:
    """Area under a loss exceedance curve by the trapezoidal rule.

    Parameters
    ----------
    losses : array_like (K,)
        Increasing losses (or loss ratios).
    poes : array_like (..., K)
        Probabilities of exceeding them.
    """
    loss = np.asarray(losses, dtype=float)
    p = np.asarray(poes, dtype=float)
    return (np.diff(loss) * (p[..., :-1] + p[..., 1:]) / 2.0).sum(axis=-1)


def _check_curve(imls: ArrayLike, poes: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(imls, dtype=float)
    h = np.asarray(poes, dtype=float)
    if x.ndim != 1 or x.size < 1 or np.any(np.diff(x) <= 0):
        raise InputError(f"hazard imls must be strictly increasing, got {x}")
    if h.shape[-1:] != x.shape:
        raise InputError(f"hazard poes have shape {h.shape}, expected (..., {x.size})")
    if np.any((h < 0) | (h > 1)):
        raise InputError("hazard poes must be in [0, 1]")
    return x, h


def _interp_curves(x: np.ndarray, xp: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Curves ``h`` (..., m) at points ``x`` (n,) -> (..., n), linear, constant outside."""
    flat = h.reshape(-1, xp.size)
    out = interp_rows(x, xp, flat)  # (n, S)
    return np.moveaxis(out, 0, -1).reshape(h.shape[:-1] + (x.size,))


def classical_risk(vf: VulnerabilityFunction, hazard_imls: ArrayLike, hazard_poes: ArrayLike,
                   investigation_time: float, loss_ratios: ArrayLike | None = None,
                   steps: int = 5, risk_investigation_time: float | None = None) -> LossCurve:
    """Loss ratio exceedance curve from a hazard curve (see the module docstring).

    Parameters
    ----------
    vf : VulnerabilityFunction
        At least two intensity levels.
    hazard_imls : array_like (m,)
        Levels of the hazard curve (same IMT as ``vf``).
    hazard_poes : array_like (..., m)
        Probabilities of exceedance in ``investigation_time``; leading axes (e.g. sites) are
        kept.
    investigation_time : float
        :math:`T_h` of the hazard curves, years.
    loss_ratios : array_like (K,), optional
        Increasing loss ratio grid; default
        :func:`~toolkit.engine.risk.vulnerability.default_loss_ratios` with ``steps``.
    steps : int
        Sub-intervals per interval of the default grid (``lrem_steps_per_interval``).
    risk_investigation_time : float, optional
        :math:`T_r` of the loss curve; default :math:`T_h`.

    Returns
    -------
    LossCurve
        ``(loss_ratios (K,), poes (..., K), average_loss_ratio (...))``.
    """
    check_vulnerability_function(vf)
    x, h = _check_curve(hazard_imls, hazard_poes)
    if investigation_time <= 0:
        raise InputError(f"investigation_time must be > 0, got {investigation_time}")
    if risk_investigation_time is not None and risk_investigation_time != investigation_time:
        if risk_investigation_time <= 0:
            raise InputError(f"risk_investigation_time must be > 0, got "
                             f"{risk_investigation_time}")
        h = 1.0 - (1.0 - h) ** (risk_investigation_time / investigation_time)
    lrs = (default_loss_ratios(vf, steps) if loss_ratios is None
           else np.asarray(loss_ratios, dtype=float))
    if lrs.ndim != 1 or np.any(np.diff(lrs) <= 0):
        raise InputError(f"loss ratios must be strictly increasing, got {lrs}")
    edges = bin_edges(vf.imls)
    poe_edges = _interp_curves(edges, x, h)
    occurrence = poe_edges[..., :-1] - poe_edges[..., 1:]        # (..., n)
    lrem = loss_ratio_exceedance_matrix(vf, lrs)                   # (K, n)
    poes = occurrence @ lrem.T                                     # (..., K)
    return LossCurve(lrs, poes, average_loss(lrs, poes))


def classical_damage(ff: FragilityFunction, hazard_imls: ArrayLike, hazard_poes: ArrayLike,
                     investigation_time: float, risk_investigation_time: float | None = None,
                     steps_per_interval: int = 1) -> np.ndarray:
    """Damage state probabilities in the risk investigation time from a hazard curve.

    Parameters
    ----------
    ff : FragilityFunction
    hazard_imls : array_like (m,)
        Levels of the hazard curve (same IMT as ``ff``), at least two.
    hazard_poes : array_like (..., m)
        Probabilities of exceedance in ``investigation_time``.
    investigation_time : float
        :math:`T_h`, years.
    risk_investigation_time : float, optional
        :math:`T_r`, years; default :math:`T_h`.
    steps_per_interval : int
        Split each interval of the hazard levels into this many sub-intervals.

    Returns
    -------
    ndarray (..., n_ls + 1)
        Probability of each damage state (``no_damage`` first) in :math:`T_r`; sums to 1.
    """
    x, h = _check_curve(hazard_imls, hazard_poes)
    if x.size < 2:
        raise InputError("classical damage needs a hazard curve with at least two levels")
    if investigation_time <= 0:
        raise InputError(f"investigation_time must be > 0, got {investigation_time}")
    t_risk = investigation_time if risk_investigation_time is None else risk_investigation_time
    if t_risk <= 0:
        raise InputError(f"risk_investigation_time must be > 0, got {t_risk}")
    if int(steps_per_interval) != steps_per_interval or steps_per_interval < 1:
        raise InputError(f"steps_per_interval must be an integer >= 1, got {steps_per_interval}")
    steps = int(steps_per_interval)
    if steps > 1:
        fractions = np.arange(steps) / steps
        levels = np.concatenate([(x[:-1, None] + np.diff(x)[:, None] * fractions).ravel(),
                                 x[-1:]])
        h = _interp_curves(levels, x, h)
    else:
        levels = x
    rates = -np.log1p(-np.minimum(h, _MAX_POE)) / investigation_time   # (..., m)
    mids = np.concatenate([rates[..., :1], (rates[..., :-1] + rates[..., 1:]) / 2.0,
                           rates[..., -1:]], axis=-1)
    occurrence = mids[..., :-1] - mids[..., 1:]                         # (..., m)
    fragility = limit_state_poes(ff, levels)                            # (m, n_ls)
    ls_rates = occurrence @ fragility                                   # (..., n_ls)
    return damage_state_probs(-np.expm1(-ls_rates * t_risk))
