"""Abrahamson, Silva & Kamai (2014): NGA-West2 equations for active crustal regions (ASK14).

Reference
---------
Abrahamson, N. A., Silva, W. J. and Kamai, R. (2014). Summary of the ASK14 ground motion
relation for active crustal regions. *Earthquake Spectra* 30(3), 1025-1055.
https://doi.org/10.1193/070913EQS198M

The median is the sum of the paper's terms (its function names are used below)::

    ln Sa = f1(M, Rrup) + F_RV f7(M) + F_N f8(M) + F_HW f4(...) + f5(Sa1180, Vs30)
            + f6(Ztor) + f10(Z1, Vs30) + regional terms

for a mainshock (the aftershock term ``F_AS f11`` is not used). ``Sa1180`` is the median
at the same IMT for Vs30 = 1180 m/s (no soil-depth term). The standard deviations include
the nonlinear-site correction ``1 + dAmp`` of the within- and between-event terms.

Coefficients: ``coefficients/ASK14.csv`` (see its ``# source:`` line); between tabulated
periods every coefficient is interpolated linearly in ln(period). They are the authors'
electronic-supplement values; OpenQuake's table has ``b`` rounded to two decimals at 0.02,
0.05, 0.075, 0.15, 0.2, 0.25, 0.3, 0.4 and 0.5 s and ``a44 = 0.28`` (not 0.275) at 7.5 s,
which moves medians by up to 0.9 % (2.4 % at 7.5 s) against OpenQuake there.

Choices where the equations leave room: the hanging-wall term applies for Rx > 0 (not at
Rx = 0); ``V1 = 800`` m/s exactly for T >= 3 s; the soil-depth slope is interpolated
linearly in Vs30 between 150, 250, 400 and 700 m/s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.base import GMPE
from toolkit.engine.hazard.gsim.coeffs import CoefficientTable
from toolkit.engine.hazard.gsim.component_conversion import ROTD50
from toolkit.engine.hazard.imt import IMT

__all__ = ["AbrahamsonEtAl2014", "REGIONS", "z1_reference"]

#: Regions of the paper's regional adjustments: ``CAL`` (California / global model),
#: ``TWN`` (Taiwan), ``CHN`` (China).
REGIONS = ("CAL", "TWN", "CHN")

#: Reference rock velocity (m/s) of the nonlinear site term.
V_REF_ROCK = 1180.0
#: Period-independent magnitude of the lower magnitude break (M2).
M2 = 5.0
#: Hanging-wall constants: magnitude taper slope and the Rx-taper polynomial.
A2_HW = 0.2
H1, H2, H3 = 0.25, 1.5, -0.75
#: Site-amplification part of the within-event standard deviation (phi_amp).
PHI_AMP = 0.4
#: Vs30 (m/s) at which the soil-depth slopes a43, a44, a45 and a46 apply.
F10_VS30 = (150.0, 250.0, 400.0, 700.0)

COEFFS = CoefficientTable("ASK14.csv")


def _get_mechanism(rake: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flags ``F_RV`` (30 < rake < 150) and ``F_N`` (-150 < rake < -30) from the rake (deg)."""
    reverse = (rake > 30.0) & (rake < 150.0)
    normal = (rake > -150.0) & (rake < -30.0)
    return reverse.astype(float), normal.astype(float)


