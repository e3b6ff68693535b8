"""Further source-model logic-tree uncertainty types (``bGRAbsolute``, ``abMaxMagAbsolute``,
``maxMagGRRelativeNoMoBalance``, ``setMSRAbsolute``, seismogenic depths, aspect ratio,
simple-fault dip): each checked on the engine sources of a path, by hand.

The expected MFD rates come from the truncated Gutenberg-Richter formula written here; the
other values are the ones the branch gives (absolute) or the file's value plus the increment
(relative), as OpenQuake 3.26 applies them (measured on hazardlib sources).
"""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.errors import InputError, UnknownName
from toolkit.io.logictree import GsimLogicTree
from toolkit.io.lt_uncertainties import build_source_model_inputs

from . import lt_trees
from .lt_trees import branch_set, job_params, write_tree


def gr_rates(a: float, b: float, lo: float, hi: float, width: float = 0.1):
    """Bin centres and rates of a truncated G-R MFD: 10**(a - b m_lo) - 10**(a - b m_hi)."""
    edges = np.round(np.arange(round(lo / width), round(hi / width) + 1) * width, 10)
    return (edges[:-1] + edges[1:]) / 2, 10 ** (a - b * edges[:-1]) - 10 ** (a - b * edges[1:])


def path_sources(tmp_path, *sets):
    """{source id: engine source} of each source-model path (sm04 paths first)."""
    tree = write_tree(tmp_path, *sets)
    sms, _rlzs, idx = build_source_model_inputs(job_params(tree),
                                                GsimLogicTree.from_gsim("SadighEtAl1997"))
    out = []
    for i in dict.fromkeys(idx):
        out.append({s.source_id: s for srcs in sms[i].groups.values() for s in srcs})
    return out


def rates(source):
    mags, values = source.mfd.get_annual_occurrence_rates()
    return np.asarray(mags), np.asarray(values)


def assert_gr(source, a, b, lo, hi):
    mags, expected = gr_rates(a, b, lo, hi)
    got_mags, got = rates(source)
    np.testing.assert_allclose(got_mags, mags, rtol=0, atol=1e-9)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_b_absolute_sets_b_and_keeps_a(tmp_path):
    paths = path_sources(tmp_path, branch_set("bGRAbsolute", "bs2", [
        ("b08", "0.8", 0.5), ("b12", "1.2", 0.5)], applyToSources="P1"))
    assert_gr(paths[0]["P1"], 3.0, 0.8, 5.0, 6.0)
    assert_gr(paths[1]["P1"], 3.0, 1.2, 5.0, 6.0)
    assert_gr(paths[2]["S1"], 3.0, 1.0, 5.0, 6.5)  # sm05: untouched


def test_ab_max_mag_absolute(tmp_path):
    paths = path_sources(tmp_path, branch_set("abMaxMagAbsolute", "bs2", [
        ("x", "3.5 0.9 5.8", 1.0)], applyToSources="P1"))
    assert_gr(paths[0]["P1"], 3.5, 0.9, 5.0, 5.8)


def test_max_mag_relative_without_moment_balance(tmp_path):
    paths = path_sources(tmp_path, branch_set("maxMagGRRelativeNoMoBalance", "bs2", [
        ("down", "-0.5", 0.5), ("up", "0.3", 0.5)], applyToSources="D1"))
    assert_gr(paths[2]["D1"], 2.0, 0.9, 5.0, 6.5)
    assert_gr(paths[3]["D1"], 2.0, 0.9, 5.0, 7.3)


def test_set_msr(tmp_path):
    paths = path_sources(tmp_path, branch_set("setMSRAbsolute", "bs2", [
        ("peer", "PeerMSR", 0.5), ("wc", "WC1994", 0.5)], applyToSources="D1"))
    assert type(paths[2]["D1"].msr).__name__ == "PeerMSR"  # file: StrasserIntraslab
    assert type(paths[3]["D1"].msr).__name__ == "WC1994"
    assert type(paths[0]["P1"].msr).__name__ == "WC1994"  # not named: unchanged
    with pytest.raises(UnknownName, match=r"line \d+, the setMSRAbsolute value of branch "
                                          r"'x'.*NoSuchMSR"):
        path_sources(tmp_path, branch_set("setMSRAbsolute", "bs2", [("x", "NoSuchMSR", 1.0)],
                                          applyToSources="P1"))


