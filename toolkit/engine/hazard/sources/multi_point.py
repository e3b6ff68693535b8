"""Multi-point sources: many point sources sharing everything but location and MFD.

OpenQuake's ``multiPointSource`` is a mesh of points with one magnitude-scaling relationship,
rupture aspect ratio, seismogenic layer, nodal-plane distribution and hypocentral-depth
distribution, and one MFD per point (given in NRML as a ``multiMFD``). It is exactly the
collection of the :class:`~toolkit.engine.hazard.sources.point.PointSource` objects at those
points with those MFDs; this class generates their ruptures vectorised over the points:

* points whose MFDs have the same magnitude bins share one set of rupture templates
  (magnitude x nodal plane x hypocentral depth, the point-source rules of
  :mod:`~toolkit.engine.hazard.sources.point`), built once;
* the rate of template k at point i is the point's bin rate times the template's nodal-plane
  and depth probabilities, :math:`\\nu_{ik} = \\nu_i(m_k)\\,p_{np,k}\\,p_{hd,k}`;
* bins with a zero rate at a point give no rupture there.

``split`` cuts the source into parts holding consecutive points (their rates unchanged).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence

import numpy as np

from toolkit.engine.hazard.geo import bounding_box
from toolkit.engine.hazard.ruptures import RuptureBlock
from toolkit.engine.hazard.sources.aspect_ratio import AspectRatio
from toolkit.engine.hazard.sources.base import (
    MAGNITUDE_TOLERANCE,
    BaseSource,
    block_slices,
)
from toolkit.engine.hazard.sources.point import PointSource, _RuptureTemplates, planar_corners
from toolkit.engine.hazard.surfaces import PlanarSurfaces
from toolkit.errors import InputError

__all__ = ["MultiPointSource"]


class _Bins:
    """Fixed magnitude bins with given rates (an MFD for the rupture templates)."""

    def __init__(self, mags: np.ndarray, rates: np.ndarray) -> None:
        self.mags, self.rates = mags, rates

    def get_annual_occurrence_rates(self) -> tuple[np.ndarray, np.ndarray]:
        return self.mags, self.rates


class MultiPointSource(PointSource):
    """Point sources at many locations with shared parameters and one MFD per point.

    Parameters
    ----------
    source_id, name, trt : str
    lons, lats : array_like, shape (P,)
        Epicentres, degrees.
    upper_seismogenic_depth, lower_seismogenic_depth, msr, rupture_aspect_ratio,
    nodal_planes, hypo_depths, rupture_mesh_spacing
        As for :class:`~toolkit.engine.hazard.sources.point.PointSource`, shared by all points
        (the aspect ratio is a positive number or a
        :class:`~toolkit.engine.hazard.sources.aspect_ratio.MagDependentAspectRatio`).
    mfds : sequence of MFD, length P
        The magnitude-frequency distribution of each point.
    """

    kind = "multiPointSource"

    def __init__(
        self,
        source_id: str,
        name: str,
        trt: str,
        lons: Sequence[float],
        lats: Sequence[float],
        upper_seismogenic_depth: float,
        lower_seismogenic_depth: float,
        msr,
        rupture_aspect_ratio: AspectRatio,
        mfds: Sequence,
        nodal_planes: Sequence[Sequence[float]],
        hypo_depths: Sequence[Sequence[float]],
        rupture_mesh_spacing: float = 5.0,
        shift_hypo: bool = False,
    ) -> None:
        self.source_id = str(source_id)
        lons = np.atleast_1d(np.asarray(lons, dtype=float))
        lats = np.atleast_1d(np.asarray(lats, dtype=float))
        where = self._where
        if lons.ndim != 1 or lons.shape != lats.shape or len(lons) == 0:
            raise InputError(f"{where}: needs one or more points with as many longitudes as "
                             f"latitudes, got {lons.shape} and {lats.shape}")
        if np.any(np.abs(lons) > 180) or np.any(np.abs(lats) > 90):
            raise InputError(f"{where}: point coordinates out of range")
        self.mfds = list(mfds)
        if len(self.mfds) != len(lons):
            raise InputError(f"{where}: {len(self.mfds)} MFDs for {len(lons)} points")
        for mfd in self.mfds:
            if not hasattr(mfd, "get_annual_occurrence_rates"):
                raise InputError(f"{where}: the MFD {mfd!r} has no get_annual_occurrence_rates()")
        self._lons, self._lats = lons, lats
        self._bins = [tuple(np.atleast_1d(np.asarray(a, dtype=float))
                            for a in mfd.get_annual_occurrence_rates()) for mfd in self.mfds]
        BaseSource.__init__(self, source_id, name, trt, _TotalMFD(self._bins))
        self._init_common(upper_seismogenic_depth, lower_seismogenic_depth, msr,
                          rupture_aspect_ratio, nodal_planes, hypo_depths, rupture_mesh_spacing)
        self.shift_hypo = bool(shift_hypo)
        self.lon, self.lat = float(lons.mean()), float(lats.mean())

    def __len__(self) -> int:
        return len(self._lons)

    def locations(self) -> tuple[np.ndarray, np.ndarray]:
        return self._lons, self._lats

    def location_bounds(self) -> tuple[float, float, float, float]:
        return bounding_box(self._lons, self._lats)

    def point_sources(self) -> list[PointSource]:
        """The equivalent point sources, ids ``<source_id>:<index>`` (for checks)."""
        return [
            PointSource(f"{self.source_id}:{i}", self.name, self.trt, lon, lat,
                        self.upper_seismogenic_depth, self.lower_seismogenic_depth, self.msr,
                        self.rupture_aspect_ratio, mfd, self.nodal_planes, self.hypo_depths,
                        self.rupture_mesh_spacing, self.shift_hypo)
            for i, (lon, lat, mfd) in enumerate(zip(self._lons, self._lats, self.mfds, strict=True))
        ]

    # ---- ruptures ---------------------------------------------------------------------------

    def _groups(self, min_mag: float) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(magnitudes (M,), point indices (P,), rates (P, M)) of each set of points whose
        bins with ``mag >= min_mag`` and a positive rate have the same magnitudes."""
        groups: dict[tuple[float, ...], list[int]] = {}
        kept = []
        for i, (mags, rates) in enumerate(self._bins):
            keep = (mags >= min_mag - MAGNITUDE_TOLERANCE) & (rates > 0)
            kept.append((mags[keep], rates[keep]))
            if keep.any():
                groups.setdefault(tuple(np.round(mags[keep], 9)), []).append(i)
        for index in groups.values():
            mags = kept[index[0]][0]
            rates = np.array([kept[i][1] for i in index])
            yield mags, np.array(index), rates

    def _templates(self, mags: np.ndarray) -> _RuptureTemplates:
        proxy = copy.copy(self)
        proxy.mfd = _Bins(mags, np.ones(len(mags)))
        return _RuptureTemplates(proxy, -np.inf)

    def count_ruptures(self, min_mag: float = 0.0) -> int:
        per_mag = len(self.nodal_planes) * len(self.hypo_depths)
        return sum(len(mags) * len(index) * per_mag for mags, index, _ in self._groups(min_mag))

    def max_rupture_radius(self, min_mag: float = 0.0) -> float:
        radii = [self._templates(mags).max_radius() for mags, _, _ in self._groups(min_mag)]
        return max(radii, default=0.0)

    def iter_ruptures(
        self, min_mag: float = 0.0, block_size: int = 100_000
    ) -> Iterator[RuptureBlock]:
        per_mag = len(self.nodal_planes) * len(self.hypo_depths)
        for mags, index, rates in self._groups(min_mag):
            tpl = self._templates(mags)
            mag_of = np.repeat(np.arange(len(mags)), per_mag)
            lons, lats = self._lons[index], self._lats[index]
            for ps, ks in block_slices(len(index), len(tpl), block_size):
                n_loc, n_tpl = len(lons[ps]), len(tpl.mag[ks])
                xyz = planar_corners(lons[ps], lats[ps], tpl, ks)
                hypo = np.empty((n_loc, n_tpl, 3))
                hypo[..., 0] = lons[ps][:, None]
                hypo[..., 1] = lats[ps][:, None]
                hypo[..., 2] = tpl.hypo_depth[ks][None, :]
                rate = rates[ps][:, mag_of[ks]] * tpl.rate[ks][None, :]

                def tile(a: np.ndarray, n: int = n_loc) -> np.ndarray:
                    return np.tile(a, n)

                yield RuptureBlock(
                    source_id=self.source_id,
                    trt=self.trt,
                    mag=tile(tpl.mag[ks]),
                    rake=tile(tpl.rake[ks]),
                    rate=rate.ravel(),
                    hypo=hypo.reshape(-1, 3),
                    surface=PlanarSurfaces.from_cartesian(
                        xyz, tile(tpl.strike[ks]), tile(tpl.dip[ks])),
                )

    def split(self, max_ruptures: int, min_mag: float = 0.0) -> list[MultiPointSource]:
        """Parts holding consecutive points (each point keeps its own MFD and rates)."""
        total = self.count_ruptures(min_mag)
        n_parts = min(len(self), -(-total // max(int(max_ruptures), 1)))
        if n_parts <= 1:
            return [self]
        parts = []
        for index in np.array_split(np.arange(len(self)), n_parts):
            part = copy.copy(self)
            part._lons, part._lats = self._lons[index], self._lats[index]
            part.mfds = [self.mfds[i] for i in index]
            part._bins = [self._bins[i] for i in index]
            part.mfd = _TotalMFD(part._bins)
            parts.append(part)
        return parts


class _TotalMFD:
    """The sum of the points' MFDs over the union of their magnitudes."""

    def __init__(self, bins: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self.bins = bins

    def get_annual_occurrence_rates(self) -> tuple[np.ndarray, np.ndarray]:
        mags = np.concatenate([b[0] for b in self.bins])
        rates = np.concatenate([b[1] for b in self.bins])
        unique, inverse = np.unique(np.round(mags, 9), return_inverse=True)
        return unique, np.bincount(inverse, weights=rates, minlength=len(unique))
