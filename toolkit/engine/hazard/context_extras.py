"""Context parameters built only when a GSIM asks for them: ``azimuth``, ``clon``/``clat``,
``rvolc``.

========== ===== ===========================================================================
name       unit  meaning
========== ===== ===========================================================================
azimuth    deg   azimuth of the site seen from the middle point of the rupture surface,
                 measured clockwise from the rupture's strike, in [0, 360)
clon, clat deg   the point of the rupture surface closest to the site (where ``rrup`` is
                 measured), projected to the Earth's surface
rvolc      km    length of the source-to-site path inside a volcanic zone; 0: the toolkit
                 takes no volcanic-front file at the job level (a GSIM given its own
                 ``volc_arc_file`` computes the path from ``clon``, ``clat``, ``lon``, ``lat``)
========== ===== ===========================================================================

``azimuth`` is used by models with elliptical attenuation (e.g. Yu et al. 2013, whose
isoseismals have their long axis along the strike); ``clon``/``clat`` and ``rvolc`` by
path-dependent subduction models (Zhao et al. 2016 with a volcanic-arc correction).

Geometry: the middle point of a planar rupture is the centroid of its four corners; of a
window of a fault mesh its central node (the mean of the central nodes for even sizes). The
closest point of a planar rupture is the orthogonal projection of the site onto the
rectangle, clamped to it (exact, in Earth-centred Cartesian coordinates); of a mesh window the
nearest mesh node (to the mesh spacing).
"""

from __future__ import annotations

import numpy as np

from toolkit.engine.hazard.geo import azimuth as geo_azimuth
from toolkit.engine.hazard.geo import cartesian_to_spherical, spherical_to_cartesian
from toolkit.engine.hazard.surfaces import MeshSurfaces, PlanarSurfaces
from toolkit.errors import InputError

__all__ = ["EXTRA_PARAMETERS", "extra_context", "middle_points", "closest_points"]

EXTRA_PARAMETERS = frozenset({"azimuth", "clon", "clat", "rvolc"})
#: pairs per chunk when searching mesh nodes (bounds the (pairs, nodes) work array)
_CHUNK_ELEMENTS = 4_000_000


def middle_points(surface) -> np.ndarray:
    """Middle points (lon, lat, depth) of the N rupture surfaces, shape (N, 3)."""
    if isinstance(surface, PlanarSurfaces):
        lons, lats, depths = cartesian_to_spherical(surface.xyz.mean(axis=1))
        return np.stack([lons, lats, depths], axis=-1)
    if isinstance(surface, MeshSurfaces):
        return np.asarray(surface.hypocentres)
    raise InputError(f"the context parameter 'azimuth' is not available for rupture surfaces "
                     f"of type {type(surface).__name__} (planar and fault-mesh surfaces only)")


def closest_points(surface, rup: np.ndarray, lons: np.ndarray, lats: np.ndarray,
                   depths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """lon, lat of the point of surface ``rup[i]`` closest to site i, arrays of shape (P,)."""
    p = spherical_to_cartesian(lons, lats, depths)  # (P, 3)
    if isinstance(surface, PlanarSurfaces):
        c = surface.xyz[rup]  # (P, 4, 3): top-left, top-right, bottom-right, bottom-left
        origin, u, v = c[:, 0], c[:, 1] - c[:, 0], c[:, 3] - c[:, 0]
        d = p - origin
        s = _clamped_fraction(d, u)
        t = _clamped_fraction(d, v)
        best = origin + s[:, None] * u + t[:, None] * v
        clon, clat, _ = cartesian_to_spherical(best)
        return clon, clat
    if isinstance(surface, MeshSurfaces):
        return _closest_nodes(surface, rup, p)
    raise InputError(f"the context parameters 'clon'/'clat' are not available for rupture "
                     f"surfaces of type {type(surface).__name__} (planar and fault-mesh "
                     "surfaces only)")


def _clamped_fraction(d: np.ndarray, edge: np.ndarray) -> np.ndarray:
    length2 = np.einsum("ij,ij->i", edge, edge)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.einsum("ij,ij->i", d, edge) / length2
    return np.clip(np.where(length2 > 0, frac, 0.0), 0.0, 1.0)


def _closest_nodes(surface, rup: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mesh = surface.mesh
    ny, nx = mesh.shape
    nodes = mesh.xyz.reshape(-1, 3)  # (ny * nx, 3)
    rows = np.repeat(np.arange(ny), nx)
    cols = np.tile(np.arange(nx), ny)
    r0, c0 = surface.row0[rup], surface.col0[rup]
    r1, c1 = r0 + surface.nrows[rup], c0 + surface.ncols[rup]
    best = np.empty(len(rup), dtype=np.int64)
    step = max(1, _CHUNK_ELEMENTS // max(len(nodes), 1))
    for start in range(0, len(rup), step):
        sl = slice(start, start + step)
        d2 = np.sum((p[sl, None, :] - nodes[None, :, :]) ** 2, axis=-1)  # (chunk, nodes)
        inside = ((rows >= r0[sl, None]) & (rows < r1[sl, None])
                  & (cols >= c0[sl, None]) & (cols < c1[sl, None]))
        best[sl] = np.argmin(np.where(inside, d2, np.inf), axis=1)
    return mesh.lons.reshape(-1)[best], mesh.lats.reshape(-1)[best]


def extra_context(surface, rup: np.ndarray, lons: np.ndarray, lats: np.ndarray,
                  depths: np.ndarray, required: set[str] | frozenset[str]
                  ) -> dict[str, np.ndarray]:
    """The parameters of :data:`EXTRA_PARAMETERS` in ``required``, for the pairs
    (surface ``rup[i]``, site at ``lons[i], lats[i], depths[i]``).

    Parameters
    ----------
    surface : Surfaces
        The rupture surfaces of a block (planar or fault-mesh windows).
    rup : ndarray of int, shape (P,)
        Rupture index of each pair into ``surface``.
    lons, lats, depths : ndarray, shape (P,)
        Site of each pair.
    required : set of str
        The context parameters the GSIMs need.

    Returns
    -------
    dict of name -> ndarray of shape (P,)
    """
    out: dict[str, np.ndarray] = {}
    if "azimuth" in required:
        mid = middle_points(surface)[rup]
        bearing = geo_azimuth(mid[:, 0], mid[:, 1], lons, lats)
        out["azimuth"] = np.mod(bearing - np.asarray(surface.strike)[rup], 360.0)
    if "clon" in required or "clat" in required:
        out["clon"], out["clat"] = closest_points(surface, rup, lons, lats, depths)
    if "rvolc" in required:
        out["rvolc"] = np.zeros(len(rup))
    return out
