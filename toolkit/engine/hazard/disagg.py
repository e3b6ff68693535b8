"""Disaggregation of classical hazard by magnitude, distance, epsilon, location and region.

For a site and an intensity level x the annual exceedance rate is a sum over ruptures r
(McGuire 2004, eq. 4.1; Bazzurro & Cornell 1999):

.. math:: \\lambda(x) = \\sum_r \\nu_r P(Y > x \\mid r)
          = \\sum_{b} \\lambda_b(x), \\qquad
          \\lambda_b(x) = \\sum_{r \\in b} \\nu_r P(Y > x, \\varepsilon \\in b_\\varepsilon \\mid r)

where b runs over the cells of a grid of magnitude, distance, longitude, latitude, epsilon
and tectonic region type. As OpenQuake does, each cell is reported as a probability of
exceedance in the investigation time T,

.. math:: P_b = 1 - \\prod_{r \\in b} (1 - p_r) = 1 - e^{-T \\lambda_b(x)}

for Poissonian ruptures, so that the cells combine back into the hazard curve as
:math:`1 - \\prod_b (1 - P_b) = 1 - e^{-T\\lambda(x)}`.

Binning conventions (OpenQuake's where documented; differences noted):

* magnitude: the rupture magnitude, edges ``w k`` for the integers k from
  ``floor(min_mag / w)`` to ``floor(max_mag / w) + 1`` over the ruptures of the model
  (``w = mag_bin_width``, floating-point division, as OpenQuake's edges show);
* distance: the rupture distance rrup, edges ``w k`` from 0 to
  ``ceil(maximum_distance / w)``. OpenQuake 3.26 bins rrup too: on its QA disaggregation
  case_1 (with ChiouYoungs2014 for the unimplemented ChiouYoungs2008) the toolkit's ``Mag_Dist``
  agrees with OpenQuake's within 1e-5 binning rrup and differs by up to 48 % binning rjb. PEER
  2018 Set 2 also asks for Rrup. ``distance="rjb"`` is available in the engine;
* longitude, latitude: the rupture's *hypocentre* (OpenQuake uses the rupture point closest to
  the site; the toolkit's surfaces do not expose closest points, a documented difference),
  bins centred on the site spanning +- ``maximum_distance`` (converted to degrees with
  0.0089932 degrees per km, and divided by cos(latitude) for longitude),
  ``floor(2 span / coordinate_bin_width)`` bins (at least 1, at most as many as the distance
  bins: a rule inferred from the edges of OpenQuake's QA exports, which it reproduces; the
  largest count over the sites, so that all sites share one shape);
* epsilon: ``num_epsilon_bins`` equal bins between -truncation_level and +truncation_level.
  A rupture's mass in a bin is the probability that its epsilon lies in the bin *and* above
  the epsilon of the level, :math:`\\varepsilon_x = (\\ln x - \\mu) / \\sigma`; with
  ``epsilon_star`` the whole exceedance probability goes to the bin holding
  :math:`\\varepsilon_x` (the PEER 2018 "epsilon*" convention). The first and last bins are open
  (they absorb the tails beyond the outer edges), so the epsilon bins always sum to the
  exceedance probability, also for untruncated sigma;
* tectonic region type: the rupture's.

Magnitude, distance and epsilon bins are closed on the right, ``(e_k, e_k+1]`` (a value on
an edge goes to the lower bin, as in OpenQuake's exports); values outside the outer edges
(possible only by rounding) are put into the nearest outer bin.

References
----------
Bazzurro, P. & Cornell, C. A. (1999). Disaggregation of seismic hazard. BSSA 89(2), 501-520.
McGuire, R. K. (2004). Seismic Hazard and Risk Analysis. EERI Monograph MNO-10.
Hale, C., Abrahamson, N. & Bozorgnia, Y. (2018). Probabilistic seismic hazard analysis code
verification. PEER report 2018/03 (Set 2 test 1: deaggregation by M, R and epsilon*).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.special import ndtr

from toolkit.engine.hazard.gsim.base import GMPE
from toolkit.engine.hazard.imt import IMT, model_levels
from toolkit.engine.hazard.kernel import build_contexts
from toolkit.engine.hazard.ruptures import RuptureBlock
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.engine.hazard.sources.nonparametric import equivalent_rates
from toolkit.errors import InputError

__all__ = ["DisaggBins", "build_bins", "lonlat_edges", "epsilon_probabilities",
           "disagg_rates", "rates_to_poes", "combine_poes", "OUTPUT_AXES", "marginal",
           "DEGREES_PER_KM"]

#: degrees of a great circle per km, 1 / 111.195 rounded as in OpenQuake's bin edges
#: (measured on its exports: 80 km -> 0.719456 degrees, 200 km -> 1.79864)
DEGREES_PER_KM = 0.0089932

#: the axes of an OpenQuake disaggregation output, by output name
OUTPUT_AXES: dict[str, tuple[str, ...]] = {
    "Mag": ("mag",),
    "Dist": ("dist",),
    "TRT": ("trt",),
    "Mag_Dist": ("mag", "dist"),
    "Mag_Dist_Eps": ("mag", "dist", "eps"),
    "Lon_Lat": ("lon", "lat"),
    "Mag_Lon_Lat": ("mag", "lon", "lat"),
    "TRT_Lon_Lat": ("trt", "lon", "lat"),
    "TRT_Mag": ("trt", "mag"),
    "TRT_Mag_Dist": ("trt", "mag", "dist"),
    "TRT_Mag_Dist_Eps": ("trt", "mag", "dist", "eps"),
}

#: order of the bin axes in the full disaggregation matrix
AXES = ("mag", "dist", "lon", "lat", "eps", "trt")


@dataclass(frozen=True)
class DisaggBins:
    """Edges of the disaggregation bins.

    Attributes
    ----------
    mag, dist, eps : ndarray
        Increasing bin edges (magnitude, distance in km, epsilon).
    lon, lat : ndarray, shape (n_sites, n + 1)
        Per-site longitude and latitude edges (degrees).
    trts : tuple of str
        Tectonic region types, one bin each.
    explicit : frozenset of str
        The axes whose edges were given (``disagg_bin_edges``): values outside them are in no
        bin, as in OpenQuake. Computed edges cover every rupture; a value past them (a
        hypocentre beyond the maximum distance of a long rupture) goes to the outer bin.
    """

    mag: np.ndarray
    dist: np.ndarray
    eps: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    trts: tuple[str, ...]
    explicit: frozenset[str] = frozenset()

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of bins along (mag, dist, lon, lat, eps, trt)."""
        return (len(self.mag) - 1, len(self.dist) - 1, self.lon.shape[1] - 1,
                self.lat.shape[1] - 1, len(self.eps) - 1, len(self.trts))

    def centres(self, axis: str, site: int = 0) -> np.ndarray | list[str]:
        """Bin centres along ``axis`` (the region names for ``"trt"``)."""
        if axis == "trt":
            return list(self.trts)
        edges = getattr(self, axis)
        if edges.ndim == 2:
            edges = edges[site]
        return (edges[:-1] + edges[1:]) / 2.0


