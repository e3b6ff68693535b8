"""NRML (OpenQuake XML) files: a line-aware parser and the source-model reader.

NRML is the XML format of OpenQuake input models (namespaces
``http://openquake.org/xmlns/nrml/0.4`` and ``.../0.5``, geometry in GML). This module
reads it with :mod:`xml.parsers.expat` into small :class:`Node` trees that remember the line
of every element, so that every error names the file and the line.

Source models
-------------
:func:`read_source_model` turns a ``<sourceModel>`` into a :class:`SourceModel` of engine
source objects. Both layouts are accepted:

* NRML 0.4: sources directly under ``<sourceModel>``, each with a ``tectonicRegion``
  attribute; sources are grouped by tectonic region type (TRT) in order of appearance;
* NRML 0.5: ``<sourceGroup tectonicRegion="...">`` elements holding the sources.

Supported source types: ``pointSource``, ``areaSource`` and ``simpleFaultSource`` (read here),
``complexFaultSource`` and ``characteristicFaultSource`` (:mod:`toolkit.io.nrml_faults`),
``multiPointSource`` and ``nonParametricSeismicSource``, and ``hypoList``/``slipList`` on any
point-type source (:mod:`toolkit.io.nrml_points`). A simple
fault may carry the toolkit extension element
``<ruptureAreaVariability sigmaLog10Area="0.25" truncation="2" samples="11"/>`` and the
down-dip hypocentre distribution ``<hypocentreDepthDistribution kind="triangular"
minDepth="0" modeDepth="10" maxDepth="30"/>`` (``kind="uniform"`` without ``modeDepth``).

Reading happens in two steps: :func:`parse_source_model` validates the XML and collects
the constructor arguments of every source as a :class:`SourceSpec` (no engine import), and
:meth:`SourceSpec.build` creates the engine object (resolving the magnitude-scaling
relation and the MFD through the engine registries).
"""

from __future__ import annotations

import math
import xml.parsers.expat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import InputError, UnknownName
from toolkit.io.nrml_aspect import read_aspect_ratio
from toolkit.io.nrml_precision import round_lonlat

__all__ = [
    "Node",
    "parse_xml",
    "read_nrml",
    "NRML_NAMESPACES",
    "SUPPORTED_SOURCE_TYPES",
    "SourceSpec",
    "SourceGroup",
    "SourceModel",
    "parse_source_model",
    "read_source_model",
    "read_source_models",
]

#: namespace URI -> NRML version
NRML_NAMESPACES = {
    "http://openquake.org/xmlns/nrml/0.4": "0.4",
    "http://openquake.org/xmlns/nrml/0.5": "0.5",
}

#: source element -> engine class name in :mod:`toolkit.engine.hazard.sources`
SUPPORTED_SOURCE_TYPES = {
    "pointSource": "PointSource",
    "areaSource": "AreaSource",
    "simpleFaultSource": "SimpleFaultSource",
}

#: source types of NRML that the toolkit does not read yet
KNOWN_UNSUPPORTED_SOURCE_TYPES = frozenset({"multiFaultSource", "kiteFaultSource"})

#: tolerance on probabilities (nodal planes, hypocentral depths) summing to one
PROBABILITY_TOLERANCE = 1e-6

# sourceGroup attributes: read by toolkit.io.nrml_groups


