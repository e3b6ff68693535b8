"""Abrahamson, Silva & Kamai (2014): hand-computed values from the paper's equations, trends."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.abrahamson_2014 import AbrahamsonEtAl2014
from toolkit.engine.hazard.imt import PGA, SA
from toolkit.errors import InputError

BASE = dict(mag=7.0, rake=0.0, dip=90.0, ztor=0.0, width=12.0, rrup=20.0, rx=-20.0, ry0=0.0,
            vs30=760.0, vs30measured=False, z1pt0=np.nan)


def _run(imt, region="CAL", **overrides):
    params = {**BASE, **overrides}
    n = max(np.size(v) for v in params.values())
    ctx = Context(**{k: np.broadcast_to(np.asarray(v), (n,)).copy() for k, v in params.items()})
    mean, sig, tau, phi = AbrahamsonEtAl2014(region=region).get_mean_and_stddevs(ctx, [imt])
    return mean[0], sig[0], tau[0], phi[0]


# ---------------------------------------------------------------- hand-computed values
def test_strike_slip_rock_pga_by_hand():
    # PGA, M 7 > M1 6.75, vertical strike-slip, Rrup 20 km, vs30 760 >= Vlin 660 (linear).
    ln_r = np.log(np.sqrt(20.0 ** 2 + 4.5 ** 2))
    f1 = (0.587 - 0.41 * 0.25 - 0.015 * 1.5 ** 2 + (-0.79 + 0.275 * 0.25) * ln_r
          - 0.0072 * 20.0)
    f5 = (1.735 - 1.47 * 1.5) * np.log(760.0 / 660.0)
    mean, sig, tau, phi = _run(PGA())
    assert mean[0] == pytest.approx(f1 + f5, rel=1e-12)
    # vs30 estimated, M >= 6 and >= 7: phi = s2e, tau = s4 (no nonlinear correction)
    assert phi[0] == pytest.approx(0.52, rel=1e-12)
    assert tau[0] == pytest.approx(0.36, rel=1e-12)
    assert sig[0] == pytest.approx(np.hypot(0.52, 0.36), rel=1e-12)


def test_reverse_hanging_wall_sa1_by_hand():
    # SA(1.0), M 6.5 (M2 <= M <= M1), rake 90, dip 45, W 10, Ztor 2, Rx 5, Ry0 0, Rrup 6.
    ln_r = np.log(np.sqrt(6.0 ** 2 + 4.5 ** 2))
    f1 = (1.043 - 0.1 * (6.5 - 6.75) - 0.11 * 2.0 ** 2 + (-0.79 + 0.275 * (6.5 - 6.75)) * ln_r
          - 0.0025 * 6.0)
    f7 = 0.0  # a11 = 0 at 1 s
    x = 5.0 / (10.0 * np.cos(np.radians(45.0)))
    t1, t2, t3, t4, t5 = 1.0, 1.0, 0.25 + 1.5 * x - 0.75 * x ** 2, 1.0 - 4.0 / 100.0, 1.0
    f4 = 0.5 * t1 * t2 * t3 * t4 * t5
    f6 = 0.57 * 2.0 / 20.0
    v1 = np.exp(-0.35 * np.log(1.0 / 0.5) + np.log(1500.0))
    f5 = (4.3 - 3.5 * 1.5) * np.log(min(760.0, v1) / 330.0)
    mean = _run(SA(1.0), mag=6.5, rake=90.0, dip=45.0, width=10.0, ztor=2.0, rx=5.0,
                ry0=0.0, rrup=6.0)[0]
    assert mean[0] == pytest.approx(f1 + f7 + f4 + f6 + f5, rel=1e-12)


def test_soft_soil_nonlinear_pga_by_hand():
    # PGA, M 7 strike-slip, Rrup 5, vs30 200 (< Vlin 660), measured; Z1 unknown (f10 = 0).
    ln_r = np.log(np.sqrt(5.0 ** 2 + 4.5 ** 2))
    f1 = (0.587 - 0.41 * 0.25 - 0.015 * 1.5 ** 2 + (-0.79 + 0.275 * 0.25) * ln_r
          - 0.0072 * 5.0)
    a10, b, c, n, vlin = 1.735, -1.47, 2.4, 1.5, 660.0
    sa1180 = np.exp(f1 + (a10 + b * n) * np.log(1180.0 / vlin))
    ratio = 200.0 / vlin
    f5 = a10 * np.log(ratio) - b * np.log(sa1180 + c) + b * np.log(sa1180 + c * ratio ** n)
    delta = -b * sa1180 / (sa1180 + c) + b * sa1180 / (sa1180 + c * ratio ** n)
    phi_b2 = 0.501 ** 2 - 0.4 ** 2  # s2m (measured vs30, M > 6)
    phi = np.sqrt(phi_b2 * (1 + delta) ** 2 + 0.4 ** 2)
    tau = 0.36 * (1 + delta)
    mean, sig, tau_m, phi_m = _run(PGA(), rrup=5.0, vs30=200.0, vs30measured=True)
    assert mean[0] == pytest.approx(f1 + f5, rel=1e-12)
    assert delta < -0.3  # the correction is substantial here
    assert phi_m[0] == pytest.approx(phi, rel=1e-12)
    assert tau_m[0] == pytest.approx(tau, rel=1e-12)
    assert sig[0] == pytest.approx(np.hypot(phi, tau), rel=1e-12)


def test_soil_depth_term_by_hand():
    # SA(1.0), vs30 760 (> 700: slope a46 = 0.14), Z1 = 300 m vs Z1ref(760).
    z1ref = np.exp(-7.67 / 4 * np.log((760.0 ** 4 + 610.0 ** 4) / (1360.0 ** 4 + 610.0 ** 4)))
    f10 = 0.14 * np.log((0.3 + 0.01) / (z1ref / 1000.0 + 0.01))
    with_z1 = _run(SA(1.0), z1pt0=300.0)[0]
    without = _run(SA(1.0), z1pt0=np.nan)[0]
    assert with_z1[0] - without[0] == pytest.approx(f10, rel=1e-12)
    assert _run(SA(1.0), z1pt0=z1ref)[0][0] == pytest.approx(without[0], rel=1e-12)


# ---------------------------------------------------------------- physical trends
@pytest.mark.parametrize("imt", [PGA(), SA(0.2), SA(1.0), SA(3.0)])
def test_median_increases_with_magnitude(imt):
    mags = np.arange(4.0, 8.51, 0.25)
    mean = _run(imt, mag=mags, rrup=np.full(mags.size, 30.0))[0]
    assert np.all(np.diff(mean) > 0)


@pytest.mark.parametrize("imt", [PGA(), SA(0.2), SA(1.0), SA(3.0)])
def test_median_decreases_with_distance(imt):
    rrup = np.geomspace(10.0, 300.0, 20)
    mean = _run(imt, rrup=rrup)[0]
    assert np.all(np.diff(mean) < 0)


def test_hanging_wall_raises_motion_and_vanishes_for_vertical_faults():
    common = dict(mag=7.0, rake=90.0, width=15.0, ztor=1.0, rrup=8.0, ry0=0.0)
    dipping_hw = _run(SA(0.2), dip=45.0, rx=8.0, **common)[0][0]
    dipping_fw = _run(SA(0.2), dip=45.0, rx=-8.0, **common)[0][0]
    assert dipping_hw > dipping_fw + 0.1
    vertical_hw = _run(SA(0.2), dip=90.0, rx=8.0, **common)[0][0]
    vertical_fw = _run(SA(0.2), dip=90.0, rx=-8.0, **common)[0][0]
    assert vertical_hw == vertical_fw
    # far off the rupture ends (Ry0 >> Rx tan 20) the term vanishes
    assert _run(SA(0.2), dip=45.0, rx=8.0, **{**common, "ry0": 20.0})[0][0] == dipping_fw


def test_soft_soil_amplifies_weak_and_deamplifies_strong_short_period_motion():
    weak = dict(mag=5.0, rrup=100.0)
    strong = dict(mag=7.5, rrup=1.0, rx=1.0, dip=30.0, rake=90.0)  # hanging wall, ~1 g
    soft_weak, rock_weak = (_run(PGA(), vs30=v, **weak)[0][0] for v in (200.0, 760.0))
    soft_strong, rock_strong = (_run(PGA(), vs30=v, **strong)[0][0] for v in (200.0, 760.0))
    assert soft_weak > rock_weak
    assert soft_strong < rock_strong
    # the nonlinear correction lowers sigma for strong shaking on soft soil
    assert _run(PGA(), vs30=200.0, **strong)[1][0] < _run(PGA(), vs30=200.0, **weak)[1][0]


def test_long_period_phi_equals_phi_a():
    # b = 0 for T >= 3 s: phi = phi_A even where phi_A < phi_amp = 0.4 (10 s, s1m 0.359).
    phi = _run(SA(10.0), mag=3.5, vs30measured=True)[3]
    assert phi[0] == pytest.approx(0.359, rel=1e-12)


# ---------------------------------------------------------------- regions, errors
def test_china_region_adds_anelastic_term():
    rrup = np.array([10.0, 100.0])
    diff = _run(SA(1.0), region="CHN", rrup=rrup)[0] - _run(SA(1.0), rrup=rrup)[0]
    np.testing.assert_allclose(diff, 0.0007 * rrup, rtol=1e-10)
    assert repr(AbrahamsonEtAl2014(region="CHN")) == "AbrahamsonEtAl2014(region='CHN')"


def test_unknown_region():
    with pytest.raises(InputError, match=r"AbrahamsonEtAl2014.*region 'JPN'"):
        AbrahamsonEtAl2014(region="JPN")


def test_missing_context_parameter():
    ctx = Context(mag=[6.0], rake=[0.0], rrup=[10.0], vs30=[400.0])
    with pytest.raises(InputError, match=r"AbrahamsonEtAl2014.*dip"):
        AbrahamsonEtAl2014().get_mean_and_stddevs(ctx, [PGA()])
