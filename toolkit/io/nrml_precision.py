"""Precision of NRML source-geometry coordinates: longitudes and latitudes to 5 decimals.

OpenQuake's source converter keeps the longitudes and latitudes of every source geometry it
reads from NRML (point locations, area polygons, simple-fault traces, complex-fault edges,
planar-surface corners, kite-surface profiles, multi-point locations) to 5 decimal places,
about 1 m; depths are kept as given. This was measured by running OpenQuake 3.26 as a black
box on geometries given with 7 decimals (e.g. ``15.1234567`` is read as ``15.12346``; ties
follow the exact binary value of the number, as Python's :func:`round`: ``15.125685`` is read
as ``15.12569`` and ``37.731905`` as ``37.7319``).

The toolkit does the same, so that a source model written with more decimals gives the same
ruptures as OpenQuake's. The effect is not negligible near a fault: in OpenQuake's QA
classical case 8 the traces of four small simple faults are given with 6 decimals; keeping
them unrounded moves hypocentres by up to 0.5 m, changes the epicentral distances (~15-25 km)
by up to 2.6e-5 relatively and the poes of the upper tail by up to 1.4e-4 (2e-3 at the last
non-zero level, which is set by the +3 sigma truncation).
"""

from __future__ import annotations

import numpy as np

__all__ = ["COORDINATE_DECIMALS", "round_lonlat"]

#: decimal places kept for longitudes and latitudes of NRML source geometries
COORDINATE_DECIMALS = 5


def round_lonlat(points: np.ndarray) -> np.ndarray:
    """Longitudes and latitudes (the first two columns) rounded to
    :data:`COORDINATE_DECIMALS` places, correctly rounded from their binary value (Python's
    :func:`round`, not :func:`numpy.round`, which scales first and can round the other way at
    ties); other columns (depths) unchanged.

    Parameters
    ----------
    points : ndarray, shape (n, 2) or (n, 3)
        lon, lat[, depth] rows.

    Returns
    -------
    ndarray
        A new float array of the same shape.

    Examples
    --------
    >>> round_lonlat(np.array([[15.125685, 37.731905, 1.2345678]])).tolist()
    [[15.12569, 37.7319, 1.2345678]]
    """
    out = np.array(points, dtype=float)
    lonlat = out[:, :2]
    out[:, :2] = np.array([round(v, COORDINATE_DECIMALS) for v in lonlat.ravel().tolist()],
                          dtype=float).reshape(lonlat.shape)
    return out
