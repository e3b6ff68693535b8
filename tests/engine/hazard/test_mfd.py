"""Tests of toolkit.engine.hazard.mfd: PEER 2018 reference MFDs, OpenQuake semantics, NRML."""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate

from toolkit.engine.hazard.mfd import (
    MFD,
    ArbitraryMFD,
    EvenlyDiscretizedMFD,
    MomentBalancedDeltaMFD,
    MomentBalancedTruncatedExponentialMFD,
    MomentBalancedTruncatedNormalMFD,
    MomentBalancedYoungsCoppersmithMFD,
    TruncatedGRMFD,
    YoungsCoppersmith1985MFD,
    build_mfd,
    mfd_registry,
    moment_from_magnitude,
)
from toolkit.errors import InputError, UnknownName

WHERE = "source_model.xml line 42, source 'A1'"
SHEAR_MODULUS_PA = 3e10  # 3e11 dyne/cm2 (PEER)


# --------------------------------------------------------------------------------------------
# PEER 2018 verification: every rate of mfd_incremental_via_nshmphaz.csv within 1e-4


def _psha(shared_dir: Path) -> Path:
    return shared_dir / "verification" / "psha"


@pytest.fixture(scope="module")
def reference(shared_dir: Path) -> dict[str, np.ndarray]:
    table: dict[str, list[tuple[float, float]]] = defaultdict(list)
    with open(_psha(shared_dir) / "mfd_incremental_via_nshmphaz.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            table[row["case"]].append((float(row["mag_bin_center"]), float(row["annual_rate"])))
    return {case: np.array(rows) for case, rows in table.items()}


@pytest.fixture(scope="module")
def set1(shared_dir: Path) -> dict:
    return json.loads((_psha(shared_dir) / "set1_definitions.json").read_text())


@pytest.fixture(scope="module")
def set2(shared_dir: Path) -> dict:
    return json.loads((_psha(shared_dir) / "set2_definitions.json").read_text())


def _moment_rate(fault: dict, width_km: float) -> float:
    """mu x area x slip rate in N·m/yr from a PEER fault definition."""
    area_m2 = fault["length_km"] * 1e3 * width_km * 1e3
    return SHEAR_MODULUS_PA * area_m2 * fault["slip_rate_mm_per_yr"] * 1e-3


def _fault1_moment_rate(set1: dict) -> float:
    fault = set1["sources"]["Fault 1"]
    return _moment_rate(fault, fault["lower_depth_km"] - fault["upper_depth_km"])


def _fault2_moment_rate(set1: dict) -> float:
    fault = set1["sources"]["Fault 2"]
    return _moment_rate(fault, fault["down_dip_width_km"])


def _nrml_for_case(case: str, set1: dict, set2: dict) -> tuple[str, dict[str, str], float | None]:
    """(tag, attributes, width_of_mfd_bin) of the NRML element for a PEER case."""
    if case == "Set2-Case2a":
        fault = set2["Set2-Case2"]["fault_3"]
        assert set2["Set2-Case2"]["mfd"] == (
            "truncated exponential Mmin 5.0 Mmax 7.0 b 0.9, moment balanced"
        )
        area_m2 = fault["L_km"] * 1e3 * (fault["depth_km"][1] - fault["depth_km"][0]) * 1e3
        moment = SHEAR_MODULUS_PA * area_m2 * fault["slip_rate_mm_yr"] * 1e-3
        attrib = {
            "kind": "truncatedExponential",
            "minMag": "5.0",
            "maxMag": "7.0",
            "bValue": "0.9",
            "totalMomentRate": repr(moment),
            "binWidth": "0.01",
        }
        return "momentBalancedMFD", attrib, None
    definition = set1["cases"][case]
    mfd = definition["mfd"]
    if definition["source"] == "Area 1":
        rate, b = mfd["N_M_ge_5"], mfd["b"]
        a_val = math.log10(rate) - math.log10(10 ** (-b * mfd["Mmin"]) - 10 ** (-b * mfd["Mmax"]))
        attrib = {
            "aValue": repr(a_val),
            "bValue": repr(b),
            "minMag": repr(mfd["Mmin"]),
            "maxMag": repr(mfd["Mmax"]),
        }
        return "truncGutenbergRichterMFD", attrib, 0.01
    moment = (
        _fault1_moment_rate(set1)
        if definition["source"] == "Fault 1"
        else (_fault2_moment_rate(set1))
    )
    attrib = {"totalMomentRate": repr(moment)}
    if mfd["type"] == "delta":
        attrib.update(kind="delta", mag=repr(mfd["M"]))
    elif mfd["type"] == "truncated exponential":
        attrib.update(
            kind="truncatedExponential",
            minMag=repr(mfd["Mmin"]),
            maxMag=repr(mfd["Mmax"]),
            bValue=repr(mfd["b"]),
        )
    elif mfd["type"] == "truncated normal":
        attrib.update(
            kind="truncatedNormal",
            minMag=repr(mfd["Mmin"]),
            maxMag=repr(mfd["Mmax"]),
            meanMag=repr(mfd["Mchar"]),
            sigmaMag=repr(mfd["sigma_M"]),
        )
    else:
        assert mfd["type"] == "Youngs-Coppersmith characteristic"
        attrib.update(
            kind="youngsCoppersmith",
            minMag=repr(mfd["Mmin"]),
            bValue=repr(mfd["b"]),
            characteristicMag=repr(mfd["Mchar"]),
            maxMag=repr(mfd["Mmax"]),
        )
    return "momentBalancedMFD", attrib, None


REFERENCE_CASES = [
    "Set1-Case1",
    "Set1-Case2",
    "Set1-Case4",
    "Set1-Case5",
    "Set1-Case6",
    "Set1-Case7",
    "Set1-Case10",
    "Set1-Case11",
    "Set2-Case2a",
]


@pytest.mark.shared
def test_reference_table_has_the_expected_cases(reference):
    assert sorted(reference) == sorted(REFERENCE_CASES)


@pytest.mark.shared
@pytest.mark.parametrize("case", REFERENCE_CASES)
def test_peer_mfd_matches_nshmp_haz(case, reference, set1, set2):
    tag, attrib, width = _nrml_for_case(case, set1, set2)
    mfd = build_mfd(tag, attrib, {}, bin_width=width, where=f"PEER {case}")
    mags, rates = mfd.get_annual_occurrence_rates()
    expected = reference[case]
    assert mags.shape == (len(expected),)
    np.testing.assert_allclose(mags, expected[:, 0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(rates, expected[:, 1], rtol=1e-4, atol=0)


@pytest.mark.shared
def test_peer_unit_checks(set1):
    """The hand checks of the verification README."""
    fault1 = _fault1_moment_rate(set1)
    assert fault1 == pytest.approx(1.8e16, rel=1e-12)  # 1.8e23 dyne-cm/yr
    assert MomentBalancedDeltaMFD(6.5, fault1).total_rate == pytest.approx(2.8528e-3, rel=5e-5)
    assert MomentBalancedDeltaMFD(6.0, fault1).total_rate == pytest.approx(1.60425e-2, rel=5e-6)
    fault2 = _fault2_moment_rate(set1)
    assert MomentBalancedDeltaMFD(6.0, fault2).total_rate == pytest.approx(1.69806e-2, rel=5e-6)
    case5 = MomentBalancedTruncatedExponentialMFD(5.0, 6.5, 0.9, fault1)
    assert case5.total_rate == pytest.approx(4.0680e-2, rel=5e-5)


# --------------------------------------------------------------------------------------------
# moment-balanced MFDs, from first principles


def test_delta_releases_the_whole_moment():
    mfd = MomentBalancedDeltaMFD(6.5, 1.8e16)
    mags, rates = mfd.get_annual_occurrence_rates()
    assert mags.tolist() == [6.5]
    assert rates[0] == pytest.approx(1.8e16 / 10 ** (9.05 + 1.5 * 6.5), rel=1e-14)
    assert mfd.get_total_moment_rate() == pytest.approx(1.8e16, rel=1e-14)
    assert moment_from_magnitude(6.0) == pytest.approx(10**18.05, rel=1e-14)


def test_truncated_exponential_balances_moment_from_magnitude_zero():
    """Rates x M0 from M = 0 (all bins) equal the moment rate; the returned part is less."""
    mfd = MomentBalancedTruncatedExponentialMFD(5.0, 6.5, 0.9, 1.8e16)
    low = MomentBalancedTruncatedExponentialMFD(0.0, 6.5, 0.9, 1.8e16)
    mags, rates = mfd.get_annual_occurrence_rates()
    low_mags, low_rates = low.get_annual_occurrence_rates()
    assert low_mags[0] == 0.005 and low.get_total_moment_rate() == pytest.approx(1.8e16)
    np.testing.assert_allclose(low_rates[low_mags > 5.0], rates, rtol=1e-12)
    assert mfd.get_total_moment_rate() < 1.8e16
    assert mags[0] == 5.005 and mags[-1] == 6.495 and len(mags) == 150
    ratios = rates[1:] / rates[:-1]
    np.testing.assert_allclose(ratios, 10 ** (-0.9 * 0.01), rtol=1e-12)


def test_truncated_normal_is_the_density_at_bin_centres():
    mfd = MomentBalancedTruncatedNormalMFD(5.0, 6.5, 6.2, 0.25, 1.8e16)
    mags, rates = mfd.get_annual_occurrence_rates()
    shape = np.exp(-0.5 * ((mags - 6.2) / 0.25) ** 2)
    np.testing.assert_allclose(rates / shape, rates[0] / shape[0], rtol=1e-12)
    assert mags[np.argmax(rates)] == pytest.approx(6.195)


def test_balanced_youngs_coppersmith_box_and_anchor():
    mfd = MomentBalancedYoungsCoppersmithMFD(5.0, 0.9, 6.2, 1.8e16)
    mags, rates = mfd.get_annual_occurrence_rates()
    box = mags > 5.95
    assert mags[box][0] == 5.955 and mags[-1] == 6.445 and box.sum() == 50
    np.testing.assert_allclose(rates[box], rates[box][0], rtol=1e-14)
    # box weight = exponential weight 1.0 below the last exponential bin (5.945 -> 4.945)
    expected = rates[0] * 10 ** (-0.9 * (4.945 - 5.005))
    assert rates[box][0] == pytest.approx(expected, rel=1e-12)
    assert mfd.max_mag_edge == pytest.approx(6.45)


def test_moment_balanced_scaling_keeps_class():
    mfd = MomentBalancedTruncatedNormalMFD(5.0, 6.5, 6.2, 0.25, 1.8e16)
    half = mfd.scaled(0.5)
    assert isinstance(half, MomentBalancedTruncatedNormalMFD)
    np.testing.assert_allclose(
        half.get_annual_occurrence_rates()[1],
        0.5 * mfd.get_annual_occurrence_rates()[1],
        rtol=1e-13,
    )


def test_zero_moment_rate_gives_zero_rates():
    mfd = MomentBalancedTruncatedExponentialMFD(5.0, 6.5, 0.9, 0.0)
    assert mfd.total_rate == 0.0


# --------------------------------------------------------------------------------------------
# TruncatedGRMFD: OpenQuake semantics and rounding


def _gr_rates(a, b, edges):
    edges = np.asarray(edges)
    return 10 ** (a - b * edges[:-1]) - 10 ** (a - b * edges[1:])


def test_truncated_gr_oq_case_03_rounding():
    """OQ QA classical case_03: M 5.0-6.5 with 0.2 bins; 6.5 / 0.2 = 32.5 rounds up to 6.6."""
    mfd = build_mfd(
        "truncGutenbergRichterMFD",
        {"aValue": "4.5", "bValue": "1.0", "minMag": "5.0", "maxMag": "6.5"},
        {},
        bin_width=0.2,
        where=WHERE,
    )
    mags, rates = mfd.get_annual_occurrence_rates()
    assert mags.tolist() == [5.1, 5.3, 5.5, 5.7, 5.9, 6.1, 6.3, 6.5]
    np.testing.assert_allclose(rates, _gr_rates(4.5, 1.0, np.arange(25, 34) * 0.2), rtol=1e-12)
    assert (mfd.lower_edge, mfd.upper_edge) == (5.0, 6.6)
    assert (mfd.min_mag, mfd.max_mag) == (5.1, 6.5)
    # the job's minimum_magnitude = 5.7 keeps exactly the bins >= 5.7
    assert mags[mags >= 5.7].tolist() == [5.7, 5.9, 6.1, 6.3, 6.5]
    # source_model_2.xml of the same case: maxMag 5.5 -> 27.5 -> upper edge 5.6
    small = TruncatedGRMFD(5.0, 5.5, 0.2, 4.5, 1.0)
    assert small.get_annual_occurrence_rates()[0].tolist() == [5.1, 5.3, 5.5]


def test_truncated_gr_oq_case_04():
    mfd = TruncatedGRMFD(5.9, 6.5, 0.1, 3.2264, 0.953)
    mags, rates = mfd.get_annual_occurrence_rates()
    np.testing.assert_allclose(mags, [5.95, 6.05, 6.15, 6.25, 6.35, 6.45], atol=1e-12)
    assert rates[0] == pytest.approx(10 ** (3.2264 - 0.953 * 5.9) - 10 ** (3.2264 - 0.953 * 6.0))
    assert mfd.total_rate == pytest.approx(
        10 ** (3.2264 - 0.953 * 5.9) - 10 ** (3.2264 - 0.953 * 6.5), rel=1e-12
    )


def test_truncated_gr_unaligned_limits_round_to_nearest_bin():
    mfd = TruncatedGRMFD(5.02, 6.47, 0.1, 4.0, 1.0)
    assert (mfd.lower_edge, mfd.upper_edge) == (5.0, 6.5)
    assert mfd.min_mag == 5.05 and mfd.max_mag == 6.45


def test_truncated_gr_from_total_rate_and_scaling():
    mfd = TruncatedGRMFD.from_total_rate(5.0, 6.5, 0.01, 0.0395, 0.9)
    assert mfd.total_rate == pytest.approx(0.0395, rel=1e-12)
    quarter = mfd.scaled(0.25)
    assert isinstance(quarter, TruncatedGRMFD)
    assert quarter.total_rate == pytest.approx(0.0395 / 4, rel=1e-12)
    assert quarter.a_val == pytest.approx(mfd.a_val + math.log10(0.25))


# --------------------------------------------------------------------------------------------
# EvenlyDiscretizedMFD and ArbitraryMFD


def test_incremental_min_mag_is_first_bin_centre():
    mfd = build_mfd(
        "incrementalMFD",
        {"minMag": "5.0", "binWidth": "0.1"},
        {"occurRates": [0.1, 0.01, 0.001]},
        bin_width=None,
        where=WHERE,
    )
    mags, rates = mfd.get_annual_occurrence_rates()
    assert mags.tolist() == [5.0, 5.1, 5.2]
    assert rates.tolist() == [0.1, 0.01, 0.001]
    assert isinstance(mfd.scaled(2.0), EvenlyDiscretizedMFD)
    assert mfd.scaled(2.0).get_annual_occurrence_rates()[1].tolist() == [0.2, 0.02, 0.002]


def test_arbitrary_sorts_by_magnitude():
    mfd = build_mfd(
        "arbitraryMFD",
        {},
        {"magnitudes": [6.0, 5.5], "occurRates": [0.01, 0.1]},
        bin_width=None,
        where=WHERE,
    )
    mags, rates = mfd.get_annual_occurrence_rates()
    assert mags.tolist() == [5.5, 6.0] and rates.tolist() == [0.1, 0.01]
    assert mfd.min_mag == 5.5 and mfd.max_mag == 6.0


def test_returned_arrays_are_read_only():
    mags, rates = ArbitraryMFD([5.0], [0.1]).get_annual_occurrence_rates()
    with pytest.raises(ValueError):
        rates[0] = 1.0
    with pytest.raises(ValueError):
        mags[0] = 1.0


def test_scaling_by_zero_and_negative_factor():
    mfd = TruncatedGRMFD(5.0, 6.0, 0.1, 4.0, 1.0)
    zero = mfd.scaled(0.0)
    assert zero.total_rate == 0.0
    np.testing.assert_array_equal(
        zero.get_annual_occurrence_rates()[0], mfd.get_annual_occurrence_rates()[0]
    )
    with pytest.raises(InputError, match="factor must be >= 0"):
        mfd.scaled(-1.0)


# --------------------------------------------------------------------------------------------
# YoungsCoppersmith1985MFD (OpenQuake semantics)


def test_youngs_coppersmith_from_characteristic_rate():
    mfd = build_mfd(
        "YoungsCoppersmithMFD",
        {
            "minMag": "5.0",
            "bValue": "1.0",
            "characteristicMag": "6.25",
            "characteristicRate": "0.005",
            "binWidth": "0.1",
        },
        {},
        bin_width=None,
        where=WHERE,
    )
    assert isinstance(mfd, YoungsCoppersmith1985MFD)
    mags, rates = mfd.get_annual_occurrence_rates()
    np.testing.assert_allclose(mags, np.arange(5.05, 6.5, 0.1), atol=1e-12)
    box = mags > 6.0
    assert box.sum() == 5
    np.testing.assert_allclose(rates[box], 0.005 / 0.5 * 0.1, rtol=1e-12)
    # characteristic density = exponential density at char_mag - 1.25 = 5.0
    density_at_5 = 1.0 * math.log(10) * 10 ** (mfd.a_val - 1.0 * 5.0)
    assert density_at_5 == pytest.approx(0.005 / 0.5, rel=1e-12)
    np.testing.assert_allclose(
        rates[~box], _gr_rates(mfd.a_val, 1.0, np.arange(50, 61) / 10), rtol=1e-12
    )


def test_youngs_coppersmith_from_total_moment_rate_balances_moment():
    """The continuous model (exponential from -inf, as YC85) releases the moment rate."""
    moment_rate = 1.8e16
    mfd = YoungsCoppersmith1985MFD.from_total_moment_rate(5.0, 0.9, 6.2, moment_rate, 0.05)
    b, mc = 0.9, 6.2

    def density(m):
        if m <= mc - 0.25:
            return b * math.log(10) * 10 ** (mfd.a_val - b * m)
        return mfd.char_rate / 0.5 if m <= mc + 0.25 else 0.0

    exponential, _ = integrate.quad(
        lambda m: density(m) * moment_from_magnitude(m), -10.0, mc - 0.25, limit=200
    )
    box, _ = integrate.quad(lambda m: density(m) * moment_from_magnitude(m), mc - 0.25, mc + 0.25)
    assert exponential + box == pytest.approx(moment_rate, rel=1e-8)
    assert mfd.char_rate == pytest.approx(0.5 * density(mc - 1.25), rel=1e-12)
    # bins (width 0.05 from 5.0, box 5.95-6.45 aligned) carry the exact integrals
    mags, rates = mfd.get_annual_occurrence_rates()
    assert mags[0] == 5.025 and mags[-1] == 6.425
    assert rates[mags > 5.95].sum() == pytest.approx(mfd.char_rate, rel=1e-12)


def test_youngs_coppersmith_unaligned_box_is_split_exactly():
    mfd = YoungsCoppersmith1985MFD.from_characteristic_rate(5.0, 0.9, 6.2, 0.004, 0.1)
    mags, rates = mfd.get_annual_occurrence_rates()
    assert mags[-1] == 6.45  # last bin 6.4-6.5 holds half a bin of the box (6.4-6.45)
    assert rates[-1] == pytest.approx(0.004 / 0.5 * 0.05, rel=1e-12)
    gr_part = 10 ** (mfd.a_val - 0.9 * 5.9) - 10 ** (mfd.a_val - 0.9 * 5.95)
    assert rates[mags == 5.95][0] == pytest.approx(gr_part + 0.004 / 0.5 * 0.05, rel=1e-12)
    assert rates[mags > 5.9].sum() - gr_part == pytest.approx(0.004, rel=1e-12)
    assert isinstance(mfd.scaled(3.0), YoungsCoppersmith1985MFD)
    assert mfd.scaled(3.0).total_rate == pytest.approx(3 * mfd.total_rate, rel=1e-12)


# --------------------------------------------------------------------------------------------
# NRML construction and errors


def test_registry_lists_the_supported_tags():
    assert mfd_registry.names() == sorted(
        [
            "truncGutenbergRichterMFD",
            "incrementalMFD",
            "arbitraryMFD",
            "YoungsCoppersmithMFD",
            "momentBalancedMFD",
        ]
    )


def test_peer_example_elements_build():
    """The example elements of the module docstring."""
    examples = [
        {"kind": "delta", "mag": "6.5", "totalMomentRate": "1.8e16"},
        {
            "kind": "truncatedExponential",
            "minMag": "5.0",
            "maxMag": "6.5",
            "bValue": "0.9",
            "totalMomentRate": "1.8e16",
            "binWidth": "0.01",
        },
        {
            "kind": "truncatedNormal",
            "minMag": "5.0",
            "maxMag": "6.5",
            "meanMag": "6.2",
            "sigmaMag": "0.25",
            "totalMomentRate": "1.8e16",
        },
        {
            "kind": "youngsCoppersmith",
            "minMag": "5.0",
            "bValue": "0.9",
            "characteristicMag": "6.2",
            "maxMag": "6.45",
            "totalMomentRate": "1.8e16",
        },
    ]
    classes = [
        MomentBalancedDeltaMFD,
        MomentBalancedTruncatedExponentialMFD,
        MomentBalancedTruncatedNormalMFD,
        MomentBalancedYoungsCoppersmithMFD,
    ]
    for attrib, cls in zip(examples, classes, strict=True):
        mfd = build_mfd("momentBalancedMFD", attrib, {}, bin_width=0.1, where=WHERE)
        assert type(mfd) is cls
        assert isinstance(mfd, MFD)


def _error(tag, attrib, values=None, bin_width=0.1, kind=InputError):
    with pytest.raises(kind) as info:
        build_mfd(tag, attrib, values or {}, bin_width=bin_width, where=WHERE)
    message = str(info.value)
    assert message.startswith(WHERE), message
    return message


GR = {"aValue": "4.5", "bValue": "1.0", "minMag": "5.0", "maxMag": "6.5"}


def test_unknown_tag_suggests_close_names():
    message = _error("truncatedGutenbergRichterMFD", GR, kind=UnknownName)
    assert "unknown MFD 'truncatedGutenbergRichterMFD'" in message
    assert "truncGutenbergRichterMFD" in message


def test_truncated_gr_needs_width_of_mfd_bin():
    message = _error("truncGutenbergRichterMFD", GR, bin_width=None)
    assert "width_of_mfd_bin is required" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"bValue": "0"}, "<truncGutenbergRichterMFD> bValue must be > 0, got 0.0"),
        ({"bValue": "-1"}, "bValue must be > 0"),
        ({"minMag": "7.0"}, "maxMag = 6.5 must exceed minMag = 7.0 by at least one bin width"),
        ({"aValue": "abc"}, "attribute aValue='abc' is not a number"),
        ({"aValue": "nan"}, "attribute aValue='nan' must be finite"),
        ({"bvalue": "1.0"}, "unexpected attribute(s) bvalue"),
    ],
)
def test_truncated_gr_validation(change, expected):
    message = _error("truncGutenbergRichterMFD", {**GR, **change})
    assert expected in message


