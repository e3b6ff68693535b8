"""Rupture surfaces given only as clouds of points (no mesh connectivity).

OpenQuake can store the ruptures of a non-parametric source in a companion HDF5 file as an
unordered set of points per rupture (``mesh3d``). Without connectivity only the closest
distance is defined: :math:`R_{rup} = \\min_i \\lVert \\mathbf{x}_i - \\mathbf{x}_s \\rVert`,
the straight-line (chord) distance between Earth-centred Cartesian positions of point *i* and
the site on the spherical Earth (radius minus depth), the convention of the planar surfaces
(:mod:`toolkit.engine.hazard.surfaces`). Joyner-Boore, :math:`R_x` and
:math:`R_{y0}` need the rupture's outline and strike, so GSIMs requiring them are refused;
strike, dip and width are NaN and ``ztor`` is the depth of the shallowest point.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from toolkit.engine.hazard.geo import spherical_to_cartesian
from toolkit.errors import InputError

__all__ = ["PointCloudSurfaces"]

#: point-site pairs per chunk of the distance computation
CHUNK_PAIRS = 2_000_000
#: km; sites deeper than this may lose pairs right at the maximum distance
SITE_DEPTH_MARGIN = 1.0


class PointCloudSurfaces:
    """N ruptures, each an (M_i, 3) array of points (lon, lat, depth km).

    Parameters
    ----------
    clouds : sequence of ndarray, shape (M_i, 3)
    """

    def __init__(self, clouds: Sequence[np.ndarray]) -> None:
        self.clouds = [np.asarray(c, dtype=float).reshape(-1, 3) for c in clouds]
        if any(len(c) == 0 for c in self.clouds):
            raise InputError("a point-cloud rupture surface needs at least one point")
        n = len(self.clouds)
        self.strike = np.full(n, np.nan)
        self.dip = np.full(n, np.nan)
        self.width = np.full(n, np.nan)
        self.ztor = np.array([c[:, 2].min() for c in self.clouds])

    def __len__(self) -> int:
        return len(self.clouds)

    def _min_over_points(self, lons, lats, depths) -> np.ndarray:
        lons, lats = np.asarray(lons, float), np.asarray(lats, float)
        out = np.empty((len(self), len(lons)))
        sites = spherical_to_cartesian(lons, lats, depths)
        for r, cloud in enumerate(self.clouds):
            step = max(1, CHUNK_PAIRS // max(len(lons), 1))
            best = np.full(len(lons), np.inf)
            for lo in range(0, len(cloud), step):
                pts = cloud[lo:lo + step]
                xyz = spherical_to_cartesian(pts[:, 0], pts[:, 1], pts[:, 2])
                dist = np.linalg.norm(xyz[:, None, :] - sites[None, :, :], axis=-1)
                best = np.minimum(best, dist.min(axis=0))
            out[r] = best
        return out

    def distances(self, lons: np.ndarray, lats: np.ndarray, depths: np.ndarray,
                  names: set[str]) -> dict[str, np.ndarray]:
        """``rrup`` only (km, shape (N, S)); other distances are refused."""
        other = sorted(set(names) - {"rrup"})
        if other:
            raise InputError(f"ruptures given as point clouds (HDF5 non-parametric sources) "
                             f"define only rrup; the GSIM needs {other}")
        return {"rrup": self._min_over_points(lons, lats, depths)}

    def min_distance(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """A lower bound of rrup, (N, S): the distance to the site at the surface minus
        :data:`SITE_DEPTH_MARGIN` (triangle inequality for sites down to that depth)."""
        lons = np.asarray(lons, float)
        at_surface = self._min_over_points(lons, lats, np.zeros(len(lons)))
        return np.maximum(at_surface - SITE_DEPTH_MARGIN, 0.0)

    def take(self, index) -> PointCloudSurfaces:
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        return PointCloudSurfaces([self.clouds[i] for i in np.atleast_1d(index)])
