"""Reference values of extra site parameters given in the job.ini.

OpenQuake's "global site parameters" include, besides vs30 and the depths to 1.0 and 2.5
km/s, ``reference_depth_to_1pt4km_per_sec``: the depth (m) to Vs = 1.4 km/s, the site
parameter ``z1pt4`` of the Morikawa & Fujiwara (2013) models. It applies to every site whose
site model does not give a ``z1pt4`` column. The value is passed on unchanged (``-999``
included: the GSIMs that use it handle it).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from toolkit.errors import InputError

__all__ = ["REFERENCE_EXTRA_KEYS", "reference_extra"]

#: job.ini key -> extra site parameter it gives the value of
REFERENCE_EXTRA_KEYS = {"reference_depth_to_1pt4km_per_sec": "z1pt4"}


def reference_extra(params: Any) -> dict[str, np.ndarray]:
    """The extra site parameters the job.ini gives for all sites, as 0-d float arrays.

    Raises
    ------
    InputError
        A value that is not a number (naming the job.ini line).
    """
    raw = getattr(params, "raw", {})
    out = {}
    for key, name in REFERENCE_EXTRA_KEYS.items():
        text = raw.get(key)
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise InputError(f"{params.where(key)}: {key} must be a number (m), got {text!r}")
        out[name] = np.asarray(value)
    return out
