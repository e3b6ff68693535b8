"""Exposure models: the assets at risk, from OpenQuake NRML (0.4 and 0.5) XML or CSV files.

An exposure model lists *assets*: groups of ``number`` buildings of one ``taxonomy`` at one
location, with replacement costs per cost type (``structural``, ``nonstructural``,
``contents``, ``business_interruption``, ...), occupants per period of the day and free
*tags* (administrative region, occupancy class, ...). This module reads it into an
:class:`Exposure` of arrays (one entry per asset).

Supported layouts
-----------------
* NRML ``<exposureModel>`` with ``<asset>`` elements (namespace NRML 0.4 or 0.5)::

    <exposureModel id="ep" category="buildings">
      <conversions>
        <area type="per_asset" unit="SQM"/>
        <costTypes><costType name="structural" type="per_area" unit="USD"/></costTypes>
      </conversions>
      <tagNames>state</tagNames>
      <assets>
        <asset id="a1" taxonomy="W" number="5" area="100">
          <location lon="-122.0" lat="38.1"/>
          <costs><cost type="structural" value="1000" deductible="10"
                       insuranceLimit="500"/></costs>
          <occupancies><occupancy occupants="20" period="day"/></occupancies>
          <tags state="CA"/>
        </asset>
      </assets>
    </exposureModel>

* the same metadata with the assets in CSV files named in the text of ``<assets>``
  (``<assets>assets_a.csv assets_b.csv</assets>``, paths relative to the XML file), with an
  optional ``<exposureFields><field input="ASSET_ID" oq="id"/>...</exposureFields>`` renaming
  input columns to the names below and an optional ``<occupancyPeriods>night day
  </occupancyPeriods>`` naming the occupancy columns;
* a CSV file alone (all costs taken as ``aggregated``, no units; every column that is not a
  known field is a tag).

CSV column names (after ``exposureFields`` renaming): ``id``, ``lon``, ``lat``,
``taxonomy``, ``number`` (default 1), ``area``, one column per cost type (``structural``,
...), one per occupancy period (``day``, ``night``, ``transit``, ``residents`` and those of
``<occupancyPeriods>``) and the tag columns of ``<tagNames>``. Other columns are ignored.

Values
------
``Exposure.values[cost_type]`` is the total replacement cost of each asset, following the
OpenQuake cost-type conventions for a cost :math:`c`, ``number`` :math:`n` and area :math:`a`:

* ``aggregated``: :math:`c` (the cost of the whole asset);
* ``per_asset``: :math:`c\\,n` (the cost of one building);
* ``per_area``: :math:`c\\,a\\,n` when the area is ``per_asset`` (the default, the area of one
  building) or :math:`c\\,a` when the ``<area type="aggregated">``.

Deductibles and insurance limits are stored as absolute amounts in the cost unit; when the
``<conversions>`` hold ``<deductible isAbsolute="false"/>`` (or ``<insuranceLimit ...>``)
the file gives fractions of the total value, which are multiplied by it. Occupants are
taken as the total of the asset (never multiplied by ``number``). A cost missing for an
asset is NaN; a tag missing for an asset is ``"?"``.

References
----------
GEM (2024). The OpenQuake Engine User Manual, section "Exposure Models". Global Earthquake
Model Foundation, Pavia.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from toolkit.errors import InputError
from toolkit.io.nrml import Node, read_nrml

__all__ = ["Exposure", "read_exposure", "COST_TYPE_KINDS", "DEFAULT_PERIODS", "MISSING_TAG"]

#: the cost-type conventions of OpenQuake (see the module docstring)
COST_TYPE_KINDS = ("aggregated", "per_asset", "per_area")

#: occupancy periods recognised as CSV columns without an ``<occupancyPeriods>`` element
DEFAULT_PERIODS = ("day", "night", "transit", "residents")

#: the standard loss types a bare CSV exposure takes as cost columns
DEFAULT_COST_TYPES = ("structural", "nonstructural", "contents", "business_interruption")

#: the value of a tag an asset does not give
MISSING_TAG = "?"

_FIELDS = ("id", "lon", "lat", "taxonomy", "number", "area")


# --------------------------------------------------------------------------- CSV helper
@dataclass
class CsvTable:
    """The rows of a CSV file with the line number of each row.

    Comment lines (first cell starting with ``#``, as in OpenQuake exports) and blank lines
    are skipped; the first remaining row is the header.

    Attributes
    ----------
    path : Path
    header : list of str
        Column names, stripped.
    header_line : int
    rows : list of list of str
        Cells, stripped; every row has ``len(header)`` cells.
    lines : ndarray of int
        Line of each row (1-based).
    """

    path: Path
    header: list[str]
    header_line: int
    rows: list[list[str]]
    lines: np.ndarray

    def where(self, i: int) -> str:
        """``"<file> line <n>"`` of row ``i``."""
        return f"{self.path} line {int(self.lines[i])}"

    def index(self, name: str) -> int | None:
        """Position of the column ``name``, or None."""
        return self.header.index(name) if name in self.header else None

    def column(self, j: int) -> list[str]:
        """The cells of column ``j``."""
        return [row[j] for row in self.rows]

    def floats(self, j: int, what: str, ids: list[str] | None = None,
               nonnegative: bool = False) -> np.ndarray:
        """Column ``j`` as finite floats; :class:`InputError` naming the line otherwise.

        Parameters
        ----------
        j : int
        what : str
            Field name for the message.
        ids : list of str, optional
            Asset (or other) ids of the rows, named in the message.
        nonnegative : bool
            Also reject negative values.
        """
        cells = self.column(j)
        try:
            values = np.array(cells, dtype=float)
        except ValueError:
            values = None
        if values is None or not np.all(np.isfinite(values)):
            for i, cell in enumerate(cells):
                try:
                    ok = math.isfinite(float(cell))
                except ValueError:
                    ok = False
                if not ok:
                    raise InputError(f"{self.where(i)}{_asset(ids, i)}: {what} must be a "
                                     f"finite number, got {cell!r}")
        assert values is not None
        if nonnegative and np.any(values < 0):
            i = int(np.argmax(values < 0))
            raise InputError(f"{self.where(i)}{_asset(ids, i)}: {what} must be >= 0, "
                             f"got {cells[i]}")
        return values


def _asset(ids: list[str] | None, i: int) -> str:
    return "" if ids is None else f", asset {ids[i]!r}"


def read_csv_table(path: str | Path, what: str = "CSV file") -> CsvTable:
    """Read a CSV file into a :class:`CsvTable`.

    Raises
    ------
    InputError
        Missing or unreadable file, no header, duplicate column names, or a row whose number
        of cells differs from the header (trailing empty cells are tolerated).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: {what} not found") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    except (OSError, IsADirectoryError) as exc:
        raise InputError(f"{path}: cannot be read ({getattr(exc, 'strerror', None) or exc})"
                         ) from None
    reader = csv.reader(io.StringIO(text), strict=True)
    header: list[str] | None = None
    header_line = 0
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        for row in reader:
            if not row or not any(cell.strip() for cell in row):
                continue
            if row[0].lstrip().startswith("#"):
                continue
            cells = [cell.strip() for cell in row]
            if header is None:
                header, header_line = cells, reader.line_num
                while header and not header[-1]:
                    header.pop()
                continue
            if len(cells) > len(header) and not any(cells[len(header):]):
                cells = cells[:len(header)]
            if len(cells) != len(header):
                raise InputError(f"{path} line {reader.line_num}: expected {len(header)} "
                                 f"fields ({','.join(header)}), got {len(cells)}")
            rows.append(cells)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise InputError(f"{path} line {reader.line_num}: malformed CSV ({exc})") from None
    if header is None:
        raise InputError(f"{path}: the {what} is empty: a header line is needed")
    seen: set[str] = set()
    for name in header:
        if not name:
            raise InputError(f"{path} line {header_line}: empty column name in the header")
        if name in seen:
            raise InputError(f"{path} line {header_line}: column {name!r} appears twice")
        seen.add(name)
    return CsvTable(path, header, header_line, rows, np.array(lines, dtype=np.int64))


# --------------------------------------------------------------------------- the model
@dataclass
class Exposure:
    """Assets as arrays (one entry per asset, in file order).

    Attributes
    ----------
    path : Path
        The (first) exposure file.
    asset_id : ndarray of str
        Unique asset ids.
    lon, lat : ndarray of float
        Location in decimal degrees.
    taxonomy : ndarray of str
    number : ndarray of float
        Number of buildings (units) of the asset (1 when not given).
    values : dict of str -> ndarray
        Cost type (loss type) -> total value of each asset (see the module docstring);
        NaN where an asset has no such cost.
    occupants : dict of str -> ndarray
        Period (``"day"``, ``"night"``, ...) -> occupants of each asset (NaN when missing).
    tags : dict of str -> ndarray of str
        Tag name -> value of each asset (``"?"`` when missing).
    tag_names : list of str
    cost_units : dict of str -> str
        Cost type -> unit (``"USD"``; ``""`` when not given).
    cost_types : dict of str -> str
        Cost type -> ``"aggregated"``, ``"per_asset"`` or ``"per_area"``.
    area : ndarray of float
        Area as given (NaN when not given).
    deductibles, insurance_limits : dict of str -> ndarray
        Cost type -> absolute amount per asset, only for cost types where some asset gives
        one (NaN for the others).
    occupancy_periods : list of str
    files : list of Path
        Every file read (XML and CSV).
    asset_file, asset_line : ndarray of int
        Index into ``files`` and line of each asset, for messages (:meth:`where`).
    """

    path: Path
    asset_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    taxonomy: np.ndarray
    number: np.ndarray
    values: dict[str, np.ndarray]
    occupants: dict[str, np.ndarray]
    tags: dict[str, np.ndarray]
    tag_names: list[str]
    cost_units: dict[str, str]
    cost_types: dict[str, str] = field(default_factory=dict)
    area: np.ndarray | None = None
    deductibles: dict[str, np.ndarray] = field(default_factory=dict)
    insurance_limits: dict[str, np.ndarray] = field(default_factory=dict)
    occupancy_periods: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    asset_file: np.ndarray | None = None
    asset_line: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.asset_id)

    @property
    def loss_types(self) -> list[str]:
        """The cost types, in order of declaration."""
        return list(self.values)

    def where(self, i: int) -> str:
        """``"<file> line <n>, asset '<id>'"`` for asset ``i`` (for error messages)."""
        if self.asset_file is None or self.asset_line is None or not self.files:
            return f"{self.path}, asset {str(self.asset_id[i])!r}"
        path = self.files[int(self.asset_file[i])]
        return f"{path} line {int(self.asset_line[i])}, asset {str(self.asset_id[i])!r}"


