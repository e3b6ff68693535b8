"""GMPE explorer: ground-motion models evaluated on arrays of scenarios, as a DataFrame.

Examples
--------
>>> import numpy as np, toolkit
>>> table = toolkit.gmpe_table("BooreEtAl2014", "SA(1.0)", mag=6.5, rake=0.0,
...                            rjb=np.logspace(0, 2, 5), vs30=760.0)
>>> list(table.columns)[-4:]
['median_g', 'sigma_ln', 'tau_ln', 'phi_ln']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.errors import InputError

__all__ = ["gmpe_table"]

#: context parameters accepted by gmpe_table (OpenQuake context names and units)
PARAMETERS = ("mag", "rake", "dip", "ztor", "width", "hypo_depth", "rrup", "rjb", "rx", "ry0",
              "rhypo", "repi", "vs30", "vs30measured", "z1pt0", "z2pt5")


def gmpe_table(gsim: str | Any, imt: str, **params: Any) -> Any:
    """Median and standard deviations of a GSIM for arrays of scenarios.

    Parameters
    ----------
    gsim : str or GMPE
        A GSIM name as job files spell it (``"BooreEtAl2014"``) or an instance.
    imt : str
        ``"PGA"``, ``"PGV"`` or ``"SA(T)"``.
    **params : float or array-like
        Context parameters, named as in OpenQuake contexts (``mag``, ``rake``, ``dip``,
        ``ztor``, ``width``, ``hypo_depth``, ``rrup``, ``rjb``, ``rx``, ``ry0``, ``vs30``,
        ``vs30measured``, ``z1pt0`` in m, ``z2pt5`` in km). Scalars and arrays broadcast
        against each other (numpy rules), so ``mag=[5, 6, 7]`` with ``rjb=[[1], [10]]`` gives
        six scenarios.

    Returns
    -------
    pandas.DataFrame
        One row per scenario: the broadcast parameters, then ``median_g`` (g; cm/s for
        PGV), ``sigma_ln`` (total), ``tau_ln`` and ``phi_ln`` (NaN when the model has only a
        total standard deviation).

    Raises
    ------
    InputError
        A parameter the model requires is missing (the message names it), an unknown
        parameter name, or an IMT the model is not defined for.
    UnknownName
        An unknown GSIM name (with close matches).
    """
    import pandas as pd

    from toolkit.engine.hazard.contexts import Context
    from toolkit.engine.hazard.gsim.base import GMPE, get_gsim
    from toolkit.engine.hazard.imt import from_string

    model = gsim if isinstance(gsim, GMPE) else get_gsim(str(gsim))
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise InputError(f"gmpe_table: unknown parameter(s) {unknown}; known: {list(PARAMETERS)}")
    missing = sorted(model.requires - set(params))
    if missing:
        raise InputError(
            f"gmpe_table: {type(model).__name__} requires {missing}; pass them as keyword "
            f"arguments (given: {sorted(params)})"
        )
    try:
        arrays = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in params.values()))
    except ValueError as exc:
        raise InputError(f"gmpe_table: parameters do not broadcast together: {exc}") from None
    flat = {name: a.ravel() for name, a in zip(params, arrays, strict=True)}
    if "vs30measured" in flat:
        flat["vs30measured"] = flat["vs30measured"].astype(bool)
    mean, sig, tau, phi = model.get_mean_and_stddevs(Context(**flat), [from_string(imt)])
    frame = pd.DataFrame(flat)
    frame["median_g"] = np.exp(mean[0])
    frame["sigma_ln"] = sig[0]
    frame["tau_ln"] = tau[0]
    frame["phi_ln"] = phi[0]
    return frame