def test_truncated_gr_missing_attribute_and_bad_width():
    attrib = dict(GR)
    del attrib["aValue"]
    assert "is missing attribute(s) aValue" in _error("truncGutenbergRichterMFD", attrib)
    message = _error("truncGutenbergRichterMFD", GR, bin_width=0.0)
    assert "width_of_mfd_bin must be > 0" in message


def test_incremental_validation():
    ok = {"minMag": "5.0", "binWidth": "0.1"}
    message = _error("incrementalMFD", ok, {"occurRates": [0.1, -0.01]})
    assert "<occurRates> must be >= 0; value 2 is -0.01" in message
    message = _error("incrementalMFD", {**ok, "binWidth": "-0.1"}, {"occurRates": [0.1]})
    assert "binWidth must be > 0" in message
    message = _error("incrementalMFD", {**ok, "binWidth": "0"}, {"occurRates": [0.1]})
    assert "binWidth must be > 0" in message
    assert "is missing child element(s) <occurRates>" in _error("incrementalMFD", ok)
    assert "<occurRates> is empty" in _error("incrementalMFD", ok, {"occurRates": []})
    message = _error("incrementalMFD", ok, {"occurRates": [0.1], "magnitudes": [5.0]})
    assert "unexpected child element(s) <magnitudes>" in message


