"""Chiou & Youngs (2014): verification tables, hand-computed values and physical trends."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.base import get_gsim
from toolkit.engine.hazard.gsim.chiou_youngs_2014 import (
    COEFFS,
    ChiouYoungs2014,
    get_mean_z1pt0,
    get_mean_ztor,
)
from toolkit.engine.hazard.imt import PGA, PGV, SA
from toolkit.errors import InputError


def _ctx(**params) -> Context:
    """A context with defaults for the parameters a scenario does not set."""
    defaults = dict(mag=6.5, rake=0.0, dip=90.0, ztor=1.0, rrup=20.0, rjb=20.0, rx=20.0,
                    vs30=760.0, vs30measured=True, z1pt0=np.nan)
    defaults.update(params)
    arrays = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in defaults.items()}
    n = max(len(a) for a in arrays.values())
    return Context(**{k: np.broadcast_to(a, (n,)).copy() for k, a in arrays.items()})


def _run(imt, **params):
    mean, sig, tau, phi = ChiouYoungs2014().get_mean_and_stddevs(_ctx(**params), [imt])
    return mean[0], sig[0], tau[0], phi[0]


# ---------------------------------------------------------------- verification tables
# Tables produced with the authors' tool (median) and OpenSHA (total sigma); see
# shared/verification/gmpe/README.md. They may be withheld: each test skips only when its
# own file is absent.
@pytest.mark.shared
@pytest.mark.parametrize(
    ("name", "tolerance"),
    [("CY14_MEDIAN_MS_HW_SS.csv", 0.5), ("CY14_TOTAL_EVENT_SIGMA.csv", 0.2)],
)
def test_verification_table(shared_dir, oq_table, table_discrepancies, name, tolerance):
    path = shared_dir / "verification" / "gmpe" / "oq_tables" / name
    if not path.is_file():
        pytest.skip(f"verification table {name} not present in {path.parent} (withheld)")
    table = oq_table(name)
    assert len(table.ctx) > 0
    worst = table_discrepancies(ChiouYoungs2014(), table)
    assert worst, f"{name}: no IMT columns"
    assert max(worst.values()) <= tolerance, f"{name}: max discrepancy % per column {worst}"


# ---------------------------------------------------------------- hand-computed values
# Eqs. 1, 4, 5, 11, 12 and 13 of the paper written out with numpy, with the coefficients
# typed from the paper's tables (not read from the module's CSV).
C_PGA = dict(c1=-1.5065, c1a=0.165, c1b=-0.255, c1c=-0.165, c1d=0.255, c2=1.06, c3=1.9636,
             cn=16.0875, cM=4.9993, c4=-2.1, c4a=-0.5, cRB=50.0, c5=6.4551, cHM=3.0956,
             c6=0.4908, c7=0.0352, c7b=0.0462, c9=0.9228, c9a=0.1202, c9b=6.8607, c11=0.0,
             c11b=-0.4536, cg1=-0.007146, cg2=-0.006758, cg3=4.2542, phi1=-0.521,
             phi2=-0.1417, phi3=-0.00701, phi4=0.102151, phi5=0.0, phi6=300.0, tau1=0.4,
             tau2=0.26, sigma1=0.4912, sigma2=0.3762, sigma3=0.8)
C_SA1 = dict(c1=-2.5365, c1a=0.165, c1b=-0.14, c1c=-0.165, c1d=0.14, c2=1.06, c3=2.7474,
             cn=3.3024, cM=5.5106, c4=-2.1, c4a=-0.5, cRB=50.0, c5=7.5814, cHM=3.8144,
             c6=0.4522, c7=0.0352, c7b=-0.0559, c9=0.6196, c9a=0.1, c9b=6.5, c11=0.0,
             c11b=-0.1062, cg1=-0.004277, cg2=-0.001197, cg3=4.1667, phi1=-1.0941,
             phi2=-0.0699, phi3=-0.008444, phi4=0.058595, phi5=0.067, phi6=300.0,
             tau1=0.4484, tau2=0.3291, sigma1=0.5105, sigma2=0.4594, sigma3=0.7504)
C_SA02 = dict(c1=-0.6798, c1a=0.165, c1b=-0.2449, c1c=-0.165, c1d=0.2449, c2=1.06,
              c3=2.1521, cn=13.7012, cM=5.0939, c4=-2.1, c4a=-0.5, cRB=50.0, c5=7.4972,
              cHM=3.5146, c6=0.5016, c7=0.0352, c7b=0.0202, c9=0.9459, c9a=0.1208,
              c9b=7.2988, c11=0.0, c11b=-0.444, cg1=-0.009505, cg2=-0.00269, cg3=5.188,
              phi1=-0.6693, phi2=-0.2927, phi3=-0.006141, phi4=0.255253, phi5=0.0,
              phi6=300.0, tau1=0.4313, tau2=0.3047, sigma1=0.5351, sigma2=0.4252,
              sigma3=0.8)


def _by_hand(C, M, frv, fnm, dip, ztor, rrup, rjb, rx, vs30, measured, z1):
    """ln y, sigma_T, (1 + NL0) tau and sigma_NL0 for one scenario (scalars)."""
    d = np.radians(dip)
    ez = (max(2.704 - 1.226 * max(M - 5.849, 0), 0) ** 2 if frv
          else max(2.673 - 1.136 * max(M - 4.970, 0), 0) ** 2)            # eqs. 4, 5
    ch = np.cosh(2 * max(M - 4.5, 0))
    ln_yref = (C["c1"] + (C["c1a"] + C["c1c"] / ch) * frv + (C["c1b"] + C["c1d"] / ch) * fnm
               + (C["c7"] + C["c7b"] / ch) * (ztor - ez)
               + (C["c11"] + C["c11b"] / ch) * np.cos(d) ** 2
               + C["c2"] * (M - 6) + (C["c2"] - C["c3"]) / C["cn"]
               * np.log(1 + np.exp(C["cn"] * (C["cM"] - M)))
               + C["c4"] * np.log(rrup + C["c5"] * np.cosh(C["c6"] * max(M - C["cHM"], 0)))
               + (C["c4a"] - C["c4"]) * np.log(np.sqrt(rrup ** 2 + C["cRB"] ** 2))
               + (C["cg1"] + C["cg2"] / np.cosh(max(M - C["cg3"], 0))) * rrup
               + C["c9"] * (rx >= 0) * np.cos(d)
               * (C["c9a"] + (1 - C["c9a"]) * np.tanh(rx / C["c9b"]))
               * (1 - np.sqrt(rjb ** 2 + ztor ** 2) / (rrup + 1)))           # eq. 11
    yref = np.exp(ln_yref)
    mu_z1 = np.exp(-7.15 / 4 * np.log((vs30 ** 4 + 570.94 ** 4) / (1360 ** 4 + 570.94 ** 4)))
    dz1 = 0.0 if np.isnan(z1) else z1 - mu_z1                                # eq. 1
    b = C["phi2"] * (np.exp(C["phi3"] * (min(vs30, 1130) - 360))
                     - np.exp(C["phi3"] * (1130 - 360)))
    ln_y = (ln_yref + C["phi1"] * min(np.log(vs30 / 1130), 0)
            + b * np.log((yref + C["phi4"]) / C["phi4"])
            + C["phi5"] * (1 - np.exp(-dz1 / C["phi6"])))                    # eq. 12
    mm = min(max(M, 5), 6.5) - 5
    tau = C["tau1"] + (C["tau2"] - C["tau1"]) / 1.5 * mm
    nl0 = b * yref / (yref + C["phi4"])
    sig_nl0 = ((C["sigma1"] + (C["sigma2"] - C["sigma1"]) / 1.5 * mm)
               * np.sqrt((0.7 if measured else C["sigma3"]) + (1 + nl0) ** 2))
    return (ln_y, np.sqrt((1 + nl0) ** 2 * tau ** 2 + sig_nl0 ** 2), (1 + nl0) * tau,
            sig_nl0)                                                         # eq. 13


@pytest.mark.parametrize(
    ("label", "imt", "C", "scenario"),
    [
        # strike-slip, vertical, footwall-free: PGA, M 6.5, 10 km, vs30 760 measured
        ("strike-slip", PGA(), C_PGA,
         dict(mag=6.5, rake=0.0, dip=90.0, ztor=1.0, rrup=10.0, rjb=10.0, rx=10.0,
              vs30=760.0, vs30measured=True, z1pt0=np.nan)),
        # reverse, dip 45, site on the hanging wall, inferred vs30 400, basin 300 m
        ("reverse-hanging-wall", SA(1.0), C_SA1,
         dict(mag=7.0, rake=90.0, dip=45.0, ztor=2.0, rrup=8.0, rjb=5.0, rx=15.0,
              vs30=400.0, vs30measured=False, z1pt0=300.0)),
        # normal, footwall, soft soil vs30 180 (strongly nonlinear), near the source
        ("soft-soil", SA(0.2), C_SA02,
         dict(mag=6.0, rake=-90.0, dip=60.0, ztor=5.0, rrup=6.0, rjb=2.0, rx=-2.0,
              vs30=180.0, vs30measured=True, z1pt0=np.nan)),
    ],
)
def test_hand_computed_scenarios(label, imt, C, scenario):
    rake = scenario["rake"]
    expected = _by_hand(
        C, scenario["mag"], 30 <= rake <= 150, -120 <= rake <= -60, scenario["dip"],
        scenario["ztor"], scenario["rrup"], scenario["rjb"], scenario["rx"], scenario["vs30"],
        scenario["vs30measured"], scenario["z1pt0"])
    computed = _run(imt, **scenario)
    for name, value, want in zip(("ln y", "sigma", "tau", "phi"), computed, expected,
                                 strict=True):
        assert value[0] == pytest.approx(want, rel=1e-10), f"{label}: {name}"


def test_hand_scenarios_exercise_the_terms():
    # guard against a degenerate hand test: the HW, basin and nonlinear terms are non-zero
    ln_y, *_ = _by_hand(C_SA1, 7.0, True, False, 45.0, 2.0, 8.0, 5.0, 15.0, 400.0, False,
                        300.0)
    ln_y_fw, *_ = _by_hand(C_SA1, 7.0, True, False, 45.0, 2.0, 8.0, 5.0, -15.0, 400.0, False,
                           300.0)
    ln_y_z1, *_ = _by_hand(C_SA1, 7.0, True, False, 45.0, 2.0, 8.0, 5.0, 15.0, 400.0, False,
                           np.nan)
    assert ln_y - ln_y_fw > 0.05 and abs(ln_y - ln_y_z1) > 0.005
    soft = _by_hand(C_SA02, 6.0, False, True, 60.0, 5.0, 6.0, 2.0, -2.0, 180.0, True, np.nan)
    # (1 + NL0) well below 1: tau shrinks from tau(M 6) = 0.3469
    assert soft[2] < 0.8 * (0.4313 + (0.3047 - 0.4313) / 1.5)


# ---------------------------------------------------------------- auxiliary relations
def test_mean_ztor_eqs_4_and_5():
    mag = np.array([4.5, 5.5, 6.5, 7.5])
    np.testing.assert_allclose(get_mean_ztor(mag, np.ones(4, bool)),
                               [2.704 ** 2, 2.704 ** 2, (2.704 - 1.226 * 0.651) ** 2,
                                max(2.704 - 1.226 * 1.651, 0) ** 2])
    np.testing.assert_allclose(get_mean_ztor(mag, np.zeros(4, bool)),
                               [2.673 ** 2, (2.673 - 1.136 * 0.53) ** 2,
                                max(2.673 - 1.136 * 1.53, 0) ** 2, 0.0])


def test_mean_z1pt0_eq_1():
    # equals 1 at vs30 = 1360 m/s by construction; about 41 m at 760 m/s, ~514 m at 180
    np.testing.assert_allclose(get_mean_z1pt0(np.array([1360.0])), [1.0])
    assert 40.0 < get_mean_z1pt0(np.array([760.0]))[0] < 42.0
    assert 500.0 < get_mean_z1pt0(np.array([180.0]))[0] < 530.0


def test_unknown_z1pt0_is_the_default_depth():
    vs30 = np.array([180.0, 400.0, 760.0])
    unknown = _run(SA(3.0), vs30=vs30, z1pt0=np.nan)[0]
    default = _run(SA(3.0), vs30=vs30, z1pt0=get_mean_z1pt0(vs30))[0]
    np.testing.assert_allclose(unknown, default, rtol=0, atol=1e-12)


def test_unknown_ztor_is_the_expected_depth():
    mag = np.array([5.0, 6.5, 7.5])
    unknown = _run(PGA(), mag=mag, rake=90.0, dip=45.0, ztor=np.nan, rx=-5.0)[0]
    expected = _run(PGA(), mag=mag, rake=90.0, dip=45.0,
                    ztor=get_mean_ztor(mag, np.ones(3, bool)), rx=-5.0)[0]
    np.testing.assert_allclose(unknown, expected, rtol=0, atol=1e-12)


def test_short_period_psa_not_below_pga():
    # M 4, 300 km, rock: the raw SA(0.02) falls below PGA and is floored (authors' rule)
    params = dict(mag=4.0, rrup=300.0, rjb=300.0, rx=300.0, vs30=1500.0)
    pga = _run(PGA(), **params)[0]
    for period in (0.02, 0.05, 0.3):
        assert _run(SA(period), **params)[0][0] >= pga[0]
    assert _run(SA(0.02), **params)[0][0] == pytest.approx(pga[0], abs=1e-12)
    # sigma is that of the SA itself, not of PGA
    assert _run(SA(0.02), **params)[1][0] != pytest.approx(_run(PGA(), **params)[1][0])


# ---------------------------------------------------------------- physical trends
@pytest.mark.parametrize("imt", [PGA(), PGV(), SA(0.2), SA(1.0), SA(3.0)])
def test_median_increases_with_magnitude(imt):
    mag = np.arange(4.0, 8.51, 0.25)
    ln_y = _run(imt, mag=mag, rrup=20.0, rjb=20.0, rx=20.0, vs30=400.0)[0]
    assert np.all(np.diff(ln_y) > 0)


@pytest.mark.parametrize("imt", [PGA(), PGV(), SA(0.2), SA(1.0), SA(3.0)])
@pytest.mark.parametrize("mag", [5.0, 7.0])
def test_median_decreases_with_distance(imt, mag):
    r = np.array([10.0, 15.0, 20.0, 30.0, 50.0, 70.0, 100.0, 150.0, 200.0, 300.0])
    ln_y = _run(imt, mag=mag, rrup=r, rjb=r, rx=-r, vs30=300.0)[0]
    assert np.all(np.diff(ln_y) < 0)


@pytest.mark.parametrize("imt", [PGA(), SA(0.2), SA(1.0)])
def test_hanging_wall_raises_motion(imt):
    # reverse, dip 45: same RRUP/RJB on either side; the hanging wall (rx > 0) is higher,
    # and a vertical fault has no hanging-wall effect (cos 90 = 0)
    params = dict(mag=7.0, rake=90.0, ztor=1.0, rrup=8.0, rjb=3.0)
    hw = _run(imt, dip=45.0, rx=10.0, **params)[0][0]
    fw = _run(imt, dip=45.0, rx=-10.0, **params)[0][0]
    assert hw > fw + 0.05
    vertical = _run(imt, dip=90.0, rx=np.array([10.0, -10.0]), **params)[0]
    assert vertical[0] == pytest.approx(vertical[1], abs=1e-12)


@pytest.mark.parametrize("period", [1.0, 3.0, 10.0])
def test_deep_basin_raises_long_period_motion(period):
    vs30 = np.array([250.0, 400.0])
    default = get_mean_z1pt0(vs30)
    ln_y = [_run(SA(period), vs30=vs30, z1pt0=z1)[0] for z1 in (default - 100.0, default,
                                                                  default + 500.0)]
    assert np.all(ln_y[0] < ln_y[1]) and np.all(ln_y[1] < ln_y[2])
    # no basin effect at short period (phi5 = 0 for T <= 0.3 s)
    short = [_run(SA(0.2), vs30=vs30, z1pt0=z1)[0] for z1 in (default, default + 500.0)]
    np.testing.assert_allclose(short[0], short[1], atol=1e-12)


def test_soft_soil_nonlinearity_reduces_amplification_and_sigma():
    # PGA on vs30 180 relative to 1130 m/s: the amplification shrinks as the rock motion
    # grows (nonlinear term of eq. 12), and (1 + NL0) < 1 lowers tau and phi (eq. 13)
    weak = dict(mag=5.0, rrup=100.0, rjb=100.0, rx=100.0)
    strong = dict(mag=7.5, rrup=2.0, rjb=0.0, rx=0.0)
    amp = []
    for params in (weak, strong):
        soft, rock = _run(PGA(), vs30=np.array([180.0, 1130.0]), **params)[0]
        amp.append(soft - rock)
    assert amp[0] > amp[1] + 0.5
    _, tau, phi = _run(PGA(), vs30=np.array([180.0, 1130.0]), **strong)[1:]
    assert tau[0] < tau[1] == pytest.approx(0.26) and phi[0] < phi[1]


def test_measured_vs30_lowers_within_event_sigma():
    sig, tau, phi = _run(SA(1.0), vs30measured=np.array([1.0, 0.0]))[1:]
    assert phi[0] < phi[1] and tau[0] == tau[1] and sig[0] < sig[1]
    np.testing.assert_allclose(sig, np.hypot(tau, phi), rtol=1e-12)


# ---------------------------------------------------------------- coefficients
def test_coefficient_table_has_all_paper_periods():
    assert list(COEFFS.periods) == [0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.12, 0.15, 0.17,
                                    0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0,
                                    5.0, 7.5, 10.0]
    assert COEFFS[SA(0.12)]["c1"] == -0.5342 and COEFFS[SA(0.17)]["cn"] == 15.3709
    assert COEFFS[PGV()]["c1"] == 2.3549 and COEFFS[PGV()]["phi4"] == 5.41


def test_periods_between_rows_interpolate_coefficients_in_log_period():
    w = np.log(1.3 / 1.0) / np.log(1.5 / 1.0)
    assert COEFFS[SA(1.3)]["c1"] == pytest.approx(-2.5365 + w * (-3.0686 + 2.5365), rel=1e-12)


# ---------------------------------------------------------------- interface and errors
def test_registered_and_declared():
    assert isinstance(get_gsim("ChiouYoungs2014"), ChiouYoungs2014)
    assert ChiouYoungs2014.DEFINED_FOR_STANDARD_DEVIATION_TYPES == {
        "Total", "Inter event", "Intra event"}


def test_missing_context_parameter_names_model_and_parameter():
    ctx = Context(mag=[6.0], rake=[0.0], dip=[90.0], ztor=[0.0], rrup=[10.0], rjb=[10.0],
                  rx=[10.0], vs30=[400.0], vs30measured=[True])
    with pytest.raises(InputError, match=r"ChiouYoungs2014.*z1pt0"):
        ChiouYoungs2014().get_mean_and_stddevs(ctx, [PGA()])


@pytest.mark.parametrize("imt", [SA(0.005), SA(12.0)])
def test_period_outside_range(imt):
    with pytest.raises(InputError, match=rf"ChiouYoungs2014.*{re.escape(str(imt))}"):
        ChiouYoungs2014().get_mean_and_stddevs(_ctx(), [imt])


def test_million_pairs_is_vectorised():
    n = 1_000_000
    rng = np.random.default_rng(3)
    rrup = rng.uniform(0, 300, n)
    ctx = Context(mag=rng.uniform(4, 8.5, n), rake=rng.uniform(-180, 180, n),
                  dip=rng.uniform(20, 90, n), ztor=rng.uniform(0, 15, n), rrup=rrup,
                  rjb=rrup * 0.9, rx=rng.uniform(-300, 300, n), vs30=rng.uniform(150, 1500, n),
                  vs30measured=rng.uniform(size=n) > 0.5, z1pt0=rng.uniform(0, 800, n))
    start = time.perf_counter()
    mean, sig, tau, phi = ChiouYoungs2014().get_mean_and_stddevs(ctx, [SA(0.2)])
    elapsed = time.perf_counter() - start
    # ~0.5 s measured (two IMT evaluations: SA(0.2) and the PGA floor)
    assert elapsed < 4.0
    assert np.isfinite(mean).all() and np.isfinite(sig).all()
    np.testing.assert_allclose(sig, np.hypot(tau, phi), rtol=1e-12)