def _get_basic_term(C: dict[str, float], mag: np.ndarray, rrup: np.ndarray) -> np.ndarray:
    """Base model ``f1(M, Rrup)`` with its magnitude-dependent near-source term (eqs. 2-4).

    .. math::
        f_1 = \\begin{cases}
        a_1 + a_5 (M - M_1) + a_8 (8.5 - M)^2 + [a_2 + a_3 (M - M_1)] \\ln R + a_{17} R_{RUP}
            & M > M_1 \\\\
        a_1 + a_4 (M - M_1) + a_8 (8.5 - M)^2 + [a_2 + a_3 (M - M_1)] \\ln R + a_{17} R_{RUP}
            & M_2 \\le M \\le M_1 \\\\
        a_1 + a_4 (M_2 - M_1) + a_8 (8.5 - M_2)^2 + a_6 (M - M_2) + a_7 (M - M_2)^2
            + [a_2 + a_3 (M_2 - M_1)] \\ln R + a_{17} R_{RUP} & M < M_2
        \\end{cases}

    with :math:`R = \\sqrt{R_{RUP}^2 + c_{4M}^2}` and
    :math:`c_{4M} = c_4 - (c_4 - 1)\\,\\mathrm{clip}(5 - M, 0, 1)`.
    """
    m1 = C["M1"]
    c4m = C["c4"] - (C["c4"] - 1.0) * np.clip(5.0 - mag, 0.0, 1.0)
    ln_r = np.log(np.sqrt(rrup ** 2 + c4m ** 2))
    large = (C["a1"] + C["a5"] * (mag - m1) + C["a8"] * (8.5 - mag) ** 2
             + (C["a2"] + C["a3"] * (mag - m1)) * ln_r)
    middle = (C["a1"] + C["a4"] * (mag - m1) + C["a8"] * (8.5 - mag) ** 2
              + (C["a2"] + C["a3"] * (mag - m1)) * ln_r)
    small = (C["a1"] + C["a4"] * (M2 - m1) + C["a8"] * (8.5 - M2) ** 2
             + C["a6"] * (mag - M2) + C["a7"] * (mag - M2) ** 2
             + (C["a2"] + C["a3"] * (M2 - m1)) * ln_r)
    f1 = np.where(mag > m1, large, np.where(mag >= M2, middle, small))
    return f1 + C["a17"] * rrup


def _get_faulting_style_term(C: dict[str, float], mag: np.ndarray,
                             rake: np.ndarray) -> np.ndarray:
    """``F_RV f7(M) + F_N f8(M)``: ``f7 = a11``, ``f8 = a12`` for M > 5, tapered to 0 at M 4."""
    reverse, normal = _get_mechanism(rake)
    taper = np.clip(mag - 4.0, 0.0, 1.0)
    return (C["a11"] * reverse + C["a12"] * normal) * taper


def _get_hanging_wall_term(C: dict[str, float], mag: np.ndarray, dip: np.ndarray,
                           width: np.ndarray, ztor: np.ndarray, rx: np.ndarray,
                           ry0: np.ndarray) -> np.ndarray:
    """Hanging-wall term ``F_HW f4 = a13 T1 T2 T3 T4 T5`` (zero on the footwall, Rx <= 0).

    - dip taper ``T1 = (90 - dip) / 45`` for dip > 30, ``60 / 45`` otherwise;
    - magnitude taper ``T2 = 1 + a2HW (M - 6.5)`` for M >= 6.5,
      ``1 + a2HW (M - 6.5) - (1 - a2HW)(M - 6.5)^2`` for 5.5 < M < 6.5, 0 for M <= 5.5;
    - Rx taper with ``R1 = W cos(dip)``, ``R2 = 3 R1``: ``h1 + h2 Rx/R1 + h3 (Rx/R1)^2``
      for Rx < R1, ``1 - (Rx - R1)/(R2 - R1)`` for R1 <= Rx < R2, 0 beyond;
    - Ztor taper ``T4 = 1 - Ztor^2/100`` for Ztor < 10 km, 0 otherwise;
    - Ry0 taper ``T5 = 1 - (Ry0 - Ry1)/5`` clipped to [0, 1], ``Ry1 = Rx tan(20 deg)``.
    """
    t1 = np.minimum(90.0 - dip, 60.0) / 45.0
    dm = mag - 6.5
    t2 = np.where(dm >= 0.0, 1.0 + A2_HW * dm, 1.0 + A2_HW * dm - (1.0 - A2_HW) * dm ** 2)
    t2 = np.where(mag <= 5.5, 0.0, t2)
    r1 = width * np.cos(np.radians(dip))
    r2 = 3.0 * r1
    with np.errstate(divide="ignore", invalid="ignore"):
        x = rx / r1
        t3 = np.where(rx < r1, H1 + H2 * x + H3 * x ** 2,
                      np.where(rx < r2, 1.0 - (rx - r1) / (r2 - r1), 0.0))
    t4 = np.clip(1.0 - ztor ** 2 / 100.0, 0.0, 1.0)
    ry1 = rx * np.tan(np.radians(20.0))
    t5 = np.clip(1.0 - (ry0 - ry1) / 5.0, 0.0, 1.0)
    f4 = C["a13"] * t1 * t2 * t3 * t4 * t5
    # dip 90 deg gives t1 = 0; r1 = 0 there gives NaN in t3, which the mask removes
    return np.where((rx > 0.0) & (dip < 90.0), f4, 0.0)


