"""Site collections: where hazard is computed, with the site parameters GSIMs need."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from toolkit.errors import InputError

__all__ = ["SiteCollection", "SITE_PARAMETERS"]

#: Site parameters a GSIM may require, with their units (OpenQuake names and conventions).
SITE_PARAMETERS = {
    "vs30": "m/s",
    "vs30measured": "bool",
    "z1pt0": "m",
    "z2pt5": "km",
}


@dataclass
class SiteCollection:
    """Sites as arrays (one entry per site).

    Attributes
    ----------
    lons, lats : ndarray
        Coordinates in decimal degrees (WGS84).
    depths : ndarray
        Site depth in km, positive down (OpenQuake convention; ``-0.1`` is 100 m above sea level).
    vs30 : ndarray
        Time-averaged shear-wave velocity in the top 30 m, m/s.
    vs30measured : ndarray of bool
        Whether vs30 was measured (True) or inferred.
    z1pt0 : ndarray
        Depth to Vs = 1.0 km/s, **metres**.
    z2pt5 : ndarray
        Depth to Vs = 2.5 km/s, **km**.
    extra : dict of str -> ndarray
        Other site parameters (OpenQuake names: ``siteclass``, ``z1pt4``, ``backarc`` ...),
        one value per site, float or str; passed to the GSIMs that require them.
    """

    lons: np.ndarray
    lats: np.ndarray
    depths: np.ndarray = field(default=None)  # type: ignore[assignment]
    vs30: np.ndarray = field(default=None)  # type: ignore[assignment]
    vs30measured: np.ndarray = field(default=None)  # type: ignore[assignment]
    z1pt0: np.ndarray = field(default=None)  # type: ignore[assignment]
    z2pt5: np.ndarray = field(default=None)  # type: ignore[assignment]
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lons = np.atleast_1d(np.asarray(self.lons, dtype=float))
        self.lats = np.atleast_1d(np.asarray(self.lats, dtype=float))
        n = len(self.lons)
        if n == 0:
            raise InputError("the site collection is empty: at least one site is needed")
        if self.lats.shape != (n,):
            raise InputError("site longitudes and latitudes differ in length")
        if np.any(np.abs(self.lats) > 90) or np.any(np.abs(self.lons) > 180):
            raise InputError("site coordinates out of range (lon in [-180, 180], lat in [-90, 90])")
        defaults = {"depths": 0.0, "vs30": 760.0, "vs30measured": False, "z1pt0": np.nan,
                    "z2pt5": np.nan}
        for name, default in defaults.items():
            value = getattr(self, name)
            dtype = bool if name == "vs30measured" else float
            arr = np.full(n, default, dtype=dtype) if value is None else np.asarray(value, dtype)
            if arr.ndim == 0:
                arr = np.full(n, arr.item(), dtype=dtype)
            if arr.shape != (n,):
                raise InputError(f"site parameter {name!r} has {arr.size} values for {n} sites")
            setattr(self, name, arr)
        extra = {}
        for name, value in (self.extra or {}).items():
            arr = np.asarray(value)
            if arr.ndim == 0:
                arr = np.full(n, arr.item(), dtype=arr.dtype)
            if arr.shape != (n,):
                raise InputError(f"site parameter {name!r} has {arr.size} values for {n} sites")
            extra[name] = arr
        self.extra = extra
        if np.any(self.vs30 <= 0):
            raise InputError("site parameter 'vs30' must be positive")

    def __len__(self) -> int:
        return len(self.lons)

    @property
    def sids(self) -> np.ndarray:
        return np.arange(len(self), dtype=np.uint32)

    def subset(self, index: np.ndarray | slice) -> SiteCollection:
        """A new collection with the sites at ``index``."""
        return SiteCollection(
            self.lons[index], self.lats[index], self.depths[index], self.vs30[index],
            self.vs30measured[index], self.z1pt0[index], self.z2pt5[index],
            {name: values[index] for name, values in self.extra.items()},
        )

    def blocks(self, size: int) -> list[slice]:
        """Slices splitting the sites into blocks of at most ``size`` sites."""
        n = len(self)
        return [slice(i, min(i + size, n)) for i in range(0, n, size)]

    def as_dict(self) -> dict[str, np.ndarray]:
        return {
            "lon": self.lons, "lat": self.lats, "depth": self.depths, "vs30": self.vs30,
            "vs30measured": self.vs30measured, "z1pt0": self.z1pt0, "z2pt5": self.z2pt5,
        }