# --------------------------------------------------------------------------- internals
@dataclass
class _Meta:
    """The metadata of one exposure file."""

    path: Path
    cost_types: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> kind, unit
    area_type: str = "per_asset"
    deductible_absolute: bool = True
    limit_absolute: bool = True
    tag_names: list[str] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)  # input column -> oq name
    bare_csv: bool = False


@dataclass
class _Part:
    """Assets of one file (the XML itself or one CSV), already as arrays."""

    path: Path
    ids: list[str]
    lines: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    taxonomy: list[str]
    number: np.ndarray
    area: np.ndarray
    costs: dict[str, np.ndarray]
    deductibles: dict[str, np.ndarray]
    limits: dict[str, np.ndarray]
    occupants: dict[str, np.ndarray]
    tags: dict[str, list[str]]

    def where(self, i: int) -> str:
        return f"{self.path} line {int(self.lines[i])}, asset {self.ids[i]!r}"


def _bool_attr(node: Node, name: str) -> bool:
    text = node.attrib.get(name, "true").strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise InputError(f"{node.where}: <{node.tag}> {name} must be true or false, got {text!r}")


def _read_meta(model: Node, path: Path) -> _Meta:
    meta = _Meta(path)
    conversions = model.find("conversions")
    if conversions is not None:
        cost_types = conversions.find("costTypes")
        for node in cost_types.findall("costType") if cost_types is not None else []:
            name = node.get("name")
            kind = node.get("type")
            if kind not in COST_TYPE_KINDS:
                raise InputError(f"{node.where}: costType {name!r} has type {kind!r}; expected "
                                 f"one of {', '.join(COST_TYPE_KINDS)}")
            if name in meta.cost_types:
                raise InputError(f"{node.where}: costType {name!r} is declared twice")
            meta.cost_types[name] = (kind, node.attrib.get("unit", "").strip())
        area = conversions.find("area")
        if area is not None:
            kind = area.get("type")
            if kind not in ("aggregated", "per_asset"):
                raise InputError(f"{area.where}: <area> type must be 'aggregated' or "
                                 f"'per_asset', got {kind!r}")
            meta.area_type = kind
        for tag, attr in (("deductible", "deductible_absolute"),
                          ("insuranceLimit", "limit_absolute")):
            node = conversions.find(tag)
            if node is not None:
                setattr(meta, attr, _bool_attr(node, "isAbsolute"))
    tag_names = model.find("tagNames")
    if tag_names is not None:
        meta.tag_names = tag_names.value.split()
        dup = {t for t in meta.tag_names if meta.tag_names.count(t) > 1}
        if dup:
            raise InputError(f"{tag_names.where}: tag name(s) {sorted(dup)} repeated in "
                             "<tagNames>")
        clash = set(meta.tag_names) & (set(_FIELDS) | set(meta.cost_types))
        if clash:
            raise InputError(f"{tag_names.where}: tag name(s) {sorted(clash)} clash with asset "
                             "fields or cost types")
    periods = model.find("occupancyPeriods")
    if periods is not None:
        meta.periods = periods.value.split()
    fields = model.find("exposureFields")
    if fields is not None:
        targets: dict[str, str] = {}
        for node in fields.findall("field"):
            oq, column = node.get("oq"), node.get("input")
            if oq in targets:
                raise InputError(f"{node.where}: two input columns ({targets[oq]!r}, "
                                 f"{column!r}) map to the field {oq!r}")
            targets[oq] = column
            meta.fields[column] = oq
    return meta


