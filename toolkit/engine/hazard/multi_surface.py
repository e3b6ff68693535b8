"""A rupture made of several sub-surfaces (planar rectangles and/or fault-mesh windows).

:class:`MultiSurfaces` implements the :class:`~toolkit.engine.hazard.ruptures.Surfaces`
protocol for ruptures such as NRML's ``multiPlanesRupture``: one rupture whose surface is the
union of K sub-surfaces, each a :class:`~toolkit.engine.hazard.surfaces.PlanarSurfaces`
rectangle or a :class:`~toolkit.engine.hazard.surfaces.MeshSurfaces` window.

Distances
---------
* ``rrup`` and ``rjb``: the smallest over the sub-surfaces (each computed by its own class).
* ``rx`` and ``ry0``: the Generalized Coordinate System GC2 of Spudich & Chiou (2015) over the
  top edges of the sub-surfaces (their surface projections), described below.

GC2 (Spudich & Chiou 2015)
--------------------------
The top edges form one or more *traces*: consecutive top edges whose end and start points are
closer than 1 m are joined into one trace. Each trace is a polyline of segments :math:`i` of
length :math:`l_i`. For a site, let :math:`t_i` be its signed distance from the great circle of
segment :math:`i` (positive on the right of the segment's direction, the hanging-wall side) and
:math:`u_i` the distance along that great circle from the segment's start to the foot of the
perpendicular. The segment weight is the integral of :math:`1/r^2` along the segment,

.. math:: w_i = \\frac{1}{t_i}\\left[\\arctan\\frac{l_i - u_i}{t_i}
          - \\arctan\\frac{-u_i}{t_i}\\right],

with the limit :math:`w_i = 1/(u_i - l_i) - 1/u_i` when :math:`t_i = 0`; then

.. math:: T = \\frac{\\sum_i w_i t_i}{\\sum_i w_i}, \\qquad
          U = \\frac{\\sum_i w_i (u_i + s_i)}{\\sum_i w_i},

where :math:`s_i` is the U coordinate of the segment's start. A site on a segment has
:math:`T = 0` and :math:`U = s_i + u_i`. Within a trace, :math:`s_i` is the trace's offset plus
the length of the trace before the segment. With several traces (Spudich & Chiou's extension
of GC2 to multiple traces): a trace whose end-to-end vector points against the sum of all of
them (a discordant trace) is reversed; the nominal strike :math:`\\hat b` is the direction of
the sum of the (reoriented) end-to-end vectors (when the vectors cancel out, the longest trace
sets the direction); the offset of a trace is the projection on :math:`\\hat b` of its start
point relative to the start point projecting lowest.

Then ``rx = T`` and ``ry0 = max(-U, U - U_max, 0)`` with :math:`U_{max}` the largest U of a
trace end (its offset plus its length). For a single straight top edge, ``rx`` is the signed
distance to the great circle of the edge (as for a planar rupture) and ``ry0`` the distance
beyond the edge's ends measured along that great circle (a planar rupture measures it from
the great circles perpendicular to the strike at the edge's ends: the two differ by
:math:`r_{y0}\\,(r_x/R)^2/2`, 0.3 m for ``ry0`` = 10 km at ``rx`` = 50 km, plus ``rx`` times
the change of the edge's azimuth from one end to the other).

Limits: GC2 is defined on a plane; here :math:`t_i`, :math:`u_i` and :math:`l_i` are measured
on the sphere, and only the trace offsets use the (planar) projection on :math:`\\hat b` in the
tangent plane at the rupture centre, which is accurate for ruptures a few hundred km long.
Sub-surfaces dipping in opposite directions make a discordant trace, whose ``rx`` sign follows
the reoriented direction (as in GC2).

Other attributes
----------------
``strike``: the area-weighted circular mean of the sub-surfaces' strikes; ``dip`` and
``width``: area-weighted means; ``ztor``: the smallest.

References
----------
Spudich, P., and Chiou, B. (2015). Strike-parallel and strike-normal coordinate system around
geometrically complicated rupture traces: Use by NGA-West2 and further improvements. U.S.
Geological Survey Open-File Report 2015-1028. https://doi.org/10.3133/ofr20151028
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from toolkit.engine.hazard.geo import EARTH_RADIUS, cartesian_to_spherical, unit_vectors
from toolkit.engine.hazard.surfaces import MeshSurfaces, PlanarSurfaces

__all__ = ["MultiSurfaces", "GC2"]

_NAMES = frozenset({"rrup", "rjb", "rx", "ry0"})

#: top edges whose end and next start are closer than this (km) form one trace
JOIN_TOLERANCE = 1e-3

#: a site closer than this (km) to a segment's great circle counts as on it
_ON_LINE = 1e-9

#: segment-site pairs per chunk of work
_CHUNK_PAIRS = 1 << 16


def _normalized(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


class GC2:
    """GC2 coordinates (T, U) of sites relative to one or more traces (see the module
    docstring).

    Parameters
    ----------
    traces : sequence of ndarray, each of shape (m_j, 2)
        lon, lat of the vertices of each trace (m_j >= 2), in the order of the sub-surfaces.
        Consecutive traces that touch (within :data:`JOIN_TOLERANCE`) are joined.
    """

    def __init__(self, traces: Sequence[np.ndarray]) -> None:
        units = [unit_vectors(t[:, 0], t[:, 1]) for t in (np.asarray(t, float) for t in traces)]
        if not units or any(len(u) < 2 for u in units):
            raise ValueError("GC2 needs one or more traces of at least 2 points")
        joined = [units[0]]
        for u in units[1:]:
            gap = EARTH_RADIUS * np.linalg.norm(joined[-1][-1] - u[0])
            if gap < JOIN_TOLERANCE:
                joined[-1] = np.vstack([joined[-1], u[1:]])
            else:
                joined.append(u)
        # drop repeated vertices (zero-length segments)
        joined = [u[np.r_[True, EARTH_RADIUS * np.linalg.norm(np.diff(u, axis=0), axis=1)
                          > 1e-9]] for u in joined]
        joined = [u for u in joined if len(u) >= 2]
        if not joined:
            raise ValueError("GC2 traces have zero length")
        ends = np.array([u[-1] - u[0] for u in joined])
        total = ends.sum(axis=0)
        sizes = np.linalg.norm(ends, axis=1)
        if np.linalg.norm(total) < 1e-6 * sizes.sum():  # traces cancel out: follow the longest
            total = ends[np.argmax(sizes)]
        signs = np.where(ends @ total < 0, -1.0, 1.0)
        joined = [u[::-1] if s < 0 else u for u, s in zip(joined, signs, strict=True)]
        centre = _normalized(np.concatenate(joined).mean(axis=0))
        b = (signs[:, None] * ends).sum(axis=0)
        b -= (b @ centre) * centre  # tangent at the centre
        norm = np.linalg.norm(b)
        b_hat = b / norm if norm > 0 else b
        starts = np.array([u[0] for u in joined])
        proj = EARTH_RADIUS * (starts @ b_hat)
        offsets = proj - proj.min() if len(joined) > 1 else np.zeros(1)
        a_list, b_list, s_list = [], [], []
        u_max = 0.0
        for u, offset in zip(joined, offsets, strict=True):
            a, e = u[:-1], u[1:]
            lengths = EARTH_RADIUS * np.arctan2(np.linalg.norm(np.cross(a, e), axis=1),
                                                np.sum(a * e, axis=1))
            a_list.append(a)
            b_list.append(e)
            s_list.append(offset + np.concatenate([[0.0], np.cumsum(lengths)[:-1]]))
            u_max = max(u_max, offset + lengths.sum())
        self.start = np.concatenate(a_list)  # (K, 3) unit vectors
        end = np.concatenate(b_list)
        self.pole = _normalized(np.cross(self.start, end))  # + on the left
        self.tangent = np.cross(self.pole, self.start)  # along the segment at its start
        self.length = EARTH_RADIUS * np.arctan2(
            np.linalg.norm(np.cross(self.start, end), axis=1), np.sum(self.start * end, axis=1))
        self.offset = np.concatenate(s_list)
        #: largest U of a trace end, km
        self.u_max = u_max
        self.n_traces = len(joined)

    def coordinates(self, lons, lats) -> tuple[np.ndarray, np.ndarray]:
        """T (strike-normal, positive on the hanging-wall side) and U (strike-parallel)
        coordinates (km) of the sites, each of shape (S,)."""
        p = unit_vectors(np.atleast_1d(np.asarray(lons, float)),
                         np.atleast_1d(np.asarray(lats, float)))
        n_sites = len(p)
        t_out, u_out = np.empty(n_sites), np.empty(n_sites)
        step = max(1, _CHUNK_PAIRS // len(self.start))
        for first in range(0, n_sites, step):
            sl = slice(first, first + step)
            t_out[sl], u_out[sl] = self._coordinates(p[sl])
        return t_out, u_out

    def _coordinates(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        length, offset = self.length[:, None], self.offset[:, None]
        t = -EARTH_RADIUS * np.arcsin(np.clip(self.pole @ p.T, -1.0, 1.0))  # (K, S)
        u = EARTH_RADIUS * np.arctan2(self.tangent @ p.T, self.start @ p.T)
        on_line = np.abs(t) < _ON_LINE
        on_segment = on_line & (u >= -_ON_LINE) & (u <= length + _ON_LINE)
        safe_t = np.where(on_line, 1.0, t)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = (np.arctan((length - u) / safe_t) - np.arctan(-u / safe_t)) / safe_t
            limit = 1.0 / (u - length) - 1.0 / u
        w = np.where(on_line, np.where(on_segment, 0.0, limit), w)
        total = w.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            big_t = (w * t).sum(axis=0) / total
            big_u = (w * (u + offset)).sum(axis=0) / total
        hit = on_segment.any(axis=0)
        if hit.any():
            first = np.argmax(on_segment, axis=0)[hit]
            cols = np.flatnonzero(hit)
            big_t[hit] = 0.0
            big_u[hit] = u[first, cols] + self.offset[first]
        return big_t, big_u

    def rx_ry0(self, lons, lats) -> tuple[np.ndarray, np.ndarray]:
        """``rx`` = T and ``ry0`` = max(-U, U - U_max, 0), km, shape (S,)."""
        big_t, big_u = self.coordinates(lons, lats)
        ry0 = np.maximum(np.maximum(-big_u, big_u - self.u_max), 0.0)
        return big_t, ry0


def _top_edges(part) -> list[np.ndarray]:
    """Surface projections (lon, lat) of the top edges of a part's sub-surfaces."""
    if isinstance(part, PlanarSurfaces):
        corners = part.corners
        return [corners[k, :2, :2] for k in range(len(part))]
    if isinstance(part, MeshSurfaces):
        mesh = part.mesh
        return [
            np.column_stack([mesh.lons[r, c:c + n], mesh.lats[r, c:c + n]])
            for r, c, n in zip(part.row0, part.col0, part.ncols, strict=True)
        ]
    if hasattr(part, "top_edges"):
        return [np.asarray(e, float)[:, :2] for e in part.top_edges()]
    raise TypeError(f"MultiSurfaces cannot find the top edges of {part!r}: expected "
                    "PlanarSurfaces, MeshSurfaces or an object with top_edges()")


