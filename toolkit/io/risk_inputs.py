"""Assemble the inputs of a risk calculation from a job.ini.

:func:`build_risk_inputs` reads the exposure, the fragility or vulnerability models (one per
loss type, ``<loss_type>_fragility_file`` / ``<loss_type>_vulnerability_file``), the
optional taxonomy mapping, and the hazard part of the job, and returns a
:class:`~toolkit.engine.risk.calculators.RiskInputs` whose ``hazard`` is

* ``scenario_damage`` / ``scenario_risk``: a
  :class:`~toolkit.engine.hazard.calculators.gmfs.GmfResult` read from ``gmfs_file`` (or
  ``gmfs_csv``), or the :class:`ScenarioInputs` of the job's rupture (the calculator runs the
  scenario first);
* ``event_based_risk``: :class:`EventBasedInputs`;
* ``classical_risk`` / ``classical_damage``: :class:`ClassicalInputs`;
* ``None`` with ``hazard_calculation_id``: the jobs layer loads the previous calculation's
  results and sets ``hazard`` (this package does not read datastores).

Sites
-----
The sites are those of the job (``sites`` or ``sites_csv``) or, when it gives none, the
distinct locations of the assets (coordinates rounded to 5 decimals). OpenQuake 3.26 numbers
the sites of a risk job in (lon, lat) order (sorted by longitude, then latitude), and the site
ids (``sid``) of a GMF file refer to that order: in QA scenario_damage/case_1 the job lists
``15.48 38.25, 15.56 38.17, 15.48 38.09`` and the GMF of ``sid`` 0 (0.305 g) is exported at
(15.48, 38.09), which also gives the modal damage states of the expected output. The toolkit
does the same. With a ``sites_csv`` that has a ``site_id`` column, the ``sid`` of the GMF file
refers to that column (as the GMF reader does), then the sites are sorted likewise.

``region``: sites and assets strictly inside the polygon are kept (points on an edge are
outside: QA scenario_risk/case_1 drops the assets at lon 15.48 of a region whose western edge
is lon 15.48). Site ids of a GMF file refer to the sites before this filter.

Values
------
The exposed value of loss type ``occupants`` is the occupancy of the period ``time_event``
(``avg``: the mean over the exposure's periods); of any other loss type, the exposure's cost
of that type (``Exposure.values``).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np

from toolkit.engine.hazard.calculators.gmfs import EVENT_DTYPE, RUPTURE_DTYPE, GmfResult, GmfRows
from toolkit.engine.hazard.geo import points_in_polygon
from toolkit.engine.hazard.imt import from_string
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.engine.risk.calculators import AssetArrays, RiskFunctions, RiskInputs
from toolkit.errors import InputError
from toolkit.io.exposure import Exposure, read_exposure
from toolkit.io.jobini import JobParams, check_risk_requirements
from toolkit.io.riskmodels import (
    LOSS_TYPES,
    read_fragility_model,
    read_taxonomy_mapping,
    read_vulnerability_model,
)

__all__ = ["build_risk_inputs", "risk_sites", "gmfs_from_file", "FROM_FILE_BRANCH"]

#: branch path of the realization of GMFs read from a file
FROM_FILE_BRANCH = "FromFile"

_DECIMALS = 5


def _ordered_loss_types(names: list[str]) -> list[str]:
    """The standard loss types first (structural, nonstructural, ...), then the others."""
    known = [lt for lt in LOSS_TYPES if lt in names]
    return known + sorted(n for n in names if n not in LOSS_TYPES)


# --------------------------------------------------------------------------- risk models
def _risk_models(params: JobParams, exposure: Exposure, keep: np.ndarray
                 ) -> dict[str, RiskFunctions]:
    damage = params.calculation_mode.endswith("damage")
    kind = "fragility" if damage else "vulnerability"
    files = params.risk_files.get(kind, {})
    taxonomies = np.unique(exposure.taxonomy[keep]) if keep.any() else np.unique(
        exposure.taxonomy)
    first = {t: int(np.flatnonzero(exposure.taxonomy == t)[0]) for t in taxonomies}
    models: dict[str, RiskFunctions] = {}
    for lt in _ordered_loss_types(list(files)):
        path = files[lt]
        model = (read_fragility_model(path, lt) if damage
                 else read_vulnerability_model(path, lt))
        source = str(path)
        mapping: dict[str, list[tuple[str, float]]] | None = None
        if params.taxonomy_mapping_csv is not None:
            mapping = read_taxonomy_mapping(params.taxonomy_mapping_csv, lt)
            source += f" (through the taxonomy mapping {params.taxonomy_mapping_csv})"
        functions: list[Any] = []
        index: dict[str, int] = {}
        by_taxonomy: dict[str, list[tuple[int, float]]] = {}
        for tax in taxonomies:
            tax = str(tax)
            if mapping is not None and tax not in mapping:
                raise InputError(f"{exposure.where(first[tax])}: taxonomy {tax!r} is not in "
                                 f"the taxonomy mapping {params.taxonomy_mapping_csv}")
            entries = mapping[tax] if mapping is not None else [(tax, 1.0)]
            by_taxonomy[tax] = []
            for risk_id, weight in entries:
                if risk_id not in model.functions:
                    via = f" (mapped to {risk_id!r})" if risk_id != tax else ""
                    raise InputError(
                        f"{exposure.where(first[tax])}: taxonomy {tax!r}{via} has no {kind} "
                        f"function for loss type {lt!r} in {path} (it has "
                        f"{', '.join(sorted(model.functions))})")
                if risk_id not in index:
                    index[risk_id] = len(functions)
                    functions.append(model.functions[risk_id])
                by_taxonomy[tax].append((index[risk_id], float(weight)))
        states = ["no_damage", *model.limit_states] if damage else []
        models[lt] = RiskFunctions(lt, kind, functions, by_taxonomy, states, source)
    if damage:
        states = {lt: m.damage_states for lt, m in models.items()}
        if len({tuple(v) for v in states.values()}) > 1:
            raise InputError(f"{params.job_ini}: the fragility models have different limit "
                             f"states: {states}")
    return models


def _values(params: JobParams, exposure: Exposure, loss_types: list[str], keep: np.ndarray
            ) -> dict[str, np.ndarray]:
    """Exposed value of every asset per loss type (risk modes only)."""
    out = {}
    for lt in loss_types:
        if lt == "occupants":
            periods = exposure.occupancy_periods
            if not periods:
                raise InputError(f"{exposure.path}: the exposure has no occupancy, needed by "
                                 "the occupants vulnerability model")
            if params.time_event == "avg":
                stacked = np.stack([exposure.occupants[p] for p in periods])
                values = np.nanmean(stacked, axis=0)
            elif params.time_event in exposure.occupants:
                values = exposure.occupants[params.time_event]
            else:
                raise InputError(f"{params.where('time_event')}: time_event "
                                 f"{params.time_event!r} is not an occupancy period of the "
                                 f"exposure ({', '.join(periods)})")
        elif lt in exposure.values:
            values = exposure.values[lt]
        else:
            raise InputError(
                f"{params.job_ini}: loss type {lt!r} has a vulnerability model but the "
                f"exposure {exposure.path} has no {lt!r} cost (its cost types: "
                f"{', '.join(exposure.values) or 'none'})")
        bad = keep & ~np.isfinite(values)
        if bad.any():
            raise InputError(f"{exposure.where(int(np.argmax(bad)))}: the asset has no "
                             f"{lt!r} value, needed by the {lt} vulnerability model")
        negative = keep & (values < 0)
        if negative.any():
            raise InputError(f"{exposure.where(int(np.argmax(negative)))}: the {lt!r} value "
                             "must be >= 0")
        out[lt] = np.asarray(values, dtype=float)
    return out


def _check_loss_type_keys(params: JobParams, loss_types: list[str]) -> None:
    kind = "fragility" if params.calculation_mode.endswith("damage") else "vulnerability"
    for name in params.minimum_asset_loss:
        if name != "default" and name not in loss_types:
            raise InputError(f"{params.where('minimum_asset_loss')}: minimum_asset_loss names "
                             f"the loss type {name!r}, but the {kind} models are for "
                             f"{', '.join(loss_types)} only")


def _check_tags(params: JobParams, exposure: Exposure) -> None:
    known = ["id", "taxonomy", *exposure.tag_names]
    for group in params.aggregate_by:
        for tag in group:
            if tag not in known:
                raise InputError(f"{params.where('aggregate_by')}: aggregate_by tag {tag!r} is "
                                 f"not a tag of the exposure {exposure.path} (tags: "
                                 f"{', '.join(known)})")


# --------------------------------------------------------------------------- sites
def _given_sites(params: JobParams) -> np.ndarray | None:
    from toolkit.io.sites import read_sites_csv

    if params.sites is not None:
        return np.asarray(params.sites, dtype=float).reshape(-1, 3)
    if params.sites_csv is not None:
        return read_sites_csv(params.sites_csv)
    return None


def risk_sites(params: JobParams, asset_lons: np.ndarray, asset_lats: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The hazard sites of a risk job, in OpenQuake's (lon, lat) order.

    Returns
    -------
    coords : ndarray (N, 3)
        lon, lat (rounded to 5 decimals), depth of the sites kept (inside ``region``),
        sorted by lon then lat.
    by_row : ndarray of int (n_given,)
        For the sites of the job in the job's order, their index in ``coords`` (-1 when
        dropped by the region).
    by_sorted : ndarray of int (n_given,)
        The same for the sites of the job numbered in (lon, lat) order (the ``sid`` of a GMF
        file); both are ``arange(N)`` for sites taken from the assets.
    messages : list of str
    """
    messages: list[str] = []
    given = _given_sites(params)
    where = (params.where("sites") if params.sites is not None else str(params.sites_csv))
    if given is None:
        lonlat = np.round(np.stack([asset_lons, asset_lats], axis=1), _DECIMALS)
        lonlat = np.unique(lonlat, axis=0)  # sorted by lon, then lat
        coords = np.concatenate([lonlat, np.zeros((len(lonlat), 1))], axis=1)
        return coords, np.arange(len(coords)), np.arange(len(coords)), messages
    if len(given) == 0:
        raise InputError(f"{where}: the site list is empty")
    coords = given.copy()
    coords[:, :2] = np.round(coords[:, :2], _DECIMALS)
    _, first, inverse = np.unique(coords[:, :2], axis=0, return_index=True,
                                  return_inverse=True)
    dup = np.flatnonzero(first[inverse.reshape(-1)] != np.arange(len(coords)))
    if dup.size:
        i = int(dup[0])
        raise InputError(f"{where}: sites {int(first[inverse.reshape(-1)[i]]) + 1} and {i + 1} "
                         f"are the same site ({coords[i, 0]:.5f}, {coords[i, 1]:.5f})")
    order = np.lexsort((coords[:, 1], coords[:, 0]))
    inside = np.ones(len(coords), dtype=bool)
    if params.region is not None:
        inside = points_in_polygon(coords[:, 0], coords[:, 1], params.region[:, 0],
                                   params.region[:, 1])
        if not inside.any():
            raise InputError(f"{params.where('region')}: no site of {where} is inside the "
                             "region")
        if not inside.all():
            messages.append(f"{int((~inside).sum())} site(s) outside the region were "
                            "discarded")
    kept = order[inside[order]]
    by_row = np.full(len(coords), -1, dtype=np.int64)
    by_row[kept] = np.arange(len(kept))
    return coords[kept], by_row, by_row[order], messages


