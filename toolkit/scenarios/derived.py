"""Derived flood results from raw 3Di output, as rasters on the 2D cell grid.

Every product is computed per 2D open-water cell (node type 1) from the water level ``s1``
(``Mesh2D_s1``) and the cell bottom level ``z_b`` (gridadmin ``dmax``), then spread over the
cell's pixels at *quad* resolution (:class:`~toolkit.scenarios.rasters.CellGrid`): a coarse cell
fills its whole block of pixels with one value, as in 3Di's own cell-based output. Lizard further
refines depths with the DEM (``MaskBelow(Subtract(level, DEM), 0)``); without a DEM we use the
cell bottom level, so depths here are cell maxima, not pixel depths.

Definitions (cell ``c``, output steps ``t_i``; steps where ``s1`` is the fill value are skipped):

- water depth :math:`h_c(t_i) = \\max(s1_c(t_i) - z_{b,c}, 0)` (m);
- ``depth-max-dtri``: :math:`\\max_i h_c(t_i)` (m); 0 for cells that stay dry;
- ``s1-max-dtri``: :math:`\\max_i s1_c(t_i)` (m above datum);
- ``depth-dtri`` / ``s1-dtri``: :math:`h` and :math:`s1` at chosen output steps, one GeoTIFF
  band per step (band description: ISO time, band tag ``seconds``); a requested time is snapped
  to the nearest output step, as Lizard does;
- ``depth-first-dtri`` (arrival time): the first output time :math:`t_i` (seconds since the
  simulation start) with :math:`h_c(t_i) > \\theta`, threshold :math:`\\theta` =
  :data:`ARRIVAL_THRESHOLD` = 0.01 m by default (enough to ignore wetting films); NaN (nodata)
  where the depth never exceeds it. It is exact to the output step: the water arrived between
  :math:`t_{i-1}` and :math:`t_i`;
- ``rise-velocity-quad`` (rate of rise): :math:`\\max_i (h_c(t_i) - h_c(t_{i-1})) /
  (t_i - t_{i-1})` converted to m/h, clipped at 0 (0 where the depth never rises);
- ``total-damage`` and ``damage-summary``: :mod:`toolkit.scenarios.damage` applied to the maximum
  depth raster.

Everything is computed in one pass STREAMING over time: the water levels are read in blocks of
time steps (:meth:`~toolkit.scenarios.threedi.ThreediResult.iter_steps`, about 8 MB each) and
only per-cell running maxima, arrival times and the previous step stay in memory; temporal
rasters are written band by band as their steps go by.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import InputError
from toolkit.scenarios.rasters import NODATA, GeoTiffWriter, write_geotiff
from toolkit.scenarios.threedi import ThreediResult

__all__ = [
    "ARRIVAL_THRESHOLD",
    "RESULT_TYPES",
    "ResultType",
    "DerivedResult",
    "Raster",
    "CellStatistics",
    "cell_statistics",
    "select_steps",
    "max_depth",
    "max_level",
    "arrival_time",
    "rise_velocity",
    "depth_at",
    "level_at",
    "derive_all",
]

#: default depth (m) above which a cell counts as flooded for the arrival time
ARRIVAL_THRESHOLD = 0.01


@dataclass(frozen=True)
class ResultType:
    """A Lizard scenario result code this module produces."""

    code: str
    family: str
    name: str
    description: str
    unit: str
    temporal: bool = False
    filename: str = ""


#: result codes in Lizard's list order (families Basic, Arrival, Damage); names as Lizard shows
#: them (see ../shared/reference/lizard/NOTES.md, section 1.5)
RESULT_TYPES: dict[str, ResultType] = {t.code: t for t in (
    ResultType("depth-dtri", "Basic", "Water depth (timeseries)",
               "Water depth (m) above the cell bottom level at output steps, one band per step",
               "m", True, "depth-dtri.tif"),
    ResultType("depth-max-dtri", "Basic", "Max water depth",
               "Maximum over time of the water depth above the cell bottom level (m)", "m",
               False, "depth-max-dtri.tif"),
    ResultType("s1-dtri", "Basic", "Water level (timeseries)",
               "Water level (m above datum) at output steps, one band per step", "m", True,
               "s1-dtri.tif"),
    ResultType("s1-max-dtri", "Basic", "Max water level",
               "Maximum over time of the water level (m above datum)", "m", False,
               "s1-max-dtri.tif"),
    ResultType("rise-velocity-quad", "Basic", "Rate of rise",
               "Maximum rate of rise of the water depth between output steps (m/h)", "m/h",
               False, "rise-velocity-quad.tif"),
    ResultType("depth-first-dtri", "Arrival", "Arrival time",
               "First output time (s since the simulation start) at which the depth exceeds "
               "the threshold; nodata where it never does", "s", False, "depth-first-dtri.tif"),
    ResultType("damage-summary", "Damage", "Damage summary (csv)",
               "Flooded area and damage by land-use class (from the maximum depth)", "", False,
               "damage-summary.csv"),
    ResultType("total-damage", "Damage", "Total damage",
               "Damage per pixel from the maximum depth and depth-damage curves", "", False,
               "total-damage.tif"),
)}


@dataclass(frozen=True)
class DerivedResult:
    """One file written by :func:`derive_all`, described for the scenario catalogue."""

    code: str
    family: str
    name: str
    path: Path
    description: str
    unit: str = ""
    temporal: bool = False
    times: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Raster:
    """A raster in the model CRS: ``array`` is (rows, cols), or (bands, rows, cols) for
    temporal rasters with ``times`` (seconds since the simulation start) per band; NaN = no
    data."""

    array: np.ndarray
    transform: Any
    crs: Any
    unit: str
    code: str = ""
    times: np.ndarray | None = None
    start_time: np.datetime64 | None = None

    def band_descriptions(self) -> list[str] | None:
        """ISO times of the bands (or ``t=<seconds>s`` when the start is unknown)."""
        if self.times is None:
            return None
        return _band_labels(self.times, self.start_time)

    def write(self, path: str | Path, nodata: float = NODATA) -> Path:
        """Write as GeoTIFF (multi-band for temporal rasters); see
        :func:`~toolkit.scenarios.rasters.write_geotiff`."""
        tags = {"code": self.code, "units": self.unit}
        if self.start_time is not None:
            tags["time_origin"] = str(self.start_time)
        return write_geotiff(path, self.array, self.transform, self.crs, nodata,
                             band_descriptions=self.band_descriptions(), tags=tags)


@dataclass(frozen=True)
class CellStatistics:
    """Per-cell results of one pass over time, for the open-water cells
    (``ThreediResult.open_water`` order, which is the order of ``ThreediResult.grid``)."""

    max_depth: np.ndarray
    max_level: np.ndarray
    arrival: np.ndarray
    rise_velocity: np.ndarray
    threshold: float


def _band_labels(seconds: np.ndarray, start: np.datetime64 | None) -> list[str]:
    if start is None:
        return [f"t={s:g}s" for s in seconds]
    stamps = start.astype("datetime64[ms]") + np.rint(np.asarray(seconds) * 1e3).astype(
        "timedelta64[ms]")
    return [str(s.astype("datetime64[s]")) for s in stamps]


def select_steps(result: ThreediResult, times: Sequence[Any] | None) -> np.ndarray:
    """Indices of the output steps nearest to ``times`` (sorted, unique).

    Parameters
    ----------
    result : ThreediResult
    times : sequence or None
        None for every output step; numbers are seconds since the simulation start;
        ``numpy.datetime64`` or ISO strings are absolute times (the result must know its start).

    Raises
    ------
    InputError
        A time outside the simulation (by more than half the mean output interval), or an
        absolute time when the start is unknown.
    """
    seconds = result.times
    if times is None:
        return np.arange(seconds.size)
    wanted = []
    for t in times:
        if isinstance(t, str | np.datetime64):
            if result.start_time is None:
                raise InputError(f"{result.results}: time {t!r} is absolute but the results do "
                                 "not name the simulation start; give seconds instead")
            try:
                stamp = np.datetime64(t, "ms")
            except ValueError:
                raise InputError(f"time {t!r} is not an ISO date-time") from None
            wanted.append((stamp - result.start_time.astype("datetime64[ms]"))
                          / np.timedelta64(1, "s"))
        else:
            wanted.append(float(t))
    wanted_arr = np.asarray(wanted, dtype=np.float64)
    half = 0.5 * (seconds[-1] - seconds[0]) / max(1, seconds.size - 1)
    outside = (wanted_arr < seconds[0] - half) | (wanted_arr > seconds[-1] + half)
    if outside.any():
        bad = wanted[int(np.argmax(outside))]
        raise InputError(f"{result.results}: time {bad!r} is outside the simulation "
                         f"({seconds[0]:g} to {seconds[-1]:g} s after the start)")
    idx = np.abs(seconds[None, :] - wanted_arr[:, None]).argmin(axis=1)
    return np.unique(idx)


def cell_statistics(result: ThreediResult, *, threshold: float = ARRIVAL_THRESHOLD,
                    steps: np.ndarray | None = None,
                    on_step: Callable[[int, np.ndarray, np.ndarray], None] | None = None,
                    chunk_steps: int | None = None) -> CellStatistics:
    """Maximum depth and level, arrival time and rate of rise per open-water cell, in one pass.

    Parameters
    ----------
    result : ThreediResult
    threshold : float
        Arrival depth threshold (m), default :data:`ARRIVAL_THRESHOLD`.
    steps : array of int, optional
        Output steps at which to call ``on_step``.
    on_step : callable, optional
        ``on_step(step, level, depth)`` with per-cell water level and depth (NaN where ``s1``
        is the fill value), called once per step in ``steps`` while streaming.
    chunk_steps : int, optional
        Time steps read per block (default about 8 MB per block).

    Returns
    -------
    CellStatistics
        Arrays over the open-water cells; see the module docstring for the definitions.
    """
    if not threshold >= 0:
        raise InputError(f"arrival threshold must be >= 0 m, got {threshold!r}")
    cells = result.open_water
    bottom = result.cells["bottom_level"].values[cells]
    n = cells.size
    depth_max = np.full(n, np.nan)
    level_max = np.full(n, np.nan)
    arrival = np.full(n, np.nan)
    rise = np.full(n, np.nan)
    seconds = result.times
    wanted = set() if steps is None else {int(s) for s in steps}
    prev_depth: np.ndarray | None = None
    prev_t = 0.0
    for start, level in result.iter_steps("s1", "2D", positions=cells, chunk_steps=chunk_steps):
        t = seconds[start:start + level.shape[0]]
        np.fmax(level_max, np.fmax.reduce(level, axis=0), out=level_max)
        depth = level - bottom
        np.maximum(depth, 0.0, out=depth)  # NaN (fill) stays NaN
        np.fmax(depth_max, np.fmax.reduce(depth, axis=0), out=depth_max)
        wet = depth > threshold
        new = np.isnan(arrival) & wet.any(axis=0)
        if new.any():
            arrival[new] = t[np.argmax(wet[:, new], axis=0)]
        del wet
        for i in range(t.size):
            if prev_depth is not None:
                rate = depth[i] - prev_depth
                rate *= 3600.0 / (t[i] - prev_t)
                np.fmax(rise, rate, out=rise)
            prev_depth, prev_t = depth[i], float(t[i])
            if on_step is not None and start + i in wanted:
                on_step(start + i, level[i], depth[i])
        prev_depth = prev_depth.copy()  # do not keep the whole block alive
    return CellStatistics(max_depth=depth_max, max_level=level_max, arrival=arrival,
                          rise_velocity=np.maximum(rise, 0.0), threshold=float(threshold))


def _raster(result: ThreediResult, values: np.ndarray, code: str) -> Raster:
    return Raster(array=result.grid.to_raster(values), transform=result.grid.transform,
                  crs=result.crs, unit=RESULT_TYPES[code].unit, code=code,
                  start_time=result.start_time)


def max_depth(result: ThreediResult, *, chunk_steps: int | None = None) -> Raster:
    """``depth-max-dtri``: maximum water depth (m) per pixel (streams over time)."""
    return _raster(result, cell_statistics(result, chunk_steps=chunk_steps).max_depth,
                   "depth-max-dtri")


def max_level(result: ThreediResult, *, chunk_steps: int | None = None) -> Raster:
    """``s1-max-dtri``: maximum water level (m above datum) per pixel."""
    return _raster(result, cell_statistics(result, chunk_steps=chunk_steps).max_level,
                   "s1-max-dtri")


def arrival_time(result: ThreediResult, *, threshold: float = ARRIVAL_THRESHOLD,
                 chunk_steps: int | None = None) -> Raster:
    """``depth-first-dtri``: first output time (s) with depth > ``threshold``; NaN if never."""
    stats = cell_statistics(result, threshold=threshold, chunk_steps=chunk_steps)
    return _raster(result, stats.arrival, "depth-first-dtri")


def rise_velocity(result: ThreediResult, *, chunk_steps: int | None = None) -> Raster:
    """``rise-velocity-quad``: maximum rate of rise of the depth between output steps (m/h)."""
    return _raster(result, cell_statistics(result, chunk_steps=chunk_steps).rise_velocity,
                   "rise-velocity-quad")


def _snapshots(result: ThreediResult, times: Sequence[Any] | None, which: int, code: str,
               chunk_steps: int | None) -> Raster:
    steps = select_steps(result, times)
    bands = np.full((steps.size, *result.grid.shape), np.nan, dtype=np.float32)
    band_of = {int(s): i for i, s in enumerate(steps)}

    def keep(step: int, level: np.ndarray, depth: np.ndarray) -> None:
        bands[band_of[step]] = result.grid.to_raster((level, depth)[which])

    cell_statistics(result, steps=steps, on_step=keep, chunk_steps=chunk_steps)
    return Raster(array=bands, transform=result.grid.transform, crs=result.crs,
                  unit=RESULT_TYPES[code].unit, code=code, times=result.times[steps],
                  start_time=result.start_time)


def depth_at(result: ThreediResult, times: Sequence[Any] | None = None, *,
             chunk_steps: int | None = None) -> Raster:
    """``depth-dtri``: water depth (m) at the output steps nearest to ``times`` (bands)."""
    return _snapshots(result, times, 1, "depth-dtri", chunk_steps)


def level_at(result: ThreediResult, times: Sequence[Any] | None = None, *,
             chunk_steps: int | None = None) -> Raster:
    """``s1-dtri``: water level (m) at the output steps nearest to ``times`` (bands)."""
    return _snapshots(result, times, 0, "s1-dtri", chunk_steps)


def _part(path: Path) -> Path:
    """A temporary name next to ``path``: ``.<name>.<token>.part``."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.part")


