"""Site identifiers as OpenQuake 3.26 writes them: 8-character geohashes (``custom_site_id``).

A geohash (Niemeyer 2008, http://geohash.org) encodes a point by bisecting the longitude range
[-180, 180] and the latitude range [-90, 90] alternately, starting with longitude, and writing
one bit per bisection: 1 when the point lies in the upper half, 0 otherwise. Every 5 bits give
one character of the base-32 alphabet ``0123456789bcdefghjkmnpqrstuvwxyz``. Eight characters are
40 bits: 20 per coordinate, a cell of about 38 m x 19 m at the equator.

OpenQuake's variant (measured on its exports): a coordinate *equal* to the midpoint of the
current interval goes to the **lower** half (the test is ``value > mid``), whereas most geohash
libraries use ``>=``. Hence ``(0, 0)`` is ``"7zzzzzzz"`` rather than ``"s0000000"``::

    >>> custom_site_ids([0.0, 0.0, 15.56], [0.0, 0.1, 38.17]).tolist()
    ['7zzzzzzz', 'ebpbxfpy', 'sqg14hdk']

A point therefore lies in the half-open cell ``(west, east] x (south, north]`` of its code,
closed on the west (south) side only at -180 (-90); see :func:`geohash_bounds`.
"""

from __future__ import annotations

import numpy as np

from toolkit.errors import InputError

__all__ = ["ALPHABET", "GEOHASH_LENGTH", "custom_site_ids", "geohash_bounds"]

#: The geohash base-32 alphabet (no ``a``, ``i``, ``l``, ``o``).
ALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz"
#: Characters of OpenQuake's ``custom_site_id``.
GEOHASH_LENGTH = 8

_CHARS = np.array(list(ALPHABET))
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


def _coords(values: object, name: str, limit: float) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if arr.ndim != 1:
        raise InputError(f"geohash: {name} must be a 1-D array, got shape {arr.shape}")
    bad = ~(np.abs(arr) <= limit)  # also catches NaN
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"geohash: {name}[{i}] = {float(arr[i])!r} is outside [-{limit:g}, {limit:g}]"
        )
    return arr


def custom_site_ids(
    lons: np.ndarray | list[float], lats: np.ndarray | list[float], length: int = GEOHASH_LENGTH
) -> np.ndarray:
    """Geohashes of the points ``(lons, lats)`` with OpenQuake's midpoint rule.

    Parameters
    ----------
    lons, lats : array_like
        Decimal degrees, equal lengths; lon in [-180, 180], lat in [-90, 90].
    length : int
        Characters per code (8 for ``custom_site_id``).

    Returns
    -------
    ndarray of str
        ``(N,)`` codes (dtype ``<U{length}``).

    Raises
    ------
    InputError
        Coordinates out of range or NaN, or arrays of different lengths.

    Notes
    -----
    Bit ``k`` (k = 0, 1, ...) bisects longitude for even ``k`` and latitude for odd ``k``; with
    ``mid = (lo + hi) / 2`` the bit is ``value > mid``, after which ``lo = mid`` (bit 1) or
    ``hi = mid`` (bit 0). The loop runs over the ``5 * length`` bits, vectorised over points.
    """
    x = _coords(lons, "lons", 180.0)
    y = _coords(lats, "lats", 90.0)
    if x.shape != y.shape:
        raise InputError(f"geohash: {len(x)} longitudes but {len(y)} latitudes")
    if not 1 <= int(length) <= 12:
        raise InputError(f"geohash: length must be in 1..12, got {length}")
    n = len(x)
    lo = np.array([[-180.0], [-90.0]]).repeat(n, axis=1)  # (2, N): lon, lat
    hi = -lo
    vals = np.stack([x, y])
    digits = np.zeros((n, int(length)), dtype=np.int64)
    for k in range(5 * int(length)):
        axis = k % 2
        mid = (lo[axis] + hi[axis]) / 2.0
        bit = vals[axis] > mid
        lo[axis] = np.where(bit, mid, lo[axis])
        hi[axis] = np.where(bit, hi[axis], mid)
        digits[:, k // 5] = (digits[:, k // 5] << 1) | bit
    chars = np.ascontiguousarray(_CHARS[digits])  # (N, length) of <U1
    return chars.view(f"<U{int(length)}").reshape(n)


def geohash_bounds(codes: np.ndarray | list[str]) -> np.ndarray:
    """Cells of geohash ``codes``: ``(N, 4)`` array of ``west, east, south, north`` degrees.

    Raises
    ------
    InputError
        A code contains a character outside :data:`ALPHABET`.
    """
    codes = np.atleast_1d(np.asarray(codes, dtype=str))
    out = np.empty((len(codes), 4))
    for i, code in enumerate(codes):
        box = [[-180.0, 180.0], [-90.0, 90.0]]
        k = 0
        for c in code:
            if c not in _INDEX:
                raise InputError(
                    f"geohash {code!r}: character {c!r} is not in the alphabet {ALPHABET!r}"
                )
            d = _INDEX[c]
            for shift in range(4, -1, -1):
                lo, hi = box[k % 2]
                mid = (lo + hi) / 2.0
                box[k % 2] = [mid, hi] if (d >> shift) & 1 else [lo, mid]
                k += 1
        out[i] = box[0] + box[1]
    return out
