"""NRML readers for complex fault and characteristic fault sources.

:func:`read_fault_source` is called by :meth:`toolkit.io.nrml._SourceReader.read_source` for
every source element; it returns a :class:`~toolkit.io.nrml.SourceSpec` for the elements below
and None for the others.

``complexFaultSource``
    ``<complexFaultGeometry>`` with ``<faultTopEdge>``, any ``<intermediateEdge>`` and
    ``<faultBottomEdge>``, each a ``gml:LineString/gml:posList`` of ``lon lat depth``
    triplets; ``<magScaleRel>``, ``<ruptAspectRatio>``, one MFD and ``<rake>``. The mesh
    spacing is the job's ``complex_fault_mesh_spacing``, or ``rupture_mesh_spacing`` when the
    job does not set it (:class:`~toolkit.engine.hazard.sources.complex_fault.ComplexFaultSource`).
``characteristicFaultSource``
    one MFD, ``<rake>`` and a ``<surface>`` holding one ``<simpleFaultGeometry>`` (meshed at
    ``rupture_mesh_spacing``), one ``<complexFaultGeometry>`` (meshed at
    ``complex_fault_mesh_spacing``) or one or more ``<planarSurface>`` elements with
    ``<topLeft>``, ``<topRight>``, ``<bottomLeft>`` and ``<bottomRight>`` corners (attributes
    ``lon``, ``lat``, ``depth``; the ``strike`` and ``dip`` attributes are not used: they follow
    from the corners) (:class:`~toolkit.engine.hazard.sources.characteristic.
    CharacteristicFaultSource`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit.errors import InputError, UnknownName
from toolkit.io.nrml import Node, SourceSpec, _floats, _in_range, _SourceReader
from toolkit.io.nrml_aspect import read_aspect_ratio
from toolkit.io.nrml_kite import kite_corners
from toolkit.io.nrml_precision import round_lonlat

__all__ = ["ComplexFaultSpec", "CharacteristicSpec", "read_fault_source",
           "complex_mesh_spacing"]

_EDGE_TAGS = ("faultTopEdge", "intermediateEdge", "faultBottomEdge")
_CORNERS = ("topLeft", "topRight", "bottomRight", "bottomLeft")  # engine order


def _wrap_errors(where: str, make) -> Any:
    try:
        return make()
    except UnknownName:
        raise
    except InputError as exc:
        if where in str(exc):
            raise
        raise InputError(f"{where}: {exc}") from exc


@dataclass(frozen=True)
class ComplexFaultSpec(SourceSpec):
    """A ``complexFaultSource``; ``kwargs`` holds ``edges``, ``rake``,
    ``rupture_aspect_ratio`` and ``complex_fault_mesh_spacing``."""

    def build(self) -> Any:
        from toolkit.engine.hazard.mfd import build_mfd
        from toolkit.engine.hazard.msr import get_msr
        from toolkit.engine.hazard.sources.complex_fault import ComplexFaultSource

        msr = get_msr(self.msr, self.where)
        mfd = build_mfd(self.mfd_tag, dict(self.mfd_attrib),
                        {k: list(v) for k, v in self.mfd_values.items()},
                        bin_width=self.bin_width, where=self.where)
        return _wrap_errors(self.where, lambda: ComplexFaultSource(
            source_id=self.source_id, name=self.name, trt=self.trt, msr=msr, mfd=mfd,
            **self.kwargs))


@dataclass(frozen=True)
class CharacteristicSpec(SourceSpec):
    """A ``characteristicFaultSource``; ``kwargs`` holds ``rake`` and ``geometry``."""

    def build(self) -> Any:
        from toolkit.engine.hazard.mfd import build_mfd
        from toolkit.engine.hazard.sources.characteristic import CharacteristicFaultSource

        mfd = build_mfd(self.mfd_tag, dict(self.mfd_attrib),
                        {k: list(v) for k, v in self.mfd_values.items()},
                        bin_width=self.bin_width, where=self.where)
        return _wrap_errors(self.where, lambda: CharacteristicFaultSource(
            source_id=self.source_id, name=self.name, trt=self.trt, mfd=mfd, **self.kwargs))


def complex_mesh_spacing(params: Any, default: float) -> float:
    """``complex_fault_mesh_spacing`` of the job (from its raw values), else ``default``."""
    raw = getattr(params, "raw", None) or {}
    text = raw.get("complex_fault_mesh_spacing")
    if text is None or not str(text).strip():
        return float(default)
    where = params.where("complex_fault_mesh_spacing") if hasattr(params, "where") else "job"
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{where}: complex_fault_mesh_spacing must be a number (km), got "
                         f"{text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"{where}: complex_fault_mesh_spacing must be positive, got {text!r}")
    return value


# --------------------------------------------------------------------------- dispatch
def read_fault_source(reader: _SourceReader, node: Node, group_trt: str | None
                      ) -> SourceSpec | None:
    """The spec of a complex or characteristic fault source; None for other elements."""
    if node.tag == "complexFaultSource":
        return _complex_source(reader, node, group_trt)
    if node.tag == "characteristicFaultSource":
        return _characteristic(reader, node, group_trt)
    return None


def _spacing(reader: _SourceReader) -> float:
    return complex_mesh_spacing(getattr(reader, "params", None), reader.mesh_spacing)


def _rake(reader: _SourceReader, node: Node) -> float:
    rake_node = reader.child(node, "rake")
    return _in_range(reader.number(rake_node, "rake"), -180, 180, "rake", reader.at(rake_node))


def _edge(reader: _SourceReader, edge: Node) -> np.ndarray:
    poslist = reader.child(reader.child(edge, "LineString"), "posList")
    values = _floats(poslist.value, f"{edge.tag} coordinate", reader.at(poslist))
    if len(values) % 3 or len(values) < 6:
        raise InputError(f"{reader.at(poslist)}: <{edge.tag}> must hold at least 2 'longitude "
                         f"latitude depth' triplets, got {len(values)} numbers")
    points = np.array(values, dtype=float).reshape(-1, 3)
    bad = (np.abs(points[:, 0]) > 180) | (np.abs(points[:, 1]) > 90)
    if np.any(bad):
        lon, lat, _ = points[np.argmax(bad)]
        raise InputError(f"{reader.at(poslist)}: <{edge.tag}> point ({lon:g}, {lat:g}) is out "
                         "of range (longitude in [-180, 180], latitude in [-90, 90])")
    return round_lonlat(points)  # 5 decimals, as OpenQuake (toolkit.io.nrml_precision)


def _edges(reader: _SourceReader, geom: Node) -> list[np.ndarray]:
    """Top, intermediate and bottom edges of a ``complexFaultGeometry``, in depth order."""
    top = reader.child(geom, "faultTopEdge")
    bottom = reader.child(geom, "faultBottomEdge")
    edges = [_edge(reader, top)]
    edges += [_edge(reader, e) for e in geom.findall("intermediateEdge")]
    edges.append(_edge(reader, bottom))
    for i in range(1, len(edges)):
        if edges[i][:, 2].mean() <= edges[i - 1][:, 2].mean():
            raise InputError(f"{reader.at(geom)}: the edges of <complexFaultGeometry> must be "
                             "ordered from the top edge down to the bottom edge (edge "
                             f"{i} has mean depth {edges[i][:, 2].mean():g} km, the one above "
                             f"{edges[i - 1][:, 2].mean():g} km)")
    return edges


# --------------------------------------------------------------------------- sources
def _complex_source(reader: _SourceReader, node: Node, group_trt: str | None) -> SourceSpec:
    source_id, trt, where = reader.header(node, group_trt)
    msr_node = reader.child(node, "magScaleRel")
    msr = " ".join(msr_node.value.split())
    if not msr:
        raise InputError(f"{reader.at(msr_node)}: empty <magScaleRel>")
    ratio = read_aspect_ratio(reader, node)
    mfd_tag, mfd_attrib, mfd_values = reader._mfd(node)
    geom = reader.child(node, "complexFaultGeometry")
    kwargs = {"edges": _edges(reader, geom), "rake": _rake(reader, node),
              "rupture_aspect_ratio": ratio, "complex_fault_mesh_spacing": _spacing(reader)}
    return ComplexFaultSpec(
        kind=node.tag, source_id=source_id, name=node.attrib.get("name", "").strip(), trt=trt,
        where=where, kwargs=kwargs, msr=msr, mfd_tag=mfd_tag, mfd_attrib=mfd_attrib,
        mfd_values=mfd_values, bin_width=reader.bin_width)


def _characteristic(reader: _SourceReader, node: Node, group_trt: str | None) -> SourceSpec:
    source_id, trt, where = reader.header(node, group_trt)
    mfd_tag, mfd_attrib, mfd_values = reader._mfd(node)
    surface = reader.child(node, "surface")
    kwargs = {"rake": _rake(reader, node), "geometry": _surface(reader, surface)}
    return CharacteristicSpec(
        kind=node.tag, source_id=source_id, name=node.attrib.get("name", "").strip(), trt=trt,
        where=where, kwargs=kwargs, msr="", mfd_tag=mfd_tag, mfd_attrib=mfd_attrib,
        mfd_values=mfd_values, bin_width=reader.bin_width)


def _surface(reader: _SourceReader, surface: Node) -> dict[str, Any]:
    tags = [child.tag for child in surface.children]
    if tags == ["simpleFaultGeometry"]:
        geom = surface.children[0]
        poslist = reader.child(reader.child(geom, "LineString"), "posList")
        trace = reader._positions(poslist, "fault trace")
        if len(trace) < 2:
            raise InputError(f"{reader.at(poslist)}: a fault trace needs at least 2 points, "
                             f"got {len(trace)}")
        dip_node = reader.child(geom, "dip")
        dip = _in_range(reader.number(dip_node, "dip"), 0, 90, "dip", reader.at(dip_node),
                        low_open=True)
        out: dict[str, Any] = {"kind": "simple", "trace": trace, "dip": dip,
                               "mesh_spacing": reader.mesh_spacing}
        out.update(reader._depths(geom))
        return out
    if tags == ["complexFaultGeometry"]:
        return {"kind": "complex", "edges": _edges(reader, surface.children[0]),
                "mesh_spacing": _spacing(reader)}
    if tags and all(tag in ("planarSurface", "kiteSurface") for tag in tags):
        return {"kind": "planar", "corners": np.array([
            kite_corners(reader, p, reader.mesh_spacing) if p.tag == "kiteSurface"
            else _plane(reader, p) for p in surface.children])}
    found = ", ".join(f"<{t}>" for t in tags) or "nothing"
    raise InputError(f"{reader.at(surface)}: <surface> must hold one <simpleFaultGeometry>, "
                     f"one <complexFaultGeometry> or one or more <planarSurface> or two-profile "
                     f"<kiteSurface>; found {found} (griddedSurface is not supported yet)")


def _plane(reader: _SourceReader, plane: Node) -> np.ndarray:
    corners = []
    for tag in _CORNERS:
        corner = reader.child(plane, tag)
        lon = _in_range(reader.number(corner, "lon", corner.get("lon", reader.label)),
                        -180, 180, f"<{tag}> lon", reader.at(corner))
        lat = _in_range(reader.number(corner, "lat", corner.get("lat", reader.label)),
                        -90, 90, f"<{tag}> lat", reader.at(corner))
        depth = _in_range(reader.number(corner, "depth", corner.get("depth", reader.label)),
                          -10, math.inf, f"<{tag}> depth", reader.at(corner))
        corners.append((lon, lat, depth))
    corners_arr = round_lonlat(np.array(corners))  # 5 decimals, as OpenQuake
    top, bottom = corners_arr[:2, 2].mean(), corners_arr[2:, 2].mean()
    if bottom < top:
        raise InputError(f"{reader.at(plane)}: the bottom corners of <planarSurface> are "
                         f"shallower ({bottom:g} km) than the top ones ({top:g} km)")
    return corners_arr
