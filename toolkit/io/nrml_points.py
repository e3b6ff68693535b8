"""NRML readers for multi-point and non-parametric sources, and for ``hypoList``/``slipList``.

Hooked into :meth:`toolkit.io.nrml._SourceReader.read_source` (:func:`read_extra_source`):
it returns a :class:`~toolkit.io.nrml.SourceSpec` for the elements below and None for the
others, which the source reader handles itself.

``<multiPointSource>``
    ``<multiPointGeometry>`` with a ``gml:posList`` of longitude/latitude pairs,
    ``<upperSeismoDepth>`` and ``<lowerSeismoDepth>``; ``<magScaleRel>``,
    ``<ruptAspectRatio>``, ``<nodalPlaneDist>``, ``<hypoDepthDist>`` as for point sources; and
    a ``<multiMFD kind=".." size="..">`` whose children hold one value per point or a single
    value for all points (``size`` = number of points):

    ========================== ===========================================================
    kind                       children
    ========================== ===========================================================
    truncGutenbergRichterMFD   ``a_val``, ``b_val``, ``min_mag``, ``max_mag``,
                               ``bin_width`` (default: the job's ``width_of_mfd_bin``)
    incrementalMFD             ``min_mag``, ``occurRates``, ``lengths``, ``bin_width``
                               (default: the job's ``width_of_mfd_bin``)
    arbitraryMFD               ``magnitudes``, ``occurRates``, ``lengths``
    YoungsCoppersmithMFD       ``min_mag``, ``b_val``, ``char_mag``, ``bin_width`` and
                               ``char_rate`` or ``total_moment_rate``
    ========================== ===========================================================

    ``occurRates`` and ``magnitudes`` are the points' lists concatenated, ``lengths`` the
    number of values of each point (one value: the same for every point; the lists may then
    also be given once for all points). Each point's MFD is built as the corresponding
    single-source element would be (:func:`toolkit.engine.hazard.mfd.build_mfd`).
``<nonParametricSeismicSource>``
    Rupture elements (``singlePlaneRupture``, ``multiPlanesRupture``, ``simpleFaultRupture``,
    ``complexFaultRupture``, read by :mod:`toolkit.io.ruptures`), each with a ``probs_occur``
    attribute: the probabilities of 0, 1, 2, ... occurrences in the investigation time.
``<hypoList>`` / ``<slipList>``
    On any source: ``<hypo alongStrike=".." downDip=".." weight=".."/>`` and
    ``<slip weight="..">angle</slip>``; weights must sum to 1. The source is wrapped in a
    :class:`~toolkit.engine.hazard.sources.hypo_list.HypoSlipSource`.

Every error names the file, the line and the element or attribute.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit.engine.hazard.ruptures import RuptureBlock
from toolkit.errors import InputError, UnknownName
from toolkit.io.nrml import (
    PROBABILITY_TOLERANCE,
    Node,
    SourceSpec,
    _floats,
    _in_range,
    _job_value,
    _SourceReader,
)
from toolkit.io.nrml_aspect import read_aspect_ratio

__all__ = ["read_extra_source", "MULTI_MFD_KINDS", "MultiPointSpec", "NonParametricSpec",
           "HypoSlipSpec"]

#: multiMFD kind -> (required children, optional children, NRML attribute of each child)
MULTI_MFD_KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], dict[str, str]]] = {
    "truncGutenbergRichterMFD": (
        ("a_val", "b_val", "min_mag", "max_mag"), ("bin_width",),
        {"a_val": "aValue", "b_val": "bValue", "min_mag": "minMag", "max_mag": "maxMag"},
    ),
    "incrementalMFD": (
        ("min_mag", "occurRates"), ("bin_width", "lengths"),
        {"min_mag": "minMag", "bin_width": "binWidth"},
    ),
    "arbitraryMFD": (("magnitudes", "occurRates"), ("lengths",), {}),
    "YoungsCoppersmithMFD": (
        ("min_mag", "b_val", "char_mag", "bin_width"), ("char_rate", "total_moment_rate"),
        {"min_mag": "minMag", "b_val": "bValue", "char_mag": "characteristicMag",
         "bin_width": "binWidth", "char_rate": "characteristicRate",
         "total_moment_rate": "totalMomentRate"},
    ),
}

#: children of a multiMFD that are lists per point (concatenated), not one value per point
_LISTS = ("occurRates", "magnitudes")


# --------------------------------------------------------------------------- specs
@dataclass(frozen=True)
class MultiPointSpec(SourceSpec):
    """A ``multiPointSource``: ``kwargs`` holds the geometry and distributions and ``mfds``,
    the (tag, attributes, values) of each point's MFD."""

    def build(self) -> Any:
        from toolkit.engine.hazard.mfd import build_mfd
        from toolkit.engine.hazard.msr import get_msr
        from toolkit.engine.hazard.sources.multi_point import MultiPointSource

        msr = get_msr(self.msr, self.where)
        kwargs = dict(self.kwargs)
        mfds = [build_mfd(tag, dict(attrib), {k: list(v) for k, v in values.items()},
                          bin_width=width, where=f"{self.where}, point {i}")
                for i, (tag, attrib, values, width) in enumerate(kwargs.pop("mfds"))]
        return _wrap_errors(self.where, lambda: MultiPointSource(
            source_id=self.source_id, name=self.name, trt=self.trt, msr=msr, mfds=mfds,
            **kwargs))


