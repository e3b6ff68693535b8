"""Complex fault surfaces: a fault mesh stretched between a top, intermediate and bottom edges.

A complex fault (NRML ``complexFaultGeometry``) is given by two or more 3-D polylines, its
*edges*, ordered from the shallowest (the top edge) to the deepest (the bottom edge); each edge
runs along strike. The surface between them is meshed with the construction of OpenQuake's
complex fault surface (Pagani et al. 2014):

1. the number of nodes along strike is :math:`n_x = \\mathrm{round}(\\bar L / s) + 1`, with
   :math:`\\bar L` the mean 3-D length of the edges and :math:`s` the mesh spacing;
2. every edge is resampled into :math:`n_x` points equally spaced along its own length, so that
   the :math:`j`-th points of all the edges form a down-dip polyline (a *column*);
3. the number of nodes down dip is :math:`n_y = \\mathrm{round}(\\bar W / s) + 1`, with
   :math:`\\bar W` the mean 3-D length of the columns;
4. every column is resampled into :math:`n_y` points equally spaced along its length, i.e. the
   points between two consecutive edges lie on the straight (great-circle, linear in depth)
   segments joining them.

Lengths along a polyline combine the great-circle distance and the depth difference by
Pythagoras, and points between two vertices lie on the great circle through them with the depth
varying linearly (the conventions of :func:`~toolkit.engine.hazard.geo.resample_line`).

Orientation: the surface must dip to the right of the edges' direction (Aki & Richards 1980).
Edges given in the opposite direction are reversed, so that the mesh, and the sign of ``rx``,
follow the convention; a vertical surface keeps the order it is given in.

The resulting :class:`~toolkit.engine.hazard.surfaces.MeshSurfaces` covering the whole mesh has
``ztor`` the smallest depth of the mesh's top row (the resampled top edge: its end points are
kept, an interior vertex may be cut), ``dip`` the area-weighted mean dip of the mesh cells and
``width`` the mean down-dip length of the columns.

References
----------
Aki, K., and Richards, P. G. (1980). Quantitative Seismology. W. H. Freeman.
Pagani, M., et al. (2014). OpenQuake Engine: An open hazard (and risk) software for the Global
Earthquake Model. Seismological Research Letters 85(3), 692-702.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from toolkit.engine.hazard.geo import (
    EARTH_RADIUS,
    cartesian_to_spherical,
    geodetic_distance,
    unit_vectors,
)
from toolkit.engine.hazard.surfaces import FaultMesh, MeshSurfaces
from toolkit.errors import InputError

__all__ = ["complex_fault_mesh", "complex_fault_surface", "resample_polylines"]

#: a bottom corner closer than this (km) to the top edge's great circle counts as vertical
_VERTICAL_TOLERANCE = 1e-6


def _polyline_lengths(lons: np.ndarray, lats: np.ndarray, depths: np.ndarray) -> np.ndarray:
    """3-D lengths (km) of the segments of polylines given as (m, C) vertex arrays: (m-1, C)."""
    horizontal = geodetic_distance(lons[:-1], lats[:-1], lons[1:], lats[1:])
    return np.hypot(horizontal, depths[1:] - depths[:-1])


def resample_polylines(
    lons, lats, depths, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Resample polylines into ``n`` points equally spaced along their 3-D length.

    Parameters
    ----------
    lons, lats, depths : array_like, shape (m,) or (m, C)
        Vertices of one polyline, or of C polylines with m vertices each (one per column).
    n : int
        Number of points (>= 2); the first and last are the polyline's end points.

    Returns
    -------
    lons, lats, depths : ndarray, shape (n,) or (n, C)
    """
    lons, lats, depths = (np.asarray(a, dtype=float) for a in (lons, lats, depths))
    one = lons.ndim == 1
    if one:
        lons, lats, depths = lons[:, None], lats[:, None], depths[:, None]
    m, ncol = lons.shape
    seg = _polyline_lengths(lons, lats, depths)  # (m - 1, C)
    cum = np.vstack([np.zeros((1, ncol)), np.cumsum(seg, axis=0)])  # (m, C)
    targets = np.linspace(0.0, 1.0, n)[:, None] * cum[-1][None, :]  # (n, C)
    cols = np.arange(ncol)[None, :]
    # segment of each target: the last vertex at or before it, at most the last segment
    idx = np.sum(cum[None, :, :] <= targets[:, None, :], axis=1) - 1
    idx = np.clip(idx, 0, m - 2)
    length = seg[idx, cols]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(length > 0, (targets - cum[idx, cols]) / length, 0.0)
    frac = np.clip(frac, 0.0, 1.0)
    unit = unit_vectors(lons, lats)  # (m, C, 3)
    a, b = unit[idx, cols], unit[idx + 1, cols]  # (n, C, 3)
    theta = np.arccos(np.clip(np.sum(a * b, axis=-1), -1.0, 1.0))  # (n, C)
    sin_theta = np.sin(theta)
    small = sin_theta < 1e-15
    safe = np.where(small, 1.0, sin_theta)
    wa = np.where(small, 1.0 - frac, np.sin((1.0 - frac) * theta) / safe)
    wb = np.where(small, frac, np.sin(frac * theta) / safe)
    point = wa[..., None] * a + wb[..., None] * b  # spherical linear interpolation
    point /= np.linalg.norm(point, axis=-1, keepdims=True)
    out_lons, out_lats, _ = cartesian_to_spherical(point * EARTH_RADIUS)
    out_depths = depths[idx, cols] + frac * (depths[idx + 1, cols] - depths[idx, cols])
    # keep the end points exactly
    out_lons[0], out_lats[0], out_depths[0] = lons[0], lats[0], depths[0]
    out_lons[-1], out_lats[-1], out_depths[-1] = lons[-1], lats[-1], depths[-1]
    if one:
        return out_lons[:, 0], out_lats[:, 0], out_depths[:, 0]
    return out_lons, out_lats, out_depths


