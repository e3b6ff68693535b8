"""job.ini ``horiz_comp_to_geom_mean``: every GSIM of the job on the geometric mean.

OpenQuake converts the median and standard deviation of each GSIM whose horizontal
component is RotD50, GMRotI50, random or greater-of-two horizontal to the geometric mean
when the option is true. The toolkit does not implement those conversions for its own
GSIMs (the coefficient tables of the papers are not available, see
:mod:`toolkit.engine.hazard.gsim.component_conversion`). So, when the option is true:

* a geometric-mean GSIM is used as it is;
* a bridged hazardlib GSIM (:mod:`toolkit.bridges.hazardlib`) is told to convert itself;
* a toolkit GSIM on another component is replaced by hazardlib's GSIM of the same name and
  parameters, converting itself, when hazardlib is installed and has it;
* otherwise the job is refused, naming the job.ini line, the logic-tree branch, the GSIM and
  its component.
"""

from __future__ import annotations

from typing import Any

from toolkit.engine.hazard.gsim.component_conversion import check_geometric_mean, is_geometric_mean
from toolkit.errors import InputError
from toolkit.io.jobini import JobParams, parse_bool

__all__ = ["KEY", "horiz_comp_to_geom_mean", "apply_horiz_comp_to_geom_mean"]

KEY = "horiz_comp_to_geom_mean"


def horiz_comp_to_geom_mean(params: JobParams) -> bool:
    """The job's ``horiz_comp_to_geom_mean`` (default false).

    Raises
    ------
    InputError
        The value is not a boolean (the message names the file and line).
    """
    return parse_bool(params.raw.get(KEY), params.where(KEY), KEY)


def apply_horiz_comp_to_geom_mean(gsim: Any, params: JobParams, where: str = "",
                                  name: str | None = None,
                                  kwargs: dict[str, Any] | None = None) -> Any:
    """The GSIM to use for ``gsim`` under the job's ``horiz_comp_to_geom_mean`` option.

    Parameters
    ----------
    gsim : GMPE
        A GSIM built from the job's logic tree (toolkit or bridged hazardlib model).
    params : JobParams
        The job.
    where : str, optional
        The logic-tree branch (file, line, branch id) for the error message.
    name, kwargs : optional
        The GSIM name and parameters as written in the logic tree: with them a toolkit GSIM
        on another component than the geometric mean is replaced by hazardlib's, if
        hazardlib is installed (see the module docstring).

    Returns
    -------
    GMPE
        ``gsim`` itself (a bridged GSIM told to convert), or hazardlib's GSIM ``name``.

    Raises
    ------
    InputError
        The option is true and ``gsim`` is a toolkit GSIM that is not defined for the
        geometric mean of the horizontal components, and hazardlib cannot replace it.
    """
    if not horiz_comp_to_geom_mean(params):
        return gsim
    setter = getattr(gsim, "set_horiz_comp_to_geom_mean", None)
    if setter is not None:  # bridged hazardlib GSIM: hazardlib converts it
        setter(True)
        return gsim
    if is_geometric_mean(gsim):
        return gsim
    if name is not None:
        substitute = _hazardlib_gsim(name, dict(kwargs or {}))
        if substitute is not None:
            substitute.set_horiz_comp_to_geom_mean(True)
            return substitute
    check_geometric_mean(gsim, params.where(KEY) + (f" ({where})" if where else ""))
    return gsim


def _hazardlib_gsim(name: str, kwargs: dict[str, Any]) -> Any:
    """hazardlib's GSIM ``name`` through the bridge, or None (absent, or a wrapper)."""
    if "mixture_model" in kwargs:  # the toolkit's MixtureModel wrapper: not substituted
        return None
    from toolkit.bridges import hazardlib as bridge

    try:
        gsim = bridge.gsim_fallback(name, **kwargs)
    except InputError:  # hazardlib's class does not take the toolkit's parameters
        return None
    return gsim if hasattr(gsim, "set_horiz_comp_to_geom_mean") else None