def test_seismogenic_depths(tmp_path):
    paths = path_sources(
        tmp_path,
        branch_set("setUpperSeismDepthAbsolute", "bs2", [("u4", "4", 1.0)],
                   applyToSources="P1"),
        branch_set("setLowerSeismDepthRelative", "bs3", [("l5", "5", 0.5), ("lm", "-3", 0.5)],
                   applyToSources="P1"))
    p1 = paths[0]["P1"]
    assert (p1.upper_seismogenic_depth, p1.lower_seismogenic_depth) == (4.0, 25.0)
    p1 = paths[1]["P1"]
    assert (p1.upper_seismogenic_depth, p1.lower_seismogenic_depth) == (4.0, 17.0)
    paths = path_sources(tmp_path, branch_set("setLowerSeismDepthAbsolute", "bs2", [
        ("l30", "30", 1.0)], applyToSources="F1"))
    assert paths[0]["F1"].lower_seismogenic_depth == 30.0
    with pytest.raises(InputError, match=r"setUpperSeismDepthRelative branch set 'bs2', "
                                         r"branch 'deep'.*would be 21 to 20 km"):
        path_sources(tmp_path, branch_set("setUpperSeismDepthRelative", "bs2", [
            ("deep", "19", 1.0)], applyToSources="P1"))
    # OpenQuake refuses the upper depth of a simple fault; so does the toolkit, up front
    with pytest.raises(InputError, match=r"cannot apply setUpperSeismDepthAbsolute to source "
                                         r"'F1' .*it is a <simpleFaultSource>"):
        path_sources(tmp_path, branch_set("setUpperSeismDepthAbsolute", "bs2", [
            ("u", "2", 1.0)], applyToSources="F1"))


def test_aspect_ratio(tmp_path):
    paths = path_sources(tmp_path, branch_set("setAspectRatioRelative", "bs2", [
        ("r", "0.5", 1.0)], applyToSources="P1"), branch_set("setAspectRatioAbsolute", "bs3", [
            ("s", "3", 1.0)], applyToSources="D1"))
    assert paths[0]["P1"].rupture_aspect_ratio == 2.0
    assert paths[1]["D1"].rupture_aspect_ratio == 3.0
    with pytest.raises(InputError, match=r"rupture aspect ratio of source 'P1'.*would be "
                                         r"-0.5, not > 0"):
        path_sources(tmp_path, branch_set("setAspectRatioRelative", "bs2", [
            ("r", "-2", 1.0)], applyToSources="P1"))


def test_upper_depth_of_a_point_source_may_be_above_sea_level(tmp_path):
    # point and area sources accept a seismogenic layer starting above sea level
    paths = path_sources(tmp_path, branch_set("setUpperSeismDepthRelative", "bs2", [
        ("up", "-3", 1.0)], applyToSources="P1"))
    assert paths[0]["P1"].upper_seismogenic_depth == -1.0  # file: 2 km
    paths = path_sources(tmp_path, branch_set("setUpperSeismDepthAbsolute", "bs2", [
        ("up", "-0.5", 1.0)], applyToSources="P1"))
    assert paths[0]["P1"].upper_seismogenic_depth == -0.5
    # a lower depth of a fault above its upper one is still refused
    with pytest.raises(InputError, match=r"source 'F1'.*would be 1 to -1 km \(the upper "
                                         r"one must be >= 0"):
        path_sources(tmp_path, branch_set("setLowerSeismDepthAbsolute", "bs2", [
            ("l", "-1", 1.0)], applyToSources="F1"))


def test_relative_aspect_ratio_of_an_aspect_ratio_function_is_refused(tmp_path):
    text = (lt_trees.DATA / "sources_04.xml").read_text()
    function = ("<aspectRatioFunction><type>linear_piecewise</type><mag_points>"
                '<mag_point mag="4.0" aratio="1.0"/><mag_point mag="7.0" aratio="2.0"/>'
                "</mag_points></aspectRatioFunction>")
    (tmp_path / "sources_04.xml").write_text(
        text.replace("<ruptAspectRatio>1.5</ruptAspectRatio>", function, 1))
    sm_set = lt_trees.SM_SET.replace(str(lt_trees.DATA / "sources_04.xml"),
                                     str(tmp_path / "sources_04.xml"))
    tree = write_tree(tmp_path, branch_set("setAspectRatioRelative", "bs2", [
        ("r", "0.5", 1.0)], applyToSources="P1"), sm_set=sm_set)
    with pytest.raises(InputError, match=r"setAspectRatioRelative cannot modify source 'P1' "
                                         r"\(.*sources_04.xml.*\): its aspect ratio is an "
                                         r"<aspectRatioFunction>"):
        build_source_model_inputs(job_params(tree), GsimLogicTree.from_gsim("SadighEtAl1997"))
    # an absolute value replaces the function
    tree = write_tree(tmp_path, branch_set("setAspectRatioAbsolute", "bs2", [
        ("r", "2.5", 1.0)], applyToSources="P1"), sm_set=sm_set)
    sms, _rlzs, _idx = build_source_model_inputs(job_params(tree),
                                                 GsimLogicTree.from_gsim("SadighEtAl1997"))
    p1 = [s for srcs in sms[0].groups.values() for s in srcs if s.source_id == "P1"]
    assert p1[0].rupture_aspect_ratio == 2.5