def _number(node: Node, name: str, what: str, ident: str, default: float | None = None,
            nonnegative: bool = True) -> float:
    text = node.attrib.get(name)
    if text is None or not text.strip():
        if default is not None:
            return default
        raise InputError(f"{node.where}, asset {ident!r}: <{node.tag}> lacks the attribute "
                         f"{name!r}")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(f"{node.where}, asset {ident!r}: {what} must be a finite number, "
                         f"got {text!r}")
    if nonnegative and value < 0:
        raise InputError(f"{node.where}, asset {ident!r}: {what} must be >= 0, got {text}")
    return value


def _xml_assets(assets: Node, meta: _Meta) -> _Part:
    """Read ``<asset>`` elements (one Python step per asset: XML is a tree anyway)."""
    nodes = assets.findall("asset")
    n = len(nodes)
    ids: list[str] = []
    lines = np.zeros(n, dtype=np.int64)
    lon, lat, number, area = (np.full(n, np.nan) for _ in range(4))
    taxonomy: list[str] = []
    costs = {name: np.full(n, np.nan) for name in meta.cost_types}
    deductibles: dict[str, np.ndarray] = {}
    limits: dict[str, np.ndarray] = {}
    occupants: dict[str, np.ndarray] = {}
    tags: dict[str, list[str]] = {name: [MISSING_TAG] * n for name in meta.tag_names}
    for i, node in enumerate(nodes):
        ident = node.get("id")
        ids.append(ident)
        lines[i] = node.line
        tax = node.attrib.get("taxonomy", "").strip()
        if not tax:
            raise InputError(f"{node.where}, asset {ident!r}: the asset has no taxonomy")
        taxonomy.append(tax)
        number[i] = _number(node, "number", "number", ident, default=1.0)
        area[i] = _number(node, "area", "area", ident, default=math.nan)
        loc = node.find("location")
        if loc is None:
            raise InputError(f"{node.where}, asset {ident!r}: the asset has no <location>")
        lon[i] = _number(loc, "lon", "longitude", ident, nonnegative=False)
        lat[i] = _number(loc, "lat", "latitude", ident, nonnegative=False)
        cost_node = node.find("costs")
        for cost in cost_node.findall("cost") if cost_node is not None else []:
            kind = cost.attrib.get("type", "").strip()
            if kind not in meta.cost_types:
                known = ", ".join(meta.cost_types) or "none"
                raise InputError(f"{cost.where}, asset {ident!r}: unknown cost type {kind!r}; "
                                 f"the <costTypes> of the exposure declare: {known}")
            if not np.isnan(costs[kind][i]):
                raise InputError(f"{cost.where}, asset {ident!r}: cost type {kind!r} is given "
                                 "twice")
            costs[kind][i] = _number(cost, "value", f"cost {kind!r} value", ident)
            for attr, store in (("deductible", deductibles), ("insuranceLimit", limits)):
                if cost.attrib.get(attr, "").strip():
                    arr = store.setdefault(kind, np.full(n, np.nan))
                    arr[i] = _number(cost, attr, f"cost {kind!r} {attr}", ident)
        occ_node = node.find("occupancies")
        for occ in occ_node.findall("occupancy") if occ_node is not None else []:
            period = occ.attrib.get("period", "").strip()
            if not period:
                raise InputError(f"{occ.where}, asset {ident!r}: <occupancy> lacks the "
                                 "attribute 'period'")
            arr = occupants.setdefault(period, np.full(n, np.nan))
            if not np.isnan(arr[i]):
                raise InputError(f"{occ.where}, asset {ident!r}: occupancy period {period!r} "
                                 "is given twice")
            arr[i] = _number(occ, "occupants", f"occupants ({period})", ident)
        tag_node = node.find("tags")
        if tag_node is not None:
            for name, value in tag_node.attrib.items():
                if name not in tags:
                    known = ", ".join(meta.tag_names) or "none"
                    raise InputError(f"{tag_node.where}, asset {ident!r}: unknown tag {name!r}; "
                                     f"the <tagNames> of the exposure are: {known}")
                tags[name][i] = value.strip() or MISSING_TAG
    return _Part(assets.path, ids, lines, lon, lat, taxonomy, number, area, costs, deductibles,
                 limits, occupants, tags)