def _areas(part) -> np.ndarray:
    """Areas (km2) of a part's sub-surfaces."""
    if isinstance(part, PlanarSurfaces):
        return part.length * part.width
    if isinstance(part, MeshSurfaces):
        xyz = part.mesh.xyz
        out = np.empty(len(part))
        for k, (r, c, nr, nc) in enumerate(
            zip(part.row0, part.col0, part.nrows, part.ncols, strict=True)
        ):
            w = xyz[r:r + nr, c:c + nc]
            if nr < 2 or nc < 2:
                out[k] = 0.0
                continue
            along = ((w[:-1, 1:] - w[:-1, :-1]) + (w[1:, 1:] - w[1:, :-1])) / 2.0
            down = ((w[1:, :-1] - w[:-1, :-1]) + (w[1:, 1:] - w[:-1, 1:])) / 2.0
            out[k] = np.linalg.norm(np.cross(along, down), axis=-1).sum()
        return out
    if hasattr(part, "area"):
        return np.broadcast_to(np.asarray(part.area, float), (len(part),))
    raise TypeError(f"MultiSurfaces cannot compute the areas of {part!r}")


class MultiSurfaces:
    """One rupture whose surface is made of several sub-surfaces (see the module docstring).

    Parameters
    ----------
    parts : sequence of Surfaces
        :class:`~toolkit.engine.hazard.surfaces.PlanarSurfaces` and/or
        :class:`~toolkit.engine.hazard.surfaces.MeshSurfaces`; every element of every part
        is a sub-surface of the one rupture (e.g. one PlanarSurfaces holding the K planes of
        a ``multiPlanesRupture``). The order matters for GC2: top edges that follow each
        other and touch are joined into one trace.

    Notes
    -----
    ``len()`` is 1. :meth:`take` follows the protocol: it returns the rupture repeated as many
    times as the index selects (0 for an empty selection), so that a calculator can filter
    and index it like any other collection; distances are computed once and repeated.
    """

    def __init__(self, parts: Sequence, _count: int = 1) -> None:
        self.parts = list(parts)
        if not self.parts or any(len(part) == 0 for part in self.parts):
            raise ValueError("MultiSurfaces needs one or more non-empty sub-surfaces")
        self._count = int(_count)
        self._gc2: GC2 | None = None
        self._summary: dict[str, float] | None = None

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:
        return f"MultiSurfaces(n={len(self)}, sub_surfaces={self.n_sub_surfaces})"

    @property
    def n_sub_surfaces(self) -> int:
        return sum(len(part) for part in self.parts)

    @property
    def gc2(self) -> GC2:
        """The GC2 coordinate system of the top edges (built once)."""
        if self._gc2 is None:
            self._gc2 = GC2([edge for part in self.parts for edge in _top_edges(part)])
        return self._gc2

    # ---- attributes ---------------------------------------------------------------------------

    def _values(self) -> dict[str, float]:
        if self._summary is None:
            area = np.concatenate([_areas(part) for part in self.parts])
            weights = area if area.sum() > 0 else np.ones_like(area)
            strike = np.radians(np.concatenate([part.strike for part in self.parts]))
            dip = np.concatenate([part.dip for part in self.parts])
            width = np.concatenate([part.width for part in self.parts])
            ztor = np.concatenate([part.ztor for part in self.parts])
            mean_strike = np.degrees(np.arctan2(weights @ np.sin(strike),
                                                weights @ np.cos(strike))) % 360.0
            self._summary = {
                "strike": float(mean_strike),
                "dip": float(weights @ dip / weights.sum()),
                "width": float(weights @ width / weights.sum()),
                "ztor": float(ztor.min()),
                "area": float(area.sum()),
            }
        return self._summary

    def _column(self, name: str) -> np.ndarray:
        return np.full(len(self), self._values()[name])

    @property
    def strike(self) -> np.ndarray:
        """Area-weighted circular mean strike (degrees), shape (N,)."""
        return self._column("strike")

    @property
    def dip(self) -> np.ndarray:
        """Area-weighted mean dip (degrees), shape (N,)."""
        return self._column("dip")

    @property
    def width(self) -> np.ndarray:
        """Area-weighted mean down-dip width (km), shape (N,)."""
        return self._column("width")

    @property
    def ztor(self) -> np.ndarray:
        """Smallest depth of the top of the sub-surfaces (km), shape (N,)."""
        return self._column("ztor")

    @property
    def area(self) -> np.ndarray:
        """Total area of the sub-surfaces (km2), shape (N,)."""
        return self._column("area")

    def centroids(self) -> np.ndarray:
        """Area-weighted centroid (lon, lat, depth) of the sub-surfaces' middle points (the
        mean of a rectangle's corners, the middle node of a mesh window), shape (N, 3)."""
        middles = np.concatenate([
            part.corners.mean(axis=1) if isinstance(part, PlanarSurfaces)
            else part.hypocentres for part in self.parts
        ])
        area = np.concatenate([_areas(part) for part in self.parts])
        weights = area if area.sum() > 0 else np.ones_like(area)
        unit = weights @ unit_vectors(middles[:, 0], middles[:, 1])
        lon, lat, _ = cartesian_to_spherical(unit)
        depth = weights @ middles[:, 2] / weights.sum()
        return np.tile([float(lon), float(lat), depth], (len(self), 1))

    # ---- protocol -----------------------------------------------------------------------------

    def take(self, index) -> MultiSurfaces:
        count = np.atleast_1d(np.arange(len(self))[index]).size
        out = MultiSurfaces(self.parts, count)
        out._gc2, out._summary = self._gc2, self._summary
        return out

    def min_distance(self, lons, lats) -> np.ndarray:
        """Lower bound (km) of rjb and rrup, shape (N, S): the smallest of the sub-surfaces'
        bounds."""
        best = np.min(np.vstack([part.min_distance(lons, lats) for part in self.parts]), axis=0)
        return np.broadcast_to(best, (len(self), len(best))).copy()

    def distances(self, lons, lats, depths, names) -> dict[str, np.ndarray]:
        names = set(names)
        unknown = names - _NAMES
        if unknown:
            raise ValueError(f"unknown distance(s) {sorted(unknown)}; known: {sorted(_NAMES)}")
        n_sites = np.atleast_1d(np.asarray(lons)).size
        out = {name: np.empty((len(self), n_sites)) for name in names}
        if not len(self) or not names:
            return out
        values: dict[str, np.ndarray] = {}
        closest = names & {"rrup", "rjb"}
        if closest:
            per_part = [part.distances(lons, lats, depths, closest) for part in self.parts]
            for name in closest:
                values[name] = np.min(np.vstack([d[name] for d in per_part]), axis=0)
        if names & {"rx", "ry0"}:
            values["rx"], values["ry0"] = self.gc2.rx_ry0(lons, lats)
        for name in names:
            out[name][:] = values[name][None, :]
        return out
