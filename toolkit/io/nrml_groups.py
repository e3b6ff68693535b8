"""Attributes of NRML 0.5 ``<sourceGroup>`` elements and of their sources' occurrence models.

Read here (semantics in :mod:`toolkit.engine.hazard.groups`):

* ``src_interdep="indep"|"mutex"`` with ``srcs_weights="w1 w2 ..."`` (one weight per source,
  in [0, 1], summing to 1) for mutually exclusive sources;
* ``rup_interdep="indep"|"mutex"``: mutually exclusive ruptures, allowed for
  ``nonParametricSeismicSource`` elements only, whose ``rup_weights="..."`` attribute (or a
  ``weight`` attribute on every rupture element) gives one weight per rupture (summing to at
  most 1);
* ``cluster="true"`` with ``tom="PoissonTOM"`` (the default) and ``occurrence_rate`` (> 0,
  per year): the sources occur together as a Poissonian cluster;
* ``tom="NegativeBinomialTOM"`` with ``mu`` and ``alpha`` on a source of a group.

``grp_probability`` and other temporal occurrence models stay refused.
"""

from __future__ import annotations

import math
from typing import Any

from toolkit.engine.hazard.groups import GroupSemantics, GroupSource, NegativeBinomialTOM
from toolkit.errors import InputError

__all__ = ["read_group_semantics", "read_source_tom", "wrap_group", "group_sources"]

_INTERDEP = ("indep", "mutex")
#: sourceGroup attributes known to OpenQuake that the toolkit refuses
_REFUSED = ("grp_probability",)


def _floats(text: str, what: str, where: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split())
    except ValueError:
        raise InputError(f"{where}: {what} must be a list of numbers, got {text!r}") from None
    if not values or any(not (math.isfinite(v) and 0 <= v <= 1) for v in values):
        raise InputError(f"{where}: {what} must be numbers in [0, 1], got {text!r}")
    return values


def _positive(node: Any, name: str) -> float:
    text = node.attrib.get(name)
    if text is None:
        raise InputError(f"{node.where}: missing attribute {name!r}")
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{node.where}: {name} must be a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"{node.where}: {name} must be positive, got {text!r}")
    return value


def read_source_tom(node: Any, in_group: bool) -> NegativeBinomialTOM | None:
    """The temporal occurrence model of a source element: None for ``PoissonTOM`` (the
    default), a :class:`NegativeBinomialTOM` for ``tom="NegativeBinomialTOM"`` with ``mu``
    and ``alpha`` inside a ``<sourceGroup>``.

    Raises
    ------
    InputError
        Any other model, a missing or non-positive ``mu``/``alpha``, or a negative binomial
        source outside a ``<sourceGroup>``.
    """
    tom = node.attrib.get("tom", "PoissonTOM").strip()
    if tom == "PoissonTOM":
        return None
    if tom != "NegativeBinomialTOM":
        raise InputError(f"{node.where}: temporal occurrence model tom={tom!r} is not "
                         "supported yet (supported: 'PoissonTOM', 'NegativeBinomialTOM')")
    if not in_group:
        raise InputError(f"{node.where}: a source with tom='NegativeBinomialTOM' must be "
                         "inside a <sourceGroup> (NRML 0.5)")
    return NegativeBinomialTOM(mu=_positive(node, "mu"), alpha=_positive(node, "alpha"))


def _rupture_weights(child: Any) -> tuple[float, ...] | None:
    """``rup_weights`` of a non-parametric source element, or the ``weight`` attributes of
    its rupture elements; None when neither is given."""
    text = child.attrib.get("rup_weights")
    if text is not None:
        return _floats(text, "rup_weights", child.where)
    weights = [r.attrib.get("weight") for r in child.children]
    if weights and all(w is not None for w in weights):
        return _floats(" ".join(weights), "rupture weights", child.where)
    return None