def _csv_assets(path: Path, meta: _Meta) -> _Part:
    """Read the assets of one CSV file (column-wise, vectorised)."""
    table = read_csv_table(path, "exposure CSV file")
    names = [meta.fields.get(col, col) for col in table.header]
    seen: dict[str, str] = {}
    for col, name in zip(table.header, names, strict=True):
        if name in seen:
            raise InputError(f"{table.path} line {table.header_line}: columns {seen[name]!r} "
                             f"and {col!r} both give the field {name!r}")
        seen[name] = col
    position = {name: j for j, name in enumerate(names)}
    inverse = {oq: col for col, oq in meta.fields.items()}

    def need(name: str) -> int:
        if name not in position:
            mapped = f" (input column {inverse[name]!r})" if name in inverse else ""
            raise InputError(f"{table.path} line {table.header_line}: the exposure CSV has no "
                             f"column {name!r}{mapped}; columns: {','.join(table.header)}")
        return position[name]

    cols = {name: need(name) for name in ("id", "lon", "lat", "taxonomy")}
    ids = table.column(cols["id"])
    for i, ident in enumerate(ids):
        if not ident:
            raise InputError(f"{table.where(i)}: empty asset id")
    taxonomy = table.column(cols["taxonomy"])
    for i, tax in enumerate(taxonomy):
        if not tax:
            raise InputError(f"{table.where(i)}, asset {ids[i]!r}: the asset has no taxonomy")
    n = len(ids)
    lon = table.floats(cols["lon"], "longitude", ids)
    lat = table.floats(cols["lat"], "latitude", ids)
    number = (table.floats(position["number"], "number", ids, nonnegative=True)
              if "number" in position else np.ones(n))
    area = (table.floats(position["area"], "area", ids, nonnegative=True)
            if "area" in position else np.full(n, np.nan))
    if meta.bare_csv:
        for name in DEFAULT_COST_TYPES:
            if name in position:
                meta.cost_types.setdefault(name, ("aggregated", ""))
    costs = {name: np.full(n, np.nan) for name in meta.cost_types}
    for name in meta.cost_types:
        if name in position:
            costs[name] = table.floats(position[name], f"cost {name!r} value", ids,
                                       nonnegative=True)
    if not meta.bare_csv:
        for name in DEFAULT_COST_TYPES:
            if name in position and name not in meta.cost_types:
                known = ", ".join(meta.cost_types) or "none"
                raise InputError(f"{table.path} line {table.header_line}: unknown cost type "
                                 f"{name!r} (a column of the CSV); the <costTypes> of "
                                 f"{meta.path} declare: {known}")
    periods = list(dict.fromkeys([*meta.periods, *DEFAULT_PERIODS]))
    occupants = {p: table.floats(position[p], f"occupants ({p})", ids, nonnegative=True)
                 for p in periods if p in position}
    for p in meta.periods:
        if p not in position:
            raise InputError(f"{table.path} line {table.header_line}: the occupancy period "
                             f"{p!r} of <occupancyPeriods> has no column in the CSV")
    known = set(_FIELDS) | set(meta.cost_types) | set(periods)
    tag_names = ([name for name in names if name not in known] if meta.bare_csv
                 else meta.tag_names)
    if meta.bare_csv:
        meta.tag_names = tag_names
    tags = {}
    for name in tag_names:
        if name in position:
            tags[name] = [cell or MISSING_TAG for cell in table.column(position[name])]
        else:
            tags[name] = [MISSING_TAG] * n
    return _Part(table.path, ids, table.lines, lon, lat, taxonomy, number, area, costs, {}, {},
                 occupants, tags)