# --------------------------------------------------------------------------- XML tree
@dataclass
class Node:
    """One XML element: local tag name, namespace URI, attributes, text and children.

    Attributes
    ----------
    tag : str
        Local name without namespace (``"pointSource"``, ``"posList"``).
    ns : str
        Namespace URI (``""`` when none).
    attrib : dict of str -> str
        Attributes by local name.
    text : str
        Character data directly inside the element (children's text excluded), unstripped.
    children : list of Node
    line : int
        Line of the start tag (1-based).
    path : Path
        File the element comes from.
    """

    tag: str
    ns: str
    attrib: dict[str, str]
    line: int
    path: Path
    text: str = ""
    children: list[Node] = field(default_factory=list)

    @property
    def where(self) -> str:
        """``"<file> line <n>"``: the location used in error messages."""
        return f"{self.path} line {self.line}"

    def find(self, tag: str) -> Node | None:
        """First direct child named ``tag``, or None."""
        for child in self.children:
            if child.tag == tag:
                return child
        return None

    def findall(self, tag: str) -> list[Node]:
        """All direct children named ``tag``."""
        return [child for child in self.children if child.tag == tag]

    def child(self, tag: str, context: str = "") -> Node:
        """The direct child ``tag``; :class:`InputError` naming the element if missing."""
        found = self.find(tag)
        if found is None:
            ctx = f", {context}" if context else ""
            raise InputError(f"{self.where}{ctx}: <{self.tag}> has no <{tag}> element")
        return found

    def iter(self, tag: str | None = None) -> Iterator[Node]:
        """This node and all descendants (depth first), optionally only those named ``tag``."""
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            yield from child.iter(tag)

    def get(self, name: str, context: str = "") -> str:
        """The attribute ``name``; :class:`InputError` if missing or empty."""
        value = self.attrib.get(name, "").strip()
        if not value:
            ctx = f", {context}" if context else ""
            raise InputError(f"{self.where}{ctx}: <{self.tag}> lacks the attribute {name!r}")
        return value

    @property
    def value(self) -> str:
        """The text with surrounding whitespace removed."""
        return self.text.strip()


def _split_name(name: str) -> tuple[str, str]:
    if "}" in name:
        ns, local = name.rsplit("}", 1)
        return ns, local
    return "", name