def _site_collection(params: JobParams, coords: np.ndarray, with_params: bool
                     ) -> SiteCollection:
    if not with_params:
        return SiteCollection(lons=coords[:, 0], lats=coords[:, 1], depths=coords[:, 2])
    from toolkit.io.sites import site_collection_at

    return site_collection_at(params, coords, "the hazard sites of the assets")


# --------------------------------------------------------------------------- hazard
def gmfs_from_file(params: JobParams, coords: np.ndarray, by_row: np.ndarray,
                   by_sorted: np.ndarray) -> GmfResult:
    """The GMFs of ``gmfs_file`` as a scenario :class:`GmfResult` on the sites ``coords``.

    The site ids of the file refer to the rows of the ``sites_csv`` (its ``site_id`` column
    when present) or else to the sites in (lon, lat) order; ``by_row`` and ``by_sorted``
    (see :func:`risk_sites`) map them to the kept sites.
    Events are the distinct event ids of the file; realizations the distinct ``rlzi`` (equal
    weights; one realization ``FromFile`` without that column).
    """
    from toolkit.io.gmfs_csv import read_gmfs_csv

    path = params.gmfs_file
    assert path is not None
    from_csv = params.sites is None and params.sites_csv is not None
    data = read_gmfs_csv(path, params.sites_csv if from_csv else None)
    number = by_row if from_csv else by_sorted
    n_given = len(number)
    sid = np.asarray(data.site_id, dtype=np.int64)
    bad = sid >= n_given
    if bad.any():
        raise InputError(f"{path}: site id {int(sid[np.argmax(bad)])} is not a site of the job "
                         f"({n_given} sites, ids 0..{n_given - 1} in (lon, lat) order)")
    site = number[sid]
    keep = site >= 0
    imts = [from_string(name) for name in data.imts]
    gmv = np.stack([data.gmv[name] for name in data.imts], axis=1)
    event_ids, first = np.unique(data.event_id, return_index=True)
    rlz_col = (np.asarray(data.rlz_id, dtype=np.int64) if data.rlz_id is not None
               else np.zeros(len(data.event_id), dtype=np.int64))
    rlz_of_event = rlz_col[first]
    pos = np.searchsorted(event_ids, data.event_id)
    if np.any(rlz_col != rlz_of_event[pos]):
        raise InputError(f"{path}: an event appears with two different realizations (rlzi)")
    rlz_ids = np.unique(rlz_of_event)
    events = np.zeros(len(event_ids), EVENT_DTYPE)
    events["event_id"] = event_ids
    events["rlz_id"] = rlz_of_event
    realizations = [(int(r), FROM_FILE_BRANCH if len(rlz_ids) == 1 else
                     f"{FROM_FILE_BRANCH}~{int(r)}", 1.0 / len(rlz_ids)) for r in rlz_ids]
    n_imts = len(imts)
    return GmfResult(
        mode="scenario", sites=SiteCollection(lons=coords[:, 0], lats=coords[:, 1],
                                              depths=coords[:, 2]),
        imts=imts, realizations=realizations, investigation_time=None,
        ses_per_logic_tree_path=1, ruptures=np.zeros(0, RUPTURE_DTYPE), events=events,
        gmfs=GmfRows(np.asarray(data.event_id, dtype=np.int64)[keep], site[keep], gmv[keep]),
        sig_inter=np.full((len(events), n_imts), np.nan),
        eps_inter=np.zeros((len(events), n_imts)))


