"""job.ini ``horiz_comp_to_geom_mean``: every GSIM of the job on the geometric mean.

OpenQuake converts the median and standard deviation of each GSIM whose horizontal
component is not the geometric mean (RotD50, GMRotI50 ...) when the option is true. The
toolkit does not implement those conversions for its own GSIMs (see
:mod:`toolkit.engine.hazard.gsim.component_conversion`): it accepts the option for
geometric-mean GSIMs, hands it to hazardlib for bridged GSIMs (which convert themselves)
and refuses it otherwise, naming the job.ini line, the logic-tree branch, the GSIM and its
component.
"""

from __future__ import annotations

from typing import Any

from toolkit.engine.hazard.gsim.component_conversion import check_geometric_mean
from toolkit.errors import InputError
from toolkit.io.jobini import JobParams

__all__ = ["KEY", "horiz_comp_to_geom_mean", "apply_horiz_comp_to_geom_mean"]

KEY = "horiz_comp_to_geom_mean"
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})


def horiz_comp_to_geom_mean(params: JobParams) -> bool:
    """The job's ``horiz_comp_to_geom_mean`` (default false).

    Raises
    ------
    InputError
        The value is not a boolean (the message names the file and line).
    """
    text = str(params.raw.get(KEY, "")).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError(f"{params.where(KEY)}: {KEY} must be true or false, "
                     f"got {params.raw.get(KEY)!r}")


def apply_horiz_comp_to_geom_mean(gsim: Any, params: JobParams, where: str = "") -> Any:
    """``gsim`` ready for the job's ``horiz_comp_to_geom_mean`` option.

    Parameters
    ----------
    gsim : GMPE
        A GSIM built from the job's logic tree (toolkit or bridged hazardlib model).
    params : JobParams
        The job.
    where : str, optional
        The logic-tree branch (file, line, branch id) for the error message.

    Returns
    -------
    GMPE
        ``gsim`` itself; a bridged hazardlib GSIM is told to convert its component.

    Raises
    ------
    InputError
        The option is true and ``gsim`` is a toolkit GSIM that is not defined for the
        geometric mean of the horizontal components.
    """
    if not horiz_comp_to_geom_mean(params):
        return gsim
    setter = getattr(gsim, "set_horiz_comp_to_geom_mean", None)
    if setter is not None:  # bridged hazardlib GSIM: hazardlib converts it
        setter(True)
        return gsim
    label = params.where(KEY) + (f" ({where})" if where else "")
    check_geometric_mean(gsim, label)
    return gsim