def parse_xml(path: str | Path) -> Node:
    """Parse an XML file into a :class:`Node` tree that records line numbers.

    Raises
    ------
    InputError
        If the file does not exist or is not well-formed XML (the message gives the line).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None

    parser = xml.parsers.expat.ParserCreate(namespace_separator="}")
    stack: list[Node] = []
    texts: list[list[str]] = []
    root: list[Node] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        ns, tag = _split_name(name)
        attrib = {_split_name(k)[1]: v for k, v in attrs.items()}
        node = Node(tag, ns, attrib, parser.CurrentLineNumber, path)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)
        texts.append([])

    def end(name: str) -> None:
        node = stack.pop()
        node.text = "".join(texts.pop())

    def chars(data: str) -> None:
        if texts:
            texts[-1].append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        message = xml.parsers.expat.ErrorString(exc.code)
        raise InputError(
            f"{path} line {exc.lineno}: malformed XML ({message}, column {exc.offset + 1})"
        ) from None
    return root[0]


def read_nrml(path: str | Path) -> tuple[Node, str]:
    """Parse an NRML file and return its single content element and the NRML version.

    Raises
    ------
    InputError
        If the root is not ``<nrml>`` in a known NRML namespace, or holds no element.
    """
    root = parse_xml(path)
    if root.tag != "nrml":
        raise InputError(f"{root.where}: not an NRML file: the root element is "
                         f"<{root.tag}>, expected <nrml>")
    version = NRML_NAMESPACES.get(root.ns)
    if version is None:
        known = ", ".join(NRML_NAMESPACES)
        raise InputError(f"{root.where}: unknown NRML namespace {root.ns!r}; expected one of "
                         f"{known}")
    if not root.children:
        raise InputError(f"{root.where}: the <nrml> element is empty")
    return root.children[0], version


# --------------------------------------------------------------------------- numbers
def _float(text: str, what: str, where: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise InputError(f"{where}: {what} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise InputError(f"{where}: {what} must be a finite number, got {text!r}")
    return value


def _floats(text: str, what: str, where: str) -> list[float]:
    return [_float(item, what, where) for item in text.split()]


def _in_range(value: float, low: float, high: float, what: str, where: str,
              low_open: bool = False) -> float:
    if (value <= low if low_open else value < low) or value > high:
        bracket = "(" if low_open else "["
        raise InputError(f"{where}: {what} must be in {bracket}{low:g}, {high:g}], got {value:g}")
    return value


# --------------------------------------------------------------------------- model
@dataclass(frozen=True)
class SourceSpec:
    """The validated constructor arguments of one source, before the engine builds it.

    Attributes
    ----------
    kind : str
        NRML element (``"pointSource"``, ``"areaSource"``, ``"simpleFaultSource"``).
    source_id, name, trt : str
    where : str
        ``"<file> line <n>, source '<id>'"``.
    kwargs : dict
        Keyword arguments of the engine class except ``msr`` and ``mfd``.
    msr : str
        Text of ``<magScaleRel>`` (whitespace normalised).
    mfd_tag : str
        MFD element (``"truncGutenbergRichterMFD"``, ``"incrementalMFD"``, ...).
    mfd_attrib : dict of str -> str
        Attributes of the MFD element.
    mfd_values : dict of str -> list of float
        Numbers in the MFD's child elements (``occurRates``, ``magnitudes``).
    bin_width : float or None
        ``width_of_mfd_bin`` of the job.
    """

    kind: str
    source_id: str
    name: str
    trt: str
    where: str
    kwargs: dict[str, Any]
    msr: str
    mfd_tag: str
    mfd_attrib: dict[str, str]
    mfd_values: dict[str, list[float]]
    bin_width: float | None = None

    def build(self) -> Any:
        """Create the engine source (PointSource, AreaSource or SimpleFaultSource).

        Raises
        ------
        UnknownName
            Unknown magnitude-scaling relation or MFD type.
        InputError
            Invalid parameters; the message starts with :attr:`where`.
        """
        from toolkit.engine.hazard import sources as engine_sources
        from toolkit.engine.hazard.mfd import build_mfd
        from toolkit.engine.hazard.msr import get_msr

        cls = getattr(engine_sources, SUPPORTED_SOURCE_TYPES[self.kind])
        msr = get_msr(self.msr, self.where)
        mfd = build_mfd(self.mfd_tag, dict(self.mfd_attrib),
                        {k: list(v) for k, v in self.mfd_values.items()},
                        bin_width=self.bin_width, where=self.where)
        try:
            return cls(source_id=self.source_id, name=self.name, trt=self.trt, msr=msr,
                       mfd=mfd, **self.kwargs)
        except UnknownName:
            raise
        except InputError as exc:
            if self.where in str(exc):
                raise
            raise InputError(f"{self.where}: {exc}") from exc


@dataclass
class SourceGroup:
    """Sources of one tectonic region type."""

    trt: str
    sources: list[Any]
    #: mutex/cluster/occurrence-model attributes (toolkit.io.nrml_groups); None when plain
    semantics: Any = None


@dataclass
class SourceModel:
    """A source model: its name and its sources grouped by tectonic region type.

    ``groups`` holds engine source objects (from :func:`read_source_model`) or
    :class:`SourceSpec` objects (from :func:`parse_source_model`).
    """

    name: str
    groups: list[SourceGroup]
    paths: list[Path] = field(default_factory=list)

    @property
    def trts(self) -> list[str]:
        """Tectonic region types of the groups, in order, without repetition."""
        return list(dict.fromkeys(group.trt for group in self.groups))

    @property
    def sources(self) -> list[Any]:
        """All sources of all groups, in order."""
        return [src for group in self.groups for src in group.sources]

    def by_trt(self) -> dict[str, list[Any]]:
        """Sources per tectonic region type (groups of the same TRT merged)."""
        out: dict[str, list[Any]] = {}
        for group in self.groups:
            out.setdefault(group.trt, []).extend(group.sources)
        return out

    def __len__(self) -> int:
        return sum(len(group.sources) for group in self.groups)


# --------------------------------------------------------------------------- parsing
def _job_value(params: Any, name: str, default: Any) -> Any:
    return default if params is None else getattr(params, name, default)


def parse_source_model(path: str | Path, *, params: Any = None) -> SourceModel:
    """Read a source-model file into a :class:`SourceModel` of :class:`SourceSpec` objects.

    Parameters
    ----------
    path : str or Path
        NRML 0.4 or 0.5 file with a ``<sourceModel>``.
    params : JobParams, optional
        Supplies ``rupture_mesh_spacing`` (default 5 km), ``area_source_discretization``
        and ``width_of_mfd_bin``.

    Raises
    ------
    InputError
        Malformed XML, unsupported source types, missing or invalid values, probabilities not
        summing to one, duplicate source ids; messages name file and line.
    """
    path = Path(path)
    content, version = read_nrml(path)
    if content.tag != "sourceModel":
        raise InputError(f"{content.where}: expected a <sourceModel>, found <{content.tag}>")
    name = content.attrib.get("name", "").strip() or path.stem
    reader = _SourceReader(params)
    groups: list[SourceGroup] = []
    loose: dict[str, list[SourceSpec]] = {}
    for node in content.children:
        if node.tag == "sourceGroup":
            groups.append(reader.read_group(node))
        else:
            spec = reader.read_source(node, group_trt=None)
            loose.setdefault(spec.trt, []).append(spec)
    groups.extend(SourceGroup(trt, specs) for trt, specs in loose.items())
    if not groups:
        raise InputError(f"{content.where}: the source model {name!r} has no sources")
    _check_investigation_time(content, groups, params)
    return SourceModel(name, groups, [path])


def _check_investigation_time(content: Node, groups: list[SourceGroup], params: Any) -> None:
    """The probabilities of occurrence of non-parametric sources hold for the source model's
    ``investigation_time``: it must be the job's (as OpenQuake requires)."""
    value = content.attrib.get("investigation_time", "").strip()
    job_time = getattr(params, "investigation_time", None)
    if not value or job_time is None or not any(
            spec.kind == "nonParametricSeismicSource" for g in groups for spec in g.sources):
        return
    try:
        model_time = float(value)
    except ValueError:
        raise InputError(f"{content.where}: investigation_time must be a number of years, got "
                         f"{value!r}") from None
    if not math.isclose(model_time, float(job_time), rel_tol=1e-9):
        raise InputError(f"{content.where}: the source model's investigation_time is "
                         f"{model_time:g} years, the job's {float(job_time):g}: the "
                         "probabilities of occurrence of its non-parametric sources hold for "
                         "the model's; set the same investigation_time in the job.ini")