def _function_levels(models: dict[str, RiskFunctions], n_continuous: int
                     ) -> dict[str, np.ndarray]:
    """IMT -> the sorted positive levels of the risk functions (classical hazard levels)."""
    levels: dict[str, list[np.ndarray]] = {}
    for model in models.values():
        for f in model.functions:
            if getattr(f, "format", None) == "continuous":
                lo = f.min_iml if f.min_iml else float(np.min(f.means)) / 10.0
                hi = f.max_iml if f.max_iml else float(np.max(f.means)) * 10.0
                arr = np.linspace(lo, hi, n_continuous)
            else:
                arr = np.asarray(f.imls, dtype=float)
            levels.setdefault(f.imt, []).append(arr)
    out = {}
    for imt, arrays in levels.items():
        values = np.unique(np.concatenate(arrays))
        out[imt] = values[values > 0]
    return out


def _hazard_imtls(params: JobParams, models: dict[str, RiskFunctions], need_levels: bool
                  ) -> dict[Any, np.ndarray]:
    """The IMTs (and levels) of the hazard part: the job's, else those of the functions."""
    wanted = _function_levels(models, params.continuous_fragility_discretization)
    if params.imtls:
        missing = sorted(set(wanted) - set(params.imtls))
        if missing:
            raise InputError(f"{params.where('intensity_measure_types_and_levels')}: the risk "
                             f"functions use {', '.join(missing)}, which the job's intensity "
                             f"measure types ({', '.join(params.imtls)}) do not include")
        imtls = {name: (levels if len(levels) or not need_levels else wanted.get(
            name, np.empty(0))) for name, levels in params.imtls.items()}
    else:
        imtls = wanted
    if need_levels:
        for name, levels in imtls.items():
            if len(levels) < 2:
                raise InputError(f"{params.job_ini}: classical risk needs at least two "
                                 f"intensity levels for {name}: give "
                                 "intensity_measure_types_and_levels")
    return {from_string(name): np.asarray(levels, dtype=float) for name, levels in
            imtls.items()}


