"""Geodetic helpers on a spherical Earth (radius 6371 km, as OpenQuake).

Every function is vectorised: arguments broadcast against each other with numpy rules.
Longitudes and latitudes are decimal degrees, depths and distances km (depth positive down).

Formulas
--------
* Great-circle distance, haversine form (Sinnott 1984):

  .. math:: d = 2R \\arcsin\\sqrt{\\sin^2\\frac{\\Delta\\varphi}{2}
            + \\cos\\varphi_1\\cos\\varphi_2\\sin^2\\frac{\\Delta\\lambda}{2}}

* Azimuth and destination point along a great circle: the "course between points" and
  "lat/lon given radial and distance" formulas of Williams' Aviation Formulary.
* Cartesian coordinates: :math:`(x, y, z) = (R - h)(\\cos\\varphi\\cos\\lambda,
  \\cos\\varphi\\sin\\lambda, \\sin\\varphi)` for depth *h*, so a chord between two points is
  the straight 3-D distance through the Earth (OpenQuake's convention for mesh distances).
* Signed distance from a great circle (cross-track distance): with :math:`\\hat n` the unit
  pole of the circle and :math:`\\hat p` the unit position of a point,
  :math:`d = R \\arcsin(\\hat p \\cdot \\hat n)`.
* Line resampling, polygon tests and the area-source grid follow OpenQuake's behaviour, which
  was measured by running OpenQuake engine 3.26 (see each function).

References
----------
Sinnott, R. W. (1984). Virtues of the haversine. Sky and Telescope 68(2), 159.
Williams, E. Aviation Formulary V1.47, https://edwilliams.org/avform147.htm.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "EARTH_RADIUS",
    "geodetic_distance",
    "distance",
    "azimuth",
    "point_at",
    "npoints_towards",
    "intervals_between",
    "resample_line",
    "spherical_to_cartesian",
    "cartesian_to_spherical",
    "unit_vectors",
    "local_basis",
    "arc_from_chord",
    "distance_to_arc",
    "bounding_box",
    "points_in_polygon",
    "discretize_polygon",
]

#: Mean Earth radius, km (OpenQuake's value).
EARTH_RADIUS = 6371.0


def _arr(x) -> np.ndarray:
    return np.asarray(x, dtype=float)


def geodetic_distance(lons1, lats1, lons2, lats2) -> np.ndarray:
    """Great-circle distance (km) between points, haversine formula; arguments broadcast.

    Examples
    --------
    >>> round(float(geodetic_distance(0.0, 0.0, 0.0, 1.0)), 4)
    111.1949
    """
    lon1, lat1, lon2, lat2 = (np.radians(_arr(a)) for a in (lons1, lats1, lons2, lats2))
    h = np.sin((lat2 - lat1) / 2.0) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(
        (lon2 - lon1) / 2.0
    ) ** 2
    return 2.0 * EARTH_RADIUS * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def distance(lons1, lats1, depths1, lons2, lats2, depths2) -> np.ndarray:
    """Pythagorean combination of geodetic distance and depth difference (km)."""
    return np.hypot(geodetic_distance(lons1, lats1, lons2, lats2), _arr(depths1) - _arr(depths2))


def azimuth(lons1, lats1, lons2, lats2) -> np.ndarray:
    """Initial azimuth (degrees clockwise from north, in [0, 360)) from points 1 to points 2."""
    lon1, lat1, lon2, lat2 = (np.radians(_arr(a)) for a in (lons1, lats1, lons2, lats2))
    dlon = lon2 - lon1
    y = np.sin(dlon) * np.cos(lat2)
    x = np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(dlon)
    return np.degrees(np.arctan2(y, x)) % 360.0


def point_at(lon, lat, azimuth, distance) -> tuple[np.ndarray, np.ndarray]:
    """Destination reached from (lon, lat) along a great circle with initial ``azimuth``
    (degrees) after ``distance`` km. Returns (lons, lats); longitudes in [-180, 180)."""
    lon1, lat1, az = np.radians(_arr(lon)), np.radians(_arr(lat)), np.radians(_arr(azimuth))
    delta = _arr(distance) / EARTH_RADIUS
    sin_lat2 = np.sin(lat1) * np.cos(delta) + np.cos(lat1) * np.sin(delta) * np.cos(az)
    lat2 = np.arcsin(np.clip(sin_lat2, -1.0, 1.0))
    dlon = np.arctan2(
        np.sin(az) * np.sin(delta) * np.cos(lat1), np.cos(delta) - np.sin(lat1) * sin_lat2
    )
    lon2 = (np.degrees(lon1 + dlon) + 180.0) % 360.0 - 180.0
    return lon2, np.degrees(lat2)


def npoints_towards(lon, lat, depth, azimuth, hdist, vdist, npoints):
    """``npoints`` points from (lon, lat, depth) towards ``azimuth``, equally spaced over a
    horizontal distance ``hdist`` and a vertical increment ``vdist`` (the first point is the
    start, the last is at the full distance). Returns (lons, lats, depths)."""
    frac = np.linspace(0.0, 1.0, int(npoints)) if npoints > 1 else np.zeros(1)
    lons, lats = point_at(lon, lat, azimuth, hdist * frac)
    lons = np.where(frac == 0.0, lon, lons)
    lats = np.where(frac == 0.0, lat, lats)
    return lons, lats, depth + vdist * frac


def intervals_between(lon1, lat1, depth1, lon2, lat2, depth2, length):
    """Points on the great circle from point 1 towards point 2 spaced exactly ``length`` km
    apart (3-D, horizontal and vertical combined by Pythagoras).

    The number of intervals is ``round(total / length)`` (round half to even), so the last
    point is at ``length * n`` from the first and in general not on point 2: the line is
    stretched or shortened by at most half an interval. This is how OpenQuake spaces the rows
    of a simple fault mesh down dip (measured on OpenQuake 3.26).
    """
    hdist = float(geodetic_distance(lon1, lat1, lon2, lat2))
    vdist = float(depth2 - depth1)
    total = float(np.hypot(hdist, vdist))
    n = int(round(total / length))
    if n == 0 or total == 0.0:
        return np.array([lon1], float), np.array([lat1], float), np.array([depth1], float)
    factor = length * n / total
    az = float(azimuth(lon1, lat1, lon2, lat2))
    return npoints_towards(lon1, lat1, depth1, az, hdist * factor, vdist * factor, n + 1)


def resample_line(lons, lats, depths, spacing: float):
    """Resample a polyline into points ``spacing`` km apart (OpenQuake's ``Line.resample``
    behaviour, as measured on OpenQuake 3.26).

    Segments are great-circle arcs with depth varying linearly along them; distances combine
    great-circle distance and depth difference by Pythagoras. Starting from the first vertex,
    each next point is the first point along the polyline at a distance of exactly ``spacing``
    from the previous one, so points stay on the polyline and corners are cut. When the last
    vertex is closer than ``spacing`` to the last point, one more point is added at ``spacing``
    from it in the direction of the polyline's last segment if the last vertex is at least half
    a spacing away; otherwise the line stops there. The resampled line thus has a length that
    is a multiple of ``spacing`` and ends within half a spacing of the original end.

    Returns
    -------
    (lons, lats, depths) : ndarrays
    """
    lons, lats, depths = (np.atleast_1d(_arr(a)) for a in (lons, lats, depths))
    if not spacing > 0:
        raise ValueError(f"resampling spacing must be positive, got {spacing}")
    n = len(lons)
    out = [(lons[0], lats[0], depths[0])]
    seg = 0  # the current point lies on segment (seg, seg + 1)
    while True:
        cur = out[-1]
        j = seg + 1
        while j < n and _dist3(cur, (lons[j], lats[j], depths[j])) < spacing:
            j += 1
        if j == n:
            end = (lons[-1], lats[-1], depths[-1])
            if n > 1 and _dist3(cur, end) >= spacing / 2.0:
                out.append(_extrapolate(cur, lons, lats, depths, spacing, on_last=seg == n - 2))
            break
        start = cur if j == seg + 1 else (lons[j - 1], lats[j - 1], depths[j - 1])
        out.append(_point_on_arc_at(cur, start, (lons[j], lats[j], depths[j]), spacing))
        seg = j - 1
    lo, la, de = (np.array(v, dtype=float) for v in zip(*out, strict=True))
    return lo, la, de


def _dist3(a, b) -> float:
    return float(np.hypot(geodetic_distance(a[0], a[1], b[0], b[1]), a[2] - b[2]))


def _arc_point(a, b, t: float):
    """Point at fraction ``t`` of the great-circle arc a-b (depth linear)."""
    hdist = float(geodetic_distance(a[0], a[1], b[0], b[1]))
    if hdist == 0.0:
        return a[0], a[1], a[2] + t * (b[2] - a[2])
    lon, lat = point_at(a[0], a[1], azimuth(a[0], a[1], b[0], b[1]), t * hdist)
    return float(lon), float(lat), a[2] + t * (b[2] - a[2])


def _point_on_arc_at(centre, a, b, radius: float):
    """The point of arc a-b at distance ``radius`` from ``centre`` (closer than ``radius`` to a,
    not closer to b), by bisection on the arc fraction.

    When ``centre`` is ``a`` the answer is closed-form: along an arc from ``a`` the horizontal
    distance grows linearly with the fraction, and so does the depth, so the distance is the
    fraction times the chord length ``|a b|``.
    """
    if centre is a or tuple(centre) == tuple(a):
        total = _dist3(a, b)
        if total > 0.0:
            return _arc_point(a, b, min(radius / total, 1.0))
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2.0
        if _dist3(centre, _arc_point(a, b, mid)) < radius:
            lo = mid
        else:
            hi = mid
    return _arc_point(a, b, hi)


def _extrapolate(cur, lons, lats, depths, spacing: float, on_last: bool):
    """The point ``spacing`` away from ``cur`` in the direction of the last segment."""
    a = (lons[-2], lats[-2], depths[-2])
    b = (lons[-1], lats[-1], depths[-1])
    seg_h = float(geodetic_distance(a[0], a[1], b[0], b[1]))
    seg_3d = float(np.hypot(seg_h, b[2] - a[2]))
    if on_last:  # continue along the great circle of the last segment
        az = float(azimuth(cur[0], cur[1], b[0], b[1]))
    else:  # parallel to the last segment, as it arrives at the last vertex
        az = (float(azimuth(b[0], b[1], a[0], a[1])) + 180.0) % 360.0
    lon, lat = point_at(cur[0], cur[1], az, spacing * seg_h / seg_3d)
    return float(lon), float(lat), cur[2] + spacing * (b[2] - a[2]) / seg_3d


def spherical_to_cartesian(lons, lats, depths=None) -> np.ndarray:
    """Earth-centred Cartesian coordinates (km), shape ``(..., 3)``, radius ``R - depth``."""
    lon, lat = np.radians(_arr(lons)), np.radians(_arr(lats))
    r = EARTH_RADIUS if depths is None else EARTH_RADIUS - _arr(depths)
    cos_lat = np.cos(lat)
    return np.stack(
        np.broadcast_arrays(r * cos_lat * np.cos(lon), r * cos_lat * np.sin(lon), r * np.sin(lat)),
        axis=-1,
    )


def cartesian_to_spherical(xyz) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse of :func:`spherical_to_cartesian`: (lons, lats, depths)."""
    xyz = _arr(xyz)
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    r = np.sqrt(x * x + y * y + z * z)
    lons = np.degrees(np.arctan2(y, x))
    lats = np.degrees(np.arcsin(np.clip(z / r, -1.0, 1.0)))
    return lons, lats, EARTH_RADIUS - r


