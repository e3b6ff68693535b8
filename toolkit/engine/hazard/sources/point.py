"""Point sources: ruptures as rectangles centred on a hypocentre below a point.

For each magnitude bin of the MFD, each nodal plane (strike, dip, rake) and each hypocentral
depth, a point source has one planar rupture. Its dimensions follow OpenQuake's point-source
rules (OpenQuake hazardlib ``PointSource``; Pagani et al. 2014):

1. area :math:`A` = ``msr.get_median_area(mag, rake)`` (km2), length
   :math:`L = \\sqrt{A\\,a}`, width :math:`W = A / L` for the aspect ratio :math:`a`;
2. if :math:`W` exceeds the width available in the seismogenic layer,
   :math:`W_{max} = (z_{low} - z_{up}) / \\sin\\delta`, then :math:`W = W_{max}` and
   :math:`L = A / W` (the area is kept);
3. the rectangle is centred on the hypocentre, or, for a hypocentral depth with a down-dip
   fraction :math:`f` (NRML ``fixedDipFrac``), placed along dip so that the hypocentre lies
   :math:`f W` below its top edge (centre depth :math:`z_h + (\\tfrac12 - f) W \\sin\\delta`,
   moved horizontally by that vertical offset over :math:`\\tan\\delta` up or down dip);
   if it pokes out of the seismogenic layer it is
   moved along the dip direction (vertically by the overshoot :math:`\\Delta z`, horizontally
   by :math:`\\Delta z / \\tan\\delta` towards azimuth strike + 90 when moving down) until its top
   or bottom edge lies on the layer boundary; the hypocentre itself stays where it is;
4. the corners are reached from the rectangle's centre along great circles following the
   diagonals of its surface projection: azimuths strike + 180 + theta (top left),
   strike - theta (top right), strike + theta (bottom right) and strike + 180 - theta (bottom
   left), with :math:`\\theta = \\arctan(W\\cos\\delta / L)`, at horizontal distance
   :math:`\\tfrac12\\sqrt{L^2 + W^2\\cos^2\\delta}`, and depths centre :math:`\\mp \\tfrac12
   W\\sin\\delta`.

The annual rate of a rupture is the bin rate times the nodal-plane probability times the
hypocentral-depth probability. Identical nodal planes (or depths) listed more than once are
merged and their probabilities added.

References
----------
Pagani, M., et al. (2014). OpenQuake Engine: An open hazard (and risk) software for the Global
Earthquake Model. Seismological Research Letters 85(3), 692-702.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from toolkit.engine.hazard.geo import EARTH_RADIUS, local_basis, unit_vectors
from toolkit.engine.hazard.ruptures import RuptureBlock
from toolkit.engine.hazard.sources.aspect_ratio import (
    AspectRatio,
    aspect_ratios,
    check_aspect_ratio,
)
from toolkit.engine.hazard.sources.base import (
    BaseSource,
    block_slices,
    check_depths,
    check_dip,
    check_positive,
    check_rake,
    magnitude_bins,
    median_areas,
    merge_pmf,
)
from toolkit.engine.hazard.surfaces import PlanarSurfaces
from toolkit.errors import InputError

__all__ = ["PointSource", "rupture_dimensions"]


def rupture_dimensions(
    area: np.ndarray, aspect_ratio: float | np.ndarray, dip: np.ndarray, thickness: float
) -> tuple[np.ndarray, np.ndarray]:
    """Length and width (km) of point-source ruptures of the given areas (km2), with the
    width capped at the seismogenic ``thickness / sin(dip)`` and the area kept."""
    area = np.asarray(area, dtype=float)
    length = np.sqrt(area * aspect_ratio)
    width = area / length
    max_width = thickness / np.sin(np.radians(dip))
    capped = width > max_width
    width = np.where(capped, max_width, width)
    length = np.where(capped, area / width, length)
    return length, width


class _RuptureTemplates:
    """Per-combination (magnitude x nodal plane x hypocentral depth) rupture parameters,
    independent of the location: arrays of shape (K,)."""

    def __init__(self, src: PointSource, min_mag: float) -> None:
        mags, rates = magnitude_bins(src.mfd, min_mag)
        planes = np.array([p[1:] for p in src.nodal_planes], dtype=float)  # strike, dip, rake
        plane_p = np.array([p[0] for p in src.nodal_planes])
        depths = np.array([h[1] for h in src.hypo_depths], dtype=float)
        fracs = np.array([h[2] if len(h) > 2 else 0.5 for h in src.hypo_depths], dtype=float)
        depth_p = np.array([h[0] for h in src.hypo_depths])
        m_i, n_i, h_i = np.meshgrid(
            np.arange(len(mags)), np.arange(len(planes)), np.arange(len(depths)), indexing="ij"
        )
        m_i, n_i, h_i = m_i.ravel(), n_i.ravel(), h_i.ravel()
        areas = np.empty((len(mags), len(planes)))
        for rake in np.unique(planes[:, 2]):
            cols = planes[:, 2] == rake
            areas[:, cols] = median_areas(src.msr, mags, float(rake))[:, None]
        self.mag = mags[m_i]
        self.rate = rates[m_i] * plane_p[n_i] * depth_p[h_i]
        self.strike, self.dip, self.rake = planes[n_i].T
        self.hypo_depth = depths[h_i]
        usd, lsd = src.upper_seismogenic_depth, src.lower_seismogenic_depth
        length, width = rupture_dimensions(
            areas[m_i, n_i], aspect_ratios(src.rupture_aspect_ratio, self.mag), self.dip, lsd - usd
        )
        rdip = np.radians(self.dip)
        half_height = width * np.sin(rdip) / 2.0
        half_hwidth = np.where(self.dip == 90.0, 0.0, width * np.cos(rdip) / 2.0)
        half_length = length / 2.0
        hd = self.hypo_depth
        # centre of the rupture with the hypocentre at ``frac`` of its width from the top
        # edge, then moved along dip into the layer; vshift is measured from the hypocentre
        centre = hd + (1.0 - 2.0 * fracs[h_i]) * half_height
        vshift = np.where(
            centre - half_height < usd, usd - centre + half_height,
            np.where(centre + half_height > lsd, lsd - centre - half_height, 0.0),
        ) + centre - hd
        with np.errstate(divide="ignore"):
            self.hshift = np.where(self.dip == 90.0, 0.0, vshift / np.tan(rdip))
        centre_depth = hd + vshift
        theta = np.degrees(np.arctan2(half_hwidth, half_length))
        self.corner_distance = np.hypot(half_length, half_hwidth)
        self.corner_azimuth = np.stack(
            [self.strike + 180.0 + theta, self.strike - theta, self.strike + theta,
             self.strike + 180.0 - theta], axis=1,
        )  # (K, 4): TL, TR, BR, BL
        top, bottom = centre_depth - half_height, centre_depth + half_height
        if getattr(src, "shift_hypo", False):  # job.ini shift_hypo: hypocentre at mid-depth
            self.hypo_depth = centre_depth
        self.corner_depth = np.stack([top, top, bottom, bottom], axis=1)
        self.length, self.width = length, width

    def __len__(self) -> int:
        return len(self.mag)

    def max_radius(self) -> float:
        if not len(self):
            return 0.0
        return float(np.max(self.corner_distance + np.abs(self.hshift)))


def _destination(unit, east, north, azimuth_deg, distance_km):
    """Great-circle destination as unit vectors: cos(d) u + sin(d) (sin(az) e + cos(az) n)."""
    az = np.radians(azimuth_deg)[..., None]
    d = (np.asarray(distance_km, dtype=float) / EARTH_RADIUS)[..., None]
    return np.cos(d) * unit + np.sin(d) * (np.sin(az) * east + np.cos(az) * north)


def planar_corners(lons, lats, tpl: _RuptureTemplates, ks: slice) -> np.ndarray:
    """Cartesian corners (P * K, 4, 3) of the template ruptures ``ks`` centred below each
    location (location-major order).

    Each corner is the great-circle destination from the rupture centre,
    ``cos(d) u + sin(d) (sin(az) e + cos(az) n)``, scaled to the corner's radius: a fixed
    combination (per template and corner) of the centre's unit vector ``u`` and local east
    and north vectors ``e``, ``n``, so all corners are one matrix product with the bases.
    """
    u0 = unit_vectors(lons, lats)[:, None, :]  # (P, 1, 3)
    e0, n0 = (v[:, None, :] for v in local_basis(lons, lats))
    n_loc = u0.shape[0]
    az = np.radians(tpl.corner_azimuth[ks])  # (K, 4)
    d = (tpl.corner_distance[ks] / EARTH_RADIUS)[:, None]  # (K, 1)
    radius = EARTH_RADIUS - tpl.corner_depth[ks]  # (K, 4)
    coef = np.stack(np.broadcast_arrays(np.cos(d), np.sin(d) * np.sin(az), np.sin(d) * np.cos(az)),
                    axis=-1) * radius[..., None]  # (K, 4, 3): weights of u, e, n
    n_tpl = coef.shape[0]
    shift = tpl.hshift[ks]
    if np.any(shift != 0.0):
        uc = _destination(u0, e0, n0, tpl.strike[ks] + 90.0, shift)  # (P, K, 3)
        ec = np.cross(np.array([0.0, 0.0, 1.0]), uc)
        ec /= np.linalg.norm(ec, axis=-1, keepdims=True)
        nc = np.cross(uc, ec)
        basis = np.stack(np.broadcast_arrays(uc, ec, nc), axis=-2)  # (P, K, 3, 3)
        corners = np.matmul(coef[None], basis)  # (P, K, 4, 3)
    else:
        basis = np.concatenate([u0, e0, n0], axis=-2)  # (P, 3, 3): rows u, e, n
        corners = np.matmul(coef.reshape(1, n_tpl * 4, 3), basis)  # (P, K * 4, 3)
    return corners.reshape(n_loc * n_tpl, 4, 3)


class PointSource(BaseSource):
    """Seismicity at one location, with distributions of nodal planes and hypocentral depths.

    Parameters
    ----------
    source_id, name, trt : str
    lon, lat : float
        Epicentre, degrees.
    upper_seismogenic_depth, lower_seismogenic_depth : float
        km; ruptures stay between them.
    msr
        Magnitude-scaling relationship (``get_median_area(mag, rake)``, km2).
    rupture_aspect_ratio : float or MagDependentAspectRatio
        Length / width.
    mfd
        Magnitude-frequency distribution (``get_annual_occurrence_rates()``).
    nodal_planes : sequence of (probability, strike, dip, rake)
    hypo_depths : sequence of (probability, depth) or (probability, depth, fraction)
        The optional fraction (NRML ``fixedDipFrac``, default 0.5) is where the hypocentre
        lies down the rupture's width, from its top edge (0) to its bottom edge (1).
    rupture_mesh_spacing : float
        km; kept for compatibility (planar ruptures need no mesh).
    shift_hypo : bool
        OpenQuake's job.ini ``shift_hypo``: the hypocentre depth of each rupture becomes the
        depth of the rupture's centre after its placement in the layer (longitude and
        latitude stay those of the point); False keeps the listed hypocentral depth.
    """

    kind = "pointSource"

    def __init__(
        self,
        source_id: str,
        name: str,
        trt: str,
        lon: float,
        lat: float,
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
        super().__init__(source_id, name, trt, mfd)
        self.lon, self.lat = float(lon), float(lat)
        if not (-180.0 <= self.lon <= 180.0 and -90.0 <= self.lat <= 90.0):
            raise InputError(f"{self._where}: location ({lon}, {lat}) is out of range")
        self._init_common(upper_seismogenic_depth, lower_seismogenic_depth, msr,
                          rupture_aspect_ratio, nodal_planes, hypo_depths, rupture_mesh_spacing)
        self.shift_hypo = bool(shift_hypo)

    def _init_common(self, usd, lsd, msr, aspect, nodal_planes, hypo_depths, spacing) -> None:
        where = self._where
        self.upper_seismogenic_depth, self.lower_seismogenic_depth = check_depths(
            usd, lsd, where, above_sea_level=True)
        if not hasattr(msr, "get_median_area"):
            raise InputError(f"{where}: the scaling relationship {msr!r} has no get_median_area()")
        self.msr = msr
        self.rupture_aspect_ratio = check_aspect_ratio(aspect, where)
        self.rupture_mesh_spacing = check_positive(spacing, "rupture mesh spacing", where)
        self.nodal_planes = merge_pmf(nodal_planes, "nodal plane", where)
        for _, strike, dip, rake in self.nodal_planes:
            if not 0.0 <= strike <= 360.0:
                raise InputError(f"{where}: nodal plane strike {strike} is not in [0, 360]")
            check_dip(dip, where)
            check_rake(rake, where)
        self.hypo_depths = merge_pmf(hypo_depths, "hypocentral depth", where)
        for _, depth, *frac in self.hypo_depths:
            if len(frac) > 1 or (frac and not 0.0 <= frac[0] <= 1.0):
                raise InputError(f"{where}: a hypocentral depth is (probability, depth) or "
                                 "(probability, depth, down-dip fraction in [0, 1]), got "
                                 f"{(_, depth, *frac)}")
            if not self.upper_seismogenic_depth <= depth <= self.lower_seismogenic_depth:
                raise InputError(
                    f"{where}: hypocentral depth {depth} km is outside the seismogenic layer "
                    f"[{self.upper_seismogenic_depth}, {self.lower_seismogenic_depth}]"
                )

    # ---- locations (an area source overrides these) --------------------------------------------

    def locations(self) -> tuple[np.ndarray, np.ndarray]:
        """Longitudes and latitudes of the point(s) the ruptures are centred on."""
        return np.array([self.lon]), np.array([self.lat])

    def _location_weight(self) -> float:
        return 1.0

    def location_bounds(self) -> tuple[float, float, float, float]:
        return self.lon, self.lat, self.lon, self.lat

    # ---- ruptures ---------------------------------------------------------------------------

    def max_rupture_radius(self, min_mag: float = 0.0) -> float:
        return _RuptureTemplates(self, min_mag).max_radius()

    def count_ruptures(self, min_mag: float = 0.0) -> int:
        n_mags = len(magnitude_bins(self.mfd, min_mag)[0])
        return n_mags * len(self.nodal_planes) * len(self.hypo_depths) * len(self.locations()[0])

    def iter_ruptures(
        self, min_mag: float = 0.0, block_size: int = 100_000
    ) -> Iterator[RuptureBlock]:
        tpl = _RuptureTemplates(self, min_mag)
        lons, lats = self.locations()
        weight = self._location_weight()
        for ps, ks in block_slices(len(lons), len(tpl), block_size):
            n_loc, n_tpl = len(lons[ps]), len(tpl.mag[ks])
            xyz = planar_corners(lons[ps], lats[ps], tpl, ks)
            hypo = np.empty((n_loc, n_tpl, 3))
            hypo[..., 0] = lons[ps][:, None]
            hypo[..., 1] = lats[ps][:, None]
            hypo[..., 2] = tpl.hypo_depth[ks][None, :]

            def tile(a: np.ndarray, n: int = n_loc) -> np.ndarray:
                return np.tile(a, n)

            yield RuptureBlock(
                source_id=self.source_id,
                trt=self.trt,
                mag=tile(tpl.mag[ks]),
                rake=tile(tpl.rake[ks]),
                rate=tile(tpl.rate[ks] * weight),
                hypo=hypo.reshape(-1, 3),
                surface=PlanarSurfaces.from_cartesian(xyz, tile(tpl.strike[ks]), tile(tpl.dip[ks])),
            )
