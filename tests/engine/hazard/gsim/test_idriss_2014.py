"""Idriss (2014): hand-computed values from the paper's equations 4-5 and Table 1, trends.

The coefficients below are typed from Table 1 of Idriss (2014), Earthquake Spectra 30(3),
independently of ``coefficients/I14.csv``. The model was also cross-checked against
OpenQuake hazardlib 3.26 (``benchmarks/gsim_crosscheck.py``; see benchmarks/README.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.base import get_gsim
from toolkit.engine.hazard.gsim.idriss_2014 import Idriss2014
from toolkit.engine.hazard.imt import PGA, PGV, SA
from toolkit.errors import InputError


def _run(imt, **params):
    base = dict(mag=6.0, rake=0.0, rrup=20.0, vs30=760.0)
    base.update(params)
    n = max(np.size(v) for v in base.values())
    ctx = Context(**{k: np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy()
                     for k, v in base.items()})
    return Idriss2014().get_mean_and_stddevs(ctx, [imt])


def _by_hand(c, mag, rrup, vs30, f_rev):
    a1, a2, b1, b2, a3, xi, gamma, phi = c
    return (a1 + a2 * mag + a3 * (8.5 - mag) ** 2 - (b1 + b2 * mag) * np.log(rrup + 10.0)
            + xi * np.log(min(vs30, 1200.0)) + gamma * rrup + phi * f_rev)


def test_pga_small_magnitude_by_hand():
    # PGA = SA(0.01 s) row, M 6 <= 6.75: a1 7.0887, a2 0.2058, b1 2.9935, b2 -0.2287.
    c = (7.0887, 0.2058, 2.9935, -0.2287, 0.0589, -0.854, -0.0027, 0.08)
    mean, sig, tau, phi = _run(PGA(), mag=6.0, rrup=20.0, vs30=760.0, rake=0.0)
    assert mean[0, 0] == pytest.approx(_by_hand(c, 6.0, 20.0, 760.0, 0), rel=1e-12)
    # sigma: T < 0.05 s uses 0.05 s
    assert sig[0, 0] == pytest.approx(1.18 + 0.035 * np.log(0.05) - 0.06 * 6.0, rel=1e-12)
    assert np.isnan(tau).all() and np.isnan(phi).all()


def test_sa1_large_magnitude_reverse_by_hand():
    # SA(1.0), M 7.5 > 6.75: a1 9.8565, a2 -0.2565, b1 2.1493, b2 -0.1532; phi 0.06.
    c = (9.8565, -0.2565, 2.1493, -0.1532, -0.0198, -1.009, -0.0032, 0.06)
    mean, sig, _, _ = _run(SA(1.0), mag=7.5, rrup=35.0, vs30=450.0, rake=90.0)
    assert mean[0, 0] == pytest.approx(_by_hand(c, 7.5, 35.0, 450.0, 1), rel=1e-12)
    assert sig[0, 0] == pytest.approx(1.18 + 0.035 * np.log(1.0) - 0.06 * 7.5, rel=1e-12)


def test_long_period_vs30_cap_and_sigma_clips_by_hand():
    # SA(5.0), M 8 > 6.75, vs30 1500 -> 1200; sigma with T -> 3 s and M -> 7.5.
    c = (0.0977, 0.4609, 1.703, -0.1291, -0.0202, -0.629, -0.0059, 0.0)
    mean, sig, _, _ = _run(SA(5.0), mag=8.0, rrup=100.0, vs30=1500.0, rake=90.0)
    assert mean[0, 0] == pytest.approx(_by_hand(c, 8.0, 100.0, 1500.0, 1), rel=1e-12)
    assert sig[0, 0] == pytest.approx(1.18 + 0.035 * np.log(3.0) - 0.06 * 7.5, rel=1e-12)
    # small magnitude: M clipped to 5
    _, sig, _, _ = _run(SA(5.0), mag=4.5)
    assert sig[0, 0] == pytest.approx(1.18 + 0.035 * np.log(3.0) - 0.06 * 5.0, rel=1e-12)


def test_interpolated_period_lies_between_neighbours():
    m02 = _run(SA(0.2))[0][0, 0]
    m025 = _run(SA(0.25))[0][0, 0]
    m022 = _run(SA(0.22))[0][0, 0]
    assert min(m02, m025) < m022 < max(m02, m025)


def test_trends():
    rrup = np.array([1.0, 10.0, 50.0, 150.0])
    mean = _run(SA(0.2), rrup=rrup)[0][0]
    assert np.all(np.diff(mean) < 0)  # decays with distance
    mags = np.array([5.0, 6.0, 6.75, 6.76, 7.5])
    mean = _run(SA(1.0), mag=mags)[0][0]
    assert np.all(np.diff(mean) > 0)  # grows with magnitude, across the 6.75 switch
    vs = np.array([450.0, 760.0, 1200.0, 2000.0])
    mean = _run(PGA(), vs30=vs)[0][0]
    assert mean[0] > mean[1] > mean[2] == mean[3]  # softer sites amplify; cap at 1200


def test_reverse_only_for_rake_strictly_between_30_and_150():
    rakes = np.array([0.0, 30.0, 30.5, 90.0, 149.5, 150.0, -90.0])
    mean = _run(PGA(), rake=rakes)[0][0]
    np.testing.assert_allclose(mean[[2, 3, 4]] - mean[0], 0.08, rtol=1e-12)
    np.testing.assert_allclose(mean[[1, 5, 6]], mean[0], rtol=1e-12)


def test_registered_and_bad_imts():
    assert isinstance(get_gsim("Idriss2014"), Idriss2014)
    with pytest.raises(InputError, match="Idriss2014.*PGV"):
        _run(PGV())
    with pytest.raises(InputError, match="Idriss2014.*SA\\(20.0\\)"):
        _run(SA(20.0))