def unit_vectors(lons, lats) -> np.ndarray:
    """Unit position vectors of surface points, shape ``(..., 3)``."""
    return spherical_to_cartesian(lons, lats) / EARTH_RADIUS


def local_basis(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    """Unit east and north vectors at surface points, each of shape ``(..., 3)``."""
    lon, lat = np.radians(_arr(lons)), np.radians(_arr(lats))
    east = np.stack(np.broadcast_arrays(-np.sin(lon), np.cos(lon), np.zeros_like(lon)), axis=-1)
    north = np.stack(
        np.broadcast_arrays(-np.sin(lat) * np.cos(lon), -np.sin(lat) * np.sin(lon), np.cos(lat)),
        axis=-1,
    )
    return east, north


def arc_from_chord(chord) -> np.ndarray:
    """Great-circle distance (km) from the chord between unit vectors (dimensionless)."""
    return 2.0 * EARTH_RADIUS * np.arcsin(np.clip(_arr(chord) / 2.0, 0.0, 1.0))


def distance_to_arc(alon, alat, aazimuth, plons, plats) -> np.ndarray:
    """Signed distance (km) from points to the great circle through (alon, alat) with azimuth
    ``aazimuth``: positive on the right-hand side looking along the azimuth."""
    east, north = local_basis(alon, alat)
    az = np.radians(_arr(aazimuth))
    tangent = np.sin(az)[..., None] * east + np.cos(az)[..., None] * north
    pole = np.cross(unit_vectors(alon, alat), tangent)  # left-hand side is positive
    p = unit_vectors(plons, plats)
    return -EARTH_RADIUS * np.arcsin(np.clip(np.sum(p * pole, axis=-1), -1.0, 1.0))


def _unwrap(lons: np.ndarray, ref: float) -> np.ndarray:
    """Longitudes shifted by multiples of 360 to lie within 180 degrees of ``ref``."""
    return (lons - ref + 180.0) % 360.0 - 180.0 + ref


def bounding_box(lons, lats) -> tuple[float, float, float, float]:
    """(west, south, east, north) of points, with ``east < west + 360``; a set of points
    crossing the antimeridian gets ``east > 180``."""
    lons, lats = np.ravel(_arr(lons)), np.ravel(_arr(lats))
    unwrapped = _unwrap(lons, float(lons[0]))
    west, east = float(unwrapped.min()), float(unwrapped.max())
    shift = 360.0 * np.floor((west + 180.0) / 360.0)
    return west - shift, float(lats.min()), east - shift, float(lats.max())


def _orthographic(lons, lats, lon0: float, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    """Orthographic projection on the unit sphere centred on (lon0, lat0)."""
    lam = np.radians(_arr(lons) - lon0)
    phi, phi0 = np.radians(_arr(lats)), np.radians(lat0)
    x = np.cos(phi) * np.sin(lam)
    y = np.cos(phi0) * np.sin(phi) - np.sin(phi0) * np.cos(phi) * np.cos(lam)
    return x, y


#: Polygon edges longer than this (km) are split along great circles before projecting.
POLYGON_RESAMPLING_STEP = 100.0


def _resample_polygon(plon: np.ndarray, plat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split every edge of a closed polygon into ``max(1, ceil(length / 100 km) - 1)`` equal
    great-circle pieces (vertices only; the ring is not repeated at the end).

    So an edge up to 200 km long stays whole, one up to 300 km gets 2 pieces, and so on: the
    piece count of OpenQuake 3.26's polygons (measured on edges from 99 to 1000 km; a
    ``round`` rule split 150-200 km edges, moving the boundary by tens of metres and dropping
    or adding grid points next to it).
    """
    out_lon, out_lat = [], []
    n = len(plon)
    for i in range(n):
        j = (i + 1) % n
        length = float(geodetic_distance(plon[i], plat[i], plon[j], plat[j]))
        pieces = max(1, int(np.ceil(length / POLYGON_RESAMPLING_STEP)) - 1)
        out_lon.append(plon[i])
        out_lat.append(plat[i])
        if pieces > 1:
            az = float(azimuth(plon[i], plat[i], plon[j], plat[j]))
            lo, la = point_at(plon[i], plat[i], az, length * np.arange(1, pieces) / pieces)
            out_lon.extend(_unwrap(lo, plon[i]))
            out_lat.extend(la)
    return np.array(out_lon), np.array(out_lat)


class _ProjectedPolygon:
    """A lon/lat polygon resampled along great circles and projected orthographically on the
    centre of its bounding box; its edges are straight lines in the projection."""

    def __init__(self, poly_lons, poly_lats) -> None:
        plon, plat = np.ravel(_arr(poly_lons)), np.ravel(_arr(poly_lats))
        if len(plon) < 3 or len(plon) != len(plat):
            raise ValueError("a polygon needs at least 3 vertices with a lon and a lat each")
        if plon[0] == plon[-1] and plat[0] == plat[-1]:
            plon, plat = plon[:-1], plat[:-1]
        rlon, rlat = _resample_polygon(_unwrap(plon, float(plon[0])), plat)
        west, south, east, north = bounding_box(rlon, rlat)
        self.bbox = (west, south, east, north)
        self.lon0, self.lat0 = (west + east) / 2.0, (south + north) / 2.0
        self.vx, self.vy = _orthographic(rlon, rlat, self.lon0, self.lat0)

    def contains(self, lons, lats) -> np.ndarray:
        """Strictly inside (points on an edge, within 1e-12 of the unit sphere, are outside)."""
        lons = _unwrap(_arr(lons), self.lon0)
        x, y = _orthographic(lons, lats, self.lon0, self.lat0)
        inside = np.zeros(np.shape(x), dtype=bool)
        on_edge = np.zeros(np.shape(x), dtype=bool)
        vx, vy = self.vx, self.vy
        n = len(vx)
        for i in range(n):
            x1, y1, x2, y2 = vx[i], vy[i], vx[(i + 1) % n], vy[(i + 1) % n]
            dx, dy = x2 - x1, y2 - y1
            seg2 = dx * dx + dy * dy
            t = np.clip(((x - x1) * dx + (y - y1) * dy) / seg2, 0.0, 1.0) if seg2 else 0.0
            on_edge |= np.hypot(x - x1 - t * dx, y - y1 - t * dy) < 1e-12
            if dy == 0:
                continue
            crosses = (y1 > y) != (y2 > y)
            with np.errstate(divide="ignore", invalid="ignore"):
                xcross = x1 + (y - y1) * dx / dy
            inside ^= crosses & (x < xcross)
        # the far hemisphere projects onto the near one: such points are outside
        lam, phi = np.radians(lons - self.lon0), np.radians(_arr(lats))
        phi0 = np.radians(self.lat0)
        near = np.sin(phi0) * np.sin(phi) + np.cos(phi0) * np.cos(phi) * np.cos(lam) > 0
        return inside & ~on_edge & near


def points_in_polygon(lons, lats, poly_lons, poly_lats) -> np.ndarray:
    """Whether points lie strictly inside a polygon (OpenQuake's area-source convention).

    The polygon's edges are split into pieces of about 100 km along great circles; the
    resampled polygon is projected orthographically on the centre of its bounding box, where its
    edges are straight. Points on an edge or a vertex are outside. The polygon must span less
    than a hemisphere.
    """
    return _ProjectedPolygon(poly_lons, poly_lats).contains(lons, lats)


def discretize_polygon(poly_lons, poly_lats, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Grid of points ``spacing`` km apart inside a polygon (OpenQuake's area-source grid).

    The bounding box is that of the polygon after its edges are resampled along great circles
    (see :func:`points_in_polygon`), so it includes the bulge of long edges. Rows start at its
    northern edge and step south along a meridian by ``spacing`` (``spacing / R`` radians of
    latitude) while they stay north of (or on) the southern edge. In each row, points start at
    the western edge and step east by ``spacing`` along the great circle with initial azimuth
    90 degrees, keeping the row's latitude, while they stay west of (or on) the eastern edge.
    Points strictly inside the polygon are kept, listed row by row from north to south and from
    west to east.

    The grid reproduces the points of OpenQuake 3.26's ``Polygon.discretize`` (measured, to
    1e-9 degrees, on polygons from 0.5 to 12 degrees wide, at latitudes from -40 to 63, across
    the antimeridian, with spacings 5 to 20 km; see the tests).

    Returns
    -------
    lons, lats : ndarray
        Longitudes in [-180, 180).
    """
    if not spacing > 0:
        raise ValueError(f"polygon discretisation spacing must be positive, got {spacing}")
    polygon = _ProjectedPolygon(poly_lons, poly_lats)
    west, south, east, north = polygon.bbox
    dlat = np.degrees(spacing / EARTH_RADIUS)
    nrows = int(np.floor((north - south) / dlat + 1e-9)) + 1
    row_lats = north - dlat * np.arange(nrows)
    # east step along the great circle of azimuth 90 degrees from latitude phi
    delta = spacing / EARTH_RADIUS
    phi = np.radians(row_lats)
    sin_phi2 = np.sin(phi) * np.cos(delta)
    dlon = np.degrees(
        np.arctan2(np.sin(delta) * np.cos(phi), np.cos(delta) - np.sin(phi) * sin_phi2)
    )
    ncols = np.floor((east - west) / dlon + 1e-9).astype(int) + 1
    lons = np.concatenate([west + dlon[i] * np.arange(ncols[i]) for i in range(nrows)])
    lats = np.repeat(row_lats, ncols)
    inside = polygon.contains(lons, lats)
    return (lons[inside] + 180.0) % 360.0 - 180.0, lats[inside]
