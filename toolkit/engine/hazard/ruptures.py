"""Ruptures as arrays: what sources produce and calculators consume.

Sources never yield one Python object per rupture. They yield :class:`RuptureBlock` objects:
N ruptures of one source that share a kind of surface, with their magnitudes, rakes, annual
occurrence rates and hypocentres as arrays, and a vectorised :class:`Surfaces` collection
that computes distances from all N ruptures to many sites at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["RuptureBlock", "Surfaces"]


@runtime_checkable
class Surfaces(Protocol):
    """N rupture surfaces, vectorised.

    Attributes (all arrays of shape (N,))
    -------------------------------------
    strike, dip : degrees
    ztor : depth to the top of the rupture, km
    width : down-dip width, km
    """

    strike: np.ndarray
    dip: np.ndarray
    ztor: np.ndarray
    width: np.ndarray

    def __len__(self) -> int: ...

    def distances(
        self, lons: np.ndarray, lats: np.ndarray, depths: np.ndarray, names: set[str]
    ) -> dict[str, np.ndarray]:
        """Distances from every surface to every site.

        Parameters
        ----------
        lons, lats, depths : ndarray, shape (S,)
            Site coordinates (degrees, km positive down).
        names : set of str
            Any of ``rrup``, ``rjb``, ``rx``, ``ry0``.

        Returns
        -------
        dict of name -> ndarray of shape (N, S), km
        """
        ...

    def min_distance(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """A lower bound of the horizontal distance (km) from each surface to each site,
        shape (N, S); used to discard pairs beyond ``maximum_distance`` cheaply."""
        ...

    def take(self, index: np.ndarray) -> Surfaces:
        """The surfaces at ``index`` (an integer or boolean array)."""
        ...


@dataclass
class RuptureBlock:
    """N ruptures of one source, as arrays.

    Attributes
    ----------
    source_id : str
    trt : str
        Tectonic region type, used to pick the GSIMs of a realization.
    mag, rake, rate : ndarray, shape (N,)
        Moment magnitude, rake (degrees), annual occurrence rate (Poisson).
    hypo : ndarray, shape (N, 3)
        Hypocentre lon, lat, depth (km).
    surface : Surfaces
        The N rupture surfaces.
    probs_occur : ndarray, shape (N, K), optional
        Non-Poissonian ruptures (non-parametric sources): probabilities of 0, 1, ..., K-1
        occurrences in the investigation time; ``rate`` is then only informative (see
        :mod:`toolkit.engine.hazard.sources.nonparametric`). None for Poissonian ruptures.
    """

    source_id: str
    trt: str
    mag: np.ndarray
    rake: np.ndarray
    rate: np.ndarray
    hypo: np.ndarray
    surface: Surfaces
    probs_occur: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.mag)
        for name in ("rake", "rate"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"RuptureBlock.{name} has {len(getattr(self, name))} != {n}")
        if self.hypo.shape != (n, 3):
            raise ValueError(f"RuptureBlock.hypo has shape {self.hypo.shape}, expected ({n}, 3)")
        if len(self.surface) != n:
            raise ValueError(f"RuptureBlock.surface has {len(self.surface)} surfaces != {n}")
        if self.probs_occur is not None and (self.probs_occur.ndim != 2
                                             or len(self.probs_occur) != n):
            raise ValueError(f"RuptureBlock.probs_occur has shape {self.probs_occur.shape}, "
                             f"expected ({n}, K)")

    def __len__(self) -> int:
        return len(self.mag)

    def take(self, index: np.ndarray) -> RuptureBlock:
        return RuptureBlock(
            self.source_id, self.trt, self.mag[index], self.rake[index], self.rate[index],
            self.hypo[index], self.surface.take(index),
            None if self.probs_occur is None else self.probs_occur[index],
        )
