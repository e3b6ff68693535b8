"""Sadigh, Chang, Egan, Makdisi & Youngs (1997): shallow crustal earthquakes in California.

Reference
---------
Sadigh, K., Chang, C.-Y., Egan, J. A., Makdisi, F. and Youngs, R. R. (1997). Attenuation
relationships for shallow crustal earthquakes based on California strong motion data.
*Seismological Research Letters* 68(1), 180-189. https://doi.org/10.1785/gssrl.68.1.180

The paper gives two relationships for the horizontal component, one for rock and one for
deep soil, each with one coefficient set for M <= 6.5 and one for M > 6.5. A site is rock
when vs30 > 750 m/s and deep soil otherwise (the convention OpenQuake documents for its
``SadighEtAl1997``).

Coefficients: ``coefficients/Sadigh97_{BClo,BChi,Dlo,Dhi}.csv`` (rock and deep soil, low and
high magnitude), transcribed from the USGS nshmp-haz tables (public domain; see the
``# source:`` line of each file). Column ``0.075`` is the paper's shortest spectral period;
the OpenSHA verification tables label the rock column ``0.07``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.base import GMPE
from toolkit.engine.hazard.gsim.coeffs import CoefficientTable
from toolkit.engine.hazard.gsim.component_conversion import GEOMETRIC_MEAN
from toolkit.engine.hazard.imt import IMT

__all__ = ["SadighEtAl1997"]

#: Sites with vs30 above this (m/s) use the rock relationship, the others deep soil.
ROCK_VS30 = 750.0
#: Magnitudes above this use the "high magnitude" coefficient sets.
MAG_SPLIT = 6.5
#: Rock motions for reverse faulting are the strike-slip ones times this factor.
ROCK_REVERSE_FACTOR = 1.2
#: Magnitude from which sigma is constant (``sigMax``): rock, deep soil.
ROCK_SIGMA_MAG_CAP = 7.21
SOIL_SIGMA_MAG_CAP = 7.0


_ROCK_LOW = CoefficientTable("Sadigh97_BClo.csv")
_ROCK_HIGH = CoefficientTable("Sadigh97_BChi.csv")
_SOIL_LOW = CoefficientTable("Sadigh97_Dlo.csv")
_SOIL_HIGH = CoefficientTable("Sadigh97_Dhi.csv")


def _get_coefficients(low: dict[str, float], high: dict[str, float],
                      mag: np.ndarray) -> dict[str, np.ndarray]:
    """Coefficients per pair: the M > 6.5 set where ``mag > 6.5``, else the M <= 6.5 set."""
    is_high = mag > MAG_SPLIT
    return {name: np.where(is_high, high[name], low[name]) for name in low}


def _get_reverse(rake: np.ndarray) -> np.ndarray:
    """True for reverse and reverse-oblique faulting (45 <= rake <= 135 degrees).

    Normal faulting and a NaN rake are treated as strike-slip, as the paper has only the
    strike-slip and reverse classes.
    """
    return (rake >= 45.0) & (rake <= 135.0)


def _get_rock_mean(C: dict[str, np.ndarray], mag: np.ndarray, rrup: np.ndarray,
                   reverse: np.ndarray) -> np.ndarray:
    """ln(median) on rock (the paper's rock-site relationship, horizontal component).

    .. math::
        \\ln y = C_1 + C_2 M + C_3 (8.5 - M)^{2.5} + C_4 \\ln(r_{rup} + e^{C_5 + C_6 M})
        + C_7 \\ln(r_{rup} + 2)

    The third term is ``C3 (8.5 - M)^2.5`` (the PEER 2010 report, Table 3.1, misprints it);
    above M 8.5, where the power is undefined, it is taken as 0.
    Reverse and thrust motions are 1.2 times the strike-slip ones (the tables repeat the
    strike-slip ``C1`` and ``C6`` in their reverse columns).
    """
    c1 = np.where(reverse, C["c1r"], C["c1ss"])
    c6 = np.where(reverse, C["c6r"], C["c6ss"])
    ln_y = (
        c1
        + C["c2"] * mag
        + C["c3"] * np.maximum(8.5 - mag, 0.0) ** 2.5
        + C["c4"] * np.log(rrup + np.exp(C["c5"] + c6 * mag))
        + C["c7"] * np.log(rrup + 2.0)
    )
    return ln_y + np.where(reverse, np.log(ROCK_REVERSE_FACTOR), 0.0)


def _get_soil_mean(C: dict[str, np.ndarray], mag: np.ndarray, rrup: np.ndarray,
                   reverse: np.ndarray) -> np.ndarray:
    """ln(median) on deep soil (the paper's deep-soil relationship, horizontal component).

    .. math::
        \\ln y = C_1 + C_2 M - C_3 \\ln(r_{rup} + C_4 e^{C_5 M}) + C_6 + C_7 (8.5 - M)^{2.5}

    with ``C1`` = -2.17 (strike-slip) or -1.92 (reverse), and ``C6`` per mechanism; above
    M 8.5 the last term is taken as 0.
    """
    c1 = np.where(reverse, C["c1r"], C["c1ss"])
    c6 = np.where(reverse, C["c6r"], C["c6ss"])
    return (
        c1
        + C["c2"] * mag
        - C["c3"] * np.log(rrup + C["c4"] * np.exp(C["c5"] * mag))
        + c6
        + C["c7"] * np.maximum(8.5 - mag, 0.0) ** 2.5
    )


def _get_sigma(C: dict[str, np.ndarray], mag: np.ndarray, mag_cap: float) -> np.ndarray:
    """Total standard deviation: ``sig0 + cM * M`` below ``mag_cap``, ``sigMax`` from it on.

    ``mag_cap`` is 7.21 on rock and 7 on deep soil, as in the paper.
    """
    return np.where(mag < mag_cap, C["sig0"] + C["cM"] * mag, C["sigMax"])


class SadighEtAl1997(GMPE):
    """Sadigh et al. (1997) for rock (vs30 > 750 m/s) and deep soil sites.

    Requires magnitude, rake, rupture distance and vs30. Reverse faulting is
    45 <= rake <= 135; everything else is treated as strike-slip. Defined for PGA and SA from
    0.075 to 4 s (5 % damping, geometric mean of the horizontal components); between
    tabulated periods the coefficients are interpolated linearly in ln(period). Only the
    total standard deviation is given; ``tau`` and ``phi`` stay NaN.
    """

    DEFINED_FOR_TECTONIC_REGION_TYPE = "Active Shallow Crust"
    #: Sadigh et al. (1997): geometric mean of the two horizontal components
    DEFINED_FOR_INTENSITY_MEASURE_COMPONENT = GEOMETRIC_MEAN
    DEFINED_FOR_INTENSITY_MEASURE_TYPES = frozenset({"PGA", "SA"})
    DEFINED_FOR_STANDARD_DEVIATION_TYPES = frozenset({"Total"})
    REQUIRES_SITES_PARAMETERS = frozenset({"vs30"})
    REQUIRES_RUPTURE_PARAMETERS = frozenset({"mag", "rake"})
    REQUIRES_DISTANCES = frozenset({"rrup"})
    PERIOD_RANGE = (0.075, 4.0)

    def compute(
        self,
        ctx: Context,
        imts: Sequence[IMT],
        mean: np.ndarray,
        sig: np.ndarray,
        tau: np.ndarray,
        phi: np.ndarray,
    ) -> None:
        mag = np.asarray(ctx.mag, dtype=float)
        rrup = np.asarray(ctx.rrup, dtype=float)
        reverse = _get_reverse(np.asarray(ctx.rake, dtype=float))
        rock = np.asarray(ctx.vs30, dtype=float) > ROCK_VS30
        soil = ~rock
        for m, imt in enumerate(imts):
            for where, low, high, get_mean, mag_cap in (
                (rock, _ROCK_LOW, _ROCK_HIGH, _get_rock_mean, ROCK_SIGMA_MAG_CAP),
                (soil, _SOIL_LOW, _SOIL_HIGH, _get_soil_mean, SOIL_SIGMA_MAG_CAP),
            ):
                if not where.any():
                    continue
                idx = slice(None) if where.all() else where
                C = _get_coefficients(low[imt], high[imt], mag[idx])
                mean[m, idx] = get_mean(C, mag[idx], rrup[idx], reverse[idx])
                sig[m, idx] = _get_sigma(C, mag[idx], mag_cap)