def derive_all(result: ThreediResult, out_dir: str | Path, *, times: Sequence[Any] | None = None,
               threshold: float = ARRIVAL_THRESHOLD, curves: str | Path | None = None,
               land_use: Any = None, land_use_classes: dict[int, str] | None = None,
               chunk_steps: int | None = None) -> list[DerivedResult]:
    """Compute and write every derived result of a 3Di result pair, in one pass over time.

    Parameters
    ----------
    result : ThreediResult
        An open result pair.
    out_dir : str or Path
        Folder for the files (created); each file is named after its code (``depth-max-dtri.tif``
        ..., ``damage-summary.csv``). Files are written under a temporary name and renamed when
        complete, so a reader never sees a half-written file.
    times : sequence, optional
        Times of the temporal rasters ``depth-dtri`` and ``s1-dtri`` (see
        :func:`select_steps`); default every output step.
    threshold : float
        Arrival depth threshold (m).
    curves : str or Path, optional
        Depth-damage curves CSV (default :data:`toolkit.scenarios.damage.DEFAULT_CURVES`).
    land_use : str or numpy.ndarray, optional
        Land-use class name for the whole model, or a raster aligned with the result grid
        (class names, or integer codes with ``land_use_classes``); default
        :data:`toolkit.scenarios.damage.DEFAULT_LAND_USE`.
    land_use_classes : dict, optional
        Integer land-use code -> class name.
    chunk_steps : int, optional
        Time steps read per block.

    Returns
    -------
    list of DerivedResult
        In :data:`RESULT_TYPES` order (Basic, Arrival, Damage).
    """
    from toolkit.scenarios import damage as dmg

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    grid = result.grid
    steps = select_steps(result, times)
    step_seconds = result.times[steps]
    labels = _band_labels(step_seconds, result.start_time)
    band_of = {int(s): i + 1 for i, s in enumerate(steps)}
    paths = {code: out / t.filename for code, t in RESULT_TYPES.items()}

    def tags(code: str) -> dict[str, str]:
        tag = {"code": code, "name": RESULT_TYPES[code].name, "units": RESULT_TYPES[code].unit,
               "model_slug": result.model_slug}
        if result.start_time is not None:
            tag["time_origin"] = str(result.start_time)
        return tag

    writers: dict[str, GeoTiffWriter] = {}
    written: list[Path] = []
    try:
        for code in ("depth-dtri", "s1-dtri"):
            writers[code] = GeoTiffWriter(_part(paths[code]), shape=grid.shape,
                                          count=steps.size, transform=grid.transform,
                                          crs=result.crs, tags=tags(code))
            written.append(writers[code].path)

        def snapshot(step: int, level: np.ndarray, depth: np.ndarray) -> None:
            band = band_of[step]
            extra = {"seconds": f"{result.times[step]:.6f}"}
            writers["s1-dtri"].write_band(band, grid.to_raster(level),
                                          description=labels[band - 1], tags=extra)
            writers["depth-dtri"].write_band(band, grid.to_raster(depth),
                                             description=labels[band - 1], tags=extra)

        stats = cell_statistics(result, threshold=threshold, steps=steps, on_step=snapshot,
                                chunk_steps=chunk_steps)
        for w in writers.values():
            w.close()
        depth_max = grid.to_raster(stats.max_depth)
        rasters = {"depth-max-dtri": depth_max, "s1-max-dtri": grid.to_raster(stats.max_level),
                   "rise-velocity-quad": grid.to_raster(stats.rise_velocity),
                   "depth-first-dtri": grid.to_raster(stats.arrival)}
        for code, array in rasters.items():
            extra = tags(code)
            if code == "depth-first-dtri":
                extra["threshold_m"] = f"{stats.threshold:g}"
            written.append(_part(paths[code]))
            write_geotiff(written[-1], array, grid.transform, result.crs, tags=extra)
        estimate = dmg.damage(depth_max, dmg.DEFAULT_LAND_USE if land_use is None else land_use,
                              curves, pixel_area=grid.pixel_area, classes=land_use_classes)
        written.append(_part(paths["total-damage"]))
        write_geotiff(written[-1], estimate.damage, grid.transform, result.crs,
                      tags={**tags("total-damage"), "units": estimate.unit})
        written.append(_part(paths["damage-summary"]))
        dmg.write_damage_summary(estimate.summary(), written[-1], fmt="csv")
        for part in written:
            os.replace(part, _final(part))
    except BaseException:
        for w in writers.values():
            w.close()
        for part in written:
            part.unlink(missing_ok=True)
        raise
    results = []
    for code, t in RESULT_TYPES.items():
        unit = estimate.unit if code == "total-damage" else t.unit
        results.append(DerivedResult(code=code, family=t.family, name=t.name, path=paths[code],
                                     description=t.description, unit=unit, temporal=t.temporal,
                                     times=tuple(float(s) for s in step_seconds)
                                     if t.temporal else None))
    return results


def _final(part: Path) -> Path:
    """The final name of a ``.<name>.<token>.part`` file."""
    name = part.name[1:].removesuffix(".part").rsplit(".", 1)[0]
    return part.with_name(name)
