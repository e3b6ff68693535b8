"""Chiou & Youngs (2014): NGA-West2 model for the average horizontal component.

Reference
---------
Chiou, B. S.-J. and Youngs, R. R. (2014). Update of the Chiou and Youngs NGA model for the
average horizontal component of peak ground motion and response spectra. *Earthquake
Spectra* 30(3), 1117-1153. https://doi.org/10.1193/072813EQS219M

The California / global model (CY14) is implemented: reference-rock median ``ln y_ref``
(eq. 11), site response with nonlinear and basin terms (eq. 12), the California
``Z1.0``-``vs30`` relation for the default basin depth (eq. 1), the expected top-of-rupture
depth (eqs. 4 and 5) and the heteroscedastic standard deviations (eq. 13). The directivity
term is dropped (``Delta DPP = 0``, the paper's choice for a median without directivity)
and the event term is set to zero (``eta = 0``) wherever ``y_ref`` enters the site terms.
As in the authors' software, the median PSA at periods up to 0.3 s is not allowed below the
median PGA (the model's short-period PSA can dip under PGA for small magnitudes at large
distances); the standard deviations are unaffected.

Regional adjustments: ``region="JPN"`` (Japan) uses the paper's Japan coefficients: the
anelastic attenuation term of eq. 11 times :math:`\\gamma_{Jp-It}` for 6 < M < 6.9,
:math:`\\phi_{1,JP}` in the linear site term and :math:`\\phi_{5,JP}, \\phi_{6,JP}` in the
basin term with the Japan Z1.0-vs30 relation (eq. 2) as reference depth. The standard
deviations keep :math:`\\sigma_2` (the tabulated :math:`\\sigma_{2,JP}` is not applied), as
OpenQuake hazardlib 3.26 does: the Japan model matches hazardlib's
``ChiouYoungs2014(region="JPN")`` to 1e-14 on 400 random scenarios and six IMTs (checked once
by hand, black box). Other regions (Italy, Wenchuan, ...) raise
:class:`~toolkit.engine.hazard.gsim.base.UnsupportedParameters` (a GSIM plugin may take over).

Coefficients: ``coefficients/CY14.csv`` (all 24 periods, PGA and PGV); see its
``# source:`` line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.base import GMPE, UnsupportedParameters
from toolkit.engine.hazard.gsim.coeffs import CoefficientTable
from toolkit.engine.hazard.gsim.component_conversion import ROTD50
from toolkit.engine.hazard.imt import IMT, PGA

__all__ = ["ChiouYoungs2014", "COEFFS", "REGIONS", "get_mean_z1pt0", "get_mean_z1pt0_japan",
           "get_mean_ztor"]

COEFFS = CoefficientTable("CY14.csv")

#: Reference velocity (m/s) of the rock motion ``y_ref`` (``vs30 = 1130`` m/s).
V_REF = 1130.0
#: Additional within-event variance term for measured vs30 (eq. 13: ``0.7 F_Measured``).
SIGMA_MEASURED = 0.7
#: Velocity constant (m/s) of the California Z1.0-vs30 relation (eq. 1).
Z1_VS = 570.94
#: Longest period (s) at which the median PSA is not allowed below the median PGA.
T_PGA_FLOOR = 0.3
#: Velocity constant (m/s) of the Japan Z1.0-vs30 relation (eq. 2).
Z1_VS_JAPAN = 412.39
#: Implemented regions: California/global (default) and Japan.
REGIONS = ("CAL", "JPN")


def get_mean_z1pt0(vs30: np.ndarray) -> np.ndarray:
    """California mean depth to Vs = 1.0 km/s, in metres, from vs30 (eq. 1).

    .. math::
        \\ln \\mu_{Z1.0} = -\\frac{7.15}{4}
        \\ln \\frac{V_{S30}^4 + 570.94^4}{1360^4 + 570.94^4}

    The constant 570.94 m/s is the one of the authors' software (and of the independent
    implementations we compared with); rounded to 571 it would move long-period medians on
    soft soil by up to 0.2 % through the basin term.
    """
    return np.exp(-7.15 / 4.0 * np.log((vs30 ** 4 + Z1_VS ** 4) / (1360.0 ** 4 + Z1_VS ** 4)))


def get_mean_z1pt0_japan(vs30: np.ndarray) -> np.ndarray:
    """Japan mean depth to Vs = 1.0 km/s, in metres, from vs30 (eq. 2).

    .. math::
        \\ln \\mu_{Z1.0} = -\\frac{5.23}{2}
        \\ln \\frac{V_{S30}^2 + 412.39^2}{1360^2 + 412.39^2}
    """
    return np.exp(-5.23 / 2.0 * np.log((vs30 ** 2 + Z1_VS_JAPAN ** 2)
                                       / (1360.0 ** 2 + Z1_VS_JAPAN ** 2)))


def _regional(C: dict[str, float], region: str) -> dict[str, float]:
    """The coefficients of ``region``: Japan's phi1, phi5, phi6 and the factor gamma_Jp-It
    of the anelastic attenuation (Chiou & Youngs 2014, eqs. 11 and 12)."""
    if region != "JPN":
        return C
    return {**C, "phi1": C["phi1_JP"], "phi5": C["phi5_JP"], "phi6": C["phi6_JP"],
            "gamma_region": C["gamma_JP_IT"]}


def get_mean_ztor(mag: np.ndarray, reverse: np.ndarray) -> np.ndarray:
    """Expected depth to the top of rupture, km (eq. 4 reverse/oblique, eq. 5 otherwise).

    .. math::
        E[Z_{TOR}] = \\max(2.704 - 1.226 \\max(M - 5.849, 0), 0)^2 \\quad (F_{RV} = 1)

        E[Z_{TOR}] = \\max(2.673 - 1.136 \\max(M - 4.970, 0), 0)^2 \\quad (F_{RV} = 0)
    """
    rv = np.maximum(2.704 - 1.226 * np.maximum(mag - 5.849, 0.0), 0.0) ** 2
    ss = np.maximum(2.673 - 1.136 * np.maximum(mag - 4.970, 0.0), 0.0) ** 2
    return np.where(reverse, rv, ss)


def _get_mechanism(rake: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flags ``F_RV`` (30 <= rake <= 150) and ``F_NM`` (-120 <= rake <= -60), as floats."""
    reverse = (rake >= 30.0) & (rake <= 150.0)
    normal = (rake >= -120.0) & (rake <= -60.0)
    return reverse.astype(float), normal.astype(float)