def _hazard(params: JobParams, models: dict[str, RiskFunctions], coords: np.ndarray,
            by_row: np.ndarray, by_sorted: np.ndarray) -> Any:
    from toolkit.io import inputs

    mode = params.calculation_mode
    if params.hazard_calculation_id is not None:
        return None
    if params.gmfs_file is not None:
        return gmfs_from_file(params, coords, by_row, by_sorted)
    sites = _site_collection(params, coords, with_params=True)
    if mode.startswith("scenario"):
        imts = list(_hazard_imtls(params, models, need_levels=False))
        return inputs._scenario_inputs(params, sites=sites, imts=imts)
    if params.investigation_time is None:
        raise InputError(f"{params.job_ini}: investigation_time is required for {mode}")
    classical_like = mode.startswith("classical")
    imtls = _hazard_imtls(params, models, need_levels=classical_like)
    classical = inputs._classical_inputs(params, sites=sites, imtls=imtls)
    if classical_like:
        return classical
    from toolkit.engine.hazard.calculators.event_based import EventBasedInputs

    correlation = inputs._correlation(params)
    check = getattr(inputs, "_check_correlation_gsims", None)
    if check is not None:
        check(params, correlation, [g for r in classical.realizations
                                    for g in r.gsim_by_trt.values()])
    return EventBasedInputs(
        **{f.name: getattr(classical, f.name) for f in fields(classical)},
        ses_per_logic_tree_path=params.ses_per_logic_tree_path,
        ses_seed=params.ses_seed,
        ground_motion_fields=True,
        hazard_curves_from_gmfs=params.hazard_curves_from_gmfs,
        correlation=correlation,
        minimum_intensity=dict(params.minimum_intensity),
        maximum_rupture_depth=params.maximum_rupture_depth or None,
    )


