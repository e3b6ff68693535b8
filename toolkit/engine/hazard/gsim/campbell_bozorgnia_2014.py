"""Campbell & Bozorgnia (2014): NGA-West2 equations for active crustal regions (CB14).

Reference
---------
Campbell, K. W. and Bozorgnia, Y. (2014). NGA-West2 ground motion model for the average
horizontal components of PGA, PGV, and 5% damped linear acceleration response spectra.
*Earthquake Spectra* 30(3), 1087-1115. https://doi.org/10.1193/062913EQS175M

The California model of the paper is implemented (``Delta c20 = 0``, ``S_J = 0``): the
magnitude, geometric-spreading, style-of-faulting, hanging-wall, shallow-site (with the
nonlinear response driven by ``A1100``), basin (``Z2.5``), hypocentral-depth, rupture-dip
and anelastic-attenuation terms (eqs. 1-25), and the aleatory model with the nonlinear
correction of tau and phi (eqs. 26-32). Unknown ``Z2.5`` (NaN) takes the California default
of eq. 33.

Coefficients: ``coefficients/CB14.csv`` (Tables 1 and 2 of the paper); see its
``# source:`` line.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.base import GMPE
from toolkit.engine.hazard.gsim.coeffs import CoefficientTable
from toolkit.engine.hazard.gsim.component_conversion import ROTD50
from toolkit.engine.hazard.imt import IMT, PGA

__all__ = ["CampbellBozorgnia2014", "default_z2pt5"]

#: Vs30 (m/s) of the reference rock outcrop on which A1100 (the PGA driving the nonlinear
#: site response) is computed.
V_ROCK = 1100.0

#: Spectral periods below this (s) are not allowed to fall below PGA (text below eq. 1).
T_PGA_FLOOR = 0.25

COEFFS = CoefficientTable("CB14.csv")


def default_z2pt5(vs30: np.ndarray) -> np.ndarray:
    """California default depth to Vs = 2.5 km/s (km), eq. 33.

    .. math:: \\ln Z_{2.5} = 7.089 - 1.144 \\ln V_{S30}
    """
    return np.exp(7.089 - 1.144 * np.log(vs30))


def _get_magnitude_term(C: dict[str, float], mag: np.ndarray) -> np.ndarray:
    """``f_mag`` (eq. 2): piecewise linear in M with hinges at 4.5, 5.5 and 6.5.

    .. math::
        f_{mag} = c_0 + c_1 M + c_2 \\langle M - 4.5 \\rangle + c_3 \\langle M - 5.5 \\rangle
                  + c_4 \\langle M - 6.5 \\rangle, \\qquad \\langle x \\rangle = \\max(x, 0)

    Each hinge term, once switched on, keeps growing with M (the slopes add up).
    """
    return (C["c0"] + C["c1"] * mag
            + C["c2"] * np.maximum(mag - 4.5, 0.0)
            + C["c3"] * np.maximum(mag - 5.5, 0.0)
            + C["c4"] * np.maximum(mag - 6.5, 0.0))


def _get_geometric_term(C: dict[str, float], mag: np.ndarray, rrup: np.ndarray) -> np.ndarray:
    """``f_dis = (c5 + c6 M) ln sqrt(Rrup^2 + c7^2)`` (eq. 3)."""
    return (C["c5"] + C["c6"] * mag) * np.log(np.sqrt(rrup ** 2 + C["c7"] ** 2))


def _get_faulting_term(C: dict[str, float], mag: np.ndarray, rake: np.ndarray) -> np.ndarray:
    """``f_flt = (c8 F_RV + c9 F_NM) f_flt,M`` (eqs. 4-6).

    Reverse for 30 < rake < 150, normal for -150 < rake < -30 (degrees); ``f_flt,M`` goes
    from 0 at M <= 4.5 to 1 at M >= 5.5.
    """
    reverse = (rake > 30.0) & (rake < 150.0)
    normal = (rake > -150.0) & (rake < -30.0)
    return (C["c8"] * reverse + C["c9"] * normal) * np.clip(mag - 4.5, 0.0, 1.0)


def _get_hanging_wall_term(C: dict[str, float], mag: np.ndarray, rrup: np.ndarray,
                           rjb: np.ndarray, rx: np.ndarray, dip: np.ndarray,
                           ztor: np.ndarray, width: np.ndarray) -> np.ndarray:
    """``f_hng = c10 f_hng,Rx f_hng,Rrup f_hng,M f_hng,Z f_hng,dip`` (eqs. 7-16).

    .. math::
        f_{hng,R_X} = \\begin{cases} 0 & R_X < 0 \\\\
        h_1 + h_2 (R_X/R_1) + h_3 (R_X/R_1)^2 & 0 \\le R_X < R_1 \\\\
        \\max[h_4 + h_5 x + h_6 x^2, 0], \\; x = (R_X - R_1)/(R_2 - R_1) & R_X \\ge R_1
        \\end{cases}

    with ``R1 = W cos(dip)`` (eq. 11) and ``R2 = 62 M - 350`` (eq. 12);
    ``f_hng,Rrup = (Rrup - Rjb)/Rrup`` (1 at Rrup = 0, eq. 13);
    ``f_hng,M`` = 0, ``(M - 5.5)[1 + a2 (M - 6.5)]``, ``1 + a2 (M - 6.5)`` for M <= 5.5,
    5.5 < M <= 6.5, M > 6.5 (eq. 14); ``f_hng,Z = 1 - 0.06 Ztor`` for Ztor <= 16.66 km, else
    0 (eq. 15); ``f_hng,dip = (90 - dip)/45`` (eq. 16).
    """
    r1 = width * np.cos(np.radians(dip))
    r2 = 62.0 * mag - 350.0
    with np.errstate(divide="ignore", invalid="ignore"):
        x1 = rx / r1
        f1 = C["h1"] + C["h2"] * x1 + C["h3"] * x1 ** 2
        x2 = (rx - r1) / (r2 - r1)
        f2 = np.maximum(C["h4"] + C["h5"] * x2 + C["h6"] * x2 ** 2, 0.0)
        f_r_rup = np.where(rrup > 0.0, (rrup - rjb) / rrup, 1.0)
    f_rx = np.where(rx < r1, f1, f2)
    f_m = np.where(mag <= 6.5, (mag - 5.5) * (1.0 + C["a2"] * (mag - 6.5)),
                   1.0 + C["a2"] * (mag - 6.5))
    f_z = np.where(ztor <= 16.66, 1.0 - 0.06 * ztor, 0.0)
    f_dip = (90.0 - dip) / 45.0
    on_hanging_wall = (rx >= 0.0) & (mag > 5.5) & (ztor <= 16.66)
    with np.errstate(invalid="ignore"):
        value = C["c10"] * f_rx * f_r_rup * f_m * f_z * f_dip
    return np.where(on_hanging_wall, value, 0.0)


def _get_shallow_site_term(C: dict[str, float], vs30: np.ndarray,
                           a1100: np.ndarray) -> np.ndarray:
    """``f_site,G`` (eq. 18), the California shallow-site response (``S_J = 0`` in eq. 17).

    .. math::
        f_{site,G} = \\begin{cases}
        c_{11} \\ln(V/k_1) + k_2 \\{\\ln[A_{1100} + c (V/k_1)^n] - \\ln[A_{1100} + c]\\}
        & V_{S30} \\le k_1 \\\\
        (c_{11} + k_2 n) \\ln(V/k_1) & V_{S30} > k_1 \\end{cases}
    """
    ratio = vs30 / C["k1"]
    nonlinear = (C["c11"] * np.log(ratio)
                 + C["k2"] * (np.log(a1100 + C["c"] * ratio ** C["n"])
                              - np.log(a1100 + C["c"])))
    linear = (C["c11"] + C["k2"] * C["n"]) * np.log(ratio)
    return np.where(vs30 <= C["k1"], nonlinear, linear)


def _get_basin_term(C: dict[str, float], z2pt5: np.ndarray) -> np.ndarray:
    """``f_sed`` (eq. 20) with ``S_J = 0``; ``Z2.5`` in km.

    .. math::
        f_{sed} = \\begin{cases} c_{14} (Z_{2.5} - 1) & Z_{2.5} \\le 1 \\\\
        0 & 1 < Z_{2.5} \\le 3 \\\\
        c_{16} k_3 e^{-0.75} [1 - \\exp\\{-0.25 (Z_{2.5} - 3)\\}] & Z_{2.5} > 3 \\end{cases}
    """
    shallow = C["c14"] * (z2pt5 - 1.0)
    deep = C["c16"] * C["k3"] * np.exp(-0.75) * (1.0 - np.exp(-0.25 * (z2pt5 - 3.0)))
    return np.where(z2pt5 <= 1.0, shallow, np.where(z2pt5 <= 3.0, 0.0, deep))


def _get_hypocentral_depth_term(C: dict[str, float], mag: np.ndarray,
                                hypo_depth: np.ndarray) -> np.ndarray:
    """``f_hyp = f_hyp,H f_hyp,M`` (eqs. 21-23).

    ``f_hyp,H = min(max(Zhyp - 7, 0), 13)`` (km); ``f_hyp,M`` goes linearly from c17 at
    M <= 5.5 to c18 at M >= 6.5.
    """
    f_h = np.clip(hypo_depth - 7.0, 0.0, 13.0)
    f_m = C["c17"] + (C["c18"] - C["c17"]) * np.clip(mag - 5.5, 0.0, 1.0)
    return f_h * f_m


def _get_dip_term(C: dict[str, float], mag: np.ndarray, dip: np.ndarray) -> np.ndarray:
    """``f_dip`` (eq. 24): ``c19 dip`` at M <= 4.5, ``c19 (5.5 - M) dip`` up to 5.5, then 0."""
    return C["c19"] * dip * np.clip(5.5 - mag, 0.0, 1.0)


def _get_anelastic_term(C: dict[str, float], rrup: np.ndarray) -> np.ndarray:
    """``f_atn = (c20 + Delta c20)(Rrup - 80)`` for Rrup > 80 km, else 0 (eq. 25)."""
    return (C["c20"] + C["Dc20_CA"]) * np.maximum(rrup - 80.0, 0.0)


def _get_ln_median(C: dict[str, float], rup: dict[str, np.ndarray], vs30: np.ndarray,
                   z2pt5: np.ndarray, a1100: np.ndarray) -> np.ndarray:
    """``ln Y`` (eq. 1) before the short-period floor at PGA."""
    mag = rup["mag"]
    return (_get_magnitude_term(C, mag)
            + _get_geometric_term(C, mag, rup["rrup"])
            + _get_faulting_term(C, mag, rup["rake"])
            + _get_hanging_wall_term(C, mag, rup["rrup"], rup["rjb"], rup["rx"], rup["dip"],
                                     rup["ztor"], rup["width"])
            + _get_shallow_site_term(C, vs30, a1100)
            + _get_basin_term(C, z2pt5)
            + _get_hypocentral_depth_term(C, mag, rup["hypo_depth"])
            + _get_dip_term(C, mag, rup["dip"])
            + _get_anelastic_term(C, rup["rrup"]))


def _get_magnitude_dependent(first: float, second: float, mag: np.ndarray) -> np.ndarray:
    """``tau_lnY`` or ``phi_lnY`` (eqs. 27, 28): ``first`` at M <= 4.5, ``second`` at M >= 5.5."""
    return second + (first - second) * np.clip(5.5 - mag, 0.0, 1.0)


def _get_alpha(C: dict[str, float], vs30: np.ndarray, a1100: np.ndarray) -> np.ndarray:
    """Partial derivative of the site term with respect to ln A1100 (eq. 31).

    .. math::
        \\alpha = k_2 A_{1100} \\{[A_{1100} + c (V_{S30}/k_1)^n]^{-1} - (A_{1100} + c)^{-1}\\}

    for ``V_S30 < k1``, else 0.
    """
    value = C["k2"] * a1100 * (1.0 / (a1100 + C["c"] * (vs30 / C["k1"]) ** C["n"])
                               - 1.0 / (a1100 + C["c"]))
    return np.where(vs30 < C["k1"], value, 0.0)


def _get_stddevs(C: dict[str, float], c_pga: dict[str, float], mag: np.ndarray,
                 vs30: np.ndarray, a1100: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Total, between-event (tau) and within-event (phi) standard deviations (eqs. 26-32).

    .. math::
        \\tau^2 = \\tau_{\\ln Y}^2 + \\alpha^2 \\tau_{\\ln PGA}^2
                 + 2 \\alpha \\rho \\tau_{\\ln Y} \\tau_{\\ln PGA}

        \\phi^2 = \\phi_{\\ln Y,B}^2 + \\phi_{\\ln AF}^2 + \\alpha^2 \\phi_{\\ln PGA,B}^2
                 + 2 \\alpha \\rho \\phi_{\\ln Y,B} \\phi_{\\ln PGA,B}

    with ``phi_B = sqrt(phi^2 - phi_lnAF^2)`` and ``sigma = sqrt(tau^2 + phi^2)``.
    """
    tau_y = _get_magnitude_dependent(C["tau1"], C["tau2"], mag)
    phi_y = _get_magnitude_dependent(C["phi1"], C["phi2"], mag)
    tau_pga = _get_magnitude_dependent(c_pga["tau1"], c_pga["tau2"], mag)
    phi_pga = _get_magnitude_dependent(c_pga["phi1"], c_pga["phi2"], mag)
    phi_y_b = np.sqrt(phi_y ** 2 - C["phi_lnaf"] ** 2)
    phi_pga_b = np.sqrt(phi_pga ** 2 - c_pga["phi_lnaf"] ** 2)
    alpha = _get_alpha(C, vs30, a1100)
    rho = C["rho"]
    tau = np.sqrt(tau_y ** 2 + alpha ** 2 * tau_pga ** 2 + 2.0 * alpha * rho * tau_y * tau_pga)
    phi = np.sqrt(phi_y_b ** 2 + C["phi_lnaf"] ** 2 + alpha ** 2 * phi_pga_b ** 2
                  + 2.0 * alpha * rho * phi_y_b * phi_pga_b)
    return np.sqrt(tau ** 2 + phi ** 2), tau, phi


