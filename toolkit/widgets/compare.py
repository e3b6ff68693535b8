"""ScenarioComparison: two scenarios side by side and their difference map.

Both rasters (the same result code of two scenarios: maximum depth, arrival time ...) are
resampled (nearest pixel) onto one grid covering both extents at the finer pixel size
(:func:`difference`), so scenarios on different grids compare too; where only one scenario has
data the difference is NaN and the status line counts those pixels separately.

Event: ``on_change(callback(viewer))`` after each redraw.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import numpy as np
import traitlets as t

from toolkit.errors import InputError
from toolkit.widgets._base import ErrorBoxMixin, HookMixin, guarded, image_widget
from toolkit.widgets._render import draw_raster, new_figure, to_png
from toolkit.widgets.protocol import RasterImage, ScenarioService
from toolkit.widgets.services import scenario_service

__all__ = ["ScenarioComparison", "difference", "resample", "COMPARABLE_CODES"]

#: result codes offered for comparison (static rasters)
COMPARABLE_CODES = {
    "depth-max-dtri": "Max water depth",
    "s1-max-dtri": "Max water level",
    "depth-first-dtri": "Arrival time",
    "rise-velocity-quad": "Rate of rise",
    "total-damage": "Total damage",
    "gmf-mean-pga": "Mean PGA (earthquake scenarios)",
}
_ENGINE_CODES = ("gmf-mean-",)


def _short(text: str, n: int = 34) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


def resample(raster: RasterImage, extent: tuple[float, float, float, float],
             shape: tuple[int, int]) -> np.ndarray:
    """Nearest-pixel values of ``raster`` at the pixel centres of a grid (``extent``,
    ``shape`` rows x cols); NaN outside it."""
    rows, cols = shape
    xmin, xmax, ymin, ymax = extent
    x = xmin + (np.arange(cols) + 0.5) * (xmax - xmin) / cols
    y = ymax - (np.arange(rows) + 0.5) * (ymax - ymin) / rows
    sxmin, sxmax, symin, symax = raster.extent
    srows, scols = raster.array.shape
    col = np.floor((x - sxmin) / (sxmax - sxmin) * scols).astype(np.int64)
    row = np.floor((symax - y) / (symax - symin) * srows).astype(np.int64)
    ok_c = (col >= 0) & (col < scols)
    ok_r = (row >= 0) & (row < srows)
    out = np.full(shape, np.nan)
    rr, cc = np.ix_(np.flatnonzero(ok_r), np.flatnonzero(ok_c))
    out[rr, cc] = raster.array[row[ok_r][:, None], col[ok_c][None, :]]
    return out


def difference(a: RasterImage, b: RasterImage, *, max_pixels: int = 4_000_000
               ) -> tuple[RasterImage, RasterImage, RasterImage]:
    """``a`` and ``b`` on a common grid, and ``b - a``.

    Raises
    ------
    InputError
        The rasters are in different coordinate systems, or the common grid would exceed
        ``max_pixels``.
    """
    if a.crs and b.crs and a.crs != b.crs:
        raise InputError(f"cannot compare rasters in {a.crs} and {b.crs}: reproject one first")
    px = min(a.pixel_size[0], b.pixel_size[0])
    py = min(a.pixel_size[1], b.pixel_size[1])
    xmin = min(a.extent[0], b.extent[0])
    xmax = max(a.extent[1], b.extent[1])
    ymin = min(a.extent[2], b.extent[2])
    ymax = max(a.extent[3], b.extent[3])
    cols = max(1, round((xmax - xmin) / px))
    rows = max(1, round((ymax - ymin) / py))
    if rows * cols > max_pixels:
        raise InputError(f"the common grid of the two rasters would have {rows} x {cols} "
                         f"pixels (more than {max_pixels})")
    extent = (xmin, xmin + cols * px, ymax - rows * py, ymax)
    va = resample(a, extent, (rows, cols))
    vb = resample(b, extent, (rows, cols))
    crs = a.crs or b.crs
    ra = RasterImage(va, extent, name=a.name, units=a.units, crs=crs)
    rb = RasterImage(vb, extent, name=b.name, units=b.units, crs=crs)
    rd = RasterImage(vb - va, extent, name="B − A", units=a.units, crs=crs)
    return ra, rb, rd


class ScenarioComparison(HookMixin, ErrorBoxMixin, w.VBox):
    """Pick scenarios A and B and a result code; see A, B and B − A.

    Attributes
    ----------
    a, b : str
        Uuids of the two scenarios.
    code : str
        Result code compared (:data:`COMPARABLE_CODES`).
    stats : dict
        ``min``, ``max``, ``mean_abs`` of the difference, ``pixels`` compared, ``only_a``,
        ``only_b`` (pixels with data in one scenario only).
    """

    a = t.Unicode("")
    b = t.Unicode("")
    code = t.Unicode("depth-max-dtri")

    def __init__(self, service: ScenarioService | Any = None, *, a: str = "", b: str = "",
                 code: str = "depth-max-dtri", width: str = "980px", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = scenario_service(service)
        self.stats: dict[str, float] = {}
        self.rasters: tuple[RasterImage, RasterImage, RasterImage] | None = None
        self._busy = True
        self._init_messages()
        self.add_class("tk-widget")
        self.add_class("tk-compare")
        self.a_picker = w.Dropdown(description="A", layout=w.Layout(width="460px"))
        self.a_picker.add_class("tk-a")
        self.b_picker = w.Dropdown(description="B", layout=w.Layout(width="460px"))
        self.b_picker.add_class("tk-b")
        self.code_picker = w.Dropdown(options=[(v, k) for k, v in COMPARABLE_CODES.items()],
                                      value=code if code in COMPARABLE_CODES else
                                      "depth-max-dtri", description="Result",
                                      layout=w.Layout(width="300px"))
        self.code_picker.add_class("tk-code")
        self.image = image_widget(width)
        self.a_picker.observe(lambda c: self._pick("a", c), "value")
        self.b_picker.observe(lambda c: self._pick("b", c), "value")
        self.code_picker.observe(lambda c: self._pick("code", c), "value")
        self.children = [w.HBox([self.a_picker, self.b_picker]), self.code_picker,
                         self.status_line, self.error, self.image]
        self.set_status("Pick two scenarios.")
        self.code = self.code_picker.value
        self._busy = False
        self.load_options(a=a, b=b)

    def on_change(self, callback: Any, remove: bool = False) -> None:
        """``callback(viewer)`` after each redraw."""
        self._register("change", callback, remove)

    @guarded("cannot list the scenarios")
    def load_options(self, *, a: str = "", b: str = "") -> None:
        """List the scenarios in both pickers; preselect ``a`` and ``b`` (default: the first
        two)."""
        page = self.service.scenarios(limit=1000)
        options = [(str(s.get("name", s.get("uuid"))), str(s.get("uuid"))) for s in page.items]
        uuids = [o[1] for o in options]
        # default: the first two scenarios of the kind the result code belongs to
        engine = self.code.startswith(_ENGINE_CODES)
        kind = [str(s.get("uuid")) for s in page.items
                if (str(s.get("source", "")) == "toolkit") == engine] or uuids
        if a not in uuids:
            a = kind[0] if kind else ""
        if b not in uuids:
            b = next((u for u in kind if u != a), a)
        self._busy = True
        try:
            self.a_picker.options = options
            self.b_picker.options = options
            self.a_picker.value = a or None
            self.b_picker.value = b or None
            self.a = a
            self.b = b
        finally:
            self._busy = False
        if len(uuids) < 2:
            self.set_status(f"{len(uuids)} scenario(s) in {self.service.location}: two are "
                            "needed to compare.")
        self.redraw()

    def _pick(self, name: str, change: Any) -> None:
        if not self._busy and change["new"]:
            setattr(self, name, change["new"])

    @t.observe("a", "b", "code")
    def _changed(self, change: Any) -> None:
        if self._busy:
            return
        picker = {"a": self.a_picker, "b": self.b_picker, "code": self.code_picker}[
            change["name"]]
        self._busy = True
        try:
            if picker.value != change["new"]:
                picker.value = change["new"]
        finally:
            self._busy = False
        self.redraw()

    @guarded("cannot compare the scenarios")
    def redraw(self) -> None:
        if not self.a or not self.b:
            return
        self.clear_error()
        ra = self.service.raster(self.a, self.code)
        rb = self.service.raster(self.b, self.code)
        self.rasters = difference(ra, rb)
        va, vb, vd = (r.array for r in self.rasters)
        both = np.isfinite(vd)
        only_a = int((np.isfinite(va) & ~np.isfinite(vb)).sum())
        only_b = int((np.isfinite(vb) & ~np.isfinite(va)).sum())
        if both.any():
            self.stats = {"min": float(vd[both].min()), "max": float(vd[both].max()),
                          "mean_abs": float(np.abs(vd[both]).mean()),
                          "pixels": int(both.sum()), "only_a": only_a, "only_b": only_b}
        else:
            self.stats = {"pixels": 0, "only_a": only_a, "only_b": only_b}
        fig = new_figure(13.0, 4.2, margins=(0.06, 0.97, 0.13, 0.91))
        axes = fig.subplots(1, 3, gridspec_kw={"wspace": 0.45})
        top = np.nanmax([np.nanmax(va) if np.isfinite(va).any() else 0.0,
                         np.nanmax(vb) if np.isfinite(vb).any() else 0.0])
        name_a = _short(self.a_picker.label or self.a)
        name_b = _short(self.b_picker.label or self.b)
        cmap = "Blues" if "depth" in self.code and "first" not in self.code else "viridis"
        draw_raster(axes[0], self.rasters[0], cmap=cmap, vmin=0.0, vmax=top or None,
                    title=f"A: {name_a}")
        draw_raster(axes[1], self.rasters[1], cmap=cmap, vmin=0.0, vmax=top or None,
                    title=f"B: {name_b}")
        span = max(abs(self.stats.get("min", 0.0)), abs(self.stats.get("max", 0.0))) or 1.0
        draw_raster(axes[2], self.rasters[2], cmap="RdBu_r", vmin=-span, vmax=span,
                    title="B − A")
        self.image.value = to_png(fig)
        label = COMPARABLE_CODES.get(self.code, self.code)
        units = ra.units
        if both.any():
            self.set_status(
                f"{label}: B − A from {self.stats['min']:.3g} to {self.stats['max']:.3g} "
                f"{units}, mean |B − A| {self.stats['mean_abs']:.3g} {units} over "
                f"{self.stats['pixels']} pixels; {only_a} pixels only in A, {only_b} only in B")
        else:
            self.set_status(f"{label}: the two scenarios do not overlap ({only_a} pixels only "
                            f"in A, {only_b} only in B)")
        self._fire("change", self)
