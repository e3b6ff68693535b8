"""Vectorised rupture surfaces: distances from N ruptures to S sites at once.

Two implementations of the :class:`~toolkit.engine.hazard.ruptures.Surfaces` protocol:

:class:`PlanarSurfaces`
    N rectangles given by their corners (the ruptures of point and area sources).
:class:`MeshSurfaces`
    N rectangular windows of one parent fault mesh (the floating ruptures of a fault source).

Geometry and distance conventions (OpenQuake's, see :mod:`toolkit.engine.hazard.geo`)
--------------------------------------------------------------------------------------
Points are turned into Earth-centred Cartesian coordinates with radius ``R - depth``; site
positions on the surface into unit vectors :math:`\\hat p`.

* ``rrup``: closest 3-D distance. For a rectangle, the site is projected on the plane
  through the corners (in Cartesian space, the top-left corner as origin, the mean lengths of
  the top and bottom edges and of the two sides as length and width):
  :math:`r = \\sqrt{d_n^2 + d_x^2 + d_y^2}` with :math:`d_n` the distance to the plane and
  :math:`d_x, d_y` how far the projection falls outside the rectangle along strike and down
  dip. The edges are chords, so the top edge runs :math:`L^2/8R` deeper at mid-length than at
  its corners (8 m for 20 km). For a mesh, the smallest chord to the window's mesh points.
* ``rjb``: distance to the surface projection of the rupture (0 inside). For a rectangle, the
  projection is bounded by four great circles: the top and bottom edges (azimuth = strike,
  through the top-left and bottom-left corners) and the two ends (azimuth = strike + 90,
  through the top-left and top-right corners); outside, the distance is the cross-track
  distance to the nearest side, or the chord to the nearest corner beyond two sides. For a
  mesh, the distance to the outline of the window's cells (0 inside a cell) where the nearest
  mesh point is closer than 40 km, the chord to the nearest mesh point beyond (OpenQuake's
  hybrid). Chords between surface points are shorter than great-circle arcs by
  :math:`d^3/24R^2` (0.5 m at 80 km); OpenQuake uses them there.
* ``rx``: signed horizontal distance to the top edge, perpendicular to strike, positive on the
  hanging-wall side (right of the strike direction). For a rectangle, the cross-track distance
  to the great circle of the top edge. For a mesh window, the signed distance to the top-edge
  polyline whose first and last segments are extended to infinity; the sign is that of the
  closest piece.
* ``ry0``: horizontal distance beyond the ends of the top edge, measured from the great circles
  through its end points with azimuth strike + 90; 0 between them.

Every distance is a dot product between unit vectors followed by one ``arcsin``: no
trigonometry per rupture-site pair beyond that.

Agreement with OpenQuake 3.26 (measured by running it on point, area and simple fault sources)
----------------------------------------------------------------------------------------------
Planar surfaces: rrup, rx, ry0 and rjb to 1e-9 km, except rjb for sites below the surface
beyond two sides, where OpenQuake adds the site depth to the corner distance (we do not: rjb
is horizontal). Mesh surfaces (whose nodes agree with OpenQuake's to 0.6 m): rrup to 2e-5 km
on straight faults and 6e-4 km on a bent one, rx to 1e-8 km on straight faults (16 m at 60 km
on a bent trace, from its short extrapolated last segment), rjb to 5 m (OpenQuake buffers the
window outline by 5 m), strike to 0.05 degrees (its mean cell azimuth is computed slightly
differently), hence ry0 to distance x 0.05 degrees.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from toolkit.engine.hazard.geo import (
    EARTH_RADIUS,
    cartesian_to_spherical,
    local_basis,
    spherical_to_cartesian,
    unit_vectors,
)

__all__ = ["PlanarSurfaces", "FaultMesh", "MeshSurfaces", "JB_POLYGON_DISTANCE"]

#: Below this distance (km) to the nearest mesh point, rjb of a mesh window is computed from the
#: window's outline; beyond, the nearest mesh point distance is used (as OpenQuake does).
JB_POLYGON_DISTANCE = 40.0

_DISTANCE_NAMES = frozenset({"rrup", "rjb", "rx", "ry0"})

#: rupture-site pairs per chunk of elementwise work: small enough for the temporaries to stay
#: in the CPU cache (three times faster than whole (N, S) arrays)
_CACHE_PAIRS = 1 << 14


def _normalized(v: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, v / norm, 0.0)


def _asin_km(s: np.ndarray) -> np.ndarray:
    """Arc length (km) of the angle whose sine is ``s``."""
    return EARTH_RADIUS * np.arcsin(np.clip(s, -1.0, 1.0))


def _chord2_to_km(chord2: np.ndarray) -> np.ndarray:
    """Great-circle distance (km) from squared chords between unit vectors."""
    return 2.0 * EARTH_RADIUS * np.arcsin(np.clip(np.sqrt(np.maximum(chord2, 0.0)) / 2.0, 0.0, 1.0))


#: depth (km) below which sites are assumed not to lie, for lower bounds of rrup
_SITE_DEPTH_BOUND = 10.0


def _lower_bound(cos_angle: np.ndarray, radius: np.ndarray, zmax: np.ndarray) -> np.ndarray:
    """Lower bound of both rjb and rrup (km), from the cosine of the angle between sites and
    surface centres (N, S), the surfaces' radius around their centre and maximum depth (N,).

    Beyond the radius the arc is ``a = R angle - radius``. A point at depth ``z`` seen from a
    site at depth ``zs`` at that angle is at least ``2 sqrt((R - z) (R - zs)) sin(a / 2R)``
    away (its chord), which is below ``a`` when the point is deep: the bound takes the larger
    depth and a site depth of at most 10 km.
    """
    deep = EARTH_RADIUS - np.maximum(zmax, 0.0)
    scale = 2.0 * np.sqrt(deep * (EARTH_RADIUS - _SITE_DEPTH_BOUND))
    out = np.empty_like(cos_angle)
    step = max(1, _CACHE_PAIRS // max(cos_angle.shape[1], 1))
    for start in range(0, len(cos_angle), step):
        rows = slice(start, start + step)
        arc = np.clip(cos_angle[rows], -1.0, 1.0)
        np.arccos(arc, out=arc)
        arc *= EARTH_RADIUS
        arc -= radius[rows, None] + 1e-3  # 1 m of slack covers the rounding of arccos near 1
        np.maximum(arc, 0.0, out=arc)
        arc *= 1.0 / (2.0 * EARTH_RADIUS)
        np.sin(arc, out=arc)
        arc *= scale[rows, None]
        out[rows] = arc
    return out


def _tangent(unit: np.ndarray, azimuth_deg) -> np.ndarray:
    """Unit tangent vectors at surface points ``unit`` (..., 3) towards ``azimuth_deg``."""
    lons, lats, _ = cartesian_to_spherical(unit * EARTH_RADIUS)
    east, north = local_basis(lons, lats)
    az = np.radians(np.asarray(azimuth_deg, dtype=float))[..., None]
    return np.sin(az) * east + np.cos(az) * north


def _check_names(names) -> set[str]:
    names = set(names)
    unknown = names - _DISTANCE_NAMES
    if unknown:
        raise ValueError(f"unknown distance(s) {sorted(unknown)}; known: {sorted(_DISTANCE_NAMES)}")
    return names


def _sites(lons, lats, depths) -> tuple[np.ndarray, np.ndarray]:
    lons = np.atleast_1d(np.asarray(lons, dtype=float))
    lats = np.atleast_1d(np.asarray(lats, dtype=float))
    depths = np.zeros_like(lons) if depths is None else np.broadcast_to(
        np.asarray(depths, dtype=float), lons.shape
    )
    return spherical_to_cartesian(lons, lats, depths), unit_vectors(lons, lats)


# --------------------------------------------------------------------------------------------
# planar rectangles
# --------------------------------------------------------------------------------------------


class PlanarSurfaces:
    """N planar rectangular ruptures.

    Parameters
    ----------
    corners : ndarray, shape (N, 4, 3)
        lon, lat, depth of the top-left, top-right, bottom-right and bottom-left corners (the
        top edge runs along strike from left to right; the bottom edge is down dip, on the
        right of the strike direction).
    strike, dip : array_like, shape (N,) or scalar
        Degrees (Aki & Richards convention).

    Notes
    -----
    Use :meth:`from_cartesian` to build from Earth-centred Cartesian corners (what the point
    sources produce, avoiding a round trip through longitudes and latitudes).
    """

    def __init__(self, corners: np.ndarray, strike, dip) -> None:
        corners = np.asarray(corners, dtype=float)
        if corners.ndim != 3 or corners.shape[1:] != (4, 3):
            raise ValueError(f"corners must have shape (N, 4, 3), got {corners.shape}")
        xyz = spherical_to_cartesian(corners[..., 0], corners[..., 1], corners[..., 2])
        self._init(xyz, strike, dip)

    @classmethod
    def from_cartesian(cls, xyz: np.ndarray, strike, dip) -> PlanarSurfaces:
        """Surfaces from Cartesian corners, shape (N, 4, 3), km (see
        :func:`~toolkit.engine.hazard.geo.spherical_to_cartesian`)."""
        obj = cls.__new__(cls)
        obj._init(np.asarray(xyz, dtype=float), strike, dip)
        return obj

    def _init(self, xyz: np.ndarray, strike, dip) -> None:
        n = len(xyz)
        self.xyz = xyz
        self.strike = np.broadcast_to(np.asarray(strike, dtype=float), (n,)).copy()
        self.dip = np.broadcast_to(np.asarray(dip, dtype=float), (n,)).copy()
        self._cache: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.xyz)

    def __repr__(self) -> str:
        return f"PlanarSurfaces(n={len(self)})"

    # ---- geometry ---------------------------------------------------------------------------

    @property
    def corners(self) -> np.ndarray:
        """lon, lat, depth of the corners, shape (N, 4, 3)."""
        lons, lats, depths = cartesian_to_spherical(self.xyz)
        return np.stack([lons, lats, depths], axis=-1)

    @property
    def ztor(self) -> np.ndarray:
        """Depth of the top edge, km."""
        if "ztor" not in self._cache:
            r = np.linalg.norm(self.xyz[:, :2], axis=-1)
            self._cache["ztor"] = EARTH_RADIUS - r.max(axis=1)
        return self._cache["ztor"]

    @property
    def width(self) -> np.ndarray:
        """Down-dip width, km."""
        return self._plane()["width"]

    @property
    def length(self) -> np.ndarray:
        """Length along strike, km."""
        return self._plane()["length"]

    def _plane(self) -> dict[str, np.ndarray]:
        if "normal" not in self._cache:
            tl, tr, br, bl = (self.xyz[:, i] for i in range(4))
            uv1 = _normalized((tr - tl) + (br - bl))
            down = (bl - tl) + (br - tr)
            uv2 = _normalized(down - np.sum(down * uv1, axis=1, keepdims=True) * uv1)
            normal = np.cross(uv1, uv2)
            xx = np.einsum("nkj,nj->nk", self.xyz - tl[:, None], uv1)
            yy = np.einsum("nkj,nj->nk", self.xyz - tl[:, None], uv2)
            length = ((xx[:, 1] - xx[:, 0]) + (xx[:, 2] - xx[:, 3])) / 2.0
            width = ((yy[:, 3] - yy[:, 0]) + (yy[:, 2] - yy[:, 1])) / 2.0
            # a vertical or zero-width rupture has no down-dip direction from its corners:
            # take the downward direction orthogonal to strike
            flat = width <= 1e-9
            if flat.any():
                radial = _normalized(tl[flat])
                u1 = uv1[flat]
                alt = _normalized(-radial + np.sum(radial * u1, 1, keepdims=True) * u1)
                uv2[flat] = alt
                normal[flat] = np.cross(uv1[flat], alt)
                width = np.maximum(width, 0.0)
            self._cache.update(
                origin=tl, uv1=uv1, uv2=uv2, normal=normal, length=np.maximum(length, 0.0),
                width=width,
            )
        return self._cache

    def _arcs(self) -> dict[str, np.ndarray]:
        if "pole_top" not in self._cache:
            unit = _normalized(self.xyz)  # (N, 4, 3) surface projections of the corners
            tl, tr, bl = unit[:, 0], unit[:, 1], unit[:, 3]
            t_tl = _tangent(tl, self.strike)
            self._cache.update(
                unit=unit,
                pole_top=np.cross(tl, t_tl),  # + on the left of the top edge
                pole_bottom=np.cross(bl, _tangent(bl, self.strike)),
                pole_start=t_tl,  # + ahead of the great circle through TL at strike + 90
                pole_end=_tangent(tr, self.strike),
            )
            centre = _normalized(unit.sum(axis=1))
            chord2 = np.sum((unit - centre[:, None]) ** 2, axis=-1)
            self._cache["centre"] = centre
            self._cache["radius"] = _chord2_to_km(chord2.max(axis=1))
        return self._cache

    # ---- protocol -------------------------------------------------------------------------

    def take(self, index) -> PlanarSurfaces:
        out = PlanarSurfaces.from_cartesian(self.xyz[index], self.strike[index], self.dip[index])
        for key, value in self._cache.items():
            out._cache[key] = value[index]
        return out

    def min_distance(self, lons, lats) -> np.ndarray:
        """Lower bound (km) of rjb and rrup, shape (N, S): the distance to the centre of the
        projected rectangle minus its radius, shrunk for chords to deep points (see
        :func:`_lower_bound`)."""
        arcs = self._arcs()
        _, p = _sites(lons, lats, None)
        cos_angle = arcs["centre"] @ p.T
        zmax = EARTH_RADIUS - np.linalg.norm(self.xyz, axis=-1).min(axis=1)
        return _lower_bound(cos_angle, arcs["radius"], zmax)

    #: rupture-site pairs per chunk of work
    CHUNK_PAIRS = _CACHE_PAIRS

    def distances(self, lons, lats, depths, names) -> dict[str, np.ndarray]:
        names = _check_names(names)
        q, p = _sites(lons, lats, depths)
        n = len(self)
        out = {name: np.empty((n, len(p))) for name in names}
        if names & {"rjb", "rx", "ry0"}:
            self._arcs()
        if "rrup" in names:
            self._plane()
        step = max(1, self.CHUNK_PAIRS // max(len(p), 1))
        for start in range(0, n, step):
            part = self if step >= n else self._chunk(slice(start, start + step))
            for name, value in part._distances(q, p, names).items():
                out[name][start:start + step] = value
        return out

    def _chunk(self, index: slice) -> PlanarSurfaces:
        out = PlanarSurfaces.__new__(PlanarSurfaces)
        out.xyz, out.strike, out.dip = self.xyz[index], self.strike[index], self.dip[index]
        out._cache = {key: value[index] for key, value in self._cache.items()}
        return out

    def _distances(self, q: np.ndarray, p: np.ndarray, names: set[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        if "rrup" in names:
            out["rrup"] = self._rrup(q)
        if not names & {"rjb", "rx", "ry0"}:
            return out
        arcs = self._arcs()
        n = len(self)
        poles = np.concatenate(
            [arcs["pole_top"], arcs["pole_start"], arcs["pole_end"], arcs["pole_bottom"]]
        )
        dots = (poles @ p.T).reshape(4, n, -1)  # sines of angular distances to four circles
        s_top, s_start, s_end, s_bot = dots
        if "rx" in names:
            out["rx"] = -_asin_km(s_top)
        if not names & {"rjb", "ry0"}:
            return out
        beyond = np.signbit(s_start) == np.signbit(s_end)  # off the ends of the top edge
        along = np.minimum(np.abs(s_start), np.abs(s_end))
        along[~beyond] = 0.0
        if "ry0" in names:
            out["ry0"] = _asin_km(along)
        if "rjb" in names:
            outside = np.signbit(s_top) == np.signbit(s_bot)  # off the strip top-bottom
            across = np.minimum(np.abs(s_top), np.abs(s_bot))
            across[~outside] = 0.0
            rjb = _asin_km(np.where(beyond, along, across))
            corner = beyond & outside
            if corner.any():
                rjb = np.where(corner, self._corner_distance(p), rjb)
            out["rjb"] = rjb
        return out

    def _corner_distance(self, p: np.ndarray) -> np.ndarray:
        """Distance (km) to the nearest corner's surface projection, (N, S), as the chord
        between surface points (OpenQuake's convention; shorter than the great-circle arc by
        d^3 / 24R^2, 0.5 m at 80 km)."""
        ref = _normalized(p.mean(axis=0))  # local origin keeps small chords accurate
        pr = p - ref
        kr = self._arcs()["unit"] - ref  # (N, 4, 3)
        k2 = np.sum(kr * kr, axis=-1)  # (N, 4)
        best = None
        for i in range(4):
            part = kr[:, i] @ pr.T
            part *= -2.0
            part += k2[:, i, None]
            best = part if best is None else np.minimum(best, part, out=best)
        best += np.sum(pr * pr, axis=1)[None, :]
        return EARTH_RADIUS * np.sqrt(np.maximum(best, 0.0))

    def _rrup(self, q: np.ndarray) -> np.ndarray:
        """3-D distance to the rectangle: coordinates of the site along strike, down dip and
        normal to the plane, measured from the rectangle's centre."""
        plane = self._plane()
        axes = np.concatenate([plane["uv1"], plane["uv2"], plane["normal"]])  # (3N, 3)
        n = len(self)
        centre = (plane["origin"] + plane["uv1"] * (plane["length"][:, None] / 2.0)
                  + plane["uv2"] * (plane["width"][:, None] / 2.0))
        offsets = np.sum(axes * np.concatenate([centre, centre, centre]), axis=1)
        coords = axes @ q.T
        coords -= offsets[:, None]
        np.abs(coords, out=coords)
        xx, yy, dn = coords.reshape(3, n, -1)
        xx -= plane["length"][:, None] / 2.0
        yy -= plane["width"][:, None] / 2.0
        np.maximum(xx, 0.0, out=xx)
        np.maximum(yy, 0.0, out=yy)
        np.square(coords, out=coords)
        total = xx + yy
        total += dn
        return np.sqrt(total, out=total)


