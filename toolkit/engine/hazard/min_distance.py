"""The ``minimum_distance`` of a job: distances raised to a floor before GSIM evaluation.

Ground-motion models are poorly constrained (or diverge) very close to a rupture. OpenQuake's
job parameter ``minimum_distance`` (km, a single non-negative number, default 0: no floor)
raises every source-to-site distance of a rupture-site context below the floor to the floor
before the GSIMs are evaluated:

.. math::

    d' = \\max(d, d_{min}) \\quad \\text{for } d \\in \\{r_{rup}, r_{jb}, r_x, r_{y0},
    r_{hypo}, r_{epi}\\}

The floor is applied to the *signed* ``rx`` as well, so a footwall site (``rx < 0``) is given
``rx = d_min``, as OpenQuake 3.26 does (behaviour measured on its hazardlib with a dipping
point-source rupture: ``rx = -29.9`` became ``30`` with ``minimum_distance = 30``). The
maximum-distance filter is applied before, on the true ``rrup``. Other context
parameters (``rvolc``, ``azimuth``, ...) are not floored.
"""

from __future__ import annotations

from collections.abc import MutableMapping

import numpy as np

from toolkit.errors import InputError

__all__ = ["DISTANCE_NAMES", "apply_minimum_distance"]

#: the context arrays that are distances (km) and are floored
DISTANCE_NAMES = ("rrup", "rjb", "rx", "ry0", "rhypo", "repi")


def apply_minimum_distance(arrays: MutableMapping[str, np.ndarray],
                           minimum_distance: float) -> None:
    """Raise, in place, the distances of context ``arrays`` below ``minimum_distance`` to it.

    Parameters
    ----------
    arrays : mapping of str -> ndarray
        Context arrays by name (``rrup``, ``rjb``, ...); arrays not in :data:`DISTANCE_NAMES`
        and distances that are absent are left alone. The floored arrays are replaced by new
        arrays (the inputs are not modified).
    minimum_distance : float
        Floor, km; 0 (the default of OpenQuake) leaves every distance unchanged.

    Raises
    ------
    InputError
        If ``minimum_distance`` is negative or not finite.
    """
    floor = float(minimum_distance)
    if not np.isfinite(floor) or floor < 0:
        raise InputError(f"minimum_distance must be a non-negative number of km, got "
                         f"{minimum_distance!r}")
    if floor == 0:
        return
    for name in DISTANCE_NAMES:
        if name in arrays:
            arrays[name] = np.maximum(np.asarray(arrays[name], dtype=float), floor)
