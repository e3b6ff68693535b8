"""``override_vs30``: one job, the same site on several vs30 values.

OpenQuake's job.ini key ``override_vs30 = v1 v2 ...`` turns a single-site job into one site
per vs30 value, at the same place and in the order given. The depths to the 1.0 and 2.5 km/s
horizons of each copy are not the job's reference values but follow from its vs30, as
OpenQuake derives them (measured with OpenQuake 3.26 as a black box):

- z1pt0 (m), Chiou & Youngs (2014) California relation, eq. 1, with the rounded 571 m/s:

  .. math:: \\ln z_{1.0} = -\\frac{7.15}{4} \\ln\\frac{V_{S30}^4 + 571^4}{1360^4 + 571^4}

- z2pt5 (km), Campbell & Bozorgnia (2014) California relation, eq. 33:

  .. math:: \\ln z_{2.5} = 7.089 - 1.144 \\ln V_{S30}

With several sites OpenQuake 3.26 ignores the key; the toolkit refuses it instead.

References
----------
Chiou, B. S.-J. and Youngs, R. R. (2014). Update of the Chiou and Youngs NGA model for the
average horizontal component of peak ground motion and response spectra. Earthquake Spectra
30(3), 1117-1153.
Campbell, K. W. and Bozorgnia, Y. (2014). NGA-West2 ground motion model for the average
horizontal components of PGA, PGV, and 5%-damped linear acceleration response spectra.
Earthquake Spectra 30(3), 1087-1115.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from toolkit.engine.hazard.sites import SiteCollection
from toolkit.errors import InputError

__all__ = ["apply_override_vs30", "read_override_vs30", "refuse_override_vs30", "z1pt0_from_vs30",
           "z2pt5_from_vs30"]

_SPLIT = re.compile(r"[\s,]+")


def z1pt0_from_vs30(vs30: np.ndarray) -> np.ndarray:
    """Depth to Vs = 1.0 km/s in metres (Chiou & Youngs 2014, eq. 1, 571 m/s)."""
    vs30 = np.asarray(vs30, dtype=float)
    return np.exp(-7.15 / 4.0 * np.log((vs30 ** 4 + 571.0 ** 4) / (1360.0 ** 4 + 571.0 ** 4)))


def z2pt5_from_vs30(vs30: np.ndarray) -> np.ndarray:
    """Depth to Vs = 2.5 km/s in km (Campbell & Bozorgnia 2014, eq. 33)."""
    return np.exp(7.089 - 1.144 * np.log(np.asarray(vs30, dtype=float)))


def read_override_vs30(params: Any) -> tuple[float, ...]:
    """The vs30 values (m/s) of ``override_vs30``, empty when the key is absent.

    Raises
    ------
    InputError
        A value that is not a positive number; the message names the job.ini line.
    """
    text = params.raw.get("override_vs30", "").strip()
    if not text:
        return ()
    try:
        values = tuple(float(x) for x in _SPLIT.split(text) if x)
    except ValueError:
        values = ()
    if not values or not all(np.isfinite(v) and v > 0 for v in values):
        raise InputError(f"{params.where('override_vs30')}: override_vs30 must be a list of "
                         f"positive vs30 values (m/s), got {text!r}")
    return values


def apply_override_vs30(params: Any, sites: SiteCollection) -> SiteCollection:
    """``sites`` (one site) repeated once per ``override_vs30`` value; unchanged without it.

    Raises
    ------
    InputError
        ``override_vs30`` with more than one site, or a bad value.
    """
    values = read_override_vs30(params)
    if not values:
        return sites
    if len(sites) != 1:
        raise InputError(f"{params.where('override_vs30')}: override_vs30 needs a single site, "
                         f"the job has {len(sites)} (OpenQuake ignores it then): not supported")
    vs30 = np.array(values)
    n = len(vs30)
    return SiteCollection(lons=np.repeat(sites.lons, n), lats=np.repeat(sites.lats, n),
                          depths=np.repeat(sites.depths, n), vs30=vs30,
                          vs30measured=np.repeat(sites.vs30measured, n),
                          z1pt0=z1pt0_from_vs30(vs30), z2pt5=z2pt5_from_vs30(vs30),
                          extra={name: np.repeat(values, n)
                                 for name, values in sites.extra.items()})


def refuse_override_vs30(params: Any, job: str) -> None:
    """Stop a job that cannot apply ``override_vs30`` (risk jobs: sites come from the assets).

    Raises
    ------
    InputError
        ``override_vs30`` is given; the message names the job.ini line and the job.
    """
    if params.raw.get("override_vs30", "").strip():
        raise InputError(f"{params.where('override_vs30')}: override_vs30 is not supported in "
                         f"{job} jobs (their sites come from the exposure): remove it")
