"""Contexts: the flat arrays of rupture, distance and site parameters a GSIM computes on.

A :class:`Context` holds N rupture-site pairs. Every attribute is a 1-D array of length N
(rupture parameters repeated for each site they apply to). Names and units follow OpenQuake's
contexts:

========== ===== ===============================================================
name       unit  meaning
========== ===== ===============================================================
mag              moment magnitude
rake       deg   rake angle (Aki & Richards)
dip        deg   dip angle
ztor       km    depth to top of rupture
width      km    down-dip rupture width
hypo_depth km    hypocentre depth
rrup       km    closest distance to the rupture surface
rjb        km    Joyner-Boore distance (closest distance to its surface projection)
rx         km    horizontal distance to the top edge, perpendicular to strike, + on hanging wall
ry0        km    horizontal distance off the ends of the rupture, parallel to strike
rhypo      km    hypocentral distance
repi       km    epicentral distance
vs30       m/s   site Vs30
vs30measured     bool
z1pt0      m     depth to Vs = 1.0 km/s
z2pt5      km    depth to Vs = 2.5 km/s
========== ===== ===============================================================
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["Context", "RUPTURE_PARAMETERS", "DISTANCES"]

RUPTURE_PARAMETERS = ("mag", "rake", "dip", "ztor", "width", "hypo_depth")
DISTANCES = ("rrup", "rjb", "rx", "ry0", "rhypo", "repi")


class Context:
    """N rupture-site pairs as named 1-D arrays (attribute access).

    Examples
    --------
    >>> import numpy as np
    >>> ctx = Context(mag=np.array([6.0, 7.0]), rrup=np.array([10.0, 20.0]))
    >>> len(ctx), ctx.mag[1]
    (2, 7.0)
    """

    def __init__(self, **arrays: np.ndarray) -> None:
        n = None
        for name, value in arrays.items():
            arr = np.asarray(value)
            if arr.ndim != 1:
                arr = np.atleast_1d(arr)
            if n is None:
                n = len(arr)
            elif len(arr) != n and len(arr) != 1:
                raise ValueError(f"context array {name!r} has length {len(arr)}, expected {n}")
            self.__dict__[name] = arr
        if n is not None:
            for name, arr in list(self.__dict__.items()):
                if len(arr) == 1 and n != 1:
                    self.__dict__[name] = np.repeat(arr, n)
        self.__dict__["_n"] = n or 0

    def __len__(self) -> int:
        return self.__dict__["_n"]

    def __getattr__(self, name: str) -> np.ndarray:
        raise AttributeError(f"the context has no parameter {name!r}")

    def __setattr__(self, name: str, value: np.ndarray) -> None:
        self.__dict__[name] = np.asarray(value)

    def subset(self, index: np.ndarray | slice) -> Context:
        """The pairs at ``index`` (a slice, integer or boolean array) as a new Context."""
        return Context(**{name: self.__dict__[name][index] for name in self.names()})

    def names(self) -> list[str]:
        return [k for k in self.__dict__ if not k.startswith("_")]

    def has(self, name: str) -> bool:
        return name in self.__dict__

    def missing(self, required: Iterable[str]) -> list[str]:
        """Names in ``required`` that the context lacks."""
        return sorted(name for name in required if name not in self.__dict__)

    def __repr__(self) -> str:
        return f"Context(n={len(self)}, {', '.join(self.names())})"
