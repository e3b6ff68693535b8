"""Trellis plots of GSIMs: median and +-1 sigma against distance, magnitude or period.

Built on :func:`toolkit.gmpe_table`, so any GSIM name a job file accepts (the toolkit's own
models, or OpenQuake hazardlib's through the bridge when it is installed) can be plotted. The
band is :math:`\\exp(\\ln \\mu \\pm \\sigma)` with :math:`\\sigma` the total standard deviation
in natural-log units.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from toolkit.errors import InputError
from toolkit.plotting import imt_units, new_axes, with_units

__all__ = ["plot_gmpe_trellis", "GmpeArtists", "DEFAULT_VALUES"]

#: distances set equal to the x values when ``x`` is a distance and they are not given
DISTANCES = ("rrup", "rjb", "rx", "rhypo", "repi")
#: default x values for each kind of x axis
DEFAULT_VALUES = {
    "distance": np.logspace(0.0, np.log10(300.0), 40),
    "mag": np.linspace(4.0, 8.0, 33),
    "period": np.logspace(-2.0, 1.0, 31),
}
_X_LABELS = {"rrup": "Rupture distance $R_{rup}$", "rjb": "Joyner-Boore distance $R_{JB}$",
             "rx": "Distance $R_x$", "rhypo": "Hypocentral distance", "repi":
             "Epicentral distance", "mag": "Moment magnitude $M_w$", "period": "Period"}


class GmpeArtists(NamedTuple):
    """What :func:`plot_gmpe_trellis` drew for one model."""

    gsim: str
    median: Any  #: Line2D of the median
    lower: Any  #: Line2D of median x exp(-sigma)
    upper: Any  #: Line2D of median x exp(+sigma)
    band: Any  #: PolyCollection filling between lower and upper (None when band=False)


def _label(gsim: Any) -> str:
    return gsim if isinstance(gsim, str) else repr(gsim)


def _curves(gsim: Any, imt: Any, x: str, values: np.ndarray, params: dict[str, Any]
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x values, median and total sigma of one model (periods it lacks are left out)."""
    from toolkit.gmpe import gmpe_table

    if x != "period":
        table = gmpe_table(gsim, str(imt), **params)
        return values, table["median_g"].to_numpy(), table["sigma_ln"].to_numpy()
    xs, medians, sigmas = [], [], []
    error: InputError | None = None
    for period in values:
        try:
            row = gmpe_table(gsim, f"SA({float(period)!r})", **params)
        except InputError as exc:  # e.g. a period outside the model's range
            error = exc
            continue
        xs.append(float(period))
        medians.append(float(row["median_g"].iloc[0]))
        sigmas.append(float(row["sigma_ln"].iloc[0]))
    if not xs and error is not None:
        raise error
    return np.array(xs), np.array(medians), np.array(sigmas)


def plot_gmpe_trellis(gsims: str | Any | Sequence[str | Any], imt: str = "PGA", *,
                      x: str = "rrup", values: Any = None, ax: Any = None, band: bool = True,
                      legend: bool = True, **params: Any) -> list[GmpeArtists]:
    """Median and +-1 sigma of several GSIMs against distance, magnitude or period.

    Parameters
    ----------
    gsims : str, GMPE or sequence of them
        Model names as job files spell them (``"BooreEtAl2014"``) or instances.
    imt : str
        ``"PGA"``, ``"PGV"`` or ``"SA(T)"``; ignored when ``x="period"`` (spectra are SA).
    x : {"rrup", "rjb", "rx", "rhypo", "repi", "mag", "period"}
        The x axis. For a distance, the other distances (``rrup``, ``rjb``, ``rx``,
        ``rhypo``, ``repi``) not given in ``params`` take the same values and ``ry0`` is 0
        (a site beside a vertical rupture that reaches the surface).
    values : array-like, optional
        x values (default: 1-300 km, M 4-8 or 0.01-10 s, log-spaced where the axis is log).
    ax : matplotlib Axes, optional
        Where to draw (a new figure when None).
    band : bool
        Fill between the -1 and +1 sigma curves (the two dashed curves are always drawn).
    legend : bool
        Add a legend (one entry per model).
    **params
        The fixed scenario, named as for :func:`toolkit.gmpe_table` (``mag``, ``rake``,
        ``vs30``, ``z1pt0`` in m, ...), scalars.

    Returns
    -------
    list of GmpeArtists
        One per model: its median, lower and upper Line2D and the band.

    Raises
    ------
    InputError
        An unknown ``x``, a parameter a model needs and did not get (the message names it),
        an IMT a model is not defined for.

    Examples
    --------
    >>> plot_gmpe_trellis(["BooreEtAl2014", "ChiouYoungs2014"], "SA(1.0)", x="rrup",
    ...                   mag=7.0, rake=0.0, dip=90.0, ztor=0.0, vs30=760.0,
    ...                   vs30measured=True, z1pt0=np.nan)             # doctest: +SKIP
    """
    if x not in _X_LABELS:
        raise InputError(f"plot_gmpe_trellis: x must be one of {list(_X_LABELS)}, got {x!r}")
    models = [gsims] if isinstance(gsims, str) or not isinstance(gsims, Sequence) else gsims
    kind = "distance" if x in DISTANCES else x
    xv = np.asarray(DEFAULT_VALUES[kind] if values is None else values, dtype=float)
    scenario = dict(params)
    if kind == "distance":
        for name in DISTANCES:
            if name == x or name not in scenario:
                scenario[name] = xv
        scenario.setdefault("ry0", 0.0)
    elif kind == "mag":
        scenario["mag"] = xv
    ax = new_axes(ax)
    artists = []
    for i, gsim in enumerate(models):
        xs, median, sigma = _curves(gsim, imt, x, xv, scenario)
        color = f"C{i % 10}"
        label = _label(gsim)
        (mid,) = ax.plot(xs, median, color=color, linewidth=2.0, label=label)
        (low,) = ax.plot(xs, median * np.exp(-sigma), color=color, linestyle="--",
                         linewidth=1.0)
        (high,) = ax.plot(xs, median * np.exp(sigma), color=color, linestyle="--",
                          linewidth=1.0)
        fill = (ax.fill_between(xs, median * np.exp(-sigma), median * np.exp(sigma),
                                color=color, alpha=0.15, linewidth=0) if band else None)
        artists.append(GmpeArtists(label, mid, low, high, fill))
    units = "g" if x == "period" else imt_units(str(imt))
    y_name = "Spectral acceleration" if x == "period" else str(imt)
    ax.set_yscale("log")
    if x != "mag":
        ax.set_xscale("log")
    x_units = {"distance": "km", "period": "s", "mag": ""}[kind]
    ax.set_xlabel(with_units(_X_LABELS[x], x_units))
    ax.set_ylabel(with_units(f"Median {y_name} and ±1σ", units))
    ax.grid(True, which="both", alpha=0.3)
    if legend:
        ax.legend(fontsize="small")
    return artists
