"""Scenario damage: buildings in each damage state per asset and event.

For an asset with :math:`N` buildings at intensity :math:`x_{e}` in event :math:`e`, the
expected number of buildings in damage state :math:`d` is :math:`N\\,p_d(x_e)`, with
:math:`p_d` the damage state probabilities of its fragility function
(:func:`toolkit.engine.risk.fragility.damage_state_probs`). With a discrete damage
distribution (OpenQuake job parameter ``discrete_damage_distribution = true``) the integer
numbers are sampled instead, :math:`n_{\\cdot e} \\sim \\mathrm{Multinomial}(N, p(x_e))`,
independently per asset and event; both conserve :math:`\\sum_d n_d = N`.

Consequences (OpenQuake "consequence models") are damage fractions times a ratio per damage
state times the exposed value: :math:`C = V \\sum_{d \\ge 1} (n_d / N)\\,c_d`.

References
----------
Silva, V., Crowley, H., Pagani, M., Monelli, D., Pinho, R. (2014). Development of the
OpenQuake engine, the Global Earthquake Model's open-source software for seismic risk
assessment. Natural Hazards 72(3), 1409-1427.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from toolkit.engine.risk.fragility import damage_state_probs, limit_state_poes
from toolkit.engine.risk.models import FragilityFunction
from toolkit.errors import InputError

__all__ = ["scenario_damage", "modal_damage_state", "consequences"]


def scenario_damage(ff: FragilityFunction, imls: ArrayLike, number: ArrayLike,
                    rng: np.random.Generator | None = None,
                    discrete: bool = False) -> np.ndarray:
    """Number of buildings in each damage state, per asset and event.

    Parameters
    ----------
    ff : FragilityFunction
        The function of the assets' taxonomy.
    imls : array_like (A, E)
        Intensity at each asset in each event.
    number : array_like (A,)
        Number of buildings of each asset.
    rng : numpy.random.Generator, optional
        Required when ``discrete``.
    discrete : bool
        Sample integer numbers (multinomial per asset and event) instead of expected values;
        ``number`` must then hold integers.

    Returns
    -------
    ndarray (A, E, n_ls + 1)
        Buildings in ``no_damage`` and each limit state; float expected numbers, or int64
        counts when ``discrete``. Sums over the last axis equal ``number``. NaN intensities
        give NaN expected numbers (and an error when ``discrete``).
    """
    x = np.asarray(imls, dtype=float)
    n = np.asarray(number, dtype=float)
    if x.ndim != 2 or n.shape != (x.shape[0],):
        raise InputError(f"imls must have shape (n_assets, n_events) and number (n_assets,), "
                         f"got {x.shape} and {n.shape}")
    probs = damage_state_probs(limit_state_poes(ff, x))
    if not discrete:
        return probs * n[:, None, None]
    if rng is None:
        raise InputError("a discrete damage distribution needs a random generator (rng)")
    if np.any(np.isnan(x)):
        raise InputError(f"fragility function {ff.id!r}: the intensity is NaN for some assets")
    bad = (n != np.round(n)) | (n < 0)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"discrete_damage_distribution needs a non-negative integer number of "
                         f"buildings per asset: asset index {i} (taxonomy {ff.id!r}) has "
                         f"number={n[i]:g}")
    counts = np.round(n).astype(np.int64)
    return rng.multinomial(counts[:, None], probs)


def modal_damage_state(damage: ArrayLike) -> np.ndarray:
    """Index of the most likely damage state of each asset.

    Parameters
    ----------
    damage : array_like (A, E, D)
        Buildings (or fractions) in each damage state per asset and event.

    Returns
    -------
    ndarray (A,) of int
        Argmax over damage states of the mean over events (ties: the lower state);
        0 is ``no_damage``.
    """
    d = np.asarray(damage, dtype=float)
    return np.argmax(d.mean(axis=1), axis=-1)


def consequences(damage: ArrayLike, number: ArrayLike, ratios: ArrayLike,
                 values: ArrayLike) -> np.ndarray:
    """Consequence (e.g. repair cost) per asset and event from damage distributions.

    Parameters
    ----------
    damage : array_like (A, E, n_ls + 1)
        Buildings in each damage state (``no_damage`` first).
    number : array_like (A,)
        Buildings per asset (fractions are ``damage / number``; 0 buildings give 0).
    ratios : array_like (n_ls,) or (A, n_ls)
        Consequence ratio of each damage state except ``no_damage``.
    values : array_like (A,)
        Exposed value of each asset.

    Returns
    -------
    ndarray (A, E)
        :math:`V_a \\sum_{d \\ge 1} (n_{aed} / N_a)\\,c_{ad}`.
    """
    d = np.asarray(damage, dtype=float)
    n = np.asarray(number, dtype=float)
    c = np.asarray(ratios, dtype=float)
    v = np.asarray(values, dtype=float)
    if c.ndim == 1:
        c = np.broadcast_to(c, (d.shape[0], c.size))
    if c.shape != (d.shape[0], d.shape[-1] - 1):
        raise InputError(f"consequence ratios have shape {c.shape}, expected "
                         f"(n_limit_states,) or (n_assets, n_limit_states) = "
                         f"({d.shape[0]}, {d.shape[-1] - 1})")
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(n > 0, v / np.where(n > 0, n, 1.0), 0.0)
    return np.einsum("aed,ad->ae", d[..., 1:], c) * scale[:, None]
