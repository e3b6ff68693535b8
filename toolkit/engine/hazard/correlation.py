"""Spatial correlation of intra-event ground-motion residuals.

A correlation model gives the correlation coefficient :math:`\\rho(h)` between the normalised
intra-event residuals of one intensity measure type at two sites a distance :math:`h` apart,
and the lower-triangular factor :math:`L` of the sites' correlation matrix
:math:`C = L L^T`, with which :func:`toolkit.engine.hazard.gmf.sample_gmfs` turns independent
standard-normal draws :math:`z` into correlated residuals :math:`L z`.

Jayaram & Baker (2009) model (``"JB2009"``)
-------------------------------------------
An exponential correlation function of the separation distance *h* (km), eq. (20):

.. math:: \\rho(h) = \\exp(-3 h / b)

so that :math:`\\rho(b) = e^{-3} \\approx 0.05`: *b* is the "range" beyond which residuals
are practically uncorrelated. The range depends on the period *T* (s; PGA is *T* = 0):

* *T* < 1 s, case 1, Vs30 values **not** clustered (site conditions vary widely over the
  region; ``vs30_clustering=False``), eq. (17): :math:`b = 8.5 + 17.2\\,T`;
* *T* < 1 s, case 2, Vs30 values clustered (groups of sites with similar geology;
  ``vs30_clustering=True``), eq. (18): :math:`b = 40.7 - 15.0\\,T`;
* *T* >= 1 s, both cases, eq. (19): :math:`b = 22.0 + 3.7\\,T`.

The three expressions agree at *T* = 1 s (*b* = 25.7 km). The model was fitted to spectral
accelerations of the NGA data between 0.01 and 10 s and to PGA; it is not defined for PGV.
Distances are great-circle distances between the sites
(:func:`toolkit.engine.hazard.geo.geodetic_distance`).

The case numbering and the equation numbers were checked against the paper's authors' own
implementation (J. W. Baker's ``GMMs`` repository, ``jb_2009_spatial_corr.m``: case 1 is
"not clustered", case 2 "clustered"); they agree with the paper's discussion on p. 1700.

Memory
------
:meth:`JB2009Correlation.cholesky` holds one dense ``float64`` matrix of ``n x n`` sites,
i.e. :math:`8 n^2` bytes: 5,000 sites take 200 MB, 20,000 sites 3.2 GB. The matrix is built
in blocks of columns directly into that one array and factorised in place, so the peak memory
is that array plus about 40 MB of block temporaries (measured for 5,000 sites: peak
240 MB, 1.5 s on 2 cores). Above ``max_sites`` sites (default 20,000) the model
raises :class:`~toolkit.errors.InputError` rather than exhausting the memory.

References
----------
Jayaram, N. and Baker, J. W. (2009). Correlation model for spatially distributed
ground-motion intensities. *Earthquake Engineering & Structural Dynamics* 38(15), 1687-1708,
https://doi.org/10.1002/eqe.922.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import scipy.linalg

from toolkit.engine.hazard.geo import geodetic_distance
from toolkit.engine.hazard.imt import IMT
from toolkit.errors import InputError
from toolkit.registry import Registry

__all__ = [
    "CorrelationModel",
    "JB2009Correlation",
    "correlation_models",
    "get_correlation_model",
    "DEFAULT_MAX_SITES",
]

#: Default largest number of sites :meth:`JB2009Correlation.cholesky` accepts (3.2 GB matrix).
DEFAULT_MAX_SITES = 20_000

#: Above this many sites the Cholesky factorisation runs on one BLAS thread: the
#: multithreaded ``potrf`` of the OpenBLAS bundled with scipy crashes (segmentation fault) on
#: matrices of about 20,000 x 20,000 (measured: 19,881 sites; OpenBLAS issues #1413, #2821),
#: and one thread factorises them (140 s on this machine for 19,881 sites).
SINGLE_THREAD_ABOVE = 12_000


def _blas_threads_for(n: int) -> Any:
    """A context that limits BLAS to one thread for matrices above
    :data:`SINGLE_THREAD_ABOVE` sites (a no-op below)."""
    import contextlib

    if n <= SINGLE_THREAD_ABOVE:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")

#: Elements of one block of the correlation matrix computed at a time (8 MB of float64).
_BLOCK_ELEMENTS = 1 << 20

#: Registry of the spatial correlation models by the name job files use
#: (``ground_motion_correlation_model``).
correlation_models: Registry[Any] = Registry("ground-motion correlation model")


@runtime_checkable
class CorrelationModel(Protocol):
    """What :func:`toolkit.engine.hazard.gmf.sample_gmfs` needs from a correlation model."""

    def cholesky(self, lons: np.ndarray, lats: np.ndarray, imt: IMT) -> np.ndarray:
        """Lower-triangular ``L`` (n, n) with ``L @ L.T`` the sites' correlation matrix."""
        ...


