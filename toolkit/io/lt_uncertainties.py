r"""Source-model logic-tree uncertainties: branch sets that modify the MFDs of sources.

After its ``sourceModel`` branch set, a source-model logic tree may have branch sets that
modify the sources of the chosen model. The types read here, with OpenQuake's documented
meaning (a branch's ``<uncertaintyModel>`` gives the value):

=========================  ====================================  ==========================
uncertaintyType            value                                 applies to
=========================  ====================================  ==========================
``abGRAbsolute``           ``"a b"``: new a- and b-value          truncGutenbergRichterMFD
``maxMagGRAbsolute``       new maximum magnitude                  truncGutenbergRichterMFD
``bGRRelative``            increment of the b-value               truncGutenbergRichterMFD
``maxMagGRRelative``       increment of the maximum magnitude     truncGutenbergRichterMFD
``incrementalMFDAbsolute`` ``<incrementalMFD minMag binWidth>``   incrementalMFD
                           with ``<occurRates>``: the new MFD
``bGRAbsolute``            new b-value (the a-value is kept)      truncGutenbergRichterMFD
``abMaxMagAbsolute``       ``"a b maxMag"``: new values           truncGutenbergRichterMFD
``maxMagGRRelative``       increment of the maximum magnitude,    truncGutenbergRichterMFD
``NoMoBalance``            a- and b-value kept
``setMSRAbsolute``         magnitude-scaling relation             point, area, simple fault
``setUpperSeismDepth``     upper seismogenic depth (km), value    point, area
``Absolute`` / ``Relative`` or increment
``setLowerSeismDepth``     lower seismogenic depth (km), value    point, area, simple fault
``Absolute`` / ``Relative`` or increment
``setAspectRatio``         rupture aspect ratio, value or         point, area, simple fault
``Absolute`` / ``Relative`` increment
``simpleFaultDip``         dip (degrees), value or increment      simple fault
``Absolute`` / ``Relative``
=========================  ====================================  ==========================

The types after ``incrementalMFDAbsolute`` behave as OpenQuake 3.26 applies them to its
sources (measured): nothing but the named value changes; every ``*Absolute`` type must
name exactly one source in ``applyToSources`` and ``simpleFaultDipRelative`` at least
one. The toolkit refuses results OpenQuake would let through (an upper seismogenic depth
below the lower one, a negative depth except the upper one of a point or area source, which
may be above sea level, a dip outside (0, 90]) and ``setAspectRatioRelative`` on a source
with an ``<aspectRatioFunction>``.
Not supported (refused by name): ``bACRelative``, ``bACAbsolute``,
``maxMagAndDeltaMagACRelative`` (the alternative characteristic MFD is not read), the
geometry types, ``truncatedGRFromSlipAbsolute``, ``recomputeMmax``, ``extendModel``.

The two *relative* modifications keep the total moment rate of the truncated
Gutenberg-Richter distribution, as OpenQuake documents for its ``TruncatedGRMFD``: the
a-value is recomputed. With the cumulative rate :math:`N(m) = 10^{a - b m}`, the density
:math:`n(m) = b \ln 10\; 10^{a - b m}` and the moment :math:`M_0(m) = 10^{1.5 m + 9.05}`
N·m (Hanks & Kanamori 1979), the moment rate between :math:`m_{min}` and :math:`m_{max}` is

.. math::

    \dot M_0 = \int_{m_{min}}^{m_{max}} n(m) M_0(m)\,dm
             = \frac{b\, 10^{a + 9.05}}{1.5 - b}
               \left(10^{(1.5 - b) m_{max}} - 10^{(1.5 - b) m_{min}}\right)

(:math:`b\,10^{a + 9.05}\ln 10\,(m_{max} - m_{min})` when :math:`b = 1.5`), and the new
a-value is the one that gives the same :math:`\dot M_0` with the new b-value or maximum
magnitude (:func:`moment_balanced_a`). The limits are the ``minMag`` and ``maxMag`` of the
file, before the rounding to the bin width. The *absolute* modifications set the values
given and nothing else.

Which sources a branch set modifies:

* ``applyToSources="id1 id2"``: only these sources (each id must be in a source model the
  branch set applies to). The absolute types need exactly one, as OpenQuake requires;
* ``applyToTectonicRegionType``, ``applyToSourceType`` (``point``, ``area``,
  ``simpleFault``...): filters on the sources;
* ``applyToBranches="b1 b2"``: the branch set applies only to the logic-tree paths through
  one of these (earlier) branches; on other paths it is skipped, and its character in the
  branch path is ``.`` (OpenQuake's ``A.B~A`` form).

A modification is applied to a source description (:class:`toolkit.io.nrml.SourceSpec`)
with :func:`dataclasses.replace`, so each path has its own copies of the modified sources and
shares the unmodified ones; nothing shared is mutated.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from toolkit.errors import InputError, UnknownName
from toolkit.io.nrml import Node, SourceSpec, read_source_models

__all__ = [
    "UncertaintyBranch",
    "UncertaintyBranchSet",
    "UNCERTAINTY_TYPES",
    "read_uncertainty_branch_set",
    "moment_balanced_a",
    "modify_spec",
    "apply_uncertainties",
    "check_branch_sets",
    "build_source_model_inputs",
]

_GR = "truncGutenbergRichterMFD"
_INC = "incrementalMFD"


@dataclass(frozen=True)
class UncertaintyBranch:
    """One branch of an uncertainty branch set: its parsed value and its weight."""

    branch_id: str
    value: Any
    weight: float
    code: str
    where: str


@dataclass(frozen=True)
class UncertaintyBranchSet:
    """A branch set modifying sources (``abGRAbsolute``, ``bGRRelative``...).

    Attributes
    ----------
    kind : str
        The ``uncertaintyType``.
    set_id : str
    branches : tuple of UncertaintyBranch
    sources : tuple of str
        ``applyToSources`` (empty: every source passing the other filters).
    trt : str or None
        ``applyToTectonicRegionType``.
    source_type : str or None
        ``applyToSourceType`` (``"area"``, ``"point"``, ``"simpleFault"``...).
    apply_to_branches : tuple of str
        ``applyToBranches`` (empty: every path).
    where : str
        ``"<file> line <n>"`` of the branch set.
    """

    kind: str
    set_id: str
    branches: tuple[UncertaintyBranch, ...]
    sources: tuple[str, ...] = ()
    trt: str | None = None
    source_type: str | None = None
    apply_to_branches: tuple[str, ...] = ()
    where: str = ""

    def applies_to_path(self, branch_ids: Iterable[str]) -> bool:
        """Whether the set applies to a path through the branches ``branch_ids``."""
        return not self.apply_to_branches or any(b in self.apply_to_branches
                                                 for b in branch_ids)

    def selects(self, spec: SourceSpec) -> bool:
        """Whether the set modifies the source ``spec`` (id, region and type filters)."""
        if self.sources and spec.source_id not in self.sources:
            return False
        if self.trt is not None and spec.trt != self.trt:
            return False
        if self.source_type is not None and _source_type(spec) != self.source_type:
            return False
        return True

    def label(self, branch: UncertaintyBranch | None = None) -> str:
        text = f"{self.where}: {self.kind} branch set {self.set_id!r}"
        if branch is not None:
            text += f", branch {branch.branch_id!r} ({branch.where})"
        return text


def _source_type(spec: SourceSpec) -> str:
    """``"area"`` for ``areaSource``: the form of ``applyToSourceType``."""
    return spec.kind[:-len("Source")] if spec.kind.endswith("Source") else spec.kind


# --------------------------------------------------------------------------- parsing
def _floats(model: Node, count: int, what: str, label: str) -> list[float]:
    parts = model.value.split()
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != count or not all(math.isfinite(v) for v in values):
        raise InputError(f"{model.where}: {label} must be {what}, got {model.value!r}")
    return values


def _parse_ab(model: Node, label: str) -> tuple[float, float]:
    a, b = _floats(model, 2, "two numbers 'a b'", label)
    if b <= 0:
        raise InputError(f"{model.where}: {label}: the b-value must be > 0, got {b:g}")
    return a, b


def _parse_number(model: Node, label: str) -> float:
    return _floats(model, 1, "a number", label)[0]


def _parse_incremental(model: Node, label: str) -> tuple[float, float, list[float]]:
    mfd = model.find(_INC)
    if mfd is None or model.value:
        raise InputError(f"{model.where}: {label} must contain an <incrementalMFD minMag "
                         "binWidth> element with <occurRates>")
    rates_node = mfd.child("occurRates", label)
    try:
        min_mag = float(mfd.get("minMag", label))
        width = float(mfd.get("binWidth", label))
        rates = [float(x) for x in rates_node.value.split()]
    except ValueError:
        raise InputError(f"{mfd.where}: {label}: minMag, binWidth and occurRates of the "
                         "<incrementalMFD> must be numbers") from None
    if not rates or width <= 0 or any(r < 0 or not math.isfinite(r) for r in rates):
        raise InputError(f"{mfd.where}: {label}: the <incrementalMFD> needs binWidth > 0 and "
                         "at least one occurrence rate, all >= 0")
    return min_mag, width, rates


# --------------------------------------------------------------------------- modifications
def moment_balanced_a(a: float, b: float, min_mag: float, max_mag: float,
                      new_b: float, new_max_mag: float) -> float:
    r"""The a-value that keeps the moment rate of a truncated G-R MFD (see module docstring).

    Parameters
    ----------
    a, b, min_mag, max_mag : float
        The MFD before the change (cumulative a-value).
    new_b, new_max_mag : float
        The b-value and maximum magnitude after the change.

    Returns
    -------
    float
        :math:`a'` with :math:`\dot M_0(a', b', m_{min}, m'_{max}) =
        \dot M_0(a, b, m_{min}, m_{max})`.
    """
    def log_moment_factor(bv: float, mmax: float) -> float:
        # log10 of (moment rate / 10**(a + 9.05))
        c = 1.5 - bv
        if abs(c) < 1e-12:
            return math.log10(bv * math.log(10.0) * (mmax - min_mag))
        return math.log10(bv * (10.0 ** (c * mmax) - 10.0 ** (c * min_mag)) / c)

    return a + log_moment_factor(b, max_mag) - log_moment_factor(new_b, new_max_mag)


def _gr_values(spec: SourceSpec, where: str) -> tuple[float, float, float, float]:
    try:
        return tuple(float(spec.mfd_attrib[k]) for k in  # type: ignore[return-value]
                     ("aValue", "bValue", "minMag", "maxMag"))
    except (KeyError, ValueError):
        raise InputError(f"{where}: the truncGutenbergRichterMFD of {spec.where} needs numeric "
                         "aValue, bValue, minMag and maxMag") from None


def _with_attrib(spec: SourceSpec, **values: float) -> SourceSpec:
    attrib = dict(spec.mfd_attrib)
    attrib.update({k: repr(float(v)) for k, v in values.items()})
    return dataclasses.replace(spec, mfd_attrib=attrib)


def _check_max_mag(spec: SourceSpec, min_mag: float, max_mag: float, where: str) -> None:
    if max_mag <= min_mag:
        raise InputError(f"{where}: the maximum magnitude of source {spec.source_id!r} "
                         f"({spec.where}) would be {max_mag:g}, not above its minMag "
                         f"{min_mag:g}")


def _ab_absolute(spec: SourceSpec, value: tuple[float, float], where: str) -> SourceSpec:
    return _with_attrib(spec, aValue=value[0], bValue=value[1])


def _max_mag_absolute(spec: SourceSpec, value: float, where: str) -> SourceSpec:
    _, _, mmin, _ = _gr_values(spec, where)
    _check_max_mag(spec, mmin, value, where)
    return _with_attrib(spec, maxMag=value)


def _b_relative(spec: SourceSpec, value: float, where: str) -> SourceSpec:
    a, b, mmin, mmax = _gr_values(spec, where)
    new_b = b + value
    if new_b <= 0:
        raise InputError(f"{where}: the b-value of source {spec.source_id!r} ({spec.where}) "
                         f"would be {new_b:g}, not > 0")
    return _with_attrib(spec, aValue=moment_balanced_a(a, b, mmin, mmax, new_b, mmax),
                        bValue=new_b)


def _max_mag_relative(spec: SourceSpec, value: float, where: str) -> SourceSpec:
    a, b, mmin, mmax = _gr_values(spec, where)
    new_max = mmax + value
    _check_max_mag(spec, mmin, new_max, where)
    return _with_attrib(spec, aValue=moment_balanced_a(a, b, mmin, mmax, b, new_max),
                        maxMag=new_max)


def _incremental_absolute(spec: SourceSpec, value: tuple[float, float, list[float]],
                          where: str) -> SourceSpec:
    min_mag, width, rates = value
    return dataclasses.replace(
        spec, mfd_tag=_INC, mfd_attrib={"minMag": repr(min_mag), "binWidth": repr(width)},
        mfd_values={"occurRates": list(rates)})


def _b_absolute(spec: SourceSpec, value: float, where: str) -> SourceSpec:
    """``bGRAbsolute``: the b-value set, the a-value kept (OpenQuake 3.26, measured)."""
    if value <= 0:
        raise InputError(f"{where}: the b-value must be > 0, got {value:g}")
    return _with_attrib(spec, bValue=value)


def _parse_ab_max_mag(model: Node, label: str) -> tuple[float, float, float]:
    a, b, max_mag = _floats(model, 3, "three numbers 'a b maxMag'", label)
    if b <= 0:
        raise InputError(f"{model.where}: {label}: the b-value must be > 0, got {b:g}")
    return a, b, max_mag


def _ab_max_mag_absolute(spec: SourceSpec, value: tuple[float, float, float],
                         where: str) -> SourceSpec:
    """``abMaxMagAbsolute``: a-value, b-value and maximum magnitude set together."""
    _, _, mmin, _ = _gr_values(spec, where)
    _check_max_mag(spec, mmin, value[2], where)
    return _with_attrib(spec, aValue=value[0], bValue=value[1], maxMag=value[2])


def _max_mag_relative_no_balance(spec: SourceSpec, value: float, where: str) -> SourceSpec:
    """``maxMagGRRelativeNoMoBalance``: the maximum magnitude increased, a and b kept."""
    _, _, mmin, mmax = _gr_values(spec, where)
    _check_max_mag(spec, mmin, mmax + value, where)
    return _with_attrib(spec, maxMag=mmax + value)


def _parse_msr(model: Node, label: str) -> str:
    from toolkit.engine.hazard.msr import get_msr

    text = " ".join(model.value.split())
    if not text:
        raise InputError(f"{model.where}: {label} must name a magnitude-scaling relation")
    get_msr(text, f"{model.where}, {label}")  # unknown names fail here, with close matches
    return text


def _set_msr(spec: SourceSpec, value: str, where: str) -> SourceSpec:
    return dataclasses.replace(spec, msr=value)


def _with_kwargs(spec: SourceSpec, **values: Any) -> SourceSpec:
    return dataclasses.replace(spec, kwargs={**spec.kwargs, **values})


#: sources whose upper seismogenic depth may be above sea level (negative)
_ABOVE_SEA_LEVEL = ("pointSource", "areaSource", "multiPointSource")


def _depths(spec: SourceSpec, upper: float, lower: float, where: str) -> SourceSpec:
    above = spec.kind in _ABOVE_SEA_LEVEL  # faults: the upper depth must be >= 0
    if (upper < 0 and not above) or lower <= upper:
        rule = "the lower one must be deeper" if above else (
            "the upper one must be >= 0 and the lower one deeper")
        raise InputError(f"{where}: the seismogenic depths of source {spec.source_id!r} "
                         f"({spec.where}) would be {upper:g} to {lower:g} km ({rule})")
    return _with_kwargs(spec, upper_seismogenic_depth=upper, lower_seismogenic_depth=lower)


def _set_depth(which: str, relative: bool) -> Callable[[SourceSpec, float, str], SourceSpec]:
    """Modifier of the upper or lower seismogenic depth (absolute value or increment, km)."""
    def modify(spec: SourceSpec, value: float, where: str) -> SourceSpec:
        upper = float(spec.kwargs["upper_seismogenic_depth"])
        lower = float(spec.kwargs["lower_seismogenic_depth"])
        if which == "upper":
            upper = upper + value if relative else value
        else:
            lower = lower + value if relative else value
        return _depths(spec, upper, lower, where)
    return modify


def _set_aspect_ratio(relative: bool) -> Callable[[SourceSpec, float, str], SourceSpec]:
    def modify(spec: SourceSpec, value: float, where: str) -> SourceSpec:
        current = spec.kwargs["rupture_aspect_ratio"]
        if relative and not isinstance(current, (int, float)):
            raise InputError(f"{where}: setAspectRatioRelative cannot modify source "
                             f"{spec.source_id!r} ({spec.where}): its aspect ratio is an "
                             "<aspectRatioFunction> of magnitude, not one number; use "
                             "setAspectRatioAbsolute or a <ruptAspectRatio>")
        ratio = float(current) + value if relative else value
        if not ratio > 0:
            raise InputError(f"{where}: the rupture aspect ratio of source "
                             f"{spec.source_id!r} ({spec.where}) would be {ratio:g}, not > 0")
        return _with_kwargs(spec, rupture_aspect_ratio=ratio)
    return modify


def _set_dip(relative: bool) -> Callable[[SourceSpec, float, str], SourceSpec]:
    def modify(spec: SourceSpec, value: float, where: str) -> SourceSpec:
        dip = float(spec.kwargs["dip"]) + value if relative else value
        if not 0 < dip <= 90:
            raise InputError(f"{where}: the dip of source {spec.source_id!r} ({spec.where}) "
                             f"would be {dip:g} degrees, not in (0, 90]")
        return _with_kwargs(spec, dip=dip)
    return modify


_POINT_AREA = ("pointSource", "areaSource")
_POINT_AREA_FAULT = ("pointSource", "areaSource", "simpleFaultSource")


@dataclass(frozen=True)
class _Kind:
    """How one ``uncertaintyType`` is read and applied.

    ``mfd_tags``: the MFD elements it can modify (None: any MFD); ``source_kinds``: the
    source elements it can modify (None: any); ``absolute``: ``applyToSources`` must name
    exactly one source (as OpenQuake 3.26 requires of every ``*Absolute`` type, measured);
    ``needs_sources``: ``applyToSources`` must name at least one source.
    """

    parse: Callable[[Node, str], Any]
    modify: Callable[[SourceSpec, Any, str], SourceSpec]
    mfd_tags: tuple[str, ...] | None
    absolute: bool
    source_kinds: tuple[str, ...] | None = None
    needs_sources: bool = False

    def refusal(self, kind: str, spec: SourceSpec) -> str | None:
        """Why ``kind`` cannot modify ``spec`` (None if it can)."""
        if self.source_kinds is not None and spec.kind not in self.source_kinds:
            return (f"it is a <{spec.kind}>, {kind} modifies only "
                    f"{', '.join('<' + k + '>' for k in self.source_kinds)}")
        if self.mfd_tags is not None and spec.mfd_tag not in self.mfd_tags:
            return (f"its MFD is a <{spec.mfd_tag}>, {kind} modifies only "
                    f"{', '.join('<' + t + '>' for t in self.mfd_tags)}")
        return None


#: uncertaintyType -> how it is read and applied (see :class:`_Kind`)
UNCERTAINTY_TYPES: dict[str, _Kind] = {
    "abGRAbsolute": _Kind(_parse_ab, _ab_absolute, (_GR,), True),
    "maxMagGRAbsolute": _Kind(_parse_number, _max_mag_absolute, (_GR,), True),
    "bGRRelative": _Kind(_parse_number, _b_relative, (_GR,), False),
    "maxMagGRRelative": _Kind(_parse_number, _max_mag_relative, (_GR,), False),
    "incrementalMFDAbsolute": _Kind(_parse_incremental, _incremental_absolute, (_INC,), True),
    "bGRAbsolute": _Kind(_parse_number, _b_absolute, (_GR,), True),
    "abMaxMagAbsolute": _Kind(_parse_ab_max_mag, _ab_max_mag_absolute, (_GR,), True),
    "maxMagGRRelativeNoMoBalance": _Kind(_parse_number, _max_mag_relative_no_balance,
                                         (_GR,), False),
    "setMSRAbsolute": _Kind(_parse_msr, _set_msr, None, True, _POINT_AREA_FAULT),
    "setUpperSeismDepthAbsolute": _Kind(_parse_number, _set_depth("upper", False), None,
                                        True, _POINT_AREA),
    "setUpperSeismDepthRelative": _Kind(_parse_number, _set_depth("upper", True), None,
                                        False, _POINT_AREA),
    "setLowerSeismDepthAbsolute": _Kind(_parse_number, _set_depth("lower", False), None,
                                        True, _POINT_AREA_FAULT),
    "setLowerSeismDepthRelative": _Kind(_parse_number, _set_depth("lower", True), None,
                                        False, _POINT_AREA_FAULT),
    "setAspectRatioAbsolute": _Kind(_parse_number, _set_aspect_ratio(False), None, True,
                                    _POINT_AREA_FAULT),
    "setAspectRatioRelative": _Kind(_parse_number, _set_aspect_ratio(True), None, False,
                                    _POINT_AREA_FAULT),
    "simpleFaultDipAbsolute": _Kind(_parse_number, _set_dip(False), None, True,
                                    ("simpleFaultSource",)),
    "simpleFaultDipRelative": _Kind(_parse_number, _set_dip(True), None, False,
                                    ("simpleFaultSource",), needs_sources=True),
}


def read_uncertainty_branch_set(bset: Node, branches: list[tuple[Node, str, Node, float]],
                                codes: list[str]) -> UncertaintyBranchSet:
    """An :class:`UncertaintyBranchSet` from a ``<logicTreeBranchSet>`` element.

    Parameters
    ----------
    bset : Node
    branches : list of (node, branch_id, uncertaintyModel node, weight)
        The branches, already checked (ids unique, weights summing to one).
    codes : list of str
        Branch-path character of each branch.

    Raises
    ------
    InputError
        Unsupported uncertainty type, malformed values, absolute type without
        ``applyToSources``.
    """
    kind = bset.attrib.get("uncertaintyType", "").strip()
    set_id = bset.attrib.get("branchSetID", "").strip() or "?"
    if kind not in UNCERTAINTY_TYPES:
        why = (" (uncertainties of the alternative characteristic MFD: that MFD is not "
               "supported)" if "AC" in kind else "")
        raise InputError(f"{bset.where}: uncertainty type {kind!r} is not supported yet in a "
                         f"source-model logic tree{why} (supported after the sourceModel "
                         f"branch set: {', '.join(UNCERTAINTY_TYPES)})")
    spec = UNCERTAINTY_TYPES[kind]
    sources = tuple(bset.attrib.get("applyToSources", "").split())
    if (spec.absolute or spec.needs_sources) and not sources:
        raise InputError(f"{bset.where}: the {kind} branch set {set_id!r} needs "
                         "applyToSources (the ids of the sources it sets)")
    if spec.absolute and len(sources) != 1:  # as OpenQuake 3.26 (measured): one value, one source
        raise InputError(f"{bset.where}: the {kind} branch set {set_id!r} must name "
                         f"exactly one source in applyToSources, got {list(sources)}")
    parsed = []
    for (_node, branch_id, model, weight), code in zip(branches, codes, strict=True):
        label = f"the {kind} value of branch {branch_id!r}"
        parsed.append(UncertaintyBranch(branch_id, spec.parse(model, label), weight, code,
                                        model.where))
    trt = bset.attrib.get("applyToTectonicRegionType", "").strip() or None
    source_type = bset.attrib.get("applyToSourceType", "").strip() or None
    return UncertaintyBranchSet(kind, set_id, tuple(parsed), sources, trt, source_type,
                                tuple(bset.attrib.get("applyToBranches", "").split()),
                                bset.where)


def modify_spec(spec: SourceSpec, bset: UncertaintyBranchSet,
                branch: UncertaintyBranch) -> SourceSpec:
    """A copy of ``spec`` with the modification of ``branch`` (``spec`` is not changed).

    Raises
    ------
    InputError
        The MFD of the source is of a type the uncertainty cannot modify; the new MFD is
        invalid (maximum magnitude not above the minimum...). The message names the branch
        set, the branch and the source.
    """
    kind = UNCERTAINTY_TYPES[bset.kind]
    where = bset.label(branch)
    refusal = kind.refusal(bset.kind, spec)
    if refusal:
        raise InputError(f"{where}: cannot apply {bset.kind} to source {spec.source_id!r} "
                         f"({spec.where}): {refusal}")
    return kind.modify(spec, branch.value, where)


def apply_uncertainties(specs: list[SourceSpec], built: list[Any],
                        uncertainties: Iterable[tuple[UncertaintyBranchSet, UncertaintyBranch]]
                        ) -> list[Any]:
    """The engine sources of one path: ``built`` where unmodified, new ones elsewhere.

    Parameters
    ----------
    specs : list of SourceSpec
        The source descriptions of the source model.
    built : list
        The engine sources built from ``specs`` (same order), shared between paths.
    uncertainties : iterable of (UncertaintyBranchSet, UncertaintyBranch)
        The modifications of the path, applied in order.
    """
    current = list(specs)
    applied = list(uncertainties)
    for bset, branch in applied:
        current = [modify_spec(s, bset, branch) if bset.selects(s) else s for s in current]
    out = []
    for spec, orig, source in zip(current, specs, built, strict=True):
        if spec is orig:
            out.append(source)
            continue
        try:
            out.append(spec.build())
        except UnknownName:
            raise
        except InputError as exc:
            by = "; ".join(bset.label(branch) for bset, branch in applied if bset.selects(orig))
            raise InputError(f"{exc} (the source as modified by the logic tree: {by})") from exc
    return out


def check_branch_sets(branch_sets: list[UncertaintyBranchSet],
                      specs_by_branch: dict[str, list[SourceSpec]]) -> None:
    """Check every uncertainty branch set against the source models it may apply to.

    ``specs_by_branch`` maps each ``sourceModel`` branch id to its source descriptions.
    An ``applyToSources`` id must be in one of the source models the set applies to, and the
    sources a set selects must have an MFD of a type it can modify.

    Raises
    ------
    InputError
        Naming the branch set (file, line) and the source.
    """
    for bset in branch_sets:
        sm_ids = [b for b in specs_by_branch if b in bset.apply_to_branches]
        if not sm_ids:  # applyToBranches names later branches (or nothing): any model
            sm_ids = list(specs_by_branch)
        specs = [s for b in sm_ids for s in specs_by_branch[b]]
        known = {s.source_id for s in specs}
        missing = [sid for sid in bset.sources if sid not in known]
        if missing:
            raise InputError(f"{bset.label()}: applyToSources names source(s) "
                             f"{', '.join(repr(m) for m in missing)} that are not in the "
                             f"source model(s) of branch(es) {', '.join(sm_ids)}")
        kind = UNCERTAINTY_TYPES[bset.kind]
        for spec in specs:
            refusal = kind.refusal(bset.kind, spec) if bset.selects(spec) else None
            if refusal:
                raise InputError(f"{bset.label()}: cannot apply {bset.kind} to source "
                                 f"{spec.source_id!r} ({spec.where}): {refusal}")


# --------------------------------------------------------------------------- job inputs
def build_source_model_inputs(params: Any, gsim_lt: Any) -> tuple[list[Any], list[Any], list[int]]:
    """The source models and realizations of a job, full enumeration or sampling.

    Reads the source-model logic tree, the source-model files of each ``sourceModel``
    branch (once), applies the uncertainties of each source-model path and picks the
    realizations: all of them (``number_of_logic_tree_samples = 0``) or a Monte Carlo
    sample (see :func:`toolkit.io.logictree.sample_realizations`).

    For a classical calculation identical sampled paths share one source model. For an
    event-based one every sample has its own source model entry, so that each sampled path
    gets its own stochastic event sets (the random streams are keyed by the entry).

    Returns
    -------
    source_models : list of SourceModelInput
    realizations : list of toolkit.io.logictree.Realization
    sm_indices : list of int
        Index in ``source_models`` of each realization.
    """
    from toolkit.engine.hazard.calculators.classical import SourceModelInput
    from toolkit.io.logictree import (
        SAMPLING_METHODS,
        enumerate_realizations,
        read_source_model_tree,
        sample_realizations,
    )
    from toolkit.io.nrml_groups import group_sources

    if params.source_model_logic_tree_file is None:
        raise InputError(f"{params.job_ini}: source_model_logic_tree_file is required")
    tree = read_source_model_tree(params.source_model_logic_tree_file)
    parsed = {b.branch_id: read_source_models(b.files, params=params, build=False)
              for b in tree.branches}
    specs = {bid: model.sources for bid, model in parsed.items()}
    check_branch_sets(tree.branch_sets, specs)
    trts = {bid: {g.trt for g in model.groups if g.sources} for bid, model in parsed.items()}
    samples = int(getattr(params, "number_of_logic_tree_samples", 0) or 0)
    if samples:
        method = (params.raw.get("sampling_method") or "early_weights").strip()
        if method not in SAMPLING_METHODS:
            raise InputError(f"{params.where('sampling_method')}: sampling_method = {method}"
                             f" is not supported yet (supported: {', '.join(SAMPLING_METHODS)})")
        realizations = sample_realizations(tree, gsim_lt, trts, samples, params.random_seed,
                                           method=method)
    else:
        paths = tree.paths()
        realizations = enumerate_realizations(paths, gsim_lt, trts)
    built = {bid: [s.build() for s in specs[bid]] for bid in specs
             if any(r.sm_branch.base_id == bid for r in realizations)}
    independent = samples > 0 and str(params.calculation_mode).startswith("event_based")
    source_models: list[Any] = []
    sm_indices: list[int] = []
    index_of: dict[str, int] = {}
    groups_of: dict[str, dict[str, list[Any]]] = {}
    for rlz in realizations:
        path = rlz.sm_branch
        key = path.code  # unique per path (joined branch ids are not: "b" + "c" vs "b_c")
        if not independent and key in index_of:
            sm_indices.append(index_of[key])
            continue
        if key not in groups_of:
            base = path.base_id
            sources = apply_uncertainties(specs[base], built[base], path.uncertainties)
            groups: dict[str, list[Any]] = {}
            for trt, source in group_sources(parsed[base].groups, specs[base], sources):
                groups.setdefault(trt, []).append(source)  # special groups: one GroupSource
            groups_of[key] = groups
        index_of[key] = len(source_models)
        sm_indices.append(len(source_models))
        source_models.append(SourceModelInput(path.branch_id, path.weight, groups_of[key]))
    return source_models, realizations, sm_indices