@dataclass(frozen=True)
class NonParametricSpec(SourceSpec):
    """A ``nonParametricSeismicSource``: ``kwargs`` holds ``ruptures`` (one-rupture blocks),
    ``probs_occur`` and ``investigation_time``."""

    def build(self) -> Any:
        from toolkit.engine.hazard.sources.nonparametric import NonParametricSource

        return _wrap_errors(self.where, lambda: NonParametricSource(
            source_id=self.source_id, name=self.name, trt=self.trt, **self.kwargs))


@dataclass(frozen=True)
class HypoSlipSpec(SourceSpec):
    """A source with a ``hypoList`` and/or ``slipList``: the fields are those of the wrapped
    source's spec (``inner``), so that edits of them (logic-tree uncertainties) apply."""

    inner: SourceSpec | None = None
    hypo_list: tuple[tuple[float, float, float], ...] = ()
    slip_list: tuple[tuple[float, float], ...] = ()

    def build(self) -> Any:
        from toolkit.engine.hazard.sources.hypo_list import HypoSlipSource

        assert self.inner is not None
        inner = dataclasses.replace(
            self.inner, kwargs=self.kwargs, msr=self.msr, mfd_tag=self.mfd_tag,
            mfd_attrib=self.mfd_attrib, mfd_values=self.mfd_values, bin_width=self.bin_width)
        source = inner.build()
        return _wrap_errors(self.where, lambda: HypoSlipSource(
            source, self.hypo_list or [(0.5, 0.5, 1.0)], self.slip_list or None))


def _wrap_errors(where: str, make) -> Any:
    try:
        return make()
    except UnknownName:
        raise
    except InputError as exc:
        if where in str(exc):
            raise
        raise InputError(f"{where}: {exc}") from exc


# --------------------------------------------------------------------------- dispatch
def read_extra_source(reader: _SourceReader, node: Node, group_trt: str | None
                      ) -> SourceSpec | None:
    """The spec of a multi-point or non-parametric source, or of any source with a
    ``hypoList``/``slipList``; None for the sources :class:`_SourceReader` reads itself."""
    hypo_nodes = [c for c in node.children if c.tag in ("hypoList", "slipList")]
    if hypo_nodes:
        stripped = dataclasses.replace(
            node, children=[c for c in node.children if c.tag not in ("hypoList", "slipList")])
        inner = reader.read_source(stripped, group_trt)
        return _hypo_slip(reader, node, inner)
    if node.tag == "multiPointSource":
        return _multi_point(reader, node, group_trt)
    if node.tag == "nonParametricSeismicSource":
        return _non_parametric(reader, node, group_trt)
    return None


