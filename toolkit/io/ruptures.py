"""Scenario ruptures: OpenQuake's ``rupture_model_file`` (NRML) and ``rupture_dict`` (job.ini).

Both give one earthquake rupture, returned as a one-rupture
:class:`~toolkit.engine.hazard.ruptures.RuptureBlock` with ``rate = [1.0]``, ``source_id`` the
rupture's NRML ``id`` attribute (``"rupture"`` without one) and ``trt`` its
``tectonicRegion`` attribute (``"*"`` without one: any GSIM applies).

NRML rupture elements (namespaces 0.4 and 0.5)
----------------------------------------------
Every rupture element holds ``<magnitude>``, ``<rake>`` and
``<hypocenter lon=".." lat=".." depth=".."/>`` and one geometry:

``singlePlaneRupture``
    one ``<planarSurface>`` with the corners ``<topLeft>``, ``<topRight>``, ``<bottomLeft>``,
    ``<bottomRight>`` (attributes ``lon lat depth``); its ``strike`` and ``dip`` attributes
    are used when present, otherwise computed from the corners (strike: azimuth from the
    top-left to the top-right corner; dip: from the mean depth difference and the mean
    horizontal distance of the bottom corners from the top edge). The bottom edge must be
    deeper than the top edge and lie on its right (Aki & Richards' convention). Surface:
    :class:`~toolkit.engine.hazard.surfaces.PlanarSurfaces`.
``multiPlanesRupture``
    two or more ``<planarSurface>`` and/or two-profile ``<kiteSurface>`` (quadrilaterals, see
    :mod:`toolkit.io.nrml_kite`); surface:
    :class:`~toolkit.engine.hazard.multi_surface.MultiSurfaces` (``rrup``, ``rjb``: closest
    plane; ``rx``, ``ry0``: GC2 over the planes' top edges).
``simpleFaultRupture``
    ``<simpleFaultGeometry>`` (``gml:LineString/gml:posList`` trace, ``dip``,
    ``upperSeismoDepth``, ``lowerSeismoDepth``), meshed as a simple fault source
    (:func:`~toolkit.engine.hazard.sources.simple_fault.simple_fault_mesh`); the rupture is the
    whole mesh (:class:`~toolkit.engine.hazard.surfaces.MeshSurfaces`).
``complexFaultRupture``
    one ``<complexFaultGeometry>`` with ``faultTopEdge``, any ``intermediateEdge`` and
    ``faultBottomEdge``, each a ``gml:LineString/gml:posList`` of ``lon lat depth`` triples,
    ordered from top to bottom; meshed by
    :func:`~toolkit.engine.hazard.complex_fault.complex_fault_surface`.

Fault meshes use the job's ``rupture_mesh_spacing`` (km). Errors are
:class:`~toolkit.errors.InputError` naming the file, the line, the element or attribute and
what was expected.

``rupture_dict``
----------------
A dict with the keys ``lon``, ``lat``, ``dep`` (hypocentre, degrees and km), ``mag``, ``rake``,
``strike`` and ``dip`` (degrees), and optionally ``msr`` (a magnitude-scaling relation of
:mod:`toolkit.engine.hazard.msr`, default ``WC1994``), ``aspect_ratio`` (length / width,
default 2), ``trt``, ``mesh_spacing`` (km, accepted and unused: the rupture is planar) and
``upper_seismogenic_depth`` / ``lower_seismogenic_depth`` (km). The rupture is the planar
rectangle of a point source (:mod:`toolkit.engine.hazard.sources.point`): area from the MSR,
:math:`L = \\sqrt{A a}`, :math:`W = A / L`, centred on the hypocentre. When a seismogenic
layer is given, the width is capped at the layer's thickness / sin(dip) and the rectangle moved
down dip into the layer, as for point sources; without one, the only bound is the Earth's
surface (a rectangle that would stick out of the ground is moved down dip until its top edge
is at depth 0). Other keys (OpenQuake accepts some more, such as identifiers of the event) are
ignored, except those that look like a misspelled known key, which are errors.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.engine.hazard.complex_fault import complex_fault_surface
from toolkit.engine.hazard.geo import azimuth, distance_to_arc
from toolkit.engine.hazard.msr import get_msr
from toolkit.engine.hazard.multi_surface import MultiSurfaces
from toolkit.engine.hazard.ruptures import RuptureBlock, Surfaces
from toolkit.engine.hazard.sources.point import PointSource
from toolkit.engine.hazard.sources.simple_fault import simple_fault_mesh
from toolkit.engine.hazard.surfaces import MeshSurfaces, PlanarSurfaces
from toolkit.errors import InputError, UnknownName
from toolkit.io.nrml import Node, _float, _floats, _in_range, _SourceReader, read_nrml
from toolkit.io.nrml_kite import kite_corners
from toolkit.io.nrml_precision import round_lonlat

__all__ = [
    "SUPPORTED_RUPTURES",
    "RUPTURE_DICT_KEYS",
    "read_rupture_model",
    "rupture_from_dict",
]

#: rupture elements of NRML that are not read yet
_UNSUPPORTED_RUPTURES = frozenset({
    "griddedRupture", "kiteFaultRupture", "multiFaultRupture", "ruptureCollection",
})

#: corners of a planarSurface in the order of PlanarSurfaces (TL, TR, BR, BL)
_CORNERS = ("topLeft", "topRight", "bottomRight", "bottomLeft")

#: a bottom edge further than this (km) on the left of the top edge is an error
_LEFT_TOLERANCE = 1e-3

#: required and optional keys of rupture_dict (optional ones with their defaults)
RUPTURE_DICT_KEYS = {
    "required": ("lon", "lat", "dep", "mag", "rake", "strike", "dip"),
    "optional": {
        "msr": "WC1994", "aspect_ratio": 2.0, "trt": "*", "mesh_spacing": None,
        "upper_seismogenic_depth": None, "lower_seismogenic_depth": None,
    },
}

#: lower seismogenic depth (km) of a rupture_dict without one: no floor in practice
_NO_FLOOR = 3000.0


# --------------------------------------------------------------------------- helpers
class _Reader(_SourceReader):
    """The NRML source reader's checked accessors (numbers, positions, seismogenic depths),
    with messages labelled by the rupture element."""

    def __init__(self, label: str) -> None:
        super().__init__(None)
        self.label = label

    def value(self, parent: Node, tag: str, low: float, high: float,
              low_open: bool = False) -> float:
        """The number in the child element ``tag`` of ``parent``, checked in range."""
        node = self.child(parent, tag)
        return _in_range(self.number(node, f"<{tag}>"), low, high, f"<{tag}>", self.at(node),
                         low_open)

    def positions3(self, node: Node, what: str) -> np.ndarray:
        """lon, lat, depth triples of a gml:posList as an (n, 3) array."""
        values = _floats(node.value, f"{what} coordinate", self.at(node))
        if len(values) % 3 or not values:
            raise InputError(f"{self.at(node)}: the {what} must be given as longitude/latitude/"
                             f"depth triples, got {len(values)} numbers")
        coords = np.array(values, dtype=float).reshape(-1, 3)
        _check_lonlat(coords, what, self.at(node))
        if np.any(coords[:, 2] < 0):
            depth = coords[np.argmax(coords[:, 2] < 0), 2]
            raise InputError(f"{self.at(node)}: {what} depth {depth:g} km is negative (depths "
                             "are km, positive down)")
        return round_lonlat(coords)  # 5 decimals, as OpenQuake (toolkit.io.nrml_precision)

    def attr(self, node: Node, name: str, low: float, high: float,
             low_open: bool = False) -> float:
        """The number in the attribute ``name`` of ``node``, checked in range; messages name
        the element and the attribute."""
        what = f"<{node.tag}> {name}"
        value = _float(node.get(name, self.label), what, self.at(node))
        return _in_range(value, low, high, what, self.at(node), low_open)

    def corner(self, node: Node) -> np.ndarray:
        """lon, lat, depth attributes of a point element (corner, hypocentre)."""
        point = np.array([self.attr(node, "lon", -180, 180), self.attr(node, "lat", -90, 90),
                          self.attr(node, "depth", 0, math.inf)])
        return round_lonlat(point[None, :])[0]  # 5 decimals, as OpenQuake


def _check_lonlat(coords: np.ndarray, what: str, where: str) -> None:
    bad = (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
    if np.any(bad):
        lon, lat = coords[np.argmax(bad), :2]
        raise InputError(f"{where}: {what} point ({lon:g}, {lat:g}) is out of range (longitude "
                         "in [-180, 180], latitude in [-90, 90])")


def _mesh_spacing(value: Any, where: str) -> float:
    try:
        spacing = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: rupture_mesh_spacing must be a number of km, got "
                         f"{value!r}") from None
    if not (math.isfinite(spacing) and spacing > 0):
        raise InputError(f"{where}: rupture_mesh_spacing must be positive, got {value!r}")
    return spacing


# --------------------------------------------------------------------------- geometries
def _planar(reader: _Reader, node: Node,
            spacing: float | None = None) -> tuple[np.ndarray, float, float]:
    """Corners (4, 3) in PlanarSurfaces order, strike and dip of a <planarSurface> (or of a
    two-profile <kiteSurface>, see :mod:`toolkit.io.nrml_kite`)."""
    if node.tag == "kiteSurface":
        corners = kite_corners(reader, node, spacing)
    else:
        corners = np.array([reader.corner(reader.child(node, name)) for name in _CORNERS])
    tl, tr, br, bl = corners
    where = reader.at(node)
    for top, bottom, side in ((tl, bl, "left"), (tr, br, "right")):
        if bottom[2] <= top[2]:
            raise InputError(
                f"{where}: the bottom edge is not below the top edge: bottom{side.title()} "
                f"depth {bottom[2]:g} km <= top{side.title()} depth {top[2]:g} km"
            )
    if tl[0] == tr[0] and tl[1] == tr[1]:
        raise InputError(f"{where}: topLeft and topRight are the same point; the top edge "
                         "needs a length")
    top_azimuth = float(azimuth(tl[0], tl[1], tr[0], tr[1]))
    # horizontal distances of the bottom corners from the top edge, + on its right
    offsets = distance_to_arc(tl[0], tl[1], top_azimuth, corners[[3, 2], 0], corners[[3, 2], 1])
    offset = float(np.mean(offsets))
    if offset < -_LEFT_TOLERANCE:
        raise InputError(
            f"{where}: the bottom edge lies {-offset:.3f} km on the left of the top edge "
            "(topLeft -> topRight); the surface must dip to the right of its strike (Aki & "
            "Richards' convention): swap left and right"
        )
    drop = float(np.mean(corners[[3, 2], 2] - corners[[0, 1], 2]))
    dip = float(np.degrees(np.arctan2(drop, max(offset, 0.0))))
    strike = top_azimuth
    if "strike" in node.attrib:
        strike = reader.attr(node, "strike", 0, 360)
    if "dip" in node.attrib:
        dip = reader.attr(node, "dip", 0, 90, low_open=True)
    return corners, strike, dip


def _single_plane(reader: _Reader, node: Node, spacing: float) -> Surfaces:
    surfaces = node.findall("planarSurface")
    if len(surfaces) != 1:
        raise InputError(f"{reader.at(node)}: <singlePlaneRupture> needs exactly one "
                         f"<planarSurface>, found {len(surfaces)} (use <multiPlanesRupture> "
                         "for several)")
    corners, strike, dip = _planar(reader, surfaces[0])
    return PlanarSurfaces(corners[None], strike, dip)


def _multi_planes(reader: _Reader, node: Node, spacing: float) -> Surfaces:
    surfaces = [c for c in node.children if c.tag in ("planarSurface", "kiteSurface")]
    if not surfaces:
        raise InputError(f"{reader.at(node)}: <multiPlanesRupture> has no <planarSurface> "
                         "or <kiteSurface>")
    planes = [_planar(reader, s, spacing) for s in surfaces]
    corners = np.array([p[0] for p in planes])
    planar = PlanarSurfaces(corners, [p[1] for p in planes], [p[2] for p in planes])
    return MultiSurfaces([planar])


def _simple_fault(reader: _Reader, node: Node, spacing: float) -> Surfaces:
    geoms = node.findall("simpleFaultGeometry")
    if len(geoms) != 1:
        raise InputError(f"{reader.at(node)}: <{node.tag}> needs exactly one "
                         f"<simpleFaultGeometry>, found {len(geoms)}")
    geom = geoms[0]
    poslist = reader.child(reader.child(geom, "LineString"), "posList")
    trace = reader._positions(poslist, "fault trace")
    if len(trace) < 2:
        raise InputError(f"{reader.at(poslist)}: a fault trace needs at least 2 points, got "
                         f"{len(trace)}")
    dip = reader.value(geom, "dip", 0, 90, low_open=True)
    depths = reader._depths(geom)
    upper, lower = depths["upper_seismogenic_depth"], depths["lower_seismogenic_depth"]
    mesh = simple_fault_mesh(trace, upper, lower, dip, spacing)
    ny, nx = mesh.shape
    if min(ny, nx) < 2:
        raise InputError(f"{reader.at(geom)}: the fault surface has a mesh of {ny} x {nx} "
                         f"nodes with rupture_mesh_spacing = {spacing:g} km; at least 2 x 2 "
                         "are needed (use a smaller rupture_mesh_spacing)")
    return MeshSurfaces(mesh, [0], [0], [ny], [nx], dip)


def _complex_fault(reader: _Reader, node: Node, spacing: float) -> Surfaces:
    geoms = node.findall("complexFaultGeometry")
    if len(geoms) != 1:
        raise InputError(f"{reader.at(node)}: <{node.tag}> needs exactly one "
                         f"<complexFaultGeometry>, found {len(geoms)} (use <multiPlanesRupture> "
                         "for a rupture of several surfaces)")
    geom = geoms[0]
    edge_nodes = ([reader.child(geom, "faultTopEdge")] + geom.findall("intermediateEdge")
                  + [reader.child(geom, "faultBottomEdge")])
    edges = []
    for edge_node in edge_nodes:
        poslist = reader.child(reader.child(edge_node, "LineString"), "posList")
        edge = reader.positions3(poslist, f"<{edge_node.tag}>")
        if len(edge) < 2:
            raise InputError(f"{reader.at(poslist)}: <{edge_node.tag}> needs at least 2 points, "
                             f"got {len(edge)}")
        if edges and edge[:, 2].mean() <= edges[-1][1][:, 2].mean():
            above = edges[-1][0]
            raise InputError(
                f"{reader.at(edge_node)}: <{edge_node.tag}> (mean depth "
                f"{edge[:, 2].mean():g} km) is not below <{above.tag}> at line {above.line} "
                f"(mean depth {edges[-1][1][:, 2].mean():g} km); edges go from the top edge "
                "down to the bottom edge"
            )
        edges.append((edge_node, edge))
    try:
        return complex_fault_surface([e for _, e in edges], spacing)
    except UnknownName:
        raise
    except InputError as exc:
        raise InputError(f"{reader.at(geom)}: {exc} (rupture_mesh_spacing = {spacing:g} "
                         "km)") from exc


#: rupture element -> reader of its surface
SUPPORTED_RUPTURES: dict[str, Callable[[_Reader, Node, float], Surfaces]] = {
    "singlePlaneRupture": _single_plane,
    "multiPlanesRupture": _multi_planes,
    "simpleFaultRupture": _simple_fault,
    "complexFaultRupture": _complex_fault,
}


# --------------------------------------------------------------------------- NRML
def read_rupture_model(path: Path, mesh_spacing: float) -> RuptureBlock:
    """Read an NRML rupture file (OpenQuake's ``rupture_model_file``) into one rupture.

    Parameters
    ----------
    path : Path
        NRML 0.4 or 0.5 file holding one rupture element (see the module docstring).
    mesh_spacing : float
        ``rupture_mesh_spacing`` of the job, km (used by fault ruptures).

    Returns
    -------
    RuptureBlock
        One rupture, ``rate = [1.0]``.

    Raises
    ------
    InputError
        Malformed XML, an unsupported rupture element, a missing or invalid value; the
        message names the file, the line and the element or attribute.
    """
    path = Path(path)
    spacing = _mesh_spacing(mesh_spacing, str(path))
    node, _ = read_nrml(path)
    kind = node.tag
    build = SUPPORTED_RUPTURES.get(kind)
    if build is None:
        supported = ", ".join(f"<{k}>" for k in SUPPORTED_RUPTURES)
        what = "is not supported yet" if kind in _UNSUPPORTED_RUPTURES else "is not a rupture"
        raise InputError(f"{node.where}: <{kind}> {what}; a rupture model holds one of "
                         f"{supported}")
    source_id = node.attrib.get("id", "").strip() or "rupture"
    reader = _Reader(f"<{kind}>" if source_id == "rupture" else f"<{kind}> {source_id!r}")
    mag = reader.value(node, "magnitude", 0, 10, low_open=True)
    rake = reader.value(node, "rake", -180, 180)
    hypo_node = reader.child(node, "hypocenter")
    hypo = reader.corner(hypo_node)
    surface = build(reader, node, spacing)
    trt = (node.attrib.get("tectonicRegion") or "").strip() or "*"
    return RuptureBlock(
        source_id=source_id, trt=trt, mag=np.array([mag]), rake=np.array([rake]),
        rate=np.array([1.0]), hypo=hypo[None, :], surface=surface,
    )


# --------------------------------------------------------------------------- rupture_dict
class _OneMagnitude:
    """A magnitude-frequency distribution with one magnitude of rate 1 (one scenario)."""

    def __init__(self, mag: float) -> None:
        self.mag = mag

    def get_annual_occurrence_rates(self) -> tuple[np.ndarray, np.ndarray]:
        return np.array([self.mag]), np.array([1.0])


def _dict_number(d: dict, key: str, where: str, low: float, high: float,
                 low_open: bool = False) -> float:
    value = d[key]
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise InputError(f"{where}: rupture_dict[{key!r}] must be a number, got {value!r}")
    return _in_range(_float(value, f"rupture_dict[{key!r}]", where), low, high,
                     f"rupture_dict[{key!r}]", where, low_open)


def rupture_from_dict(d: dict, mesh_spacing: float, where: str = "") -> RuptureBlock:
    """Build the planar rupture of a ``rupture_dict`` (see the module docstring).

    Parameters
    ----------
    d : dict
        ``lon``, ``lat``, ``dep``, ``mag``, ``rake``, ``strike``, ``dip`` and optional keys.
    mesh_spacing : float
        ``rupture_mesh_spacing`` of the job, km (validated; the rupture is planar). A
        ``mesh_spacing`` key of ``d`` takes precedence.
    where : str
        Location for error messages (e.g. ``"job.ini line 12"``); default ``"rupture_dict"``.

    Raises
    ------
    InputError
        Missing keys (all listed), misspelled keys, non-numeric or out-of-range values, a
        hypocentre outside the given seismogenic layer.
    UnknownName
        Unknown magnitude-scaling relation.
    """
    where = where or "rupture_dict"
    if not isinstance(d, dict):
        raise InputError(f"{where}: rupture_dict must be a dict such as {{'lon': 80, 'lat': 30, "
                         f"'dep': 10, 'mag': 6, 'rake': 0, 'strike': 0, 'dip': 90}}, got {d!r}")
    required = RUPTURE_DICT_KEYS["required"]
    optional = RUPTURE_DICT_KEYS["optional"]
    known = list(required) + list(optional)
    missing = [k for k in required if k not in d]
    for key in d:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.8)
            if close and close[0] not in d:
                raise InputError(f"{where}: unknown rupture_dict key {key!r}; did you mean "
                                 f"{close[0]!r}?")
    if missing:
        raise InputError(f"{where}: rupture_dict lacks the key(s) {', '.join(map(repr, missing))}"
                         f" (required: {', '.join(required)})")
    lon = _dict_number(d, "lon", where, -180, 180)
    lat = _dict_number(d, "lat", where, -90, 90)
    dep = _dict_number(d, "dep", where, 0, math.inf)
    mag = _dict_number(d, "mag", where, 0, 10, low_open=True)
    rake = _dict_number(d, "rake", where, -180, 180)
    strike = _dict_number(d, "strike", where, 0, 360)
    dip = _dict_number(d, "dip", where, 0, 90, low_open=True)
    values = {**optional, **{k: d[k] for k in optional if k in d}}
    aspect = _dict_number(values, "aspect_ratio", where, 0, math.inf, low_open=True)
    if values["mesh_spacing"] is not None:
        mesh_spacing = _dict_number(values, "mesh_spacing", where, 0, math.inf, low_open=True)
    _mesh_spacing(mesh_spacing, where)
    msr = values["msr"]
    if isinstance(msr, str):
        msr = get_msr(msr, f"{where}: rupture_dict['msr']")
    elif not hasattr(msr, "get_median_area"):
        raise InputError(f"{where}: rupture_dict['msr'] must be the name of a magnitude-scaling "
                         f"relation such as 'WC1994', got {msr!r}")
    trt = values["trt"]
    if not isinstance(trt, str) or not trt.strip():
        raise InputError(f"{where}: rupture_dict['trt'] must be a tectonic region type name, "
                         f"got {trt!r}")
    upper = lower = None
    if values["upper_seismogenic_depth"] is not None:
        upper = _dict_number(values, "upper_seismogenic_depth", where, 0, math.inf)
    if values["lower_seismogenic_depth"] is not None:
        lower = _dict_number(values, "lower_seismogenic_depth", where, 0, math.inf, True)
    upper = 0.0 if upper is None else upper
    lower = max(_NO_FLOOR, dep) if lower is None else lower
    if lower <= upper:
        raise InputError(f"{where}: rupture_dict lower_seismogenic_depth ({lower:g} km) must be "
                         f"greater than upper_seismogenic_depth ({upper:g} km)")
    if not upper <= dep <= lower:
        raise InputError(f"{where}: rupture_dict['dep'] = {dep:g} km is outside the seismogenic "
                         f"layer [{upper:g}, {lower:g}] km")
    try:
        source = PointSource(
            source_id="rupture", name="rupture_dict", trt=trt.strip(), lon=lon, lat=lat,
            upper_seismogenic_depth=upper, lower_seismogenic_depth=lower, msr=msr,
            rupture_aspect_ratio=aspect, mfd=_OneMagnitude(mag),
            nodal_planes=[(1.0, strike, dip, rake)], hypo_depths=[(1.0, dep)],
            rupture_mesh_spacing=mesh_spacing,
        )
        [block] = list(source.iter_ruptures())
    except UnknownName:
        raise
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from exc
    return block
