"""Characteristic fault sources: one rupture per magnitude bin, covering the whole fault.

A characteristic fault source (NRML ``characteristicFaultSource``) has no floating ruptures: each
bin of its magnitude-frequency distribution is one rupture, with the bin's annual rate, whose
surface is the source's whole surface. The surface is one of

``simple``
    a simple fault surface (trace, dip, seismogenic depths; meshed at ``rupture_mesh_spacing``,
    :func:`~toolkit.engine.hazard.sources.simple_fault.simple_fault_mesh`);
``complex``
    a complex fault surface (edges; meshed at ``complex_fault_mesh_spacing``,
    :func:`~toolkit.engine.hazard.complex_fault.complex_fault_mesh`);
``planar``
    one or more planar rectangles given by their corners. One plane is a
    :class:`~toolkit.engine.hazard.surfaces.PlanarSurfaces`; several form a
    :class:`~toolkit.engine.hazard.multi_surface.MultiSurfaces` (``rrup``, ``rjb``: the closest
    plane; ``rx``, ``ry0``: GC2 of Spudich & Chiou 2015 over the planes' top edges).

The strike of a plane is the azimuth from its top-left to its top-right corner; its dip the
angle whose tangent is the depth difference between the bottom and top edges over the
horizontal distance of the bottom corners from the great circle of the top edge (90 degrees
when the bottom corners lie below the top edge). The hypocentre is the middle of the mesh
(simple and complex surfaces), the centre of the rectangle (one plane), or, for several planes,
the centre of the plane closest (3-D) to the area-weighted centroid of the planes' centres (the
choice OpenQuake 3.26 was observed to make).

References
----------
Spudich, P., and Chiou, B. (2015). Strike-parallel and strike-normal coordinate system around
geometrically complicated rupture traces: Use by NGA-West2 and further improvements. U.S.
Geological Survey Open-File Report 2015-1028.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from toolkit.engine.hazard.complex_fault import complex_fault_mesh
from toolkit.engine.hazard.geo import (
    EARTH_RADIUS,
    azimuth,
    bounding_box,
    spherical_to_cartesian,
    unit_vectors,
)
from toolkit.engine.hazard.multi_surface import MultiSurfaces
from toolkit.engine.hazard.ruptures import RuptureBlock
from toolkit.engine.hazard.sources.base import (
    BaseSource,
    check_depths,
    check_dip,
    check_positive,
    check_rake,
    magnitude_bins,
)
from toolkit.engine.hazard.sources.complex_fault import (
    ComplexWindowSurfaces,
    WindowSurfaces,
    mesh_dip,
)
from toolkit.engine.hazard.sources.simple_fault import simple_fault_mesh
from toolkit.engine.hazard.surfaces import PlanarSurfaces
from toolkit.errors import InputError

__all__ = ["CharacteristicFaultSource", "plane_strike_dip"]

_KINDS = ("simple", "complex", "planar")


def plane_strike_dip(corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Strike and dip (degrees) of rectangles given by corners (K, 4, 3) ordered top-left,
    top-right, bottom-right, bottom-left (see the module docstring)."""
    corners = np.asarray(corners, dtype=float)
    tl, tr, br, bl = (corners[:, i] for i in range(4))
    strike = np.asarray(azimuth(tl[:, 0], tl[:, 1], tr[:, 0], tr[:, 1]), dtype=float) % 360.0
    a, b = unit_vectors(tl[:, 0], tl[:, 1]), unit_vectors(tr[:, 0], tr[:, 1])
    pole = np.cross(a, b)
    pole /= np.linalg.norm(pole, axis=-1, keepdims=True)
    # horizontal distance of the bottom corners from the top edge's great circle (right: +)
    offsets = [-EARTH_RADIUS * np.arcsin(np.clip(np.sum(pole * unit_vectors(c[:, 0], c[:, 1]),
                                                        axis=-1), -1, 1)) for c in (bl, br)]
    horizontal = np.abs((offsets[0] + offsets[1]) / 2.0)
    drop = ((bl[:, 2] + br[:, 2]) - (tl[:, 2] + tr[:, 2])) / 2.0
    dip = np.where(horizontal < 1e-6, 90.0, np.degrees(np.arctan2(drop, horizontal)))
    return strike, dip


