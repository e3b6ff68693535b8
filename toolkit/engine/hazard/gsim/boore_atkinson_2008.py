"""Boore & Atkinson (2008): NGA equations for shallow crustal earthquakes (BA08).

Reference
---------
Boore, D. M. and Atkinson, G. M. (2008). Ground-motion prediction equations for the average
horizontal component of PGA, PGV, and 5%-damped PSA at spectral periods between 0.01 s and
10.0 s. *Earthquake Spectra* 24(1), 99-138. https://doi.org/10.1193/1.2830434

Equation numbers below are those of the paper:

- eq. 1: ``ln Y = F_M(M) + F_D(R_JB, M) + F_S(V_S30, R_JB, M) + eps sigma_T``;
- eqs. 3-4: distance function ``F_D`` with ``R = sqrt(R_JB^2 + h^2)``;
- eqs. 5a-5b: magnitude function ``F_M``;
- eqs. 6-13: site amplification ``F_S = F_LIN + F_NL``, nonlinear in ``pga4nl``, the median
  PGA (g) predicted for ``V_ref`` = 760 m/s (``F_S = 0``).

Coefficients: ``coefficients/BA08.csv``, Tables 3 and 6-8 of the paper (see its
``# source:`` line). Sigmas: the paper gives the between-event term for an unspecified
mechanism (``tau_U``, ``sigma_TU``) and for a specified one (``tau_M``, ``sigma_TM``). A
finite rake specifies the mechanism, so ``tau_M`` and the tabulated ``sigma_TM`` are used;
a NaN rake uses ``e1``, ``tau_U`` and ``sigma_TU``. The total is the tabulated value, which
equals ``sqrt(sigma^2 + tau^2)`` to the table's rounding (+-0.002).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.base import GMPE
from toolkit.engine.hazard.gsim.coeffs import CoefficientTable
from toolkit.engine.hazard.gsim.component_conversion import GMROTI50
from toolkit.engine.hazard.imt import IMT, PGA

__all__ = ["BooreAtkinson2008", "CONSTS"]

#: Period-independent constants: reference values of the distance function (eq. 3) and the
#: site-amplification constants of Table 4 (eqs. 7-13).
CONSTS = {
    "Mref": 4.5,  # reference magnitude of eq. 3
    "Rref": 1.0,  # km, reference distance of eq. 3
    "Vref": 760.0,  # m/s, reference velocity of eq. 7
    "V1": 180.0,  # m/s, eq. 13
    "V2": 300.0,  # m/s, eq. 13
    "a1": 0.03,  # g, eq. 8
    "a2": 0.09,  # g, eq. 8
    "pga_low": 0.06,  # g, eq. 8
}


COEFFS = CoefficientTable("BA08.csv")


def _get_mechanism(rake: np.ndarray) -> tuple[np.ndarray, ...]:
    """Dummy variables ``U, SS, NS, RS`` of eq. 5 from the rake (degrees).

    Normal: -150 < rake < -30; reverse: 30 < rake < 150; strike-slip otherwise. A NaN rake
    means "unspecified" (``U = 1``).
    """
    unspecified = np.isnan(rake)
    normal = (rake > -150.0) & (rake < -30.0)
    reverse = (rake > 30.0) & (rake < 150.0)
    strike_slip = ~(unspecified | normal | reverse)
    return unspecified, strike_slip, normal, reverse


def _get_magnitude_term(C: dict[str, float], mag: np.ndarray,
                        mechanism: tuple[np.ndarray, ...]) -> np.ndarray:
    """Magnitude function ``F_M`` (eqs. 5a and 5b).

    .. math::
        F_M = e_1 U + e_2 SS + e_3 NS + e_4 RS +
        \\begin{cases} e_5 (M - M_h) + e_6 (M - M_h)^2 & M \\le M_h \\\\
        e_7 (M - M_h) & M > M_h \\end{cases}
    """
    unspecified, strike_slip, normal, reverse = mechanism
    f_mech = (C["e1"] * unspecified + C["e2"] * strike_slip + C["e3"] * normal
              + C["e4"] * reverse)
    dmag = mag - C["Mh"]
    return f_mech + np.where(dmag <= 0.0, C["e5"] * dmag + C["e6"] * dmag ** 2, C["e7"] * dmag)


def _get_distance_term(C: dict[str, float], mag: np.ndarray, rjb: np.ndarray) -> np.ndarray:
    """Distance function ``F_D`` (eqs. 3 and 4).

    .. math::
        F_D = [c_1 + c_2 (M - M_{ref})] \\ln(R / R_{ref}) + c_3 (R - R_{ref}),
        \\qquad R = \\sqrt{R_{JB}^2 + h^2}
    """
    r = np.sqrt(rjb ** 2 + C["h"] ** 2)
    return ((C["c1"] + C["c2"] * (mag - CONSTS["Mref"])) * np.log(r / CONSTS["Rref"])
            + C["c3"] * (r - CONSTS["Rref"]))


def _get_bnl(C: dict[str, float], vs30: np.ndarray) -> np.ndarray:
    """Nonlinear slope ``b_nl`` (eqs. 13a-13d).

    ``b1`` for vs30 <= V1; linear in ln(vs30) from ``b1`` to ``b2`` between V1 and V2, then
    from ``b2`` to 0 between V2 and Vref; 0 from Vref on.
    """
    v1, v2, vref = CONSTS["V1"], CONSTS["V2"], CONSTS["Vref"]
    b1, b2 = C["b1"], C["b2"]
    return np.select(
        [vs30 <= v1, vs30 <= v2, vs30 < vref],
        [b1,
         (b1 - b2) * np.log(vs30 / v2) / np.log(v1 / v2) + b2,
         b2 * np.log(vs30 / vref) / np.log(v2 / vref)],
        default=0.0,
    )


def _get_site_term(C: dict[str, float], vs30: np.ndarray, pga4nl: np.ndarray) -> np.ndarray:
    """Site amplification ``F_S = F_LIN + F_NL`` (eqs. 6-13).

    .. math::
        F_{LIN} = b_{lin} \\ln(V_{S30} / V_{ref})

        F_{NL} = \\begin{cases}
        b_{nl} \\ln(pga_{low} / 0.1) & pga4nl \\le a_1 \\\\
        b_{nl} \\ln(pga_{low} / 0.1) + c [\\ln(pga4nl / a_1)]^2 + d [\\ln(pga4nl / a_1)]^3
        & a_1 < pga4nl \\le a_2 \\\\
        b_{nl} \\ln(pga4nl / 0.1) & a_2 < pga4nl \\end{cases}

    with ``c = (3 dy - b_nl dx) / dx^2``, ``d = -(2 dy - b_nl dx) / dx^3``,
    ``dx = ln(a2 / a1)`` and ``dy = b_nl ln(a2 / pga_low)``. Zero at vs30 = Vref.
    """
    a1, a2, pga_low = CONSTS["a1"], CONSTS["a2"], CONSTS["pga_low"]
    f_lin = C["blin"] * np.log(vs30 / CONSTS["Vref"])
    bnl = _get_bnl(C, vs30)
    dx = np.log(a2 / a1)
    dy = bnl * np.log(a2 / pga_low)
    c = (3.0 * dy - bnl * dx) / dx ** 2
    d = -(2.0 * dy - bnl * dx) / dx ** 3
    low = bnl * np.log(pga_low / 0.1)
    x = np.log(np.maximum(pga4nl, a1) / a1)
    f_nl = np.where(
        pga4nl <= a1, low,
        np.where(pga4nl <= a2, low + c * x ** 2 + d * x ** 3, bnl * np.log(pga4nl / 0.1)),
    )
    return f_lin + f_nl


class BooreAtkinson2008(GMPE):
    """Boore & Atkinson (2008), the NGA model for active shallow crust.

    Requires magnitude, rake, Joyner-Boore distance and vs30. Mechanism from the rake:
    normal for -150 < rake < -30, reverse for 30 < rake < 150, strike-slip otherwise;
    "unspecified" only when the rake is NaN. Defined for PGA, PGV (cm/s) and SA from 0.01
    to 10 s; between tabulated periods the coefficients are interpolated linearly in
    ln(period). Standard deviations: ``phi`` = sigma (intra-event), ``tau`` = tau_M and the
    total = sigma_TM of Table 8 (tau_U, sigma_TU for an unspecified mechanism).
    """

    DEFINED_FOR_TECTONIC_REGION_TYPE = "Active Shallow Crust"
    #: Boore & Atkinson (2008): GMRotI50 (Boore et al. 2006)
    DEFINED_FOR_INTENSITY_MEASURE_COMPONENT = GMROTI50
    DEFINED_FOR_INTENSITY_MEASURE_TYPES = frozenset({"PGA", "PGV", "SA"})
    DEFINED_FOR_STANDARD_DEVIATION_TYPES = frozenset({"Total", "Inter event", "Intra event"})
    REQUIRES_SITES_PARAMETERS = frozenset({"vs30"})
    REQUIRES_RUPTURE_PARAMETERS = frozenset({"mag", "rake"})
    REQUIRES_DISTANCES = frozenset({"rjb"})
    PERIOD_RANGE = (0.01, 10.0)

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
        rjb = np.asarray(ctx.rjb, dtype=float)
        vs30 = np.asarray(ctx.vs30, dtype=float)
        mechanism = _get_mechanism(np.asarray(ctx.rake, dtype=float))
        unspecified = mechanism[0]
        c_pga = COEFFS[PGA()]
        pga4nl = np.exp(_get_magnitude_term(c_pga, mag, mechanism)
                        + _get_distance_term(c_pga, mag, rjb))
        for m, imt in enumerate(imts):
            C = COEFFS[imt]
            mean[m] = (_get_magnitude_term(C, mag, mechanism)
                       + _get_distance_term(C, mag, rjb)
                       + _get_site_term(C, vs30, pga4nl))
            phi[m] = C["sigma"]
            tau[m] = np.where(unspecified, C["tau_U"], C["tau_M"])
            sig[m] = np.where(unspecified, C["sigma_TU"], C["sigma_TM"])
