"""IMT parsing, canonical strings, units, ordering and CSV level labels."""

from __future__ import annotations

import pytest

from toolkit.engine.hazard.imt import (
    IMT,
    NAMES,
    PGA,
    PGV,
    SA,
    from_string,
    level_label,
)
from toolkit.errors import InputError


@pytest.mark.parametrize(("text", "name", "period", "canonical"), [
    ("PGA", "PGA", 0.0, "PGA"),
    ("PGV", "PGV", 0.0, "PGV"),
    ("IA", "IA", 0.0, "IA"),
    ("CAV", "CAV", 0.0, "CAV"),
    ("MMI", "MMI", 0.0, "MMI"),
    ("PGD", "PGD", 0.0, "PGD"),
    ("RSD595", "RSD595", 0.0, "RSD595"),
    ("RSD575", "RSD575", 0.0, "RSD575"),
    ("RSD2080", "RSD2080", 0.0, "RSD2080"),
    (" AvgSA ", "AvgSA", 0.0, "AvgSA"),
    ("SA(0.20)", "SA", 0.2, "SA(0.2)"),
    ("SA(1e-2)", "SA", 0.01, "SA(0.01)"),
    ("AvgSA(0.10)", "AvgSA", 0.1, "AvgSA(0.1)"),
    ("AvgSA( 2 )", "AvgSA", 2.0, "AvgSA(2.0)"),
    ("EAS(1.0)", "EAS", 1.0, "EAS(1.000000)"),
    ("FAS(4)", "FAS", 0.25, "FAS(4.000000)"),
    ("DRVT(0.5)", "DRVT", 2.0, "DRVT(0.500000)"),
])
def test_parse_and_canonical_string(text, name, period, canonical):
    imt = from_string(text)
    assert imt == IMT(name, period)
    assert str(imt) == imt.string == canonical
    assert from_string(canonical) == imt  # round trip


def test_frequency_imts_keep_their_frequency():
    for f in (0.1, 1.0 / 3.0, 3.0, 25.0):
        imt = from_string(f"EAS({f!r})")
        assert imt.frequency == pytest.approx(f, rel=1e-15)
        assert from_string(str(imt)) == from_string(f"EAS({f:.6f})")
    assert from_string("EAS(1)") == from_string("EAS(1.000000)")
    assert PGA().frequency == float("inf")


def test_constructors_and_names():
    assert PGA() == from_string("PGA") and PGV() == from_string("PGV")
    assert SA(0.5) == from_string("SA(0.5)")
    assert {"PGA", "PGV", "SA", "IA", "AvgSA", "EAS", "FAS", "CAV", "MMI"} <= NAMES


@pytest.mark.parametrize(("text", "unit"), [
    ("PGA", "g"), ("SA(1.0)", "g"), ("AvgSA", "g"), ("AvgSA(1.0)", "g"), ("PGV", "cm/s"),
    ("PGD", "cm"), ("IA", "m/s"), ("RSD595", "s"), ("MMI", ""), ("EAS(2.0)", "g·s"),
])
def test_units(text, unit):
    assert from_string(text).unit == unit


@pytest.mark.parametrize(("text", "message"), [
    ("PGX", "unknown intensity measure type 'PGX'; expected one of PGA"),
    ("sa(0.1)", "unknown intensity measure type 'sa\\(0.1\\)'"),  # names are case-sensitive
    ("SDi(0.5,2)", "unknown intensity measure type 'SDi\\(0.5,2\\)'"),
    ("IA(1.0)", "unknown intensity measure type 'IA\\(1.0\\)'"),  # IA takes no period
    ("EAS", "unknown intensity measure type 'EAS'"),  # EAS needs a frequency
    ("SA(0)", "spectral period must be positive"),
    ("AvgSA(0.0)", "spectral period must be positive"),
    ("FAS(0)", "frequency must be positive"),
    ("SA()", "unknown intensity measure type"),
])
def test_errors(text, message):
    with pytest.raises(InputError, match=message):
        from_string(text)



def test_level_labels_as_in_openquake_curve_headers():
    assert level_label(PGA(), 0.005) == "0.0050000"
    assert level_label(SA(0.1), 1.5) == "1.5000000"
    assert level_label(PGV(), 0.1) == "0.1000000"
    assert level_label(from_string("IA"), 0.001) == "1.00000e-03"
    assert level_label(from_string("AvgSA(0.1)"), 0.0105084) == "1.05084e-02"
    assert level_label(from_string("EAS(1.0)"), 4.0) == "4.00000e+00"
