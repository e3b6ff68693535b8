"""Simple fault sources: floating ruptures on a planar-dipping fault below a surface trace.

Fault surface (OpenQuake's simple fault surface)
------------------------------------------------
The surface trace is resampled into points ``rupture_mesh_spacing`` km apart
(:func:`~toolkit.engine.hazard.geo.resample_line`). Each point is moved down dip, towards the
azimuth strike + 90 where strike is the azimuth from the first to the last trace point,
horizontally by :math:`z_{up}/\\tan\\delta` to the upper seismogenic depth; from there a column
of points runs down dip towards the point at the lower seismogenic depth, spaced exactly
``rupture_mesh_spacing`` km (:func:`~toolkit.engine.hazard.geo.intervals_between`, so the last
row may end up to half a spacing above or below the lower depth). The mesh has ``ny`` rows
down dip and ``nx`` columns along strike; the fault's nominal length and width are
:math:`(n_x - 1)s` and :math:`(n_y - 1)s`.

Floating ruptures (OpenQuake's rules)
-------------------------------------
For a magnitude with median area :math:`A` (km2, from the MSR) and aspect ratio :math:`a`:
:math:`L = \\sqrt{A a}`, :math:`W = A/L`; if both exceed the fault's dimensions the rupture is the
whole fault; if only :math:`W` does, :math:`W` = fault width and :math:`L = A/W`; if only
:math:`L` does, :math:`L` = fault length and :math:`W = A/L`. The rupture spans
``round(L/s) + 1`` columns and ``round(W/s) + 1`` rows (Python rounding, half to even), capped
at the mesh size (so a lengthened rupture never exceeds the fault: the area is then not kept).
It floats over every position along strike and down dip, one node at a time; the magnitude's
rate is shared equally among the positions. The hypocentre is the middle of the rupture.

Rupture-area variability (toolkit extension)
--------------------------------------------
``area_variability = (sigma, n_sigma, n)`` draws the rupture area from a normal distribution of
:math:`\\log_{10} A` with standard deviation ``sigma`` around the median, truncated at
``n_sigma`` standard deviations: :math:`[-n_\\sigma, n_\\sigma]` is cut into ``n`` equal
intervals, each represented by its midpoint :math:`\\varepsilon_i` with weight the (renormalised)
normal probability of the interval. Each magnitude then has ``n`` rupture sizes with areas
:math:`A\\,10^{\\sigma\\varepsilon_i}` (dimensions by the rules above), and the rate of each size
is the magnitude's rate times its weight. This is what PEER 2018 Set 1 Case 3 asks for
(:math:`\\sigma_{\\log A} = 0.25`, truncated at 2 sigma).

Down-dip hypocentre distribution (toolkit extension)
----------------------------------------------------
``hypo_depth_pdf = ("uniform", z_min, z_max)`` or ``("triangular", z_min, z_mode, z_max)``
(km) makes the floating positions down dip unequally likely. The hypocentre of a rupture is
the centre of its plane, at depth :math:`z_r` for the rupture whose top edge is on mesh row
*r*; a position on row *r* gets the weight :math:`f(z_r) / (n_c \\sum_{r'} f(z_{r'}))`, with
*f* the density and :math:`n_c` the number of positions along strike (still uniform), so the
weights are renormalised over the sampled positions of each rupture size. PEER 2018 Set 2
Case 4 (Hale, Abrahamson & Bozorgnia 2018): uniform (4a) and triangular 0/10/30 km with mode
10 km (4b).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from scipy.special import ndtr

from toolkit.engine.hazard.geo import (
    azimuth,
    bounding_box,
    intervals_between,
    point_at,
    resample_line,
)
from toolkit.engine.hazard.ruptures import RuptureBlock
from toolkit.engine.hazard.sources.aspect_ratio import (
    AspectRatio,
    aspect_ratios,
    check_aspect_ratio,
)
from toolkit.engine.hazard.sources.base import (
    BaseSource,
    check_depths,
    check_dip,
    check_positive,
    check_rake,
    magnitude_bins,
    median_areas,
)
from toolkit.engine.hazard.surfaces import FaultMesh, MeshSurfaces
from toolkit.errors import InputError

__all__ = ["SimpleFaultSource", "simple_fault_mesh", "area_samples", "hypo_depth_density",
           "HYPO_DEPTH_PDFS"]

#: down-dip hypocentre distributions -> number of depth parameters (km)
HYPO_DEPTH_PDFS = {"uniform": 2, "triangular": 3}


def simple_fault_mesh(
    trace: np.ndarray, upper_depth: float, lower_depth: float, dip: float, spacing: float
) -> FaultMesh:
    """The mesh of a simple fault surface (see the module docstring).

    Parameters
    ----------
    trace : ndarray, shape (n, 2)
        lon, lat of the surface trace; the fault dips to the right of its direction.
    """
    trace = np.asarray(trace, dtype=float)
    strike = float(azimuth(trace[0, 0], trace[0, 1], trace[-1, 0], trace[-1, 1]))
    dip_azimuth = (strike + 90.0) % 360.0
    lons, lats, _ = resample_line(trace[:, 0], trace[:, 1], np.zeros(len(trace)), spacing)
    if dip < 90.0:
        cot = 1.0 / np.tan(np.radians(dip))
        top_lons, top_lats = point_at(lons, lats, dip_azimuth, upper_depth * cot)
        bot_lons, bot_lats = point_at(lons, lats, dip_azimuth, lower_depth * cot)
    else:
        top_lons, top_lats, bot_lons, bot_lats = lons, lats, lons, lats
    columns = [
        intervals_between(top_lons[i], top_lats[i], upper_depth, bot_lons[i], bot_lats[i],
                          lower_depth, spacing)
        for i in range(len(lons))
    ]
    ny = min(len(c[0]) for c in columns)
    mesh = np.array([[c[k][:ny] for c in columns] for k in range(3)]).transpose(0, 2, 1)
    return FaultMesh(mesh[0], mesh[1], mesh[2])


def area_samples(sigma: float, n_sigma: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Midpoints (in standard deviations) and weights of ``n`` equal intervals of a standard
    normal distribution truncated at ``n_sigma``; the weights sum to 1."""
    if n == 1 or sigma == 0.0:
        return np.zeros(1), np.ones(1)
    edges = np.linspace(-n_sigma, n_sigma, n + 1)
    mass = np.diff(ndtr(edges))
    return (edges[:-1] + edges[1:]) / 2.0, mass / mass.sum()


