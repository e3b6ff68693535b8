"""Ground-motion fields (GMFs): random samples of the ground motion of one rupture.

For event *e*, site *i* and intensity measure type *m*, the logarithm of the ground-motion
value is the GSIM's ln median plus an inter-event (between-event) and an intra-event
(within-event) residual:

.. math:: \\ln Y_{e,i,m} = \\mu_{i,m} + \\tau_{i,m}\\,\\eta_{e,m}
          + \\phi_{i,m}\\,\\varepsilon_{e,i,m}

where :math:`\\mu, \\tau, \\phi` come from ``gsim.get_mean_and_stddevs``, the inter-event
epsilon :math:`\\eta_{e,m}` is shared by all sites of an event, and the intra-event epsilons
:math:`\\varepsilon_{e,\\cdot,m}` are independent between sites or, with a spatial
correlation model, :math:`\\varepsilon_{e,\\cdot,m} = L_m z_{e,\\cdot,m}` with
:math:`L_m L_m^T` the sites' correlation matrix for IMT *m*
(:mod:`toolkit.engine.hazard.correlation`) and *z* independent draws. The epsilons of
different IMTs are **independent**: no cross-IMT (spectral) correlation is modelled.

GSIMs with only a total standard deviation
    (:math:`\\tau, \\phi` NaN) get :math:`\\ln Y = \\mu + \\sigma\\,\\varepsilon_{e,i,m}`
    with independent epsilons per event and site; a :class:`GmfWarning` says so, the
    inter-event sigma is reported as NaN, and inter-event epsilons are still drawn and
    returned (as OpenQuake's ``sigma_epsilon`` output shows a NaN sigma with an epsilon).
    Such a GSIM cannot be combined with a correlation model, which acts on the intra-event
    residuals only.

Truncation
    ``truncation_level`` *t* > 0 draws every epsilon from the standard normal distribution
    truncated to [-t, t], by the inverse CDF of uniform draws:
    :math:`\\varepsilon = \\Phi^{-1}(\\Phi(-t) + u\\,(\\Phi(t) - \\Phi(-t)))`,
    :math:`u \\sim U[0, 1)`. With a correlation model the independent draws *z* are
    truncated before they are multiplied by :math:`L`, so the correlated intra-event
    epsilons :math:`L z` are not bounded by *t* (this is our choice; to our knowledge
    OpenQuake does the same). *t* = 0 gives the median exactly (all epsilons zero, nothing
    drawn); ``None`` or infinity gives untruncated normal epsilons.

Order of the random draws (part of the contract: the same generator state gives the same
fields)
    1. inter-event epsilons, one call of shape ``(n_imts, n_events)``;
    2. intra-event epsilons *z* (or total epsilons for a total-sigma GSIM), one call of shape
       ``(n_imts, n_sites, n_events)``.

    Untruncated draws use ``rng.standard_normal(shape)``, truncated draws
    ``rng.random(shape)`` mapped by the inverse CDF; nothing is drawn when *t* = 0.

References
----------
Abrahamson, N. A. and Youngs, R. R. (1992). A stable algorithm for regression analyses using
the random effects model. *Bull. Seismol. Soc. Am.* 82(1), 505-510 (inter- and intra-event
residuals).
Jayaram, N. and Baker, J. W. (2009). Correlation model for spatially distributed
ground-motion intensities. *Earthquake Eng. Struct. Dyn.* 38(15), 1687-1708.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.correlation import CorrelationModel
from toolkit.engine.hazard.gsim.base import GMPE
from toolkit.engine.hazard.imt import IMT
from toolkit.errors import InputError

__all__ = ["GmfWarning", "GmfSample", "sample_gmfs", "draw_epsilons"]


class GmfWarning(UserWarning):
    """A ground-motion field was sampled with a simplification the user should know about."""


@dataclass
class GmfSample:
    """Ground-motion fields of one rupture.

    Attributes
    ----------
    gmv : ndarray, shape (n_events, n_sites, n_imts)
        Ground-motion values, g (cm/s for PGV), not logarithms.
    mean : ndarray, shape (n_imts, n_sites)
        ln of the median ground motion.
    sig_inter : ndarray, shape (n_imts,)
        Inter-event standard deviation tau used (its largest value over the sites, should a
        GSIM make it site-dependent); NaN for a GSIM with only a total standard deviation.
    eps_inter : ndarray, shape (n_events, n_imts)
        Inter-event epsilons drawn.
    """

    gmv: np.ndarray
    mean: np.ndarray
    sig_inter: np.ndarray
    eps_inter: np.ndarray


def draw_epsilons(
    rng: np.random.Generator, shape: tuple[int, ...], truncation_level: float | None
) -> np.ndarray:
    """Standard-normal epsilons, truncated to [-t, t] when ``truncation_level`` t > 0.

    ``None`` or infinity: ``rng.standard_normal(shape)``. *t* > 0: inverse CDF of
    ``rng.random(shape)`` (see the module docstring), clipped to [-t, t] against rounding.
    *t* = 0: zeros, without drawing.
    """
    if truncation_level is None or np.isinf(truncation_level):
        return rng.standard_normal(shape)
    t = float(truncation_level)
    if t == 0.0:
        return np.zeros(shape)
    low = ndtr(-t)
    u = rng.random(shape)
    u *= 1.0 - 2.0 * low  # Phi(t) - Phi(-t), computed without cancellation
    u += low
    eps = ndtri(u, out=u)
    return np.clip(eps, -t, t, out=eps)


def _check_n_events(n_events: int) -> int:
    if isinstance(n_events, bool) or not isinstance(n_events, (int, np.integer)):
        raise InputError(f"number of events must be an integer, got {n_events!r}")
    if n_events < 0:
        raise InputError(f"number of events must be zero or positive, got {n_events}")
    return int(n_events)


def _check_truncation(truncation_level: float | None) -> float | None:
    if truncation_level is None:
        return None
    t = float(truncation_level)
    if np.isnan(t) or t < 0:
        raise InputError(
            f"truncation_level must be zero, positive or absent, got {truncation_level!r}"
        )
    return None if np.isinf(t) else t


def sample_gmfs(
    ctx: Context,
    gsim: GMPE,
    imts: Sequence[IMT],
    n_events: int,
    rng: np.random.Generator,
    truncation_level: float | None,
    correlation: CorrelationModel | None = None,
    lons: np.ndarray | None = None,
    lats: np.ndarray | None = None,
) -> GmfSample:
    """Sample ``n_events`` ground-motion fields of one rupture at its sites.

    Parameters
    ----------
    ctx : Context
        The rupture-site pairs of ONE rupture (one entry per site, n_sites in all).
    gsim : GMPE
        Ground-motion model giving ln median, total sigma, tau and phi.
    imts : sequence of IMT
    n_events : int
        Number of fields (events) to sample; 0 gives empty arrays.
    rng : numpy.random.Generator
        Source of randomness; consumed in the order given in the module docstring.
    truncation_level : float or None
        Epsilons truncated to [-t, t]; 0 gives the median, None no truncation.
    correlation : CorrelationModel, optional
        Spatial correlation of the intra-event residuals (e.g.
        :class:`~toolkit.engine.hazard.correlation.JB2009Correlation`).
    lons, lats : ndarray, shape (n_sites,), optional
        Site coordinates (degrees); required with ``correlation``.

    Returns
    -------
    GmfSample

    Raises
    ------
    InputError
        For a GSIM with a non-lognormal distribution (a ``mixture_model``), for a
        negative or non-integer ``n_events``, a negative ``truncation_level``, a
        correlation model without site coordinates (or with coordinates of the wrong length),
        or a correlation model with a GSIM that has only a total standard deviation.

    Warns
    -----
    GmfWarning
        Once per call when the GSIM has only a total standard deviation.
    """
    n_events = _check_n_events(n_events)
    t = _check_truncation(truncation_level)
    if type(gsim).exceedance is not GMPE.exceedance:
        raise InputError(
            f"GSIM {gsim!r} does not have a lognormal ground-motion distribution (it "
            "overrides the exceedance function, e.g. a mixture_model); ground-motion fields "
            "cannot be sampled from it: use it in classical calculations only"
        )
    imts = list(imts)
    mean, sig, tau, phi = gsim.get_mean_and_stddevs(ctx, imts)
    n_imts, n_sites = mean.shape
    total_only = np.isnan(tau).any(axis=1) | np.isnan(phi).any(axis=1)  # per IMT
    if total_only.any():
        if correlation is not None:
            raise InputError(
                f"GSIM {gsim!r} has only a total standard deviation, but the spatial "
                f"correlation model {correlation!r} needs the intra-event standard deviation "
                "(phi); use a GSIM with inter- and intra-event standard deviations or no "
                "ground_motion_correlation_model"
            )
        warnings.warn(
            f"GSIM {gsim!r} has only total standard deviation; inter- and intra-event "
            "variability not separated (ground motions sampled with the total sigma, "
            "independently at each site)",
            GmfWarning,
            stacklevel=2,
        )
    if correlation is not None:
        if lons is None or lats is None:
            raise InputError(
                f"the spatial correlation model {correlation!r} needs the site coordinates "
                "(lons, lats)"
            )
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        if lons.shape != (n_sites,) or lats.shape != (n_sites,):
            raise InputError(
                f"site coordinates of shapes {lons.shape} and {lats.shape} do not match the "
                f"{n_sites} sites of the context"
            )

    eps_inter = draw_epsilons(rng, (n_imts, n_events), t)  # draw 1
    eps = draw_epsilons(rng, (n_imts, n_sites, n_events), t)  # draw 2 (intra or total)

    sig_inter = np.full(n_imts, np.nan)
    for m in range(n_imts):
        if total_only[m]:
            eps[m] *= sig[m][:, None]
            continue
        if correlation is not None and n_sites and n_events and t != 0.0:
            chol = correlation.cholesky(lons, lats, imts[m])
            eps[m] = chol @ eps[m]
            del chol
        eps[m] *= phi[m][:, None]
        eps[m] += tau[m][:, None] * eps_inter[m][None, :]
        if n_sites:
            sig_inter[m] = tau[m].max()
    eps += mean[:, :, None]
    for m in range(n_imts):
        if imts[m].lognormal:  # MMI (LINEAR_IMTS) is modelled in its own units
            np.exp(eps[m], out=eps[m])
    gmv = np.ascontiguousarray(eps.transpose(2, 1, 0))
    return GmfSample(
        gmv=gmv,
        mean=mean,
        sig_inter=sig_inter,
        eps_inter=np.ascontiguousarray(eps_inter.T),
    )
