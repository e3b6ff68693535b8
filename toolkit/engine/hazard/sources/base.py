"""What every seismic source shares: identity, magnitude bins, validation and bounding boxes.

A source turns its magnitude-frequency distribution (MFD) and its geometry into
:class:`~toolkit.engine.hazard.ruptures.RuptureBlock` objects. The MFD is any object with
``get_annual_occurrence_rates() -> (mags, rates)``; the magnitude-scaling relationship (MSR) any
object with ``get_median_area(mag, rake) -> km2`` (see :mod:`toolkit.engine.hazard.mfd` and
:mod:`toolkit.engine.hazard.msr`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence

import numpy as np

from toolkit.engine.hazard.geo import EARTH_RADIUS
from toolkit.engine.hazard.ruptures import RuptureBlock
from toolkit.errors import InputError

__all__ = ["BaseSource", "MAGNITUDE_TOLERANCE", "magnitude_bins", "median_areas", "merge_pmf"]

#: Magnitudes within this of ``min_mag`` are kept (bin centres are sums of floats).
MAGNITUDE_TOLERANCE = 1e-6

#: Tolerance on the sum of a probability mass function.
PMF_TOLERANCE = 1e-6


def magnitude_bins(mfd, min_mag: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Magnitudes and annual rates of the MFD's bins with ``mag >= min_mag`` and a positive
    rate."""
    mags, rates = mfd.get_annual_occurrence_rates()
    mags = np.atleast_1d(np.asarray(mags, dtype=float))
    rates = np.atleast_1d(np.asarray(rates, dtype=float))
    keep = (mags >= min_mag - MAGNITUDE_TOLERANCE) & (rates > 0)
    return mags[keep], rates[keep]


def median_areas(msr, mags: np.ndarray, rake: float) -> np.ndarray:
    """``msr.get_median_area(mag, rake)`` for each magnitude (km2), validated positive."""
    areas = np.array([float(msr.get_median_area(float(m), rake)) for m in mags], dtype=float)
    if np.any(~np.isfinite(areas)) or np.any(areas <= 0):
        bad = mags[~(np.isfinite(areas) & (areas > 0))][0]
        raise InputError(f"the magnitude-scaling relationship {msr!r} gives a non-positive "
                         f"rupture area at magnitude {bad}")
    return areas


def merge_pmf(pairs: Sequence[Sequence[float]], what: str, where: str) -> list[tuple]:
    """Validate a probability mass function given as ``(probability, value...)`` tuples and
    merge identical values (their probabilities add up), keeping first-seen order.

    Raises
    ------
    InputError
        If it is empty, a probability is not in (0, 1], or they do not sum to 1.
    """
    if len(pairs) == 0:
        raise InputError(f"{where}: the {what} distribution is empty")
    merged: dict[tuple, float] = {}
    for pair in pairs:
        prob, *value = (float(x) for x in pair)
        if not 0.0 < prob <= 1.0:
            raise InputError(f"{where}: {what} probability {prob} is not in (0, 1]")
        key = tuple(value)
        merged[key] = merged.get(key, 0.0) + prob
    total = sum(merged.values())
    if abs(total - 1.0) > PMF_TOLERANCE:
        raise InputError(f"{where}: the {what} probabilities sum to {total}, expected 1")
    return [(prob, *key) for key, prob in merged.items()]


def check_depths(usd: float, lsd: float, where: str,
                 above_sea_level: bool = False) -> tuple[float, float]:
    """Check a seismogenic layer: finite depths (km), upper < lower, and upper >= 0 unless
    ``above_sea_level`` (point and area sources may start above sea level, as in OpenQuake:
    a negative depth is a height in km)."""
    usd, lsd = float(usd), float(lsd)
    floor = -np.inf if above_sea_level else 0.0
    if not (np.isfinite(usd) and np.isfinite(lsd)) or usd < floor or lsd <= usd:
        bound = "" if above_sea_level else "0 <= "
        raise InputError(f"{where}: seismogenic depths must satisfy {bound}upper < lower, "
                         f"got upper={usd}, lower={lsd}")
    return usd, lsd


def check_positive(value: float, name: str, where: str) -> float:
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise InputError(f"{where}: {name} must be positive, got {value}")
    return value


