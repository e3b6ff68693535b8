"""Rupture aspect ratios (length / width) that are constant or depend on the magnitude.

A source's aspect ratio is either one positive number or a :class:`MagDependentAspectRatio`,
a piecewise-linear function of the magnitude given by (magnitude, ratio) points, held
constant below the first and above the last point (the NRML ``<aspectRatioFunction>`` of
type ``linear_piecewise``):

.. math::

    a(M) = a_i + (a_{i+1} - a_i)\\,\\frac{M - M_i}{M_{i+1} - M_i},
    \\quad M_i \\le M \\le M_{i+1};\\qquad a(M) = a_1 \\ (M < M_1),\\ a_n \\ (M > M_n).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from toolkit.errors import InputError

__all__ = ["AspectRatio", "MagDependentAspectRatio", "aspect_ratios", "check_aspect_ratio"]


class MagDependentAspectRatio:
    """Piecewise-linear aspect ratio of the magnitude (constant outside the points).

    Parameters
    ----------
    mags : sequence of float
        Strictly increasing magnitudes of the points.
    ratios : sequence of float
        Positive aspect ratios (length / width) at those magnitudes.
    where : str
        Location used in error messages.
    """

    def __init__(self, mags: Sequence[float], ratios: Sequence[float], where: str = "") -> None:
        mags_a = np.asarray(mags, dtype=float)
        ratios_a = np.asarray(ratios, dtype=float)
        if mags_a.ndim != 1 or len(mags_a) == 0 or mags_a.shape != ratios_a.shape:
            raise InputError(f"{where}: an aspect-ratio function needs one or more "
                             "(magnitude, ratio) points")
        if not (np.all(np.isfinite(mags_a)) and np.all(np.diff(mags_a) > 0)):
            raise InputError(f"{where}: the magnitudes of an aspect-ratio function must be "
                             f"finite and strictly increasing, got {mags_a.tolist()}")
        if not (np.all(np.isfinite(ratios_a)) and np.all(ratios_a > 0)):
            raise InputError(f"{where}: the aspect ratios must be positive, got "
                             f"{ratios_a.tolist()}")
        self.mags, self.ratios = mags_a, ratios_a

    def __call__(self, mag: np.ndarray | float) -> np.ndarray:
        """Aspect ratios at the magnitudes ``mag`` (same shape)."""
        return np.interp(np.asarray(mag, dtype=float), self.mags, self.ratios)

    def __repr__(self) -> str:
        points = ", ".join(f"({m:g}, {r:g})" for m, r in zip(self.mags, self.ratios, strict=True))
        return f"MagDependentAspectRatio([{points}])"


AspectRatio = float | MagDependentAspectRatio


def check_aspect_ratio(value: AspectRatio, where: str) -> AspectRatio:
    """A positive finite number (as float) or a :class:`MagDependentAspectRatio`."""
    if isinstance(value, MagDependentAspectRatio):
        return value
    ratio = float(value)
    if not (np.isfinite(ratio) and ratio > 0):
        raise InputError(f"{where}: rupture aspect ratio must be positive, got {ratio}")
    return ratio


def aspect_ratios(value: AspectRatio, mags: np.ndarray) -> np.ndarray:
    """Aspect ratio of each magnitude in ``mags`` (array of the same shape)."""
    mags = np.asarray(mags, dtype=float)
    if isinstance(value, MagDependentAspectRatio):
        return value(mags)
    return np.full(mags.shape, float(value))