def read_source_model(path: str | Path, *, params: Any = None) -> SourceModel:
    """Read a source-model file into a :class:`SourceModel` of engine sources.

    See :func:`parse_source_model` for the parameters; additionally raises
    :class:`UnknownName` for unknown magnitude-scaling relations and MFD types.
    """
    return _build(parse_source_model(path, params=params))


def read_source_models(paths: list[Path] | tuple[Path, ...], *, params: Any = None,
                       build: bool = True) -> SourceModel:
    """Read the files of one source-model branch into one :class:`SourceModel`.

    A branch of the source-model logic tree may list several files (OpenQuake's classical
    QA case 3); their groups are concatenated in file order and source ids must be unique
    across the files. The name is the first file's model name.
    """
    if not paths:
        raise InputError("no source-model files given")
    models = [parse_source_model(p, params=params) for p in paths]
    seen: dict[str, str] = {}
    for model in models:
        for spec in model.sources:
            if spec.source_id in seen:
                raise InputError(f"{spec.where}: duplicate source id {spec.source_id!r} "
                                 f"(first defined at {seen[spec.source_id]})")
            seen[spec.source_id] = spec.where
    merged = SourceModel(models[0].name, [g for m in models for g in m.groups],
                         [p for m in models for p in m.paths])
    return _build(merged) if build else merged


def _build(model: SourceModel) -> SourceModel:
    from toolkit.io.nrml_groups import wrap_group

    groups = [SourceGroup(g.trt, wrap_group(g.semantics, [spec.build() for spec in g.sources]))
              for g in model.groups]
    return SourceModel(model.name, groups, model.paths)


