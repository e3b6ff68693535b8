"""What the ground-motion-field calculators (scenario, event based) share.

* the tables they produce: ruptures, events and GMF rows (:data:`RUPTURE_DTYPE`,
  :data:`EVENT_DTYPE`, :class:`GmfResult`);
* :func:`rupture_gmfs`: the GMFs of the events of one rupture, filtered by
  ``minimum_intensity`` as OpenQuake does (values below it become 0 and (event, site) rows
  where every IMT is below it are dropped);
* :func:`rupture_rows`: the ruptures table rows of a block of ruptures.

Random numbers: every rupture gets its own seed, drawn when the rupture is sampled (event
based) or fixed by ``ses_seed`` (scenario), and every realization its own stream
``default_rng([seed, rlz])``; so the fields do not depend on how work is split into tasks or
on how many processes run them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.base import GMPE
from toolkit.engine.hazard.imt import IMT
from toolkit.engine.hazard.ruptures import RuptureBlock
from toolkit.engine.hazard.sites import SiteCollection

__all__ = ["RUPTURE_DTYPE", "EVENT_DTYPE", "GmfResult", "GmfRows", "rupture_gmfs",
           "rupture_rows", "min_iml_array", "CachedCorrelation"]

RUPTURE_DTYPE = np.dtype([
    ("rup_id", "u4"), ("source_id", "S100"), ("multiplicity", "u4"), ("mag", "f8"),
    ("centroid_lon", "f8"), ("centroid_lat", "f8"), ("centroid_depth", "f8"),
    ("trt", "S100"), ("strike", "f8"), ("dip", "f8"), ("rake", "f8"), ("seed", "i8"),
])
EVENT_DTYPE = np.dtype([
    ("event_id", "u4"), ("rup_id", "u4"), ("rlz_id", "u2"), ("year", "u4"), ("ses_id", "u4"),
])


@dataclass
class GmfRows:
    """GMF rows of some events: one row per (event, site) with a value above the minimum.

    Attributes
    ----------
    event : ndarray (R,)
        Event index (local to whoever produced the rows until renumbered).
    site : ndarray (R,)
        Site index in the calculation's site collection.
    gmv : ndarray (R, M)
        Ground-motion values (g; cm/s for PGV), 0 where below ``minimum_intensity``.
    """

    event: np.ndarray
    site: np.ndarray
    gmv: np.ndarray

    @classmethod
    def empty(cls, n_imts: int) -> GmfRows:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, n_imts)))

    @classmethod
    def concatenate(cls, parts: list[GmfRows], n_imts: int) -> GmfRows:
        if not parts:
            return cls.empty(n_imts)
        return cls(np.concatenate([p.event for p in parts]),
                   np.concatenate([p.site for p in parts]),
                   np.concatenate([p.gmv for p in parts]))


@dataclass
class GmfResult:
    """Outputs of a scenario or event-based calculation.

    Attributes
    ----------
    mode : str
        ``"scenario"`` or ``"event_based"``.
    sites : SiteCollection
    imts : list of IMT
    realizations : list of (rlz_id, branch_path, weight)
    investigation_time : float or None
    ses_per_logic_tree_path : int
    ruptures : structured ndarray of :data:`RUPTURE_DTYPE`
    events : structured ndarray of :data:`EVENT_DTYPE`, in event_id order
    gmfs : GmfRows
        Rows with ``event`` = event_id.
    sig_inter, eps_inter : ndarray (n_events, M)
        Inter-event standard deviation and epsilon of every event (NaN sigma when the GSIM
        has only a total standard deviation).
    curves : ClassicalResult or None
        Event-based hazard curves (``hazard_curves_from_gmfs``).
    messages : list of str
        Notes for the user (e.g. no site within the maximum distance).
    """

    mode: str
    sites: SiteCollection
    imts: list[IMT]
    realizations: list[tuple[int, str, float]]
    investigation_time: float | None
    ses_per_logic_tree_path: int
    ruptures: np.ndarray
    events: np.ndarray
    gmfs: GmfRows
    sig_inter: np.ndarray
    eps_inter: np.ndarray
    curves: Any = None
    messages: list[str] = field(default_factory=list)


class CachedCorrelation:
    """A correlation model that remembers its recent Cholesky factors.

    In an event-based calculation many ruptures affect the same set of sites; their fields
    share one factor per IMT. Factors are kept while their total size stays below
    ``max_bytes`` (least recently used dropped first).
    """

    def __init__(self, model: Any, max_bytes: float = 1e9) -> None:
        self.model = model
        self.max_bytes = max_bytes
        self._cache: dict[tuple[str, bytes, bytes], np.ndarray] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)

    def __repr__(self) -> str:
        return repr(self.model)

    def cholesky(self, lons: np.ndarray, lats: np.ndarray, imt: IMT) -> np.ndarray:
        key = (str(imt), np.asarray(lons).tobytes(), np.asarray(lats).tobytes())
        if key in self._cache:
            factor = self._cache.pop(key)
            self._cache[key] = factor  # most recently used last
            return factor
        factor = self.model.cholesky(lons, lats, imt)
        self._cache[key] = factor
        while sum(f.nbytes for f in self._cache.values()) > self.max_bytes and len(
                self._cache) > 1:
            self._cache.pop(next(iter(self._cache)))
        return factor


def min_iml_array(imts: list[IMT], minimum_intensity: dict[str, float]) -> np.ndarray:
    """``minimum_intensity`` as one threshold per IMT (``"default"`` for the others)."""
    default = minimum_intensity.get("default", 0.0)
    return np.array([minimum_intensity.get(str(imt), default) for imt in imts])


def rupture_gmfs(
    ctx: Context,
    site_index: np.ndarray,
    gsim: GMPE,
    imts: list[IMT],
    n_events: int,
    rng: np.random.Generator,
    truncation_level: float | None,
    correlation: Any,
    sites: SiteCollection,
    min_iml: np.ndarray,
) -> tuple[GmfRows, np.ndarray, np.ndarray]:
    """GMFs of ``n_events`` occurrences of one rupture.

    Parameters
    ----------
    ctx : Context
        The rupture's pairs with the sites ``site_index`` (one pair per site).
    site_index : ndarray (S,)
        Indices of those sites in ``sites``.
    min_iml : ndarray (M,)
        Values below are set to 0; rows with every value below are dropped.

    Returns
    -------
    rows : GmfRows
        ``event`` is the occurrence number 0..n_events-1.
    sig_inter, eps_inter : ndarray (n_events, M)
    """
    from toolkit.engine.hazard.gmf import sample_gmfs

    lons = sites.lons[site_index] if correlation is not None else None
    lats = sites.lats[site_index] if correlation is not None else None
    sample = sample_gmfs(ctx, gsim, imts, n_events, rng, truncation_level, correlation,
                         lons, lats)
    gmv = sample.gmv  # (E, S, M)
    gmv = np.where(gmv < min_iml, 0.0, gmv)
    keep = (gmv > 0).any(axis=2) if np.any(min_iml > 0) else np.ones(gmv.shape[:2], bool)
    event, site = np.nonzero(keep)
    rows = GmfRows(event, np.asarray(site_index)[site], gmv[event, site])
    sig = np.broadcast_to(sample.sig_inter, (n_events, len(imts))).copy()
    return rows, sig, sample.eps_inter


def _centroids(block: RuptureBlock) -> np.ndarray:
    """Centroid lon, lat, depth of every rupture (mean of the corners of planar ruptures,
    else the hypocentre)."""
    corners = getattr(block.surface, "corners", None)
    if corners is not None:
        return np.asarray(corners).mean(axis=1)
    centroid = getattr(block.surface, "centroids", None)
    if callable(centroid):
        return np.asarray(centroid())
    return np.asarray(block.hypo)


def rupture_rows(block: RuptureBlock, n_occ: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Rows of the ruptures table for every rupture of ``block`` (``rup_id`` left 0)."""
    rows = np.zeros(len(block), RUPTURE_DTYPE)
    centroids = _centroids(block)
    rows["source_id"] = block.source_id.encode()[:100]
    rows["multiplicity"] = n_occ
    rows["mag"] = block.mag
    rows["centroid_lon"] = centroids[:, 0]
    rows["centroid_lat"] = centroids[:, 1]
    rows["centroid_depth"] = centroids[:, 2]
    rows["trt"] = block.trt.encode()[:100]
    rows["strike"] = block.surface.strike
    rows["dip"] = block.surface.dip
    rows["rake"] = block.rake
    rows["seed"] = seeds
    return rows