class CharacteristicFaultSource(BaseSource):
    """One rupture per magnitude bin on a fixed fault surface (see the module docstring).

    Parameters
    ----------
    source_id, name, trt : str
    mfd
        Magnitude-frequency distribution.
    rake : float
        Degrees.
    geometry : dict
        ``{"kind": "simple", "trace": (n, 2), "dip", "upper_seismogenic_depth",
        "lower_seismogenic_depth", "mesh_spacing"}``, ``{"kind": "complex", "edges": [(n_i,
        3), ...], "mesh_spacing"}`` or ``{"kind": "planar", "corners": (K, 4, 3)}`` with the
        corners of each plane ordered top-left, top-right, bottom-right, bottom-left (lon,
        lat, depth).
    msr : optional
        Ignored (characteristic sources have no magnitude-scaling relationship); accepted so
        that all fault sources share the reader's keyword arguments.
    """

    kind = "characteristicFaultSource"

    def __init__(self, source_id: str, name: str, trt: str, mfd, rake: float,
                 geometry: dict[str, Any], msr=None) -> None:
        super().__init__(source_id, name, trt, mfd)
        where = self._where
        self.rake = check_rake(rake, where)
        if not isinstance(geometry, dict) or geometry.get("kind") not in _KINDS:
            raise InputError(f"{where}: geometry must be a dict with 'kind' one of {_KINDS}, "
                             f"got {geometry!r}")
        self.geometry = geometry
        self._surface: Any = None
        self._hypo: np.ndarray | None = None
        self._bounds: tuple[np.ndarray, np.ndarray] | None = None
        if geometry["kind"] == "planar":
            corners = np.asarray(geometry["corners"], dtype=float)
            if corners.ndim != 3 or corners.shape[1:] != (4, 3) or len(corners) == 0:
                raise InputError(f"{where}: planar corners must have shape (K, 4, 3), got "
                                 f"{corners.shape}")
        elif geometry["kind"] == "simple":
            check_dip(geometry["dip"], where)
            check_depths(geometry["upper_seismogenic_depth"],
                         geometry["lower_seismogenic_depth"], where)
            check_positive(geometry["mesh_spacing"], "rupture mesh spacing", where)
        else:
            check_positive(geometry["mesh_spacing"], "complex fault mesh spacing", where)

    def _build(self) -> None:
        g, where = self.geometry, self._where
        if g["kind"] == "planar":
            corners = np.asarray(g["corners"], dtype=float)
            strike, dip = plane_strike_dip(corners)
            planes = PlanarSurfaces(corners, strike, dip)
            self._bounds = (corners[..., 0], corners[..., 1])
            if len(planes) == 1:
                self._surface = planes
                self._hypo = corners[0].mean(axis=0)
            else:
                self._surface = MultiSurfaces([planes])
                centre = self._surface.centroids()[0]
                middles = corners.mean(axis=1)
                xyz = spherical_to_cartesian(middles[:, 0], middles[:, 1], middles[:, 2])
                ref = spherical_to_cartesian(centre[0], centre[1], centre[2])
                self._hypo = middles[np.argmin(np.linalg.norm(xyz - ref, axis=-1))]
            return
        try:
            if g["kind"] == "simple":
                mesh = simple_fault_mesh(np.asarray(g["trace"], float),
                                         float(g["upper_seismogenic_depth"]),
                                         float(g["lower_seismogenic_depth"]), float(g["dip"]),
                                         float(g["mesh_spacing"]))
                fallback = float(g["dip"])
            else:
                mesh = complex_fault_mesh([np.asarray(e, float) for e in g["edges"]],
                                          float(g["mesh_spacing"]))
                fallback = None
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from exc
        ny, nx = mesh.shape
        if min(ny, nx) < 2:
            raise InputError(f"{where}: the fault surface has a mesh of {ny} x {nx} nodes; at "
                             "least 2 x 2 are needed (use a smaller mesh spacing)")
        dip = mesh_dip(mesh) if fallback is None else fallback
        kind = WindowSurfaces if g["kind"] == "simple" else ComplexWindowSurfaces
        self._surface = kind(mesh, [0], [0], [ny], [nx], dip)
        self._hypo = self._surface.hypocentres[0]
        self._bounds = (mesh.lons, mesh.lats)

    @property
    def surface(self):
        """The rupture surface (one element; built once)."""
        if self._surface is None:
            self._build()
        return self._surface

    def location_bounds(self) -> tuple[float, float, float, float]:
        if self._bounds is None:
            self._build()
        return bounding_box(*self._bounds)

    def count_ruptures(self, min_mag: float = 0.0) -> int:
        return len(magnitude_bins(self.mfd, min_mag)[0])

    def iter_ruptures(
        self, min_mag: float = 0.0, block_size: int = 100_000
    ) -> Iterator[RuptureBlock]:
        if block_size < 1:
            raise ValueError(f"block_size must be positive, got {block_size}")
        mags, rates = magnitude_bins(self.mfd, min_mag)
        surface = self.surface
        for start in range(0, len(mags), block_size):
            part = slice(start, start + block_size)
            n = len(mags[part])
            yield RuptureBlock(
                source_id=self.source_id, trt=self.trt, mag=mags[part],
                rake=np.full(n, self.rake), rate=rates[part],
                hypo=np.tile(self._hypo, (n, 1)), surface=surface.take(np.zeros(n, int)),
            )