def test_simple_fault_dip(tmp_path):
    paths = path_sources(tmp_path, branch_set("simpleFaultDipRelative", "bs2", [
        ("d", "-15", 0.5), ("e", "30", 0.5)], applyToSources="F1"))
    assert paths[0]["F1"].dip == 45.0
    assert paths[1]["F1"].dip == 90.0
    with pytest.raises(InputError, match=r"the dip of source 'F1'.*would be 100 degrees"):
        path_sources(tmp_path, branch_set("simpleFaultDipAbsolute", "bs2", [
            ("d", "100", 1.0)], applyToSources="F1"))
    with pytest.raises(InputError, match=r"cannot apply simpleFaultDipAbsolute to source "
                                         r"'P1' .*it is a <pointSource>"):
        path_sources(tmp_path, branch_set("simpleFaultDipAbsolute", "bs2", [
            ("d", "45", 1.0)], applyToSources="P1"))


@pytest.mark.parametrize("kind, value, match", [
    ("bGRAbsolute", "-0.5", "the b-value must be > 0"),
    ("abMaxMagAbsolute", "3 1", "must be three numbers 'a b maxMag'"),
    ("abMaxMagAbsolute", "3 1 4.5", "would be 4.5, not above its minMag 5"),
    ("maxMagGRRelativeNoMoBalance", "-1.5", "would be 4.5, not above its minMag 5"),
    ("setLowerSeismDepthAbsolute", "deep", "must be a number, got 'deep'"),
])
def test_bad_values(tmp_path, kind, value, match):
    with pytest.raises(InputError, match=match):
        path_sources(tmp_path, branch_set(kind, "bs2", [("x", value, 1.0)],
                                          applyToSources="P1"))


@pytest.mark.parametrize("kind, value", [
    ("bGRAbsolute", "0.9"), ("abMaxMagAbsolute", "3 1 6"), ("setMSRAbsolute", "PeerMSR"),
    ("setUpperSeismDepthAbsolute", "3"), ("setLowerSeismDepthAbsolute", "14"),
    ("setAspectRatioAbsolute", "2"), ("simpleFaultDipAbsolute", "45"),
    ("maxMagGRAbsolute", "6.5"),
])
def test_absolute_types_name_exactly_one_source(tmp_path, kind, value):
    """As OpenQuake 3.26 (measured): every *Absolute type needs applyToSources with one id."""
    with pytest.raises(InputError, match=f"the {kind} branch set 'bs2' needs applyToSources"):
        path_sources(tmp_path, branch_set(kind, "bs2", [("x", value, 1.0)]))
    with pytest.raises(InputError, match=rf"the {kind} branch set 'bs2' must name exactly one "
                                         r"source in applyToSources, got \['P1', 'F1'\]"):
        path_sources(tmp_path, branch_set(kind, "bs2", [("x", value, 1.0)],
                                          applyToSources="P1 F1"))


def test_relative_types_apply_to_every_selected_source(tmp_path):
    # no applyToSources: every point source (P1 of sm04, D1 and S1 of sm05)
    paths = path_sources(tmp_path, branch_set("setLowerSeismDepthRelative", "bs2", [
        ("l", "2", 1.0)], applyToSourceType="point"))
    assert paths[0]["P1"].lower_seismogenic_depth == 22.0
    assert paths[1]["D1"].lower_seismogenic_depth == 82.0
    assert paths[1]["S1"].lower_seismogenic_depth == 22.0
    assert paths[0]["F1"].lower_seismogenic_depth == 12.0  # a fault: not selected
    # ...but simpleFaultDipRelative needs applyToSources, as in OpenQuake
    with pytest.raises(InputError, match="the simpleFaultDipRelative branch set 'bs2' needs "
                                         "applyToSources"):
        path_sources(tmp_path, branch_set("simpleFaultDipRelative", "bs2", [("d", "5", 1.0)]))


def test_alternative_characteristic_types_are_refused_by_name(tmp_path):
    with pytest.raises(InputError, match=r"line \d+: uncertainty type 'bACRelative' is not "
                                         r"supported yet in a source-model logic tree "
                                         r"\(uncertainties of the alternative characteristic"):
        path_sources(tmp_path, branch_set("bACRelative", "bs2", [("x", "0.1", 1.0)],
                                          applyToSources="P1"))
