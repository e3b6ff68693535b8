"""Tests of toolkit.engine.hazard.msr: hand values of each relation and <magScaleRel> parsing."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard.msr import (
    ALL,
    NORMAL,
    REVERSE,
    STRIKE_SLIP,
    WC1994,
    CScalingMSR,
    Leonard2014_Interplate,
    Leonard2014_SCR,
    PeerMSR,
    PointMSR,
    StrasserInterface,
    StrasserIntraslab,
    get_msr,
    msr_registry,
    rake_class,
)
from toolkit.errors import InputError, UnknownName

WHERE = "source_model.xml line 27, source 'MACF004'"


def test_registry_uses_openquake_names():
    assert msr_registry.names() == sorted(
        [
            "WC1994",
            "PeerMSR",
            "PointMSR",
            "CScalingMSR",
            "Leonard2014_Interplate",
            "Leonard2014_SCR",
            "StrasserInterface",
            "StrasserIntraslab",
        ]
    )


@pytest.mark.parametrize(
    ("rake", "expected"),
    [
        (0, STRIKE_SLIP),
        (45, STRIKE_SLIP),
        (45.1, REVERSE),
        (90, REVERSE),
        (134.9, REVERSE),
        (135, STRIKE_SLIP),
        (180, STRIKE_SLIP),
        (-180, STRIKE_SLIP),
        (-45, STRIKE_SLIP),
        (-45.1, NORMAL),
        (-90, NORMAL),
        (-135, STRIKE_SLIP),
        (-5, STRIKE_SLIP),
        (270, NORMAL),
        (None, ALL),
        (float("nan"), ALL),
    ],
)
def test_rake_classes(rake, expected):
    assert int(rake_class(rake)) == expected


def test_wc1994_hand_values():
    """Wells & Coppersmith (1994) Table 2A: log A = a + b M."""
    msr = WC1994()
    assert msr.get_median_area(6.0, 0.0) == pytest.approx(10 ** (-3.42 + 0.90 * 6.0))
    assert msr.get_median_area(6.0, 90.0) == pytest.approx(10 ** (-3.99 + 0.98 * 6.0))
    assert msr.get_median_area(6.0, -90.0) == pytest.approx(10 ** (-2.87 + 0.82 * 6.0))
    assert msr.get_median_area(6.0, None) == pytest.approx(10 ** (-3.49 + 0.91 * 6.0))
    assert msr.get_median_area(6.0, 0.0) == pytest.approx(95.4992586, rel=1e-8)  # 10**1.98
    assert [msr.get_std_dev_area(6.0, r) for r in (0.0, 90.0, -90.0, None)] == [
        0.22,
        0.26,
        0.22,
        0.24,
    ]
    assert isinstance(msr.get_median_area(6.0, 0.0), float)


def test_wc1994_is_vectorised_over_mag_and_rake():
    msr = WC1994()
    mags = np.array([5.0, 6.0, 7.0])
    area = msr.get_median_area(mags, 0.0)
    np.testing.assert_allclose(area, 10 ** (-3.42 + 0.90 * mags), rtol=1e-14)
    rakes = np.array([0.0, 90.0, -90.0])
    np.testing.assert_allclose(
        msr.get_median_area(mags, rakes),
        [10 ** (-3.42 + 0.9 * 5), 10 ** (-3.99 + 0.98 * 6), 10 ** (-2.87 + 0.82 * 7)],
        rtol=1e-14,
    )
    np.testing.assert_array_equal(msr.get_std_dev_area(mags, rakes), [0.22, 0.26, 0.22])
    assert msr.get_std_dev_area(mags, None).shape == (3,)


def test_peer_msr():
    msr = PeerMSR()
    np.testing.assert_allclose(msr.get_median_area(np.array([5.0, 6.5]), None), [10.0, 10**2.5])
    assert msr.get_median_area(6.0, 45.0) == pytest.approx(100.0)
    assert msr.get_std_dev_area(6.0, None) == 0.25


def test_point_msr():
    msr = PointMSR()
    assert msr.get_median_area(7.5, 90.0) == 1e-4
    np.testing.assert_array_equal(msr.get_median_area(np.array([5.0, 6.0]), None), [1e-4, 1e-4])
    assert msr.get_std_dev_area(7.5, 90.0) == 0.0


def test_cscaling_with_c_3_9():
    msr = get_msr("CScalingMSR.C = 3.90", WHERE)
    assert msr == CScalingMSR(C=3.9)
    assert msr.get_median_area(6.0, None) == pytest.approx(10**2.1, rel=1e-14)
    np.testing.assert_allclose(msr.get_median_area(np.array([5.9, 7.9]), 0.0), [100.0, 1e4])
    assert msr.get_std_dev_area(6.0, 0.0) == 0.0
    assert repr(msr) == "CScalingMSR(C=3.9)"


@pytest.mark.parametrize(
    "text",
    [
        "CScalingMSR.C=3.9",
        "  CScalingMSR.C = 3.90  ",
        "\n   CScalingMSR . C = 3.9\n  ",
        "CScalingMSR.C = 39e-1",
        "[CScalingMSR]\nC = 3.9",
    ],
)
def test_cscaling_parameter_text_is_whitespace_tolerant(text):
    assert get_msr(text, WHERE) == CScalingMSR(C=3.9)


def test_cscaling_integer_value_and_default():
    assert get_msr("CScalingMSR.C = 4", WHERE).C == 4.0
    assert get_msr("CScalingMSR", WHERE) == CScalingMSR()


def test_leonard2014_interplate():
    """OQ QA classical case_04 uses it with rake -5: strike-slip, M = log A + 3.99."""
    msr = get_msr("\n  Leonard2014_Interplate\n", WHERE)
    assert isinstance(msr, Leonard2014_Interplate)
    assert msr.get_median_area(6.5, -5.0) == pytest.approx(10 ** (6.5 - 3.99), rel=1e-14)
    assert msr.get_median_area(6.5, 90.0) == pytest.approx(10**2.5, rel=1e-14)
    assert msr.get_median_area(6.5, -90.0) == pytest.approx(10**2.5, rel=1e-14)
    assert msr.get_median_area(6.5, None) == pytest.approx(10 ** (6.5 - 3.995), rel=1e-14)
    np.testing.assert_allclose(
        msr.get_median_area(np.array([6.0, 6.0]), np.array([0.0, 90.0])),
        [10**2.01, 10**2.0],
        rtol=1e-14,
    )


def test_leonard2014_scr():
    msr = Leonard2014_SCR()
    assert msr.get_median_area(6.0, 180.0) == pytest.approx(10 ** (6.0 - 4.18), rel=1e-14)
    assert msr.get_median_area(6.0, 60.0) == pytest.approx(10 ** (6.0 - 4.19), rel=1e-14)
    assert msr.get_std_dev_area(6.0, 60.0) == 0.0


def test_strasser2010():
    assert StrasserInterface().get_median_area(8.0, None) == pytest.approx(
        10 ** (-3.476 + 0.952 * 8.0), rel=1e-14
    )
    assert StrasserInterface().get_std_dev_area(8.0, None) == 0.304
    assert StrasserIntraslab().get_median_area(7.0, 90.0) == pytest.approx(
        10 ** (-3.225 + 0.890 * 7.0), rel=1e-14
    )
    assert StrasserIntraslab().get_std_dev_area(7.0, 90.0) == 0.184


def test_plain_names_give_instances():
    for name in msr_registry.names():
        msr = get_msr(name, WHERE)
        assert type(msr) is msr_registry.get(name)
        area = msr.get_median_area(np.array([5.0, 6.0]), None)
        assert area.shape == (2,) and np.all(area > 0)


def test_unknown_name_suggests_close_names():
    with pytest.raises(UnknownName) as info:
        get_msr("WC1995", WHERE)
    message = str(info.value)
    assert message.startswith(WHERE)
    assert "unknown magnitude scaling relation 'WC1995'" in message
    assert "'WC1994'" in message
    with pytest.raises(UnknownName, match="unknown magnitude scaling relation 'CScaling'"):
        get_msr("CScaling.C = 4", WHERE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "<magScaleRel> is empty"),
        ("   \n ", "<magScaleRel> is empty"),
        ("CScalingMSR.C = abc", "is not 'Name' or 'Name.parameter = number'"),
        ("CScalingMSR.C =", "is not 'Name' or 'Name.parameter = number'"),
        ("CScalingMSR.C = '4'", "CScalingMSR.C must be a number, got '4'"),
        ("CScalingMSR.C = true", "CScalingMSR.C must be a number, got True"),
        ("CScalingMSR.C = nan", "C must be a finite number"),
        ("CScalingMSR.D = 4.0", "CScalingMSR has no parameter(s) D; its parameters: C"),
        ("WC1994.C = 4.0", "WC1994 takes no parameters"),
        ("CScalingMSR = 4.0", "expected one relation with its parameters"),
        ("CScalingMSR.C = 4\nPeerMSR.C = 4", "expected one relation with its parameters"),
    ],
)
def test_bad_parameter_text(text, expected):
    with pytest.raises(InputError) as info:
        get_msr(text, WHERE)
    message = str(info.value)
    assert message.startswith(WHERE)
    assert expected in message


def test_equality_and_hash():
    assert WC1994() == WC1994() and hash(WC1994()) == hash(WC1994())
    assert CScalingMSR(C=4.0) != CScalingMSR(C=4.1)
    assert PeerMSR() != PointMSR()
    assert len({CScalingMSR(C=4.0), CScalingMSR(C=4.0), WC1994()}) == 2