# --------------------------------------------------------------------------- hypoList
def _weight(reader: _SourceReader, node: Node) -> float:
    value = reader.number(node, "weight", node.get("weight", reader.label))
    return _in_range(value, 0, 1, f"<{node.tag}> weight", reader.at(node), low_open=True)


def _check_total(reader: _SourceReader, node: Node, weights: list[float]) -> None:
    if not weights:
        raise InputError(f"{reader.at(node)}: <{node.tag}> is empty")
    total = math.fsum(weights)
    if abs(total - 1.0) > PROBABILITY_TOLERANCE:
        raise InputError(f"{reader.at(node)}: the weights of <{node.tag}> sum to "
                         f"{total:.10g}, not 1")


def _hypo_slip(reader: _SourceReader, node: Node, inner: SourceSpec) -> SourceSpec:
    hypos: list[tuple[float, float, float]] = []
    slips: list[tuple[float, float]] = []
    hypo_node = node.find("hypoList")
    if hypo_node is not None:
        for hypo in hypo_node.findall("hypo"):
            along = _in_range(reader.number(hypo, "alongStrike",
                                            hypo.get("alongStrike", reader.label)),
                              0, 1, "<hypo> alongStrike", reader.at(hypo))
            down = _in_range(reader.number(hypo, "downDip", hypo.get("downDip", reader.label)),
                             0, 1, "<hypo> downDip", reader.at(hypo))
            hypos.append((along, down, _weight(reader, hypo)))
        _check_total(reader, hypo_node, [h[2] for h in hypos])
    slip_node = node.find("slipList")
    if slip_node is not None:
        for slip in slip_node.findall("slip"):
            angle = _in_range(reader.number(slip, "<slip>"), -360, 360, "<slip> angle",
                              reader.at(slip))
            slips.append((angle, _weight(reader, slip)))
        _check_total(reader, slip_node, [s[1] for s in slips])
    if hypos and isinstance(inner.kwargs, dict) and inner.kwargs.get("shift_hypo"):
        raise InputError(f"{reader.at(hypo_node)}: a hypoList together with shift_hypo = true "
                         "in the job.ini is not supported")
    geometry = inner.kwargs.get("geometry") if isinstance(inner.kwargs, dict) else None
    if hypos and isinstance(geometry, dict) and geometry.get("kind") == "planar" and len(
            geometry.get("corners", ())) > 1:
        raise InputError(f"{reader.at(hypo_node)}: hypoList is not supported on a "
                         "characteristic fault made of several planar surfaces (only on "
                         "single planes and fault meshes)")
    fields = {f.name: getattr(inner, f.name) for f in dataclasses.fields(SourceSpec)}
    return HypoSlipSpec(**fields, inner=inner, hypo_list=tuple(hypos), slip_list=tuple(slips))


# --------------------------------------------------------------------------- multi-point
def _multi_point(reader: _SourceReader, node: Node, group_trt: str | None) -> SourceSpec:
    source_id, trt, where = reader.header(node, group_trt)
    msr_node = reader.child(node, "magScaleRel")
    msr = " ".join(msr_node.value.split())
    if not msr:
        raise InputError(f"{reader.at(msr_node)}: empty <magScaleRel>")
    geom = reader.child(node, "multiPointGeometry")
    poslist = reader.child(geom, "posList")
    points = reader._positions(poslist, "multi-point")
    kwargs: dict[str, Any] = {
        "lons": points[:, 0], "lats": points[:, 1],
        "rupture_aspect_ratio": read_aspect_ratio(reader, node),
        "rupture_mesh_spacing": reader.mesh_spacing,
    }
    if _job_value(reader.params, "shift_hypo", False):
        kwargs["shift_hypo"] = True  # hypocentres at their rupture's mid-depth
    kwargs.update(reader._depths(geom, above_sea_level=True))
    kwargs.update(reader._distributions(node, kwargs["upper_seismogenic_depth"],
                                        kwargs["lower_seismogenic_depth"]))
    mfd_node = reader.child(node, "multiMFD")
    kwargs["mfds"] = _multi_mfd(reader, mfd_node, len(points))
    return MultiPointSpec(
        kind="multiPointSource", source_id=source_id, name=node.attrib.get("name", "").strip(),
        trt=trt, where=where, kwargs=kwargs, msr=msr, mfd_tag="multiMFD",
        mfd_attrib=dict(mfd_node.attrib),
        mfd_values={c.tag: _floats(c.value, c.tag, reader.at(c)) for c in mfd_node.children},
        bin_width=reader.bin_width,
    )