def _check_part(part: _Part) -> None:
    bad = (np.abs(part.lon) > 180) | (np.abs(part.lat) > 90)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise InputError(f"{part.where(i)}: location ({part.lon[i]:g}, {part.lat[i]:g}) is out "
                         "of range (lon in [-180, 180], lat in [-90, 90])")


def _values(part: _Part, meta: _Meta) -> dict[str, np.ndarray]:
    """Total value per cost type (aggregated / per_asset / per_area rules)."""
    out = {}
    for name, (kind, _unit) in meta.cost_types.items():
        cost = part.costs[name]
        if kind == "aggregated":
            out[name] = cost
        elif kind == "per_asset":
            out[name] = cost * part.number
        else:  # per_area
            missing = ~np.isnan(cost) & np.isnan(part.area)
            if np.any(missing):
                i = int(np.argmax(missing))
                raise InputError(f"{part.where(i)}: cost type {name!r} is per_area but the "
                                 "asset has no area")
            area = part.area if meta.area_type == "aggregated" else part.area * part.number
            out[name] = cost * area
    return out


def _absolute(amounts: dict[str, np.ndarray], values: dict[str, np.ndarray],
              absolute: bool) -> dict[str, np.ndarray]:
    return {k: (v if absolute else v * values[k]) for k, v in amounts.items()}