def _edges(low: float, high: float, width: float, what: str, *, past_high: bool
           ) -> np.ndarray:
    """Edges ``width k``, k from ``floor(low / width)`` to ``ceil(high / width)`` (or
    ``floor(high / width) + 1`` with ``past_high``)."""
    if not width > 0:
        raise InputError(f"{what} must be positive, got {width}")
    first = math.floor(low / width)
    last = math.floor(high / width) + 1 if past_high else math.ceil(high / width)
    return width * np.arange(first, max(last, first + 1) + 1)


def _half_spans(lat: float, maximum_distance: float) -> tuple[float, float]:
    half_lat = maximum_distance * DEGREES_PER_KM
    return min(half_lat / max(math.cos(math.radians(lat)), 1e-6), 180.0), half_lat


def _n_bins(half: float, width: float, max_bins: int | None) -> int:
    n = max(1, math.floor(2 * half / width))
    return n if max_bins is None else min(n, max(1, max_bins))


def lonlat_edges(lon: float, lat: float, maximum_distance: float, width: float,
                 max_bins: int | None = None, n_bins: tuple[int, int] | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude edges centred on a site, spanning +- ``maximum_distance`` km.

    The half spans are ``d DEGREES_PER_KM`` degrees of latitude and that divided by
    ``cos(lat)`` of longitude; each span is cut into ``floor(2 span / width)`` equal bins (at
    least one, at most ``max_bins``), or into ``n_bins = (n_lon, n_lat)`` bins.
    """
    if not width > 0:
        raise InputError(f"coordinate_bin_width must be positive, got {width}")
    half_lon, half_lat = _half_spans(lat, maximum_distance)
    if n_bins is None:
        n_bins = (_n_bins(half_lon, width, max_bins), _n_bins(half_lat, width, max_bins))
    return (np.linspace(lon - half_lon, lon + half_lon, n_bins[0] + 1),
            np.linspace(lat - half_lat, lat + half_lat, n_bins[1] + 1))


def build_bins(
    mag_range: tuple[float, float],
    sites: SiteCollection,
    trts: Sequence[str],
    *,
    maximum_distance: float,
    mag_bin_width: float,
    distance_bin_width: float,
    coordinate_bin_width: float,
    num_epsilon_bins: int,
    truncation_level: float | None,
    edges: dict[str, Sequence[float]] | None = None,
) -> DisaggBins:
    """The bin edges of a disaggregation (see the module docstring for the rules).

    Parameters
    ----------
    mag_range : (float, float)
        Smallest and largest rupture magnitude of the model.
    sites : SiteCollection
    trts : sequence of str
    maximum_distance : float
        km (the largest of the job's integration distances).
    edges : dict, optional
        Explicit edges overriding the computed ones (OpenQuake's ``disagg_bin_edges``):
        keys ``mag``, ``dist``, ``eps``, ``lon``, ``lat`` (lon/lat: the same edges for all
        sites).

    Raises
    ------
    InputError
        Non-positive widths; epsilon bins without a truncation level or explicit edges;
        explicit edges that are not strictly increasing.
    """
    edges = dict(edges or {})
    for key, value in edges.items():
        arr = np.asarray(value, dtype=float)
        if arr.ndim != 1 or len(arr) < 2 or np.any(np.diff(arr) <= 0) or not np.all(
                np.isfinite(arr)):
            raise InputError(f"disagg_bin_edges[{key!r}] must be at least 2 finite, strictly "
                             f"increasing numbers, got {list(value)}")
        edges[key] = arr
    unknown = set(edges) - {"mag", "dist", "eps", "lon", "lat"}
    if unknown:
        raise InputError(f"disagg_bin_edges: unknown keys {sorted(unknown)}; expected mag, "
                         "dist, eps, lon, lat")
    mag = edges.get("mag")
    if mag is None:
        mag = _edges(mag_range[0], mag_range[1], mag_bin_width, "mag_bin_width",
                     past_high=True)
    dist = edges.get("dist")
    if dist is None:
        dist = _edges(0.0, maximum_distance, distance_bin_width, "distance_bin_width",
                      past_high=False)
    eps = edges.get("eps")
    if eps is None:
        if num_epsilon_bins < 1:
            raise InputError(f"num_epsilon_bins must be a positive integer, got "
                             f"{num_epsilon_bins}")
        if truncation_level is None or truncation_level <= 0:
            raise InputError("disaggregation by epsilon needs a positive truncation_level (the "
                             "epsilon bins span -truncation_level..+truncation_level) or "
                             "explicit epsilon edges in disagg_bin_edges = {'eps': [...]}")
        eps = np.linspace(-truncation_level, truncation_level, num_epsilon_bins + 1)
    n_sites = len(sites)
    if not coordinate_bin_width > 0:
        raise InputError(f"coordinate_bin_width must be positive, got {coordinate_bin_width}")
    # one number of bins for all sites (the largest of the sites' own counts)
    spans = [_half_spans(float(lat), maximum_distance) for lat in sites.lats]
    n_bins = (max([_n_bins(h[0], coordinate_bin_width, len(dist) - 1) for h in spans] or [1]),
              max([_n_bins(h[1], coordinate_bin_width, len(dist) - 1) for h in spans] or [1]))
    lons, lats = [], []
    for s in range(n_sites):
        lo, la = lonlat_edges(float(sites.lons[s]), float(sites.lats[s]), maximum_distance,
                              coordinate_bin_width, n_bins=n_bins)
        lons.append(edges.get("lon", lo))
        lats.append(edges.get("lat", la))
    return DisaggBins(explicit=frozenset(edges), mag=mag, dist=dist, eps=eps,
                      lon=np.array(lons).reshape(n_sites, -1),
                      lat=np.array(lats).reshape(n_sites, -1), trts=tuple(trts))


def epsilon_probabilities(eps_x: np.ndarray, eps_edges: np.ndarray,
                          truncation_level: float | None, epsilon_star: bool = False
                          ) -> np.ndarray:
    """Probability mass of exceedance per epsilon bin.

    .. math:: p_k = \\frac{[\\Phi(e_{k+1}) - \\Phi(\\max(e_k, \\varepsilon_x))]^+}
                         {\\Phi(t) - \\Phi(-t)}

    with the outer edges replaced by -t and +t (+-inf when untruncated), so that
    :math:`\\sum_k p_k = P(\\varepsilon > \\varepsilon_x)`, the truncated-normal exceedance
    probability of :func:`toolkit.engine.hazard.exceedance.probability_of_exceedance`.
    With ``epsilon_star`` the whole exceedance probability goes to the bin of
    :math:`\\varepsilon_x` (outer bins open).

    Parameters
    ----------
    eps_x : ndarray, shape (...)
        Epsilon of the level, ``(ln x - mu) / sigma``; +-inf for sigma = 0.
    eps_edges : ndarray, shape (E + 1,)
    truncation_level : float or None

    Returns
    -------
    ndarray, shape (..., E)
    """
    eps_x = np.asarray(eps_x, dtype=float)
    t = math.inf if truncation_level is None else float(truncation_level)
    norm = 1.0 if truncation_level is None else ndtr(t) - ndtr(-t)
    n_bins = len(eps_edges) - 1
    if epsilon_star:
        exceed = np.clip((ndtr(t) - ndtr(np.clip(eps_x, -t, t))) / norm, 0.0, 1.0)
        index = np.clip(np.searchsorted(eps_edges, eps_x, side="left") - 1, 0, n_bins - 1)
        out = np.zeros(eps_x.shape + (n_bins,))
        np.put_along_axis(out, index[..., None], exceed[..., None], axis=-1)
        return out
    low = np.array(eps_edges[:-1], dtype=float)
    high = np.array(eps_edges[1:], dtype=float)
    low[0], high[-1] = -t, t
    cdf_high = ndtr(np.minimum(high, t))
    lower = np.maximum(low, eps_x[..., None])
    return np.clip(cdf_high - ndtr(lower), 0.0, None) / norm


def _index(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin index of each value (right-closed bins ``(e_k, e_k+1]``, as OpenQuake puts a
    magnitude 6.5 into the bin 6.4-6.5), clipped into the outer bins."""
    return np.clip(np.searchsorted(edges, values, side="left") - 1, 0, len(edges) - 2)


def _inside(values: np.ndarray, edges: np.ndarray, explicit: bool = True) -> np.ndarray:
    """Values within the outer edges (both included), for explicit edges (OpenQuake leaves
    out what falls outside ``disagg_bin_edges``); every value for computed edges."""
    if not explicit:
        return np.ones(np.shape(values), dtype=bool)
    return (values >= edges[0]) & (values <= edges[-1])


def _uniform_index(values: np.ndarray, start: np.ndarray, step: np.ndarray, n: int
                   ) -> np.ndarray:
    return np.clip(np.floor((values - start) / step).astype(np.int64), 0, n - 1)


def _coordinate_index(values: np.ndarray, edges: np.ndarray, sid: np.ndarray, explicit: bool
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Longitude or latitude bin (left-closed) of each pair and whether it is binned:
    ``edges`` (S, n + 1) are one set of explicit (possibly uneven) edges shared by every site,
    or the sites' own evenly spaced computed edges (values past them clipped in)."""
    n = edges.shape[1] - 1
    if explicit:
        index = np.clip(np.searchsorted(edges[0], values, side="right") - 1, 0, n - 1)
        return index, _inside(values, edges[0])
    start, step = edges[:, 0], (edges[:, -1] - edges[:, 0]) / n
    return _uniform_index(values, start[sid], step[sid], n), _inside(values, edges, False)


def disagg_rates(
    blocks: Iterable[RuptureBlock],
    sites: SiteCollection,
    gsims: Sequence[GMPE],
    levels: dict[IMT, np.ndarray],
    bins: DisaggBins,
    truncation_level: float | None,
    maximum_distance: float,
    *,
    epsilon_star: bool = False,
    distance: str = "rrup",
    investigation_time: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Annual exceedance rates per disaggregation bin, for each GSIM.

    Parameters
    ----------
    blocks : iterable of RuptureBlock
        Ruptures of one tectonic region type (each block's ``trt`` must be in ``bins.trts``).
    sites : SiteCollection
        The sites to disaggregate (their order matches ``bins.lon``/``bins.lat``).
    gsims : sequence of GMPE
    levels : dict of IMT -> ndarray, shape (n_sites, P)
        The intensity levels to disaggregate, per site (P levels for every IMT).
    bins : DisaggBins
    truncation_level : float or None
    maximum_distance : float
        km, on rrup (as the classical kernel).
    epsilon_star : bool
        Bin by the epsilon of the level (PEER) instead of the epsilon of the exceedance.
    distance : str
        The distance binned: ``"rrup"`` (OpenQuake 3.26, PEER 2018 Set 2) or ``"rjb"``.
    investigation_time : float, optional
        Years; needed by non-Poissonian ruptures (``RuptureBlock.probs_occur``), whose
        per-bin exceedance probabilities become equivalent rates
        (:func:`~toolkit.engine.hazard.sources.nonparametric.equivalent_rates`).

    Notes
    -----
    A mixture model (:meth:`GMPE.sigma_mixture`) is binned component by component, each
    truncated at its own standard deviation, so its bins sum to its exceedance probability.
    Pairs whose magnitude, distance or hypocentre fall outside explicit bin edges
    (``bins.explicit``) are in no bin (they still count in the mean values).

    Returns
    -------
    rates : ndarray, shape (G, S, I, P, M, D, Lo, La, E, T)
        Annual rates of exceedance per bin.
    moments : ndarray, shape (G, S, I, P, 4)
        Rate-weighted sums for the mean values: total rate, rate x magnitude,
        rate x distance, rate x epsilon of the level (finite sigma only).
    """
    imts = list(levels)
    n_sites = len(sites)
    n_levels = {np.shape(v)[1] for v in levels.values()}
    if len(n_levels) != 1:
        raise InputError("disagg_rates: every IMT needs the same number of levels per site")
    n_p = n_levels.pop()
    log_levels = np.stack([model_levels(imt, levels[imt]) for imt in imts],
                          axis=1)  # (S, I, P), ln(levels) but MMI as is
    nm, nd, nlo, nla, ne, nt = bins.shape
    n_cells = n_sites * nm * nd * nlo * nla
    width = len(imts) * n_p * ne
    inner = np.zeros((len(gsims), n_cells, nt, width))
    moments = np.zeros((len(gsims), n_sites, len(imts), n_p, 4))
    if distance not in ("rjb", "rrup"):
        raise InputError(f"disaggregation distance must be 'rjb' or 'rrup', got {distance!r}")
    required: set[str] = {distance}
    for gsim in gsims:
        required |= gsim.requires
    for block in blocks:
        built = build_contexts(block, sites, required, maximum_distance)
        if built is None:
            continue
        try:
            t = bins.trts.index(block.trt)
        except ValueError:
            raise InputError(f"source {block.source_id!r}: tectonic region type "
                             f"{block.trt!r} is not among the disaggregation bins "
                             f"{list(bins.trts)}") from None
        ctx, rup, sid = built
        n = len(sid)
        dist = getattr(ctx, distance)
        rel_lon = (block.hypo[rup, 0] - sites.lons[sid] + 180.0) % 360.0 - 180.0 + sites.lons[sid]
        lon_index, lon_inside = _coordinate_index(rel_lon, bins.lon, sid,
                                                  "lon" in bins.explicit)
        lat_index, lat_inside = _coordinate_index(block.hypo[rup, 1], bins.lat, sid,
                                                  "lat" in bins.explicit)
        binned = (_inside(ctx.mag, bins.mag, "mag" in bins.explicit)
                  & _inside(dist, bins.dist, "dist" in bins.explicit)
                  & lon_inside & lat_inside)  # outside explicit edges: in no bin
        cell = _index(ctx.mag, bins.mag)
        cell = cell * nd + _index(dist, bins.dist)
        cell = cell * nlo + lon_index
        cell = cell * nla + lat_index
        cell = cell + sid * (nm * nd * nlo * nla)
        probs_occur = block.probs_occur
        rate = block.rate[rup] if probs_occur is None else np.ones(n)
        cells, row = np.unique(cell, return_inverse=True)  # only the cells this block touches
        matrix = sparse.csr_matrix((np.where(binned, rate, 0.0), (row, np.arange(n))),
                                   shape=(len(cells), n))
        site_sum = sparse.csr_matrix((np.ones(n), (sid, np.arange(n))), shape=(n_sites, n))
        for g, gsim in enumerate(gsims):
            mean, sig, _, _ = gsim.get_mean_and_stddevs(ctx, imts)
            with np.errstate(divide="ignore", invalid="ignore"):
                eps_x = (log_levels[sid] - mean.T[:, :, None]) / sig.T[:, :, None]  # (N, I, P)
            zero = (sig.T[:, :, None] <= 0) | (truncation_level == 0)
            if zero.any():  # deterministic: all mass in the bin of epsilon 0
                above = np.broadcast_to(mean.T[:, :, None] > log_levels[sid], eps_x.shape)
                eps_x = np.where(zero, np.where(above, -np.inf, np.inf), eps_x)
            # each lognormal component k (standard deviation f_k sigma, weight w_k) over the
            # bins of epsilon = (ln x - mu) / sigma: its own residual is epsilon / f_k
            factors, weights = gsim.sigma_mixture()
            prob = sum(w * epsilon_probabilities(eps_x / f, bins.eps / f,
                                                 truncation_level or None, epsilon_star)
                       for f, w in zip(factors, weights, strict=True))
            if zero.any():
                det = np.zeros_like(prob)
                zero_bin = _index(np.zeros(1), bins.eps)[0]
                det[..., zero_bin] = np.where(eps_x == -np.inf, 1.0, 0.0)
                prob = np.where(zero[..., None], det, prob)
            exceed = prob.sum(axis=-1)  # (N, I, P)
            if (type(gsim).exceedance is not GMPE.exceedance
                    and type(gsim).sigma_mixture is GMPE.sigma_mixture):  # another distribution
                wanted = np.stack([_gsim_exceedance(gsim, mean[m], sig[m], log_levels[sid, m],
                                                    truncation_level)
                                   for m in range(len(imts))], axis=1)
                with np.errstate(invalid="ignore", divide="ignore"):
                    scale = np.where(exceed > 0, wanted / exceed, 0.0)
                prob = prob * scale[..., None]
                exceed = wanted
            if probs_occur is not None:  # non-Poissonian: equivalent rates per bin
                prob = equivalent_rates(prob.reshape(n, -1), probs_occur[rup],
                                        investigation_time).reshape(prob.shape)
                exceed = equivalent_rates(exceed.reshape(n, -1), probs_occur[rup],
                                          investigation_time).reshape(exceed.shape)
            inner[g, cells, t] += matrix @ prob.reshape(n, width)
            exceed = exceed * rate[:, None, None]
            finite_eps = np.where(np.isfinite(eps_x), eps_x, 0.0)
            parts = np.stack([exceed, exceed * ctx.mag[:, None, None],
                              exceed * dist[:, None, None], exceed * finite_eps], axis=-1)
            moments[g] += (site_sum @ parts.reshape(n, -1)).reshape(moments.shape[1:])
    rates = inner.reshape(len(gsims), n_sites, nm, nd, nlo, nla, nt, len(imts), n_p, ne)
    # -> (G, S, I, P, M, D, Lo, La, E, T)
    return rates.transpose(0, 1, 7, 8, 2, 3, 4, 5, 9, 6), moments


def _gsim_exceedance(gsim: GMPE, mean: np.ndarray, sig: np.ndarray, log_levels: np.ndarray,
                     truncation_level: float | None) -> np.ndarray:
    """``gsim.exceedance`` of N pairs, each at its own P levels: shape (N, P)."""
    out = np.empty(log_levels.shape)
    for p in range(log_levels.shape[1]):
        for level in np.unique(log_levels[:, p]):
            rows = log_levels[:, p] == level
            out[rows, p] = gsim.exceedance(mean[rows], sig[rows], np.array([level]),
                                           truncation_level)[:, 0]
    return out


def rates_to_poes(rates: np.ndarray, investigation_time: float) -> np.ndarray:
    """Poissonian probability of exceedance in the investigation time, ``1 - exp(-rate T)``."""
    return -np.expm1(-np.asarray(rates) * investigation_time)


def combine_poes(poes: np.ndarray, axes: int | tuple[int, ...]) -> np.ndarray:
    """Combine independent probabilities over ``axes``: ``1 - prod(1 - p)``."""
    with np.errstate(divide="ignore"):
        return -np.expm1(np.log1p(-np.clip(poes, 0.0, 1.0)).sum(axis=axes))


def marginal(poes: np.ndarray, keep: Sequence[str]) -> np.ndarray:
    """The disaggregation ``poes`` (trailing axes ``AXES``) reduced to the axes ``keep``, in
    the order of ``keep``, with the ``1 - prod(1 - p)`` rule over the others."""
    lead = poes.ndim - len(AXES)
    drop = tuple(lead + i for i, name in enumerate(AXES) if name not in keep)
    out = combine_poes(poes, drop)
    kept = [name for name in AXES if name in keep]
    order = [kept.index(name) for name in keep]
    return np.moveaxis(out, [lead + i for i in order], list(range(lead, lead + len(keep))))
