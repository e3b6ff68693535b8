"""Boore, Stewart, Seyhan & Atkinson (2014): NGA-West2 equations for active crustal regions.

Reference
---------
Boore, D. M., Stewart, J. P., Seyhan, E. and Atkinson, G. M. (2014). NGA-West2 equations for
predicting PGA, PGV, and 5% damped PSA for shallow crustal earthquakes. *Earthquake
Spectra* 30(3), 1057-1085. https://doi.org/10.1193/070113EQS184M

The basin-depth term ``F_dz1`` (eq. 9) applies only when a ``region`` is given (as
OpenQuake 3.26 does: its default ``region="nobasin"`` has no basin term; ``JPN`` takes the
Japanese ``mu_z1`` relation, any other region the Californian one) and the context gives a
known ``z1pt0`` (m); an unknown ``z1pt0`` (NaN, OpenQuake's ``-999``) means ``dz1 = 0``.
Without a region the model is the one of the verification tables ("global Q, no basin
term"). The region does not change the anelastic attenuation (``Delta c3 = 0``); as in
OpenQuake, the regional ``Delta c3`` are separate models: ``BooreEtAl2014HighQ`` (China /
Turkey) and ``BooreEtAl2014LowQ`` (Italy / Japan), each also registered with OpenQuake's
``...CaliforniaBasin`` / ``...JapanBasin`` names (``region`` preset to ``CAL`` / ``JPN``).

Coefficients: ``coefficients/BSSA14.csv``, the authors' electronic table of 14 July 2014
with the revised ``f4`` of 15 July 2014 (all 105 periods, PGA and PGV); see its
``# source:`` line. The revision changed ``f4`` at 0.05, 0.075, 0.5 and 1.5 s; the older
values (still in nshmp-haz) move the soft-soil medians at those periods by up to 3 %.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.base import GMPE, add_alias
from toolkit.engine.hazard.gsim.coeffs import CoefficientTable
from toolkit.engine.hazard.gsim.component_conversion import ROTD50
from toolkit.engine.hazard.imt import IMT, PGA

__all__ = ["BooreEtAl2014", "BooreEtAl2014HighQ", "BooreEtAl2014LowQ", "REGIONS",
           "get_mean_z1pt0"]

#: Region codes accepted by ``region`` (basin term only; ``JPN`` takes the Japanese
#: ``mu_z1`` relation) -> column of the ``Delta c3`` of the same region, which only the
#: ``HighQ`` (China / Turkey) and ``LowQ`` (Italy / Japan) classes apply.
REGIONS = {"CAL": "Dc3CaTw", "CHN": "Dc3CnTr", "JPN": "Dc3ItJp"}

#: Reference rock velocity (m/s) at which PGAr, the input of the nonlinear site term, is taken.
V_REF_ROCK = 760.0


COEFFS = CoefficientTable("BSSA14.csv")


def _get_mechanism(rake: np.ndarray) -> tuple[np.ndarray, ...]:
    """Dummy variables ``U, SS, NS, RS`` of eq. 2 from the rake (degrees).

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
    """Source function ``F_E`` (eq. 2).

    .. math::
        F_E = e_0 U + e_1 SS + e_2 NS + e_3 RS +
        \\begin{cases} e_4 (M - M_h) + e_5 (M - M_h)^2 & M \\le M_h \\\\
        e_6 (M - M_h) & M > M_h \\end{cases}
    """
    unspecified, strike_slip, normal, reverse = mechanism
    f_mech = (C["e0"] * unspecified + C["e1"] * strike_slip + C["e2"] * normal
              + C["e3"] * reverse)
    dmag = mag - C["Mh"]
    return f_mech + np.where(dmag <= 0.0, C["e4"] * dmag + C["e5"] * dmag ** 2, C["e6"] * dmag)


def get_mean_z1pt0(vs30: np.ndarray, region: str = "CAL") -> np.ndarray:
    """Expected depth to Vs = 1 km/s (**m**) for a vs30 (BSSA14, eqs. 11 and 12).

    .. math::
        \\ln \\mu_{z1} = -\\frac{7.15}{4} \\ln \\frac{V_{S30}^4 + 570.94^4}{1360^4 + 570.94^4}
        \\quad \\text{(California, all regions but JPN)}, \\qquad
        \\ln \\mu_{z1} = -\\frac{5.23}{2} \\ln \\frac{V_{S30}^2 + 412.39^2}{1360^2 + 412.39^2}
        \\quad \\text{(Japan)},

    with :math:`\\mu_{z1}` in m (the paper's equations give km after subtracting ln 1000).
    """
    vs30 = np.asarray(vs30, dtype=float)
    if region == "JPN":
        return np.exp(-5.23 / 2.0 * np.log((vs30 ** 2 + 412.39 ** 2)
                                            / (1360.0 ** 2 + 412.39 ** 2)))
    return np.exp(-7.15 / 4.0 * np.log((vs30 ** 4 + 570.94 ** 4) / (1360.0 ** 4 + 570.94 ** 4)))