class _SourceReader:
    """Turns source elements into SourceSpec objects; checks ids are unique per file.

    Messages of elements inside a source read ``"<file> line <n>, source '<id>': ..."``,
    with the line of the element at fault.
    """

    def __init__(self, params: Any) -> None:
        self.mesh_spacing = float(_job_value(params, "rupture_mesh_spacing", 5.0))
        self.area_discretization = _job_value(params, "area_source_discretization", None)
        self.bin_width = _job_value(params, "width_of_mfd_bin", None)
        self.ids: dict[str, str] = {}
        self.label = ""
        self.params = params  # read by toolkit.io.nrml_faults (complex_fault_mesh_spacing)

    def at(self, node: Node) -> str:
        """Location of ``node`` inside the current source."""
        return f"{node.where}, {self.label}"

    def child(self, node: Node, tag: str) -> Node:
        return node.child(tag, self.label)

    def number(self, node: Node, what: str, text: str | None = None) -> float:
        """The float in ``text`` (default: the node text); errors name ``node``'s line."""
        return _float(node.value if text is None else text, what, self.at(node))

    # ------------------------------------------------------------------ groups
    def read_group(self, node: Node) -> SourceGroup:
        from toolkit.io.nrml_groups import read_group_semantics

        trt = node.get("tectonicRegion")
        semantics = read_group_semantics(node)  # mutex, cluster, occurrence models
        specs = [self.read_source(child, group_trt=trt) for child in node.children]
        if not specs:
            raise InputError(f"{node.where}: the sourceGroup for {trt!r} has no sources")
        return SourceGroup(trt, specs, semantics)

    # ------------------------------------------------------------------ sources
    def header(self, node: Node, group_trt: str | None) -> tuple[str, str, str]:
        """Source id, tectonic region type and location of a source element, checked: the
        id unique in the model, a tectonicRegion given or agreeing with its group's."""
        source_id = node.get("id", "source")
        self.label = f"source {source_id!r}"
        where = self.at(node)
        if source_id in self.ids:
            raise InputError(f"{where}: duplicate source id {source_id!r} (first defined at "
                             f"{self.ids[source_id]})")
        self.ids[source_id] = node.where
        trt = node.attrib.get("tectonicRegion", "").strip()
        if group_trt is None:
            if not trt:
                raise InputError(f"{where}: the source has no tectonicRegion attribute")
        elif trt and trt != group_trt:
            raise InputError(f"{where}: tectonicRegion {trt!r} differs from the one of its "
                             f"sourceGroup, {group_trt!r}")
        else:
            trt = group_trt
        return source_id, trt, where

    def read_source(self, node: Node, group_trt: str | None) -> SourceSpec:
        kind = node.tag
        from toolkit.io.nrml_groups import read_source_tom

        read_source_tom(node, in_group=group_trt is not None)  # refuses unsupported models
        from toolkit.io.nrml_points import read_extra_source

        extra = read_extra_source(self, node, group_trt)  # multi-point, non-parametric, hypoList
        if extra is not None:
            return extra
        from toolkit.io.nrml_faults import read_fault_source

        fault = read_fault_source(self, node, group_trt)  # complex and characteristic faults
        if fault is not None:
            return fault
        if kind not in SUPPORTED_SOURCE_TYPES:
            if kind in KNOWN_UNSUPPORTED_SOURCE_TYPES or kind.endswith("Source"):
                supported = [*SUPPORTED_SOURCE_TYPES, "complexFaultSource",
                             "characteristicFaultSource", "multiPointSource",
                             "nonParametricSeismicSource"]
                raise InputError(f"source type {kind} ({node.where}) is not supported yet; "
                                 f"supported: {', '.join(supported)}")
            raise InputError(f"{node.where}: unexpected element <{kind}> in a source model")
        source_id, trt, where = self.header(node, group_trt)
        msr_node = self.child(node, "magScaleRel")
        msr = " ".join(msr_node.value.split())
        if not msr:
            raise InputError(f"{self.at(msr_node)}: empty <magScaleRel>")
        kwargs: dict[str, Any] = {
            "rupture_aspect_ratio": read_aspect_ratio(self, node),
            "rupture_mesh_spacing": self.mesh_spacing,
        }
        if kind in ("pointSource", "areaSource") and _job_value(self.params, "shift_hypo", False):
            kwargs["shift_hypo"] = True  # hypocentres at their rupture's mid-depth
        mfd_tag, mfd_attrib, mfd_values = self._mfd(node)
        if kind == "pointSource":
            kwargs.update(self._point(node))
        elif kind == "areaSource":
            kwargs.update(self._area(node))
        else:
            kwargs.update(self._simple_fault(node))
        return SourceSpec(
            kind=kind, source_id=source_id, name=node.attrib.get("name", "").strip(),
            trt=trt, where=where, kwargs=kwargs, msr=msr, mfd_tag=mfd_tag,
            mfd_attrib=mfd_attrib, mfd_values=mfd_values, bin_width=self.bin_width,
        )

    def _mfd(self, node: Node) -> tuple[str, dict[str, str], dict[str, list[float]]]:
        mfds = [child for child in node.children if child.tag.endswith("MFD")]
        if len(mfds) != 1:
            found = ", ".join(f"<{m.tag}>" for m in mfds) or "none"
            raise InputError(f"{self.at(node)}: a source needs exactly one magnitude-frequency "
                             f"distribution (an *MFD element), found {found}")
        mfd = mfds[0]
        values = {child.tag: _floats(child.value, child.tag, self.at(child))
                  for child in mfd.children}
        return mfd.tag, dict(mfd.attrib), values

    def _depths(self, geom: Node, above_sea_level: bool = False) -> dict[str, float]:
        """Seismogenic depths (km); a negative upper depth (above sea level) only where
        ``above_sea_level`` (point, area and multi-point sources, as in OpenQuake)."""
        upper_node = self.child(geom, "upperSeismoDepth")
        lower_node = self.child(geom, "lowerSeismoDepth")
        upper = self.number(upper_node, "upperSeismoDepth")
        lower = self.number(lower_node, "lowerSeismoDepth")
        if upper < 0 and not above_sea_level:
            raise InputError(f"{self.at(upper_node)}: upperSeismoDepth must be >= 0 km, "
                             f"got {upper:g}")
        if lower <= upper:
            raise InputError(f"{self.at(lower_node)}: lowerSeismoDepth ({lower:g} km) must be "
                             f"greater than upperSeismoDepth ({upper:g} km)")
        return {"upper_seismogenic_depth": upper, "lower_seismogenic_depth": lower}

    def _attr(self, node: Node, name: str, low: float, high: float, what: str,
              low_open: bool = False) -> float:
        value = self.number(node, name, node.get(name, self.label))
        return _in_range(value, low, high, what, self.at(node), low_open)

    def _distributions(self, node: Node, upper: float, lower: float) -> dict[str, Any]:
        npd = self.child(node, "nodalPlaneDist")
        planes = []
        for plane in npd.findall("nodalPlane"):
            planes.append((
                self._attr(plane, "probability", 0, 1, "nodal plane probability", True),
                self._attr(plane, "strike", 0, 360, "strike"),
                self._attr(plane, "dip", 0, 90, "dip", True),
                self._attr(plane, "rake", -180, 180, "rake"),
            ))
        self._check_sum([p[0] for p in planes], npd)
        hdd = self.child(node, "hypoDepthDist")
        depths = []
        for hypo in hdd.findall("hypoDepth"):
            prob = self._attr(hypo, "probability", 0, 1, "hypocentral depth probability", True)
            depth = self.number(hypo, "depth", hypo.get("depth", self.label))
            if not upper <= depth <= lower:
                raise InputError(f"{self.at(hypo)}: hypocentral depth {depth:g} km is outside "
                                 f"the seismogenic layer [{upper:g}, {lower:g}] km")
            if "fixedDipFrac" in hypo.attrib:  # hypocentre at this fraction of the width
                depths.append((prob, depth, self._attr(hypo, "fixedDipFrac", 0, 1,
                                                       "fixedDipFrac")))
            else:
                depths.append((prob, depth))
        self._check_sum([d[0] for d in depths], hdd)
        return {"nodal_planes": planes, "hypo_depths": depths}

    def _check_sum(self, probs: list[float], node: Node) -> None:
        if not probs:
            raise InputError(f"{self.at(node)}: <{node.tag}> is empty")
        total = math.fsum(probs)
        if abs(total - 1.0) > PROBABILITY_TOLERANCE:
            raise InputError(f"{self.at(node)}: the probabilities of <{node.tag}> sum to "
                             f"{total:.10g}, not 1")

    def _positions(self, node: Node, what: str) -> np.ndarray:
        """Longitude/latitude pairs of a gml:pos or gml:posList as an (n, 2) array."""
        values = _floats(node.value, f"{what} coordinate", self.at(node))
        if len(values) % 2 or not values:
            raise InputError(f"{self.at(node)}: the {what} must be given as longitude/latitude "
                             f"pairs, got {len(values)} numbers")
        coords = np.array(values, dtype=float).reshape(-1, 2)
        bad = (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
        if np.any(bad):
            lon, lat = coords[np.argmax(bad)]
            raise InputError(f"{self.at(node)}: {what} point ({lon:g}, {lat:g}) is out of "
                             "range (longitude in [-180, 180], latitude in [-90, 90])")
        return round_lonlat(coords)  # 5 decimals, as OpenQuake (toolkit.io.nrml_precision)

    def _point(self, node: Node) -> dict[str, Any]:
        geom = self.child(node, "pointGeometry")
        pos = self.child(self.child(geom, "Point"), "pos")
        coords = self._positions(pos, "point")
        if len(coords) != 1:
            raise InputError(f"{self.at(pos)}: gml:pos must hold one 'longitude latitude' "
                             f"pair, got {pos.value!r}")
        out: dict[str, Any] = {"lon": float(coords[0, 0]), "lat": float(coords[0, 1])}
        out.update(self._depths(geom, above_sea_level=True))
        out.update(self._distributions(node, out["upper_seismogenic_depth"],
                                       out["lower_seismogenic_depth"]))
        return out

    def _area(self, node: Node) -> dict[str, Any]:
        if self.area_discretization is None:
            raise InputError(f"{self.at(node)}: area sources need area_source_discretization "
                             "(km) in the job.ini")
        geom = self.child(node, "areaGeometry")
        poslist = next(geom.iter("posList"), None)
        if poslist is None:
            raise InputError(f"{self.at(geom)}: <areaGeometry> has no gml:Polygon/gml:exterior/"
                             "gml:LinearRing/gml:posList")
        polygon = self._positions(poslist, "polygon")
        if len(polygon) > 3 and np.array_equal(polygon[0], polygon[-1]):
            polygon = polygon[:-1]  # closed ring: drop the repeated vertex
        if len(polygon) < 3:
            raise InputError(f"{self.at(poslist)}: a polygon needs at least 3 vertices, "
                             f"got {len(polygon)}")
        out: dict[str, Any] = {"polygon": polygon,
                               "area_discretization": float(self.area_discretization)}
        out.update(self._depths(geom, above_sea_level=True))
        out.update(self._distributions(node, out["upper_seismogenic_depth"],
                                       out["lower_seismogenic_depth"]))
        return out

    def _simple_fault(self, node: Node) -> dict[str, Any]:
        geom = self.child(node, "simpleFaultGeometry")
        line = self.child(geom, "LineString")
        poslist = self.child(line, "posList")
        trace = self._positions(poslist, "fault trace")
        if len(trace) < 2:
            raise InputError(f"{self.at(poslist)}: a fault trace needs at least 2 points, "
                             f"got {len(trace)}")
        dip_node = self.child(geom, "dip")
        dip = _in_range(self.number(dip_node, "dip"), 0, 90, "dip", self.at(dip_node),
                        low_open=True)
        rake_node = self.child(node, "rake")
        rake = _in_range(self.number(rake_node, "rake"), -180, 180, "rake", self.at(rake_node))
        out: dict[str, Any] = {"trace": trace, "dip": dip, "rake": rake}
        out.update(self._depths(geom))
        out["area_variability"] = self._area_variability(node.find("ruptureAreaVariability"))
        hypo_pdf = node.find("hypocentreDepthDistribution")
        if hypo_pdf is not None:
            out["hypo_depth_pdf"] = self._hypo_depth_pdf(hypo_pdf)
        return out

    def _hypo_depth_pdf(self, node: Node) -> tuple:
        """The toolkit extension ``<hypocentreDepthDistribution .../>`` as ``(kind, depths)``:
        ``("uniform", min, max)`` or ``("triangular", min, mode, max)``, km."""
        kind = node.get("kind", self.label).strip()
        names = {"uniform": ("minDepth", "maxDepth"),
                 "triangular": ("minDepth", "modeDepth", "maxDepth")}.get(kind)
        if names is None:
            raise InputError(f"{self.at(node)}: hypocentreDepthDistribution kind must be "
                             f"'uniform' or 'triangular', got {kind!r}")
        depths = [self._attr(node, name, 0, math.inf, name) for name in names]
        if depths != sorted(depths) or depths[0] >= depths[-1]:
            raise InputError(f"{self.at(node)}: hypocentreDepthDistribution needs "
                             f"{' <= '.join(names)} and minDepth < maxDepth, got {depths}")
        return (kind, *depths)

    def _area_variability(self, node: Node | None) -> tuple[float, float, int] | None:
        """The toolkit extension ``<ruptureAreaVariability .../>`` as (sigma, truncation, n)."""
        if node is None:
            return None
        sigma = self._attr(node, "sigmaLog10Area", 0, math.inf, "sigmaLog10Area")
        trunc = self._attr(node, "truncation", 0, math.inf, "truncation", low_open=True)
        text = node.get("samples", self.label)
        try:
            samples = int(text)
        except ValueError:
            raise InputError(f"{self.at(node)}: samples must be an integer, got {text!r}") from None
        if samples < 1:
            raise InputError(f"{self.at(node)}: samples must be >= 1, got {samples}")
        return (sigma, trunc, samples)
