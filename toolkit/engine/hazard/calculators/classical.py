"""Classical PSHA: hazard curves, hazard maps and uniform hazard spectra.

For every source-model branch and tectonic region type (TRT), the kernel computes annual
exceedance rates once per distinct GSIM of that region's branch set. A realization picks
one GSIM per TRT, so its rates are the sum over TRTs of the precomputed rates; its
probabilities of exceedance in the investigation time follow from the Poisson assumption.
Statistics (mean, quantiles) are computed on probabilities over realizations with their
weights (on annual rates with OpenQuake's ``use_rates``), hazard maps by log-log
interpolation of the curves, and uniform hazard spectra collect the maps of PGA and SA at
each poe.

Work is split into independent tasks (source chunks x site blocks) run by the executor;
results are summed in task order, so they do not depend on the executor.

References
----------
Cornell, C. A. (1968). Engineering seismic risk analysis. BSSA 58(5), 1583-1606.
McGuire, R. K. (2004). Seismic Hazard and Risk Analysis. EERI Monograph MNO-10.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolkit.engine.hazard import stats
from toolkit.engine.hazard.calculators.base import Calculator
from toolkit.engine.hazard.gsim.base import GMPE
from toolkit.engine.hazard.imt import IMT
from toolkit.engine.hazard.kernel import HazardSpec, compute_rates
from toolkit.engine.hazard.sites import SiteCollection

__all__ = ["ClassicalCalculator", "ClassicalInputs", "SourceModelInput", "RealizationInput",
           "ClassicalResult", "summarize_curves", "source_chunks"]

#: target number of rupture-site pairs held in memory at once by one task
PAIRS_PER_BLOCK = 500_000


@dataclass
class SourceModelInput:
    """One source-model branch: its sources grouped by tectonic region type."""

    branch_id: str
    weight: float
    groups: dict[str, list[Any]]


@dataclass
class RealizationInput:
    """One realization: a source-model branch and one GSIM per tectonic region type."""

    index: int
    sm_index: int
    gsim_by_trt: dict[str, GMPE]
    weight: float
    branch_path: str


@dataclass
class ClassicalInputs:
    """Validated inputs of a classical calculation (built by ``toolkit.io``)."""

    sites: SiteCollection
    source_models: list[SourceModelInput]
    realizations: list[RealizationInput]
    imtls: dict[IMT, np.ndarray]
    investigation_time: float
    truncation_level: float | None
    maximum_distance: dict[str, float] = field(default_factory=lambda: {"default": 300.0})
    minimum_magnitude: dict[str, float] = field(default_factory=lambda: {"default": 0.0})
    minimum_distance: float = 0.0  # km; shorter distances are raised to it (job.ini key)
    poes: list[float] = field(default_factory=list)
    quantiles: list[float] = field(default_factory=list)
    mean: bool = True
    uniform_hazard_spectra: bool = False
    #: OpenQuake's ``use_rates``: mean and quantiles over annual rates, not poes
    use_rates: bool = False
    site_block_size: int = 1000
    ruptures_per_task: int = 500_000  # ruptures per task, roughly

    def spec_for(self, trt: str) -> HazardSpec:
        """The hazard spec of one tectonic region type (its distance and magnitude cut)."""
        dist = self.maximum_distance.get(trt, self.maximum_distance.get("default", 300.0))
        mmin = self.minimum_magnitude.get(trt, self.minimum_magnitude.get("default", 0.0))
        return HazardSpec(self.imtls, self.truncation_level, dist, mmin, self.investigation_time,
                          self.minimum_distance)


@dataclass
class ClassicalResult:
    """Hazard curves (poes), statistics, maps and spectra of a classical calculation.

    Attributes
    ----------
    curves_rlzs : ndarray, shape (n_sites, n_rlzs, n_levels)
        Probabilities of exceedance in the investigation time, levels of all IMTs
        concatenated in ``imtls`` order.
    curves_stats : dict of stat name -> ndarray (n_sites, n_levels)
        ``"mean"``, ``"quantile-0.15"``, ...
    maps_rlzs : ndarray (n_sites, n_rlzs, n_imts, n_poes) or None
    maps_stats : dict of stat name -> ndarray (n_sites, n_imts, n_poes)
    """

    sites: SiteCollection
    imtls: dict[IMT, np.ndarray]
    investigation_time: float
    realizations: list[tuple[int, str, float]]
    curves_rlzs: np.ndarray
    curves_stats: dict[str, np.ndarray]
    poes: list[float]
    maps_rlzs: np.ndarray | None
    maps_stats: dict[str, np.ndarray]
    uniform_hazard_spectra: bool = False

    def imt_slices(self) -> dict[IMT, slice]:
        return HazardSpec(self.imtls, None).slices()


def classical_task(
    sources: list[Any], sites: SiteCollection, gsims: list[GMPE], spec: HazardSpec
) -> np.ndarray:
    """Exceedance rates of ``sources`` at ``sites`` for each GSIM, shape (G, S, L)."""
    block_size = max(100, PAIRS_PER_BLOCK // max(len(sites), 1))

    # mutex/cluster/negative-binomial groups (toolkit.engine.hazard.groups) add their own rates
    groups = [src for src in sources if hasattr(src, "hazard_rates")]

    def blocks():
        for src in sources:
            if not hasattr(src, "hazard_rates"):
                yield from src.iter_ruptures(spec.minimum_magnitude, block_size)

    rates = compute_rates(blocks(), sites, gsims, spec)
    for group in groups:
        rates += group.hazard_rates(sites, gsims, spec, block_size)
    return rates


def source_chunks(sources: list[Any], min_mag: float, target: int) -> list[list[Any]]:
    """Group sources into chunks of roughly ``target`` ruptures each, splitting big sources
    (an area source into parts of its grid) so that they spread over several tasks."""
    chunks: list[list[Any]] = []
    current: list[Any] = []
    weight = 0
    parts = [part for src in sources for part in src.split(target, min_mag)]
    for src in parts:
        current.append(src)
        weight += max(src.count_ruptures(min_mag), 1)
        if weight >= target:
            chunks.append(current)
            current, weight = [], 0
    if current:
        chunks.append(current)
    return chunks


class ClassicalCalculator(Calculator):
    """Classical PSHA calculator (``calculation_mode = classical``)."""

    mode = "classical"
    inputs: ClassicalInputs

    def prepare(self) -> None:
        inp = self.inputs
        # distinct GSIMs per (source model, trt), in first-use order
        self.gsims: dict[tuple[int, str], list[GMPE]] = {}
        for rlz in inp.realizations:
            for trt, gsim in rlz.gsim_by_trt.items():
                lst = self.gsims.setdefault((rlz.sm_index, trt), [])
                if gsim not in lst:
                    lst.append(gsim)
        for gsim_list in self.gsims.values():
            for gsim in gsim_list:
                for imt in inp.imtls:
                    gsim.check_imt(imt)
        self.tasks: list[tuple[Any, ...]] = []
        self.task_keys: list[tuple[int, str, slice]] = []
        self.task_weights: list[int] = []
        site_blocks = inp.sites.blocks(inp.site_block_size)
        for sm_index, sm in enumerate(inp.source_models):
            for trt, sources in sm.groups.items():
                if not sources or (sm_index, trt) not in self.gsims:
                    continue
                spec = inp.spec_for(trt)
                for chunk in source_chunks(sources, spec.minimum_magnitude, inp.ruptures_per_task):
                    weight = sum(s.count_ruptures(spec.minimum_magnitude) for s in chunk)
                    for block in site_blocks:
                        self.tasks.append(
                            (chunk, inp.sites.subset(block), self.gsims[sm_index, trt], spec)
                        )
                        self.task_keys.append((sm_index, trt, block))
                        self.task_weights.append(weight * (block.stop - block.start))

    def execute(self) -> ClassicalResult:
        inp = self.inputs
        n_sites = len(inp.sites)
        n_levels = sum(len(v) for v in inp.imtls.values())
        rates: dict[tuple[int, str], np.ndarray] = {
            key: np.zeros((len(g), n_sites, n_levels)) for key, g in self.gsims.items()
        }
        total = float(sum(self.task_weights)) or 1.0
        done = 0.0
        self.progress(0.0, total, "classical")
        # Results are summed in task order, so the sums do not depend on the executor; a
        # result is added as soon as every earlier task's has been, to keep few in memory.
        waiting: dict[int, np.ndarray] = {}
        next_index = 0
        for index, value in self.executor.submit_all(classical_task, self.tasks):
            waiting[index] = value
            while next_index in waiting:
                sm_index, trt, block = self.task_keys[next_index]
                rates[sm_index, trt][:, block] += waiting.pop(next_index)
                next_index += 1
            done += self.task_weights[index]
            self.progress(done, total, "classical")
        return self._combine(rates)

    def _combine(self, rates: dict[tuple[int, str], np.ndarray]) -> ClassicalResult:
        inp = self.inputs
        n_sites = len(inp.sites)
        n_levels = sum(len(v) for v in inp.imtls.values())
        curves = np.zeros((n_sites, len(inp.realizations), n_levels))
        for r, rlz in enumerate(inp.realizations):
            total = np.zeros((n_sites, n_levels))
            for trt, gsim in rlz.gsim_by_trt.items():
                key = (rlz.sm_index, trt)
                if key in rates:
                    total += rates[key][self.gsims[key].index(gsim)]
            curves[:, r] = stats.rates_to_poes(total, inp.investigation_time)
        return summarize_curves(inp, curves)


def summarize_curves(inp: ClassicalInputs, curves: np.ndarray) -> ClassicalResult:
    """Statistics, hazard maps and spectra of per-realization curves.

    Parameters
    ----------
    inp : ClassicalInputs
        Realizations (weights), statistics, poes and levels wanted.
    curves : ndarray, shape (n_sites, n_rlzs, n_levels)
        Probabilities of exceedance in the investigation time.
    """
    n_sites = len(inp.sites)
    weights = [rlz.weight for rlz in inp.realizations]
    curves_stats: dict[str, np.ndarray] = {}
    values = curves.transpose(1, 0, 2)
    if inp.use_rates:  # statistics of the rates -ln(1 - poe) / T, returned as poes
        values = stats.poes_to_rates(values, inp.investigation_time)
    if inp.mean:
        curves_stats["mean"] = stats.mean_curve(values, weights)
    for q in inp.quantiles:
        curves_stats[f"quantile-{q}"] = stats.quantile_curve(q, values, weights)
    if inp.use_rates:
        curves_stats = {name: stats.rates_to_poes(value, inp.investigation_time)
                        for name, value in curves_stats.items()}
    maps_rlzs = None
    maps_stats: dict[str, np.ndarray] = {}
    if inp.poes:
        slices = HazardSpec(inp.imtls, None).slices()
        maps_rlzs = np.zeros((n_sites, len(inp.realizations), len(inp.imtls), len(inp.poes)))
        for m, (imt, levels) in enumerate(inp.imtls.items()):
            for r in range(len(inp.realizations)):
                maps_rlzs[:, r, m] = stats.hazard_maps(
                    curves[:, r, slices[imt]], levels, inp.poes
                )
            for name, curve in curves_stats.items():
                arr = maps_stats.setdefault(
                    name, np.zeros((n_sites, len(inp.imtls), len(inp.poes)))
                )
                arr[:, m] = stats.hazard_maps(curve[:, slices[imt]], levels, inp.poes)
    return ClassicalResult(
        sites=inp.sites,
        imtls=inp.imtls,
        investigation_time=inp.investigation_time,
        realizations=[(r.index, r.branch_path, r.weight) for r in inp.realizations],
        curves_rlzs=curves,
        curves_stats=curves_stats,
        poes=list(inp.poes),
        maps_rlzs=maps_rlzs,
        maps_stats=maps_stats,
        uniform_hazard_spectra=inp.uniform_hazard_spectra,
    )

