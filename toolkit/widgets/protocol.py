"""What the widgets need from a calculation or scenario source, and the data they display.

The widgets never talk to the store, the job manager or HTTP directly: they call a
:class:`CalcService` (calculations) or a :class:`ScenarioService` (flood and earthquake
scenarios). Two implementations of each exist:

- in-process (:mod:`toolkit.widgets.local`): the catalogue and datastores of a data directory,
  jobs run in worker processes started by the kernel (Binder, a plain notebook);
- remote (:mod:`toolkit.widgets.remote`): :class:`toolkit.client.Client` (OpenQuake WebAPI) and
  :class:`toolkit.client.ScenarioClient` (Lizard API v4), against ``toolkit serve`` or a real
  OpenQuake / Lizard server.

Anything with the methods below works: the protocols are structural (:class:`typing.Protocol`).
Services return the small, plain data classes of this module, so a viewer can also be fed
directly (``HazardCurveViewer(hazard_from_outputs(toolkit.open_calc(3)))``).

Errors: services raise :class:`toolkit.errors.ToolkitError` subclasses whose message names the
location (data directory or URL); widgets show the message instead of raising.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "FINAL_STATUSES",
    "CalcInfo",
    "HazardCurves",
    "FieldSeries",
    "RasterImage",
    "DamageTable",
    "ScenarioPage",
    "CalcService",
    "ScenarioService",
    "group_by_family",
]

#: statuses after which a calculation never changes (OpenQuake's names)
FINAL_STATUSES = frozenset({"complete", "failed", "aborted"})


@dataclass(frozen=True)
class CalcInfo:
    """One calculation as a list or a status poll reports it.

    Attributes
    ----------
    id : int
    description : str
    mode : str
        ``classical``, ``scenario``, ``event_based``, ``scenario_damage`` ...
    status : str
        ``created``, ``executing``, ``complete``, ``failed`` or ``aborted``.
    progress : float or None
        0..1 while executing; None when the source does not report it.
    owner : str
    start_time : str or None
    """

    id: int
    description: str
    mode: str
    status: str
    progress: float | None = None
    owner: str = ""
    start_time: str | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_running(self) -> bool:
        return not self.is_final


@dataclass
class HazardCurves:
    """Hazard curves of one calculation, ready to plot.

    Attributes
    ----------
    lons, lats : ndarray (N,)
        Site coordinates.
    levels : dict
        ``{imt: levels}`` in calculation order.
    curves : dict
        ``{kind: {imt: ndarray (N, L_imt)}}``: probabilities of exceedance in
        ``investigation_time``; kinds are statistics (``"mean"``, ``"quantile-0.16"``) and
        realizations (``"rlz-0"``).
    investigation_time : float
        Years.
    title : str
    """

    lons: np.ndarray
    lats: np.ndarray
    levels: dict[str, np.ndarray]
    curves: dict[str, dict[str, np.ndarray]]
    investigation_time: float
    title: str = ""

    def __post_init__(self) -> None:
        from toolkit.errors import InputError

        self.lons = np.asarray(self.lons, dtype=float)
        self.lats = np.asarray(self.lats, dtype=float)
        if not self.levels:
            raise InputError("hazard curves: no intensity measure types")
        if not self.curves:
            raise InputError("hazard curves: no statistics and no realizations")
        n = self.lons.size
        for kind, per_imt in self.curves.items():
            for imt, arr in per_imt.items():
                shape = (n, len(self.levels[imt]))
                if np.shape(arr) != shape:
                    raise InputError(f"hazard curves: {kind} {imt} has shape {np.shape(arr)}, "
                                     f"expected {shape}")

    @property
    def imts(self) -> list[str]:
        return list(self.levels)

    @property
    def kinds(self) -> list[str]:
        return list(self.curves)

    @property
    def n_sites(self) -> int:
        return int(self.lons.size)

    def curve(self, kind: str, imt: str, site: int) -> np.ndarray:
        """Probabilities of exceedance of one site, shape (L_imt,)."""
        return np.asarray(self.curves[kind][imt][site], dtype=float)


@dataclass
class FieldSeries:
    """A field (flood depth, ground motion ...) on cells or sites, at a sequence of steps.

    Attributes
    ----------
    name : str
        What the values are (``"Water depth"``, ``"PGA"``).
    units : str
    x, y : ndarray (N,)
        Cell centres or site coordinates (in ``crs``).
    steps : list of str
        One label per step (ISO times, ``"event 3 (rlz 0)"`` ...).
    values : ndarray (T, N) or callable
        The values, or ``values(step) -> ndarray (N,)`` to read one step on demand (large
        results). NaN = no data.
    grid : object, optional
        Cells to pixels: anything with ``to_raster(values) -> ndarray (rows, cols)`` and
        ``bounds -> (xmin, ymin, xmax, ymax)`` (:class:`toolkit.scenarios.rasters.CellGrid`).
        Without a grid the values are drawn as points.
    crs : str
        Label of the coordinate system (``"EPSG:28992"``, ``"lon/lat"``).
    step_name : str
        ``"time"`` or ``"event"`` (labels the slider).
    vmax : float, optional
        Upper end of the colour scale, fixed over steps (default: max over all steps when
        ``values`` is an array, else of the step shown).
    dry_below : float, optional
        Values <= this are drawn transparent (0 for depths); None draws everything.
    """

    name: str
    units: str
    x: np.ndarray
    y: np.ndarray
    steps: list[str]
    values: np.ndarray | Callable[[int], np.ndarray]
    grid: Any = None
    crs: str = ""
    step_name: str = "time"
    vmax: float | None = None
    dry_below: float | None = None

    def __post_init__(self) -> None:
        from toolkit.errors import InputError

        self.x = np.asarray(self.x, dtype=float)
        self.y = np.asarray(self.y, dtype=float)
        if self.x.shape != self.y.shape or self.x.ndim != 1:
            raise InputError(f"field {self.name!r}: x and y must be 1-D arrays of one length, "
                             f"got {self.x.shape} and {self.y.shape}")
        if not self.steps:
            raise InputError(f"field {self.name!r}: there are no steps")
        if not callable(self.values):
            arr = np.asarray(self.values, dtype=float)
            if arr.shape != (len(self.steps), self.x.size):
                raise InputError(f"field {self.name!r}: values have shape {arr.shape}, expected "
                                 f"{(len(self.steps), self.x.size)} (steps, cells)")
            self.values = arr
            if self.vmax is None and np.isfinite(arr).any():
                self.vmax = float(np.nanmax(arr))

    @property
    def n_steps(self) -> int:
        return len(self.steps)

    @property
    def n_cells(self) -> int:
        return int(self.x.size)

    def at(self, step: int) -> np.ndarray:
        """Values at ``step``, shape (N,)."""
        if not 0 <= step < self.n_steps:
            from toolkit.errors import InputError

            raise InputError(f"field {self.name!r}: step {step} out of range 0..{self.n_steps - 1}")
        if callable(self.values):
            return np.asarray(self.values(step), dtype=float)
        return self.values[step]


@dataclass
class RasterImage:
    """A 2-D raster to show: ``array`` (rows, cols), north up, covering ``extent``
    ``(xmin, xmax, ymin, ymax)`` in ``crs``; NaN = no data."""

    array: np.ndarray
    extent: tuple[float, float, float, float]
    name: str = ""
    units: str = ""
    crs: str = ""

    def __post_init__(self) -> None:
        from toolkit.errors import InputError

        self.array = np.asarray(self.array, dtype=float)
        if self.array.ndim != 2:
            raise InputError(f"raster {self.name!r}: expected a 2-D array, got shape "
                             f"{self.array.shape}")
        self.extent = tuple(float(v) for v in self.extent)  # type: ignore[assignment]

    @property
    def pixel_size(self) -> tuple[float, float]:
        rows, cols = self.array.shape
        xmin, xmax, ymin, ymax = self.extent
        return (xmax - xmin) / max(cols, 1), (ymax - ymin) / max(rows, 1)


@dataclass
class DamageTable:
    """Damage or losses by category.

    Attributes
    ----------
    title : str
    categories : list of str
        Rows: land-use classes, taxonomies, assets.
    columns : list of str
        Metrics or damage states (``"total_damage"``, ``"flooded_area_m2"``, ``"moderate"``).
    values : ndarray (C, K)
    units : dict
        ``{column: unit}``.
    raster : RasterImage, optional
        A damage map (damage per pixel).
    """

    title: str
    categories: list[str]
    columns: list[str]
    values: np.ndarray
    units: dict[str, str] = field(default_factory=dict)
    raster: RasterImage | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        from toolkit.errors import InputError

        self.values = np.asarray(self.values, dtype=float).reshape(len(self.categories),
                                                                   len(self.columns))
        if not self.columns:
            raise InputError(f"damage table {self.title!r}: no columns")

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.columns.index(name)]


@dataclass(frozen=True)
class ScenarioPage:
    """One page of a scenario list: Lizard-like scenario dicts (``uuid``, ``name``,
    ``model_name``, ``created`` ...) and the total number of matches (None: unknown)."""

    items: list[dict[str, Any]]
    total: int | None
    offset: int
    limit: int


@runtime_checkable
class CalcService(Protocol):
    """Calculations: run, watch, abort, list, and read their results."""

    #: where the calculations are: ``"in-process, data directory /x"`` or a URL
    location: str

    def list(self, limit: int = 100) -> list[CalcInfo]: ...

    def demo_jobs(self) -> dict[str, Path]: ...

    def submit(self, job_ini: Path) -> int: ...

    def info(self, calc_id: int) -> CalcInfo: ...

    def log(self, calc_id: int, start: int = 0) -> list[str]: ...

    def traceback(self, calc_id: int) -> str: ...

    def abort(self, calc_id: int) -> bool: ...

    def hazard_curves(self, calc_id: int) -> HazardCurves: ...

    def fields(self, calc_id: int) -> dict[str, FieldSeries]: ...

    def damage(self, calc_id: int) -> DamageTable: ...


@runtime_checkable
class ScenarioService(Protocol):
    """Scenarios (Lizard API v4 shapes): list, results by family, download, preview, open."""

    location: str

    def scenarios(self, *, name: str = "", offset: int = 0, limit: int = 10) -> ScenarioPage: ...

    def scenario(self, uuid: str) -> dict[str, Any]: ...

    def results(self, uuid: str) -> list[dict[str, Any]]: ...

    def download(self, uuid: str, result: dict[str, Any], dest_dir: Path) -> Path: ...

    def raster(self, uuid: str, result: dict[str, Any]) -> RasterImage: ...

    def fields(self, uuid: str) -> dict[str, FieldSeries]: ...

    def damage(self, uuid: str) -> DamageTable | None: ...


def group_by_family(results: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Results grouped by ``family`` in Lizard's order (Raw, Basic, Arrival, Damage, others)."""
    order = ["Raw", "Basic", "Arrival", "Damage"]
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in results:
        fam = str(item.get("family") or "Other")
        fam = fam[:1].upper() + fam[1:]
        groups.setdefault(fam, []).append(item)
    return dict(sorted(groups.items(), key=lambda kv: (order.index(kv[0])
                                                       if kv[0] in order else len(order), kv[0])))
