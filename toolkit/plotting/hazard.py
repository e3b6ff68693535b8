"""Hazard curves, uniform hazard spectra and disaggregation.

The curves are probabilities of exceedance :math:`P` in an investigation time :math:`T`; with
``rate=True`` they are shown as annual rates of exceedance assuming a Poisson process,
:math:`\\lambda = -\\ln(1 - P) / T`. A return period :math:`T_R` is drawn as the level
:math:`P = 1 - e^{-T / T_R}` (or :math:`\\lambda = 1 / T_R`); e.g. 475 years is 10 % in 50 years
(Cornell, 1968, *Bull. Seismol. Soc. Am.* 58(5), 1583-1606).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from toolkit.errors import InputError
from toolkit.plotting import imt_units, new_axes, with_units

__all__ = ["plot_hazard_curves", "plot_uhs", "plot_disaggregation", "poe_to_rate",
           "return_period_level"]


def poe_to_rate(poe: np.ndarray, investigation_time: float) -> np.ndarray:
    """Annual rate :math:`-\\ln(1 - P) / T` (Poisson); infinite where :math:`P = 1`."""
    poe = np.asarray(poe, dtype=float)
    out = np.full(poe.shape, np.inf)
    below = poe < 1
    with np.errstate(invalid="ignore"):
        out[below] = -np.log1p(-poe[below]) / float(investigation_time)
    out[np.isnan(poe)] = np.nan
    return out


def return_period_level(return_period: float, investigation_time: float | None, rate: bool
                        ) -> float | None:
    """Rate :math:`1/T_R`, or PoE :math:`1 - e^{-T/T_R}` in ``investigation_time``."""
    if rate:
        return 1.0 / float(return_period)
    if not investigation_time:
        return None
    return float(-np.expm1(-float(investigation_time) / float(return_period)))


def _style_for(kind: str) -> dict[str, Any]:
    if kind == "mean":
        return {"linewidth": 2.0}
    if kind.startswith("quantile") or kind in ("max", "min"):
        return {"linestyle": "--", "linewidth": 1.2}
    if kind.startswith("rlz"):
        return {"linewidth": 0.8, "alpha": 0.7}
    return {"linewidth": 1.5}


def _as_list(value: Any) -> list[Any] | None:
    if value is None:
        return None
    if isinstance(value, str) or np.ndim(value) == 0:
        return [value]
    return list(value)


def _select(da: Any, dim: str, wanted: Any) -> tuple[Any, list[Any]]:
    """``da`` with the dim ``dim`` present (expanding a scalar coordinate) and selected."""
    if dim not in da.dims:
        if dim in da.coords:
            da = da.expand_dims(dim)
        else:
            da = da.expand_dims({dim: [None]})
    labels = _as_list(wanted)
    if labels is not None:
        missing = [x for x in labels if x not in set(da[dim].values.tolist())]
        if missing:
            raise InputError(f"{dim}={missing}: not in the data; available: "
                             f"{da[dim].values.tolist()}")
        da = da.sel({dim: labels})
    return da, da[dim].values.tolist()


def _label(parts: list[str]) -> str:
    return ", ".join(p for p in parts if p)


def plot_hazard_curves(curves: Any, *, ax: Any = None, sites: Any = None, imt: str | None = None,
                       kinds: Any = None, rate: bool = False,
                       return_periods: Sequence[float] | None = (475, 2475),
                       investigation_time: float | None = None, legend: bool = True,
                       **style: Any) -> list[Any]:
    """Hazard curves on log-log axes.

    Parameters
    ----------
    curves : xarray.DataArray or mapping
        What :meth:`toolkit.Client.hazard_curves` returns (``poe`` with dims
        ``(kind, site, imt, level)`` and the levels in the coordinate ``iml``; any of these dims
        may already be selected away), or ``{label: (levels, poes)}``.
    sites : int or list, optional
        Site ids to draw (default all).
    imt : str, optional
        The IMT (default the first); one IMT per axes, so the x units agree.
    kinds : str or list, optional
        ``"mean"``, ``"quantile-0.15"``, ``"rlz-000"`` ... (default all in the data).
    rate : bool
        Annual rate of exceedance instead of the probability in the investigation time.
    return_periods : sequence of float, optional
        Years; dotted horizontal guides (skipped for probabilities when the investigation time
        is unknown).
    investigation_time : float, optional
        Years (default the ``investigation_time`` attribute of the data).
    **style
        Passed to ``ax.plot`` for every curve.

    Returns
    -------
    list of matplotlib.lines.Line2D
        One per curve, in the order kind, then site; the guides are in ``ax.lines`` with
        ``gid="return-period-<T>"``.
    """
    ax = new_axes(ax)
    series: list[tuple[str, np.ndarray, np.ndarray, dict[str, Any]]] = []
    if isinstance(curves, Mapping):
        for key, (x, y) in curves.items():
            series.append((str(key), np.asarray(x, float), np.asarray(y, float), {}))
        imt_name = imt or ""
        units = imt_units(imt_name) if imt_name else ""
        t_inv = investigation_time
    else:
        da = curves
        t_inv = investigation_time or da.attrs.get("investigation_time")
        da, imts = _select(da, "imt", None)
        imt_name = imt if imt is not None else (imts[0] if imts else "")
        if imt is not None and imt not in imts:
            raise InputError(f"imt={imt!r}: not in the curves; available: {imts}")
        if imt_name is not None and "imt" in da.dims:
            da = da.sel(imt=[imt_name])
        units = ""
        if "units" in da.coords:
            units = str(np.ravel(da["units"].values)[0])
        units = units or imt_units(str(imt_name or ""))
        if "iml" not in da.coords:
            raise InputError("hazard curves without the 'iml' coordinate (the levels)")
        iml = np.asarray(da["iml"].values, dtype=float).reshape(-1)
        da, site_ids = _select(da, "site", sites)
        da, kind_names = _select(da, "kind", kinds)
        values = da.transpose("kind", "site", "imt", ...).values.reshape(
            len(kind_names), len(site_ids), -1)
        several_sites = len(site_ids) > 1
        for k, kind in enumerate(kind_names):
            for s, site in enumerate(site_ids):
                label = _label([f"site {site}" if several_sites and site is not None else "",
                                str(kind) if kind is not None else ""])
                extra = _style_for(str(kind or ""))
                if several_sites:
                    extra["color"] = f"C{s % 10}"
                series.append((label, iml, values[k, s], extra))
    if rate and not t_inv:
        raise InputError("rate=True needs the investigation time (investigation_time=...)")
    lines = []
    for label, x, y, extra in series:
        y = poe_to_rate(y, t_inv) if rate else np.asarray(y, dtype=float)
        keep = np.isfinite(x) & np.isfinite(y)
        (line,) = ax.plot(x[keep], y[keep], label=label or None, **{**extra, **style})
        lines.append(line)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(with_units(str(imt_name or "Intensity measure level"), units))
    if rate:
        ax.set_ylabel("Annual rate of exceedance [1/yr]")
    elif t_inv:
        ax.set_ylabel(f"Probability of exceedance in {float(t_inv):g} years")
    else:
        ax.set_ylabel("Probability of exceedance")
    for rp in return_periods or ():
        level = return_period_level(rp, t_inv, rate)
        if level is None:
            continue
        ax.axhline(level, color="0.45", linestyle=":", linewidth=1.0, gid=f"return-period-{rp:g}")
        ax.annotate(f"{rp:g} yr", xy=(1.0, level), xycoords=("axes fraction", "data"),
                    xytext=(-2, 2), textcoords="offset points", ha="right", va="bottom",
                    fontsize="small", color="0.35")
    ax.grid(True, which="both", alpha=0.3)
    if legend and sum(1 for line in lines if line.get_label() and
                      not line.get_label().startswith("_")) > 1:
        ax.legend(fontsize="small")
    return lines


def plot_uhs(uhs: Any, *, ax: Any = None, sites: Any = None, kinds: Any = None, poes: Any = None,
             legend: bool = True, **style: Any) -> list[Any]:
    """Uniform hazard spectra: spectral acceleration against period.

    Parameters
    ----------
    uhs : xarray.DataArray or mapping
        What :meth:`toolkit.Client.uhs` returns (``sa``, dims ``(kind, site, poe, period)``;
        PGA at period 0), or ``{label: (periods, values)}``.
    sites, kinds, poes : optional
        Selections (default all).

    Returns
    -------
    list of matplotlib.lines.Line2D
        One per spectrum (kind, site, PoE).
    """
    ax = new_axes(ax)
    lines = []
    t_inv = None
    if isinstance(uhs, Mapping):
        for key, (x, y) in uhs.items():
            (line,) = ax.plot(np.asarray(x, float), np.asarray(y, float), label=str(key),
                              marker="o", markersize=3, **style)
            lines.append(line)
        units = "g"
    else:
        da = uhs
        t_inv = da.attrs.get("investigation_time")
        units = da.attrs.get("units", "g") or "g"
        period = np.asarray(da["period"].values, dtype=float)
        da, site_ids = _select(da, "site", sites)
        da, kind_names = _select(da, "kind", kinds)
        da, poe_values = _select(da, "poe", poes)
        values = da.transpose("kind", "site", "poe", "period").values
        for k, kind in enumerate(kind_names):
            for s, site in enumerate(site_ids):
                for p, poe in enumerate(poe_values):
                    parts = [f"site {site}" if len(site_ids) > 1 else "",
                             str(kind) if len(kind_names) > 1 or kind != "mean" else "",
                             (f"PoE {poe:g}" + (f" in {t_inv:g} yr" if t_inv else ""))
                             if poe is not None and len(poe_values) > 1 else ""]
                    extra = _style_for(str(kind or ""))
                    if len(poe_values) > 1:
                        extra["color"] = f"C{p % 10}"
                    (line,) = ax.plot(period, values[k, s, p], label=_label(parts) or None,
                                      marker="o", markersize=3, **{**extra, **style})
                    lines.append(line)
    ax.set_xlabel("Period [s]")
    ax.set_ylabel(with_units("Spectral acceleration", units))
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    if legend and len(lines) > 1:
        ax.legend(fontsize="small")
    return lines


_AXIS_NAMES = {"mag": ("Magnitude", ""), "dist": ("Distance", "km"), "lon": ("Longitude", "°"),
               "lat": ("Latitude", "°"), "eps": ("Epsilon", ""), "trt": ("Tectonic region", "")}


def _edges(centres: np.ndarray) -> np.ndarray:
    c = np.asarray(centres, dtype=float)
    if c.size == 1:
        return np.array([c[0] - 0.5, c[0] + 0.5])
    mid = (c[1:] + c[:-1]) / 2
    return np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])


def _axis_label(name: str, units: str | None) -> str:
    label, default_units = _AXIS_NAMES.get(name, (name, ""))
    return with_units(label, units if units is not None else default_units)


def plot_disaggregation(matrix: Any, *, ax: Any = None, x: Sequence[float] | None = None,
                        y: Sequence[float] | None = None, xlabel: str | None = None,
                        ylabel: str | None = None, kind: str = "heatmap", normalize: bool = True,
                        cmap: str = "viridis", **style: Any) -> Any:
    """A two-dimensional disaggregation (e.g. magnitude x distance) as a heat map or 3D bars.

    Parameters
    ----------
    matrix : xarray.DataArray or array (nx, ny)
        Contributions (probabilities of exceedance); for a DataArray the first dim is x and the
        second y, with their coordinates as bin centres (names ``mag``, ``dist``, ``eps``, ``lon``,
        ``lat`` get labels and units).
    x, y : sequence of float, optional
        Bin centres for an array (default 0..n-1).
    kind : {"heatmap", "bars3d"}
    normalize : bool
        Show percentages of the total.

    Returns
    -------
    (QuadMesh, Colorbar) for a heat map; Poly3DCollection for 3D bars (``ax`` must then be a
    3D axes, or None).
    """
    if hasattr(matrix, "dims"):
        if matrix.ndim != 2:
            raise InputError(f"disaggregation: expected 2 dimensions, got {matrix.dims}")
        dx, dy = matrix.dims
        xs = np.asarray(matrix[dx].values if dx in matrix.coords else np.arange(matrix.shape[0]),
                        dtype=float)
        ys = np.asarray(matrix[dy].values if dy in matrix.coords else np.arange(matrix.shape[1]),
                        dtype=float)
        xunits = matrix[dx].attrs.get("units") if dx in matrix.coords else None
        yunits = matrix[dy].attrs.get("units") if dy in matrix.coords else None
        xlabel = xlabel or _axis_label(str(dx), xunits)
        ylabel = ylabel or _axis_label(str(dy), yunits)
        values = np.asarray(matrix.values, dtype=float)
    else:
        values = np.asarray(matrix, dtype=float)
        if values.ndim != 2:
            raise InputError(f"disaggregation: expected a 2-D array, got shape {values.shape}")
        xs = np.asarray(x if x is not None else np.arange(values.shape[0]), dtype=float)
        ys = np.asarray(y if y is not None else np.arange(values.shape[1]), dtype=float)
        xlabel, ylabel = xlabel or "x", ylabel or "y"
    if xs.size != values.shape[0] or ys.size != values.shape[1]:
        raise InputError(f"disaggregation: {values.shape} values for {xs.size} x and {ys.size} y "
                         "bins")
    total = np.nansum(values)
    if normalize:
        values = 100 * values / total if total > 0 else values * 0
    zlabel = "Contribution [%]" if normalize else "Probability of exceedance"
    if kind == "heatmap":
        ax = new_axes(ax)
        mesh = ax.pcolormesh(_edges(xs), _edges(ys), values.T, cmap=cmap, **style)
        colorbar = ax.figure.colorbar(mesh, ax=ax)
        colorbar.set_label(zlabel)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        return mesh, colorbar
    if kind != "bars3d":
        raise InputError(f"kind={kind!r}: expected 'heatmap' or 'bars3d'")
    ax = new_axes(ax, projection="3d")
    if not hasattr(ax, "bar3d"):
        raise InputError("kind='bars3d' needs a 3D axes (projection='3d') or ax=None")
    ex, ey = _edges(xs), _edges(ys)
    gx, gy = np.meshgrid(ex[:-1], ey[:-1], indexing="ij")
    wx, wy = np.meshgrid(np.diff(ex), np.diff(ey), indexing="ij")
    import matplotlib

    colours = matplotlib.colormaps[cmap](values.ravel() / (values.max() or 1))
    bars = ax.bar3d(gx.ravel(), gy.ravel(), np.zeros(values.size), 0.9 * wx.ravel(),
                    0.9 * wy.ravel(), values.ravel(), color=colours, shade=True, **style)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_zlabel(zlabel)
    return bars
