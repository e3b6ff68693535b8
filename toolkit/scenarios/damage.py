"""Flood damage from water depth with depth-damage curves.

For a pixel of land-use class :math:`c` with water depth :math:`h > 0`:

.. math::

    D = f_c(h) \\, M_c \\, A

where :math:`f_c` is the class's depth-damage curve (damage fraction, piecewise linear between
the tabulated depths, constant beyond the first and last), :math:`M_c` the maximum damage per m²
(``max_damage`` column; currency of the user's file, EUR in the default set) and :math:`A` the
pixel area (m²). Dry pixels (:math:`h \\le 0`) and pixels without data get no damage. When the
curves have no ``max_damage`` column, :math:`M_c = 1` and the damage is a damage-equivalent area
(m²).

Curves CSV: columns ``class,depth,damage_fraction`` and optionally ``max_damage`` (one value per
class, repeated on its rows); lines starting with ``#`` are comments. Depths are in metres and
must be distinct within a class; fractions are in [0, 1].

The default set (:data:`DEFAULT_CURVES`, ``toolkit/demos/flood/depth_damage.csv``) holds the JRC
Europe curves of Huizinga, de Moel & Szewczyk (2017), *Global flood depth-damage functions*,
EUR 28552 EN, doi:10.2760/16510, for residential, commercial, industrial and agriculture, with
ILLUSTRATIVE maximum damages (round numbers, not the JRC values, not calibrated): use your own
curves and values for any real estimate.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import InputError

__all__ = [
    "DEFAULT_CURVES",
    "DEFAULT_LAND_USE",
    "DamageCurve",
    "DamageEstimate",
    "read_curves",
    "damage",
    "write_damage_summary",
]

#: the default depth-damage curves (JRC Europe fractions, illustrative maximum damages)
DEFAULT_CURVES = Path(__file__).resolve().parents[1] / "demos" / "flood" / "depth_damage.csv"

#: land-use class used for the whole model when none is given
DEFAULT_LAND_USE = "agriculture"


@dataclass(frozen=True)
class DamageCurve:
    """A piecewise-linear depth-damage curve of one land-use class."""

    name: str
    depth: np.ndarray
    fraction: np.ndarray
    max_damage: float | None = None

    def __call__(self, depth: np.ndarray) -> np.ndarray:
        """Damage fraction at ``depth`` (m); 0 where the depth is <= 0 or NaN."""
        depth = np.asarray(depth, dtype=np.float64)
        out = np.interp(np.nan_to_num(depth, nan=0.0), self.depth, self.fraction)
        return np.where(depth > 0, out, 0.0)


def read_curves(path: str | Path | None = None) -> dict[str, DamageCurve]:
    """Read depth-damage curves from a CSV (default :data:`DEFAULT_CURVES`).

    Returns
    -------
    dict
        Class name -> :class:`DamageCurve`, in the order of first appearance.

    Raises
    ------
    InputError
        Missing file or columns, non-numeric values, fractions outside [0, 1], negative or
        repeated depths in a class, or a ``max_damage`` that changes within a class (the message
        names the file and line).
    """
    path = Path(DEFAULT_CURVES if path is None else path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: depth-damage curves file not found") from None
    lines = [(i + 1, line) for i, line in enumerate(text.splitlines())
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise InputError(f"{path}: no depth-damage curves")
    reader = csv.reader(io.StringIO("\n".join(line for _, line in lines)))
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in ("class", "depth", "damage_fraction") if c not in header]
    if missing:
        raise InputError(f"{path}, line {lines[0][0]}: missing column(s) {', '.join(missing)} "
                         "(expected class,depth,damage_fraction[,max_damage])")
    col = {name: header.index(name) for name in header}
    rows: dict[str, list[tuple[float, float, float | None, int]]] = {}
    for (lineno, _), row in zip(lines[1:], reader, strict=True):
        if len(row) != len(header):
            raise InputError(f"{path}, line {lineno}: {len(row)} fields, expected {len(header)}")
        name = row[col["class"]].strip()
        if not name:
            raise InputError(f"{path}, line {lineno}: empty class")
        values = []
        for field in ("depth", "damage_fraction", "max_damage"):
            if field not in col:
                values.append(None)
                continue
            try:
                values.append(float(row[col[field]]))
            except ValueError:
                raise InputError(f"{path}, line {lineno}: {field} {row[col[field]]!r} is not a "
                                 "number") from None
        depth, fraction, max_damage = values
        if not (np.isfinite(depth) and depth >= 0):
            raise InputError(f"{path}, line {lineno}: depth {depth!r} must be >= 0 m")
        if not 0.0 <= fraction <= 1.0:
            raise InputError(f"{path}, line {lineno}: damage_fraction {fraction!r} is outside "
                             "[0, 1]")
        if max_damage is not None and not (np.isfinite(max_damage) and max_damage >= 0):
            raise InputError(f"{path}, line {lineno}: max_damage {max_damage!r} must be >= 0")
        rows.setdefault(name, []).append((depth, fraction, max_damage, lineno))
    curves = {}
    for name, points in rows.items():
        points.sort(key=lambda p: p[0])
        depths = np.array([p[0] for p in points])
        if (np.diff(depths) == 0).any():
            lineno = points[int(np.argmax(np.diff(depths) == 0)) + 1][3]
            raise InputError(f"{path}, line {lineno}: depth repeated in class {name!r}")
        maxima = {p[2] for p in points}
        if len(maxima) > 1:
            raise InputError(f"{path}: class {name!r} has different max_damage values "
                             f"{sorted(maxima)}; give one per class")
        curves[name] = DamageCurve(name=name, depth=depths,
                                   fraction=np.array([p[1] for p in points]),
                                   max_damage=maxima.pop())
    return curves


@dataclass(frozen=True)
class DamageEstimate:
    """Result of :func:`damage`: rasters and what the summary needs.

    Attributes
    ----------
    damage : numpy.ndarray
        Damage per pixel (``unit``), NaN where the depth is NaN.
    fraction : numpy.ndarray
        Damage fraction per pixel (0 where dry), NaN where the depth is NaN.
    depth : numpy.ndarray
        The depth raster used.
    class_index : numpy.ndarray
        Index into ``classes`` of every pixel's class, -1 for no class.
    classes : tuple of str
    curves : dict
    pixel_area : float
    unit : str
        ``"EUR"`` style currency label of the curves, or ``"m2"`` without ``max_damage``.
    """

    damage: np.ndarray
    fraction: np.ndarray
    depth: np.ndarray
    class_index: np.ndarray
    classes: tuple[str, ...]
    curves: dict[str, DamageCurve]
    pixel_area: float
    unit: str

    @property
    def total(self) -> float:
        """Total damage over all pixels."""
        return float(np.nansum(self.damage))

    def summary(self) -> dict[str, Any]:
        """Damage summary: flooded area and damage by class, and the totals.

        Returns
        -------
        dict
            ``{"unit", "pixel_area_m2", "total_damage", "flooded_area_m2", "classes": [...]}``
            with per class ``class, flooded_pixels, flooded_area_m2, mean_depth_m, max_depth_m,
            mean_damage_fraction, max_damage_per_m2, total_damage``.
        """
        rows = []
        wet = np.nan_to_num(self.depth, nan=0.0) > 0
        for i, name in enumerate(self.classes):
            sel = wet & (self.class_index == i)
            n = int(sel.sum())
            depth = self.depth[sel]
            rows.append({
                "class": name,
                "flooded_pixels": n,
                "flooded_area_m2": n * self.pixel_area,
                "mean_depth_m": float(depth.mean()) if n else 0.0,
                "max_depth_m": float(depth.max()) if n else 0.0,
                "mean_damage_fraction": float(self.fraction[sel].mean()) if n else 0.0,
                "max_damage_per_m2": self.curves[name].max_damage,
                "total_damage": float(self.damage[sel].sum()) if n else 0.0,
            })
        return {"unit": self.unit, "pixel_area_m2": self.pixel_area,
                "total_damage": float(sum(r["total_damage"] for r in rows)),
                "flooded_area_m2": float(sum(r["flooded_area_m2"] for r in rows)),
                "classes": rows}


def damage(depth: np.ndarray, land_use: str | np.ndarray,
           curves: str | Path | Mapping[str, DamageCurve] | None = None, *,
           pixel_area: float = 1.0, classes: Mapping[int, str] | None = None,
           nodata_class: int = 0, unit: str | None = None) -> DamageEstimate:
    """Damage per pixel from a depth raster, a land use and depth-damage curves.

    Parameters
    ----------
    depth : numpy.ndarray
        Water depth (m); NaN for no data.
    land_use : str or numpy.ndarray
        One class name for every pixel, or a raster of the depth's shape holding class names or
        integer codes (with ``classes``).
    curves : path, mapping or None
        Curves CSV, a mapping from :func:`read_curves`, or None for :data:`DEFAULT_CURVES`.
    pixel_area : float
        Area of one pixel (m²).
    classes : mapping, optional
        Integer land-use code -> class name (for an integer ``land_use`` raster).
    nodata_class : int
        Integer code meaning "no land use" (no damage), default 0.
    unit : str, optional
        Label of the damage unit; default "EUR" with ``max_damage`` values, else "m2".

    Returns
    -------
    DamageEstimate

    Raises
    ------
    InputError
        Unknown class (not in the curves), a land-use raster of another shape, integer codes
        without ``classes`` or missing from it.
    """
    table = dict(curves) if isinstance(curves, Mapping) else read_curves(curves)
    depth = np.asarray(depth, dtype=np.float64)
    names = tuple(table)
    if isinstance(land_use, str):
        if land_use not in table:
            raise InputError(f"land-use class {land_use!r} has no depth-damage curve (known: "
                             f"{', '.join(names)})")
        class_index = np.full(depth.shape, names.index(land_use), dtype=np.int32)
    else:
        land = np.asarray(land_use)
        if land.shape != depth.shape:
            raise InputError(f"land-use raster has shape {land.shape}, the depth raster "
                             f"{depth.shape}")
        class_index = np.full(depth.shape, -1, dtype=np.int32)
        if land.dtype.kind in "iu":
            if classes is None:
                raise InputError("an integer land-use raster needs `classes` (code -> class "
                                 "name)")
            codes = set(np.unique(land).tolist()) - {nodata_class}
            unknown = sorted(codes - set(classes))
            if unknown:
                raise InputError(f"land-use codes {unknown} are not in `classes`")
            mapping = {code: classes[code] for code in codes}
        else:
            land = land.astype(str)
            mapping = {name: name for name in np.unique(land).tolist() if name}
        for code, name in mapping.items():
            if name not in table:
                raise InputError(f"land-use class {name!r} has no depth-damage curve (known: "
                                 f"{', '.join(names)})")
            class_index[land == code] = names.index(name)
    has_max = all(c.max_damage is not None for c in table.values())
    fraction = np.zeros(depth.shape)
    damage_ = np.zeros(depth.shape)
    for i, name in enumerate(names):
        sel = class_index == i
        if not sel.any():
            continue
        curve = table[name]
        f = curve(depth[sel])
        fraction[sel] = f
        damage_[sel] = f * (curve.max_damage if has_max else 1.0) * pixel_area
    nan = np.isnan(depth)
    fraction[nan] = np.nan
    damage_[nan] = np.nan
    return DamageEstimate(damage=damage_, fraction=fraction, depth=depth,
                          class_index=class_index, classes=names, curves=table,
                          pixel_area=float(pixel_area),
                          unit=unit or ("EUR" if has_max else "m2"))


_CSV_COLUMNS = ("class", "flooded_pixels", "flooded_area_m2", "mean_depth_m", "max_depth_m",
                "mean_damage_fraction", "max_damage_per_m2", "total_damage")


def write_damage_summary(summary: Mapping[str, Any], path: str | Path, *,
                         fmt: str | None = None) -> Path:
    """Write a damage summary (from :meth:`DamageEstimate.summary`) as CSV or JSON.

    Parameters
    ----------
    summary : mapping
    path : str or Path
    fmt : {"csv", "json"}, optional
        Default from the file suffix. The CSV has one row per class and a final ``total`` row;
        the damage unit is in the header of ``total_damage`` (``total_damage_EUR``).
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        path.write_text(json.dumps(summary, indent=2) + "\n")
        return path
    if fmt != "csv":
        raise InputError(f"{path}: damage summary format must be csv or json, got {fmt!r}")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    unit = summary.get("unit", "")
    writer.writerow([*_CSV_COLUMNS[:-1], f"total_damage_{unit}" if unit else "total_damage"])
    for row in summary["classes"]:
        writer.writerow(["" if row[c] is None else (f"{row[c]:.6g}" if isinstance(row[c], float)
                                                    else row[c]) for c in _CSV_COLUMNS])
    writer.writerow(["total", sum(r["flooded_pixels"] for r in summary["classes"]),
                     f"{summary['flooded_area_m2']:.6g}", "", "", "", "",
                     f"{summary['total_damage']:.6g}"])
    path.write_text(buf.getvalue())
    return path
