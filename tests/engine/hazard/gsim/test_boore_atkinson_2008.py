"""Boore & Atkinson (2008): hand-computed spot values, trends and the reference-site rule.

No verification table for BA08 is shipped with the shared data, so the spot values below are
computed step by step from the paper's equations with the coefficients typed from its
Tables 3, 6, 7 and 8 (independently of the module and of its CSV).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim import boore_atkinson_2008 as ba08
from toolkit.engine.hazard.gsim.boore_atkinson_2008 import BooreAtkinson2008
from toolkit.engine.hazard.imt import PGA, PGV, SA
from toolkit.errors import InputError

# Table 4 and eq. 3 constants
MREF, RREF, VREF, V1, V2, A1, A2, PGA_LOW = 4.5, 1.0, 760.0, 180.0, 300.0, 0.03, 0.09, 0.06


def _run(mag, rake, rjb, vs30, imt):
    ctx = Context(mag=np.atleast_1d(np.asarray(mag, float)), rake=rake, rjb=rjb, vs30=vs30)
    mean, sig, tau, phi = BooreAtkinson2008().get_mean_and_stddevs(ctx, [imt])
    return mean[0], sig[0], tau[0], phi[0]


def _pga4nl(mag, e_mech, rjb):
    """Rock PGA (g) for vs30 = 760 m/s with the PGA coefficients (eqs. 3-5, F_S = 0)."""
    # PGA: c1 -0.6605, c2 0.1197, c3 -0.01151, h 1.35, e5 0.28805, e6 -0.10164, e7 0, Mh 6.75
    r = np.sqrt(rjb ** 2 + 1.35 ** 2)
    f_d = (-0.6605 + 0.1197 * (mag - MREF)) * np.log(r / RREF) + (-0.01151) * (r - RREF)
    dm = mag - 6.75
    f_m = e_mech + (0.28805 * dm + (-0.10164) * dm ** 2 if dm <= 0 else 0.0 * dm)
    return np.exp(f_m + f_d)


# ---------------------------------------------------------------- (a) spot values by hand
def test_spot_pga_strike_slip_m6_rjb10_vs400():
    mag, rjb, vs30 = 6.0, 10.0, 400.0
    # PGA coefficients; strike-slip e2 = -0.50350
    r = np.sqrt(rjb ** 2 + 1.35 ** 2)
    f_d = (-0.6605 + 0.1197 * (mag - 4.5)) * np.log(r) + (-0.01151) * (r - 1.0)
    f_m = -0.50350 + 0.28805 * (mag - 6.75) + (-0.10164) * (mag - 6.75) ** 2
    pga4nl = np.exp(f_m + f_d)
    assert pga4nl == pytest.approx(_pga4nl(mag, -0.50350, rjb))
    assert pga4nl > A2  # eq. 8c branch
    f_lin = -0.36 * np.log(vs30 / 760.0)
    bnl = -0.14 * np.log(vs30 / 760.0) / np.log(300.0 / 760.0)  # eq. 13c, V2 < vs30 < Vref
    f_nl = bnl * np.log(pga4nl / 0.1)
    expected = f_m + f_d + f_lin + f_nl
    ln_y, sigma, tau, phi = _run(mag, 0.0, rjb, vs30, PGA())
    assert ln_y[0] == pytest.approx(expected, rel=1e-12)
    assert np.exp(expected) == pytest.approx(0.1666, rel=1e-3)  # g
    # Table 8, specified mechanism
    assert (sigma[0], tau[0], phi[0]) == (0.564, 0.260, 0.502)


def test_spot_sa1_reverse_m7p5_rjb30_vs250():
    mag, rjb, vs30 = 7.5, 30.0, 250.0
    # SA(1.0): blin -0.70, b1 -0.44, b2 0.0, c1 -0.8183, c2 0.1027, c3 -0.00334, h 2.54,
    # reverse e4 -0.3933, e7 0.05393, Mh 6.75
    r = np.sqrt(rjb ** 2 + 2.54 ** 2)
    f_d = (-0.8183 + 0.1027 * (mag - 4.5)) * np.log(r) + (-0.00334) * (r - 1.0)
    f_m = -0.3933 + 0.05393 * (mag - 6.75)  # eq. 5b, M > Mh
    pga4nl = _pga4nl(mag, -0.5097, rjb)  # PGA reverse e4 = -0.5097, M > Mh: e7 = 0
    assert pga4nl > A2
    f_lin = -0.70 * np.log(vs30 / 760.0)
    bnl = (-0.44 - 0.0) * np.log(vs30 / 300.0) / np.log(180.0 / 300.0) + 0.0  # eq. 13b
    f_nl = bnl * np.log(pga4nl / 0.1)
    expected = f_m + f_d + f_lin + f_nl
    ln_y, sigma, tau, phi = _run(mag, 90.0, rjb, vs30, SA(1.0))
    assert ln_y[0] == pytest.approx(expected, rel=1e-12)
    assert np.exp(expected) == pytest.approx(0.2283, rel=1e-3)  # g
    assert (sigma[0], tau[0], phi[0]) == (0.647, 0.302, 0.573)


def test_spot_pgv_normal_m5p5_rjb20_vs600_transition_zone():
    mag, rjb, vs30 = 5.5, 20.0, 600.0
    # PGV: blin -0.60, b1 -0.50, b2 -0.06, c1 -0.8737, c2 0.1006, c3 -0.00334, h 2.54,
    # normal e3 4.63188, e5 0.18322, e6 -0.12736, Mh 8.5
    r = np.sqrt(rjb ** 2 + 2.54 ** 2)
    f_d = (-0.8737 + 0.1006 * (mag - 4.5)) * np.log(r) + (-0.00334) * (r - 1.0)
    f_m = 4.63188 + 0.18322 * (mag - 8.5) + (-0.12736) * (mag - 8.5) ** 2
    pga4nl = _pga4nl(mag, -0.75472, rjb)  # PGA normal e3
    assert A1 < pga4nl <= A2  # eq. 8b, the cubic transition
    f_lin = -0.60 * np.log(vs30 / 760.0)
    bnl = -0.06 * np.log(vs30 / 760.0) / np.log(300.0 / 760.0)
    dx = np.log(A2 / A1)
    dy = bnl * np.log(A2 / PGA_LOW)
    c = (3 * dy - bnl * dx) / dx ** 2
    d = -(2 * dy - bnl * dx) / dx ** 3
    x = np.log(pga4nl / A1)
    f_nl = bnl * np.log(PGA_LOW / 0.1) + c * x ** 2 + d * x ** 3
    expected = f_m + f_d + f_lin + f_nl
    ln_y, sigma, tau, phi = _run(mag, -90.0, rjb, vs30, PGV())
    assert ln_y[0] == pytest.approx(expected, rel=1e-12)
    assert np.exp(expected) == pytest.approx(2.012, rel=1e-3)  # cm/s
    assert (sigma[0], tau[0], phi[0]) == (0.560, 0.256, 0.500)


def test_spot_sa02_unspecified_m5_rjb40_vs170_weak_motion():
    mag, rjb, vs30 = 5.0, 40.0, 170.0
    # SA(0.2): blin -0.31, b1 -0.52, b2 -0.19, c1 -0.583, c2 0.04273, c3 -0.00952, h 1.98,
    # unspecified e1 0.5718, e5 0.52729, e6 -0.12964, Mh 6.75
    r = np.sqrt(rjb ** 2 + 1.98 ** 2)
    f_d = (-0.583 + 0.04273 * (mag - 4.5)) * np.log(r) + (-0.00952) * (r - 1.0)
    f_m = 0.5718 + 0.52729 * (mag - 6.75) + (-0.12964) * (mag - 6.75) ** 2
    pga4nl = _pga4nl(mag, -0.53804, rjb)  # PGA unspecified e1
    assert pga4nl <= A1  # eq. 8a
    f_lin = -0.31 * np.log(vs30 / 760.0)
    bnl = -0.52  # eq. 13a, vs30 <= V1
    f_nl = bnl * np.log(PGA_LOW / 0.1)
    expected = f_m + f_d + f_lin + f_nl
    ln_y, sigma, tau, phi = _run(mag, np.nan, rjb, vs30, SA(0.2))
    assert ln_y[0] == pytest.approx(expected, rel=1e-12)
    assert np.exp(expected) == pytest.approx(0.08523, rel=1e-3)  # g
    # unspecified mechanism: tau_U, sigma_TU
    assert (sigma[0], tau[0], phi[0]) == (0.596, 0.283, 0.523)


# ---------------------------------------------------------------- (b) trends
_IMTS = [PGA(), PGV(), SA(0.1), SA(0.3), SA(1.0), SA(3.0), SA(10.0)]


@pytest.mark.parametrize("imt", _IMTS, ids=str)
def test_decreases_with_distance(imt):
    # On soft sites (vs30 <= 250 m/s) the model itself rises slightly within the first few
    # km (up to ~9 % at 10 s for M 4): as pga4nl falls with distance, the nonlinear
    # de-amplification F_NL (slope up to |b_nl| in ln pga4nl) relaxes faster than F_D
    # decays, since near the source F_D is flatter (larger h, weaker spreading) for these
    # IMTs than for the PGA that drives pga4nl. Beyond 10 km, and at every distance on
    # stiffer sites, ln y decreases strictly.
    for mag in (4.0, 5.5, 7.0, 8.0):
        for rake in (-90.0, 0.0, 90.0):
            for vs30 in (180.0, 250.0, 400.0, 760.0, 1500.0):
                rjb = np.geomspace(0.1 if vs30 >= 400.0 else 10.0, 400.0, 60)
                n = len(rjb)
                ln_y = _run(np.full(n, mag), np.full(n, rake), rjb, np.full(n, vs30), imt)[0]
                assert np.all(np.diff(ln_y) < 0), (imt, mag, rake, vs30)


@pytest.mark.parametrize("imt", _IMTS, ids=str)
def test_increases_with_magnitude(imt):
    # On very soft sites (vs30 <= V1 = 180 m/s, b_nl = b1) the model over-saturates at
    # 0.05-0.3 s: pga4nl grows faster with M than the short-period rock motion, so ln y
    # falls by up to 0.05 per magnitude unit near and above Mh. From 250 m/s up it does not.
    mag = np.linspace(4.0, 8.0, 41)
    n = len(mag)
    for rjb in (0.0, 10.0, 50.0, 150.0):
        for vs30 in (250.0, 400.0, 760.0, 1500.0):
            for rake in (-90.0, 0.0, 90.0):
                ln_y = _run(mag, np.full(n, rake), np.full(n, rjb), np.full(n, vs30), imt)[0]
                # non-decreasing: above Mh, F_M is flat where e7 = 0
                assert np.all(np.diff(ln_y) >= -1e-12), (imt, rjb, vs30, rake)
                assert ln_y[-1] > ln_y[0]


# ---------------------------------------------------------------- (c) reference site
@pytest.mark.parametrize("imt", _IMTS, ids=str)
def test_site_term_is_zero_at_vref(imt):
    pga4nl = np.array([1e-4, 0.02, 0.03, 0.05, 0.09, 0.3, 2.0])
    site = ba08._get_site_term(ba08.COEFFS[imt], np.full(pga4nl.shape, VREF), pga4nl)
    np.testing.assert_array_equal(site, 0.0)


def test_reference_site_median_is_source_plus_path():
    # PGA, M 6.5, strike-slip, RJB 15 km, vs30 760 m/s: ln y = F_M + F_D exactly.
    expected = np.log(_pga4nl(6.5, -0.50350, 15.0))
    assert _run(6.5, 0.0, 15.0, VREF, PGA())[0][0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("imt", _IMTS, ids=str)
def test_nonlinear_term_continuous_at_a1_and_a2(imt):
    # the cubic of eq. 8b joins eqs. 8a and 8c with equal values
    vs30 = np.full(4, 250.0)
    C = ba08.COEFFS[imt]
    for a in (A1, A2):
        site = ba08._get_site_term(C, vs30, a * np.array([1 - 1e-9, 1.0, 1 + 1e-9, 1 + 2e-9]))
        np.testing.assert_allclose(site, site[1], atol=1e-8)


# ---------------------------------------------------------------- errors
def test_missing_context_parameter_names_model_and_parameter():
    ctx = Context(mag=[6.0], rjb=[10.0], vs30=[400.0])
    with pytest.raises(InputError, match=r"BooreAtkinson2008.*rake"):
        BooreAtkinson2008().get_mean_and_stddevs(ctx, [PGA()])


@pytest.mark.parametrize("imt", [SA(0.005), SA(20.0)])
def test_period_outside_range(imt):
    ctx = Context(mag=[6.0], rake=[0.0], rjb=[10.0], vs30=[400.0])
    with pytest.raises(InputError, match=rf"BooreAtkinson2008.*{re.escape(str(imt))}"):
        BooreAtkinson2008().get_mean_and_stddevs(ctx, [imt])
