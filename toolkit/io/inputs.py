"""Assemble the validated inputs of a calculation from a job.ini.

This is the one place that turns parsed files (job parameters, logic trees, source models,
sites) into the engine's input objects. Everything is read and validated here, before any
calculation is registered, so a job that fails validation writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.engine.hazard.calculators.classical import (
    ClassicalInputs,
    RealizationInput,
)
from toolkit.errors import InputError
from toolkit.io.horiz_component import apply_horiz_comp_to_geom_mean
from toolkit.io.jobini import JobParams, read_job_ini
from toolkit.io.logictree import (
    GsimLogicTree,
    SourceModelBranch,
    read_gsim_logic_tree,
    read_source_model_logic_tree,
)
from toolkit.io.lt_uncertainties import build_source_model_inputs
from toolkit.io.override_vs30 import apply_override_vs30
from toolkit.io.sites import read_sites
from toolkit.io.stat_options import read_use_rates

__all__ = ["load_job", "build_inputs", "input_files", "SUPPORTED_MODES"]


def load_job(
    job_ini: str | Path,
    *,
    modes: list[str] | None = None,
    overrides: dict[str, str] | None = None,
) -> JobParams:
    """Read and validate a job.ini (see :func:`toolkit.io.jobini.read_job_ini`)."""
    if modes is None:
        from toolkit.engine.hazard.calculators import calculators

        modes = calculators.names()
    return read_job_ini(job_ini, modes=modes, overrides=overrides)


def _gsim_logic_tree(params: JobParams) -> GsimLogicTree:
    if params.gsim_logic_tree_file is not None:
        return read_gsim_logic_tree(params.gsim_logic_tree_file)
    if params.gsim:
        return GsimLogicTree.from_gsim(params.gsim, where=params.where("gsim"))
    raise InputError(f"{params.job_ini}: give gsim_logic_tree_file or gsim")


def _source_model_branches(params: JobParams) -> list[SourceModelBranch]:
    if params.source_model_logic_tree_file is None:
        raise InputError(f"{params.job_ini}: source_model_logic_tree_file is required")
    return read_source_model_logic_tree(params.source_model_logic_tree_file)


#: calculation modes build_inputs supports
SUPPORTED_MODES = ("classical", "event_based", "scenario", "scenario_damage", "scenario_risk",
                   "event_based_risk", "classical_risk", "classical_damage", "disaggregation")


def build_inputs(params: JobParams) -> Any:
    """Build the engine inputs of the job's calculation mode.

    Returns
    -------
    ClassicalInputs, EventBasedInputs, ScenarioInputs or RiskInputs
        for ``calculation_mode`` classical, event_based, scenario or one of the risk modes
        (built by :func:`toolkit.io.risk_inputs.build_risk_inputs`).
    """
    mode = params.calculation_mode
    if mode not in SUPPORTED_MODES:
        raise InputError(
            f"{params.where('calculation_mode')}: calculation_mode "
            f"{mode!r} is not supported yet; supported: {list(SUPPORTED_MODES)}"
        )
    from toolkit.io.jobini import RISK_MODES

    if mode in RISK_MODES:
        from toolkit.io.risk_inputs import build_risk_inputs

        return build_risk_inputs(params)
    if mode == "scenario":
        return _scenario_inputs(params)
    if params.investigation_time is None:
        raise InputError(f"{params.job_ini}: investigation_time is required for {mode}")
    if mode == "classical" and (
        not params.imtls or any(len(v) == 0 for v in params.imtls.values())
    ):
        raise InputError(
            f"{params.where('intensity_measure_types_and_levels')}: classical needs "
            "intensity_measure_types_and_levels with levels for every IMT"
        )
    if mode == "disaggregation" or (mode == "classical"
                                    and (params.poes_disagg or params.iml_disagg)):
        return _disagg_inputs(params)
    classical = _classical_inputs(params)
    if mode == "classical":
        return classical
    from dataclasses import fields

    from toolkit.engine.hazard.calculators.event_based import EventBasedInputs

    correlation = _correlation(params)
    _check_correlation_gsims(params, correlation, [
        gsim for rlz in classical.realizations for gsim in rlz.gsim_by_trt.values()])
    return EventBasedInputs(
        **{f.name: getattr(classical, f.name) for f in fields(classical)},
        ses_per_logic_tree_path=params.ses_per_logic_tree_path,
        ses_seed=params.ses_seed,
        ground_motion_fields=params.ground_motion_fields,
        hazard_curves_from_gmfs=params.hazard_curves_from_gmfs,
        correlation=correlation,
        minimum_intensity=dict(params.minimum_intensity),
        maximum_rupture_depth=params.maximum_rupture_depth or None,
    )


def _correlation(params: JobParams) -> Any:
    """The spatial correlation model of the job, or None."""
    name = params.ground_motion_correlation_model
    if not name:
        if params.ground_motion_correlation_params:
            raise InputError(f"{params.where('ground_motion_correlation_params')}: "
                             "ground_motion_correlation_params given without "
                             "ground_motion_correlation_model")
        return None
    from toolkit.engine.hazard.correlation import get_correlation_model

    return get_correlation_model(name, dict(params.ground_motion_correlation_params),
                                 where=params.where("ground_motion_correlation_model"))


def _check_correlation_gsims(params: JobParams, correlation: Any, gsims: Any) -> None:
    """A spatial correlation model acts on intra-event residuals: every GSIM needs them."""
    if correlation is None:
        return
    for gsim in gsims:
        if "Intra event" not in type(gsim).DEFINED_FOR_STANDARD_DEVIATION_TYPES:
            raise InputError(
                f"{params.where('ground_motion_correlation_model')}: "
                f"ground_motion_correlation_model = {params.ground_motion_correlation_model} "
                f"needs GSIMs with inter- and intra-event standard deviations, but {gsim!r} "
                "has only a total standard deviation; remove the correlation model or use "
                "another GSIM")


def _scenario_inputs(params: JobParams, sites: Any = None, imts: list[Any] | None = None
                     ) -> Any:
    """ScenarioInputs of the job (``sites`` and ``imts`` default to the job's own)."""
    from toolkit.engine.hazard.calculators.scenario import ScenarioInputs
    from toolkit.io.ruptures import read_rupture_model, rupture_from_dict

    if params.rupture_model_file is not None:
        rupture = read_rupture_model(params.rupture_model_file, params.rupture_mesh_spacing)
    else:
        rupture = rupture_from_dict(dict(params.rupture_dict or {}),
                                    params.rupture_mesh_spacing,
                                    where=params.where("rupture_dict"))
    gsim_lt = _gsim_logic_tree(params)
    trt = rupture.trt
    if trt in gsim_lt.branch_sets or "*" in gsim_lt.branch_sets:
        branch_set = gsim_lt.branch_set(trt)
    elif len(gsim_lt.branch_sets) == 1:
        branch_set = next(iter(gsim_lt.branch_sets.values()))
    else:
        raise InputError(f"{gsim_lt.source}: the scenario rupture's tectonic region type "
                         f"{trt!r} has no GSIM branch set (have: {gsim_lt.trts})")
    gsims = []
    imts = list(params.imtls_by_imt) if imts is None else list(imts)
    for branch in branch_set.branches:
        gsim = apply_horiz_comp_to_geom_mean(
            branch.instantiate(), params, _branch_label(branch), branch.gsim_name, branch.kwargs)
        for imt in imts:
            try:
                gsim.check_imt(imt)
            except InputError as exc:
                raise InputError(f"{params.where('intensity_measure_types')}: {exc}") from None
        gsims.append((branch.code, gsim, branch.weight))
    distances = params.maximum_distance or {"default": 300.0}
    correlation = _correlation(params)
    _check_correlation_gsims(params, correlation, [gsim for _, gsim, _ in gsims])
    return ScenarioInputs(
        sites=apply_override_vs30(params, read_sites(params)) if sites is None else sites,
        rupture=rupture,
        gsims=gsims,
        imts=imts,
        number_of_ground_motion_fields=int(params.number_of_ground_motion_fields or 0),
        ses_seed=params.ses_seed,
        truncation_level=params.truncation_level,
        maximum_distance=distances.get(trt, distances.get("default", 300.0)),
        correlation=correlation,
        minimum_intensity=dict(params.minimum_intensity),
        minimum_distance=params.minimum_distance,
    )


def _branch_label(branch: Any) -> str:
    """``"<gsim logic tree> line <n>, branch 'b1'"`` for error messages."""
    where = getattr(branch, "where", "")
    return f"{where}, branch {branch.branch_id!r}" if where else f"branch {branch.branch_id!r}"


def _classical_inputs(params: JobParams, sites: Any = None, imtls: dict[Any, Any] | None = None
                      ) -> Any:
    """ClassicalInputs of the job (``sites`` and ``imtls`` default to the job's own)."""
    sites = apply_override_vs30(params, read_sites(params)) if sites is None else sites
    gsim_lt = _gsim_logic_tree(params)
    # source-model paths (logic-tree uncertainties) and realizations, enumerated or sampled
    source_models, realizations, sm_indices = build_source_model_inputs(params, gsim_lt)
    gsim_cache: dict[int, Any] = {}

    def gsim_of(branch: Any) -> Any:  # one instance per logic-tree branch
        if id(branch) not in gsim_cache:
            gsim_cache[id(branch)] = apply_horiz_comp_to_geom_mean(
                branch.instantiate(), params, _branch_label(branch), branch.gsim_name,
                branch.kwargs)
        return gsim_cache[id(branch)]

    rlzs = [
        RealizationInput(
            index=rlz.index,
            sm_index=sm_indices[k],
            gsim_by_trt={trt: gsim_of(b) for trt, b in rlz.gsim_branches.items()},
            weight=rlz.weight,
            branch_path=rlz.branch_path,
        )
        for k, rlz in enumerate(realizations)
    ]
    imtls = params.imtls_by_imt if imtls is None else imtls
    for rlz in rlzs:
        for gsim in rlz.gsim_by_trt.values():
            for imt in imtls:
                try:
                    gsim.check_imt(imt)
                except InputError as exc:
                    raise InputError(
                        f"{params.where('intensity_measure_types_and_levels')}: {exc}"
                    ) from None
    return ClassicalInputs(
        sites=sites,
        source_models=source_models,
        realizations=rlzs,
        imtls=imtls,
        investigation_time=params.investigation_time,
        truncation_level=params.truncation_level,
        maximum_distance=dict(params.maximum_distance) or {"default": 300.0},
        minimum_magnitude=dict(params.minimum_magnitude),
        minimum_distance=params.minimum_distance,
        poes=list(params.poes),
        quantiles=list(params.quantiles),
        mean=params.mean,
        uniform_hazard_spectra=params.uniform_hazard_spectra,
        use_rates=read_use_rates(params),
    )


def input_files(params: JobParams) -> list[Path]:
    """Every input file of the job (for checksums and archives)."""
    files = [params.job_ini]
    for path in (params.source_model_logic_tree_file, params.gsim_logic_tree_file,
                 params.sites_csv, params.rupture_model_file):
        if path is not None:
            files.append(path)
    if params.source_model_logic_tree_file is not None:
        for branch in read_source_model_logic_tree(params.source_model_logic_tree_file):
            files.extend(branch.files)
    files.extend(params.exposure_file)  # risk inputs
    files.extend(path for by_loss_type in params.risk_files.values()
                 for path in by_loss_type.values())
    files.extend(path for path in (params.gmfs_file, params.taxonomy_mapping_csv)
                 if path is not None)
    from toolkit.io.sites import site_model_paths

    files.extend(site_model_paths(params))
    return files


def _disagg_inputs(params: JobParams) -> Any:
    """DisaggInputs of a ``disaggregation`` job (or ``classical`` with ``poes_disagg`` or
    ``iml_disagg``); with ``iml_disagg`` alone the curves are computed at those levels."""
    from dataclasses import fields

    import numpy as np

    from toolkit.engine.hazard.calculators.disaggregation import (
        DEFAULT_OUTPUTS,
        DisaggInputs,
        DisaggSpec,
    )
    from toolkit.engine.hazard.disagg import OUTPUT_AXES
    from toolkit.engine.hazard.imt import from_string

    where = params.where("calculation_mode")
    poes_disagg = tuple(params.poes_disagg)
    if not poes_disagg and not params.iml_disagg and params.calculation_mode == "disaggregation":
        poes_disagg = tuple(params.poes)  # as OpenQuake: the hazard-map poes
    if not poes_disagg and not params.iml_disagg:
        raise InputError(f"{where}: disaggregation needs poes_disagg (or poes) or iml_disagg")
    iml = {from_string(k): v for k, v in params.iml_disagg.items()}
    imtls = params.imtls_by_imt if params.imtls else {k: np.array([v]) for k, v in iml.items()}
    for key in ("mag_bin_width", "distance_bin_width", "coordinate_bin_width"):
        if getattr(params, key) is None and key[:3] not in params.disagg_bin_edges:
            raise InputError(f"{params.job_ini}: missing {key}; required for disaggregation")
    unknown = [x for x in params.disagg_outputs if x not in OUTPUT_AXES]
    if unknown:
        raise InputError(f"{params.where('disagg_outputs')}: unknown disagg_outputs {unknown}; "
                         f"known: {sorted(OUTPUT_AXES)}")
    n_sites_max = params.max_sites_disagg
    classical = _classical_inputs(params, imtls=imtls)
    if len(classical.sites) > n_sites_max:
        raise InputError(f"{params.where('max_sites_disagg')}: {len(classical.sites)} sites to "
                         f"disaggregate, more than max_sites_disagg = {n_sites_max}")
    spec = DisaggSpec(
        poes_disagg=poes_disagg, iml_disagg=iml,
        mag_bin_width=params.mag_bin_width or 1.0,
        distance_bin_width=params.distance_bin_width or 1.0,
        coordinate_bin_width=params.coordinate_bin_width or 1.0,
        num_epsilon_bins=params.num_epsilon_bins,
        disagg_outputs=tuple(params.disagg_outputs) or DEFAULT_OUTPUTS,
        epsilon_star=params.epsilon_star, bin_edges=dict(params.disagg_bin_edges))
    return DisaggInputs(**{f.name: getattr(classical, f.name) for f in fields(classical)},
                        disagg=spec)
