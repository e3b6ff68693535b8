"""Coefficient tables of GSIMs, read from the CSV files in ``coefficients/``.

Each file starts with ``# source: ...`` lines naming the publication it was transcribed from,
then a header row whose first column is the IMT key (``PGA``, ``PGV`` or a period in s).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from toolkit.engine.hazard.imt import IMT
from toolkit.errors import InputError

__all__ = ["CoefficientTable"]


class CoefficientTable:
    """One coefficient CSV of ``coefficients/``: rows keyed ``PGA``, ``PGV`` or a period (s).

    Spectral periods between two tabulated periods get coefficients interpolated linearly
    in ln(period); periods outside the tabulated range raise :class:`InputError`.
    """

    def __init__(self, filename: str) -> None:
        path = Path(__file__).with_name("coefficients") / filename
        lines = [
            line for line in path.read_text().splitlines()
            if line.strip() and not line.startswith("#")
        ]
        self.names = lines[0].split(",")[1:]
        self.fixed: dict[str, np.ndarray] = {}
        periods, rows = [], []
        for line in lines[1:]:
            key, *fields = line.split(",")
            row = np.array(fields, dtype=float)
            if key in ("PGA", "PGV"):
                self.fixed[key] = row
            else:
                periods.append(float(key))
                rows.append(row)
        order = np.argsort(periods)
        self.periods = np.asarray(periods)[order]
        self.rows = np.asarray(rows)[order]
        self.filename = filename
        self._cache: dict[IMT, dict[str, float]] = {}

    def __getitem__(self, imt: IMT) -> dict[str, float]:
        try:
            return self._cache[imt]
        except KeyError:
            pass
        if imt.name == "SA":
            low, high = self.periods[0], self.periods[-1]
            if not (low * (1 - 1e-9) <= imt.period <= high * (1 + 1e-9)):
                raise InputError(
                    f"{self.filename}: no coefficients for {imt} (periods {low}-{high} s)"
                )
            ln_t = np.log(self.periods)
            x = np.log(np.clip(imt.period, low, high))
            row = np.array([np.interp(x, ln_t, column) for column in self.rows.T])
        elif imt.name in self.fixed:
            row = self.fixed[imt.name]
        else:
            raise InputError(f"{self.filename}: no coefficients for {imt}")
        coeffs = dict(zip(self.names, row.tolist(), strict=True))
        self._cache[imt] = coeffs
        return coeffs