@correlation_models.add("JB2009")
class JB2009Correlation:
    """Jayaram & Baker (2009) exponential model of spatial intra-event correlation.

    Parameters
    ----------
    vs30_clustering : bool
        True when the Vs30 values of the region are clustered (case 2 of the paper, longer
        correlation ranges at short periods), False when they vary widely (case 1).
    max_sites : int, optional
        Largest number of sites :meth:`cholesky` accepts; the matrix takes
        ``8 * n**2`` bytes (20,000 sites: 3.2 GB).

    References
    ----------
    Jayaram, N. and Baker, J. W. (2009). Correlation model for spatially distributed
    ground-motion intensities. *Earthquake Eng. Struct. Dyn.* 38(15), 1687-1708.

    Examples
    --------
    >>> from toolkit.engine.hazard.imt import PGA, SA
    >>> model = JB2009Correlation(vs30_clustering=False)
    >>> model.range_km(PGA()), model.range_km(SA(2.0))
    (8.5, 29.4)
    """

    #: parameters accepted from ``ground_motion_correlation_params``
    PARAMETERS: ClassVar[frozenset[str]] = frozenset({"vs30_clustering", "max_sites"})
    REQUIRED_PARAMETERS: ClassVar[frozenset[str]] = frozenset({"vs30_clustering"})

    def __init__(self, vs30_clustering: bool, max_sites: int = DEFAULT_MAX_SITES) -> None:
        if not isinstance(vs30_clustering, (bool, np.bool_)):
            raise InputError(
                f"JB2009 correlation: vs30_clustering must be True or False, "
                f"got {vs30_clustering!r}"
            )
        if isinstance(max_sites, bool) or not isinstance(max_sites, (int, np.integer)) or (
            max_sites < 1
        ):
            raise InputError(
                f"JB2009 correlation: max_sites must be a positive integer, got {max_sites!r}"
            )
        self.vs30_clustering = bool(vs30_clustering)
        self.max_sites = int(max_sites)

    def __repr__(self) -> str:
        return f"JB2009Correlation(vs30_clustering={self.vs30_clustering})"

    # ------------------------------------------------------------------ model
    def range_km(self, imt: IMT) -> float:
        """Correlation range *b* (km) of ``imt``, eqs. (17)-(19) of the paper.

        Raises
        ------
        InputError
            For an IMT other than PGA and SA(T).
        """
        if imt.name == "PGA":
            period = 0.0
        elif imt.name == "SA":
            period = float(imt.period)
        else:
            raise InputError(
                f"{self!r} is defined for PGA and SA(T) only, not for IMT {imt}; "
                "remove ground_motion_correlation_model or the IMT"
            )
        if period >= 1.0:
            b = 22.0 + 3.7 * period  # eq. (19)
        elif self.vs30_clustering:
            b = 40.7 - 15.0 * period  # eq. (18), case 2
        else:
            b = 8.5 + 17.2 * period  # eq. (17), case 1
        return round(b, 12)

    def correlation(self, h: np.ndarray | float, imt: IMT) -> np.ndarray:
        """Correlation coefficient exp(-3 h / b) at separation ``h`` (km), eq. (20)."""
        return np.exp(-3.0 * np.asarray(h, dtype=float) / self.range_km(imt))

    def cholesky(self, lons: np.ndarray, lats: np.ndarray, imt: IMT) -> np.ndarray:
        """Lower Cholesky factor ``L`` of the correlation matrix of the sites.

        ``C[i, j] = exp(-3 d_ij / b)`` with ``d_ij`` the great-circle distance (km) between
        sites *i* and *j*, and ``L @ L.T == C``.

        Sites at the same location (equal lon and lat) make *C* singular. The factor is then
        computed for the distinct locations and mapped back: the row of a repeated site
        repeats the row of the first site at its location, and the column of a repeated site
        is zero, so ``L`` is still lower-triangular, ``L @ L.T == C`` and co-located sites get
        identical residuals (the model's limit for h -> 0).

        Parameters
        ----------
        lons, lats : array_like, shape (n,)
            Site coordinates in decimal degrees.
        imt : IMT
            PGA or SA(T).

        Returns
        -------
        ndarray, shape (n, n), float64 (Fortran order)

        Notes
        -----
        Memory: one ``(n, n)`` float64 array (8 n^2 bytes; 20,000 sites = 3.2 GB). It is
        filled in blocks of columns (equivalently rows: *C* is symmetric) and factorised in
        place by LAPACK ``potrf`` (``scipy.linalg.cholesky(..., overwrite_a=True)``); no full
        distance matrix is kept beside it. Time grows as n^3 / 3 flops.

        Raises
        ------
        InputError
            For PGV, for mismatched or non-finite coordinates, for more than ``max_sites``
            sites, or when the matrix is numerically singular (distinct coordinates of
            practically the same place, far below a millimetre apart).
        """
        b = self.range_km(imt)
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        if lons.ndim != 1 or lons.shape != lats.shape:
            raise InputError(
                f"{self!r}: lons and lats must be 1-D arrays of equal length, got shapes "
                f"{lons.shape} and {lats.shape}"
            )
        if not (np.isfinite(lons).all() and np.isfinite(lats).all()):
            raise InputError(f"{self!r}: site coordinates must be finite")
        n = len(lons)
        first, inverse = _unique_locations(lons, lats)
        n_unique = len(first)
        if n > self.max_sites:
            gbytes = 8.0 * n * n / 1e9
            raise InputError(
                f"{self!r}: {n} sites exceed the limit of "
                f"{self.max_sites} for spatially correlated ground motion (the correlation "
                f"matrix would take {gbytes:.1f} GB); use fewer sites (a coarser site grid "
                "or region) or no ground_motion_correlation_model"
            )
        buf = np.empty(n * n, dtype=np.float64)
        if n == 0:
            return buf.reshape((0, 0), order="F")
        # the factor of the distinct locations lives in the first n_unique**2 elements
        small = buf[: n_unique * n_unique].reshape((n_unique, n_unique), order="F")
        _fill_correlation(small, lons[first], lats[first], b)
        try:
            with _blas_threads_for(n_unique):
                small = scipy.linalg.cholesky(
                    small, lower=True, overwrite_a=True, check_finite=False
                )
        except np.linalg.LinAlgError:
            raise InputError(
                f"{self!r}: the correlation matrix of {n_unique} site locations for {imt} is "
                "numerically singular: some sites are practically at the same place without "
                "having exactly the same coordinates; merge them or round the coordinates"
            ) from None
        if not np.shares_memory(small, buf):  # pragma: no cover - scipy copied anyway
            buf[: n_unique * n_unique] = small.ravel(order="F")
        full = buf.reshape((n, n), order="F")
        if n_unique < n:
            _expand_in_place(buf, n, first, inverse)
        return full