# --------------------------------------------------------------------------------------------
# windows of a fault mesh
# --------------------------------------------------------------------------------------------


def _sliding_min(a: np.ndarray, size: int, axis: int) -> np.ndarray:
    """``out[..., j, ...] = a[..., j:j + size, ...].min()`` along ``axis`` (valid part only).

    Minima over windows of doubling length (1, 2, 4, ... w <= size) are built by shifting and
    comparing; two overlapping windows of length w then cover each window of ``size``: about
    ``log2(size) + 1`` passes of ``numpy.minimum``.
    """
    if size <= 1:
        return a
    a = np.moveaxis(a, axis, 0)
    m = a.shape[0] - size + 1
    width, cur = 1, a
    while 2 * width <= size:
        cur = np.minimum(cur[:-width], cur[width:])
        width *= 2
    out = cur[:m] if width == size else np.minimum(cur[:m], cur[size - width:size - width + m])
    return np.moveaxis(out, 0, axis)


@dataclass(eq=False)
class FaultMesh:
    """A parent fault mesh of ``ny`` rows down dip and ``nx`` columns along strike.

    Parameters
    ----------
    lons, lats, depths : ndarray, shape (ny, nx)
        Row 0 is the top edge, columns run along strike.
    """

    lons: np.ndarray
    lats: np.ndarray
    depths: np.ndarray
    xyz: np.ndarray = field(init=False, repr=False)
    unit: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.lons = np.atleast_2d(np.asarray(self.lons, dtype=float))
        self.lats = np.atleast_2d(np.asarray(self.lats, dtype=float))
        self.depths = np.atleast_2d(np.asarray(self.depths, dtype=float))
        if not (self.lons.shape == self.lats.shape == self.depths.shape):
            raise ValueError("mesh lons, lats and depths must have the same shape")
        self.xyz = spherical_to_cartesian(self.lons, self.lats, self.depths)
        self.unit = unit_vectors(self.lons, self.lats)
        ref = self.unit.reshape(-1, 3).mean(axis=0)
        self._ref_unit = ref / np.linalg.norm(ref)  # origin for well-conditioned dot products
        self._ref_xyz = self.xyz.reshape(-1, 3).mean(axis=0)
        ny, nx = self.shape
        # along-strike segments (r, c) -> (r, c + 1) and down-dip segments (r, c) -> (r + 1, c)
        a, b = self.unit[:, :-1], self.unit[:, 1:]
        self._h_cross = np.cross(a, b)
        self._h_pole = _normalized(self._h_cross)
        self._h_len = _chord2_to_km(np.sum((b - a) ** 2, axis=-1))
        a, b = self.unit[:-1], self.unit[1:]
        self._v_cross = np.cross(a, b)
        self._v_pole = _normalized(self._v_cross)
        self._v_len = _chord2_to_km(np.sum((b - a) ** 2, axis=-1))
        # a down-dip segment shorter than a micrometre (vertical fault) is degenerate
        self._v_ok = self._v_len > 1e-9
        self._h_ok = self._h_len > 1e-9
        dd = np.linalg.norm(self.xyz[1:] - self.xyz[:-1], axis=-1).mean(axis=1) if ny > 1 else []
        self._cum_width = np.concatenate([[0.0], np.cumsum(dd)])
        seg_az = _segment_azimuths(self.lons, self.lats)  # (ny, nx - 1)
        self._row_strike = _mean_angle(seg_az, axis=1) if nx > 1 else np.zeros(ny)
        self._cell_sat = _cell_orientation_sats(self.xyz, self.unit) if min(ny, nx) > 1 else None
        self._fields: tuple[tuple, _MeshFields] | None = None

    def fields(self, q: np.ndarray, p: np.ndarray, names: set[str]) -> _MeshFields:
        """Distances from the sites (``q`` Cartesian, ``p`` unit vectors) to every node and
        segment, reused while the same sites are asked for again: the rupture blocks of one
        fault share them, so they are computed once per site block, not once per block."""
        key = (hashlib.sha1(q.tobytes()).digest(), frozenset(names))
        if self._fields is None or self._fields[0] != key:
            self._fields = (key, _MeshFields(self, q, p, names))
        return self._fields[1]

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_fields"] = None  # a cache: not worth sending to worker processes
        return state

    @property
    def shape(self) -> tuple[int, int]:
        return self.lons.shape  # type: ignore[return-value]

    def window_middle(self, row0, col0, nrows, ncols) -> np.ndarray:
        """Middle point (lon, lat, depth) of windows, shape (N, 3): the central mesh point, or
        the mean of the two or four central points for even sizes."""
        row0, col0, nrows, ncols = (np.asarray(a, dtype=int) for a in (row0, col0, nrows, ncols))
        ra, rb = row0 + (nrows - 1) // 2, row0 + nrows // 2
        ca, cb = col0 + (ncols - 1) // 2, col0 + ncols // 2
        u = self.unit
        vec = u[ra, ca] + u[ra, cb] + u[rb, ca] + u[rb, cb]
        depth = (self.depths[ra, ca] + self.depths[ra, cb] + self.depths[rb, ca]
                 + self.depths[rb, cb]) / 4.0
        lons, lats, _ = cartesian_to_spherical(_normalized(vec) * EARTH_RADIUS)
        return np.stack([lons, lats, depth], axis=-1)

    def window_orientation(self, row0, col0, nrows, ncols) -> tuple[np.ndarray, np.ndarray]:
        """Strike and dip (degrees) of windows: the area-weighted means over the window's cells
        of the cells' strike (as unit vectors) and dip. A window without cells (one row or one
        column) gets the mean azimuth of its parent row's segments and a NaN dip."""
        row0, col0, nrows, ncols = (np.asarray(a, dtype=int) for a in (row0, col0, nrows, ncols))
        strike = self._row_strike[row0].copy()
        dip = np.full(len(row0), np.nan)
        has_cells = (nrows > 1) & (ncols > 1)
        if self._cell_sat is not None and has_cells.any():
            r0, c0 = row0[has_cells], col0[has_cells]
            r1, c1 = r0 + nrows[has_cells] - 1, c0 + ncols[has_cells] - 1
            sat = self._cell_sat
            total = sat[:, r1, c1] - sat[:, r0, c1] - sat[:, r1, c0] + sat[:, r0, c0]
            area, w_dip, w_sin, w_cos = total
            dip[has_cells] = w_dip / area
            strike[has_cells] = np.degrees(np.arctan2(w_sin, w_cos)) % 360.0
        return strike, dip

    def window_width(self, row0, nrows) -> np.ndarray:
        """Down-dip width (km): the mean over columns of the 3-D row-to-row distances."""
        return self._cum_width[row0 + nrows - 1] - self._cum_width[row0]