def _get_top_of_rupture_term(C: dict[str, float], ztor: np.ndarray) -> np.ndarray:
    """``f6 = a15 Ztor / 20`` for Ztor < 20 km, ``a15`` otherwise."""
    return C["a15"] * np.clip(ztor / 20.0, 0.0, 1.0)


def _get_v1(imt: IMT) -> float:
    """Upper velocity ``V1`` of the site term (m/s).

    1500 for T <= 0.5 s (and PGA, PGV), ``exp(-0.35 ln(T/0.5) + ln 1500)`` for
    0.5 < T < 3 s, 800 for T >= 3 s.
    """
    if imt.name != "SA" or imt.period <= 0.5:
        return 1500.0
    if imt.period >= 3.0:
        return 800.0  # the formula would give 801 m/s at 3 s
    return float(np.exp(-0.35 * np.log(imt.period / 0.5) + np.log(1500.0)))


def _get_site_term(C: dict[str, float], v1: float, vs30: np.ndarray,
                   sa1180: np.ndarray) -> np.ndarray:
    """Site response ``f5(Sa1180, Vs30)`` with ``Vs30* = min(Vs30, V1)``.

    .. math::
        f_5 = \\begin{cases}
        (a_{10} + b n) \\ln(V_{S30}^*/V_{LIN}) & V_{S30} \\ge V_{LIN} \\\\
        a_{10} \\ln(V_{S30}^*/V_{LIN}) - b \\ln(Sa_{1180} + c)
            + b \\ln(Sa_{1180} + c (V_{S30}^*/V_{LIN})^n) & V_{S30} < V_{LIN}
        \\end{cases}
    """
    ratio = np.minimum(vs30, v1) / C["Vlin"]
    linear = (C["a10"] + C["b"] * C["n"]) * np.log(ratio)
    nonlinear = (C["a10"] * np.log(ratio) - C["b"] * np.log(sa1180 + C["c"])
                 + C["b"] * np.log(sa1180 + C["c"] * ratio ** C["n"]))
    return np.where(vs30 >= C["Vlin"], linear, nonlinear)


def z1_reference(vs30: np.ndarray) -> np.ndarray:
    """Reference depth Z1.0 (m) for a Vs30 (m/s), California model of the paper (eq. 18).

    .. math:: Z_{1,ref} = \\exp\\left(-\\frac{7.67}{4}
        \\ln\\frac{V_{S30}^4 + 610^4}{1360^4 + 610^4}\\right) \\; \\mathrm{m}
    """
    return np.exp(-7.67 / 4.0 * np.log((vs30 ** 4 + 610.0 ** 4) / (1360.0 ** 4 + 610.0 ** 4)))


