"""Intensity measure types (IMTs) named as OpenQuake names them.

An :class:`IMT` is a small immutable value with a ``name`` (``"SA"``), a ``period`` in seconds
(0 for the IMTs without one) and the canonical string (``str(IMT)``), which is the key used in
job files, the datastore, export file names and CSV metadata. Three kinds are parsed:

- without a parameter: ``PGA``, ``PGV``, ``PGD``, ``CAV``, ``MMI``, ``IA`` (Arias intensity),
  ``RSD`` / ``RSD595`` / ``RSD575`` / ``RSD2080`` (significant durations), ``JMA`` (Japanese
  instrumental intensity) and ``AvgSA`` (average spectral acceleration whose periods the GSIM
  sets, as in a generic AvgSA GMPE's ``avg_periods``);
- with a period *T* in s: ``SA(T)`` and ``AvgSA(T)`` (written with ``repr`` of the float,
  ``"SA(0.10)"`` gives ``"SA(0.1)"``);
- with a frequency *f* in Hz: ``EAS(f)``, ``FAS(f)`` and ``DRVT(f)`` (effective / Fourier
  amplitude spectrum, duration for random vibration theory), written with six decimals
  (``"EAS(1.0)"`` gives ``"EAS(1.000000)"``, the string OpenQuake writes in its exports);
  ``period`` holds 1/f.

Units (:attr:`IMT.unit`): g for the accelerations, cm/s for PGV, cm for PGD, m/s for the Arias
intensity (Arias, 1970: IA = pi / (2 g) * integral of a(t)^2 dt), g·s for CAV and for the
Fourier / effective amplitude spectra of acceleration (Bayless & Abrahamson, 2018), s for
durations, none for the macroseismic intensities.

References: Arias, A. (1970). A measure of earthquake intensity. In Seismic Design for Nuclear
Power Plants, MIT Press. Bayless, J. & Abrahamson, N. A. (2018). Summary of the BA18
ground-motion model for Fourier amplitude spectra for crustal earthquakes in California.
PEER Report 2018/05 (EAS, the effective amplitude spectrum, in g·s).

Which GSIM computes which IMT is the GSIM's business (its ``DEFINED_FOR_INTENSITY_MEASURE_TYPES``);
the toolkit's own GSIMs compute PGA, PGV and SA only, the others come through the hazardlib
bridge (:mod:`toolkit.bridges.hazardlib`).
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import numpy as np

from toolkit.errors import InputError

__all__ = ["FREQUENCY_IMTS", "IMT", "LINEAR_IMTS", "NAMES", "PERIOD_IMTS", "PLAIN_IMTS", "PGA",
           "PGV", "SA", "from_string", "level_label", "model_levels"]

#: names without a parameter, with the unit of their values
PLAIN_IMTS: dict[str, str] = {
    "PGA": "g", "PGV": "cm/s", "PGD": "cm", "CAV": "g·s", "MMI": "", "IA": "m/s",
    "RSD": "s", "RSD595": "s", "RSD575": "s", "RSD2080": "s", "JMA": "", "AvgSA": "g",
}
#: names with a period in s (``SA(0.1)``)
PERIOD_IMTS: dict[str, str] = {"SA": "g", "AvgSA": "g"}
#: names with a frequency in Hz (``EAS(1.0)``)
FREQUENCY_IMTS: dict[str, str] = {"EAS": "g·s", "FAS": "g·s", "DRVT": "s"}
#: IMTs whose GSIM means and standard deviations are in the IMT's own units, not natural
#: logarithms (macroseismic intensity is normally, not log-normally, distributed: e.g.
#: Allen et al. 2012, BSSA 102(1)); OpenQuake treats MMI the same way
LINEAR_IMTS = frozenset({"MMI"})
#: every IMT name this module parses
NAMES = frozenset(PLAIN_IMTS) | frozenset(PERIOD_IMTS) | frozenset(FREQUENCY_IMTS)

_NUMBER = r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*"
_WITH_PARAMETER = re.compile(rf"^([A-Za-z]+)\({_NUMBER}\)$")
_EXPECTED = (f"expected one of {', '.join(PLAIN_IMTS)}, "
             f"{', '.join(n + '(T)' for n in PERIOD_IMTS)} (T: period in s) or "
             f"{', '.join(n + '(f)' for n in FREQUENCY_IMTS)} (f: frequency in Hz)")


class IMT(NamedTuple):
    """An intensity measure type.

    Attributes
    ----------
    name : str
        ``"PGA"``, ``"SA"``, ``"IA"``, ``"AvgSA"``, ``"EAS"`` ... (see the module docstring).
    period : float
        Spectral period in s; 0.0 for the IMTs without a parameter (a bare ``AvgSA``
        included); 1/f for the frequency IMTs ``EAS(f)``, ``FAS(f)``, ``DRVT(f)``.
    """

    name: str
    period: float = 0.0

    def __str__(self) -> str:
        if self.name in FREQUENCY_IMTS:
            return f"{self.name}({self.frequency:.6f})"
        if self.name in PERIOD_IMTS and (self.period or self.name == "SA"):
            return f"{self.name}({self.period!r})"
        return self.name

    @property
    def string(self) -> str:
        return str(self)

    @property
    def frequency(self) -> float:
        """1/period in Hz (``inf`` when the period is 0)."""
        return 1.0 / self.period if self.period else float("inf")

    @property
    def lognormal(self) -> bool:
        """True when GSIMs model ln(value) (every IMT but those in :data:`LINEAR_IMTS`)."""
        return self.name not in LINEAR_IMTS

    @property
    def unit(self) -> str:
        """Unit of the values: ``g`` for PGA, SA and AvgSA, ``cm/s`` for PGV, ``m/s`` for
        IA, ``s`` for durations, ``""`` for intensities (MMI, JMA)."""
        if self.name in FREQUENCY_IMTS:
            return FREQUENCY_IMTS[self.name]
        if self.period and self.name in PERIOD_IMTS:
            return PERIOD_IMTS[self.name]
        return PLAIN_IMTS.get(self.name, "")


def model_levels(imt: IMT, levels: Any) -> np.ndarray:
    """Intensity levels in the space GSIMs model ``imt`` in: ln(levels) for log-normal IMTs,
    the levels themselves for :data:`LINEAR_IMTS` (MMI)."""
    values = np.asarray(levels, dtype=float)
    return np.log(values) if imt.lognormal else values


def PGA() -> IMT:  # noqa: N802 - mirrors the OpenQuake constructor names
    return IMT("PGA", 0.0)


def PGV() -> IMT:  # noqa: N802
    return IMT("PGV", 0.0)


def SA(period: float) -> IMT:  # noqa: N802
    return IMT("SA", float(period))


def from_string(text: str) -> IMT:
    """Parse an IMT string: ``"PGA"``, ``"IA"``, ``"SA(0.2)"``, ``"AvgSA(1.0)"``,
    ``"EAS(1.0)"`` ... (``"SA(0.20)"`` gives ``SA(0.2)``; names are case-sensitive).

    Raises
    ------
    InputError
        If the string is not a known IMT or its period/frequency is not positive.
    """
    text = text.strip()
    if text in PLAIN_IMTS:
        return IMT(text, 0.0)
    match = _WITH_PARAMETER.match(text)
    if match:
        name, value = match.group(1), float(match.group(2))
        if name in PERIOD_IMTS:
            if value <= 0:
                raise InputError(f"IMT {text!r}: spectral period must be positive")
            return IMT(name, value)
        if name in FREQUENCY_IMTS:
            if value <= 0:
                raise InputError(f"IMT {text!r}: frequency must be positive")
            return IMT(name, 1.0 / value)
    raise InputError(f"unknown intensity measure type {text!r}; {_EXPECTED}")


def level_label(imt: IMT, level: float) -> str:
    """An intensity level as OpenQuake writes it in CSV headers (``poe-<label>``).

    ``%.7f`` for PGA, PGV and SA (``0.0050000``), ``%.5e`` for every other IMT
    (``5.00000e-03``), as in OpenQuake's exported hazard curves.
    """
    if imt.name in ("PGA", "PGV", "SA"):
        return f"{level:.7f}"
    return f"{level:.5e}"
