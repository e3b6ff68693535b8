"""Campbell & Bozorgnia (2014): hand values from the paper's equations and physical trends.

The hand values below are written out from eqs. 1-33 of the paper with the coefficients of its
Tables 1 and 2 typed in literally; they do not call the module's functions or read its CSV.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.campbell_bozorgnia_2014 import (
    COEFFS,
    CampbellBozorgnia2014,
    default_z2pt5,
)
from toolkit.engine.hazard.imt import PGA, PGV, SA
from toolkit.errors import InputError

_DEFAULTS = {"mag": 6.5, "rake": 0.0, "dip": 90.0, "ztor": 0.0, "width": 15.0,
             "hypo_depth": 8.0, "rrup": 20.0, "rjb": 20.0, "rx": 20.0, "vs30": 760.0,
             "z2pt5": 2.0}


def _ctx(**values) -> Context:
    arrays = {k: np.atleast_1d(np.asarray(values.get(k, v), dtype=float))
              for k, v in _DEFAULTS.items()}
    n = max(len(a) for a in arrays.values())
    return Context(**{k: np.broadcast_to(a, (n,)).copy() for k, a in arrays.items()})


def _run(ctx, imt):
    mean, sig, tau, phi = CampbellBozorgnia2014().get_mean_and_stddevs(ctx, [imt])
    return mean[0], sig[0], tau[0], phi[0]


# ---------------------------------------------------------------- hand values (eqs. 1-32)
def test_hand_value_pga_rock_large_magnitude():
    # PGA, M 7 (all three magnitude hinges), strike-slip, vertical (f_hng = 0 by eq. 16),
    # Rrup 20 km, hypocentre 10 km, vs30 1100 > k1 (linear site term), Z2.5 2 km (f_sed = 0).
    f_mag = -4.416 + 0.984 * 7.0 + 0.537 * 2.5 + (-1.499) * 1.5 + (-0.496) * 0.5
    f_dis = (-2.773 + 0.248 * 7.0) * np.log(np.sqrt(20.0 ** 2 + 6.768 ** 2))
    f_site = (1.09 + (-1.186) * 1.18) * np.log(1100.0 / 865.0)
    f_hyp = (10.0 - 7.0) * 0.0333
    ln_y, sigma, tau, phi = _run(
        _ctx(mag=7.0, hypo_depth=10.0, rrup=20.0, rjb=20.0, rx=20.0, vs30=1100.0), PGA())
    assert ln_y[0] == pytest.approx(f_mag + f_dis + f_site + f_hyp, rel=1e-12)
    # M >= 5.5 and no nonlinearity (alpha = 0): tau2, phi2 (eqs. 27-32)
    assert tau[0] == pytest.approx(0.322, rel=1e-12)
    assert phi[0] == pytest.approx(0.492, rel=1e-12)
    assert sigma[0] == pytest.approx(np.hypot(0.322, 0.492), rel=1e-12)


def test_hand_value_one_second_hanging_wall_soft_soil_deep_basin():
    # SA(1.0), M 6, reverse, dip 45, Ztor 2, W 10, Zhyp 8, Rrup 4, Rjb 0, Rx 5 (< R1),
    # vs30 300 (< k1 = 400: nonlinear), Z2.5 5 km (deep basin branch of eq. 20).
    mag, dip, ztor, width, hyp, rrup, rjb, rx, vs30, z25 = (
        6.0, 45.0, 2.0, 10.0, 8.0, 4.0, 0.0, 5.0, 300.0, 5.0)
    r1 = width * np.cos(np.radians(dip))

    # A1100: PGA coefficients, vs30 1100, Z2.5 from eq. 33 at 1100 m/s (< 1 km).
    z25_rock = np.exp(7.089 - 1.144 * np.log(1100.0))
    ln_a1100 = (-4.416 + 0.984 * mag + 0.537 * 1.5 + (-1.499) * 0.5
                + (-2.773 + 0.248 * mag) * np.log(np.sqrt(rrup ** 2 + 6.768 ** 2))
                + 0.0  # c8 = 0 (reverse)
                + 0.72 * (0.241 + 1.474 * rx / r1 + (-0.715) * (rx / r1) ** 2) * 1.0
                * (0.5 * (1.0 + 0.167 * (-0.5))) * (1.0 - 0.06 * ztor) * 1.0
                + (1.09 + (-1.186) * 1.18) * np.log(1100.0 / 865.0)
                + (-0.0064) * (z25_rock - 1.0)
                + 1.0 * (0.0977 + (0.0333 - 0.0977) * 0.5))
    a1100 = np.exp(ln_a1100)

    f_mag = -11.011 + 2.18 * mag + (-0.069) * 1.5 + (-1.707) * 0.5
    f_dis = (-2.158 + 0.169 * mag) * np.log(np.sqrt(rrup ** 2 + 5.65 ** 2))
    f_hng = (0.556 * (0.117 + 1.616 * rx / r1 + (-0.733) * (rx / r1) ** 2)
             * ((rrup - rjb) / rrup) * (0.5 * (1.0 + 0.596 * (-0.5)))
             * (1.0 - 0.06 * ztor) * ((90.0 - dip) / 45.0))
    ratio = vs30 / 400.0
    f_site = (1.447 * np.log(ratio)
              + (-1.955) * (np.log(a1100 + 1.88 * ratio ** 1.18) - np.log(a1100 + 1.88)))
    f_sed = 0.771 * 1.929 * np.exp(-0.75) * (1.0 - np.exp(-0.25 * (z25 - 3.0)))
    f_hyp = (hyp - 7.0) * (-0.0131 + (0.0426 - (-0.0131)) * 0.5)
    expected = f_mag + f_dis + f_hng + f_site + f_sed + f_hyp  # f_flt = f_dip = f_atn = 0

    ctx = _ctx(mag=mag, rake=90.0, dip=dip, ztor=ztor, width=width, hypo_depth=hyp,
               rrup=rrup, rjb=rjb, rx=rx, vs30=vs30, z2pt5=z25)
    ln_y, sigma, tau, phi = _run(ctx, SA(1.0))
    assert ln_y[0] == pytest.approx(expected, rel=1e-12)

    # eqs. 29-32 with M >= 5.5: tau2/phi2 of SA(1.0) and of PGA, rho 0.467, phi_lnAF 0.3
    alpha = -1.955 * a1100 * (1.0 / (a1100 + 1.88 * ratio ** 1.18) - 1.0 / (a1100 + 1.88))
    assert alpha < 0.0
    tau_exp = np.sqrt(0.353 ** 2 + alpha ** 2 * 0.322 ** 2 + 2 * alpha * 0.467 * 0.353 * 0.322)
    phi_b, phi_pga_b = np.sqrt(0.628 ** 2 - 0.09), np.sqrt(0.492 ** 2 - 0.09)
    phi_exp = np.sqrt(phi_b ** 2 + 0.09 + alpha ** 2 * phi_pga_b ** 2
                      + 2 * alpha * 0.467 * phi_b * phi_pga_b)
    assert tau[0] == pytest.approx(tau_exp, rel=1e-12)
    assert phi[0] == pytest.approx(phi_exp, rel=1e-12)
    assert sigma[0] == pytest.approx(np.hypot(tau_exp, phi_exp), rel=1e-12)


def test_hand_value_small_normal_event_far_field():
    # SA(0.2), M 4.8, normal, dip 60 (f_dip active), Ztor 5, Zhyp 12, Rrup 100 km (> 80:
    # anelastic term), Rx 50 (but M <= 5.5: f_hng = 0), vs30 760 > k1 748, Z2.5 0.5 km.
    mag = 4.8
    f_mag = -5.411 + 1.366 * mag + 0.447 * 0.3
    f_dis = (-2.421 + 0.182 * mag) * np.log(np.sqrt(100.0 ** 2 + 8.385 ** 2))
    f_flt = (-0.163) * 0.3
    f_site = (2.069 + (-2.188) * 1.18) * np.log(760.0 / 748.0)
    f_sed = 0.0968 * (0.5 - 1.0)
    f_hyp = 5.0 * 0.0571
    f_dip = 0.00688 * 60.0 * (5.5 - mag)
    f_atn = -0.006 * (100.0 - 80.0)
    ctx = _ctx(mag=mag, rake=-90.0, dip=60.0, ztor=5.0, width=5.0, hypo_depth=12.0,
               rrup=100.0, rjb=99.0, rx=50.0, vs30=760.0, z2pt5=0.5)
    ln_y, sigma, tau, phi = _run(ctx, SA(0.2))
    expected = f_mag + f_dis + f_flt + f_site + f_sed + f_hyp + f_dip + f_atn
    assert ln_y[0] == pytest.approx(expected, rel=1e-12)
    # eqs. 27, 28 between M 4.5 and 5.5; no nonlinearity (vs30 >= k1)
    tau_exp = 0.338 + (0.339 - 0.338) * 0.7
    phi_exp = 0.552 + (0.761 - 0.552) * 0.7
    np.testing.assert_allclose([tau[0], phi[0], sigma[0]],
                               [tau_exp, phi_exp, np.hypot(tau_exp, phi_exp)], rtol=1e-12)


def test_pgv_in_cm_per_s():
    # PGV, M 6.5, strike-slip, vertical, Rrup 20, Zhyp 8, vs30 760 (> k1 400), Z2.5 2.
    f = (-2.895 + 1.51 * 6.5 + 0.27 * 2.0 + (-1.299) * 1.0
         + (-2.466 + 0.204 * 6.5) * np.log(np.sqrt(400.0 + 5.837 ** 2))
         + (1.713 + (-1.955) * 1.18) * np.log(760.0 / 400.0) + 1.0 * 0.0327)
    ln_y = _run(_ctx(), PGV())[0]
    assert ln_y[0] == pytest.approx(f, rel=1e-12)
    assert 5.0 < np.exp(ln_y[0]) < 100.0


def test_coefficients_spot_check_against_paper():
    # Table 1 / Table 2 values (PGA, 1 s, 10 s) as printed in the paper.
    assert (COEFFS[PGA()]["c0"], COEFFS[PGA()]["k1"], COEFFS[PGA()]["rho"]) == (-4.416, 865, 1)
    assert (COEFFS[SA(1.0)]["c11"], COEFFS[SA(1.0)]["tau1"]) == (1.447, 0.47)
    assert (COEFFS[SA(10.0)]["c16"], COEFFS[SA(10.0)]["phi2"]) == (0.621, 0.543)
    assert COEFFS[SA(0.01)]["Dc20_CA"] == 0.0


# ---------------------------------------------------------------- documented rules
def test_short_periods_not_below_pga():
    # Eq. 1: Y = PGA where Y < PGA and T < 0.25 s; not applied from 0.25 s on.
    rng = np.random.default_rng(3)
    n = 2000
    ctx = _ctx(mag=rng.uniform(3.5, 8.0, n), rrup=rng.uniform(0, 150, n),
               rjb=0.0, rx=-1.0, vs30=rng.uniform(150, 1500, n))
    mean, *_ = CampbellBozorgnia2014().get_mean_and_stddevs(
        ctx, [PGA(), SA(0.02), SA(0.2), SA(0.3)])
    assert (mean[1] >= mean[0]).all() and (mean[2] >= mean[0]).all()
    assert (mean[1] == mean[0]).sum() > 10  # the floor is active for SA(0.02)


def test_unknown_z2pt5_takes_california_default():
    vs30 = np.array([200.0, 400.0, 760.0])
    known = _ctx(vs30=vs30, z2pt5=default_z2pt5(vs30))
    unknown = _ctx(vs30=vs30, z2pt5=np.nan)
    for imt in (PGA(), SA(1.0), SA(5.0)):
        np.testing.assert_array_equal(_run(known, imt)[0], _run(unknown, imt)[0])
    # eq. 33: ln Z2.5 = 7.089 - 1.144 ln vs30
    assert default_z2pt5(np.array([760.0]))[0] == pytest.approx(
        np.exp(7.089 - 1.144 * np.log(760.0)), rel=1e-15)


# ---------------------------------------------------------------- physical trends
def test_median_grows_with_magnitude_and_decays_with_distance():
    mags = np.arange(4.0, 8.01, 0.25)
    for imt in (PGA(), SA(0.2), SA(1.0), SA(3.0), PGV()):
        ln_m = _run(_ctx(mag=mags, rrup=30.0, rjb=30.0, rx=-30.0), imt)[0]
        assert (np.diff(ln_m) > 0).all(), imt
        dist = np.array([1.0, 5.0, 10.0, 30.0, 60.0, 100.0, 200.0, 300.0])
        ln_r = _run(_ctx(mag=7.0, rrup=dist, rjb=dist, rx=-dist), imt)[0]
        assert (np.diff(ln_r) < 0).all(), imt


def test_hanging_wall_amplifies_and_vanishes_for_vertical_faults():
    # Same Rrup/Rjb on the hanging wall (Rx > 0) and the footwall (Rx < 0).
    kw = {"mag": 7.0, "rake": 90.0, "ztor": 1.0, "width": 20.0, "rrup": 8.0, "rjb": 2.0}
    for imt in (PGA(), SA(1.0)):
        hw = _run(_ctx(dip=45.0, rx=10.0, **kw), imt)[0][0]
        fw = _run(_ctx(dip=45.0, rx=-10.0, **kw), imt)[0][0]
        assert hw > fw + 0.1
        vertical = _run(_ctx(dip=90.0, rx=np.array([10.0, -10.0]), **kw), imt)[0]
        assert vertical[0] == vertical[1]
    # f_hng,Z: no hanging-wall effect for Ztor > 16.66 km
    deep = {**kw, "ztor": 17.0}
    assert (_run(_ctx(dip=45.0, rx=10.0, **deep), PGA())[0][0]
            == _run(_ctx(dip=45.0, rx=-10.0, **deep), PGA())[0][0])


def test_basin_depth_trend():
    z25 = np.array([0.3, 0.6, 1.0, 2.0, 3.0, 4.0, 6.0, 10.0])
    ln_y = _run(_ctx(vs30=400.0, z2pt5=z25), SA(3.0))[0]
    assert (np.diff(ln_y[:3]) > 0).all()  # shallow sediments de-amplify long periods
    assert ln_y[2] == ln_y[3] == ln_y[4]  # flat between 1 and 3 km
    assert (np.diff(ln_y[4:]) > 0).all()  # deep basins amplify


def test_nonlinear_site_response_reduces_soft_site_amplification_and_sigma():
    # Strong shaking (near, M 7.5) vs weak shaking (far, M 5) on soft soil, PGA:
    # amplification relative to vs30 1100 is smaller when A1100 is large, and so is sigma.
    def amp(mag, r):
        ln_y, sig = _run(_ctx(mag=mag, rrup=r, rjb=r, rx=-r, vs30=np.array([200.0, 1100.0])),
                         PGA())[:2]
        return ln_y[0] - ln_y[1], sig[0]

    amp_strong, sig_strong = amp(7.5, 2.0)
    amp_weak, sig_weak = amp(5.0, 100.0)
    assert amp_strong < amp_weak
    rock_sigma = np.hypot(0.322, 0.492)
    assert sig_strong < rock_sigma


# ---------------------------------------------------------------- errors
def test_missing_context_parameter_names_model_and_parameter():
    ctx = _ctx()
    del ctx.__dict__["hypo_depth"]
    with pytest.raises(InputError, match=r"CampbellBozorgnia2014.*hypo_depth"):
        CampbellBozorgnia2014().get_mean_and_stddevs(ctx, [PGA()])


@pytest.mark.parametrize("imt", [SA(0.005), SA(12.0)])
def test_period_outside_range(imt):
    with pytest.raises(InputError, match=rf"CampbellBozorgnia2014.*{re.escape(str(imt))}"):
        CampbellBozorgnia2014().get_mean_and_stddevs(_ctx(), [imt])


# ---------------------------------------------------------------- vectorisation
def test_many_pairs_is_vectorised():
    n = 300_000
    rng = np.random.default_rng(2)
    rjb = rng.uniform(0, 300, n)
    ctx = Context(mag=rng.uniform(3, 8.5, n), rake=rng.uniform(-180, 180, n),
                  dip=rng.uniform(10, 90, n), ztor=rng.uniform(0, 20, n),
                  width=rng.uniform(1, 30, n), hypo_depth=rng.uniform(0, 25, n),
                  rrup=rjb + rng.uniform(0, 10, n), rjb=rjb, rx=rng.uniform(-300, 300, n),
                  vs30=rng.uniform(150, 1500, n),
                  z2pt5=np.where(rng.random(n) < 0.5, np.nan, rng.uniform(0, 8, n)))
    start = time.perf_counter()
    mean, sig, tau, phi = CampbellBozorgnia2014().get_mean_and_stddevs(ctx, [SA(0.1)])
    elapsed = time.perf_counter() - start
    assert elapsed < 3.0  # a per-pair Python loop would take tens of seconds
    assert np.isfinite(mean).all() and np.isfinite(sig).all()
    np.testing.assert_allclose(sig, np.hypot(tau, phi), rtol=1e-12)