def _get_soil_depth_term(C: dict[str, float], vs30: np.ndarray,
                         z1pt0: np.ndarray) -> np.ndarray:
    """Soil-depth term ``f10 = a(Vs30) ln((Z1 + 0.01)/(Z1ref + 0.01))`` (Z1 in km).

    The slope ``a(Vs30)`` is ``a43, a44, a45, a46`` at Vs30 = 150, 250, 400, 700 m/s,
    interpolated linearly in Vs30 in between and constant outside. An unknown ``z1pt0``
    (NaN) takes ``Z1ref``, so the term vanishes.
    """
    z1ref = z1_reference(vs30)
    z1 = np.where(np.isnan(z1pt0), z1ref, z1pt0)
    ln_ratio = np.log((z1 / 1000.0 + 0.01) / (z1ref / 1000.0 + 0.01))
    slope = np.interp(vs30, F10_VS30, [C["a43"], C["a44"], C["a45"], C["a46"]])
    return slope * ln_ratio


def _get_regional_term(C: dict[str, float], region: str, v1: float, vs30: np.ndarray,
                       rrup: np.ndarray) -> np.ndarray:
    """Regional adjustments: Taiwan ``a31 ln(Vs30*/Vlin) + a25 Rrup``, China ``a28 Rrup``."""
    if region == "TWN":
        return C["a31"] * np.log(np.minimum(vs30, v1) / C["Vlin"]) + C["a25"] * rrup
    if region == "CHN":
        return C["a28"] * rrup
    return np.zeros_like(rrup)


