"""OpenQuake's magnitude-frequency distributions: truncated Gutenberg-Richter, incremental,
arbitrary and Youngs & Coppersmith (1985).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from toolkit.engine.hazard.mfd.base import (
    _ALIGN_TOL,
    _DECIMALS,
    MFD,
    MOMENT_LOG_SLOPE,
    YC_ANCHOR_OFFSET,
    YC_CHAR_WIDTH,
    _array,
    _non_negative,
    _number,
    _ParameterError,
    _positive,
    _round_half_away,
    moment_from_magnitude,
)


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

    OpenQuake 3.26 bins the same density differently (measured through its public API, not
    documented): bin centres run from the rounded ``min_mag`` to ``char_mag + 0.25`` rounded
    to the bin grid, every bin whose centre lies above :math:`m'` gets the box density times
    the bin width (so the box rate is ``char_rate`` only when the box is aligned with the
    bins) and the others the exponential rate of their whole bin. With ``char_mag = 7.0``,
    bins of 0.1 the two agree below M 6.7 and differ at 6.75-7.35 (OpenQuake QA classical
    case_26 differs by 11 % at its highest levels for that reason); with a box aligned to the
    bins (e.g. ``char_mag = 6.75``) the ``characteristicRate`` form is identical; the
    ``totalMomentRate`` form then still differs by 1.4 % in every rate (the moment balance
    is made differently). The toolkit keeps the exact integral, which conserves
    ``char_rate``.

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
