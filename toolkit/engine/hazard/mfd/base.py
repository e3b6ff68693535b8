"""The MFD base class, the moment-magnitude relation and shared validation helpers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from toolkit.errors import InputError

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
        from toolkit.engine.hazard.mfd.openquake import ArbitraryMFD  # a subclass: import late

        factor = _non_negative(type(self).__name__, "factor", factor)
        if factor == 0:
            return ArbitraryMFD(self._mags, np.zeros_like(self._rates))
        return self._scaled(factor)

    def _scaled(self, factor: float) -> MFD:
        from toolkit.engine.hazard.mfd.openquake import ArbitraryMFD

        return ArbitraryMFD(self._mags, self._rates * factor)

    def _repr_params(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._repr_params().items())
        return f"{type(self).__name__}({params})"