def _get_stddevs(C: dict[str, float], mag: np.ndarray, vs30: np.ndarray,
                 vs30measured: np.ndarray,
                 sa1180: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Total, between-event (tau) and within-event (phi) standard deviations.

    ``phi_A`` goes linearly from ``s1`` (M < 4) to ``s2`` (M > 6), with the coefficients
    for measured (``s1m, s2m``) or estimated (``s1e, s2e``) Vs30; ``tau_A`` goes from
    ``s3`` (M < 5) to ``s4`` (M > 7). With ``phi_B = sqrt(phi_A^2 - phi_amp^2)``,
    ``tau_B = tau_A`` and the nonlinear-site derivative

    .. math::
        \\Delta = \\frac{\\partial \\ln Amp}{\\partial \\ln Sa_{1180}}
        = -\\frac{b\\,Sa_{1180}}{Sa_{1180} + c}
          + \\frac{b\\,Sa_{1180}}{Sa_{1180} + c (V_{S30}/V_{LIN})^n}
        \\quad (0 \\text{ for } V_{S30} \\ge V_{LIN}),

    ``phi = sqrt(phi_B^2 (1 + Delta)^2 + phi_amp^2)``, ``tau = tau_B (1 + Delta)`` and
    ``sigma = sqrt(phi^2 + tau^2)``.
    """
    weight_phi = np.clip((mag - 4.0) / 2.0, 0.0, 1.0)
    s1 = np.where(vs30measured, C["s1m"], C["s1e"])
    s2 = np.where(vs30measured, C["s2m"], C["s2e"])
    phi_a = s1 + (s2 - s1) * weight_phi
    tau_a = C["s3"] + (C["s4"] - C["s3"]) * np.clip((mag - 5.0) / 2.0, 0.0, 1.0)
    b, c, n = C["b"], C["c"], C["n"]
    delta = (-b * sa1180 / (sa1180 + c)
             + b * sa1180 / (sa1180 + c * (vs30 / C["Vlin"]) ** n))
    delta = np.where(vs30 >= C["Vlin"], 0.0, delta)
    # phi_B^2 = phi_A^2 - phi_amp^2 may be negative at long periods (phi_A < 0.4 there);
    # with Delta = 0 (b = 0 for T >= 3 s) phi reduces to phi_A as it should.
    phi = np.sqrt((phi_a ** 2 - PHI_AMP ** 2) * (1.0 + delta) ** 2 + PHI_AMP ** 2)
    tau = tau_a * (1.0 + delta)
    return np.sqrt(phi ** 2 + tau ** 2), tau, phi


class AbrahamsonEtAl2014(GMPE):
    """Abrahamson, Silva & Kamai (2014), mainshocks, California / global model by default.

    Requires magnitude, rake, dip, depth to top of rupture, rupture width, Rrup, Rx,
    Ry0, vs30, vs30measured and z1pt0 (m; NaN = unknown, replaced by the paper's
    California ``Z1ref(Vs30)``). Mechanism from the rake: reverse for 30 < rake < 150,
    normal for -150 < rake < -30, strike-slip otherwise. Defined for PGA, PGV (cm/s) and SA
    from 0.01 to 10 s; between tabulated periods the coefficients are interpolated linearly
    in ln(period). Gives total, inter- and intra-event standard deviations.

    Parameters
    ----------
    region : {"CAL", "TWN", "CHN"}
        ``"CAL"`` (default) California / global; ``"TWN"`` adds the Taiwan Vs30 and
        anelastic terms (``a31``, ``a25``); ``"CHN"`` the China anelastic term (``a28``).
        (The Japan adjustments, with their own Z1ref and phi, are not implemented.)
    """

    DEFINED_FOR_TECTONIC_REGION_TYPE = "Active Shallow Crust"
    #: Abrahamson, Silva & Kamai (2014): RotD50 (NGA-West2, Ancheta et al. 2014)
    DEFINED_FOR_INTENSITY_MEASURE_COMPONENT = ROTD50
    DEFINED_FOR_INTENSITY_MEASURE_TYPES = frozenset({"PGA", "PGV", "SA"})
    DEFINED_FOR_STANDARD_DEVIATION_TYPES = frozenset({"Total", "Inter event", "Intra event"})
    REQUIRES_SITES_PARAMETERS = frozenset({"vs30", "vs30measured", "z1pt0"})
    REQUIRES_RUPTURE_PARAMETERS = frozenset({"mag", "rake", "dip", "ztor", "width"})
    REQUIRES_DISTANCES = frozenset({"rrup", "rx", "ry0"})
    PERIOD_RANGE = (0.01, 10.0)

    def __init__(self, region: str = "CAL", **kwargs: Any) -> None:
        super().__init__(**kwargs)
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
        rake = np.asarray(ctx.rake, dtype=float)
        dip = np.asarray(ctx.dip, dtype=float)
        ztor = np.asarray(ctx.ztor, dtype=float)
        width = np.asarray(ctx.width, dtype=float)
        rrup = np.asarray(ctx.rrup, dtype=float)
        rx = np.asarray(ctx.rx, dtype=float)
        ry0 = np.asarray(ctx.ry0, dtype=float)
        vs30 = np.asarray(ctx.vs30, dtype=float)
        vs30measured = np.asarray(ctx.vs30measured, dtype=bool)
        z1pt0 = np.asarray(ctx.z1pt0, dtype=float)
        vs_rock = np.full_like(vs30, V_REF_ROCK)
        for m, imt in enumerate(imts):
            C = COEFFS[imt]
            v1 = _get_v1(imt)
            source = (_get_basic_term(C, mag, rrup)
                      + _get_faulting_style_term(C, mag, rake)
                      + _get_hanging_wall_term(C, mag, dip, width, ztor, rx, ry0)
                      + _get_top_of_rupture_term(C, ztor))
            # Sa1180: same IMT on Vs30 = 1180 m/s rock (linear site term, no f10)
            ln_sa1180 = (source + _get_site_term(C, v1, vs_rock, vs_rock)
                         + _get_regional_term(C, self.region, v1, vs_rock, rrup))
            sa1180 = np.exp(ln_sa1180)
            mean[m] = (source + _get_site_term(C, v1, vs30, sa1180)
                       + _get_soil_depth_term(C, vs30, z1pt0)
                       + _get_regional_term(C, self.region, v1, vs30, rrup))
            sig[m], tau[m], phi[m] = _get_stddevs(C, mag, vs30, vs30measured, sa1180)
