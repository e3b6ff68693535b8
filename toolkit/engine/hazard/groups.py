"""Source groups that are not sets of independent Poissonian sources.

A NRML 0.5 ``<sourceGroup>`` may declare that its sources (or the ruptures inside a source)
are *mutually exclusive*, that its sources occur together as a *cluster*, and a source may
follow a *negative binomial* temporal occurrence model instead of Poisson's. The classical
kernel (:mod:`toolkit.engine.hazard.kernel`) sums annual rates, so each such group is
wrapped in one :class:`GroupSource` whose contribution is the *equivalent* rate

.. math:: \\nu^{eq}(x) = -\\ln P_{grp}(\\text{no exceedance of } x \\text{ in } T) / T ,

exact when combined with the other (independent) groups, since independent probabilities
of non-exceedance multiply.

Probability of non-exceedance of one rupture *r* (one rupture-site pair, one level), with
:math:`p_r = P(Y > x \\mid r)` from the GSIM, annual rate :math:`\\nu_r` and time *T*:

* Poisson: :math:`e^{-\\nu_r T p_r}`;
* non-parametric rupture with probabilities :math:`\\pi_k` of *k* occurrences:
  :math:`\\sum_k \\pi_k (1 - p_r)^k` (Pagani et al. 2014);
* negative binomial (``NegativeBinomialTOM``; number of occurrences in *T* with mean
  :math:`\\nu_r T` and dispersion :math:`\\alpha`, variance :math:`m + \\alpha m^2`, i.e. a
  Poisson process whose rate is gamma-distributed): thinning by :math:`p_r` gives
  :math:`(1 + \\alpha \\nu_r T p_r)^{-1/\\alpha}`, the probability generating function of
  the negative binomial distribution evaluated at :math:`1 - p_r` (Johnson, Kemp & Kotz
  2005, ch. 5; Kagan 2010 for its use as an earthquake-count model). The parameter
  :math:`\\mu` of the element is the source's mean rate; it does not enter the exceedance
  probability, which uses the rupture rates;
* inside a cluster: given that the cluster occurs, each of its ruptures occurs once,
  :math:`1 - p_r` (unless it is non-parametric: then its :math:`\\pi_k`).

Combination inside a source:

* independent ruptures: :math:`P_s = \\prod_r P_r`;
* mutually exclusive ruptures (``rup_interdep="mutex"``) with weights :math:`w_r`:
  :math:`1 - P_s = \\sum_r w_r (1 - P_r)`.

Combination of the sources of a group:

* independent sources: :math:`P_g = \\prod_s P_s`;
* mutually exclusive sources (``src_interdep="mutex"``, ``srcs_weights`` :math:`w_s`):
  :math:`1 - P_g = \\sum_s w_s (1 - P_s)`;
* cluster (``cluster="true"``, Poissonian clusters of annual rate :math:`\\lambda`): each
  cluster occurrence exceeds with probability :math:`1 - P_g`, so thinning the Poisson
  process of clusters gives :math:`P = e^{-\\lambda T (1 - P_g)}`, i.e.
  :math:`\\nu^{eq} = \\lambda (1 - P_g)`.

These follow from elementary probability (mutually exclusive events add, independent ones
multiply, a thinned Poisson process stays Poissonian); they are the semantics the OpenQuake
engine documents for source groups (user manual, "source groups": ``src_interdep``,
``rup_interdep``, ``cluster``), checked as a black box against its QA classical cases 27,
35, 78 and 80 (max. rel. error below 1e-4 except float32 rounding in OpenQuake's case 80).

References
----------
Pagani, M., et al. (2014). OpenQuake Engine: An open hazard (and risk) software for the
Global Earthquake Model. Seismological Research Letters 85(3), 692-702.
Johnson, N. L., Kemp, A. W., Kotz, S. (2005). Univariate Discrete Distributions, 3rd ed.
Wiley.
Kagan, Y. Y. (2010). Statistical distributions of earthquake numbers: consequence of
branching process. Geophys. J. Int. 180, 1313-1328.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from toolkit.engine.hazard.gsim.base import GMPE
from toolkit.engine.hazard.imt import model_levels
from toolkit.engine.hazard.ruptures import RuptureBlock
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.errors import InputError

__all__ = ["NegativeBinomialTOM", "GroupSemantics", "GroupSource", "source_log_pne",
           "rupture_log_pne"]


@dataclass(frozen=True)
class NegativeBinomialTOM:
    """Negative binomial temporal occurrence model of one source.

    Attributes
    ----------
    mu : float
        Mean annual rate of the source (> 0).
    alpha : float
        Dispersion (> 0): the variance of the count in *T* is :math:`m + \\alpha m^2`.
    """

    mu: float
    alpha: float

    def __post_init__(self) -> None:
        for name in ("mu", "alpha"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise InputError(f"NegativeBinomialTOM: {name} must be a positive number, "
                                 f"got {value!r}")

    def log_pne(self, rate: np.ndarray, poe: np.ndarray, time: float) -> np.ndarray:
        """:math:`\\ln P(\\text{no exceedance}) = -\\ln(1 + \\alpha \\nu T p) / \\alpha`."""
        return -np.log1p(self.alpha * rate * time * poe) / self.alpha


@dataclass(frozen=True)
class GroupSemantics:
    """How the sources of one ``<sourceGroup>`` combine.

    Attributes
    ----------
    src_mutex : bool
        Sources mutually exclusive, with ``srcs_weights`` (one per source, summing to 1).
    rup_mutex : bool
        Ruptures of each source mutually exclusive, with ``rup_weights`` per source.
    cluster_rate : float or None
        Annual occurrence rate of the cluster (Poissonian) when the group is a cluster.
    srcs_weights : tuple of float
    rup_weights : dict of source id -> tuple of float
    toms : dict of source id -> NegativeBinomialTOM
        Sources with a negative binomial temporal occurrence model.
    where : str
        File and line of the ``<sourceGroup>``, for messages.
    """

    src_mutex: bool = False
    rup_mutex: bool = False
    cluster_rate: float | None = None
    srcs_weights: tuple[float, ...] = ()
    rup_weights: dict[str, tuple[float, ...]] = field(default_factory=dict)
    toms: dict[str, NegativeBinomialTOM] = field(default_factory=dict)
    where: str = "sourceGroup"

    @property
    def is_plain(self) -> bool:
        """True for independent Poissonian sources (nothing to wrap)."""
        return not (self.src_mutex or self.rup_mutex or self.cluster_rate is not None
                    or self.toms)


def _pair_poes(block: RuptureBlock, sites: SiteCollection, gsims: Sequence[GMPE],
               spec) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """GSIM exceedance probabilities of the rupture-site pairs of a block within the
    maximum distance: ``(poe (G, P, L), rupture index (P,), site index (P,))``."""
    from toolkit.engine.hazard.kernel import build_contexts

    required: set[str] = set()
    for gsim in gsims:
        required |= gsim.requires
    built = build_contexts(block, sites, required, spec.maximum_distance,
                           getattr(spec, "minimum_distance", 0.0))
    if built is None:
        return None
    ctx, rup, sid = built
    slices = spec.slices()
    poe = np.zeros((len(gsims), len(rup), spec.n_levels))
    for g, gsim in enumerate(gsims):
        mean, sig, _, _ = gsim.get_mean_and_stddevs(ctx, spec.imts)
        for m, (imt, levels) in enumerate(spec.imtls.items()):
            poe[g, :, slices[imt]] = gsim.exceedance(mean[m], sig[m], model_levels(imt, levels),
                                                     spec.truncation_level)
    return poe, rup, sid


def rupture_log_pne(poe: np.ndarray, rate: np.ndarray, probs_occur: np.ndarray | None,
                    time: float, tom: NegativeBinomialTOM | None = None,
                    fated: bool = False) -> np.ndarray:
    """Log probability of non-exceedance per rupture-site pair and level.

    Parameters
    ----------
    poe : ndarray (..., P, L)
        Probability that one occurrence exceeds the level.
    rate : ndarray (P,)
        Annual occurrence rates of the pairs' ruptures.
    probs_occur : ndarray (P, K) or None
        Probabilities of 0..K-1 occurrences in *T* (non-parametric ruptures); used first.
    time : float
        Investigation time *T* (years).
    tom : NegativeBinomialTOM, optional
    fated : bool
        Each rupture occurs exactly once (inside a cluster).
    """
    poe = np.clip(poe, 0.0, 1.0)
    with np.errstate(divide="ignore"):
        if probs_occur is not None:
            pne = np.zeros_like(poe)
            for k in range(probs_occur.shape[1]):
                pne += probs_occur[:, k, None] * (1.0 - poe) ** k
            return np.log(pne)
        if fated:
            return np.log1p(-poe)
        if tom is not None:
            return tom.log_pne(rate[:, None], poe, time)
        return -rate[:, None] * time * poe


def source_log_pne(source, sites: SiteCollection, gsims: Sequence[GMPE], spec, *,
                   rup_weights: Sequence[float] | None = None,
                   tom: NegativeBinomialTOM | None = None, fated: bool = False,
                   block_size: int = 10_000) -> np.ndarray:
    """Log probability that no rupture of ``source`` exceeds each level, shape (G, S, L).

    With ``rup_weights`` the ruptures are mutually exclusive (``source.ruptures`` and
    ``source.probs_occur`` of a non-parametric source, in order):
    :math:`1 - P_s = \\sum_r w_r (1 - P_r)`; otherwise :math:`\\ln P_s = \\sum_r \\ln P_r`.
    """
    n_sites, time = len(sites), spec.investigation_time
    if time is None or not time > 0:
        raise InputError("source groups need a positive investigation_time")
    shape = (len(gsims), n_sites, spec.n_levels)
    if rup_weights is None:
        out = np.zeros(shape)
        for block in source.iter_ruptures(spec.minimum_magnitude, block_size):
            _accumulate(out, block, sites, gsims, spec, tom, fated, None)
        return out
    ruptures = list(getattr(source, "ruptures", ()))
    n = sum(len(b) for b in ruptures)
    if n != len(rup_weights):
        raise InputError(f"source {source.source_id!r}: {len(rup_weights)} rup_weights for "
                         f"{n} ruptures")
    exceed = np.zeros(shape)  # sum_r w_r (1 - P_r)
    start = 0
    for block in ruptures:
        index = np.arange(start, start + len(block))
        start += len(block)
        keep = block.mag >= spec.minimum_magnitude - 1e-6
        if not keep.any():
            continue
        probs = getattr(source, "probs_occur", None)
        rate = np.where(np.isfinite(block.rate), block.rate, 0.0)
        sub = RuptureBlock(block.source_id, block.trt, block.mag, block.rake, rate,
                           block.hypo, block.surface,
                           None if probs is None else probs[index])
        sub = sub.take(np.flatnonzero(keep)) if not keep.all() else sub
        weights = np.asarray(rup_weights, dtype=float)[index[keep]]
        _accumulate(exceed, sub, sites, gsims, spec, tom, fated, weights)
    with np.errstate(divide="ignore"):
        return np.log1p(-np.minimum(exceed, 1.0))


def _accumulate(out: np.ndarray, block: RuptureBlock, sites: SiteCollection,
                gsims: Sequence[GMPE], spec, tom, fated: bool,
                weights: np.ndarray | None) -> None:
    """Add a block's log non-exceedance (``weights`` None) or weighted exceedance
    probabilities (mutually exclusive ruptures) to ``out`` (G, S, L), per site."""
    got = _pair_poes(block, sites, gsims, spec)
    if got is None:
        return
    poe, rup, sid = got
    probs = None if block.probs_occur is None else block.probs_occur[rup]
    log_pne = rupture_log_pne(poe, block.rate[rup], probs, spec.investigation_time, tom,
                              fated)
    if weights is None:
        values, coef = log_pne, np.ones(len(rup))
    else:
        values, coef = -np.expm1(log_pne), weights[rup]
    matrix = sparse.csr_matrix((coef, (sid, np.arange(len(sid)))), shape=(len(sites), len(sid)))
    for g in range(len(out)):
        finite = np.where(np.isneginf(values[g]), -1e300, values[g])
        out[g] += matrix @ finite


class GroupSource:
    """The sources of one special ``<sourceGroup>`` seen by the classical calculator as one
    source whose :meth:`hazard_rates` are the group's equivalent annual rates.

    Parameters
    ----------
    semantics : GroupSemantics
    sources : list of engine sources
        In the order of the group (``srcs_weights`` follow it).
    """

    kind = "sourceGroup"

    def __init__(self, semantics: GroupSemantics, sources: Sequence) -> None:
        self.semantics = semantics
        self.sources = list(sources)
        if not self.sources:
            raise InputError(f"{semantics.where}: the source group has no sources")
        if semantics.src_mutex and len(semantics.srcs_weights) != len(self.sources):
            raise InputError(f"{semantics.where}: srcs_weights has "
                             f"{len(semantics.srcs_weights)} values for "
                             f"{len(self.sources)} sources")
        first = self.sources[0]
        self.trt = first.trt
        self.source_id = "+".join(str(s.source_id) for s in self.sources)
        self.name = f"group of {len(self.sources)} sources"

    def __repr__(self) -> str:
        return f"GroupSource({self.source_id!r}, {self.semantics!r})"

    def count_ruptures(self, min_mag: float = 0.0) -> int:
        return sum(s.count_ruptures(min_mag) for s in self.sources)

    def split(self, max_ruptures: int, min_mag: float = 0.0) -> list[GroupSource]:
        """A group is never split: its sources combine non-additively."""
        return [self]

    def location_bounds(self) -> tuple[float, float, float, float]:
        bounds = np.array([s.location_bounds() for s in self.sources])
        return (float(bounds[:, 0].min()), float(bounds[:, 1].min()),
                float(bounds[:, 2].max()), float(bounds[:, 3].max()))

    def iter_ruptures(self, min_mag: float = 0.0,
                      block_size: int = 100_000) -> Iterator[RuptureBlock]:
        """Refused: only the classical calculator handles these groups."""
        raise InputError(f"{self.semantics.where}: source groups with mutually exclusive "
                         "sources or ruptures, clusters or a negative binomial temporal "
                         "occurrence model are supported by the classical calculator only "
                         "(not by disaggregation, event-based or rupture export)")

    def log_pne(self, sites: SiteCollection, gsims: Sequence[GMPE], spec,
                block_size: int = 10_000) -> np.ndarray:
        """Log probability of no exceedance in *T* of one occurrence of the group (the
        cluster) or of the group in *T* (otherwise), shape (G, S, L)."""
        sem = self.semantics
        fated = sem.cluster_rate is not None
        total = None
        exceed = None
        for i, src in enumerate(self.sources):
            sid = str(src.source_id)
            log_pne = source_log_pne(
                src, sites, gsims, spec,
                rup_weights=sem.rup_weights.get(sid) if sem.rup_mutex else None,
                tom=sem.toms.get(sid), fated=fated, block_size=block_size)
            if sem.src_mutex:
                part = sem.srcs_weights[i] * -np.expm1(log_pne)
                exceed = part if exceed is None else exceed + part
            else:
                total = log_pne if total is None else total + log_pne
        if sem.src_mutex:
            with np.errstate(divide="ignore"):
                return np.log1p(-np.minimum(exceed, 1.0))
        return total

    def hazard_rates(self, sites: SiteCollection, gsims: Sequence[GMPE], spec,
                     block_size: int = 10_000) -> np.ndarray:
        """Equivalent annual exceedance rates of the group, shape (G, S, L):
        :math:`\\lambda (1 - P_g)` for a cluster, :math:`-\\ln P_g / T` otherwise."""
        log_pne = self.log_pne(sites, gsims, spec, block_size)
        if self.semantics.cluster_rate is not None:
            return self.semantics.cluster_rate * -np.expm1(log_pne)
        with np.errstate(divide="ignore"):
            return -log_pne / spec.investigation_time
