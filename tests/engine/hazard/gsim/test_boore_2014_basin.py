"""BSSA14 basin-depth term (Boore et al. 2014, eqs. 9-12) and unknown depths (NaN / -999)."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.boore_2014 import BooreEtAl2014, get_mean_z1pt0
from toolkit.engine.hazard.imt import PGA, SA

VS30 = 301.29
#: site z1pt0 (m): unknown, near the mean, deep (capped at f7), shallow
Z1 = np.array([np.nan, 457.77, 2000.0, 20.0])


def _mean(imt, z1=Z1, **kwargs):
    n = len(z1)
    ctx = Context(mag=np.full(n, 6.5), rake=np.zeros(n), rjb=np.full(n, 10.0),
                  vs30=np.full(n, VS30), z1pt0=z1)
    return BooreEtAl2014(**kwargs).get_mean_and_stddevs(ctx, [imt])[0][0]


def test_mean_z1_relations():
    # eqs. 11-12: mu_z1 = 1 m at vs30 = 1360 m/s in both regions; California at 570.94 m/s:
    # ln(mu / 1 m) = -7.15/4 ln(2 * 570.94^4 / (1360^4 + 570.94^4))
    assert get_mean_z1pt0(1360.0) == pytest.approx(1.0, rel=1e-12)
    assert get_mean_z1pt0(1360.0, "JPN") == pytest.approx(1.0, rel=1e-12)
    ratio = 2 * 570.94 ** 4 / (1360.0 ** 4 + 570.94 ** 4)
    assert get_mean_z1pt0(570.94) == pytest.approx(ratio ** (-7.15 / 4), rel=1e-12)
    vs30 = np.array([200.0, 400.0, 800.0])
    assert np.all(np.diff(get_mean_z1pt0(vs30)) < 0)  # deeper for softer sites


@pytest.mark.parametrize("period, f6, f7", [(1.0, 0.36695, 0.20789), (3.0, 1.1348, 0.51585)])
def test_basin_term_by_hand(period, f6, f7):
    # f6, f7: Boore et al. (2014) Table (1.0 and 3.0 s rows)
    delta = _mean(SA(period), region="CAL") - _mean(SA(period), region="CAL")[0]
    dz1 = (Z1[1:] - get_mean_z1pt0(VS30)) / 1000.0
    np.testing.assert_allclose(delta[1:], np.where(dz1 <= f7 / f6, f6 * dz1, f7), rtol=1e-12)
    assert dz1[1] > f7 / f6  # the deep site is capped at f7


def test_basin_term_matches_openquake():
    # OpenQuake 3.26.2 BooreEtAl2014(region="CAL"), run as a black box: ln-mean minus that
    # of z1pt0 = -999, for the sites of Z1 (rjb 10 km, M 6.5, strike-slip)
    expected = {1.0: [-1.15306019e-04, 0.20789, -1.60755008e-01],
                3.0: [-3.56586103e-04, 0.51585, -4.97137982e-01]}
    for period, values in expected.items():
        mean = _mean(SA(period), region="CAL")
        np.testing.assert_allclose(mean[1:] - mean[0], values, rtol=1e-6)


def test_no_basin_term_without_region_short_periods_or_unknown_depth():
    assert np.ptp(_mean(SA(1.0))) == 0.0  # no region: OpenQuake's "nobasin"
    assert np.ptp(_mean(SA(1.0), region="nobasin")) == 0.0
    assert np.ptp(_mean(PGA(), region="CAL")) == 0.0
    assert np.ptp(_mean(SA(0.5), region="CAL")) == 0.0  # T < 0.65 s
    unknown = _mean(SA(1.0), z1=np.full(2, np.nan), region="CAL")
    np.testing.assert_array_equal(unknown, _mean(SA(1.0), z1=np.full(2, np.nan)))


def test_japan_relation_for_japan():
    dz1 = (500.0 - get_mean_z1pt0(VS30, "JPN")) / 1000.0
    z1 = np.array([np.nan, 500.0])
    delta = np.diff(_mean(SA(1.0), z1=z1, region="JPN"))[0]
    assert delta == pytest.approx(min(0.36695 * dz1, 0.20789), rel=1e-12)
