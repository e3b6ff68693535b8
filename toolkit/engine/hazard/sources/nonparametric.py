"""Non-parametric sources: explicit ruptures with probabilities of 0, 1, 2, ... occurrences.

A non-parametric seismic source (OpenQuake's ``nonParametricSeismicSource``) lists its ruptures
one by one. Rupture :math:`r` comes with a probability mass function
:math:`(p_{r,0}, p_{r,1}, \\dots, p_{r,K-1})`: the probabilities that it occurs
:math:`0, 1, \\dots, K-1` times in the investigation time :math:`T` (``probs_occur``). The
occurrences are not Poissonian, so the classical kernel cannot weight a rupture by an annual
rate. Given the probability :math:`\\mathrm{poe}` that one occurrence of rupture :math:`r`
exceeds a level at a site, and independent ground motions per occurrence,

.. math:: P_r(\\text{no exceedance in } T)
          = \\sum_k p_{r,k}\\,(1 - \\mathrm{poe})^k

(Pagani et al. 2014; OpenQuake's non-Poissonian temporal occurrence model). The kernel sums
annual *rates*; the rate that gives the same probability,

.. math:: \\nu^{eq}_r = -\\ln\\Big(\\sum_k p_{r,k} (1 - \\mathrm{poe})^k\\Big) / T ,

is exact when combined with Poissonian ruptures, because all contributions are multiplied as
probabilities of non-exceedance: :math:`1 - e^{-T\\sum\\nu^{eq}}` is
:math:`1 - \\prod_r P_r`. :func:`equivalent_rates` computes it as
:math:`-\\mathrm{log1p}(-\\sum_k p_k (1 - q^k)) / T` with
:math:`1 - q^k = -\\mathrm{expm1}(k\\,\\mathrm{log1p}(-\\mathrm{poe}))`, which keeps full
precision for tiny poes.

For ``probs_occur = [1 - p, p]`` the non-exceedance is :math:`1 - p\\,\\mathrm{poe}`; a Poisson
rupture with rate :math:`-\\ln(1-p)/T` gives :math:`(1-p)^{\\mathrm{poe}}`, the same only when
poe is 0 or 1 (and to first order in :math:`p`).

The ``rate`` of the :class:`~toolkit.engine.hazard.ruptures.RuptureBlock` objects is the mean
number of occurrences per year, :math:`\\sum_k k\\,p_{r,k} / T`, when the investigation time is
known to the source, NaN otherwise; it is informative only: the classical kernel and the
event-based sampler use ``probs_occur``.

References
----------
Pagani, M., et al. (2014). OpenQuake Engine: An open hazard (and risk) software for the Global
Earthquake Model. Seismological Research Letters 85(3), 692-702.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from toolkit.engine.hazard.geo import bounding_box
from toolkit.engine.hazard.ruptures import RuptureBlock
from toolkit.engine.hazard.sources.base import BaseSource
from toolkit.engine.hazard.surfaces import PlanarSurfaces
from toolkit.errors import InputError

__all__ = ["NonParametricSource", "equivalent_rates", "sample_occurrences",
           "check_probs_occur"]

#: tolerance on the sum of a probs_occur distribution
PROBS_TOLERANCE = 1e-6


def check_probs_occur(probs: Sequence[float], where: str) -> np.ndarray:
    """Validate the probabilities of 0, 1, ... occurrences: at least two values, each in
    [0, 1], summing to 1 (within 1e-6).

    Raises
    ------
    InputError
        Naming ``where`` and the offending values.
    """
    arr = np.asarray(probs, dtype=float)
    if arr.ndim != 1 or len(arr) < 2:
        raise InputError(f"{where}: probs_occur needs the probabilities of 0, 1, ... "
                         f"occurrences (at least two numbers), got {list(np.ravel(arr))}")
    if np.any(~np.isfinite(arr)) or np.any(arr < 0) or np.any(arr > 1):
        raise InputError(f"{where}: probs_occur values must be in [0, 1], got {arr.tolist()}")
    total = float(np.sum(arr))
    if abs(total - 1.0) > PROBS_TOLERANCE:
        raise InputError(f"{where}: probs_occur sums to {total:.10g}, expected 1")
    return arr


def equivalent_rates(
    poe: np.ndarray, probs_occur: np.ndarray, investigation_time: float | None
) -> np.ndarray:
    """Annual rates equivalent to non-Poissonian ruptures, per rupture-site pair and level.

    Parameters
    ----------
    poe : ndarray, shape (P, L)
        Probability that one occurrence exceeds each level, for P rupture-site pairs.
    probs_occur : ndarray, shape (P, K)
        Probabilities of 0..K-1 occurrences of each pair's rupture in the investigation time.
    investigation_time : float
        T, years.

    Returns
    -------
    ndarray, shape (P, L)
        :math:`-\\ln(\\sum_k p_k (1 - \\mathrm{poe})^k) / T` (inf where exceedance is certain).

    Raises
    ------
    InputError
        Without an investigation time.
    """
    if investigation_time is None or not investigation_time > 0:
        raise InputError("non-parametric (non-Poissonian) ruptures need a positive "
                         f"investigation_time, got {investigation_time!r}")
    poe = np.asarray(poe, dtype=float)
    probs = np.asarray(probs_occur, dtype=float)
    with np.errstate(divide="ignore"):
        log_q = np.log1p(-np.clip(poe, 0.0, 1.0))  # -inf where poe == 1
    exceed = np.zeros_like(poe)  # 1 - P(no exceedance) = sum_k p_k (1 - q^k)
    for k in range(1, probs.shape[1]):
        exceed += probs[:, k, None] * -np.expm1(k * log_q)
    with np.errstate(divide="ignore"):
        return -np.log1p(-np.minimum(exceed, 1.0)) / investigation_time


def sample_occurrences(
    rng: np.random.Generator, probs_occur: np.ndarray, n_periods: int
) -> np.ndarray:
    """Number of occurrences of each rupture in ``n_periods`` independent investigation
    times (stochastic event sets), shape (N,): the sum over periods of draws from each
    rupture's ``probs_occur``, drawn as a multinomial count of the periods with k
    occurrences."""
    probs = np.asarray(probs_occur, dtype=float)
    probs = probs / probs.sum(axis=1, keepdims=True)
    counts = rng.multinomial(int(n_periods), probs)  # (N, K)
    return counts @ np.arange(probs.shape[1])


def _surface_lonlats(surface) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes of the points outlining a surface collection."""
    if hasattr(surface, "parts"):  # MultiSurfaces
        pairs = [_surface_lonlats(part) for part in surface.parts]
        return np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])
    if hasattr(surface, "mesh"):  # MeshSurfaces
        return surface.mesh.lons.ravel(), surface.mesh.lats.ravel()
    corners = surface.corners  # PlanarSurfaces
    return corners[..., 0].ravel(), corners[..., 1].ravel()