class CampbellBozorgnia2014(GMPE):
    """Campbell & Bozorgnia (2014), California model (NGA-West2).

    Requires magnitude, rake, dip, depth to top of rupture, down-dip width and hypocentral
    depth; Rrup, Rjb and Rx; vs30 and Z2.5 (km; NaN takes the California default of eq. 33).
    The nonlinear site response is driven by A1100, the median PGA for vs30 = 1100 m/s and
    the default Z2.5 of that vs30. For periods below 0.25 s the median is not allowed below
    the median PGA (eq. 1). Defined for PGA, PGV (cm/s) and SA from 0.01 to 10 s; between
    tabulated periods the coefficients are interpolated linearly in ln(period). Gives total,
    inter- and intra-event standard deviations, including the nonlinear site correction.
    """

    DEFINED_FOR_TECTONIC_REGION_TYPE = "Active Shallow Crust"
    #: Campbell & Bozorgnia (2014): RotD50 (NGA-West2)
    DEFINED_FOR_INTENSITY_MEASURE_COMPONENT = ROTD50
    DEFINED_FOR_INTENSITY_MEASURE_TYPES = frozenset({"PGA", "PGV", "SA"})
    DEFINED_FOR_STANDARD_DEVIATION_TYPES = frozenset({"Total", "Inter event", "Intra event"})
    REQUIRES_SITES_PARAMETERS = frozenset({"vs30", "z2pt5"})
    REQUIRES_RUPTURE_PARAMETERS = frozenset({"mag", "rake", "dip", "ztor", "width",
                                             "hypo_depth"})
    REQUIRES_DISTANCES = frozenset({"rrup", "rjb", "rx"})
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
        rup = {name: np.asarray(getattr(ctx, name), dtype=float)
               for name in ("mag", "rake", "dip", "ztor", "width", "hypo_depth",
                            "rrup", "rjb", "rx")}
        vs30 = np.asarray(ctx.vs30, dtype=float)
        z2pt5 = np.asarray(ctx.z2pt5, dtype=float)
        z2pt5 = np.where(np.isnan(z2pt5), default_z2pt5(vs30), z2pt5)
        c_pga = COEFFS[PGA()]
        rock_vs30 = np.full_like(vs30, V_ROCK)
        # A1100: its own site term is linear (1100 > k1), so the A1100 argument is unused.
        a1100 = np.exp(_get_ln_median(c_pga, rup, rock_vs30, default_z2pt5(rock_vs30),
                                      np.zeros_like(vs30)))
        ln_pga = _get_ln_median(c_pga, rup, vs30, z2pt5, a1100)
        for m, imt in enumerate(imts):
            C = COEFFS[imt]
            ln_y = _get_ln_median(C, rup, vs30, z2pt5, a1100)
            if imt.name == "SA" and imt.period < T_PGA_FLOOR:
                ln_y = np.maximum(ln_y, ln_pga)
            mean[m] = ln_y
            sig[m], tau[m], phi[m] = _get_stddevs(C, c_pga, mag=rup["mag"], vs30=vs30,
                                                  a1100=a1100)