def _read_one(path: Path) -> tuple[_Meta, list[_Part]]:
    if path.suffix.lower() == ".csv":
        meta = _Meta(path, bare_csv=True)
        return meta, [_csv_assets(path, meta)]
    model, _version = read_nrml(path)
    if model.tag != "exposureModel":
        raise InputError(f"{model.where}: expected an <exposureModel>, found <{model.tag}>")
    meta = _read_meta(model, path)
    assets = model.child("assets")
    children = assets.findall("asset")
    others = [c.tag for c in assets.children if c.tag != "asset"]
    if others:
        raise InputError(f"{assets.where}: unexpected element <{others[0]}> in <assets>")
    if children and assets.value:
        raise InputError(f"{assets.where}: <assets> holds both <asset> elements and CSV file "
                         "names")
    if children:
        return meta, [_xml_assets(assets, meta)]
    names = assets.value.split()
    if not names:
        raise InputError(f"{assets.where}: <assets> is empty: give <asset> elements or the "
                         "names of CSV files")
    parts = []
    for name in names:
        csv_path = (path.parent / name)
        if not csv_path.is_file():
            raise InputError(f"{assets.where}: the assets file {name!r} does not exist "
                             f"({csv_path})")
        parts.append(_csv_assets(csv_path, meta))
    return meta, parts


def _merge_meta(metas: list[_Meta]) -> tuple[dict[str, str], dict[str, str], list[str]]:
    kinds: dict[str, str] = {}
    units: dict[str, str] = {}
    tag_names: list[str] = []
    for meta in metas:
        for name, (kind, unit) in meta.cost_types.items():
            # a bare CSV has no metadata: its 'aggregated' without unit agrees with anything
            if (name in kinds and not meta.bare_csv
                    and (kinds[name], units[name]) != (kind, unit)):
                raise InputError(f"{meta.path}: cost type {name!r} is {kind!r} in {unit!r} here "
                                 f"but {kinds[name]!r} in {units[name]!r} in {metas[0].path}")
            kinds.setdefault(name, kind)
            units.setdefault(name, unit)
        tag_names.extend(t for t in meta.tag_names if t not in tag_names)
    return kinds, units, tag_names