def _check_edges(edges: Sequence[np.ndarray]) -> list[np.ndarray]:
    if len(edges) < 2:
        raise InputError(f"a complex fault needs at least 2 edges (top and bottom), got "
                         f"{len(edges)}")
    out = []
    for i, edge in enumerate(edges):
        edge = np.asarray(edge, dtype=float)
        if edge.ndim != 2 or edge.shape[1] != 3 or len(edge) < 2:
            raise InputError(f"complex fault edge {i} must be an (n >= 2, 3) array of lon, lat, "
                             f"depth, got shape {edge.shape}")
        if not np.all(np.isfinite(edge)):
            raise InputError(f"complex fault edge {i} has non-finite coordinates")
        out.append(edge)
    for i in range(1, len(out)):
        if out[i][:, 2].mean() <= out[i - 1][:, 2].mean():
            raise InputError(
                f"complex fault edge {i} (mean depth {out[i][:, 2].mean():g} km) is not below "
                f"edge {i - 1} (mean depth {out[i - 1][:, 2].mean():g} km): edges must be "
                "ordered from the top edge down to the bottom edge"
            )
    return out


def _dips_left(top: np.ndarray, bottom: np.ndarray) -> bool:
    """Whether the surface from ``top`` to ``bottom`` dips to the left of the top edge's
    direction: the bottom edge's mid point is on the left of the great circle through the top
    edge's end points."""
    a, b = unit_vectors(top[[0, -1], 0], top[[0, -1], 1])
    pole = np.cross(a, b)
    norm = np.linalg.norm(pole)
    if norm == 0.0:
        return False
    mid = unit_vectors(bottom[:, 0], bottom[:, 1]).mean(axis=0)
    mid /= np.linalg.norm(mid)
    side = EARTH_RADIUS * float(mid @ (pole / norm))  # > 0 on the left
    return side > _VERTICAL_TOLERANCE


def complex_fault_mesh(edges: Sequence[np.ndarray], spacing: float) -> FaultMesh:
    """The mesh of a complex fault surface (see the module docstring).

    Parameters
    ----------
    edges : sequence of ndarray, each of shape (n_i, 3)
        lon, lat, depth (km) of the vertices of the top edge, any intermediate edges and the
        bottom edge, in this order (from the shallowest to the deepest).
    spacing : float
        Mesh spacing, km.

    Returns
    -------
    FaultMesh
        Row 0 is the (resampled) top edge; columns run along strike.

    Raises
    ------
    InputError
        Fewer than 2 edges, an edge with fewer than 2 points, edges not ordered by depth, a
        non-positive spacing, or a spacing so large that the mesh has fewer than 2 x 2 nodes.
    """
    spacing = float(spacing)
    if not (np.isfinite(spacing) and spacing > 0):
        raise InputError(f"the complex fault mesh spacing must be positive, got {spacing}")
    edges = _check_edges(edges)
    if _dips_left(edges[0], edges[-1]):
        edges = [edge[::-1] for edge in edges]
    lengths = [float(_polyline_lengths(*edge.T[:, :, None]).sum()) for edge in edges]
    mean_length = float(np.mean(lengths))
    nx = int(round(mean_length / spacing)) + 1
    if nx < 2:
        raise InputError(f"the complex fault mesh spacing {spacing:g} km is too large for the "
                         f"mean edge length {mean_length:g} km (at least 2 nodes along strike "
                         "are needed)")
    rows = [resample_polylines(edge[:, 0], edge[:, 1], edge[:, 2], nx) for edge in edges]
    col_lons, col_lats, col_depths = (np.array([r[k] for r in rows]) for k in range(3))  # (E, nx)
    mean_width = float(_polyline_lengths(col_lons, col_lats, col_depths).sum(axis=0).mean())
    ny = int(round(mean_width / spacing)) + 1
    if ny < 2:
        raise InputError(f"the complex fault mesh spacing {spacing:g} km is too large for the "
                         f"mean down-dip width {mean_width:g} km (at least 2 nodes down dip are "
                         "needed)")
    lons, lats, depths = resample_polylines(col_lons, col_lats, col_depths, ny)
    return FaultMesh(lons, lats, depths)


def complex_fault_surface(edges: Sequence[np.ndarray], spacing: float) -> MeshSurfaces:
    """One rupture covering the whole complex fault mesh (see :func:`complex_fault_mesh`)."""
    mesh = complex_fault_mesh(edges, spacing)
    ny, nx = mesh.shape
    top, bottom = mesh.depths[0].mean(), mesh.depths[-1].mean()
    width = mesh.window_width(np.array([0]), np.array([ny]))[0]
    # fallback dip for meshes without cells (never used: the mesh has at least 2 x 2 nodes)
    dip = float(np.degrees(np.arcsin(np.clip((bottom - top) / width, 0.0, 1.0))))
    return MeshSurfaces(mesh, [0], [0], [ny], [nx], dip)