class NonParametricSource(BaseSource):
    """Explicit ruptures with probabilities of occurrence (``nonParametricSeismicSource``).

    Parameters
    ----------
    source_id, name, trt : str
    ruptures : sequence of RuptureBlock
        One or more ruptures each (e.g. from :mod:`toolkit.io.ruptures` readers); their
        ``rate`` is ignored.
    probs_occur : sequence of sequences of float
        For each rupture (in the order of ``ruptures``, flattened), the probabilities of 0, 1,
        2, ... occurrences in the investigation time; lengths may differ (padded with zeros).
    investigation_time : float, optional
        The investigation time the probabilities refer to (years); used only for the
        informative ``rate`` of the blocks.
    """

    kind = "nonParametricSeismicSource"

    def __init__(
        self,
        source_id: str,
        name: str,
        trt: str,
        ruptures: Sequence[RuptureBlock],
        probs_occur: Sequence[Sequence[float]],
        investigation_time: float | None = None,
    ) -> None:
        self.source_id, self.name, self.trt = str(source_id), str(name), str(trt)
        where = self._where
        self.ruptures = list(ruptures)
        n = sum(len(b) for b in self.ruptures)
        if n == 0:
            raise InputError(f"{where}: a non-parametric source needs at least one rupture")
        if len(probs_occur) != n:
            raise InputError(f"{where}: {len(probs_occur)} probs_occur distributions for "
                             f"{n} ruptures")
        checked = [check_probs_occur(p, f"{where}, rupture {i}")
                   for i, p in enumerate(probs_occur)]
        width = max(len(p) for p in checked)
        self.probs_occur = np.zeros((n, width))
        for i, p in enumerate(checked):
            self.probs_occur[i, :len(p)] = p
        self.investigation_time = investigation_time
        mean = self.probs_occur @ np.arange(width)
        self._rates = (mean / investigation_time if investigation_time
                       else np.full(n, np.nan))
        super().__init__(source_id, name, trt, _RuptureMagnitudes(self))

    @property
    def mags(self) -> np.ndarray:
        return np.concatenate([b.mag for b in self.ruptures])

    def count_ruptures(self, min_mag: float = 0.0) -> int:
        return int(np.sum(self.mags >= min_mag - 1e-6))

    def _blocks(self) -> Iterator[RuptureBlock]:
        """The ruptures with probs_occur, consecutive planar ones merged into one block."""
        start = 0
        run: list[RuptureBlock] = []

        def flush() -> Iterator[RuptureBlock]:
            if not run:
                return
            n_run = sum(len(b) for b in run)
            first = start - n_run
            if len(run) == 1:
                surface = run[0].surface
            else:
                surface = PlanarSurfaces.from_cartesian(
                    np.concatenate([b.surface.xyz for b in run]),
                    np.concatenate([b.surface.strike for b in run]),
                    np.concatenate([b.surface.dip for b in run]))
            index = slice(first, start)
            yield RuptureBlock(
                self.source_id, self.trt, np.concatenate([b.mag for b in run]),
                np.concatenate([b.rake for b in run]), self._rates[index],
                np.concatenate([b.hypo for b in run]), surface, self.probs_occur[index])
            run.clear()

        for block in self.ruptures:
            if run and not (isinstance(block.surface, PlanarSurfaces)
                            and isinstance(run[-1].surface, PlanarSurfaces)):
                yield from flush()
            run.append(block)
            start += len(block)
        yield from flush()

    def iter_ruptures(
        self, min_mag: float = 0.0, block_size: int = 100_000
    ) -> Iterator[RuptureBlock]:
        for block in self._blocks():
            keep = np.flatnonzero(block.mag >= min_mag - 1e-6)
            for lo in range(0, len(keep), max(int(block_size), 1)):
                part = keep[lo:lo + block_size]
                yield block if len(part) == len(block) else block.take(part)

    def split(self, max_ruptures: int, min_mag: float = 0.0) -> list[BaseSource]:
        return [self]

    def location_bounds(self) -> tuple[float, float, float, float]:
        pairs = [_surface_lonlats(b.surface) for b in self.ruptures]
        lons = np.concatenate([p[0] for p in pairs] + [b.hypo[:, 0] for b in self.ruptures])
        lats = np.concatenate([p[1] for p in pairs] + [b.hypo[:, 1] for b in self.ruptures])
        return bounding_box(lons, lats)


class _RuptureMagnitudes:
    """The source's magnitudes with their mean occurrence rates (informative MFD)."""

    def __init__(self, src: NonParametricSource) -> None:
        self.src = src

    def get_annual_occurrence_rates(self) -> tuple[np.ndarray, np.ndarray]:
        return self.src.mags, self.src._rates