def read_group_semantics(node: Any) -> GroupSemantics | None:
    """Read the attributes of a ``<sourceGroup>`` element (and the occurrence models of its
    sources); None for a group of independent Poissonian sources.

    Raises
    ------
    InputError
        Unknown values, weights missing, of the wrong length or not summing to 1, a cluster
        without a positive ``occurrence_rate``; messages name file and line.
    """
    where = node.where
    for attr in _REFUSED:
        if attr in node.attrib:
            raise InputError(f"{where}: the sourceGroup attribute {attr!r} is not supported "
                             "yet")
    interdep = {}
    for attr in ("src_interdep", "rup_interdep"):
        value = node.attrib.get(attr, "indep").strip().lower()
        if value not in _INTERDEP:
            raise InputError(f"{where}: sourceGroup {attr}={value!r} is not valid (expected "
                             "'indep' or 'mutex')")
        interdep[attr] = value == "mutex"
    cluster = node.attrib.get("cluster", "false").strip().lower()
    if cluster not in ("true", "false"):
        raise InputError(f"{where}: sourceGroup cluster={cluster!r}: expected 'true' or "
                         "'false'")
    tom = node.attrib.get("tom", "PoissonTOM").strip()
    if tom != "PoissonTOM":
        raise InputError(f"{where}: sourceGroup tom={tom!r} is not supported yet (only "
                         "'PoissonTOM')")
    cluster_rate = None
    if cluster == "true":
        cluster_rate = _positive(node, "occurrence_rate")
    elif "occurrence_rate" in node.attrib:
        raise InputError(f"{where}: occurrence_rate is meaningful only with cluster='true'")
    sources = [c for c in node.children]
    weights: tuple[float, ...] = ()
    if interdep["src_interdep"]:
        text = node.attrib.get("srcs_weights")
        if text is None:
            raise InputError(f"{where}: src_interdep='mutex' needs srcs_weights (one weight "
                             "per source)")
        weights = _floats(text, "srcs_weights", where)
        if len(weights) != len(sources):
            raise InputError(f"{where}: srcs_weights has {len(weights)} values for "
                             f"{len(sources)} sources")
        if abs(math.fsum(weights) - 1.0) > 1e-6:
            raise InputError(f"{where}: srcs_weights sum to {math.fsum(weights):.10g}, "
                             "expected 1")
    elif "srcs_weights" in node.attrib:
        # independent sources: weights of 1 (OpenQuake QA classical case_42) change nothing
        if any(w != 1.0 for w in _floats(node.attrib["srcs_weights"], "srcs_weights", where)):
            raise InputError(f"{where}: srcs_weights other than 1 are meaningful only with "
                             "src_interdep='mutex'")
    rup_weights: dict[str, tuple[float, ...]] = {}
    if interdep["rup_interdep"]:
        for child in sources:
            if child.tag != "nonParametricSeismicSource":
                raise InputError(f"{child.where}: rup_interdep='mutex' is supported for "
                                 f"nonParametricSeismicSource only, not <{child.tag}>")
            found = _rupture_weights(child)
            if found is None:
                raise InputError(f"{child.where}: rup_interdep='mutex' needs rup_weights "
                                 "(one weight per rupture)")
            # no rupture elements: the ruptures are in the companion HDF5 file, counted
            # when it is read (wrap_group)
            if child.children and len(found) != len(child.children):
                raise InputError(f"{child.where}: {len(found)} rupture weights for "
                                 f"{len(child.children)} ruptures")
            if math.fsum(found) > 1.0 + 1e-6:
                raise InputError(f"{child.where}: the rupture weights sum to "
                                 f"{math.fsum(found):.10g}, more than 1")
            rup_weights[child.attrib.get("id", "").strip()] = found
    toms = {}
    for child in sources:
        model = read_source_tom(child, in_group=True)
        if model is not None:
            if cluster_rate is not None:
                raise InputError(f"{child.where}: a source of a cluster group cannot have "
                                 "its own temporal occurrence model")
            toms[child.attrib.get("id", "").strip()] = model
    semantics = GroupSemantics(src_mutex=interdep["src_interdep"],
                               rup_mutex=interdep["rup_interdep"], cluster_rate=cluster_rate,
                               srcs_weights=weights, rup_weights=rup_weights, toms=toms,
                               where=where)
    return None if semantics.is_plain else semantics


def wrap_group(semantics: GroupSemantics | None, sources: list[Any]) -> list[Any]:
    """The engine sources of one group as the calculator sees them: unchanged for plain
    groups, else one :class:`GroupSource`."""
    if semantics is None:
        return list(sources)
    for source in sources:  # e.g. the ruptures of an HDF5-backed non-parametric source
        weights = semantics.rup_weights.get(source.source_id)
        if weights is not None and len(weights) != source.count_ruptures():
            raise InputError(f"{semantics.where}: source {source.source_id!r} has "
                             f"{len(weights)} rupture weights for {source.count_ruptures()} "
                             "ruptures")
    return [GroupSource(semantics, sources)]


def group_sources(groups: list[Any], specs: list[Any], sources: list[Any]
                  ) -> list[tuple[str, Any]]:
    """``(trt, source)`` pairs of a source model whose specs (flattened ``groups``, in
    order) were built into ``sources``; special groups become one :class:`GroupSource`."""
    out: list[tuple[str, Any]] = []
    start = 0
    for group in groups:
        n = len(group.sources)
        part = sources[start:start + n]
        trts = [spec.trt for spec in specs[start:start + n]]
        start += n
        semantics = getattr(group, "semantics", None)
        if semantics is None:
            out.extend(zip(trts, part, strict=True))
        else:
            out.extend((group.trt, src) for src in wrap_group(semantics, part))
    if start != len(sources):
        raise InputError(f"internal: {len(sources)} sources for {start} specs in the groups")
    return out