def check_dip(dip: float, where: str) -> float:
    dip = float(dip)
    if not 0.0 < dip <= 90.0:
        raise InputError(f"{where}: dip must be in (0, 90] degrees, got {dip}")
    return dip


def check_rake(rake: float, where: str) -> float:
    rake = float(rake)
    if not -180.0 <= rake <= 180.0:
        raise InputError(f"{where}: rake must be in [-180, 180] degrees, got {rake}")
    return rake


class BaseSource(ABC):
    """Common interface of the seismic sources.

    Attributes
    ----------
    source_id, name, trt : str
        Identifier, name and tectonic region type.
    mfd
        The magnitude-frequency distribution.
    """

    #: source typology, as in NRML (``pointSource``, ...)
    kind: str = ""

    def __init__(self, source_id: str, name: str, trt: str, mfd) -> None:
        self.source_id = str(source_id)
        self.name = str(name)
        self.trt = str(trt)
        self.mfd = mfd
        if not hasattr(mfd, "get_annual_occurrence_rates"):
            raise InputError(f"{self._where}: the MFD {mfd!r} has no get_annual_occurrence_rates()")

    @property
    def _where(self) -> str:
        return f"{self.kind or type(self).__name__} {self.source_id!r}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.source_id!r})"

    @abstractmethod
    def iter_ruptures(
        self, min_mag: float = 0.0, block_size: int = 100_000
    ) -> Iterator[RuptureBlock]:
        """Yield the source's ruptures with ``mag >= min_mag`` in blocks of at most
        ``block_size`` ruptures."""

    @abstractmethod
    def count_ruptures(self, min_mag: float = 0.0) -> int:
        """Number of ruptures with ``mag >= min_mag`` (without generating them)."""

    def split(self, max_ruptures: int, min_mag: float = 0.0) -> list[BaseSource]:
        """Independent parts of at most about ``max_ruptures`` ruptures each, whose ruptures
        together are exactly this source's (used to spread a big source over tasks). Sources
        that cannot be split return ``[self]``."""
        return [self]

    @abstractmethod
    def location_bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the source's locations (point, polygon or fault
        surface projection), degrees; ``east`` may exceed 180 across the antimeridian."""

    def max_rupture_radius(self, min_mag: float = 0.0) -> float:
        """How far (km) the surface projection of a rupture can extend beyond
        :meth:`location_bounds`; 0 for sources whose ruptures lie inside their geometry."""
        return 0.0

    def bounding_box(
        self, dilation: float = 0.0, min_mag: float = 0.0
    ) -> tuple[float, float, float, float]:
        """(west, south, east, north) covering the surface projection of every rupture, widened
        by ``dilation`` km: every site within ``dilation`` km (horizontally) of a rupture lies
        inside. For quick maximum-distance filtering of sources."""
        west, south, east, north = self.location_bounds()
        km = float(dilation) + self.max_rupture_radius(min_mag)
        dlat = np.degrees(km / EARTH_RADIUS)
        north, south = min(north + dlat, 90.0), max(south - dlat, -90.0)
        cos_lat = np.cos(np.radians(max(abs(north), abs(south))))
        if cos_lat < 1e-6 or np.degrees(km / EARTH_RADIUS) / cos_lat >= 180.0:
            return -180.0, south, 180.0, north
        dlon = np.degrees(km / EARTH_RADIUS) / cos_lat
        return west - dlon, south, east + dlon, north


def block_slices(n_outer: int, n_inner: int, block_size: int) -> Iterator[tuple[slice, slice]]:
    """Split an ``n_outer x n_inner`` grid of ruptures (outer-major) into rectangular pieces of
    at most ``block_size`` ruptures: whole inner rows when they fit, else pieces of one row."""
    if block_size < 1:
        raise ValueError(f"block_size must be positive, got {block_size}")
    if n_outer == 0 or n_inner == 0:
        return
    if n_inner <= block_size:
        step = block_size // n_inner
        for start in range(0, n_outer, step):
            yield slice(start, min(start + step, n_outer)), slice(0, n_inner)
    else:
        for i in range(n_outer):
            for start in range(0, n_inner, block_size):
                yield slice(i, i + 1), slice(start, min(start + block_size, n_inner))