# --------------------------------------------------------------------------- entry point
def build_risk_inputs(params: JobParams) -> RiskInputs:
    """Read and validate everything a risk calculation needs (see the module docstring).

    Raises
    ------
    InputError
        Missing keys or files (:func:`toolkit.io.jobini.check_risk_requirements`), invalid
        exposure or risk models (their readers), a taxonomy without a function (naming the
        taxonomy, the asset's line and the model file), a loss type without exposed values,
        unknown loss types in ``minimum_asset_loss`` or tags in ``aggregate_by``, no asset or
        site inside the region.
    """
    check_risk_requirements(params)
    from toolkit.io.override_vs30 import refuse_override_vs30

    refuse_override_vs30(params, f"calculation_mode = {params.calculation_mode}")
    exposure = read_exposure(list(params.exposure_file))
    messages: list[str] = []
    keep = np.ones(len(exposure), dtype=bool)
    if params.region is not None:
        keep = points_in_polygon(exposure.lon, exposure.lat, params.region[:, 0],
                                 params.region[:, 1])
        if not keep.any():
            raise InputError(f"{params.where('region')}: no asset of {exposure.path} is inside "
                             "the region")
        if not keep.all():
            messages.append(f"{int((~keep).sum())} asset(s) outside the region were discarded")
    _check_tags(params, exposure)
    models = _risk_models(params, exposure, keep)
    loss_types = list(models)
    _check_loss_type_keys(params, loss_types)
    damage = params.calculation_mode.endswith("damage")
    values = {} if damage else _values(params, exposure, loss_types, keep)
    index = np.flatnonzero(keep)
    assets = AssetArrays(
        asset_id=exposure.asset_id[index], lon=exposure.lon[index], lat=exposure.lat[index],
        taxonomy=exposure.taxonomy[index], number=exposure.number[index],
        values={lt: v[index] for lt, v in values.items()},
        tags={name: exposure.tags[name][index] for name in exposure.tag_names},
        tag_names=list(exposure.tag_names),
        taxonomies=sorted({str(t) for t in exposure.taxonomy}), ordinal=index)
    empty = np.zeros(0, np.int64)
    coords, by_row, by_sorted, site_messages = (
        (np.zeros((0, 3)), empty, empty, []) if params.hazard_calculation_id is not None
        else risk_sites(params, assets.lon, assets.lat))
    messages = site_messages + messages
    hazard = _hazard(params, models, coords, by_row, by_sorted)
    return RiskInputs(
        mode=params.calculation_mode,
        assets=assets,
        models=models,
        hazard=hazard,
        hazard_calculation_id=params.hazard_calculation_id,
        asset_hazard_distance=params.asset_hazard_distance,
        master_seed=params.master_seed,
        asset_correlation=params.asset_correlation,
        discrete_damage_distribution=params.discrete_damage_distribution,
        modal_damage_state=params.modal_damage_state,
        ignore_covs=params.ignore_covs,
        minimum_asset_loss=dict(params.minimum_asset_loss),
        aggregate_by=[tuple(g) for g in params.aggregate_by],
        return_periods=list(params.return_periods),
        risk_investigation_time=params.risk_investigation_time,
        lrem_steps_per_interval=max(1, params.lrem_steps_per_interval),
        steps_per_interval=params.steps_per_interval,
        quantiles=list(params.quantiles),
        sites_from_csv=params.sites is None and params.sites_csv is not None,
        messages=messages,
    )