def _get_basin_term(C: dict[str, float], imt: IMT, vs30: np.ndarray, z1pt0: np.ndarray,
                    region: str) -> np.ndarray:
    """Basin-depth term ``F_dz1`` (eq. 9), with :math:`\\delta z_1 = z_1 - \\mu_{z1}` in km:

    .. math::
        F_{\\delta z1} = \\begin{cases} 0 & T < 0.65 \\text{ s (PGA, PGV)} \\\\
        f_6 \\delta z_1 & \\delta z_1 \\le f_7 / f_6 \\\\ f_7 & \\text{otherwise}
        \\end{cases}

    A NaN ``z1pt0`` (unknown) gives :math:`\\delta z_1 = 0`.
    """
    if imt.name != "SA" or imt.period < 0.65:
        return np.zeros_like(vs30)
    dz1 = np.where(np.isnan(z1pt0), 0.0, (z1pt0 - get_mean_z1pt0(vs30, region)) / 1000.0)
    return np.where(dz1 <= C["f7"] / C["f6"], C["f6"] * dz1, C["f7"])


def _get_path_term(C: dict[str, float], mag: np.ndarray, rjb: np.ndarray,
                   delta_c3: str) -> np.ndarray:
    """Path function ``F_P`` (eqs. 3 and 4).

    .. math::
        F_P = [c_1 + c_2 (M - M_{ref})] \\ln(R / R_{ref}) + (c_3 + \\Delta c_3)(R - R_{ref}),
        \\qquad R = \\sqrt{R_{JB}^2 + h^2}

    ``delta_c3`` names the coefficient column of the regional ``Delta c3``.
    """
    r = np.sqrt(rjb ** 2 + C["h"] ** 2)
    return ((C["c1"] + C["c2"] * (mag - C["Mref"])) * np.log(r / C["Rref"])
            + (C["c3"] + C[delta_c3]) * (r - C["Rref"]))


def _get_linear_site_term(C: dict[str, float], vs30: np.ndarray) -> np.ndarray:
    """``ln F_lin = c ln(min(vs30, Vc) / Vref)`` (eq. 6)."""
    return C["c"] * np.log(np.minimum(vs30, C["Vc"]) / C["Vref"])


def _get_nonlinear_site_term(C: dict[str, float], vs30: np.ndarray,
                             pga_rock: np.ndarray) -> np.ndarray:
    """``ln F_nl = f1 + f2 ln((PGAr + f3) / f3)`` (eqs. 7 and 8).

    .. math::
        f_2 = f_4 [\\exp\\{f_5 (\\min(V_{S30}, 760) - 360)\\} - \\exp\\{f_5 (760 - 360)\\}]

    ``pga_rock`` is PGAr, the median PGA (g) for vs30 = 760 m/s.
    """
    f2 = C["f4"] * (np.exp(C["f5"] * (np.minimum(vs30, V_REF_ROCK) - 360.0))
                    - np.exp(C["f5"] * (V_REF_ROCK - 360.0)))
    return C["f1"] + f2 * np.log((pga_rock + C["f3"]) / C["f3"])