def _unique_locations(lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the first site at each distinct location (ascending) and each site's slot.

    Returns ``first`` (k,) and ``inverse`` (n,) with ``(lons[first[inverse]],
    lats[first[inverse]]) == (lons, lats)``; locations are numbered by first occurrence.
    """
    n = len(lons)
    if n == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    _, index, inverse = np.unique(
        np.column_stack([lons, lats]), axis=0, return_index=True, return_inverse=True
    )
    inverse = np.asarray(inverse).reshape(-1)
    order = np.argsort(index, kind="stable")
    rank = np.empty(len(index), dtype=np.intp)
    rank[order] = np.arange(len(index))
    return index[order], rank[inverse]


def _fill_correlation(out: np.ndarray, lons: np.ndarray, lats: np.ndarray, b: float) -> None:
    """Write the lower triangle of exp(-3 d / b) into ``out`` (k, k, Fortran order).

    Column blocks ``j0:j1`` hold the distances of sites ``j0:`` to the block's sites; the
    strict upper triangle outside the blocks' diagonal squares is set to zero (LAPACK reads
    only the lower triangle, but no garbage is left in the array).
    """
    k = len(lons)
    width = max(1, _BLOCK_ELEMENTS // k)
    scale = -3.0 / b
    for j0 in range(0, k, width):
        j1 = min(k, j0 + width)
        h = geodetic_distance(lons[j0:, None], lats[j0:, None], lons[None, j0:j1],
                              lats[None, j0:j1])
        np.multiply(h, scale, out=h)
        np.exp(h, out=h)
        out[j0:, j0:j1] = h
        out[:j0, j0:j1] = 0.0


def _expand_in_place(buf: np.ndarray, n: int, first: np.ndarray, inverse: np.ndarray) -> None:
    """Turn the factor of the k distinct locations into the factor of all n sites in place.

    ``buf[:k*k]`` holds the (k, k) factor ``Lu`` in Fortran order; on return ``buf`` holds the
    (n, n) factor ``L`` (Fortran order) with ``L[:, first[c]] = Lu[inverse, c]`` and zero
    columns for the repeated sites. Column ``c`` of ``Lu`` is read from
    ``buf[c*k:(c+1)*k]`` and written to ``buf[first[c]*n:...]``; since ``first[c] >= c`` and
    ``n > k``, writing columns from the last to the first never overwrites a column not yet
    read. Columns are processed in blocks that are read into a temporary before writing.
    """
    k = len(first)
    small = buf[: k * k].reshape((k, k), order="F")
    full = buf.reshape((n, n), order="F")
    width = max(1, _BLOCK_ELEMENTS // n)
    for c1 in range(k, 0, -width):
        c0 = max(0, c1 - width)
        block = small[inverse, c0:c1]  # fancy indexing: a copy, read before writing
        full[:, first[c0:c1]] = block
    repeated = np.ones(n, dtype=bool)
    repeated[first] = False
    full[:, repeated] = 0.0


def get_correlation_model(name: str, params: dict | None, where: str = "") -> CorrelationModel:
    """Instantiate the correlation model registered as ``name`` with job.ini ``params``.

    Parameters
    ----------
    name : str
        ``ground_motion_correlation_model``, e.g. ``"JB2009"``.
    params : dict
        ``ground_motion_correlation_params``, e.g. ``{"vs30_clustering": True}``.
    where : str
        Where the values come from, for error messages (``"job.ini"``).

    Raises
    ------
    UnknownName
        For an unknown model.
    InputError
        For unknown, missing or invalid parameters.
    """
    cls = correlation_models.get(name, where=where)
    params = dict(params or {})
    place = f"{where}: " if where else ""
    unknown = sorted(set(params) - cls.PARAMETERS)
    if unknown:
        raise InputError(
            f"{place}ground_motion_correlation_params: unknown parameter(s) {unknown} for "
            f"correlation model {name!r}; expected {sorted(cls.PARAMETERS)}"
        )
    missing = sorted(cls.REQUIRED_PARAMETERS - set(params))
    if missing:
        raise InputError(
            f"{place}ground_motion_correlation_params: correlation model {name!r} requires "
            f"{missing}, e.g. {{'vs30_clustering': False}}"
        )
    try:
        return cls(**params)
    except InputError as exc:
        raise InputError(f"{place}ground_motion_correlation_params: {exc}") from None