def test_arbitrary_validation():
    message = _error("arbitraryMFD", {}, {"magnitudes": [5.0, 5.5], "occurRates": [0.1]})
    assert "<magnitudes> (2 values) and <occurRates> (1 values) must have the same length" in (
        message
    )
    message = _error("arbitraryMFD", {}, {"magnitudes": [5.0], "occurRates": [-1.0]})
    assert "<occurRates> must be >= 0" in message


def test_youngs_coppersmith_validation():
    base = {"minMag": "5.0", "bValue": "1.0", "characteristicMag": "6.25", "binWidth": "0.1"}
    message = _error("YoungsCoppersmithMFD", base)
    assert "exactly one of the attributes characteristicRate, totalMomentRate" in message
    both = {**base, "characteristicRate": "0.01", "totalMomentRate": "1e16"}
    assert "exactly one" in _error("YoungsCoppersmithMFD", both)
    message = _error(
        "YoungsCoppersmithMFD", {**base, "minMag": "6.1", "characteristicRate": "0.01"}
    )
    assert "minMag = 6.1 must be below characteristicMag - 0.25 = 6.0" in message
    message = _error("YoungsCoppersmithMFD", {**base, "characteristicRate": "-0.01"})
    assert "characteristicRate must be > 0" in message


def test_moment_balanced_validation():
    message = _error("momentBalancedMFD", {"mag": "6.0", "totalMomentRate": "1e16"})
    assert "missing attribute kind (one of: delta, truncatedExponential" in message
    message = _error("momentBalancedMFD", {"kind": "truncatedExponentiel"}, kind=UnknownName)
    assert "unknown momentBalancedMFD kind 'truncatedExponentiel'" in message
    assert "'truncatedExponential'" in message
    te = {
        "kind": "truncatedExponential",
        "minMag": "5.0",
        "maxMag": "6.5",
        "bValue": "0.9",
        "totalMomentRate": "1.8e16",
    }
    assert "totalMomentRate must be >= 0" in _error(
        "momentBalancedMFD", {**te, "totalMomentRate": "-1"}
    )
    assert "maxMag = 5.0 must be larger than minMag = 6.5" in _error(
        "momentBalancedMFD", {**te, "minMag": "6.5", "maxMag": "5.0"}
    )
    assert "maxMag - minMag = 1.505 must be a whole number of bins of width binWidth" in _error(
        "momentBalancedMFD", {**te, "maxMag": "6.505", "binWidth": "0.01"}
    )
    assert "bValue must be > 0" in _error("momentBalancedMFD", {**te, "bValue": "0"})
    assert 'kind="truncatedExponential" is missing attribute(s) bValue' in _error(
        "momentBalancedMFD", {k: v for k, v in te.items() if k != "bValue"}
    )
    assert 'kind="delta" has unexpected attribute(s) binWidth' in _error(
        "momentBalancedMFD", {"kind": "delta", "mag": "6", "totalMomentRate": "1", "binWidth": "1"}
    )
    tn = {
        "kind": "truncatedNormal",
        "minMag": "5.0",
        "maxMag": "6.5",
        "meanMag": "6.2",
        "sigmaMag": "0",
        "totalMomentRate": "1.8e16",
    }
    assert "sigmaMag must be > 0" in _error("momentBalancedMFD", tn)
    yc = {
        "kind": "youngsCoppersmith",
        "minMag": "5.0",
        "bValue": "0.9",
        "characteristicMag": "6.2",
        "totalMomentRate": "1.8e16",
    }
    assert "maxMag = 6.5 must equal characteristicMag + 0.25" in _error(
        "momentBalancedMFD", {**yc, "maxMag": "6.5"}
    )
    assert "characteristicMag - 0.25 - minMag" in _error(
        "momentBalancedMFD", {**yc, "minMag": "5.02", "binWidth": "0.1"}
    )
    assert "characteristic box (0.5 wide) must be a whole number of bins" in _error(
        "momentBalancedMFD", {**yc, "binWidth": "0.3"}
    )


def test_python_constructor_errors_name_python_parameters():
    with pytest.raises(InputError, match=r"^TruncatedGRMFD: b_val must be > 0, got -1.0$"):
        TruncatedGRMFD(5.0, 6.0, 0.1, 4.0, -1.0)
    with pytest.raises(
        InputError, match="EvenlyDiscretizedMFD: occurrence_rates must be a non-empty list"
    ):
        EvenlyDiscretizedMFD(5.0, 0.1, [])
    with pytest.raises(
        InputError,
        match="MomentBalancedYoungsCoppersmithMFD: min_mag = 6.0 must be below char_mag - 0.25",
    ):
        MomentBalancedYoungsCoppersmithMFD(6.0, 0.9, 6.2, 1e16)