def hypo_depth_density(depths: np.ndarray, pdf: tuple) -> np.ndarray:
    """Density (1/km) of a down-dip hypocentre distribution at ``depths`` (km).

    ``pdf`` is ``("uniform", a, b)``: :math:`1/(b - a)` on [a, b]; or ``("triangular", a, m,
    b)``: :math:`2(z - a)/((b - a)(m - a))` on [a, m], :math:`2(b - z)/((b - a)(b - m))` on
    [m, b]; 0 elsewhere.
    """
    z = np.asarray(depths, dtype=float)
    kind, *p = pdf
    if kind == "uniform":
        a, b = p
        return np.where((z >= a) & (z <= b), 1.0 / (b - a), 0.0)
    a, m, b = p
    rising = 2.0 * (z - a) / ((b - a) * (m - a)) if m > a else np.where(z >= a, 2.0 / (b - a), 0)
    falling = 2.0 * (b - z) / ((b - a) * (b - m)) if b > m else np.where(z <= b, 2.0 / (b - a), 0)
    return np.where((z < a) | (z > b), 0.0, np.where(z <= m, rising, falling))


def _check_hypo_depth_pdf(pdf, where: str) -> tuple:
    try:
        kind, *params = pdf
        params = [float(x) for x in params]
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: hypo_depth_pdf must be ('uniform', min, max) or "
                         f"('triangular', min, mode, max), got {pdf!r}") from exc
    if kind not in HYPO_DEPTH_PDFS or len(params) != HYPO_DEPTH_PDFS[kind]:
        raise InputError(f"{where}: hypo_depth_pdf must be ('uniform', min, max) or "
                         f"('triangular', min, mode, max), got {pdf!r}")
    if not all(np.isfinite(params)) or params != sorted(params) or params[0] >= params[-1]:
        raise InputError(f"{where}: the {kind} hypocentre depth distribution needs finite "
                         f"depths min {'<= mode <= ' if kind == 'triangular' else ''}and "
                         f"min < max, got {params}")
    return (kind, *params)


