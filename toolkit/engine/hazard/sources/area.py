"""Area sources: uniform seismicity over a polygon, as a grid of point sources.

The polygon is discretised into a grid of points ``area_discretization`` km apart with
:func:`~toolkit.engine.hazard.geo.discretize_polygon` (OpenQuake's grid: rows from the northern
edge of the bounding box southwards, points from its western edge eastwards, only points strictly
inside kept). Each point is a :class:`~toolkit.engine.hazard.sources.point.PointSource` with the
area source's parameters and the MFD rates divided equally among the points, as in OpenQuake's
``AreaSource``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np

from toolkit.engine.hazard.geo import bounding_box, discretize_polygon
from toolkit.engine.hazard.sources.aspect_ratio import AspectRatio
from toolkit.engine.hazard.sources.base import BaseSource, check_positive
from toolkit.engine.hazard.sources.point import PointSource
from toolkit.errors import InputError

__all__ = ["AreaSource"]


class AreaSource(PointSource):
    """Seismicity spread uniformly over a polygon.

    Parameters
    ----------
    source_id, name, trt : str
    polygon : ndarray, shape (n, 2)
        lon, lat of the vertices (the ring may be closed or not).
    area_discretization : float
        Grid spacing, km.
    upper_seismogenic_depth, lower_seismogenic_depth, msr, rupture_aspect_ratio, mfd,
    nodal_planes, hypo_depths, rupture_mesh_spacing
        As for :class:`~toolkit.engine.hazard.sources.point.PointSource` (the aspect ratio
        is a positive number or a
        :class:`~toolkit.engine.hazard.sources.aspect_ratio.MagDependentAspectRatio`).
    """

    kind = "areaSource"

    def __init__(
        self,
        source_id: str,
        name: str,
        trt: str,
        polygon: np.ndarray,
        area_discretization: float,
        upper_seismogenic_depth: float,
        lower_seismogenic_depth: float,
        msr,
        rupture_aspect_ratio: AspectRatio,
        mfd,
        nodal_planes: Sequence[Sequence[float]],
        hypo_depths: Sequence[Sequence[float]],
        rupture_mesh_spacing: float = 5.0,
        shift_hypo: bool = False,
    ) -> None:
        BaseSource.__init__(self, source_id, name, trt, mfd)
        polygon = np.asarray(polygon, dtype=float)
        if polygon.ndim != 2 or polygon.shape[1] != 2 or len(polygon) < 3:
            raise InputError(f"{self._where}: the polygon must be an (n >= 3, 2) array of lon, "
                             f"lat, got shape {polygon.shape}")
        if np.any(np.abs(polygon[:, 0]) > 180) or np.any(np.abs(polygon[:, 1]) > 90):
            raise InputError(f"{self._where}: polygon coordinates out of range")
        self.polygon = polygon
        self.area_discretization = check_positive(
            area_discretization, "area_source_discretization", self._where
        )
        self._init_common(upper_seismogenic_depth, lower_seismogenic_depth, msr,
                          rupture_aspect_ratio, nodal_planes, hypo_depths, rupture_mesh_spacing)
        self.shift_hypo = bool(shift_hypo)
        self._grid: tuple[np.ndarray, np.ndarray] | None = None
        self._n_total: int | None = None  # set on the parts made by split()
        # the point-source attributes of the base class, for code that inspects them
        self.lon, self.lat = float(polygon[:, 0].mean()), float(polygon[:, 1].mean())

    def locations(self) -> tuple[np.ndarray, np.ndarray]:
        """The grid points inside the polygon (computed once)."""
        if self._grid is None:
            lons, lats = discretize_polygon(
                self.polygon[:, 0], self.polygon[:, 1], self.area_discretization
            )
            if len(lons) == 0:
                raise InputError(
                    f"{self._where}: no grid point falls inside the polygon with "
                    f"area_source_discretization = {self.area_discretization} km; use a "
                    "smaller spacing"
                )
            self._grid = (lons, lats)
        return self._grid

    def _location_weight(self) -> float:
        if self._n_total is not None:  # a part made by split(): rates of the whole grid
            return 1.0 / self._n_total
        return 1.0 / len(self.locations()[0])

    def split(self, max_ruptures: int, min_mag: float = 0.0) -> list[AreaSource]:
        """Parts holding consecutive blocks of grid points; each point keeps the rate share
        of the whole area (1 / number of points of the whole grid)."""
        lons, lats = self.locations()
        total = self.count_ruptures(min_mag)
        n_parts = min(len(lons), -(-total // max(int(max_ruptures), 1)))
        if n_parts <= 1:
            return [self]
        parts = []
        for index in np.array_split(np.arange(len(lons)), n_parts):
            part = copy.copy(self)
            part._grid = (lons[index], lats[index])
            part._n_total = self._n_total or len(lons)
            parts.append(part)
        return parts

    def location_bounds(self) -> tuple[float, float, float, float]:
        """Bounding box of the grid points (the rupture centres)."""
        return bounding_box(*self.locations())