def _multi_mfd(reader: _SourceReader, node: Node, n_points: int
               ) -> list[tuple[str, dict[str, str], dict[str, list[float]], float | None]]:
    """(tag, attributes, values, bin width) of the MFD of each point of a ``<multiMFD>``.

    ``bin_width`` of a truncGutenbergRichterMFD or incrementalMFD defaults to the job's
    ``width_of_mfd_bin``."""
    where = reader.at(node)
    default_width = reader.bin_width
    kind = node.get("kind", reader.label)
    if kind not in MULTI_MFD_KINDS:
        raise InputError(f"{where}: unknown multiMFD kind {kind!r}; expected one of "
                         f"{', '.join(MULTI_MFD_KINDS)}")
    size_text = node.get("size", reader.label)
    try:
        size = int(size_text)
    except ValueError:
        raise InputError(f"{where}: multiMFD size must be an integer, got {size_text!r}") from None
    if size != n_points:
        raise InputError(f"{where}: multiMFD size={size} differs from the {n_points} points of "
                         "the multiPointGeometry")
    required, optional, names = MULTI_MFD_KINDS[kind]
    children: dict[str, Node] = {}
    for child in node.children:
        if child.tag not in required + optional:
            raise InputError(f"{reader.at(child)}: unexpected <{child.tag}> in a multiMFD of "
                             f"kind {kind}; expected {', '.join(required + optional)}")
        children[child.tag] = child
    missing = [name for name in required if name not in children]
    if missing:
        raise InputError(f"{where}: the multiMFD of kind {kind} lacks "
                         f"{', '.join(f'<{m}>' for m in missing)}")
    values = {tag: _floats(child.value, f"<{tag}>", reader.at(child))
              for tag, child in children.items()}
    lengths = _lengths(reader, children, values, n_points)
    per_point: dict[str, list[list[float]]] = {}
    for tag, vals in values.items():
        if tag == "lengths":
            continue
        child = children[tag]
        if tag in _LISTS:
            per_point[tag] = _split_lists(reader, child, vals, lengths)
        elif len(vals) == 1:
            per_point[tag] = [vals] * n_points
        elif len(vals) == n_points:
            per_point[tag] = [[v] for v in vals]
        else:
            raise InputError(f"{reader.at(child)}: <{tag}> has {len(vals)} values; expected "
                             f"one per point ({n_points}) or a single value for all")
    if kind == "YoungsCoppersmithMFD" and ("char_rate" in values) == (
            "total_moment_rate" in values):
        raise InputError(f"{where}: a YoungsCoppersmithMFD multiMFD needs exactly one of "
                         "<char_rate>, <total_moment_rate>")
    out = []
    for i in range(n_points):
        attrib = {names[tag]: repr(float(per_point[tag][i][0])) for tag in names
                  if tag in per_point}
        point_values = {tag: per_point[tag][i] for tag in _LISTS if tag in per_point}
        bin_width = per_point["bin_width"][i][0] if "bin_width" in per_point else default_width
        if kind == "incrementalMFD" and "binWidth" not in attrib:
            if bin_width is None:
                raise InputError(f"{where}: the multiMFD of kind incrementalMFD has no "
                                 "<bin_width>, and width_of_mfd_bin is not in the job.ini")
            attrib["binWidth"] = repr(float(bin_width))
        if kind == "truncGutenbergRichterMFD":
            attrib.pop("binWidth", None)
        out.append((kind, attrib, point_values, bin_width))
    return out


