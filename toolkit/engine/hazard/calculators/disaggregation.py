"""Disaggregation: classical hazard, then the contributions of every bin at chosen levels.

``calculation_mode = disaggregation`` (or ``classical`` with ``poes_disagg``/``iml_disagg``)
first runs the classical calculator, then, for every site, realization and IMT, disaggregates
the hazard at

* the levels of ``iml_disagg`` (one per IMT), or
* the levels at which the *mean* hazard curve (weighted over the realizations) has the
  probabilities of exceedance ``poes_disagg`` (log-log interpolation, as the hazard maps);
  every realization is disaggregated at these same levels, as OpenQuake 3.x does.

The disaggregation tasks are source chunks of one source model and tectonic region type,
like the classical tasks, over all disaggregation sites; each returns binned annual rates
per GSIM (:func:`toolkit.engine.hazard.disagg.disagg_rates`). A realization's rates are the
sum over regions of the rates of its GSIM, converted to probabilities of exceedance in the
investigation time per bin (``1 - exp(-rate T)``, OpenQuake's ``1 - prod(1 - p)``).

The mean magnitude, distance and epsilon of the level are rate-weighted means over the
rupture-site pairs (exact, not from the bins).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolkit.engine.hazard import stats
from toolkit.engine.hazard.calculators.classical import (
    PAIRS_PER_BLOCK,
    ClassicalCalculator,
    ClassicalInputs,
    ClassicalResult,
    source_chunks,
)
from toolkit.engine.hazard.disagg import (
    OUTPUT_AXES,
    DisaggBins,
    build_bins,
    disagg_rates,
    rates_to_poes,
)
from toolkit.engine.hazard.gsim.base import GMPE
from toolkit.engine.hazard.imt import IMT
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.errors import InputError

__all__ = ["DisaggSpec", "DisaggInputs", "DisaggResult", "DisaggregationCalculator",
           "disagg_task", "disagg_levels"]

#: the outputs exported when ``disagg_outputs`` is not given: all of them, as OpenQuake 3.26
DEFAULT_OUTPUTS = tuple(OUTPUT_AXES)


@dataclass(frozen=True)
class DisaggSpec:
    """What to disaggregate and how to bin it (OpenQuake's job.ini names).

    Attributes
    ----------
    poes_disagg : tuple of float
        Probabilities of exceedance in the investigation time (levels from the mean curve).
    iml_disagg : dict of IMT -> float
        Or explicit levels, one per IMT (exclusive with ``poes_disagg``).
    mag_bin_width, distance_bin_width, coordinate_bin_width : float
        Magnitude units, km, degrees.
    num_epsilon_bins : int
    disagg_outputs : tuple of str
        Output names (``Mag``, ``Dist``, ``TRT``, ``Mag_Dist``, ``Mag_Dist_Eps``, ``Lon_Lat``,
        ...).
    epsilon_star : bool
        Bin by the epsilon of the level (PEER) instead of the epsilon of the exceedance.
    bin_edges : dict of str -> list of float
        ``disagg_bin_edges``: explicit ``mag``, ``dist``, ``eps``, ``lon``, ``lat`` edges.
    distance : str
        ``"rrup"`` (OpenQuake 3.26's ``Dist`` bins, PEER) or ``"rjb"``.
    """

    poes_disagg: tuple[float, ...] = ()
    iml_disagg: dict[IMT, float] = field(default_factory=dict)
    mag_bin_width: float = 0.5
    distance_bin_width: float = 10.0
    coordinate_bin_width: float = 1.0
    num_epsilon_bins: int = 1
    disagg_outputs: tuple[str, ...] = DEFAULT_OUTPUTS
    epsilon_star: bool = False
    bin_edges: dict[str, Any] = field(default_factory=dict)
    distance: str = "rrup"

    def __post_init__(self) -> None:
        if bool(self.poes_disagg) == bool(self.iml_disagg):
            raise InputError("disaggregation needs exactly one of poes_disagg and iml_disagg")


@dataclass
class DisaggInputs(ClassicalInputs):
    """Classical inputs plus the disaggregation spec."""

    disagg: DisaggSpec = field(default_factory=lambda: DisaggSpec(poes_disagg=(0.1,)))


@dataclass
class DisaggResult:
    """Hazard curves and their disaggregation.

    Attributes
    ----------
    classical : ClassicalResult
    bins : DisaggBins
    imts : list of IMT
    levels : ndarray, shape (S, I, P)
        Disaggregated intensity levels (0 where the mean curve never reaches the poe).
    poes_target : ndarray, shape (S, I, P)
        ``poes_disagg``, or with ``iml_disagg`` the weighted mean over the realizations of
        the probability of exceeding the level.
    poes : ndarray, shape (S, R, I, P, M, D, Lo, La, E, T)
        Probability of exceedance in the investigation time per bin and realization.
    means : ndarray, shape (S, R, I, P, 3)
        Rate-weighted mean magnitude, distance and epsilon of the level (NaN without hazard).
    weights : ndarray, shape (R,)
    outputs : tuple of str
        The requested output names.
    distance : str
        The binned distance (``"rrup"`` or ``"rjb"``).
    """

    classical: ClassicalResult
    bins: DisaggBins
    imts: list[IMT]
    levels: np.ndarray
    poes_target: np.ndarray
    poes: np.ndarray
    means: np.ndarray
    weights: np.ndarray
    outputs: tuple[str, ...]
    distance: str = "rrup"
    from_iml: bool = False


def disagg_task(sources: list[Any], sites: SiteCollection, gsims: list[GMPE],
                levels: dict[IMT, np.ndarray], bins: DisaggBins,
                truncation_level: float | None, maximum_distance: float, min_mag: float,
                epsilon_star: bool, distance: str, investigation_time: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """Binned rates and moments of ``sources`` (see :func:`disagg_rates`)."""
    block_size = max(100, PAIRS_PER_BLOCK // max(len(sites), 1))

    def blocks():
        for src in sources:
            yield from src.iter_ruptures(min_mag, block_size)

    return disagg_rates(blocks(), sites, gsims, levels, bins, truncation_level,
                        maximum_distance, epsilon_star=epsilon_star, distance=distance,
                        investigation_time=investigation_time)


def disagg_levels(result: ClassicalResult, spec: DisaggSpec, weights: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Levels (S, I, P) to disaggregate and their nominal poes (S, I, P; for ``iml_disagg``
    the poes are filled in after the disaggregation)."""
    imts = list(result.imtls)
    n_sites = len(result.sites)
    slices = result.imt_slices()
    if spec.iml_disagg:
        missing = [str(i) for i in spec.iml_disagg if i not in result.imtls]
        if missing:
            raise InputError(f"iml_disagg: IMTs {missing} are not among the calculation's "
                             f"{[str(i) for i in imts]}")
        imts = list(spec.iml_disagg)
        levels = np.array([[[spec.iml_disagg[imt]] for imt in imts]] * n_sites, dtype=float)
        return levels.reshape(n_sites, len(imts), 1), np.full(levels.shape, np.nan)
    mean = np.einsum("srl,r->sl", result.curves_rlzs, weights / weights.sum())
    levels = np.zeros((n_sites, len(imts), len(spec.poes_disagg)))
    for m, imt in enumerate(imts):
        levels[:, m] = stats.hazard_maps(mean[:, slices[imt]], result.imtls[imt],
                                         spec.poes_disagg)
    target = np.broadcast_to(np.asarray(spec.poes_disagg, dtype=float), levels.shape).copy()
    return levels, target


def _mean_curve_poes(result: ClassicalResult, imts: list[IMT], levels: np.ndarray,
                     weights: np.ndarray) -> np.ndarray:
    """The weighted mean curve's probability of exceedance at ``levels`` (S, I, P), exact at
    the curve's own levels and interpolated log-log between them."""
    mean = np.einsum("srl,r->sl", result.curves_rlzs, weights / weights.sum())
    slices = result.imt_slices()
    out = np.zeros(levels.shape)
    tiny = 1e-300
    for m, imt in enumerate(imts):
        x = np.log(np.asarray(result.imtls[imt], dtype=float))
        for s in range(levels.shape[0]):
            y = np.log(np.maximum(mean[s, slices[imt]], tiny))
            out[s, m] = np.exp(np.interp(np.log(levels[s, m]), x, y))
    return np.where(out <= tiny, 0.0, out)


def _mag_range(inp: ClassicalInputs) -> tuple[float, float]:
    lo, hi = math.inf, -math.inf
    for sm in inp.source_models:
        for trt, sources in sm.groups.items():
            mmin = inp.spec_for(trt).minimum_magnitude
            for src in sources:
                mags = None
                mfd = getattr(src, "mfd", None)
                if mfd is not None and hasattr(mfd, "get_annual_occurrence_rates"):
                    m, r = mfd.get_annual_occurrence_rates()
                    m, r = np.atleast_1d(np.asarray(m, float)), np.atleast_1d(np.asarray(r))
                    mags = m[(r > 0) & (m >= mmin - 1e-9)]
                if mags is None or not len(mags):
                    mags = np.concatenate([b.mag for b in src.iter_ruptures(mmin)] or
                                          [np.empty(0)])
                if len(mags):
                    lo, hi = min(lo, float(mags.min())), max(hi, float(mags.max()))
    if not math.isfinite(lo):
        raise InputError("disaggregation: the source model has no ruptures")
    return lo, hi


class DisaggregationCalculator(ClassicalCalculator):
    """Disaggregation calculator (``calculation_mode = disaggregation``)."""

    mode = "disaggregation"
    inputs: DisaggInputs

    def execute(self) -> DisaggResult:
        classical = super().execute()
        inp = self.inputs
        spec = inp.disagg
        weights = np.array([rlz.weight for rlz in inp.realizations], dtype=float)
        levels, target = disagg_levels(classical, spec, weights)
        imts = list(spec.iml_disagg) if spec.iml_disagg else list(inp.imtls)
        trts = sorted({trt for sm in inp.source_models for trt, s in sm.groups.items() if s})
        max_dist = max(inp.spec_for(trt).maximum_distance for trt in trts)
        if not math.isfinite(max_dist):
            max_dist = 300.0
        bins = build_bins(_mag_range(inp), inp.sites, trts, maximum_distance=max_dist,
                          mag_bin_width=spec.mag_bin_width,
                          distance_bin_width=spec.distance_bin_width,
                          coordinate_bin_width=spec.coordinate_bin_width,
                          num_epsilon_bins=spec.num_epsilon_bins,
                          truncation_level=inp.truncation_level, edges=spec.bin_edges)
        with np.errstate(divide="ignore"):
            level_arrays = {imt: np.where(levels[:, m] > 0, levels[:, m], np.inf)
                            for m, imt in enumerate(imts)}
        tasks, keys = [], []
        for sm_index, sm in enumerate(inp.source_models):
            for trt, sources in sm.groups.items():
                if not sources or (sm_index, trt) not in self.gsims:
                    continue
                hspec = inp.spec_for(trt)
                for chunk in source_chunks(sources, hspec.minimum_magnitude,
                                           inp.ruptures_per_task):
                    tasks.append((chunk, inp.sites, self.gsims[sm_index, trt], level_arrays,
                                  bins, inp.truncation_level, hspec.maximum_distance,
                                  hspec.minimum_magnitude, spec.epsilon_star, spec.distance,
                                  inp.investigation_time))
                    keys.append((sm_index, trt))
        sums: dict[tuple[int, str], list[np.ndarray]] = {}
        waiting: dict[int, Any] = {}
        next_index = 0
        self.progress(0.0, float(len(tasks)), "disaggregation")
        for index, value in self.executor.submit_all(disagg_task, tasks):
            waiting[index] = value
            while next_index in waiting:  # add in task order: executor-independent sums
                rates, moments = waiting.pop(next_index)
                acc = sums.get(keys[next_index])
                if acc is None:
                    sums[keys[next_index]] = [rates, moments]
                else:
                    acc[0] += rates
                    acc[1] += moments
                next_index += 1
            self.progress(float(next_index), float(len(tasks)), "disaggregation")
        return self._combine_disagg(classical, bins, imts, levels, target, sums, weights)

    def _combine_disagg(self, classical: ClassicalResult, bins: DisaggBins, imts: list[IMT],
                        levels: np.ndarray, target: np.ndarray,
                        sums: dict[tuple[int, str], list[np.ndarray]], weights: np.ndarray
                        ) -> DisaggResult:
        inp = self.inputs
        n_sites, n_imts, n_p = levels.shape
        shape = (n_sites, n_imts, n_p) + bins.shape
        poes = np.zeros((n_sites, len(inp.realizations)) + shape[1:])
        means = np.full((n_sites, len(inp.realizations), n_imts, n_p, 3), np.nan)
        for r, rlz in enumerate(inp.realizations):
            rates = np.zeros(shape)
            moments = np.zeros((n_sites, n_imts, n_p, 4))
            for trt, gsim in rlz.gsim_by_trt.items():
                key = (rlz.sm_index, trt)
                if key in sums:
                    g = self.gsims[key].index(gsim)
                    rates += sums[key][0][g]
                    moments += sums[key][1][g]
            poes[:, r] = rates_to_poes(rates, inp.investigation_time)
            with np.errstate(invalid="ignore", divide="ignore"):
                means[:, r] = np.where(moments[..., :1] > 0,
                                       moments[..., 1:] / moments[..., :1], np.nan)
        if inp.disagg.iml_disagg:  # the mean hazard curve's poe at the level (the bins
            # need not hold all of it: explicit edges leave pairs out)
            target = _mean_curve_poes(classical, imts, levels, weights)
        return DisaggResult(classical=classical, bins=bins, imts=imts, levels=levels,
                            poes_target=target, poes=poes, means=means, weights=weights,
                            outputs=tuple(inp.disagg.disagg_outputs), distance=inp.disagg.distance,
                            from_iml=bool(inp.disagg.iml_disagg))
