"""The classical PSHA kernel: annual exceedance rates of a set of sources at a block of sites.

For Poissonian sources the annual rate at which intensity level x is exceeded at a site is

.. math:: \\lambda(x) = \\sum_r \\nu_r \\, P(Y > x \\mid r)

summed over ruptures r with annual occurrence rate :math:`\\nu_r` (Cornell 1968; McGuire
2004, eq. 4.1). The probability of exceedance in an investigation time T is then
:math:`1 - e^{-\\lambda T}`, identical to OpenQuake's product of non-exceedance
probabilities for Poissonian ruptures.

The kernel works on rupture *blocks*: distances from all ruptures of a block to all sites are
computed at once, pairs beyond ``maximum_distance`` (on rrup, as OpenQuake) are dropped,
the remaining pairs form one :class:`~toolkit.engine.hazard.contexts.Context` that every GSIM
computes on in one call, and contributions are summed per site with a sparse product.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from toolkit.engine.hazard.context_extras import EXTRA_PARAMETERS, extra_context
from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.geo import geodetic_distance
from toolkit.engine.hazard.gsim.base import GMPE
from toolkit.engine.hazard.imt import IMT, model_levels
from toolkit.engine.hazard.min_distance import apply_minimum_distance
from toolkit.engine.hazard.ruptures import RuptureBlock
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.engine.hazard.sources.nonparametric import equivalent_rates

__all__ = ["HazardSpec", "compute_rates", "build_contexts"]

_SURFACE_DISTANCES = frozenset({"rrup", "rjb", "rx", "ry0"})


@dataclass(frozen=True)
class HazardSpec:
    """What to compute: intensity levels, truncation and filtering.

    Attributes
    ----------
    imtls : dict of IMT -> ndarray
        Intensity levels per IMT (g, or cm/s for PGV), increasing.
    truncation_level : float or None
    maximum_distance : float
        Rupture-site pairs farther than this (rrup, km) are ignored.
    minimum_magnitude : float
        Ruptures below this magnitude are ignored.
    """

    imtls: dict[IMT, np.ndarray]
    truncation_level: float | None
    maximum_distance: float = 300.0
    minimum_magnitude: float = 0.0
    #: years; needed by non-Poissonian ruptures (``RuptureBlock.probs_occur``)
    investigation_time: float | None = None
    #: km; shorter distances are raised to it before the GSIMs are evaluated
    minimum_distance: float = 0.0

    @property
    def imts(self) -> list[IMT]:
        return list(self.imtls)

    @property
    def n_levels(self) -> int:
        return sum(len(v) for v in self.imtls.values())

    def slices(self) -> dict[IMT, slice]:
        """Slice of each IMT in the concatenated level axis."""
        out, start = {}, 0
        for imt, levels in self.imtls.items():
            out[imt] = slice(start, start + len(levels))
            start += len(levels)
        return out


def _all_within(block: RuptureBlock, sites: SiteCollection, maximum_distance: float) -> bool:
    """True when every rupture of the block is certainly within ``maximum_distance`` of every
    site, so the per-pair distance filter can be skipped.

    Upper bound of rrup: horizontal distance from the site to the centre of the hypocentres'
    box, plus the largest hypocentre offset from that centre, plus the largest rupture
    diagonal (a hypocentre lies on its rupture), combined with the deepest possible point.
    """
    if not np.isfinite(maximum_distance):
        return True
    surface = block.surface
    length = getattr(surface, "length", None)
    if length is None:
        return False
    hypo = block.hypo
    clon, clat = float(np.mean(hypo[:, 0])), float(np.mean(hypo[:, 1]))
    spread = float(geodetic_distance(clon, clat, hypo[:, 0], hypo[:, 1]).max())
    extent = float(np.sqrt(np.asarray(length) ** 2 + np.asarray(surface.width) ** 2).max())
    horizontal = geodetic_distance(clon, clat, sites.lons, sites.lats) + spread + extent
    deepest = float(hypo[:, 2].max()) + extent + float(np.abs(sites.depths).max())
    upper = np.hypot(horizontal, deepest) * 1.001 + 0.01
    return bool(upper.max() <= maximum_distance)


def build_contexts(
    block: RuptureBlock, sites: SiteCollection, required: set[str], maximum_distance: float,
    minimum_distance: float = 0.0,
) -> tuple[Context, np.ndarray, np.ndarray] | None:
    """Rupture-site pairs of a block within ``maximum_distance``, as a Context.

    Distances below ``minimum_distance`` (km) are then raised to it
    (:func:`toolkit.engine.hazard.min_distance.apply_minimum_distance`).

    Returns
    -------
    (ctx, rupture_index, site_index) or None when no pair is within the distance.
    """
    if _all_within(block, sites, maximum_distance):
        rows = np.arange(len(block))
        cols = np.arange(len(sites))
        surf = block.surface
    else:
        near = block.surface.min_distance(sites.lons, sites.lats) <= maximum_distance
        if not near.any():
            return None
        rows = np.flatnonzero(near.any(axis=1))
        cols = np.flatnonzero(near.any(axis=0))
        surf = block.surface if len(rows) == len(block) else block.surface.take(rows)
    names = (set(required) & _SURFACE_DISTANCES) | {"rrup"}
    dist = surf.distances(sites.lons[cols], sites.lats[cols], sites.depths[cols], names)
    mask = dist["rrup"] <= maximum_distance
    if not mask.any():
        return None
    ri, si = np.nonzero(mask)
    rup = rows[ri]
    sid = cols[si]
    arrays: dict[str, np.ndarray] = {name: dist[name][mask] for name in names}
    hypo = block.hypo
    if "rhypo" in required or "repi" in required:
        repi = geodetic_distance(hypo[rup, 0], hypo[rup, 1], sites.lons[sid], sites.lats[sid])
        if "repi" in required:
            arrays["repi"] = repi
        if "rhypo" in required:
            arrays["rhypo"] = np.hypot(repi, hypo[rup, 2] - sites.depths[sid])
    arrays["mag"] = block.mag[rup]
    arrays["rake"] = block.rake[rup]
    arrays["hypo_depth"] = hypo[rup, 2]
    for name in ("dip", "ztor", "width", "strike"):
        if name in required or name in ("dip", "ztor", "width"):
            arrays[name] = getattr(block.surface, name)[rup]
    if "lon" in required or "lat" in required:  # site coordinates (regional GSIMs)
        arrays["lon"], arrays["lat"] = sites.lons[sid], sites.lats[sid]
    if "hypo_lon" in required or "hypo_lat" in required:
        arrays["hypo_lon"], arrays["hypo_lat"] = hypo[rup, 0], hypo[rup, 1]
    if EXTRA_PARAMETERS & set(required):  # azimuth, clon/clat, rvolc: only when asked for
        arrays.update(extra_context(surf, ri, sites.lons[sid], sites.lats[sid],
                                    sites.depths[sid], set(required)))
    if "backarc" in required:  # OpenQuake's site flag: False where the site model lacks it
        backarc = sites.extra.get("backarc")
        arrays["backarc"] = (np.zeros(len(sid), bool) if backarc is None
                             else np.asarray(backarc, float)[sid] != 0)
    arrays["vs30"] = sites.vs30[sid]
    arrays["vs30measured"] = sites.vs30measured[sid]
    arrays["z1pt0"] = sites.z1pt0[sid]
    arrays["z2pt5"] = sites.z2pt5[sid]
    for name in (required & sites.extra.keys()) - {"backarc"}:  # e.g. siteclass
        arrays[name] = sites.extra[name][sid]
    apply_minimum_distance(arrays, minimum_distance)
    return Context(**arrays), rup, sid


def compute_rates(
    blocks: Iterable[RuptureBlock],
    sites: SiteCollection,
    gsims: Sequence[GMPE],
    spec: HazardSpec,
    on_block: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Annual exceedance rates of every level at every site, for each GSIM.

    Parameters
    ----------
    blocks : iterable of RuptureBlock
        Ruptures of sources of one tectonic region type.
    sites : SiteCollection
    gsims : sequence of GMPE
        The GSIMs of the region's logic-tree branch set; one result per GSIM.
    spec : HazardSpec
    on_block : callable, optional
        Called with the number of ruptures after each block (progress reporting).

    Returns
    -------
    ndarray, shape (len(gsims), len(sites), spec.n_levels)
    """
    n_sites = len(sites)
    rates = np.zeros((len(gsims), n_sites, spec.n_levels))
    required: set[str] = set()
    for gsim in gsims:
        required |= gsim.requires
    slices = spec.slices()
    log_levels = {imt: model_levels(imt, levels) for imt, levels in spec.imtls.items()}
    for block in blocks:
        built = build_contexts(block, sites, required, spec.maximum_distance,
                               spec.minimum_distance)
        if built is not None:
            ctx, rup, sid = built
            pair_rate = block.rate[rup] if block.probs_occur is None else np.ones(len(rup))
            weights = sparse.csr_matrix(
                (pair_rate, (sid, np.arange(len(sid)))), shape=(n_sites, len(sid))
            )
            for g, gsim in enumerate(gsims):
                mean, sig, _, _ = gsim.get_mean_and_stddevs(ctx, spec.imts)
                for m, imt in enumerate(spec.imts):
                    poe = gsim.exceedance(
                        mean[m], sig[m], log_levels[imt], spec.truncation_level
                    )
                    if block.probs_occur is not None:  # non-Poissonian: equivalent rates
                        poe = equivalent_rates(poe, block.probs_occur[rup],
                                               spec.investigation_time)
                    rates[g, :, slices[imt]] += weights @ poe
        if on_block is not None:
            on_block(len(block))
    return rates
