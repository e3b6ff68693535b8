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
    SourceModelInput,
)
from toolkit.errors import InputError
from toolkit.io.jobini import JobParams, read_job_ini
from toolkit.io.logictree import (
    GsimLogicTree,
    SourceModelBranch,
    enumerate_realizations,
    read_gsim_logic_tree,
    read_source_model_logic_tree,
)
from toolkit.io.nrml import read_source_models
from toolkit.io.sites import read_sites

__all__ = ["load_job", "build_inputs", "input_files"]


def load_job(job_ini: str | Path, *, modes: list[str] | None = None) -> JobParams:
    """Read and validate a job.ini (see :func:`toolkit.io.jobini.read_job_ini`)."""
    if modes is None:
        from toolkit.engine.hazard.calculators import calculators

        modes = calculators.names()
    return read_job_ini(job_ini, modes=modes)


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


def build_inputs(params: JobParams) -> Any:
    """Build the engine inputs of the job's calculation mode.

    Returns
    -------
    ClassicalInputs
        for ``calculation_mode = classical`` (the only mode so far).
    """
    if params.calculation_mode != "classical":
        raise InputError(
            f"{params.where('calculation_mode')}: calculation_mode "
            f"{params.calculation_mode!r} is not supported yet; supported: ['classical']"
        )
    if params.investigation_time is None:
        raise InputError(f"{params.job_ini}: investigation_time is required for classical")
    if not params.imtls or any(len(v) == 0 for v in params.imtls.values()):
        raise InputError(
            f"{params.where('intensity_measure_types_and_levels')}: classical needs "
            "intensity_measure_types_and_levels with levels for every IMT"
        )
    sites = read_sites(params)
    branches = _source_model_branches(params)
    gsim_lt = _gsim_logic_tree(params)
    models = [read_source_models(branch.files, params=params) for branch in branches]
    trts_by_sm = {
        branch.branch_id: {group.trt for group in model.groups if group.sources}
        for branch, model in zip(branches, models, strict=True)
    }
    realizations = enumerate_realizations(branches, gsim_lt, trts_by_sm)
    source_models = [
        SourceModelInput(branch.branch_id, branch.weight, model.by_trt())
        for branch, model in zip(branches, models, strict=True)
    ]
    sm_index = {branch.branch_id: i for i, branch in enumerate(branches)}
    gsim_cache: dict[int, Any] = {}

    def gsim_of(branch: Any) -> Any:  # one instance per logic-tree branch
        if id(branch) not in gsim_cache:
            gsim_cache[id(branch)] = branch.instantiate()
        return gsim_cache[id(branch)]

    rlzs = [
        RealizationInput(
            index=rlz.index,
            sm_index=sm_index[rlz.sm_branch.branch_id],
            gsim_by_trt={trt: gsim_of(b) for trt, b in rlz.gsim_branches.items()},
            weight=rlz.weight,
            branch_path=rlz.branch_path,
        )
        for rlz in realizations
    ]
    imtls = params.imtls_by_imt
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
        poes=list(params.poes),
        quantiles=list(params.quantiles),
        mean=params.mean,
        uniform_hazard_spectra=params.uniform_hazard_spectra,
    )


def input_files(params: JobParams) -> list[Path]:
    """Every input file of the job (for checksums and archives)."""
    files = [params.job_ini]
    for path in (params.source_model_logic_tree_file, params.gsim_logic_tree_file,
                 params.sites_csv):
        if path is not None:
            files.append(path)
    if params.source_model_logic_tree_file is not None:
        for branch in read_source_model_logic_tree(params.source_model_logic_tree_file):
            files.extend(branch.files)
    return files
