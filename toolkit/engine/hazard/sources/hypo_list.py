"""Hypocentre and slip-direction distributions (NRML ``hypoList`` / ``slipList``).

A source may list hypocentre positions within each of its rupture planes,
``(alongStrike, downDip, weight)`` with fractions in [0, 1] measured from the top-left corner
(the start of the top edge) along strike and down dip, and slip directions ``(slip, weight)``
(degrees). Each rupture is then replaced by one rupture per hypocentre, with the same surface,
magnitude and rake, the hypocentre at that position and the rate multiplied by the weight
(OpenQuake's ``hypo_list``; Pagani et al. 2014). The hypocentre changes ``hypo_depth``,
``rhypo`` and ``repi`` only.

Position of the hypocentre:

* on a planar rupture (point, area and multi-point sources), the bilinear combination
  :math:`P = (1-a)(1-d)\\,TL + a(1-d)\\,TR + a d\\,BR + (1-a) d\\,BL` of the corners,
  :math:`a` the along-strike and :math:`d` the down-dip fraction: its longitude and latitude
  are those of the combination of the corners' Earth-centred Cartesian coordinates, its depth
  the same combination of the corners' depths (so the centre of a rectangle centred below a
  point is exactly there, not on the chord a few metres deeper);
* on a fault-mesh window (simple and complex fault sources), the mesh node in row
  :math:`r_0 + \\mathrm{round}(d\\,(n_r - 1))` and column :math:`c_0 + \\mathrm{round}(a\\,(n_c -
  1))` of the window (rounding half to even, as ``numpy.round``), as OpenQuake picks the mesh
  node nearest to the fractional position.

Slip directions multiply each rupture's rate by their weight. No ground-motion model uses the
slip direction yet, so the copies of a rupture that differ only by slip would be identical:
they are merged, and as the slip weights sum to 1 the rates are unchanged. The slip list is
validated and kept (:attr:`HypoSlipSource.slip_list`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence

import numpy as np

from toolkit.engine.hazard.geo import cartesian_to_spherical
from toolkit.engine.hazard.ruptures import RuptureBlock
from toolkit.engine.hazard.sources.base import BaseSource
from toolkit.errors import InputError

__all__ = ["HypoSlipSource", "hypocentres", "WEIGHT_TOLERANCE"]

#: tolerance on the sum of hypoList / slipList weights
WEIGHT_TOLERANCE = 1e-6


def hypocentres(surface, along_strike: float, down_dip: float) -> np.ndarray:
    """lon, lat, depth (N, 3) of the point at fractions ``along_strike``, ``down_dip`` of
    each rupture surface (see the module docstring).

    Raises
    ------
    InputError
        For surfaces other than planar rectangles and fault-mesh windows.
    """
    a, d = float(along_strike), float(down_dip)
    if hasattr(surface, "xyz") and getattr(surface.xyz, "ndim", 0) == 3:  # PlanarSurfaces
        weights = np.array([(1 - a) * (1 - d), a * (1 - d), a * d, (1 - a) * d])
        xyz = np.einsum("k,nkj->nj", weights, surface.xyz)
        lons, lats, _ = cartesian_to_spherical(xyz)
        _, _, corner_depths = cartesian_to_spherical(surface.xyz)
        return np.stack([lons, lats, corner_depths @ weights], axis=-1)
    if hasattr(surface, "mesh") and hasattr(surface, "row0"):  # MeshSurfaces
        rows = surface.row0 + np.round(d * (surface.nrows - 1)).astype(np.int64)
        cols = surface.col0 + np.round(a * (surface.ncols - 1)).astype(np.int64)
        mesh = surface.mesh
        return np.stack([mesh.lons[rows, cols], mesh.lats[rows, cols],
                         mesh.depths[rows, cols]], axis=-1)
    raise InputError(f"hypoList is not supported for ruptures with {type(surface).__name__} "
                     "surfaces (only planar ruptures and fault-mesh windows)")


def _check_weights(weights: Sequence[float], what: str, where: str) -> None:
    if not weights:
        raise InputError(f"{where}: the {what} is empty")
    if any(not 0.0 < w <= 1.0 for w in weights):
        raise InputError(f"{where}: {what} weights must be in (0, 1], got {list(weights)}")
    total = float(np.sum(weights))
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise InputError(f"{where}: the {what} weights sum to {total:.10g}, expected 1")


class HypoSlipSource(BaseSource):
    """A source whose ruptures are split by hypocentre position (and weighted by slip).

    Parameters
    ----------
    source : BaseSource
        The source whose ruptures are split (point, area, multi-point, fault sources).
    hypo_list : sequence of (along_strike, down_dip, weight)
        Fractions in [0, 1]; weights sum to 1.
    slip_list : sequence of (slip, weight), optional
        Slip directions (degrees) and weights summing to 1; default ``[(0, 1)]``.

    Attributes
    ----------
    source, hypo_list, slip_list
    """

    def __init__(
        self,
        source: BaseSource,
        hypo_list: Sequence[Sequence[float]],
        slip_list: Sequence[Sequence[float]] | None = None,
    ) -> None:
        super().__init__(source.source_id, source.name, source.trt, source.mfd)
        self.kind = source.kind
        self.source = source
        where = self._where
        if getattr(source, "probs_occur", None) is not None:
            raise InputError(f"{where}: hypoList/slipList do not apply to non-parametric "
                             "sources (their ruptures have explicit hypocentres)")
        self.hypo_list = [tuple(float(x) for x in h) for h in hypo_list]
        self.slip_list = [tuple(float(x) for x in s) for s in (slip_list or [(0.0, 1.0)])]
        for h in self.hypo_list:
            if len(h) != 3 or not (0 <= h[0] <= 1 and 0 <= h[1] <= 1):
                raise InputError(f"{where}: a hypoList entry needs alongStrike and downDip in "
                                 f"[0, 1] and a weight, got {h}")
        for s in self.slip_list:
            if len(s) != 2 or not -360 <= s[0] <= 360:
                raise InputError(f"{where}: a slipList entry needs a slip in [-360, 360] "
                                 f"degrees and a weight, got {s}")
        _check_weights([h[2] for h in self.hypo_list], "hypoList", where)
        _check_weights([s[1] for s in self.slip_list], "slipList", where)

    def __getattr__(self, name: str):
        # attributes of the wrapped source (lon, lat, nodal_planes, ...) for code that
        # inspects them; only called when normal lookup fails
        if name == "source":
            raise AttributeError(name)
        return getattr(self.source, name)

    def count_ruptures(self, min_mag: float = 0.0) -> int:
        return self.source.count_ruptures(min_mag) * len(self.hypo_list)

    def location_bounds(self) -> tuple[float, float, float, float]:
        return self.source.location_bounds()

    def max_rupture_radius(self, min_mag: float = 0.0) -> float:
        return self.source.max_rupture_radius(min_mag)

    def split(self, max_ruptures: int, min_mag: float = 0.0) -> list[BaseSource]:
        per_part = max(int(max_ruptures) // len(self.hypo_list), 1)
        parts = self.source.split(per_part, min_mag)
        if len(parts) <= 1:
            return [self]
        out = []
        for part in parts:
            wrapped = copy.copy(self)
            wrapped.source = part
            out.append(wrapped)
        return out

    def iter_ruptures(
        self, min_mag: float = 0.0, block_size: int = 100_000
    ) -> Iterator[RuptureBlock]:
        size = max(int(block_size) // len(self.hypo_list), 1)
        slip_total = float(sum(s[1] for s in self.slip_list))
        for block in self.source.iter_ruptures(min_mag, size):
            for along, down, weight in self.hypo_list:
                yield RuptureBlock(
                    block.source_id, block.trt, block.mag, block.rake,
                    block.rate * (weight * slip_total),
                    hypocentres(block.surface, along, down), block.surface,
                    block.probs_occur,
                )
