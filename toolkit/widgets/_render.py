"""Figures for the widgets: drawn on a :class:`matplotlib.figure.Figure` (no pyplot state, so
several widgets and threads never share a figure) and returned as PNG bytes.

The axes are drawn by :mod:`toolkit.plotting` (hazard curves, fields); this module adapts the
widgets' data to it and adds what a widget needs (titles, transparent dry cells, bars).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from toolkit.widgets.protocol import FieldSeries, HazardCurves, RasterImage

__all__ = ["new_figure", "to_png", "draw_hazard_curves", "draw_raster", "draw_points",
           "draw_bars", "return_period_poe", "field_raster"]

_DPI = 100


def new_figure(width: float = 6.4, height: float = 4.2, *,
               margins: tuple[float, float, float, float] | None = None) -> Any:
    """A Figure with an Agg canvas: constrained layout (labels never clipped; colour bars), or
    fixed ``margins`` (left, right, bottom, top as figure fractions), which draws faster."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if margins is None:
        fig = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    else:
        fig = Figure(figsize=(width, height), dpi=_DPI)
        left, right, bottom, top = margins
        fig.subplots_adjust(left=left, right=right, bottom=bottom, top=top)
    FigureCanvasAgg(fig)
    return fig


def to_png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI)
    return buf.getvalue()


def return_period_poe(return_period: float, investigation_time: float) -> float:
    """Probability of at least one exceedance in ``investigation_time`` of an intensity with
    mean return period ``return_period`` (Poisson): :math:`1 - e^{-t/T_R}`."""
    return float(1.0 - np.exp(-investigation_time / return_period))


def draw_hazard_curves(ax: Any, curves: HazardCurves, site: int, imt: str,
                       kinds: Sequence[str], *, rate: bool = False,
                       return_periods: Sequence[float] = (475, 2475)) -> list[Any]:
    """Hazard curves of one site and IMT (:func:`toolkit.plotting.plot_hazard_curves`),
    log-log, one line per kind (mean thick, quantiles dashed, realizations thin); return the
    lines.

    With ``rate`` the annual rate of exceedance :math:`\\lambda = -\\ln(1 - p) / t` is drawn
    instead of the probability ``p`` in the investigation time ``t``.
    """
    from matplotlib.ticker import NullLocator

    from toolkit.plotting import plot_hazard_curves

    levels = curves.levels[imt]
    data = {kind: (levels, curves.curve(kind, imt, site)) for kind in kinds}
    lines = plot_hazard_curves(data, ax=ax, imt=imt, rate=rate, return_periods=return_periods,
                               investigation_time=curves.investigation_time, legend=False)
    for kind, line in zip(kinds, lines, strict=True):
        if kind == "mean":
            line.set_linewidth(2.2)
        elif kind.startswith("quantile"):
            line.set_linestyle("--")
            line.set_linewidth(1.2)
        elif kind.startswith("rlz"):
            line.set_linewidth(0.8)
            line.set_alpha(0.7)
    # minor grid lines and ticks on log axes spanning many decades triple the drawing time
    ax.grid(False, which="minor")
    ax.yaxis.set_minor_locator(NullLocator())
    if lines:
        ax.legend(fontsize=8, loc="lower left")
    return lines


def _raster_dataarray(raster: RasterImage, values: np.ndarray) -> Any:
    import xarray as xr

    rows, cols = values.shape
    xmin, xmax, ymin, ymax = raster.extent
    dx, dy = (xmax - xmin) / cols, (ymax - ymin) / rows
    x = xmin + (np.arange(cols) + 0.5) * dx
    y = ymax - (np.arange(rows) + 0.5) * dy
    return xr.DataArray(values, dims=("y", "x"), coords={"x": x, "y": y}, name=raster.name,
                        attrs={"units": raster.units, "long_name": raster.name,
                               "crs": raster.crs})


def draw_raster(ax: Any, raster: RasterImage, *, cmap: str = "viridis",
                vmin: float | None = None, vmax: float | None = None,
                transparent_below: float | None = None, colorbar: bool = True,
                title: str | None = None) -> Any:
    """A raster over its extent (:func:`toolkit.plotting.plot_field`), north up, with a colour
    bar labelled with its units; values <= ``transparent_below`` are left blank."""
    from toolkit.plotting import plot_field

    arr = np.asarray(raster.array, dtype=float)
    if transparent_below is not None:
        arr = np.where(arr > transparent_below, arr, np.nan)
    artists = plot_field(_raster_dataarray(raster, arr), ax=ax, cmap=cmap, vmin=vmin,
                         vmax=vmax, colorbar=colorbar)
    ax.set_facecolor("#eeeeee")
    ax.ticklabel_format(useOffset=False, style="plain")
    ax.tick_params(labelsize=7)
    if title is not None:
        ax.set_title(title, fontsize=10)
    return artists.mappable


def draw_points(ax: Any, x: np.ndarray, y: np.ndarray, values: np.ndarray, *, name: str = "",
                units: str = "", crs: str = "", cmap: str = "viridis",
                vmin: float | None = None, vmax: float | None = None) -> Any:
    """Values at points (sites, lon/lat) as coloured markers with a colour bar
    (:func:`toolkit.plotting.plot_field`)."""
    from toolkit.plotting import plot_field

    artists = plot_field(x, y, values, ax=ax, units=units, label=name, cmap=cmap, vmin=vmin,
                         vmax=vmax, markersize=40)
    ax.tick_params(labelsize=7)
    return artists.mappable


def draw_bars(ax: Any, categories: Sequence[str], values: np.ndarray, *, label: str = "",
              unit: str = "") -> Any:
    """Horizontal bars, one per category."""
    pos = np.arange(len(categories))
    bars = ax.barh(pos, values, color="#1f77b4")
    ax.set_yticks(pos, labels=list(categories), fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"{label} [{unit}]" if unit else label)
    ax.grid(True, axis="x", alpha=0.3)
    return bars


def field_raster(field: FieldSeries, values: np.ndarray) -> RasterImage:
    """Per-cell ``values`` of a gridded field spread over its pixels."""
    array = field.grid.to_raster(np.asarray(values, dtype=float), dtype=np.float64)
    xmin, ymin, xmax, ymax = field.grid.bounds
    return RasterImage(array=array, extent=(xmin, xmax, ymin, ymax), name=field.name,
                       units=field.units, crs=field.crs)