def _lengths(reader: _SourceReader, children: dict[str, Node],
             values: dict[str, list[float]], n_points: int) -> list[int] | None:
    if not any(tag in values for tag in _LISTS):
        return None
    if "lengths" not in values:
        total = len(values.get("occurRates", values.get("magnitudes", [])))
        if total % n_points:
            raise InputError(f"{reader.at(children['occurRates'])}: without <lengths>, the "
                             f"{total} rates cannot be shared equally by {n_points} points")
        return [total // n_points] * n_points
    raw = values["lengths"]
    child = children["lengths"]
    if any(v != int(v) or v < 1 for v in raw):
        raise InputError(f"{reader.at(child)}: <lengths> must be positive integers, got {raw}")
    if len(raw) == 1:
        return [int(raw[0])] * n_points
    if len(raw) != n_points:
        raise InputError(f"{reader.at(child)}: <lengths> has {len(raw)} values; expected one "
                         f"per point ({n_points}) or one for all")
    return [int(v) for v in raw]


def _split_lists(reader: _SourceReader, child: Node, vals: list[float],
                 lengths: list[int] | None) -> list[list[float]]:
    assert lengths is not None
    n = len(lengths)
    if len(vals) == sum(lengths):
        bounds = np.cumsum([0] + lengths)
        return [vals[bounds[i]:bounds[i + 1]] for i in range(n)]
    if len(set(lengths)) == 1 and len(vals) == lengths[0]:
        return [vals] * n  # one list for all points
    raise InputError(f"{reader.at(child)}: <{child.tag}> has {len(vals)} values; <lengths> "
                     f"gives {sum(lengths)} for the {n} points")


# --------------------------------------------------------------------------- non-parametric
def _non_parametric(reader: _SourceReader, node: Node, group_trt: str | None) -> SourceSpec:
    from toolkit.io.ruptures import SUPPORTED_RUPTURES, _Reader

    source_id, trt, where = reader.header(node, group_trt)
    blocks, probs = [], []
    for child in node.children:
        build = SUPPORTED_RUPTURES.get(child.tag)
        if build is None:
            supported = ", ".join(f"<{k}>" for k in SUPPORTED_RUPTURES)
            raise InputError(f"{reader.at(child)}: <{child.tag}> is not supported in a "
                             f"nonParametricSeismicSource (supported: {supported})")
        sub = _Reader(f"{reader.label}, <{child.tag}>")
        text = child.get("probs_occur", sub.label)
        values = _floats(text, "probs_occur", sub.at(child))
        total = math.fsum(values)
        if len(values) < 2 or any(not 0 <= v <= 1 for v in values) or abs(total - 1) > 1e-6:
            raise InputError(f"{sub.at(child)}: probs_occur must list the probabilities of 0, "
                             f"1, ... occurrences (values in [0, 1] summing to 1), got {text!r}")
        mag = sub.value(child, "magnitude", 0, 10, low_open=True)
        rake = sub.value(child, "rake", -180, 180)
        hypo = sub.corner(sub.child(child, "hypocenter"))
        surface = build(sub, child, reader.mesh_spacing)
        blocks.append(RuptureBlock(source_id, trt, np.array([mag]), np.array([rake]),
                                   np.array([np.nan]), hypo[None, :], surface))
        probs.append(values)
    if not blocks:  # ruptures in the companion model.hdf5 (toolkit.io.nrml_hdf5)
        from toolkit.io.nrml_hdf5 import companion_hdf5, read_hdf5_ruptures

        blocks, probs = read_hdf5_ruptures(companion_hdf5(node.path), source_id, trt, where)
    kwargs = {"ruptures": blocks, "probs_occur": probs}
    return NonParametricSpec(
        kind="nonParametricSeismicSource", source_id=source_id,
        name=node.attrib.get("name", "").strip(), trt=trt, where=where, kwargs=kwargs, msr="",
        mfd_tag="", mfd_attrib={}, mfd_values={}, bin_width=reader.bin_width,
    )