def _stack(dicts: list[dict[str, np.ndarray]], parts: list[_Part],
           names: list[str] | None = None) -> dict[str, np.ndarray]:
    """Concatenate per-part arrays by key (all keys, in order); NaN where a part lacks one."""
    if names is None:
        names = list(dict.fromkeys(k for d in dicts for k in d))
    return {name: np.concatenate([d.get(name, np.full(len(part.ids), np.nan))
                                  for d, part in zip(dicts, parts, strict=True)])
            for name in names}


def read_exposure(path: str | Path | list[str | Path]) -> Exposure:
    """Read one or more exposure files into an :class:`Exposure`.

    Parameters
    ----------
    path : str, Path or list of them
        NRML 0.4/0.5 ``<exposureModel>`` files (assets inline or in CSV files named by
        ``<assets>``) or bare CSV files. Several files are concatenated (OpenQuake's
        ``exposure_file = a.xml b.xml``); their cost types must agree.

    Raises
    ------
    InputError
        Naming the file, the line, the asset and the field: duplicate asset ids, negative
        number/value/area/occupants, non-numeric values, unknown cost types or tags, missing
        location or taxonomy, a per_area cost without area, malformed XML or CSV.
    """
    paths = [Path(p) for p in (path if isinstance(path, (list, tuple)) else [path])]
    if not paths:
        raise InputError("no exposure file given")
    metas: list[_Meta] = []
    parts: list[_Part] = []
    part_meta: list[_Meta] = []
    for p in paths:
        meta, file_parts = _read_one(p)
        metas.append(meta)
        parts.extend(file_parts)
        part_meta.extend([meta] * len(file_parts))
    kinds, units, tag_names = _merge_meta(metas)
    for part in parts:
        _check_part(part)
    values = [_values(part, meta) for part, meta in zip(parts, part_meta, strict=True)]
    deductibles = [_absolute(part.deductibles, v, meta.deductible_absolute)
                   for part, v, meta in zip(parts, values, part_meta, strict=True)]
    limits = [_absolute(part.limits, v, meta.limit_absolute)
              for part, v, meta in zip(parts, values, part_meta, strict=True)]

    ids = np.array([i for part in parts for i in part.ids], dtype=str)
    if len(ids) == 0:
        raise InputError(f"{paths[0]}: the exposure has no assets")
    periods = list(dict.fromkeys(k for part in parts for k in part.occupants))
    exposure = Exposure(
        path=paths[0],
        asset_id=ids,
        lon=np.concatenate([part.lon for part in parts]),
        lat=np.concatenate([part.lat for part in parts]),
        taxonomy=np.array([t for part in parts for t in part.taxonomy], dtype=str),
        number=np.concatenate([part.number for part in parts]),
        values=_stack(values, parts, list(kinds)),
        occupants=_stack([part.occupants for part in parts], parts),
        tags={name: np.array([v for part in parts
                              for v in part.tags.get(name, [MISSING_TAG] * len(part.ids))],
                             dtype=str)
              for name in tag_names},
        tag_names=tag_names,
        cost_units=units,
        cost_types=kinds,
        area=np.concatenate([part.area for part in parts]),
        deductibles=_stack(deductibles, parts),
        insurance_limits=_stack(limits, parts),
        occupancy_periods=periods,
        files=[part.path for part in parts],
        asset_file=np.concatenate([np.full(len(part.ids), k, dtype=np.int64)
                                   for k, part in enumerate(parts)]),
        asset_line=np.concatenate([part.lines for part in parts]),
    )
    _check_unique(exposure)
    return exposure


def _check_unique(exposure: Exposure) -> None:
    ids = exposure.asset_id
    _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    dup = np.flatnonzero(first[inverse.reshape(-1)] != np.arange(len(ids)))
    if dup.size:
        i = int(dup[0])
        j = int(first[inverse.reshape(-1)[i]])
        raise InputError(f"{exposure.where(i)}: duplicate asset id {str(ids[i])!r} (first at "
                         f"{exposure.where(j).rsplit(', asset', 1)[0]})")
