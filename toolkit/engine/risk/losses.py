"""Losses per asset and event, insurance, aggregation and loss curves.

Ground-up loss of asset :math:`a` in event :math:`e`: :math:`L_{ae} = V_a\\,LR_{ae}`.

Insured loss (OpenQuake manual, exposure ``deductible`` and ``insuranceLimit``): with a
deductible :math:`d` and a limit :math:`l` (absolute amounts, or fractions of the value
:math:`V` when ``absolute=False``, as NRML ``<deductible isAbsolute="false"/>``),

.. math::

    I = \\min(\\max(L - d, 0),\\ l - d),

i.e. 0 below the deductible, :math:`L - d` between deductible and limit, :math:`l - d` above
the limit. This reproduces OpenQuake's QA scenario_risk/case_1 (asset-ins.csv).

``minimum_asset_loss``: per loss type, asset losses strictly below the threshold are set to 0
before aggregation (OpenQuake drops those rows from its event loss table).

Average losses: the mean over events for scenarios; for event-based calculations the sum over
events divided by the effective investigation time
:math:`T_{eff} = T \\times n_{SES}` (times the number of realizations for a mean over them),
i.e. an average annual loss.

Aggregate loss curves (event based): the :math:`N` event losses (events without loss count as
zeros) are sorted in decreasing order, :math:`L_{(1)} \\ge \\dots \\ge L_{(N)}`. The loss of
rank :math:`k` is equalled or exceeded :math:`k` times in :math:`T_{eff}`, a rate
:math:`k / T_{eff}`, i.e. a return period :math:`T_k = T_{eff} / k`. The loss at a return
period :math:`T` is interpolated linearly in :math:`\\ln T` between the points
:math:`(\\ln T_k, L_{(k)})`; :math:`T > T_{eff}` (beyond the longest simulated period) gives
NaN and :math:`T < T_{eff}/N` (shorter than the shortest) gives 0. This is the rule of
OpenQuake's aggregate loss curves (``return_periods``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from toolkit.errors import InputError

__all__ = [
    "asset_losses",
    "insured_losses",
    "apply_minimum_loss",
    "aggregate_by",
    "event_loss_table",
    "average_losses",
    "loss_stddev",
    "aggregate_loss_curve",
]


def asset_losses(loss_ratios: ArrayLike, values: ArrayLike) -> np.ndarray:
    """Losses :math:`V_a\\,LR_{ae}`: ``loss_ratios`` (A, E) times ``values`` (A,)."""
    lr = np.asarray(loss_ratios, dtype=float)
    v = np.asarray(values, dtype=float)
    if v.shape != lr.shape[:1]:
        raise InputError(f"values have shape {v.shape}, expected (n_assets,) = {lr.shape[:1]}")
    return lr * v.reshape(v.shape + (1,) * (lr.ndim - 1))


def _per_asset(arr: ArrayLike, ndim: int) -> np.ndarray:
    a = np.asarray(arr, dtype=float)
    return a.reshape(a.shape + (1,) * (ndim - a.ndim)) if a.ndim else a


def insured_losses(losses: ArrayLike, value: ArrayLike, deductible: ArrayLike,
                   limit: ArrayLike, absolute: bool = True) -> np.ndarray:
    """Insured part of the losses, :math:`\\min(\\max(L - d, 0), l - d)`.

    Parameters
    ----------
    losses : array_like (A, E) or (A,)
    value : array_like (A,) or scalar
        Asset values (used only when ``absolute`` is False).
    deductible, limit : array_like (A,) or scalar
        Absolute amounts, or fractions of ``value`` when ``absolute`` is False.
    absolute : bool

    Returns
    -------
    ndarray, shape of ``losses``
    """
    L = np.asarray(losses, dtype=float)
    d = _per_asset(deductible, L.ndim)
    lim = _per_asset(limit, L.ndim)
    if not absolute:
        v = _per_asset(value, L.ndim)
        d, lim = d * v, lim * v
    if np.any(lim < d):
        raise InputError("insurance limit below the deductible for some assets")
    return np.minimum(np.maximum(L - d, 0.0), lim - d)


def apply_minimum_loss(losses: ArrayLike, minimum: float) -> np.ndarray:
    """A copy of ``losses`` with the values strictly below ``minimum`` set to 0."""
    L = np.array(losses, dtype=float)
    L[L < minimum] = 0.0
    return L


def aggregate_by(losses: ArrayLike,
                 keys: ArrayLike | Sequence[ArrayLike]) -> tuple[np.ndarray, np.ndarray]:
    """Sum losses over the assets sharing the same tag value(s).

    Parameters
    ----------
    losses : array_like (A, ...)
        Per-asset values (e.g. (A, E) losses or (A,) average losses).
    keys : array_like (A,) or sequence of them
        Tag value of each asset (e.g. taxonomy), or several tags (e.g. taxonomy and
        occupancy) aggregated by their combinations.

    Returns
    -------
    labels : ndarray (G,) or (G, n_tags)
        The distinct tag values (combinations), sorted.
    sums : ndarray (G, ...)
        Sum of ``losses`` over the assets of each group.
    """
    L = np.asarray(losses, dtype=float)
    multi = isinstance(keys, (list, tuple))
    cols = [np.asarray(k) for k in keys] if multi else [np.asarray(keys)]
    for col in cols:
        if col.shape != L.shape[:1]:
            raise InputError(f"aggregation keys have shape {col.shape}, expected "
                             f"(n_assets,) = {L.shape[:1]}")
    codes = []
    uniques = []
    for col in cols:
        u, inv = np.unique(col, return_inverse=True)
        uniques.append(u)
        codes.append(inv.ravel())
    flat = np.ravel_multi_index(codes, [u.size for u in uniques]) if multi else codes[0]
    groups, inverse = np.unique(flat, return_inverse=True)
    sums = np.zeros((groups.size,) + L.shape[1:])
    np.add.at(sums, inverse.ravel(), L)
    if not multi:
        return uniques[0][groups], sums
    idx = np.unravel_index(groups, [u.size for u in uniques])
    labels = np.stack([u[i] for u, i in zip(uniques, idx, strict=True)], axis=1)
    return labels, sums


def event_loss_table(losses: ArrayLike) -> np.ndarray:
    """Total loss of each event: ``losses`` (A, E) summed over assets -> (E,)."""
    L = np.asarray(losses, dtype=float)
    if L.ndim != 2:
        raise InputError(f"losses must have shape (n_assets, n_events), got {L.shape}")
    return L.sum(axis=0)


def average_losses(losses: ArrayLike, eff_time: float | None = None) -> np.ndarray:
    """Average over the events (last axis).

    ``eff_time`` None (scenarios): the mean over events. Otherwise (event based) the sum over
    events divided by the effective investigation time, an average annual loss.
    """
    L = np.asarray(losses, dtype=float)
    if eff_time is None:
        return L.mean(axis=-1)
    if eff_time <= 0:
        raise InputError(f"effective investigation time must be > 0, got {eff_time}")
    return L.sum(axis=-1) / eff_time


def loss_stddev(losses: ArrayLike) -> np.ndarray:
    """Sample standard deviation over the events (last axis, ``ddof=1``), as OpenQuake's
    scenario asset-loss exports; NaN for a single event."""
    L = np.asarray(losses, dtype=float)
    if L.shape[-1] < 2:
        return np.full(L.shape[:-1], np.nan)
    return L.std(axis=-1, ddof=1)


def aggregate_loss_curve(event_losses: ArrayLike, return_periods: ArrayLike, eff_time: float,
                         num_events: int | None = None) -> np.ndarray:
    """Losses at the given return periods from an event loss table.

    Parameters
    ----------
    event_losses : array_like (n,)
        Loss of each event with a loss (events without loss may be omitted).
    return_periods : array_like (P,)
        In years, > 0.
    eff_time : float
        Effective investigation time :math:`T_{eff}` in years.
    num_events : int, optional
        Total number of events :math:`N \\ge n` (the missing ones have zero loss);
        default ``n``.

    Returns
    -------
    ndarray (P,)
        See the module docstring: interpolation in :math:`\\ln T` of the ranked losses, NaN
        above :math:`T_{eff}`, 0 below :math:`T_{eff}/N`.
    """
    L = np.asarray(event_losses, dtype=float).ravel()
    rp = np.asarray(return_periods, dtype=float)
    n = L.size if num_events is None else int(num_events)
    if n < L.size or n == 0:
        raise InputError(f"num_events ({num_events}) must be >= the number of losses "
                         f"({L.size}) and > 0")
    if eff_time <= 0 or np.any(rp <= 0):
        raise InputError(f"eff_time ({eff_time}) and return periods ({rp}) must be > 0")
    ranked = np.zeros(n)
    ranked[:L.size] = np.sort(L)[::-1]          # rank k = 1..n, decreasing losses
    periods = eff_time / np.arange(1, n + 1)     # decreasing return periods
    # np.interp needs increasing abscissae: reverse both
    curve = np.interp(np.log(rp), np.log(periods[::-1]), ranked[::-1])
    curve[rp > eff_time] = np.nan
    curve[rp < eff_time / n] = 0.0
    return curve