class SimpleFaultSource(BaseSource):
    """Floating ruptures on a simple fault surface (see the module docstring).

    Parameters
    ----------
    source_id, name, trt : str
    trace : ndarray, shape (n, 2)
        lon, lat of the fault trace.
    dip : float
        Degrees, in (0, 90]; the fault dips to the right of the trace direction.
    upper_seismogenic_depth, lower_seismogenic_depth : float
        km.
    msr
        Magnitude-scaling relationship (``get_median_area(mag, rake)``, km2).
    rupture_aspect_ratio : float or MagDependentAspectRatio
        Length / width.
    mfd
        Magnitude-frequency distribution.
    rake : float
        Degrees.
    rupture_mesh_spacing : float
        km.
    area_variability : tuple (sigma_log10_area, truncation_nsigma, n_samples), optional
        Rupture-area variability (toolkit extension for PEER Set 1 Case 3).
    hypo_depth_pdf : tuple, optional
        Down-dip hypocentre distribution, ``("uniform", min, max)`` or ``("triangular", min,
        mode, max)``, km (toolkit extension for PEER Set 2 Case 4; see the module docstring).
    """

    kind = "simpleFaultSource"

    def __init__(
        self,
        source_id: str,
        name: str,
        trt: str,
        trace: np.ndarray,
        dip: float,
        upper_seismogenic_depth: float,
        lower_seismogenic_depth: float,
        msr,
        rupture_aspect_ratio: AspectRatio,
        mfd,
        rake: float,
        rupture_mesh_spacing: float,
        area_variability: tuple[float, float, int] | None = None,
        hypo_depth_pdf: tuple | None = None,
    ) -> None:
        super().__init__(source_id, name, trt, mfd)
        where = self._where
        trace = np.asarray(trace, dtype=float)
        if trace.ndim != 2 or trace.shape[1] != 2 or len(trace) < 2:
            raise InputError(f"{where}: the fault trace must be an (n >= 2, 2) array of lon, lat, "
                             f"got shape {trace.shape}")
        self.trace = trace
        self.dip = check_dip(dip, where)
        self.upper_seismogenic_depth, self.lower_seismogenic_depth = check_depths(
            upper_seismogenic_depth, lower_seismogenic_depth, where
        )
        if not hasattr(msr, "get_median_area"):
            raise InputError(f"{where}: the scaling relationship {msr!r} has no get_median_area()")
        self.msr = msr
        self.rupture_aspect_ratio = check_aspect_ratio(rupture_aspect_ratio, where)
        self.rake = check_rake(rake, where)
        self.rupture_mesh_spacing = check_positive(rupture_mesh_spacing, "rupture mesh spacing",
                                                   where)
        if area_variability is not None:
            try:
                sigma, n_sigma, n = area_variability
                sigma, n_sigma, n = float(sigma), float(n_sigma), int(n)
            except (TypeError, ValueError) as exc:
                raise InputError(
                    f"{where}: area_variability must be (sigma_log10_area, truncation_nsigma, "
                    f"n_samples), got {area_variability!r}"
                ) from exc
            if sigma < 0 or n_sigma <= 0 or n < 1:
                raise InputError(f"{where}: area_variability needs sigma >= 0, truncation > 0 "
                                 f"and n_samples >= 1, got {area_variability!r}")
            area_variability = (sigma, n_sigma, n)
        self.area_variability = area_variability
        self.hypo_depth_pdf = (None if hypo_depth_pdf is None
                               else _check_hypo_depth_pdf(hypo_depth_pdf, where))
        self._mesh: FaultMesh | None = None

    @property
    def mesh(self) -> FaultMesh:
        """The fault surface mesh (built once)."""
        if self._mesh is None:
            mesh = simple_fault_mesh(
                self.trace, self.upper_seismogenic_depth, self.lower_seismogenic_depth,
                self.dip, self.rupture_mesh_spacing,
            )
            if min(mesh.shape) < 2:
                raise InputError(
                    f"{self._where}: the fault surface has a mesh of {mesh.shape[0]} x "
                    f"{mesh.shape[1]} nodes with rupture_mesh_spacing = "
                    f"{self.rupture_mesh_spacing} km; at least 2 x 2 are needed (use a smaller "
                    "spacing)"
                )
            self._mesh = mesh
        return self._mesh

    def location_bounds(self) -> tuple[float, float, float, float]:
        return bounding_box(self.mesh.lons, self.mesh.lats)

    # ---- rupture sizes --------------------------------------------------------------------------

    def rupture_sizes(self, min_mag: float = 0.0):
        """Per magnitude (and area sample): ``(mag, rate, nrows, ncols)`` arrays, where ``rate``
        is the rate shared by all the positions of that rupture size."""
        mags, rates = magnitude_bins(self.mfd, min_mag)
        ny, nx = self.mesh.shape
        spacing = self.rupture_mesh_spacing
        fault_length, fault_width = (nx - 1) * spacing, (ny - 1) * spacing
        areas = median_areas(self.msr, mags, self.rake)
        if self.area_variability is None:
            eps, weights = np.zeros(1), np.ones(1)
            sigma = 0.0
        else:
            sigma, n_sigma, n = self.area_variability
            eps, weights = area_samples(sigma, n_sigma, n)
        area = (areas[:, None] * 10.0 ** (sigma * eps[None, :])).ravel()
        rate = (rates[:, None] * weights[None, :]).ravel()
        mag = np.repeat(mags, len(eps))
        length = np.sqrt(area * aspect_ratios(self.rupture_aspect_ratio, mag))
        width = area / length
        both = (length > fault_length) & (width > fault_width)
        wide = ~both & (width > fault_width)
        long = ~both & ~wide & (length > fault_length)
        length, width = (
            np.where(both, fault_length, np.where(wide, area / fault_width, np.where(
                long, fault_length, length))),
            np.where(both, fault_width, np.where(wide, fault_width, np.where(
                long, area / fault_length, width))),
        )
        ncols = np.minimum(np.round(length / spacing).astype(np.int64) + 1, nx)
        nrows = np.minimum(np.round(width / spacing).astype(np.int64) + 1, ny)
        return mag, rate, nrows, ncols

    def count_ruptures(self, min_mag: float = 0.0) -> int:
        ny, nx = self.mesh.shape
        _, _, nrows, ncols = self.rupture_sizes(min_mag)
        return int(np.sum((ny - nrows + 1) * (nx - ncols + 1)))

    def iter_ruptures(
        self, min_mag: float = 0.0, block_size: int = 100_000
    ) -> Iterator[RuptureBlock]:
        if block_size < 1:
            raise ValueError(f"block_size must be positive, got {block_size}")
        mesh = self.mesh
        ny, nx = mesh.shape
        pending: list[tuple[np.ndarray, ...]] = []
        n_pending = 0
        for mag, rate, nr, nc in zip(*self.rupture_sizes(min_mag), strict=True):
            rows, cols = np.meshgrid(np.arange(ny - nr + 1), np.arange(nx - nc + 1),
                                     indexing="ij")
            n_pos = rows.size
            share = self._position_shares(mag, nr, rows)
            start = 0
            while start < n_pos:
                take = min(n_pos - start, block_size - n_pending)
                part = slice(start, start + take)
                pending.append((
                    np.full(take, mag), rate * share.ravel()[part], rows.ravel()[part],
                    cols.ravel()[part], np.full(take, nr), np.full(take, nc),
                ))
                n_pending += take
                start += take
                if n_pending == block_size:
                    yield self._block(pending)
                    pending, n_pending = [], 0
        if n_pending:
            yield self._block(pending)

    def _position_shares(self, mag: float, nrows: int, rows: np.ndarray) -> np.ndarray:
        """Share of a rupture size's rate at each position (top rows ``rows``), summing to 1:
        equal shares, or weighted by the hypocentre depth density at the rupture centres."""
        if self.hypo_depth_pdf is None:
            return np.full(rows.shape, 1.0 / rows.size)
        row_depths = self.mesh.depths.mean(axis=1)
        centre = 0.5 * (row_depths[rows] + row_depths[rows + nrows - 1])
        density = hypo_depth_density(centre, self.hypo_depth_pdf)
        total = density.sum()
        if total <= 0:
            raise InputError(
                f"{self._where}: no floating rupture of magnitude {mag:g} has its centre "
                f"(depths {centre.min():g}-{centre.max():g} km) inside the hypocentre depth "
                f"distribution {self.hypo_depth_pdf}"
            )
        return density / total

    def _block(self, pending) -> RuptureBlock:
        columns = zip(*pending, strict=True)
        mag, rate, row0, col0, nrows, ncols = (np.concatenate(a) for a in columns)
        surface = MeshSurfaces(self.mesh, row0, col0, nrows, ncols, self.dip)
        return RuptureBlock(
            source_id=self.source_id, trt=self.trt, mag=mag, rake=np.full(len(mag), self.rake),
            rate=rate, hypo=surface.hypocentres, surface=surface,
        )
