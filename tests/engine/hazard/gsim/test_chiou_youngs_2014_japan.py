"""Chiou & Youngs (2014) Japan: differences from the California model derived from eqs. 2, 11
and 12 with the Japan coefficients of the package's table."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.base import UnsupportedParameters, get_gsim
from toolkit.engine.hazard.gsim.chiou_youngs_2014 import (
    COEFFS,
    get_mean_z1pt0,
    get_mean_z1pt0_japan,
)
from toolkit.engine.hazard.imt import PGA, SA

IMTS = [PGA(), SA(1.0)]


def _ctx(mag, rrup, vs30, z1pt0=np.nan) -> Context:
    n = len(mag)
    return Context(mag=np.asarray(mag, float), rake=np.zeros(n), dip=np.full(n, 90.0),
                   ztor=np.zeros(n), rrup=np.asarray(rrup, float), rjb=np.asarray(rrup, float),
                   rx=-np.asarray(rrup, float), vs30=np.full(n, float(vs30)),
                   vs30measured=np.ones(n, bool), z1pt0=np.full(n, z1pt0))


def _both(ctx):
    cal = get_gsim("ChiouYoungs2014").get_mean_and_stddevs(ctx, IMTS)
    jpn = get_gsim("ChiouYoungs2014", region="JPN").get_mean_and_stddevs(ctx, IMTS)
    return cal, jpn


def test_rock_differs_by_the_anelastic_factor_for_6_to_6_9_only():
    mag = np.array([5.5, 6.0, 6.5, 6.8, 6.9, 7.5])
    rrup = np.full(6, 120.0)
    cal, jpn = _both(_ctx(mag, rrup, 1130.0))  # reference rock: no site term
    for m, imt in enumerate(IMTS):
        C = COEFFS[imt]
        gamma = C["cgamma1"] + C["cgamma2"] / np.cosh(np.maximum(mag - C["cgamma3"], 0.0))
        inside = (mag > 6.0) & (mag < 6.9)
        expected = np.where(inside, (C["gamma_JP_IT"] - 1.0) * gamma * rrup, 0.0)
        np.testing.assert_allclose(jpn[0][m] - cal[0][m], expected, rtol=1e-10, atol=1e-12)
        assert np.all(expected[inside] < 0)  # Japan attenuates faster
    for k in (1, 2, 3):  # sigma, tau, phi unchanged on rock
        np.testing.assert_allclose(jpn[k], cal[k], rtol=1e-12)


def test_linear_site_and_basin_terms_use_the_japan_coefficients():
    mag, rrup = np.array([5.5, 7.2]), np.array([30.0, 30.0])  # outside 6-6.9: same y_ref
    for vs30 in (400.0, 760.0):
        cal, jpn = _both(_ctx(mag, rrup, vs30))  # unknown Z1.0: no basin term
        for m, imt in enumerate(IMTS):
            C = COEFFS[imt]
            expected = (C["phi1_JP"] - C["phi1"]) * np.log(vs30 / 1130.0)
            np.testing.assert_allclose(jpn[0][m] - cal[0][m], expected, rtol=1e-10)
    z1 = 400.0
    cal, jpn = _both(_ctx(mag, rrup, 400.0, z1))
    cal0, jpn0 = _both(_ctx(mag, rrup, 400.0))
    for m, imt in enumerate(IMTS):
        C = COEFFS[imt]
        basin_cal = C["phi5"] * (1.0 - np.exp(-(z1 - get_mean_z1pt0(400.0)) / C["phi6"]))
        dz1_jp = z1 - get_mean_z1pt0_japan(400.0)
        basin_jp = C["phi5_JP"] * (1.0 - np.exp(-dz1_jp / C["phi6_JP"]))
        np.testing.assert_allclose(cal[0][m] - cal0[0][m], basin_cal, rtol=1e-10)
        np.testing.assert_allclose(jpn[0][m] - jpn0[0][m], basin_jp, rtol=1e-10)


def test_japan_z1_relation():
    # eq. 2 gives 1360 m/s -> 1 m and decreases with vs30
    np.testing.assert_allclose(get_mean_z1pt0_japan(np.array([1360.0])), [1.0])
    vs30 = np.array([200.0, 400.0, 800.0])
    expected = np.exp(-5.23 / 2 * np.log((vs30 ** 2 + 412.39 ** 2) / (1360 ** 2 + 412.39 ** 2)))
    np.testing.assert_allclose(get_mean_z1pt0_japan(vs30), expected, rtol=1e-14)


def test_regions_not_implemented_are_unsupported_parameters(monkeypatch):
    from toolkit.engine.hazard.gsim import base

    monkeypatch.setattr(base, "GSIM_FALLBACKS", [])
    with pytest.raises(UnsupportedParameters, match=r"region 'WEN' is not implemented; "
                                                    r"implemented: \['CAL', 'JPN'\]"):
        get_gsim("ChiouYoungs2014", region="WEN")
    assert repr(get_gsim("ChiouYoungs2014", region="JPN")) == "ChiouYoungs2014(region='JPN')"
    assert repr(get_gsim("ChiouYoungs2014", region="CAL")) == "ChiouYoungs2014()"