def _mean_angle(degrees: np.ndarray, axis: int) -> np.ndarray:
    rad = np.radians(degrees)
    return np.degrees(np.arctan2(np.sin(rad).sum(axis), np.cos(rad).sum(axis))) % 360.0


def _cell_orientation_sats(xyz: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """Summed-area tables (4, ny, nx) of the cells' area, area x dip, area x sin(strike) and
    area x cos(strike); the cell (r, c) spans nodes r..r+1, c..c+1."""
    along = ((xyz[:-1, 1:] - xyz[:-1, :-1]) + (xyz[1:, 1:] - xyz[1:, :-1])) / 2.0
    down = ((xyz[1:, :-1] - xyz[:-1, :-1]) + (xyz[1:, 1:] - xyz[:-1, 1:])) / 2.0
    normal = -np.cross(along, down)  # points up for a surface dipping to the right of strike
    area = np.linalg.norm(normal, axis=-1)
    centre = _normalized(unit[:-1, :-1] + unit[1:, 1:])
    with np.errstate(invalid="ignore", divide="ignore"):
        vertical = np.sum(normal * centre, axis=-1) / area
    dip = np.degrees(np.arccos(np.clip(np.abs(np.nan_to_num(vertical)), 0.0, 1.0)))
    # dip direction: horizontal part of the upward normal; strike = dip direction - 90
    up = np.where((vertical < 0)[..., None], -normal, normal)
    horizontal = up - np.sum(up * centre, axis=-1, keepdims=True) * centre
    lons, lats, _ = cartesian_to_spherical(centre * EARTH_RADIUS)
    east, north = local_basis(lons, lats)
    dip_dir = np.arctan2(np.sum(horizontal * east, -1), np.sum(horizontal * north, -1))
    # a vertical cell has no dip direction: take the along-strike direction of the cell
    strike_along = np.arctan2(np.sum(along * east, -1), np.sum(along * north, -1))
    strike = np.where(np.abs(vertical) < 1e-12, strike_along, dip_dir - np.pi / 2.0)
    weights = np.stack([area, area * dip, area * np.sin(strike), area * np.cos(strike)])
    sat = np.zeros((4,) + tuple(np.add(area.shape, 1)))
    sat[:, 1:, 1:] = np.cumsum(np.cumsum(weights, axis=1), axis=2)
    return sat


def _segment_azimuths(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    lon1, lat1 = np.radians(lons[:, :-1]), np.radians(lats[:, :-1])
    lon2, lat2 = np.radians(lons[:, 1:]), np.radians(lats[:, 1:])
    y = np.sin(lon2 - lon1) * np.cos(lat2)
    x = np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(lon2 - lon1)
    return np.degrees(np.arctan2(y, x)) % 360.0


class MeshSurfaces:
    """N ruptures that are rectangular windows of one :class:`FaultMesh`.

    Parameters
    ----------
    mesh : FaultMesh
    row0, col0 : array_like of int, shape (N,)
        Top-left mesh node of each window.
    nrows, ncols : array_like of int, shape (N,)
        Window size in mesh nodes (down dip, along strike).
    dip : array_like, shape (N,) or scalar
        Degrees; used for windows of a single row or column, which have no cells to measure
        the dip from.

    Notes
    -----
    :meth:`distances` computes the distances from each site to every node and segment of the
    parent mesh once, then takes window minima with sliding-window minima (about
    ``log2(size)`` passes of ``numpy.minimum`` per distinct window size) and summed-area tables,
    so its cost barely grows with the window sizes. Strike and dip of a window are the
    area-weighted means over its cells (as OpenQuake's mesh surfaces); its width the mean
    down-dip extent of its columns; ``ztor`` the depth of its top row.
    """

    #: sites per chunk are chosen so that a chunk's per-node arrays stay near this size
    CHUNK_ELEMENTS = 2_000_000

    def __init__(self, mesh: FaultMesh, row0, col0, nrows, ncols, dip) -> None:
        self.mesh = mesh
        self.row0 = np.atleast_1d(np.asarray(row0, dtype=np.int64))
        n = len(self.row0)
        self.col0 = np.broadcast_to(np.asarray(col0, dtype=np.int64), (n,)).copy()
        self.nrows = np.broadcast_to(np.asarray(nrows, dtype=np.int64), (n,)).copy()
        self.ncols = np.broadcast_to(np.asarray(ncols, dtype=np.int64), (n,)).copy()
        self._dip = np.broadcast_to(np.asarray(dip, dtype=float), (n,)).copy()
        ny, nx = mesh.shape
        if n and (
            self.row0.min() < 0 or self.col0.min() < 0 or self.nrows.min() < 1
            or self.ncols.min() < 1 or (self.row0 + self.nrows).max() > ny
            or (self.col0 + self.ncols).max() > nx
        ):
            raise ValueError(f"mesh windows exceed the parent mesh of shape {mesh.shape}")
        self._cache: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.row0)

    def __repr__(self) -> str:
        return f"MeshSurfaces(n={len(self)}, mesh={self.mesh.shape})"

    @property
    def strike(self) -> np.ndarray:
        if "strike" not in self._cache:
            self._orientation()
        return self._cache["strike"]

    @property
    def dip(self) -> np.ndarray:
        """Dip (degrees): the area-weighted mean dip of the window's cells, or the dip given
        at construction for windows of one row or column."""
        if "dip" not in self._cache:
            self._orientation()
        return self._cache["dip"]

    def _orientation(self) -> None:
        strike, dip = self.mesh.window_orientation(self.row0, self.col0, self.nrows, self.ncols)
        self._cache["strike"] = strike
        self._cache["dip"] = np.where(np.isnan(dip), self._dip, dip)

    @property
    def ztor(self) -> np.ndarray:
        return self.mesh.depths[self.row0].min(axis=1) if len(self) else np.zeros(0)

    @property
    def width(self) -> np.ndarray:
        return self.mesh.window_width(self.row0, self.nrows)

    @property
    def hypocentres(self) -> np.ndarray:
        """Middle points of the windows, (N, 3) lon, lat, depth."""
        return self.mesh.window_middle(self.row0, self.col0, self.nrows, self.ncols)

    def take(self, index) -> MeshSurfaces:
        return MeshSurfaces(
            self.mesh, self.row0[index], self.col0[index], self.nrows[index], self.ncols[index],
            self._dip[index],
        )

    # ---- cheap bound --------------------------------------------------------------------------

    def min_distance(self, lons, lats) -> np.ndarray:
        """Lower bound (km) of the horizontal distance, (N, S): distance to a central node of
        the window minus a path-length bound of the window's extent around it."""
        mesh = self.mesh
        ny, nx = mesh.shape
        rc = self.row0 + (self.nrows - 1) // 2
        cc = self.col0 + (self.ncols - 1) // 2
        h_max = mesh._h_len.max() if nx > 1 else 0.0
        v_max = mesh._v_len.max() if ny > 1 else 0.0
        reach_c = np.maximum(cc - self.col0, self.col0 + self.ncols - 1 - cc)
        reach_r = np.maximum(rc - self.row0, self.row0 + self.nrows - 1 - rc)
        # any point of a cell is within one cell's sides of one of its nodes
        radius = (reach_c + 1) * h_max + (reach_r + 1) * v_max + 1e-6
        _, p = _sites(lons, lats, None)
        zmax = np.full(len(self), mesh.depths.max())
        return _lower_bound(mesh.unit[rc, cc] @ p.T, radius, zmax)

    # ---- distances ----------------------------------------------------------------------------

    def distances(self, lons, lats, depths, names) -> dict[str, np.ndarray]:
        names = _check_names(names)
        q, p = _sites(lons, lats, depths)
        n_sites = len(p)
        out = {name: np.empty((len(self), n_sites)) for name in names}
        if not len(self) or not names:
            return out
        ny, nx = self.mesh.shape
        chunk = max(1, self.CHUNK_ELEMENTS // (ny * nx))
        key = self.nrows * (nx + 1) + self.ncols
        values, inverse = np.unique(key, return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[order], np.arange(len(values) + 1))
        groups = [
            (int(v // (nx + 1)), int(v % (nx + 1)), _as_slice(order[bounds[g]:bounds[g + 1]]))
            for g, v in enumerate(values)
        ]
        node_names = names - {"ry0"}
        for start in range(0, n_sites if node_names else 0, chunk):
            sl = slice(start, min(start + chunk, n_sites))
            fields = self.mesh.fields(q[sl], p[sl], node_names)
            for nr, nc, idx in groups:
                fields.windows(nr, nc, self.row0[idx], self.col0[idx], out, idx, sl)
        if "ry0" in names:
            self._ry0(p, out["ry0"])
        return out

    def _ry0(self, p: np.ndarray, out: np.ndarray) -> None:
        mesh, c1 = self.mesh, self.col0 + self.ncols - 1
        t_start = _tangent(mesh.unit[self.row0, self.col0], self.strike)
        t_end = _tangent(mesh.unit[self.row0, c1], self.strike)
        step = max(1, _CACHE_PAIRS // len(p))
        for start in range(0, len(self), step):
            sl = slice(start, start + step)
            s_start, s_end = t_start[sl] @ p.T, t_end[sl] @ p.T
            along = np.minimum(np.abs(s_start), np.abs(s_end))
            along[np.signbit(s_start) != np.signbit(s_end)] = 0.0
            out[sl] = _asin_km(along)


def _sub_index(index, part: slice):
    """``index[part]`` for an index that is a slice or an array."""
    if isinstance(index, slice):
        return slice(index.start + part.start, index.start + part.stop)
    return index[part]


def _as_slice(index: np.ndarray) -> np.ndarray | slice:
    """A contiguous increasing index as a slice (cheaper to read and write with)."""
    if len(index) and index[-1] - index[0] + 1 == len(index):
        return slice(int(index[0]), int(index[-1]) + 1)
    return index


class _MeshFields:
    """Distances from a chunk of S sites to every node and segment of a parent mesh, laid out
    as (ny, nx, S) arrays, and their minima over windows of one size."""

    def __init__(self, mesh: FaultMesh, q: np.ndarray, p: np.ndarray, names: set[str]) -> None:
        self.mesh = mesh
        self.names = names
        self.p = p
        ny, nx = mesh.shape
        # horizontal: squared chords between unit vectors, around a local origin for accuracy
        pu = p - mesh._ref_unit
        mu = mesh.unit.reshape(-1, 3) - mesh._ref_unit
        h2 = np.sum(mu * mu, 1)[:, None] + np.sum(pu * pu, 1)[None, :] - 2.0 * (mu @ pu.T)
        # chords between surface points, as OpenQuake's mesh distances (not great-circle arcs)
        self.h_km = (EARTH_RADIUS * np.sqrt(np.maximum(h2, 0.0))).reshape(ny, nx, -1)
        self._row_pass: dict[tuple[str, int], np.ndarray] = {}
        if "rrup" in names:
            qx = q - mesh._ref_xyz
            mx = mesh.xyz.reshape(-1, 3) - mesh._ref_xyz
            d2 = np.sum(mx * mx, 1)[:, None] + np.sum(qx * qx, 1)[None, :] - 2.0 * (mx @ qx.T)
            self.r2 = np.maximum(d2, 0.0).reshape(ny, nx, -1)
        if names & {"rjb", "rx"}:
            self._segments()

    def _dots(self, vectors: np.ndarray) -> np.ndarray:
        """``vectors`` (a, b, 3) dotted with every site: (a, b, S)."""
        a, b, _ = vectors.shape
        return (vectors.reshape(-1, 3) @ self.p.T).reshape(a, b, -1)

    def _segments(self) -> None:
        mesh = self.mesh
        ny, nx = mesh.shape
        u = mesh.unit
        if nx > 1:  # along strike: (r, c) -> (r, c + 1)
            pole = mesh._h_pole
            before = self._dots(np.cross(pole, u[:, :-1])) < 0
            after = self._dots(np.cross(u[:, 1:], pole)) < 0
            xt = -_asin_km(self._dots(pole))  # + on the right (hanging wall)
            d_a, d_b = self.h_km[:, :-1], self.h_km[:, 1:]
            seg = np.where(before, d_a, np.where(after, d_b, np.abs(xt)))
            self.h_seg = np.where(mesh._h_ok[..., None], seg, np.minimum(d_a, d_b))
            if "rx" in self.names:
                sign = np.where(xt < 0, -1.0, 1.0)
                signed = np.where(before, sign * d_a, np.where(after, sign * d_b, xt))
                self.rx_pos = np.where(signed >= 0, signed, np.inf)
                self.rx_neg = np.where(signed < 0, -signed, np.inf)
                self.rx_back = np.where(after, sign * d_b, xt)  # first segment, extended back
                self.rx_fwd = np.where(before, sign * d_a, xt)  # last segment, extended forward
                self.rx_full = xt
        if ny > 1:  # down dip: (r, c) -> (r + 1, c)
            pole = mesh._v_pole
            before = self._dots(np.cross(pole, u[:-1])) < 0
            after = self._dots(np.cross(u[1:], pole)) < 0
            d_a, d_b = self.h_km[:-1], self.h_km[1:]
            along = np.where(before, d_a, np.where(after, d_b, np.abs(_asin_km(self._dots(pole)))))
            self.v_seg = np.where(mesh._v_ok[..., None], along, np.minimum(d_a, d_b))
            if nx > 1 and "rjb" in self.names:
                # sines of the angular distances to the four sides of each cell, signed so
                # that all have the same sign inside; a site within 1 mm of a side counts
                # on both sides of it, so nodes and shared sides belong to their cells
                s_h = self._dots(mesh._h_pole)
                s_v = self._dots(mesh._v_pole)
                top, bottom = s_h[:-1], -s_h[1:]
                left, right = -s_v[:, :-1], s_v[:, 1:]
                tol = 1e-6 / EARTH_RADIUS
                pos = (top >= -tol) & (right >= -tol) & (bottom >= -tol) & (left >= -tol)
                neg = (top <= tol) & (right <= tol) & (bottom <= tol) & (left <= tol)
                cell_ok = mesh._v_ok[:, :-1] & mesh._v_ok[:, 1:]
                inside = (pos | neg) & cell_ok[..., None]
                sat = np.zeros((ny, nx, inside.shape[-1]), dtype=np.int32)
                sat[1:, 1:] = np.cumsum(np.cumsum(inside, axis=0, dtype=np.int32), axis=1)
                self.inside_sat = sat

    def _window_min(self, name: str, field: np.ndarray, nr: int, nc: int) -> np.ndarray:
        key = (name, nr)
        if key not in self._row_pass:
            self._row_pass[key] = _sliding_min(field, nr, 0)
        return _sliding_min(self._row_pass[key], nc, 1)

    def windows(self, nr: int, nc: int, row0, col0, out: dict, index, sites: slice) -> None:
        """Write the distances of windows of size (nr, nc) at (row0, col0) into
        ``out[name][index, sites]``."""
        names = self.names
        ny, nx = self.mesh.shape
        fields: dict[str, np.ndarray] = {}
        if "rrup" in names:
            fields["r2"] = self._window_min("r2", self.r2, nr, nc)
        if "rjb" in names:
            fields["h"] = self._window_min("h", self.h_km, nr, nc)
            if nc > 1:
                fields["hs"] = _sliding_min(self.h_seg, nc - 1, 1)
            if nr > 1:
                fields["vs"] = _sliding_min(self.v_seg, nr - 1, 0)
        if "rx" in names and nc > 3:
            rows = slice(0, ny - nr + 1)  # only rows that are top edges
            fields["pos"] = _sliding_min(self.rx_pos[rows], nc - 3, 1)
            fields["neg"] = _sliding_min(self.rx_neg[rows], nc - 3, 1)
        n = len(row0)
        step = max(1, _CACHE_PAIRS // self.p.shape[0])
        for start in range(0, n, step):
            part = slice(start, min(start + step, n))
            r0, c0 = row0[part], col0[part]
            target = _sub_index(index, part)
            if "rrup" in names:
                out["rrup"][target, sites] = np.sqrt(fields["r2"][r0, c0])
            if "rjb" in names:
                out["rjb"][target, sites] = self._rjb(fields, nr, nc, r0, c0)
            if "rx" in names:
                out["rx"][target, sites] = self._rx(fields, nc, r0, c0)

    def _rjb(self, fields, nr: int, nc: int, row0, col0) -> np.ndarray:
        r1, c1 = row0 + nr - 1, col0 + nc - 1
        nearest = fields["h"][row0, col0]
        if nr == 1 and nc == 1:
            return nearest
        if nc > 1:
            hs = fields["hs"]
            outline = np.minimum(hs[row0, col0], hs[r1, col0])
            if nr > 1:
                vs = fields["vs"]
                np.minimum(outline, vs[row0, col0], out=outline)
                np.minimum(outline, vs[row0, c1], out=outline)
        else:
            vs = fields["vs"]
            outline = np.minimum(vs[row0, col0], vs[row0, c1])
        if nr > 1 and nc > 1 and hasattr(self, "inside_sat"):
            sat = self.inside_sat
            count = sat[r1, c1] - sat[row0, c1] - sat[r1, col0] + sat[row0, col0]
            outline[count > 0] = 0.0
        far = nearest >= JB_POLYGON_DISTANCE
        outline[far] = nearest[far]
        return outline

    def _rx(self, fields, nc: int, row0, col0) -> np.ndarray:
        mesh, p = self.mesh, self.p
        if nc == 1 or mesh.shape[1] == 1:
            strike = mesh._row_strike[row0]
            unit = mesh.unit[row0, col0]
            pole = np.cross(unit, _tangent(unit, strike))
            return -_asin_km(pole @ p.T)
        if nc == 2:
            return self.rx_full[row0, col0]
        c1 = col0 + nc - 1
        first = self.rx_back[row0, col0]
        last = self.rx_fwd[row0, c1 - 1]
        best = np.where(np.abs(first) <= np.abs(last), first, last)
        if nc > 3:
            pos = fields["pos"][row0, col0 + 1]
            neg = fields["neg"][row0, col0 + 1]
            middle = np.where(pos <= neg, pos, -neg)
            best = np.where(np.abs(middle) < np.abs(best), middle, best)
        return best