def _get_stddevs(C: dict[str, float], mag: np.ndarray, rjb: np.ndarray,
                 vs30: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Total, between-event (tau) and within-event (phi) standard deviations (eqs. 13-17).

    ``tau(M)`` and ``phi(M)`` go linearly from ``tau1``/``phi1`` at M <= 4.5 to
    ``tau2``/``phi2`` at M >= 5.5 (eqs. 14, 15); ``phi`` grows by ``dPhiR`` between R1 and R2
    (linearly in ln RJB, eq. 16) and drops by ``dPhiV`` between V2 and V1 (linearly in
    ln vs30, eq. 17); ``sigma = sqrt(tau^2 + phi^2)`` (eq. 13).
    """
    weight = np.clip(mag - 4.5, 0.0, 1.0)
    tau = C["tau1"] + (C["tau2"] - C["tau1"]) * weight
    phi = C["phi1"] + (C["phi2"] - C["phi1"]) * weight
    r_frac = np.log(np.clip(rjb, C["R1"], C["R2"]) / C["R1"]) / np.log(C["R2"] / C["R1"])
    phi = phi + C["dPhiR"] * r_frac
    v_frac = np.log(C["V2"] / np.clip(vs30, C["V1"], C["V2"])) / np.log(C["V2"] / C["V1"])
    phi = phi - C["dPhiV"] * v_frac
    return np.sqrt(tau ** 2 + phi ** 2), tau, phi


class BooreEtAl2014(GMPE):
    """Boore, Stewart, Seyhan & Atkinson (2014).

    Requires magnitude, rake, Joyner-Boore distance and vs30; with a ``region``, uses
    ``z1pt0`` (m) for the basin term when the context has it (NaN: unknown, no basin term).
    Mechanism from the rake:
    normal for -150 < rake < -30, reverse for 30 < rake < 150, strike-slip otherwise;
    "unspecified" (coefficient ``e0``) only when the rake is NaN. Defined for PGA, PGV
    (cm/s) and SA from 0.01 to 10 s; between tabulated periods the coefficients are
    interpolated linearly in ln(period). Gives total, inter- and intra-event standard
    deviations.

    Parameters
    ----------
    region : {"nobasin", "CAL", "CHN", "JPN"}, optional
        Basin term only (as OpenQuake 3.26's ``region``): ``"nobasin"`` (default) has
        none; any other region turns it on, with the Japanese ``mu_z1`` relation (eq. 12)
        for ``"JPN"`` and the Californian one (eq. 11) otherwise. The anelastic attenuation
        is the global / California / Taiwan one (``Delta c3 = 0``, eq. 3) whatever the
        region; the regional ``Delta c3`` are the subclasses
        :class:`BooreEtAl2014HighQ` and :class:`BooreEtAl2014LowQ`.
    """

    DEFINED_FOR_TECTONIC_REGION_TYPE = "Active Shallow Crust"
    #: Boore et al. (2014): RotD50 (NGA-West2, Ancheta et al. 2014)
    DEFINED_FOR_INTENSITY_MEASURE_COMPONENT = ROTD50
    DEFINED_FOR_INTENSITY_MEASURE_TYPES = frozenset({"PGA", "PGV", "SA"})
    DEFINED_FOR_STANDARD_DEVIATION_TYPES = frozenset({"Total", "Inter event", "Intra event"})
    REQUIRES_SITES_PARAMETERS = frozenset({"vs30"})
    REQUIRES_RUPTURE_PARAMETERS = frozenset({"mag", "rake"})
    REQUIRES_DISTANCES = frozenset({"rjb"})
    PERIOD_RANGE = (0.01, 10.0)

    #: column of ``Delta c3`` (eq. 3) in the coefficient table: global / California / Taiwan
    DELTA_C3 = "Dc3CaTw"

    def __init__(self, region: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.basin = region not in (None, "nobasin")
        self._set_region(region if self.basin else "CAL", REGIONS)
        if self.basin:
            self.kwargs["region"] = region

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
        z1pt0 = (np.asarray(ctx.z1pt0, dtype=float) if self.basin and ctx.has("z1pt0")
                 else np.full_like(vs30, np.nan))
        mechanism = _get_mechanism(np.asarray(ctx.rake, dtype=float))
        c_pga = COEFFS[PGA()]
        pga_rock = np.exp(_get_magnitude_term(c_pga, mag, mechanism)
                          + _get_path_term(c_pga, mag, rjb, self.DELTA_C3))
        for m, imt in enumerate(imts):
            C = COEFFS[imt]
            mean[m] = (_get_magnitude_term(C, mag, mechanism)
                       + _get_path_term(C, mag, rjb, self.DELTA_C3)
                       + _get_linear_site_term(C, vs30)
                       + _get_nonlinear_site_term(C, vs30, pga_rock)
                       + _get_basin_term(C, imt, vs30, z1pt0, self.region))
            sig[m], tau[m], phi[m] = _get_stddevs(C, mag, rjb, vs30)


class BooreEtAl2014HighQ(BooreEtAl2014):
    """:class:`BooreEtAl2014` with the China / Turkey anelastic attenuation ("high Q").

    ``Delta c3`` of eq. 3 from the ``Dc3 China/Turkey`` column of Boore et al. (2014),
    Tables 3-5 (positive: less attenuation with distance); ``region`` still drives only the
    basin term.
    """

    DELTA_C3 = "Dc3CnTr"


class BooreEtAl2014LowQ(BooreEtAl2014):
    """:class:`BooreEtAl2014` with the Italy / Japan anelastic attenuation ("low Q").

    ``Delta c3`` of eq. 3 from the ``Dc3 Italy/Japan`` column of Boore et al. (2014),
    Tables 3-5 (negative: more attenuation with distance); ``region`` still drives only the
    basin term.
    """

    DELTA_C3 = "Dc3ItJp"


# OpenQuake's names of the basin variants (its ``region`` preset)
for _cls in (BooreEtAl2014, BooreEtAl2014HighQ, BooreEtAl2014LowQ):
    add_alias(f"{_cls.__name__}CaliforniaBasin", _cls, region="CAL")
    add_alias(f"{_cls.__name__}JapanBasin", _cls, region="JPN")