def _get_source_term(C: dict[str, float], mag: np.ndarray, f_rv: np.ndarray,
                     f_nm: np.ndarray, dztor: np.ndarray, dip: np.ndarray) -> np.ndarray:
    """Style-of-faulting, ``Z_TOR``, dip and magnitude terms of eq. 11.

    .. math::
        c_1 + \\{c_{1a} + \\frac{c_{1c}}{\\cosh(2 \\max(M-4.5, 0))}\\} F_{RV}
        + \\{c_{1b} + \\frac{c_{1d}}{\\cosh(2 \\max(M-4.5, 0))}\\} F_{NM}
        + \\{c_7 + \\frac{c_{7b}}{\\cosh(2 \\max(M-4.5, 0))}\\} \\Delta Z_{TOR}
        + \\{c_{11} + \\frac{c_{11b}}{\\cosh(2 \\max(M-4.5, 0))}\\} \\cos^2\\delta
        + c_2 (M - 6) + \\frac{c_2 - c_3}{c_n} \\ln(1 + e^{c_n (c_M - M)})
    """
    cosh_m = np.cosh(2.0 * np.maximum(mag - 4.5, 0.0))
    return (C["c1"]
            + (C["c1a"] + C["c1c"] / cosh_m) * f_rv
            + (C["c1b"] + C["c1d"] / cosh_m) * f_nm
            + (C["c7"] + C["c7b"] / cosh_m) * dztor
            + (C["c11"] + C["c11b"] / cosh_m) * np.cos(np.radians(dip)) ** 2
            + C["c2"] * (mag - 6.0)
            + (C["c2"] - C["c3"]) / C["cn"] * np.log1p(np.exp(C["cn"] * (C["cM"] - mag))))


def _get_distance_term(C: dict[str, float], mag: np.ndarray, rrup: np.ndarray) -> np.ndarray:
    """Near-source saturation, geometric spreading and anelastic terms of eq. 11.

    .. math::
        c_4 \\ln(R_{RUP} + c_5 \\cosh(c_6 \\max(M - c_{HM}, 0)))
        + (c_{4a} - c_4) \\ln\\sqrt{R_{RUP}^2 + c_{RB}^2}
        + \\{c_{\\gamma 1} + \\frac{c_{\\gamma 2}}{\\cosh(\\max(M - c_{\\gamma 3}, 0))}\\}
        R_{RUP}
    """
    gamma = C["cgamma1"] + C["cgamma2"] / np.cosh(np.maximum(mag - C["cgamma3"], 0.0))
    if "gamma_region" in C:  # Japan: anelastic attenuation times gamma_Jp-It for 6 < M < 6.9
        gamma = np.where((mag > 6.0) & (mag < 6.9), gamma * C["gamma_region"], gamma)
    return (C["c4"] * np.log(rrup + C["c5"] * np.cosh(C["c6"] * np.maximum(mag - C["cHM"], 0.0)))
            + (C["c4a"] - C["c4"]) * np.log(np.sqrt(rrup ** 2 + C["cRB"] ** 2))
            + gamma * rrup)


