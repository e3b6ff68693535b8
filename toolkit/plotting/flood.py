"""Flood results: water level time series at 3Di cells, and arrival-time maps.

Time series are those of :meth:`toolkit.scenarios.threedi.ThreediResult.timeseries` (dims
``time`` and an entity such as ``cell``; coordinates ``time`` in seconds since the simulation
start, ``datetime``, ``id``); arrival times are rasters in seconds (Lizard's
``depth-first-dtri``, :func:`toolkit.scenarios.derived.arrival_time`), shown in hours.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.errors import InputError
from toolkit.plotting import new_axes, with_units
from toolkit.plotting.fields import FieldArtists, plot_field

__all__ = ["plot_timeseries", "plot_arrival", "VARIABLES"]

#: Labels and units of 3Di variables (``Mesh2D_<var>``).
VARIABLES = {
    "s1": ("Water level", "m"), "vol": ("Volume", "m³"), "su": ("Wet surface", "m²"),
    "u1": ("Flow velocity", "m/s"), "q": ("Discharge", "m³/s"), "au": ("Wet cross-section", "m²"),
    "ucx": ("Velocity x", "m/s"), "ucy": ("Velocity y", "m/s"), "rain": ("Rain", "m³/s"),
    "q_lat": ("Lateral discharge", "m³/s"), "depth": ("Water depth", "m"),
}
_SECONDS = {"s": 1.0, "sec": 1.0, "seconds": 1.0, "min": 60.0, "minutes": 60.0, "h": 3600.0,
            "hr": 3600.0, "hour": 3600.0, "hours": 3600.0, "d": 86400.0, "days": 86400.0}
#: Most entities drawn without an explicit selection.
MAX_LINES = 20


def _variable_label(da: Any) -> tuple[str, str]:
    name = str(da.name or "")
    base = name.split("_")[0] if name not in VARIABLES else name
    label, units = VARIABLES.get(name, VARIABLES.get(base, ("", "")))
    units = str(da.attrs.get("units", "") or units)
    if not label:
        label = str(da.attrs.get("long_name") or name or "value")
    if name not in VARIABLES and name.split("_", 1)[-1] in ("max", "min", "avg", "cum"):
        label += f" ({name.split('_', 1)[-1]})"
    return label, units


def plot_timeseries(series: Any, *, ax: Any = None, cells: Any = None, time: str = "hours",
                    label: str | None = None, units: str | None = None, legend: bool = True,
                    **style: Any) -> list[Any]:
    """Time series of a 3Di variable (water level ``s1`` by default labels) at cells.

    Parameters
    ----------
    series : xarray.DataArray, pandas.Series or (times, values)
        A DataArray with dim ``time`` (seconds since the start) and optionally one entity dim
        (``cell``, ``node_1d``, ``line_2d`` ...) with an ``id`` coordinate; a Series indexed by
        seconds; or a pair of arrays (seconds, values).
    cells : int or list, optional
        3Di ids (the ``id`` coordinate) of the entities to draw; needed when there are more
        than :data:`MAX_LINES`.
    time : {"hours", "datetime"}
        x axis: hours since the start, or the ``datetime`` coordinate.
    label, units : str, optional
        y axis (default from the variable name and its ``units`` attribute: ``s1`` is
        "Water level [m]").

    Returns
    -------
    list of matplotlib.lines.Line2D
        One per entity.
    """
    ax = new_axes(ax)
    lines = []
    if isinstance(series, tuple) and len(series) == 2:
        seconds = np.asarray(series[0], dtype=float)
        ys = [("", np.asarray(series[1], dtype=float))]
        xvalues: Any = seconds / 3600.0
        ylabel, yunits = label or "value", units or ""
        xlabel = "Time since start [h]"
    elif hasattr(series, "dims"):
        da = series
        if "time" not in da.dims:
            raise InputError(f"plot_timeseries: no 'time' dim in {da.dims}")
        others = [d for d in da.dims if d != "time"]
        if len(others) > 1:
            raise InputError(f"plot_timeseries: expected (time, entity), got {da.dims}")
        vlabel, vunits = _variable_label(da)
        ylabel, yunits = label or vlabel, units if units is not None else vunits
        if time == "datetime":
            if "datetime" not in da.coords:
                raise InputError("time='datetime': the series has no datetime coordinate "
                                 "(unknown simulation start)")
            xvalues, xlabel = da["datetime"].values, "Time"
        elif time == "hours":
            seconds = np.asarray(da["time"].values, dtype=float)
            xvalues, xlabel = seconds / 3600.0, "Time since start [h]"
        else:
            raise InputError(f"time={time!r}: expected 'hours' or 'datetime'")
        ys = []
        if others:
            dim = others[0]
            ids = np.asarray(da["id"].values if "id" in da.coords else np.arange(da.sizes[dim]))
            if cells is None:
                if ids.size > MAX_LINES:
                    raise InputError(f"plot_timeseries: {ids.size} entities along {dim!r}; "
                                     f"choose some with cells=[ids] (ids {ids[:5].tolist()} ...)")
                positions = np.arange(ids.size)
            else:
                wanted = np.atleast_1d(np.asarray(cells))
                missing = wanted[~np.isin(wanted, ids)]
                if missing.size:
                    raise InputError(f"cells={missing.tolist()}: no such ids along {dim!r}")
                positions = np.array([int(np.flatnonzero(ids == c)[0]) for c in wanted])
            block = np.asarray(da.isel({dim: positions}).transpose("time", dim).values, float)
            noun = "cell" if dim == "cell" else dim.replace("_", " ")
            ys = [(f"{noun} {ids[p]}", block[:, j]) for j, p in enumerate(positions)]
        else:
            name = f"cell {int(da['id'].values)}" if "id" in da.coords and da["id"].ndim == 0 \
                else ""
            ys = [(name, np.asarray(da.values, dtype=float))]
    elif hasattr(series, "index"):
        seconds = np.asarray(series.index, dtype=float)
        xvalues, xlabel = seconds / 3600.0, "Time since start [h]"
        ys = [(str(series.name or ""), np.asarray(series.values, dtype=float))]
        ylabel, yunits = label or str(series.name or "value"), units or ""
    else:
        raise InputError("plot_timeseries: expected a DataArray, a Series or (seconds, values)")
    for name, y in ys:
        (line,) = ax.plot(xvalues, y, label=name or None, **style)
        lines.append(line)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(with_units(ylabel, yunits))
    ax.grid(True, alpha=0.3)
    if legend and len(lines) > 1:
        ax.legend(fontsize="small")
    return lines


def plot_arrival(arrival: Any, *, ax: Any = None, source_units: str | None = None,
                 contours: bool = False, cmap: Any = "plasma_r", **kwargs: Any) -> FieldArtists:
    """An arrival-time map in hours since the simulation start.

    Parameters
    ----------
    arrival : xarray.DataArray
        A raster (dims ``(y, x)``) of arrival times, NaN where the water never arrives.
    source_units : str, optional
        Units of the values (default the ``units`` attribute, else seconds): ``s``, ``min``,
        ``h``.
    contours : bool
        Also draw hourly contour lines (added to ``overlays``).
    **kwargs
        Passed to :func:`plot_field` (``sites``, ``vmax`` ...).

    Returns
    -------
    FieldArtists
        The colour bar reads "Arrival time [h]".
    """
    if not hasattr(arrival, "dims"):
        raise InputError("plot_arrival: expected a raster DataArray (y, x)")
    unit = (source_units or str(arrival.attrs.get("units", "") or "s")).strip().lower()
    if unit not in _SECONDS:
        raise InputError(f"arrival times in {unit!r}: expected s, min or h")
    hours = arrival * (_SECONDS[unit] / 3600.0)
    hours.attrs = {**arrival.attrs, "units": "h", "long_name": "Arrival time"}
    artists = plot_field(hours, ax=ax, cmap=cmap, units="h",
                         label=kwargs.pop("label", "Arrival time"), **kwargs)
    if contours:
        axes = artists.mappable.axes
        da = hours.isel(band=0) if "band" in hours.dims else hours
        ydim, xdim = da.dims
        values = np.asarray(da.values, dtype=float)
        finite = values[np.isfinite(values)]
        if finite.size:
            levels = np.arange(np.ceil(finite.min()), np.floor(finite.max()) + 1)
            if levels.size:
                artists.overlays.append(axes.contour(da[xdim].values, da[ydim].values, values,
                                                     levels=levels, colors="k",
                                                     linewidths=0.6))
    return artists
