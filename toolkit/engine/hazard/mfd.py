"""Magnitude-frequency distributions (MFDs): annual occurrence rates per magnitude bin.

Every MFD is a histogram: :meth:`MFD.get_annual_occurrence_rates` returns the bin-centre
magnitudes (ascending) and the annual rate of earthquakes in each bin. Sources build one
rupture set per bin, at the bin-centre magnitude. Bin centres are rounded to 12 decimals, so
``5.7`` is the same float whether it comes from ``28.5 * 0.2`` or from a job file.

Classes
-------
OpenQuake semantics (the NRML elements OpenQuake reads):

- :class:`TruncatedGRMFD` — ``<truncGutenbergRichterMFD aValue bValue minMag maxMag/>``; the
  bin width is the job's ``width_of_mfd_bin``.
- :class:`EvenlyDiscretizedMFD` — ``<incrementalMFD minMag binWidth>`` + ``<occurRates>``.
- :class:`ArbitraryMFD` — ``<arbitraryMFD>`` + ``<magnitudes>`` and ``<occurRates>``.
- :class:`YoungsCoppersmith1985MFD` — ``<YoungsCoppersmithMFD minMag bValue characteristicMag
  binWidth characteristicRate|totalMomentRate/>``.

Toolkit extensions, moment balanced as the PEER 2018 verification tests require (Hale,
Abrahamson & Bozorgnia 2018, PEER report 2018/03, Set 1 instructions):

- :class:`MomentBalancedDeltaMFD` — a single magnitude (PEER Set 1 cases 1-4, 8).
- :class:`MomentBalancedTruncatedExponentialMFD` — PEER case 5, Set 2 case 2.
- :class:`MomentBalancedTruncatedNormalMFD` — PEER case 6.
- :class:`MomentBalancedYoungsCoppersmithMFD` — PEER case 7 (and Set 2 case 1 faults).

They are written in NRML as one element that OpenQuake does not know::

    <momentBalancedMFD kind="delta" mag="6.5" totalMomentRate="1.8e16"/>
    <momentBalancedMFD kind="truncatedExponential" minMag="5.0" maxMag="6.5" bValue="0.9"
                       totalMomentRate="1.8e16" binWidth="0.01"/>
    <momentBalancedMFD kind="truncatedNormal" minMag="5.0" maxMag="6.5" meanMag="6.2"
                       sigmaMag="0.25" totalMomentRate="1.8e16"/>
    <momentBalancedMFD kind="youngsCoppersmith" minMag="5.0" bValue="0.9"
                       characteristicMag="6.2" maxMag="6.45" totalMomentRate="1.8e16"/>

``totalMomentRate`` is in N·m/yr (PEER Fault 1: 3e10 Pa x 25 km x 12 km x 2 mm/yr =
1.8e16 N·m/yr = 1.8e23 dyne-cm/yr); ``binWidth`` defaults to 0.01 (not to the job's
``width_of_mfd_bin``); ``maxMag`` of ``youngsCoppersmith`` is optional and, when given, must
equal ``characteristicMag + 0.25``. The PEER area-source cases 10 and 11 (N(M >= 5) = 0.0395,
b = 0.9, 5 <= M <= 6.5, not moment balanced) need no extension: they are a
``truncGutenbergRichterMFD`` with ``aValue = log10(N) - log10(10**(-b Mmin) - 10**(-b Mmax))``
(see :meth:`TruncatedGRMFD.from_total_rate`) and ``width_of_mfd_bin = 0.01``.

Moment
------
Seismic moment and moment magnitude are related by Hanks & Kanamori (1979) with the constant
the PEER tests prescribe: log10 M0 [dyne-cm] = 16.05 + 1.5 M, i.e. log10 M0 [N·m] = 9.05 + 1.5 M
(:func:`moment_from_magnitude`).

NRML
----
:func:`build_mfd` turns a parsed NRML element into an MFD; builders are registered in
:data:`mfd_registry` by element tag, so an unknown tag gives a helpful
:class:`~toolkit.errors.UnknownName`. Every error message names the place (``where``), the
element and the attribute.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from toolkit.errors import InputError
from toolkit.registry import Registry

__all__ = [
    "MFD",
    "TruncatedGRMFD",
    "EvenlyDiscretizedMFD",
    "ArbitraryMFD",
    "YoungsCoppersmith1985MFD",
    "MomentBalancedMFD",
    "MomentBalancedDeltaMFD",
    "MomentBalancedTruncatedExponentialMFD",
    "MomentBalancedTruncatedNormalMFD",
    "MomentBalancedYoungsCoppersmithMFD",
    "moment_from_magnitude",
    "mfd_registry",
    "build_mfd",
]

#: log10 M0 [N·m] = MOMENT_LOG_OFFSET + MOMENT_LOG_SLOPE * M (Hanks & Kanamori 1979; PEER 2018).
MOMENT_LOG_OFFSET = 9.05
MOMENT_LOG_SLOPE = 1.5

#: Width of the characteristic box of Youngs & Coppersmith (1985) (their Δm_c), magnitude units.
YC_CHAR_WIDTH = 0.5
#: Distance below the box where YC85 anchors the characteristic density (their Δm_1).
YC_ANCHOR_OFFSET = 1.0

_DECIMALS = 12  # bin centres and edges are rounded to this many decimals
_ALIGN_TOL = 1e-6  # tolerance, in bins, for "is a whole number of bins"


def moment_from_magnitude(mag: float | np.ndarray) -> float | np.ndarray:
    """Seismic moment in N·m of moment magnitude ``mag``: 10 ** (9.05 + 1.5 M).

    Hanks & Kanamori (1979) with the 16.05 dyne-cm constant required by PEER 2018/03.
    """
    return 10.0 ** (MOMENT_LOG_OFFSET + MOMENT_LOG_SLOPE * np.asarray(mag, dtype=float))


# --------------------------------------------------------------------------------------------
# parameter checks: constructor errors name the Python parameter; build_mfd re-renders them
# with the NRML attribute names.


class _NameMap(dict):
    def __missing__(self, key: str) -> str:
        return key


class _ParameterError(InputError):
    """An invalid constructor parameter.

    ``template`` names parameters as ``{python_name}`` so :func:`build_mfd` can show the
    NRML attribute names instead.
    """

    def __init__(self, owner: str, template: str) -> None:
        self.owner = owner
        self.template = template
        super().__init__(f"{owner}: {self.render({})}")

    def render(self, names: Mapping[str, str]) -> str:
        return self.template.format_map(_NameMap(names))


def _number(owner: str, field: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _ParameterError(owner, f"{{{field}}} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise _ParameterError(owner, f"{{{field}}} must be finite, got {value!r}")
    return number


def _positive(owner: str, field: str, value: Any) -> float:
    number = _number(owner, field, value)
    if number <= 0:
        raise _ParameterError(owner, f"{{{field}}} must be > 0, got {number!r}")
    return number


def _non_negative(owner: str, field: str, value: Any) -> float:
    number = _number(owner, field, value)
    if number < 0:
        raise _ParameterError(owner, f"{{{field}}} must be >= 0, got {number!r}")
    return number


def _array(owner: str, field: str, values: Any, *, non_negative: bool) -> np.ndarray:
    try:
        array = np.array(values, dtype=float)
    except (TypeError, ValueError):
        raise _ParameterError(owner, f"{{{field}}} must be a list of numbers") from None
    if array.ndim != 1 or array.size == 0:
        raise _ParameterError(owner, f"{{{field}}} must be a non-empty list of numbers")
    if not np.all(np.isfinite(array)):
        raise _ParameterError(owner, f"{{{field}}} must contain finite numbers only")
    if non_negative and np.any(array < 0):
        first = int(np.flatnonzero(array < 0)[0])
        raise _ParameterError(
            owner, f"{{{field}}} must be >= 0; value {first + 1} is {float(array[first])!r}"
        )
    return array


def _round_half_away(x: float) -> int:
    """Round to the nearest integer, halves away from zero (not Python 3's half-to-even)."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array, dtype=float)
    array.setflags(write=False)
    return array


def _whole_bins(owner: str, span: float, bin_width: float, template: str) -> int:
    """``span / bin_width`` as an int, or a _ParameterError if it is not a whole number."""
    count = span / bin_width
    nearest = round(count)
    if abs(count - nearest) > _ALIGN_TOL:
        raise _ParameterError(owner, template)
    return int(nearest)


# --------------------------------------------------------------------------------------------


class MFD:
    """Base class: an annual-rate histogram over bin-centre magnitudes.

    Subclasses compute their bins once, in ``__init__``, and store them with
    :meth:`_set_bins`. The arrays returned are read-only.
    """

    _mags: np.ndarray
    _rates: np.ndarray

    def _set_bins(self, mags: np.ndarray, rates: np.ndarray) -> None:
        mags = np.round(np.asarray(mags, dtype=float), _DECIMALS)
        order = np.argsort(mags, kind="stable")
        self._mags = _readonly(mags[order])
        self._rates = _readonly(np.asarray(rates, dtype=float)[order])

    def get_annual_occurrence_rates(self) -> tuple[np.ndarray, np.ndarray]:
        """Bin-centre magnitudes (ascending) and annual occurrence rates (1/yr), read-only."""
        return self._mags, self._rates

    @property
    def min_mag(self) -> float:
        """Smallest bin-centre magnitude."""
        return float(self._mags[0])

    @property
    def max_mag(self) -> float:
        """Largest bin-centre magnitude."""
        return float(self._mags[-1])

    @property
    def total_rate(self) -> float:
        """Sum of the bin rates (1/yr)."""
        return float(self._rates.sum())

    def get_total_moment_rate(self) -> float:
        """Moment rate of the histogram, sum of rate x M0(bin centre), in N·m/yr."""
        return float(np.sum(self._rates * moment_from_magnitude(self._mags)))

    def scaled(self, factor: float) -> MFD:
        """A copy with every rate multiplied by ``factor`` (>= 0).

        Area sources use it to spread the rate of the source over its points. The copy keeps
        the class and parameters where it can (``factor > 0``); a zero factor gives an
        :class:`ArbitraryMFD` with zero rates.
        """
        factor = _non_negative(type(self).__name__, "factor", factor)
        if factor == 0:
            return ArbitraryMFD(self._mags, np.zeros_like(self._rates))
        return self._scaled(factor)

    def _scaled(self, factor: float) -> MFD:
        return ArbitraryMFD(self._mags, self._rates * factor)

    def _repr_params(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._repr_params().items())
        return f"{type(self).__name__}({params})"


class TruncatedGRMFD(MFD):
    r"""Doubly truncated Gutenberg-Richter MFD, with OpenQuake's semantics.

    The rate of a bin with edges :math:`m_{lo}, m_{hi}` is

    .. math:: \lambda = 10^{a - b\,m_{lo}} - 10^{a - b\,m_{hi}}

    where :math:`10^a` is the annual rate of M >= 0 of the untruncated distribution (``a`` is
    the cumulative a-value); bins have width ``bin_width``, their centres are
    :math:`m_{lo} + w/2`.

    Rounding (as OpenQuake documents for its ``TruncatedGRMFD``): ``min_mag`` and ``max_mag``
    need not be multiples of the bin width. Each is moved to the nearest multiple of the bin
    width before the histogram is built (exact halves go away from zero, the rounding of
    Python 2 that OpenQuake keeps, computed on ``mag / bin_width`` in floating point), and the
    bins fill the space between the two rounded values: the first bin's lower edge is the
    rounded ``min_mag``, the last bin's upper edge the rounded ``max_mag``.

    Examples: OpenQuake QA classical case_03 (a = 4.5, b = 1, M 5.0-6.5, width 0.2) gives
    centres 5.1, 5.3, ..., 6.5 (6.5 / 0.2 = 32.5 rounds up, so the last upper edge is 6.6);
    case_04 (a = 3.2264, b = 0.953, M 5.9-6.5, width 0.1) gives centres 5.95 ... 6.45. The
    job's ``minimum_magnitude`` (5.7 in case_03) is applied later, by the calculator.

    Parameters
    ----------
    min_mag, max_mag : float
        Lower and upper magnitude limits; ``max_mag >= min_mag + bin_width``.
    bin_width : float
        Width of the magnitude bins (> 0), the job's ``width_of_mfd_bin``.
    a_val : float
        Cumulative a-value (log10 of the annual rate of M >= 0).
    b_val : float
        Gutenberg-Richter b-value (> 0).

    Attributes
    ----------
    lower_edge, upper_edge : float
        The rounded outer bin edges.
    """

    def __init__(
        self, min_mag: float, max_mag: float, bin_width: float, a_val: float, b_val: float
    ) -> None:
        owner = "TruncatedGRMFD"
        self.a_val = _number(owner, "a_val", a_val)
        self.b_val = _positive(owner, "b_val", b_val)
        self.bin_width = _positive(owner, "bin_width", bin_width)
        self.requested_min_mag = _number(owner, "min_mag", min_mag)
        self.requested_max_mag = _number(owner, "max_mag", max_mag)
        width = self.bin_width
        lo, hi = self.requested_min_mag, self.requested_max_mag
        if hi - lo < width * (1 - 1e-9):
            raise _ParameterError(
                owner,
                f"{{max_mag}} = {hi!r} must exceed {{min_mag}} = {lo!r} by at least one bin "
                f"width ({width!r})",
            )
        k_lo = _round_half_away(lo / width)
        k_hi = _round_half_away(hi / width)
        count = k_hi - k_lo
        if count < 1:  # pragma: no cover - excluded by the check above
            raise _ParameterError(owner, "{max_mag}: no magnitude bin after rounding")
        edges = np.round((k_lo + np.arange(count + 1)) * width, _DECIMALS)
        self.lower_edge = float(edges[0])
        self.upper_edge = float(edges[-1])
        rates = 10.0 ** (self.a_val - self.b_val * edges[:-1]) - 10.0 ** (
            self.a_val - self.b_val * edges[1:]
        )
        self._set_bins((k_lo + 0.5 + np.arange(count)) * width, rates)

    @classmethod
    def from_total_rate(
        cls, min_mag: float, max_mag: float, bin_width: float, total_rate: float, b_val: float
    ) -> TruncatedGRMFD:
        r"""The MFD whose rate of ``min_mag <= M <= max_mag`` is ``total_rate``.

        .. math:: a = \log_{10} N - \log_{10}\left(10^{-b M_{min}} - 10^{-b M_{max}}\right)

        This is how the PEER area source (N(M >= 5) = 0.0395 for 5 <= M <= 6.5, b = 0.9) is
        written as a ``truncGutenbergRichterMFD``. The limits are the ones given, before
        rounding to the bin width.
        """
        owner = "TruncatedGRMFD"
        rate = _positive(owner, "total_rate", total_rate)
        b = _positive(owner, "b_val", b_val)
        lo, hi = _number(owner, "min_mag", min_mag), _number(owner, "max_mag", max_mag)
        span = 10.0 ** (-b * lo) - 10.0 ** (-b * hi)
        if span <= 0:
            raise _ParameterError(owner, "{max_mag} must be larger than {min_mag}")
        return cls(lo, hi, bin_width, math.log10(rate) - math.log10(span), b)

    def _scaled(self, factor: float) -> MFD:
        return TruncatedGRMFD(
            self.requested_min_mag,
            self.requested_max_mag,
            self.bin_width,
            self.a_val + math.log10(factor),
            self.b_val,
        )

    def _repr_params(self) -> dict[str, Any]:
        return {
            "min_mag": self.requested_min_mag,
            "max_mag": self.requested_max_mag,
            "bin_width": self.bin_width,
            "a_val": self.a_val,
            "b_val": self.b_val,
        }


class EvenlyDiscretizedMFD(MFD):
    """A histogram given bin by bin (NRML ``incrementalMFD``).

    Parameters
    ----------
    min_mag : float
        Centre of the first bin (OpenQuake semantics: ``minMag`` is a bin centre, not an edge).
    bin_width : float
        Distance between bin centres (> 0).
    occurrence_rates : sequence of float
        Annual rates (>= 0), one per bin, in increasing magnitude.
    """

    def __init__(
        self, min_mag: float, bin_width: float, occurrence_rates: Sequence[float] | np.ndarray
    ) -> None:
        owner = "EvenlyDiscretizedMFD"
        self.first_mag = _number(owner, "min_mag", min_mag)
        self.bin_width = _positive(owner, "bin_width", bin_width)
        rates = _array(owner, "occurrence_rates", occurrence_rates, non_negative=True)
        self._set_bins(self.first_mag + self.bin_width * np.arange(rates.size), rates)

    def _scaled(self, factor: float) -> MFD:
        return EvenlyDiscretizedMFD(self.first_mag, self.bin_width, self._rates * factor)

    def _repr_params(self) -> dict[str, Any]:
        return {
            "min_mag": self.first_mag,
            "bin_width": self.bin_width,
            "occurrence_rates": self._rates.tolist(),
        }


class ArbitraryMFD(MFD):
    """Rates at arbitrary magnitudes (NRML ``arbitraryMFD``).

    Parameters
    ----------
    magnitudes : sequence of float
        Magnitudes; they are sorted (with their rates) if given out of order.
    occurrence_rates : sequence of float
        Annual rates (>= 0), one per magnitude.
    """

    def __init__(
        self,
        magnitudes: Sequence[float] | np.ndarray,
        occurrence_rates: Sequence[float] | np.ndarray,
    ) -> None:
        owner = "ArbitraryMFD"
        mags = _array(owner, "magnitudes", magnitudes, non_negative=False)
        rates = _array(owner, "occurrence_rates", occurrence_rates, non_negative=True)
        if mags.size != rates.size:
            raise _ParameterError(
                owner,
                f"{{magnitudes}} ({mags.size} values) and {{occurrence_rates}} "
                f"({rates.size} values) must have the same length",
            )
        self._set_bins(mags, rates)

    def _repr_params(self) -> dict[str, Any]:
        return {"magnitudes": self._mags.tolist(), "occurrence_rates": self._rates.tolist()}


class YoungsCoppersmith1985MFD(MFD):
    r"""Characteristic-earthquake MFD of Youngs & Coppersmith (1985), OpenQuake semantics.

    Youngs, R. R. and Coppersmith, K. J. (1985). Implications of fault slip rates and
    earthquake recurrence models to probabilistic seismic hazard estimates. BSSA 75(4),
    939-964; the characteristic model of p. 954 with the choices OpenQuake documents:

    - the characteristic part is a box of width :math:`\Delta m_c = 0.5` centred on
      ``char_mag``: uniform density :math:`n_c` on :math:`[m', m' + 0.5]`,
      :math:`m' = m_c - 0.25`;
    - the exponential (Gutenberg-Richter) part ends at :math:`m'` (no gap), with density
      :math:`n(m) = b \ln 10 \; 10^{a - b m}` (``a`` is the cumulative a-value);
    - the two parts are tied by :math:`n_c = n(m' - \Delta m_1)`, :math:`\Delta m_1 = 1`: the
      characteristic density equals the exponential density 1.25 units below ``char_mag``.
      (For b close to 1 this makes the rate of the box close to the exponential rate between
      :math:`m_c - 1.25` and :math:`m_c - 0.25`, YC85's motivation.) The rate of the box is
      ``char_rate`` = :math:`0.5\, n_c`.

    Bins of width ``bin_width`` start at ``min_mag`` rounded to the bin width as in
    :class:`TruncatedGRMFD` and cover the box; each bin's rate is the integral of the
    density over the bin (exponential part up to :math:`m'`, box from :math:`m'` to
    :math:`m_c + 0.25`), so a box that is not aligned with the bins is split exactly.

    Use :meth:`from_characteristic_rate` or :meth:`from_total_moment_rate` (the two NRML
    forms) rather than the constructor.

    Parameters
    ----------
    min_mag : float
        Lower magnitude limit (< ``char_mag - 0.25``).
    a_val : float
        Cumulative a-value of the exponential part.
    b_val : float
        b-value (> 0).
    char_mag : float
        Centre of the characteristic box.
    char_rate : float
        Annual rate of the characteristic earthquakes (the whole box), >= 0.
    bin_width : float
        Bin width (> 0).
    """

    def __init__(
        self,
        min_mag: float,
        a_val: float,
        b_val: float,
        char_mag: float,
        char_rate: float,
        bin_width: float,
    ) -> None:
        owner = "YoungsCoppersmith1985MFD"
        self.requested_min_mag = _number(owner, "min_mag", min_mag)
        self.a_val = _number(owner, "a_val", a_val)
        self.b_val = _positive(owner, "b_val", b_val)
        self.char_mag = _number(owner, "char_mag", char_mag)
        self.char_rate = _non_negative(owner, "char_rate", char_rate)
        self.bin_width = _positive(owner, "bin_width", bin_width)
        m_prime = self.char_mag - YC_CHAR_WIDTH / 2
        m_upper = self.char_mag + YC_CHAR_WIDTH / 2
        if self.requested_min_mag >= m_prime:
            raise _ParameterError(
                owner,
                f"{{min_mag}} = {self.requested_min_mag!r} must be below {{char_mag}} - 0.25 "
                f"= {m_prime!r}",
            )
        width = self.bin_width
        k_lo = _round_half_away(self.requested_min_mag / width)
        k_hi = math.ceil(m_upper / width - _ALIGN_TOL)
        edges = np.round(np.arange(k_lo, k_hi + 1) * width, _DECIMALS)
        lo, hi = edges[:-1], edges[1:]
        exp_hi = np.minimum(hi, m_prime)
        exponential = np.where(
            lo < m_prime,
            10.0 ** (self.a_val - self.b_val * lo) - 10.0 ** (self.a_val - self.b_val * exp_hi),
            0.0,
        )
        overlap = np.clip(np.minimum(hi, m_upper) - np.maximum(lo, m_prime), 0.0, None)
        characteristic = self.char_rate / YC_CHAR_WIDTH * overlap
        self._set_bins(lo + width / 2, exponential + characteristic)

    @classmethod
    def from_characteristic_rate(
        cls, min_mag: float, b_val: float, char_mag: float, char_rate: float, bin_width: float
    ) -> YoungsCoppersmith1985MFD:
        r"""The MFD whose characteristic box has annual rate ``char_rate``.

        The exponential part follows from :math:`n(m_c - 1.25) = \text{char\_rate} / 0.5`:
        :math:`a = \log_{10}(\text{char\_rate}/0.5) + b (m_c - 1.25) - \log_{10}(b \ln 10)`.
        """
        owner = "YoungsCoppersmith1985MFD"
        b = _positive(owner, "b_val", b_val)
        mc = _number(owner, "char_mag", char_mag)
        rate = _positive(owner, "char_rate", char_rate)
        anchor = mc - YC_CHAR_WIDTH / 2 - YC_ANCHOR_OFFSET
        a_incremental = math.log10(rate / YC_CHAR_WIDTH) + b * anchor
        return cls(min_mag, a_incremental - math.log10(b * math.log(10)), b, mc, rate, bin_width)

    @classmethod
    def from_total_moment_rate(
        cls,
        min_mag: float,
        b_val: float,
        char_mag: float,
        total_moment_rate: float,
        bin_width: float,
    ) -> YoungsCoppersmith1985MFD:
        r"""The MFD that releases ``total_moment_rate`` (N·m/yr), YC85's moment balance.

        With :math:`\beta = b \ln 10`, :math:`m' = m_c - 0.25`, :math:`m_u = m_c + 0.25`,
        :math:`c = 1.5` and :math:`E = e^{-\beta (m' - m_0)}`, the rate :math:`N_e` of the
        exponential part (:math:`m_0 \le m \le m'`) follows from

        .. math::

            \dot M_0 = \frac{N_e\, E}{1 - E}\, M_0(m_u)
            \left[\frac{b\,10^{-c/2}}{c - b}
            + \frac{b\, e^{\beta \Delta m_1}\,(1 - 10^{-c/2})}{c}\right]

        which is the moment of the exponential density integrated from :math:`-\infty` to
        :math:`m'` (YC85's approximation: the moment below :math:`m_0` is negligible) plus the
        moment of the box (YC85 p. 954). Then
        :math:`10^{a}(10^{-b m_0} - 10^{-b m'}) = N_e` gives ``a`` and the box rate is
        :math:`0.5\, n(m_c - 1.25)`. ``b`` must be below 1.5.
        """
        owner = "YoungsCoppersmith1985MFD"
        m0 = _number(owner, "min_mag", min_mag)
        b = _positive(owner, "b_val", b_val)
        mc = _number(owner, "char_mag", char_mag)
        moment_rate = _positive(owner, "total_moment_rate", total_moment_rate)
        c = MOMENT_LOG_SLOPE
        if b >= c:
            raise _ParameterError(owner, f"{{b_val}} = {b!r} must be below 1.5 (moment balance)")
        m_prime = mc - YC_CHAR_WIDTH / 2
        if m0 >= m_prime:
            raise _ParameterError(
                owner, f"{{min_mag}} = {m0!r} must be below {{char_mag}} - 0.25 = {m_prime!r}"
            )
        beta = b * math.log(10)
        e = math.exp(-beta * (m_prime - m0))
        shape = (
            b * 10 ** (-c * YC_CHAR_WIDTH) / (c - b)
            + b * math.exp(beta * YC_ANCHOR_OFFSET) * (1 - 10 ** (-c * YC_CHAR_WIDTH)) / c
        )
        n_exp = moment_rate * (1 - e) / (e * float(moment_from_magnitude(mc + 0.25)) * shape)
        a_val = math.log10(n_exp) - math.log10(10 ** (-b * m0) - 10 ** (-b * m_prime))
        density = beta * 10 ** (a_val - b * (m_prime - YC_ANCHOR_OFFSET))
        return cls(m0, a_val, b, mc, YC_CHAR_WIDTH * density, bin_width)

    def _scaled(self, factor: float) -> MFD:
        return YoungsCoppersmith1985MFD(
            self.requested_min_mag,
            self.a_val + math.log10(factor),
            self.b_val,
            self.char_mag,
            self.char_rate * factor,
            self.bin_width,
        )

    def _repr_params(self) -> dict[str, Any]:
        return {
            "min_mag": self.requested_min_mag,
            "a_val": self.a_val,
            "b_val": self.b_val,
            "char_mag": self.char_mag,
            "char_rate": self.char_rate,
            "bin_width": self.bin_width,
        }


# --------------------------------------------------------------------------------------------
# moment-balanced MFDs (PEER 2018)


class MomentBalancedMFD(MFD):
    r"""Base of the moment-balanced MFDs of the PEER 2018 tests (toolkit extension).

    Discretisation (PEER 2018/03 Set 1 rules, reproduced to 5e-8 relative against the
    nshmp-haz MFDs for Set 1 cases 1, 2, 4-7 and Set 2 case 2):

    1. Bins of width ``bin_width`` with ``min_mag`` on a bin edge ("Mmin at the lower edge of
       a bin") and ``max_mag`` on a bin edge (whole number of bins required).
    2. Each bin gets a weight :math:`w_i = f(c_i)`, the shape of the magnitude density at its
       centre :math:`c_i` (normalisation constants cancel).
    3. The grid is continued below ``min_mag`` down to M = 0 ("integrate the magnitude
       density from M = 0, not Mmin, when balancing moment"), and the rates are

       .. math:: \lambda_i = \dot M_0 \, \frac{w_i}{\sum_{j} w_j \, M_0(c_j)}

       with the sum over all bins from M = 0 to ``max_mag`` (the discrete form of the moment
       integral), :math:`M_0(m) = 10^{9.05 + 1.5 m}` N·m.
    4. Only the bins from ``min_mag`` up are returned: the smaller earthquakes release moment
       but are not modelled.

    For the exponential shape, density-at-centre weights are proportional to the exact bin
    probabilities, so 2. is exact there; for the truncated normal and the characteristic box
    it is what nshmp-haz does. The continuous moment integral instead of the discrete sum
    changes the rates by about 1e-5 (relative).

    Parameters
    ----------
    total_moment_rate : float
        Moment rate to release, N·m/yr (>= 0): shear modulus x fault area x slip rate.
    """

    OWNER = "MomentBalancedMFD"

    def __init__(self, total_moment_rate: float) -> None:
        self.total_moment_rate = _non_negative(self.OWNER, "total_moment_rate", total_moment_rate)

    def _grid(self, min_mag: float, max_mag: float, bin_width: float) -> tuple[np.ndarray, int]:
        """Bin centres from the lowest bin >= 0 up to ``max_mag``; index of the first >= min."""
        count = _whole_bins(
            self.OWNER,
            max_mag - min_mag,
            bin_width,
            f"{{max_mag}} - {{min_mag}} = {max_mag - min_mag!r} must be a whole number of bins "
            f"of width {{bin_width}} = {bin_width!r}",
        )
        below = math.floor(min_mag / bin_width + _ALIGN_TOL) if min_mag > 0 else 0
        centres = min_mag + (np.arange(-below, count) + 0.5) * bin_width
        return np.round(centres, _DECIMALS), below

    def _balance(self, centres: np.ndarray, weights: np.ndarray, first: int) -> None:
        moment = float(np.sum(weights * moment_from_magnitude(centres)))
        scale = self.total_moment_rate / moment
        self._set_bins(centres[first:], scale * weights[first:])

    def _common_repr(self) -> dict[str, Any]:
        return {"total_moment_rate": self.total_moment_rate}


def _check_range(owner: str, min_mag: float, max_mag: float) -> None:
    if max_mag <= min_mag:
        raise _ParameterError(
            owner, f"{{max_mag}} = {max_mag!r} must be larger than {{min_mag}} = {min_mag!r}"
        )


class MomentBalancedDeltaMFD(MomentBalancedMFD):
    r"""All the moment released by earthquakes of one magnitude (PEER Set 1 cases 1-4, 8).

    Rate :math:`\dot M_0 / M_0(M)`; e.g. PEER Fault 1 (1.8e16 N·m/yr), M 6.5: 2.8528e-3 /yr.

    Parameters
    ----------
    mag : float
        The magnitude.
    total_moment_rate : float
        N·m/yr (>= 0).
    """

    OWNER = "MomentBalancedDeltaMFD"

    def __init__(self, mag: float, total_moment_rate: float) -> None:
        super().__init__(total_moment_rate)
        self.mag = _number(self.OWNER, "mag", mag)
        rate = self.total_moment_rate / float(moment_from_magnitude(self.mag))
        self._set_bins(np.array([self.mag]), np.array([rate]))

    def _scaled(self, factor: float) -> MFD:
        return MomentBalancedDeltaMFD(self.mag, self.total_moment_rate * factor)

    def _repr_params(self) -> dict[str, Any]:
        return {"mag": self.mag, **self._common_repr()}


class MomentBalancedTruncatedExponentialMFD(MomentBalancedMFD):
    r"""Truncated exponential (Gutenberg-Richter) MFD balanced to a moment rate (PEER case 5).

    Density shape :math:`f(m) \propto 10^{-b m}` for :math:`0 \le m \le M_{max}`; discretised
    and balanced as described in :class:`MomentBalancedMFD`. PEER case 5 (Fault 1, M 5-6.5,
    b = 0.9) gives a total rate of 4.0680e-2 /yr for M 5-6.5.

    Parameters
    ----------
    min_mag, max_mag : float
        Smallest and largest magnitude modelled (bin edges).
    b_val : float
        b-value (> 0).
    total_moment_rate : float
        N·m/yr (>= 0).
    bin_width : float, optional
        Bin width, default 0.01.
    """

    OWNER = "MomentBalancedTruncatedExponentialMFD"

    def __init__(
        self,
        min_mag: float,
        max_mag: float,
        b_val: float,
        total_moment_rate: float,
        bin_width: float = 0.01,
    ) -> None:
        super().__init__(total_moment_rate)
        owner = self.OWNER
        self.min_mag_edge = _non_negative(owner, "min_mag", min_mag)
        self.max_mag_edge = _number(owner, "max_mag", max_mag)
        self.b_val = _positive(owner, "b_val", b_val)
        self.bin_width = _positive(owner, "bin_width", bin_width)
        _check_range(owner, self.min_mag_edge, self.max_mag_edge)
        centres, first = self._grid(self.min_mag_edge, self.max_mag_edge, self.bin_width)
        self._balance(centres, 10.0 ** (-self.b_val * centres), first)

    def _scaled(self, factor: float) -> MFD:
        return MomentBalancedTruncatedExponentialMFD(
            self.min_mag_edge,
            self.max_mag_edge,
            self.b_val,
            self.total_moment_rate * factor,
            self.bin_width,
        )

    def _repr_params(self) -> dict[str, Any]:
        return {
            "min_mag": self.min_mag_edge,
            "max_mag": self.max_mag_edge,
            "b_val": self.b_val,
            **self._common_repr(),
            "bin_width": self.bin_width,
        }


class MomentBalancedTruncatedNormalMFD(MomentBalancedMFD):
    r"""Truncated normal MFD balanced to a moment rate (PEER case 6).

    Density shape :math:`f(m) \propto \exp(-(m - \mu)^2 / 2\sigma^2)` for
    :math:`0 \le m \le M_{max}`, i.e. a normal distribution cut at ``max_mag`` (and, for the
    rates returned, at ``min_mag``) and renormalised; the truncation needs no explicit
    normalisation because the moment balance fixes the scale. Discretised and balanced as in
    :class:`MomentBalancedMFD`: the bin weight is the normal density at the bin centre, not
    the probability between the bin edges (they differ by up to 0.15 % for sigma = 0.25 and
    0.01 bins, and nshmp-haz uses the density).

    Parameters
    ----------
    min_mag, max_mag : float
        Smallest and largest magnitude modelled (bin edges).
    mean_mag : float
        Mean of the normal distribution (PEER: Mchar).
    sigma_mag : float
        Its standard deviation (> 0).
    total_moment_rate : float
        N·m/yr (>= 0).
    bin_width : float, optional
        Bin width, default 0.01.
    """

    OWNER = "MomentBalancedTruncatedNormalMFD"

    def __init__(
        self,
        min_mag: float,
        max_mag: float,
        mean_mag: float,
        sigma_mag: float,
        total_moment_rate: float,
        bin_width: float = 0.01,
    ) -> None:
        super().__init__(total_moment_rate)
        owner = self.OWNER
        self.min_mag_edge = _non_negative(owner, "min_mag", min_mag)
        self.max_mag_edge = _number(owner, "max_mag", max_mag)
        self.mean_mag = _number(owner, "mean_mag", mean_mag)
        self.sigma_mag = _positive(owner, "sigma_mag", sigma_mag)
        self.bin_width = _positive(owner, "bin_width", bin_width)
        _check_range(owner, self.min_mag_edge, self.max_mag_edge)
        centres, first = self._grid(self.min_mag_edge, self.max_mag_edge, self.bin_width)
        weights = np.exp(-0.5 * ((centres - self.mean_mag) / self.sigma_mag) ** 2)
        self._balance(centres, weights, first)

    def _scaled(self, factor: float) -> MFD:
        return MomentBalancedTruncatedNormalMFD(
            self.min_mag_edge,
            self.max_mag_edge,
            self.mean_mag,
            self.sigma_mag,
            self.total_moment_rate * factor,
            self.bin_width,
        )

    def _repr_params(self) -> dict[str, Any]:
        return {
            "min_mag": self.min_mag_edge,
            "max_mag": self.max_mag_edge,
            "mean_mag": self.mean_mag,
            "sigma_mag": self.sigma_mag,
            **self._common_repr(),
            "bin_width": self.bin_width,
        }


class MomentBalancedYoungsCoppersmithMFD(MomentBalancedMFD):
    r"""Youngs & Coppersmith (1985) characteristic MFD balanced to a moment rate (PEER case 7).

    The continuous model is the one of :class:`YoungsCoppersmith1985MFD`: exponential density
    :math:`\propto 10^{-b m}` up to :math:`m' = m_c - 0.25`, a uniform box on
    :math:`[m', m_c + 0.25]` whose density equals the exponential density 1 unit below
    :math:`m'`. On the bin grid of :class:`MomentBalancedMFD` (weights = density at bin
    centres, grid from M = 0) the anchor is taken on the grid: the weight of every box bin is
    the weight of the bin centred 1.0 below the last exponential bin, i.e. the exponential
    density at :math:`m_c - 1.25 - w/2`. This is the discretisation of the PEER reference
    MFDs (nshmp-haz; reproduced to 2e-8); anchoring at exactly :math:`m_c - 1.25` would make
    the box :math:`10^{b w / 2} - 1` (1.04 % for b = 0.9, w = 0.01) heavier.

    PEER case 7: Mchar 6.2, Mmax 6.45, Mmin 5, b 0.9 on Fault 1.

    Parameters
    ----------
    min_mag : float
        Smallest magnitude modelled (a bin edge, below ``char_mag - 0.25``).
    b_val : float
        b-value (> 0).
    char_mag : float
        Centre of the characteristic box; ``char_mag - 0.25 - min_mag`` and the box width 0.5
        must be whole numbers of bins.
    total_moment_rate : float
        N·m/yr (>= 0).
    bin_width : float, optional
        Bin width, default 0.01.
    """

    OWNER = "MomentBalancedYoungsCoppersmithMFD"

    def __init__(
        self,
        min_mag: float,
        b_val: float,
        char_mag: float,
        total_moment_rate: float,
        bin_width: float = 0.01,
    ) -> None:
        super().__init__(total_moment_rate)
        owner = self.OWNER
        self.min_mag_edge = _non_negative(owner, "min_mag", min_mag)
        self.b_val = _positive(owner, "b_val", b_val)
        self.char_mag = _number(owner, "char_mag", char_mag)
        self.bin_width = _positive(owner, "bin_width", bin_width)
        width = self.bin_width
        m_prime = self.char_mag - YC_CHAR_WIDTH / 2
        if self.min_mag_edge >= m_prime:
            raise _ParameterError(
                owner,
                f"{{min_mag}} = {self.min_mag_edge!r} must be below {{char_mag}} - 0.25 "
                f"= {m_prime!r}",
            )
        _whole_bins(
            owner,
            YC_CHAR_WIDTH,
            width,
            f"the characteristic box (0.5 wide) must be a whole number of bins of width "
            f"{{bin_width}} = {width!r}",
        )
        n_exp = _whole_bins(
            owner,
            m_prime - self.min_mag_edge,
            width,
            f"{{char_mag}} - 0.25 - {{min_mag}} = {m_prime - self.min_mag_edge!r} must be a "
            f"whole number of bins of width {{bin_width}} = {width!r}",
        )
        centres, first = self._grid(self.min_mag_edge, self.char_mag + YC_CHAR_WIDTH / 2, width)
        last_exponential = centres[first + n_exp - 1] if n_exp else m_prime - width / 2
        weights = np.where(
            centres < m_prime,
            10.0 ** (-self.b_val * centres),
            10.0 ** (-self.b_val * (last_exponential - YC_ANCHOR_OFFSET)),
        )
        self._balance(centres, weights, first)

    @property
    def max_mag_edge(self) -> float:
        """Upper end of the characteristic box, ``char_mag + 0.25``."""
        return self.char_mag + YC_CHAR_WIDTH / 2

    def _scaled(self, factor: float) -> MFD:
        return MomentBalancedYoungsCoppersmithMFD(
            self.min_mag_edge,
            self.b_val,
            self.char_mag,
            self.total_moment_rate * factor,
            self.bin_width,
        )

    def _repr_params(self) -> dict[str, Any]:
        return {
            "min_mag": self.min_mag_edge,
            "b_val": self.b_val,
            "char_mag": self.char_mag,
            **self._common_repr(),
            "bin_width": self.bin_width,
        }


# --------------------------------------------------------------------------------------------
# NRML construction

#: NRML element tag -> builder ``(element, bin_width) -> MFD``.
mfd_registry: Registry[Callable[..., MFD]] = Registry("MFD")

#: ``kind`` of ``<momentBalancedMFD>`` -> builder ``(element) -> MFD``.
_balanced_kinds: Registry[Callable[..., MFD]] = Registry("momentBalancedMFD kind")


class _Element:
    """A parsed NRML MFD element with helpers that raise located InputErrors."""

    def __init__(
        self,
        tag: str,
        attrib: Mapping[str, str],
        values: Mapping[str, Sequence[float]],
        where: str,
    ) -> None:
        self.tag = tag
        self.attrib = dict(attrib)
        self.values = dict(values)
        self.where = where

    def error(self, message: str) -> InputError:
        place = f"{self.where}: " if self.where else ""
        return InputError(f"{place}<{self.tag}> {message}")

    def expect(
        self,
        required: Sequence[str] = (),
        optional: Sequence[str] = (),
        children: Sequence[str] = (),
        what: str = "",
    ) -> None:
        """Check the attribute and child names: all required present, nothing unknown."""
        allowed = set(required) | set(optional)
        unknown = sorted(set(self.attrib) - allowed)
        if unknown:
            expected = ", ".join(sorted(allowed)) or "none"
            raise self.error(
                f"{what}has unexpected attribute(s) {', '.join(unknown)} (expected: {expected})"
            )
        missing = [name for name in required if name not in self.attrib]
        if missing:
            raise self.error(f"{what}is missing attribute(s) {', '.join(missing)}")
        extra = sorted(set(self.values) - set(children))
        if extra:
            expected = ", ".join(f"<{c}>" for c in children) or "none"
            raise self.error(
                f"has unexpected child element(s) {', '.join(f'<{c}>' for c in extra)} "
                f"(expected: {expected})"
            )
        absent = [name for name in children if name not in self.values]
        if absent:
            raise self.error(f"is missing child element(s) {', '.join(f'<{c}>' for c in absent)}")

    def number(self, name: str, default: float | None = None) -> float:
        text = self.attrib.get(name)
        if text is None:
            if default is None:
                raise self.error(f"is missing attribute {name}")
            return default
        try:
            value = float(text)
        except (TypeError, ValueError):
            raise self.error(f"attribute {name}={text!r} is not a number") from None
        if not math.isfinite(value):
            raise self.error(f"attribute {name}={text!r} must be finite")
        return value

    def array(self, name: str) -> list[float]:
        values = self.values[name]
        if len(values) == 0:
            raise self.error(f"<{name}> is empty")
        return list(values)

    @contextlib.contextmanager
    def names(self, mapping: Mapping[str, str]) -> Iterator[None]:
        """Re-raise constructor errors with NRML attribute names (``mapping``: python->NRML)."""
        try:
            yield
        except _ParameterError as err:
            raise self.error(err.render(mapping)) from None


def build_mfd(
    tag: str,
    attrib: Mapping[str, str],
    values: Mapping[str, Sequence[float]],
    *,
    bin_width: float | None,
    where: str,
) -> MFD:
    """Build the MFD of one NRML element.

    Parameters
    ----------
    tag : str
        Local tag name of the element (``"truncGutenbergRichterMFD"``, ``"incrementalMFD"``,
        ``"arbitraryMFD"``, ``"YoungsCoppersmithMFD"``, ``"momentBalancedMFD"``).
    attrib : mapping of str to str
        The element's attributes, as text.
    values : mapping of str to list of float
        The float lists of its child elements, e.g. ``{"occurRates": [...]}``.
    bin_width : float or None
        The job's ``width_of_mfd_bin`` (None if not set); required by
        ``truncGutenbergRichterMFD`` only.
    where : str
        Location for error messages, e.g. ``"source_model.xml line 42, source 'A1'"``.

    Raises
    ------
    UnknownName
        Unknown tag (or unknown ``kind`` of ``momentBalancedMFD``).
    InputError
        Missing, unexpected or invalid attributes or child elements.
    """
    builder = mfd_registry.get(tag, where=where)
    return builder(_Element(tag, attrib, values, where), bin_width)


@mfd_registry.add("truncGutenbergRichterMFD")
def _build_truncated_gr(el: _Element, bin_width: float | None) -> MFD:
    el.expect(required=("aValue", "bValue", "minMag", "maxMag"))
    if bin_width is None:
        raise el.error("needs the bin width: width_of_mfd_bin is required in the job.ini")
    with el.names(
        {
            "a_val": "aValue",
            "b_val": "bValue",
            "min_mag": "minMag",
            "max_mag": "maxMag",
            "bin_width": "width_of_mfd_bin",
        }
    ):
        return TruncatedGRMFD(
            el.number("minMag"),
            el.number("maxMag"),
            bin_width,
            el.number("aValue"),
            el.number("bValue"),
        )


@mfd_registry.add("incrementalMFD")
def _build_incremental(el: _Element, bin_width: float | None) -> MFD:
    el.expect(required=("minMag", "binWidth"), children=("occurRates",))
    with el.names(
        {"min_mag": "minMag", "bin_width": "binWidth", "occurrence_rates": "<occurRates>"}
    ):
        return EvenlyDiscretizedMFD(
            el.number("minMag"), el.number("binWidth"), el.array("occurRates")
        )


@mfd_registry.add("arbitraryMFD")
def _build_arbitrary(el: _Element, bin_width: float | None) -> MFD:
    el.expect(children=("magnitudes", "occurRates"))
    with el.names({"magnitudes": "<magnitudes>", "occurrence_rates": "<occurRates>"}):
        return ArbitraryMFD(el.array("magnitudes"), el.array("occurRates"))


@mfd_registry.add("YoungsCoppersmithMFD")
def _build_youngs_coppersmith(el: _Element, bin_width: float | None) -> MFD:
    el.expect(
        required=("minMag", "bValue", "characteristicMag", "binWidth"),
        optional=("characteristicRate", "totalMomentRate"),
    )
    has_rate = "characteristicRate" in el.attrib
    has_moment = "totalMomentRate" in el.attrib
    if has_rate == has_moment:
        raise el.error("needs exactly one of the attributes characteristicRate, totalMomentRate")
    names = {
        "min_mag": "minMag",
        "b_val": "bValue",
        "char_mag": "characteristicMag",
        "bin_width": "binWidth",
        "char_rate": "characteristicRate",
        "total_moment_rate": "totalMomentRate",
    }
    args = (el.number("minMag"), el.number("bValue"), el.number("characteristicMag"))
    with el.names(names):
        if has_rate:
            return YoungsCoppersmith1985MFD.from_characteristic_rate(
                *args, el.number("characteristicRate"), el.number("binWidth")
            )
        return YoungsCoppersmith1985MFD.from_total_moment_rate(
            *args, el.number("totalMomentRate"), el.number("binWidth")
        )


@mfd_registry.add("momentBalancedMFD")
def _build_moment_balanced(el: _Element, bin_width: float | None) -> MFD:
    kind = el.attrib.get("kind")
    if kind is None:
        raise el.error(f"is missing attribute kind (one of: {', '.join(_balanced_kinds.names())})")
    builder = _balanced_kinds.get(kind, where=f"{el.where}: <{el.tag}>" if el.where else "")
    return builder(el)


_BALANCED_NAMES = {
    "mag": "mag",
    "min_mag": "minMag",
    "max_mag": "maxMag",
    "b_val": "bValue",
    "mean_mag": "meanMag",
    "sigma_mag": "sigmaMag",
    "char_mag": "characteristicMag",
    "total_moment_rate": "totalMomentRate",
    "bin_width": "binWidth",
}


@_balanced_kinds.add("delta")
def _build_balanced_delta(el: _Element) -> MFD:
    el.expect(required=("kind", "mag", "totalMomentRate"), what='kind="delta" ')
    with el.names(_BALANCED_NAMES):
        return MomentBalancedDeltaMFD(el.number("mag"), el.number("totalMomentRate"))


@_balanced_kinds.add("truncatedExponential")
def _build_balanced_exponential(el: _Element) -> MFD:
    el.expect(
        required=("kind", "minMag", "maxMag", "bValue", "totalMomentRate"),
        optional=("binWidth",),
        what='kind="truncatedExponential" ',
    )
    with el.names(_BALANCED_NAMES):
        return MomentBalancedTruncatedExponentialMFD(
            el.number("minMag"),
            el.number("maxMag"),
            el.number("bValue"),
            el.number("totalMomentRate"),
            el.number("binWidth", 0.01),
        )


@_balanced_kinds.add("truncatedNormal")
def _build_balanced_normal(el: _Element) -> MFD:
    el.expect(
        required=("kind", "minMag", "maxMag", "meanMag", "sigmaMag", "totalMomentRate"),
        optional=("binWidth",),
        what='kind="truncatedNormal" ',
    )
    with el.names(_BALANCED_NAMES):
        return MomentBalancedTruncatedNormalMFD(
            el.number("minMag"),
            el.number("maxMag"),
            el.number("meanMag"),
            el.number("sigmaMag"),
            el.number("totalMomentRate"),
            el.number("binWidth", 0.01),
        )


@_balanced_kinds.add("youngsCoppersmith")
def _build_balanced_youngs_coppersmith(el: _Element) -> MFD:
    el.expect(
        required=("kind", "minMag", "bValue", "characteristicMag", "totalMomentRate"),
        optional=("binWidth", "maxMag"),
        what='kind="youngsCoppersmith" ',
    )
    char_mag = el.number("characteristicMag")
    if "maxMag" in el.attrib:
        max_mag = el.number("maxMag")
        if abs(max_mag - (char_mag + YC_CHAR_WIDTH / 2)) > 1e-6:
            raise el.error(
                f"maxMag = {max_mag!r} must equal characteristicMag + 0.25 = "
                f"{char_mag + YC_CHAR_WIDTH / 2!r} (the characteristic box is 0.5 wide)"
            )
    with el.names(_BALANCED_NAMES):
        return MomentBalancedYoungsCoppersmithMFD(
            el.number("minMag"),
            el.number("bValue"),
            char_mag,
            el.number("totalMomentRate"),
            el.number("binWidth", 0.01),
        )
