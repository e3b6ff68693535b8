"""NRML ``<kiteSurface>`` of explicit ruptures, in its quadrilateral form only.

A kite surface is given by profiles, lines of ``lon lat depth`` triples running down dip::

    <kiteSurface>
        <profile><gml:LineString><gml:posList>
            lon1 lat1 top1 lon2 lat2 bottom1
        </gml:posList></gml:LineString></profile>
        <profile><gml:LineString><gml:posList>
            lon3 lat3 top2 lon4 lat4 bottom2
        </gml:posList></gml:LineString></profile>
    </kiteSurface>

Only the simplest form is read: two profiles of two points each, a quadrilateral whose
corners are the profile ends (first profile: top-left and bottom-left; second: top-right and
bottom-right). It is used as a plane like a ``<planarSurface>``, after ordering the profiles so
that the surface dips to the right of its strike (Aki & Richards' convention; OpenQuake
orders kite surfaces the same way). Kite surfaces with more profiles or longer profiles
(curved surfaces, and the floating ruptures of ``kiteFaultSource``) are refused.

Difference from OpenQuake: OpenQuake resamples the profiles and the edges of a kite surface
at the rupture mesh spacing and measures distances to that mesh, whose last row and column
stop short of the far profile and the bottom when the lengths are not multiples of the
spacing; here the distances are to the whole quadrilateral.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.engine.hazard.geo import azimuth, distance_to_arc, geodetic_distance
from toolkit.errors import InputError
from toolkit.io.nrml import Node, _floats
from toolkit.io.nrml_precision import round_lonlat

__all__ = ["kite_corners"]


def _profile(reader: Any, profile: Node) -> np.ndarray:
    poslist = reader.child(reader.child(profile, "LineString"), "posList")
    values = _floats(poslist.value, "kite profile coordinate", reader.at(poslist))
    if len(values) % 3 or not values:
        raise InputError(f"{reader.at(poslist)}: a kite profile must be given as longitude/"
                         f"latitude/depth triples, got {len(values)} numbers")
    points = np.array(values, dtype=float).reshape(-1, 3)
    if len(points) != 2:
        raise InputError(f"{reader.at(poslist)}: only kite profiles of 2 points (a top and a "
                         f"bottom) are supported, got {len(points)}")
    bad = (np.abs(points[:, 0]) > 180) | (np.abs(points[:, 1]) > 90)
    if np.any(bad):
        lon, lat = points[np.argmax(bad), :2]
        raise InputError(f"{reader.at(poslist)}: kite profile point ({lon:g}, {lat:g}) is out "
                         "of range (longitude in [-180, 180], latitude in [-90, 90])")
    if points[1, 2] <= points[0, 2]:
        raise InputError(f"{reader.at(poslist)}: a kite profile runs down dip: its second "
                         f"point ({points[1, 2]:g} km) must be deeper than its first "
                         f"({points[0, 2]:g} km)")
    return round_lonlat(points)  # 5 decimals, as OpenQuake (toolkit.io.nrml_precision)


def _length(a: np.ndarray, b: np.ndarray) -> float:
    """Straight-line length (km) between two ``lon, lat, depth`` points (flat-Earth chord of
    the great-circle distance and the depth difference)."""
    return float(np.hypot(geodetic_distance(a[0], a[1], b[0], b[1]), b[2] - a[2]))


def _along(a: np.ndarray, b: np.ndarray, distance: float) -> np.ndarray:
    """The point ``distance`` km from ``a`` on the straight line through ``a`` and ``b``."""
    return a + (b - a) * (distance / _length(a, b))


def resampled_extent(corners: np.ndarray, spacing: float) -> np.ndarray:
    """Corners of the part of a quadrilateral kite surface covered by OpenQuake's kite mesh.

    The mesh has nodes every ``spacing`` km down each profile, as many intervals as the
    rounded profile length over the spacing (so the last row may lie a little beyond or
    above the bottom), and along each row every ``spacing`` km from the first profile, as
    many whole intervals as fit between the profiles (measured black-box with OpenQuake
    3.26 ``KiteSurface.from_profiles``).

    Parameters
    ----------
    corners : ndarray, shape (4, 3)
        Top-left, top-right, bottom-right, bottom-left ``lon, lat, depth``.
    spacing : float
        Mesh spacing, km.
    """
    tl, tr, br, bl = corners
    rows = max(round(_length(tl, bl) / spacing), 1)
    bottom_left = _along(tl, bl, rows * spacing)
    bottom_right = _along(tr, br, max(round(_length(tr, br) / spacing), 1) * spacing)
    out = [tl, None, None, bottom_left]
    for i, (start, end) in ((1, (tl, tr)), (2, (bottom_left, bottom_right))):
        n = max(int(np.floor(_length(start, end) / spacing + 1e-9)), 1)
        out[i] = _along(start, end, n * spacing)
    return np.array(out)


def kite_corners(reader: Any, node: Node, spacing: float | None = None) -> np.ndarray:
    """Corners (4, 3) ``lon, lat, depth`` of a two-profile ``<kiteSurface>``, in
    :class:`~toolkit.engine.hazard.surfaces.PlanarSurfaces` order (top-left, top-right,
    bottom-right, bottom-left), the bottom edge on the right of the top edge; with a mesh
    ``spacing`` (km), the part covered by OpenQuake's mesh (:func:`resampled_extent`)."""
    profiles = node.findall("profile")
    if len(profiles) != 2:
        raise InputError(f"{reader.at(node)}: only <kiteSurface> elements of 2 profiles (a "
                         f"quadrilateral) are supported, got {len(profiles)}")
    first, second = (_profile(reader, p) for p in profiles)
    if np.allclose(first[0, :2], second[0, :2]):
        raise InputError(f"{reader.at(node)}: the two kite profiles start at the same point; "
                         "the top edge needs a length")
    strike = float(azimuth(first[0, 0], first[0, 1], second[0, 0], second[0, 1]))
    bottoms = np.array([first[1], second[1]])
    offset = float(np.mean(distance_to_arc(first[0, 0], first[0, 1], strike,
                                           bottoms[:, 0], bottoms[:, 1])))
    corners = np.array([first[0], second[0], second[1], first[1]])
    if spacing is not None:  # the mesh starts from the first profile as written
        corners = resampled_extent(corners, spacing)
    if offset < 0.0:  # dips to the left: the profiles in the other order
        corners = corners[[1, 0, 3, 2]]
    return corners
