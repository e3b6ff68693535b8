"""Plots of hazard, ground motion, risk and flood results with matplotlib.

Every function takes the data first, ``ax=None`` (a new figure is made when None) and style
keywords, labels its axes with units, and returns the matplotlib artists it drew; none calls
``plt.show()``. The data are what :class:`toolkit.Client` and :class:`toolkit.ScenarioClient`
return (xarray objects and pandas frames) or plain arrays.

==============================  ===============================================================
module                          functions
==============================  ===============================================================
:mod:`~.hazard`                 :func:`plot_hazard_curves`, :func:`plot_uhs`,
                                :func:`plot_disaggregation`
:mod:`~.fields`                 :func:`plot_field` (GMF, hazard map or flood raster with a
                                colour bar), :func:`plot_hazard_map`
:mod:`~.risk`                   :func:`plot_loss_curve`, :func:`plot_damage_distribution`
:mod:`~.flood`                  :func:`plot_timeseries` (3Di water level at cells),
                                :func:`plot_arrival` (arrival-time map, hours)
:mod:`~.maps`                   :func:`interactive_map`: an ipyleaflet map when ipyleaflet is
                                installed, else :func:`plot_field`
:mod:`~.gmpe`                   :func:`plot_gmpe_trellis`: GSIM medians and +-1 sigma against
                                distance, magnitude or period
==============================  ===============================================================

Names are imported lazily: ``import toolkit.plotting`` loads neither matplotlib nor numpy.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "plot_hazard_curves",
    "plot_uhs",
    "plot_disaggregation",
    "plot_field",
    "plot_hazard_map",
    "FieldArtists",
    "plot_loss_curve",
    "plot_damage_distribution",
    "plot_timeseries",
    "plot_arrival",
    "interactive_map",
    "imt_units",
    "plot_gmpe_trellis",
    "GmpeArtists",
]

_LAZY = {
    "plot_hazard_curves": "hazard",
    "plot_uhs": "hazard",
    "plot_disaggregation": "hazard",
    "plot_field": "fields",
    "plot_hazard_map": "fields",
    "FieldArtists": "fields",
    "plot_loss_curve": "risk",
    "plot_damage_distribution": "risk",
    "plot_timeseries": "flood",
    "plot_arrival": "flood",
    "interactive_map": "maps",
    "plot_gmpe_trellis": "gmpe",
    "GmpeArtists": "gmpe",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def imt_units(imt: str) -> str:
    """Units of an intensity measure type: ``"g"`` for PGA and SA, ``"cm/s"`` for PGV, ``"cm"``
    for PGD, ``""`` when unknown (the same table as :func:`toolkit.client.oq.imt_units`)."""
    name = str(imt).strip().upper()
    if name == "PGA" or name.startswith("SA(") or name.startswith("AVGSA"):
        return "g"
    if name == "PGV":
        return "cm/s"
    if name == "PGD":
        return "cm"
    if name.startswith("RSD"):
        return "s"
    if name == "IA":
        return "m/s"
    return ""


def with_units(label: str, units: str | None) -> str:
    """``"PGA [g]"``; the label alone without units."""
    return f"{label} [{units}]" if units else label


def new_axes(ax: Any = None, **subplot_kw: Any) -> Any:
    """``ax``, or the axes of a new figure (``plt.subplots``) when None."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(subplot_kw=subplot_kw or None)
    return ax
