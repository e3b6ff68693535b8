"""job.ini keys that change OpenQuake's results but are not implemented: refused, never ignored.

OpenQuake 3.26 accepts about 190 job.ini keys. The toolkit knows them all (no "unknown key"
warning), but a few change the numbers OpenQuake computes and have no counterpart in the
toolkit. Silently ignoring such a key would give results that differ from OpenQuake's without
notice, so :func:`check_unsupported` refuses it with an :class:`~toolkit.errors.InputError`
naming the file, the line and the key, **but only when its value differs from OpenQuake's
default**: a job.ini that spells out a default (``discard_trts =``, ``site_labels = {}``,
``tectonic_region_type = *``, ``infer_occur_rates = false``, ...) is accepted.

Not refused (see the module :mod:`toolkit.io.jobini` and ``docs/differences-from-openquake.md``):

* settings with no effect on the results (performance, tiling, caching, exports,
  descriptions);
* approximations whose omission gives the exact answer (``pointsource_distance``,
  ``ps_grid_spacing``, ``collapse_level``): the toolkit always computes the exact hazard;
* keys tied to a feature that is itself refused (``amplification_method``,
  ``soil_intensities``, ``vs30_tolerance``, ``reqv_ignore_sources``: site amplification and
  equivalent distances; ``spatial_correlation``, ``truncated_mvn``, ``correlation_cutoff``,
  ``with_betw_ratio``: ShakeMaps and conditioned ground-motion fields).

The OpenQuake defaults below were measured on OpenQuake 3.26.2 (its ``OqParam`` defaults, read
as a black box); the meanings are those of the OpenQuake job.ini documentation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from toolkit.errors import InputError

__all__ = ["UNSUPPORTED", "check_unsupported", "is_default"]

_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})


def _false(text: str) -> bool:
    """A boolean whose default is false (an unparsable value is not a default)."""
    return text.lower() in _FALSE


def _zero(text: str) -> bool:
    """A number whose default is 0."""
    try:
        return float(text) == 0.0
    except ValueError:
        return False


def _star(text: str) -> bool:
    """A tectonic-region-type filter whose default is ``*`` (every type)."""
    return text in ("*", "'*'", '"*"')


def _yes(text: str) -> bool:
    """A correlation switch whose default is ``yes``; ``no`` (no correlation, what the
    toolkit computes) is accepted too."""
    return text.lower() in ("yes", "no")


def _infinite(text: str) -> bool:
    """``extreme_gmv``: its default is no threshold (``inf`` or ``{"default": inf}``)."""
    compact = text.replace(" ", "").replace("'", '"').lower()
    if compact in ('{"default":inf}', "{}"):
        return True
    try:
        return math.isinf(float(text)) and float(text) > 0
    except ValueError:
        return False


def _unity(text: str) -> bool:
    """A factor whose default is 1."""
    try:
        return float(text) == 1.0
    except ValueError:
        return False


def _unset(text: str) -> bool:
    """A key whose default is unset (``None``)."""
    return text.lower() in ("none", "false")


def _empty(text: str) -> bool:
    """A list, dict or file key whose default is empty."""
    return text in ("", "[]", "{}", "()")


#: key -> (test: is the raw text OpenQuake's default?, what the key does in OpenQuake)
UNSUPPORTED: dict[str, tuple[Callable[[str], bool], str]] = {
    # source model / logic tree selection
    "discard_trts": (_empty, "sources of the listed tectonic region types are discarded"),
    "keep_trt": (_empty, "the only tectonic region type of the GSIM logic tree"),
    "tectonic_region_type": (_star, "a tectonic region type filter (default *: all)"),
    "source_id": (_empty, "only the listed sources are used"),
    "smlt_branch": (_empty, "only one source-model logic-tree branch is used"),
    "collapse_gsim_logic_tree": (_empty, "the GSIM logic tree of the listed tectonic region "
                                         "types is collapsed to its weighted mean"),
    "infer_occur_rates": (_false, "occurrence rates inferred from the first probability of "
                                  "occurrence of non-parametric ruptures"),
    "maximum_rupture_depth": (_empty, "the ground motions of ruptures deeper than the given "
                                      "depth (km, per tectonic region type) are discarded; "
                                      "valid in event_based calculations only"),
    "floating_x_step": (_zero, "along-strike step of floating ruptures of kite faults"),
    "floating_y_step": (_zero, "down-dip step of floating ruptures of kite faults"),
    "source_model_file": (_empty, "a source model without a logic tree (use "
                                  "source_model_logic_tree_file)"),
    # sites
    "site_labels": (_empty, "site labels selecting per-region GSIM logic trees"),
    "reference_backarc": (_false, "the backarc flag of the reference site parameters"),
    # ground-motion fields
    "extreme_gmv": (_infinite, "ground-motion values above the threshold are extreme and "
                               "treated specially"),
    "truncation_level_between": (_empty, "truncation of the between-event term"),
    "truncation_level_within": (_empty, "truncation of the within-event term"),
    "cross_correlation": (_yes, "cross-correlation model between intensity measure types"),
    "station_data_file": (_empty, "ground-motion fields conditioned on station data"),
    "shakemap_uri": (_empty, "ground motions from a ShakeMap"),
    "shakemap_file": (_empty, "ground motions from a ShakeMap"),
    "shakemap_id": (_empty, "ground motions from a USGS ShakeMap"),
    "mmi_file": (_empty, "macroseismic intensity input"),
    "secondary_perils": (_empty, "secondary perils (liquefaction, landslides) computed from "
                                 "the ground motions"),
    "sec_peril_params": (_empty, "parameters of secondary perils"),
    # disaggregation / conditional spectrum
    "rlz_index": (_empty, "disaggregation of the given realizations"),
    "imt_ref": (_empty, "reference IMT of a conditional spectrum"),
    # risk inputs
    "hazard_curves_file": (_empty, "hazard curves read from a file instead of computed"),
    "hazard_curves_csv": (_empty, "hazard curves read from a file instead of computed"),
    "ins_loss_file": (_empty, "insured losses"),
    "post_loss_amplification_file": (_empty, "post-loss amplification of the losses"),
    "multi_peril_csv": (_empty, "multi-peril inputs"),
    "input_model_file": (_empty, "infrastructure network input model"),
    "ash_wet_amplification_factor": (_unity, "wet-ash amplification of volcanic loads"),
    "ignore_master_seed": (_unset, "loss uncertainty due to the vulnerability functions "
                                   "estimated analytically instead of sampled"),
    "aggregate_exposure": (_false, "the exposure aggregated by hazard site and taxonomy"),
}

#: keys accepted in a mode although not applied there (see the module docstring of
#: ``check_unsupported``): OpenQuake's QA event_based/case_1 sets ``maximum_rupture_depth =
#: {'default': 10}`` on sources whose ruptures are all shallower (no effect)
_NOT_CHECKED: dict[str, frozenset[str]] = {"event_based": frozenset({"maximum_rupture_depth"})}

#: calculation modes in which ``minimum_distance`` is applied (the classical kernel)
MINIMUM_DISTANCE_MODES = frozenset({
    "classical", "preclassical", "event_based", "scenario", "scenario_damage", "scenario_risk",
    "event_based_risk", "classical_risk", "classical_damage"})


def is_default(key: str, text: str) -> bool:
    """True if the raw job.ini ``text`` of an :data:`UNSUPPORTED` ``key`` is OpenQuake's default
    (empty text is always the default)."""
    text = text.strip()
    return not text or UNSUPPORTED[key][0](text)


def check_unsupported(values: Mapping[str, str], where: Callable[[str], str]) -> None:
    """Refuse the unsupported keys of a job.ini that are set to a non-default value.

    Parameters
    ----------
    values : mapping of str -> str
        The raw job.ini values by (lower-case) key.
    where : callable
        ``where(key)`` -> ``"file line N"`` (for the messages).

    Raises
    ------
    InputError
        Naming the file, line and key, what the key does in OpenQuake and that the toolkit
        does not implement it.

    Notes
    -----
    ``maximum_rupture_depth`` is not checked in event_based calculations, where it is **not
    applied** (a known gap: OpenQuake 3.26 discards the ground motions of the ruptures deeper
    than it, measured by running it on a modified QA event_based/case_1).
    """
    mode = values.get("calculation_mode", "").strip()
    for key, (_, what) in UNSUPPORTED.items():
        if key in _NOT_CHECKED.get(mode, ()):
            continue
        if key in values and not is_default(key, values[key]):
            raise InputError(
                f"{where(key)}: {key} = {values[key].strip()!r} is not supported by the toolkit "
                f"(in OpenQuake: {what}); remove it or set it to OpenQuake's default")
    _check_minimum_distance(values, where)


def _check_minimum_distance(values: Mapping[str, str], where: Callable[[str], str]) -> None:
    """``minimum_distance`` > 0 is applied by the classical, event-based and scenario contexts
    (and the risk modes that compute their hazard with them); the disaggregation contexts do
    not apply it yet, so it is refused there."""
    text = values.get("minimum_distance", "").strip()
    if not text or _zero(text):
        return
    mode = values.get("calculation_mode", "").strip()
    disagg = any(values.get(k, "").strip() for k in ("poes_disagg", "iml_disagg"))
    if mode not in MINIMUM_DISTANCE_MODES or disagg:
        what = "disaggregation" if disagg or mode == "disaggregation" else mode
        raise InputError(f"{where('minimum_distance')}: minimum_distance = {text} is not "
                         f"supported for {what} yet (only classical hazard curves and "
                         "event-based / scenario ground motions apply it); remove it or set "
                         "it to 0")