def _get_hanging_wall_term(C: dict[str, float], rx: np.ndarray, rjb: np.ndarray,
                           rrup: np.ndarray, ztor: np.ndarray, dip: np.ndarray) -> np.ndarray:
    """Hanging-wall term of eq. 11 (``F_HW = 1`` for ``R_X >= 0``).

    .. math::
        c_9 F_{HW} \\cos\\delta \\{c_{9a} + (1 - c_{9a}) \\tanh(R_X / c_{9b})\\}
        \\{1 - \\sqrt{R_{JB}^2 + Z_{TOR}^2} / (R_{RUP} + 1)\\}
    """
    f_hw = (rx >= 0.0).astype(float)
    return (C["c9"] * f_hw * np.cos(np.radians(dip))
            * (C["c9a"] + (1.0 - C["c9a"]) * np.tanh(rx / C["c9b"]))
            * (1.0 - np.sqrt(rjb ** 2 + ztor ** 2) / (rrup + 1.0)))


def _get_nonlinear_factor(C: dict[str, float], vs30: np.ndarray) -> np.ndarray:
    """``phi2 (exp{phi3 (min(vs30, 1130) - 360)} - exp{phi3 (1130 - 360)})`` (eqs. 12, 13)."""
    return C["phi2"] * (np.exp(C["phi3"] * (np.minimum(vs30, V_REF) - 360.0))
                        - np.exp(C["phi3"] * (V_REF - 360.0)))


def _get_site_term(C: dict[str, float], vs30: np.ndarray, y_ref: np.ndarray,
                   dz1: np.ndarray) -> np.ndarray:
    """Linear, nonlinear and basin-depth site terms of eq. 12 (``eta = 0``).

    .. math::
        \\phi_1 \\min(\\ln(V_{S30} / 1130), 0)
        + \\phi_2 (e^{\\phi_3 (\\min(V_{S30}, 1130) - 360)} - e^{\\phi_3 (1130 - 360)})
        \\ln\\frac{y_{ref} + \\phi_4}{\\phi_4}
        + \\phi_5 (1 - e^{-\\Delta Z_{1.0} / \\phi_6})
    """
    return (C["phi1"] * np.minimum(np.log(vs30 / V_REF), 0.0)
            + _get_nonlinear_factor(C, vs30) * np.log((y_ref + C["phi4"]) / C["phi4"])
            + C["phi5"] * (1.0 - np.exp(-dz1 / C["phi6"])))


