"""Intensity measure types (IMTs): PGA, PGV, SA(T).

Names follow OpenQuake: ``"PGA"``, ``"PGV"``, ``"SA(0.1)"``. An :class:`IMT` is a small
immutable value with a ``name`` (``"SA"``), a ``period`` in seconds (0 for PGA/PGV) and the
canonical string (``str(IMT)``), which is the key used in job files, the datastore and exports.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from toolkit.errors import InputError

__all__ = ["IMT", "from_string", "PGA", "PGV", "SA"]

_SA = re.compile(r"^SA\(\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*\)$")


class IMT(NamedTuple):
    """An intensity measure type.

    Attributes
    ----------
    name : str
        ``"PGA"``, ``"PGV"`` or ``"SA"``.
    period : float
        Spectral period in s (0.0 for PGA and PGV).
    """

    name: str
    period: float = 0.0

    def __str__(self) -> str:
        if self.name == "SA":
            return f"SA({self.period!r})"
        return self.name

    @property
    def string(self) -> str:
        return str(self)

    @property
    def unit(self) -> str:
        """Unit of the values: ``g`` for PGA and SA, ``cm/s`` for PGV."""
        return "cm/s" if self.name == "PGV" else "g"


def PGA() -> IMT:  # noqa: N802 - mirrors the OpenQuake constructor names
    return IMT("PGA", 0.0)


def PGV() -> IMT:  # noqa: N802
    return IMT("PGV", 0.0)


def SA(period: float) -> IMT:  # noqa: N802
    return IMT("SA", float(period))


def from_string(text: str) -> IMT:
    """Parse ``"PGA"``, ``"PGV"`` or ``"SA(0.2)"`` (``"SA(0.20)"`` gives ``SA(0.2)``).

    Raises
    ------
    InputError
        If the string is not a known IMT.
    """
    text = text.strip()
    if text in ("PGA", "PGV"):
        return IMT(text, 0.0)
    match = _SA.match(text)
    if match:
        period = float(match.group(1))
        if period <= 0:
            raise InputError(f"IMT {text!r}: spectral period must be positive")
        return IMT("SA", period)
    raise InputError(f"unknown intensity measure type {text!r}; expected PGA, PGV or SA(T)")
