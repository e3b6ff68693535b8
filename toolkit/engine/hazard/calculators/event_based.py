"""Event-based PSHA: stochastic event sets, their ground-motion fields and hazard curves.

1. **Stochastic event sets.** Every rupture r of a source model, with annual occurrence rate
   :math:`\\nu_r`, occurs :math:`n_r \\sim \\mathrm{Poisson}(\\nu_r T N)` times in the
   effective time :math:`T N` (``investigation_time`` x ``ses_per_logic_tree_path``)
   (Musson 2000). Ruptures are sampled in fixed blocks of each source with their own random
   stream, keyed by (``ses_seed``, source model, source part, block), so the sample does not
   depend on how sources are grouped into tasks or how many processes run them.
2. **Events.** Each occurrence of a rupture is one event for every realization of its source
   model (full logic-tree enumeration); events are numbered rupture by rupture, realization
   by realization. An event gets a year in 1..T N and a stochastic event set in 1..N.
3. **Ground-motion fields** of the events of each rupture, with the rupture's own seed (see
   :mod:`toolkit.engine.hazard.calculators.gmfs`), at the sites within ``maximum_distance``.
   Only ruptures with at least one site within that distance are kept.
4. **Hazard curves** (``hazard_curves_from_gmfs``): for realization k, the annual rate of
   exceedance of level x at a site is the number of its events with a ground motion above x
   divided by T N, and the probability of exceedance in T is :math:`1 - e^{-\\lambda T}`;
   statistics and maps as in the classical calculator. These converge to the classical curves
   as T N grows, with a Monte Carlo standard error of about :math:`\\sqrt{\\lambda / (T N)}`
   on the rate.

References
----------
Musson, R. M. W. (2000). The use of Monte Carlo simulations for seismic hazard assessment
in the U.K. Annali di Geofisica 43(1), 1-9.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolkit.engine.hazard.calculators.base import Calculator
from toolkit.engine.hazard.calculators.classical import (
    ClassicalInputs,
    source_chunks,
    summarize_curves,
)
from toolkit.engine.hazard.calculators.gmfs import (
    EVENT_DTYPE,
    RUPTURE_DTYPE,
    CachedCorrelation,
    GmfResult,
    GmfRows,
    min_iml_array,
    rupture_gmfs,
    rupture_rows,
)
from toolkit.engine.hazard.gsim.base import GMPE
from toolkit.engine.hazard.imt import IMT
from toolkit.engine.hazard.kernel import HazardSpec, build_contexts
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.engine.hazard.sources.nonparametric import sample_occurrences
from toolkit.errors import InputError

__all__ = ["EventBasedCalculator", "EventBasedInputs", "SAMPLING_BLOCK"]

#: ruptures per sampling block (fixed: the random streams are keyed by block)
SAMPLING_BLOCK = 10_000


@dataclass
class EventBasedInputs(ClassicalInputs):
    """Validated inputs of an event-based calculation: the classical ones plus the event
    sets and ground-motion-field settings."""

    ses_per_logic_tree_path: int = 1
    ses_seed: int = 42
    ground_motion_fields: bool = True
    hazard_curves_from_gmfs: bool = False
    correlation: Any = None
    minimum_intensity: dict[str, float] = field(default_factory=dict)
    #: job.ini ``maximum_rupture_depth`` (km by tectonic region type, ``default`` for the
    #: others): OpenQuake discards the ground motions of deeper ruptures; the toolkit does not,
    #: so a sampled rupture deeper than it is an error
    maximum_rupture_depth: dict[str, float] | None = None

    @property
    def effective_time(self) -> float:
        return self.investigation_time * self.ses_per_logic_tree_path


@dataclass
class _TaskOutput:
    ruptures: np.ndarray            # RUPTURE_DTYPE, rup_id = local index
    events: np.ndarray              # EVENT_DTYPE, rup_id local, event_id local
    gmfs: GmfRows                   # event = local event index
    sig_inter: np.ndarray
    eps_inter: np.ndarray


def _check_rupture_depths(block: Any, maximum_depth: dict[str, float] | None) -> None:
    """Refuse sampled ruptures whose hypocentre lies deeper than ``maximum_rupture_depth``
    (km, by tectonic region type with a ``default``).

    OpenQuake drops the ground motions of such ruptures; the toolkit does not implement that,
    so rather than silently computing them it stops with an error naming the source.
    """
    if not maximum_depth:
        return
    limit = maximum_depth.get(block.trt, maximum_depth.get("default"))
    if limit is None:
        return
    depths = block.hypo[:, 2]
    deep = np.flatnonzero(depths > limit)
    if len(deep):
        i = int(deep[0])
        raise InputError(f"maximum_rupture_depth = {limit:g} km: source {block.source_id!r} "
                         f"has a rupture with its hypocentre at {depths[i]:g} km; discarding "
                         "the ground motions of deeper ruptures (as OpenQuake does) is not "
                         "supported yet: remove the option or raise it above the deepest "
                         "hypocentre")


def event_based_task(
    sources: list[Any],
    part_offset: int,
    sm_index: int,
    rlzs: list[tuple[int, GMPE]],
    sites: SiteCollection,
    spec: HazardSpec,
    inp: EventBasedInputs,
) -> _TaskOutput:
    """Sample the ruptures of ``sources`` and compute the GMFs of their events.

    ``rlzs`` are the (realization index, GSIM for this tectonic region) of the source model;
    ``part_offset`` is the global index of the first source part (keys the random streams).
    """
    eff_time = inp.effective_time
    imts: list[IMT] = list(inp.imtls)
    n_imts = len(imts)
    min_iml = min_iml_array(imts, inp.minimum_intensity)
    required: set[str] = set()
    for _, gsim in rlzs:
        required |= gsim.requires
    correlation = CachedCorrelation(inp.correlation) if inp.correlation is not None else None
    rup_parts, event_parts, gmf_parts, sig_parts, eps_parts = [], [], [], [], []
    n_rups = n_events = 0
    for p, src in enumerate(sources):
        for b, block in enumerate(src.iter_ruptures(spec.minimum_magnitude, SAMPLING_BLOCK)):
            rng = np.random.default_rng([inp.ses_seed, sm_index, part_offset + p, b])
            n_occ = (rng.poisson(block.rate * eff_time) if block.probs_occur is None else
                     sample_occurrences(rng, block.probs_occur, inp.ses_per_logic_tree_path))
            seeds = rng.integers(0, 2**62, len(block))
            sampled = np.flatnonzero(n_occ)
            if len(sampled) == 0:
                continue
            block = block.take(sampled)
            n_occ, seeds = n_occ[sampled], seeds[sampled]
            _check_rupture_depths(block, inp.maximum_rupture_depth)
            built = build_contexts(block, sites, required, spec.maximum_distance,
                                   spec.minimum_distance)
            if built is None:
                continue
            ctx, rup, sid = built
            near = np.unique(rup)
            bounds = np.searchsorted(rup, np.append(near, len(block)))
            for j, r in enumerate(near):
                pairs = slice(bounds[j], bounds[j + 1])
                sub, site_index = ctx.subset(pairs), sid[pairs]
                occ = int(n_occ[r])
                for rlz, gsim in rlzs:
                    rng_r = np.random.default_rng([int(seeds[r]), rlz])
                    ev = np.zeros(occ, EVENT_DTYPE)
                    ev["event_id"] = n_events + np.arange(occ)
                    ev["rup_id"] = n_rups
                    ev["rlz_id"] = rlz
                    ev["year"] = rng_r.integers(1, max(int(eff_time), 1) + 1, occ)
                    ev["ses_id"] = rng_r.integers(1, inp.ses_per_logic_tree_path + 1, occ)
                    event_parts.append(ev)
                    if inp.ground_motion_fields:
                        rows, sig, eps = rupture_gmfs(
                            sub, site_index, gsim, imts, occ, rng_r, inp.truncation_level,
                            correlation, sites, min_iml)
                        rows.event = rows.event + n_events
                        gmf_parts.append(rows)
                    else:
                        sig, eps = np.full((occ, n_imts), np.nan), np.zeros((occ, n_imts))
                    sig_parts.append(sig)
                    eps_parts.append(eps)
                    n_events += occ
                rows = rupture_rows(block.take(np.array([r])), n_occ[[r]], seeds[[r]])
                rows["rup_id"] = n_rups
                rup_parts.append(rows)
                n_rups += 1
    return _TaskOutput(
        ruptures=np.concatenate(rup_parts) if rup_parts else np.zeros(0, RUPTURE_DTYPE),
        events=np.concatenate(event_parts) if event_parts else np.zeros(0, EVENT_DTYPE),
        gmfs=GmfRows.concatenate(gmf_parts, n_imts),
        sig_inter=np.concatenate(sig_parts) if sig_parts else np.zeros((0, n_imts)),
        eps_inter=np.concatenate(eps_parts) if eps_parts else np.zeros((0, n_imts)),
    )


def curves_from_gmfs(
    gmfs: GmfRows, event_rlz: np.ndarray, n_sites: int, n_rlzs: int,
    imtls: dict[IMT, np.ndarray], effective_time: float, investigation_time: float,
) -> np.ndarray:
    """Probabilities of exceedance from GMFs, shape (n_sites, n_rlzs, n_levels).

    The rate of exceedance of a level is the number of events whose ground motion at the site
    is above it, divided by the effective time; poe = 1 - exp(-rate T).
    """
    n_levels = sum(len(v) for v in imtls.values())
    counts = np.zeros((n_sites, n_rlzs, n_levels))
    cell = np.asarray(gmfs.site, np.int64) * n_rlzs + event_rlz[gmfs.event]
    start = 0
    for m, levels in enumerate(imtls.values()):
        for lvl, level in enumerate(levels):
            above = gmfs.gmv[:, m] > level
            counts[:, :, start + lvl] = np.bincount(
                cell[above], minlength=n_sites * n_rlzs).reshape(n_sites, n_rlzs)
        start += len(levels)
    return 1.0 - np.exp(-counts / effective_time * investigation_time)


class EventBasedCalculator(Calculator):
    """Event-based calculator (``calculation_mode = event_based``)."""

    mode = "event_based"
    inputs: EventBasedInputs

    def prepare(self) -> None:
        inp = self.inputs
        self.tasks: list[tuple[Any, ...]] = []
        self.task_weights: list[int] = []
        by_sm: dict[int, list[Any]] = {}
        for rlz in inp.realizations:
            by_sm.setdefault(rlz.sm_index, []).append(rlz)
        for rlz in inp.realizations:
            for gsim in rlz.gsim_by_trt.values():
                for imt in inp.imtls:
                    gsim.check_imt(imt)
        part_offset = 0
        for sm_index, sm in enumerate(inp.source_models):
            for trt, sources in sm.groups.items():
                rlzs = [(r.index, r.gsim_by_trt[trt]) for r in by_sm.get(sm_index, [])
                        if trt in r.gsim_by_trt]
                if not sources or not rlzs:
                    continue
                spec = inp.spec_for(trt)
                for chunk in source_chunks(sources, spec.minimum_magnitude,
                                           inp.ruptures_per_task):
                    weight = sum(s.count_ruptures(spec.minimum_magnitude) for s in chunk)
                    self.tasks.append((chunk, part_offset, sm_index, rlzs, inp.sites, spec, inp))
                    self.task_weights.append(max(weight, 1))
                    part_offset += len(chunk)

    def execute(self) -> GmfResult:
        inp = self.inputs
        imts = list(inp.imtls)
        n_imts = len(imts)
        total = float(sum(self.task_weights)) or 1.0
        done = 0.0
        self.progress(0.0, total, "event_based")
        outputs: dict[int, _TaskOutput] = {}
        for index, out in self.executor.submit_all(event_based_task, self.tasks):
            outputs[index] = out
            done += self.task_weights[index]
            self.progress(done, total, "event_based")
        # renumber ruptures and events in task order (independent of the executor)
        rup_parts, event_parts, gmf_parts, sig_parts, eps_parts = [], [], [], [], []
        n_rups = n_events = 0
        for index in range(len(self.tasks)):
            out = outputs.pop(index)
            out.ruptures["rup_id"] += n_rups
            out.events["rup_id"] += n_rups
            out.events["event_id"] += n_events
            out.gmfs.event = out.gmfs.event + n_events
            rup_parts.append(out.ruptures)
            event_parts.append(out.events)
            gmf_parts.append(out.gmfs)
            sig_parts.append(out.sig_inter)
            eps_parts.append(out.eps_inter)
            n_rups += len(out.ruptures)
            n_events += len(out.events)
        events = np.concatenate(event_parts) if event_parts else np.zeros(0, EVENT_DTYPE)
        gmfs = GmfRows.concatenate(gmf_parts, n_imts)
        messages = []
        if n_rups == 0:
            messages.append(
                f"no rupture occurred within the maximum distance of the sites in "
                f"{inp.effective_time:g} years (investigation_time x ses_per_logic_tree_path)")
        curves = None
        if inp.hazard_curves_from_gmfs:
            poes = curves_from_gmfs(gmfs, events["rlz_id"].astype(np.int64), len(inp.sites),
                                    len(inp.realizations), inp.imtls, inp.effective_time,
                                    inp.investigation_time)
            curves = summarize_curves(inp, poes)
        return GmfResult(
            mode="event_based",
            sites=inp.sites,
            imts=imts,
            realizations=[(r.index, r.branch_path, r.weight) for r in inp.realizations],
            investigation_time=inp.investigation_time,
            ses_per_logic_tree_path=inp.ses_per_logic_tree_path,
            ruptures=np.concatenate(rup_parts) if rup_parts else np.zeros(0, RUPTURE_DTYPE),
            events=events,
            gmfs=gmfs,
            sig_inter=np.concatenate(sig_parts) if sig_parts else np.zeros((0, n_imts)),
            eps_inter=np.concatenate(eps_parts) if eps_parts else np.zeros((0, n_imts)),
            curves=curves,
            messages=messages,
        )