def _get_stddevs(C: dict[str, float], mag: np.ndarray, vs30: np.ndarray, y_ref: np.ndarray,
                 measured: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Total, between-event and within-event standard deviations (eq. 13, ``eta = 0``).

    .. math::
        \\tau = \\tau_1 + \\frac{\\tau_2 - \\tau_1}{1.5} (\\min(\\max(M, 5), 6.5) - 5)

        NL_0 = \\phi_2 (e^{\\phi_3 (\\min(V_{S30}, 1130) - 360)} - e^{\\phi_3 (1130 - 360)})
        \\frac{y_{ref}}{y_{ref} + \\phi_4}

        \\sigma_{NL_0} = \\{\\sigma_1 + \\frac{\\sigma_2 - \\sigma_1}{1.5}
        (\\min(\\max(M, 5), 6.5) - 5)\\}
        \\sqrt{\\sigma_3 F_{Inferred} + 0.7 F_{Measured} + (1 + NL_0)^2}

        \\sigma_T = \\sqrt{(1 + NL_0)^2 \\tau^2 + \\sigma_{NL_0}^2}

    The between-event part returned is ``(1 + NL0) tau`` and the within-event part
    ``sigma_NL0``, so that ``sigma_T`` is their root sum of squares.
    """
    weight = (np.clip(mag, 5.0, 6.5) - 5.0) / 1.5
    tau = C["tau1"] + (C["tau2"] - C["tau1"]) * weight
    nl0 = _get_nonlinear_factor(C, vs30) * y_ref / (y_ref + C["phi4"])
    extra = np.where(measured, SIGMA_MEASURED, C["sigma3"])
    phi = (C["sigma1"] + (C["sigma2"] - C["sigma1"]) * weight) * np.sqrt(extra + (1.0 + nl0) ** 2)
    tau = (1.0 + nl0) * tau
    return np.sqrt(tau ** 2 + phi ** 2), tau, phi


class ChiouYoungs2014(GMPE):
    """Chiou & Youngs (2014), California / global model, without directivity.

    Requires magnitude, rake, dip, depth to top of rupture, RRUP, RJB, RX, vs30, the
    vs30-measured flag and Z1.0 (m). Reverse for 30 <= rake <= 150, normal for
    -120 <= rake <= -60, strike-slip otherwise (eq. 11). A NaN ``z1pt0`` means unknown and
    gives the California mean Z1.0 of eq. 1 (``Delta Z1.0 = 0``); a NaN ``ztor`` is replaced by
    its expected value (eqs. 4, 5; ``Delta Z_TOR = 0``). Defined for PGA, PGV (cm/s) and SA
    from 0.01 to 10 s; between tabulated periods the coefficients are interpolated linearly
    in ln(period); the median SA at periods <= 0.3 s is floored at the median PGA. The
    standard deviations depend on the nonlinear site response (eq. 13).
    """

    DEFINED_FOR_TECTONIC_REGION_TYPE = "Active Shallow Crust"
    #: Chiou & Youngs (2014): RotD50 (NGA-West2)
    DEFINED_FOR_INTENSITY_MEASURE_COMPONENT = ROTD50
    DEFINED_FOR_INTENSITY_MEASURE_TYPES = frozenset({"PGA", "PGV", "SA"})
    DEFINED_FOR_STANDARD_DEVIATION_TYPES = frozenset({"Total", "Inter event", "Intra event"})
    REQUIRES_SITES_PARAMETERS = frozenset({"vs30", "vs30measured", "z1pt0"})
    REQUIRES_RUPTURE_PARAMETERS = frozenset({"mag", "rake", "dip", "ztor"})
    REQUIRES_DISTANCES = frozenset({"rrup", "rjb", "rx"})
    PERIOD_RANGE = (0.01, 10.0)

    def __init__(self, region: str = "CAL", **kwargs: Any) -> None:
        super().__init__(**kwargs)  # other parameters: UnsupportedParameters
        if region not in REGIONS:
            raise UnsupportedParameters(f"GSIM ChiouYoungs2014: region {region!r} is not "
                                        f"implemented; implemented: {list(REGIONS)}")
        self._set_region(region, REGIONS)

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
        dip = np.asarray(ctx.dip, dtype=float)
        rrup = np.asarray(ctx.rrup, dtype=float)
        rjb = np.asarray(ctx.rjb, dtype=float)
        rx = np.asarray(ctx.rx, dtype=float)
        vs30 = np.asarray(ctx.vs30, dtype=float)
        measured = np.asarray(ctx.vs30measured).astype(bool)
        f_rv, f_nm = _get_mechanism(np.asarray(ctx.rake, dtype=float))
        mean_ztor = get_mean_ztor(mag, f_rv > 0.0)
        ztor = np.asarray(ctx.ztor, dtype=float)
        ztor = np.where(np.isnan(ztor), mean_ztor, ztor)
        dztor = ztor - mean_ztor
        z1pt0 = np.asarray(ctx.z1pt0, dtype=float)
        mean_z1 = get_mean_z1pt0_japan(vs30) if self.region == "JPN" else get_mean_z1pt0(vs30)
        dz1 = np.where(np.isnan(z1pt0), 0.0, z1pt0 - mean_z1)
        args = (mag, dip, rrup, rjb, rx, vs30, measured, f_rv, f_nm, ztor, dztor, dz1)
        pga = None
        for m, imt in enumerate(imts):
            mean[m], sig[m], tau[m], phi[m] = _get_mean_and_stddevs(
                _regional(COEFFS[imt], self.region), *args)
            if imt.name == "SA" and imt.period <= T_PGA_FLOOR:
                # the authors' rule: short-period PSA is no smaller than PGA
                if pga is None:
                    pga = _get_mean_and_stddevs(_regional(COEFFS[PGA()], self.region),
                                                *args)[0]
                mean[m] = np.maximum(mean[m], pga)


def _get_mean_and_stddevs(
    C: dict[str, float], mag: np.ndarray, dip: np.ndarray, rrup: np.ndarray, rjb: np.ndarray,
    rx: np.ndarray, vs30: np.ndarray, measured: np.ndarray, f_rv: np.ndarray,
    f_nm: np.ndarray, ztor: np.ndarray, dztor: np.ndarray, dz1: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``ln y`` (eqs. 11, 12) and the three standard deviations (eq. 13) for one IMT."""
    ln_y_ref = (_get_source_term(C, mag, f_rv, f_nm, dztor, dip)
                + _get_distance_term(C, mag, rrup)
                + _get_hanging_wall_term(C, rx, rjb, rrup, ztor, dip))
    y_ref = np.exp(ln_y_ref)
    ln_y = ln_y_ref + _get_site_term(C, vs30, y_ref, dz1)
    return (ln_y, *_get_stddevs(C, mag, vs30, y_ref, measured))
