"""Source-model logic-tree uncertainties: MFD modifications checked by hand, realizations,
errors with file and line.

Expected rates are computed here from the Gutenberg-Richter formula and, for the moment
balance of the relative modifications, by numerical integration of the moment rate with
scipy (independently of :func:`toolkit.io.lt_uncertainties.moment_balanced_a`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, optimize

from toolkit.errors import InputError
from toolkit.io.logictree import (
    GsimLogicTree,
    enumerate_realizations,
    read_source_model_logic_tree,
    read_source_model_tree,
)
from toolkit.io.lt_uncertainties import (
    apply_uncertainties,
    build_source_model_inputs,
    moment_balanced_a,
)
from toolkit.io.nrml import read_source_models

from .lt_trees import DATA, PARAMS, SM_SET, branch_set, job_params, write_tree


# --------------------------------------------------------------------------- helpers
def gr_rates(a: float, b: float, lo: float, hi: float, width: float = 0.1):
    """Bin centres and rates of a truncated G-R MFD: 10**(a - b m_lo) - 10**(a - b m_hi)."""
    edges = np.round(np.arange(round(lo / width), round(hi / width) + 1) * width, 10)
    return (edges[:-1] + edges[1:]) / 2, 10 ** (a - b * edges[:-1]) - 10 ** (a - b * edges[1:])


def moment_rate(a: float, b: float, lo: float, hi: float) -> float:
    """Integral of the G-R density times the moment 10**(1.5 m + 9.05), by quadrature."""
    def integrand(m):
        return b * math.log(10) * 10 ** (a - b * m) * 10 ** (1.5 * m + 9.05)

    return integrate.quad(integrand, lo, hi, epsrel=1e-12)[0]


def balanced_a(a: float, b: float, lo: float, hi: float, new_b: float, new_hi: float) -> float:
    """The a-value with the same moment rate, found by root finding on the quadrature."""
    target = moment_rate(a, b, lo, hi)
    return optimize.brentq(lambda x: moment_rate(x, new_b, lo, new_hi) / target - 1,
                           a - 3, a + 3, xtol=1e-14)


def sources_of(tree_path: Path, samples: int = 0, **kw):
    """source models (list of dict trt -> sources), realizations, sm indices of a tree."""
    gsim_lt = GsimLogicTree.from_gsim("SadighEtAl1997")
    sms, rlzs, idx = build_source_model_inputs(job_params(tree_path, samples=samples, **kw),
                                               gsim_lt)
    return sms, rlzs, idx


def by_id(groups: dict) -> dict:
    return {s.source_id: s for sources in groups.values() for s in sources}


def mfd(source):
    return source.mfd.get_annual_occurrence_rates()


# --------------------------------------------------------------------------- modifications
def test_b_relative_keeps_the_moment_rate_and_follows_gutenberg_richter(tmp_path):
    tree = write_tree(tmp_path, branch_set("bGRRelative", "bs2", [
        ("bplus", "+0.1", 0.5), ("bzero", "0.0", 0.5)], applyToSources="P1"))
    sms, rlzs, idx = sources_of(tree)
    p1_plus = by_id(sms[idx[0]].groups)["P1"]
    a_new = balanced_a(3.0, 1.0, 5.0, 6.0, 1.1, 6.0)
    mags, rates = gr_rates(a_new, 1.1, 5.0, 6.0)
    got_mags, got_rates = mfd(p1_plus)
    np.testing.assert_allclose(got_mags, mags, rtol=0, atol=1e-9)
    np.testing.assert_allclose(got_rates, rates, rtol=1e-9)
    # every bin follows 10**(a' - b' m): the ratio of successive rates is 10**(-0.11)
    np.testing.assert_allclose(got_rates[1:] / got_rates[:-1], 10 ** (-1.1 * 0.1), rtol=1e-12)
    # a zero increment gives the original rates
    p1_zero = by_id(sms[idx[1]].groups)["P1"]
    np.testing.assert_allclose(mfd(p1_zero)[1], gr_rates(3.0, 1.0, 5.0, 6.0)[1], rtol=1e-12)
    # and the closed form agrees with the quadrature
    assert moment_balanced_a(3.0, 1.0, 5.0, 6.0, 1.1, 6.0) == pytest.approx(a_new, abs=1e-11)


def test_ab_absolute_sets_a_and_b(tmp_path):
    # one source per abGRAbsolute branch set (as OpenQuake requires): P1 of sm04, D1 of sm05
    tree = write_tree(
        tmp_path,
        branch_set("abGRAbsolute", "bs2", [("ab1", "3.5 0.9", 0.25), ("ab2", "2.5 1.2", 0.75)],
                   applyToSources="P1", applyToBranches="sm04"),
        branch_set("abGRAbsolute", "bs3", [("ab1d", "3.5 0.9", 0.25),
                                           ("ab2d", "2.5 1.2", 0.75)],
                   applyToSources="D1", applyToBranches="sm05"))
    sms, rlzs, idx = sources_of(tree)
    assert [r.branch_path for r in rlzs] == ["AA.~A", "AB.~A", "B.A~A", "B.B~A"]
    p1 = by_id(sms[idx[0]].groups)["P1"]
    np.testing.assert_allclose(mfd(p1)[1], gr_rates(3.5, 0.9, 5.0, 6.0)[1], rtol=1e-12)
    d1 = by_id(sms[idx[3]].groups)["D1"]
    np.testing.assert_allclose(mfd(d1)[1], gr_rates(2.5, 1.2, 5.0, 7.0)[1], rtol=1e-12)
    # the other source of the model is the same object in every path (shared, not copied)
    s1 = [by_id(sms[i].groups)["S1"] for i in idx[2:]]
    assert s1[0] is s1[1]


def test_max_mag_absolute_and_relative(tmp_path):
    tree = write_tree(
        tmp_path,
        branch_set("maxMagGRAbsolute", "bs2", [("m65", "6.5", 0.5), ("m58", "5.8", 0.5)],
                   applyToSources="P1"),
        branch_set("maxMagGRRelative", "bs3", [("up", "+0.2", 0.5), ("down", "-0.2", 0.5)],
                   applyToSources="P1"))
    sms, rlzs, idx = sources_of(tree)
    paths = [r.branch_path for r in rlzs if r.sm_branch.base_id == "sm04"]
    assert paths == ["AAA~A", "AAB~A", "ABA~A", "ABB~A"]
    # 6.5 then +0.2 (moment balanced from M 5-6.5, a = 3): M 5-6.7
    a_new = balanced_a(3.0, 1.0, 5.0, 6.5, 1.0, 6.7)
    got = mfd(by_id(sms[idx[0]].groups)["P1"])
    np.testing.assert_allclose(got[0], gr_rates(a_new, 1.0, 5.0, 6.7)[0], atol=1e-9)
    np.testing.assert_allclose(got[1], gr_rates(a_new, 1.0, 5.0, 6.7)[1], rtol=1e-9)
    assert got[0][-1] == pytest.approx(6.65)
    # 5.8 then -0.2: M 5-5.6, with a from the balance on M 5-5.8
    a_new = balanced_a(3.0, 1.0, 5.0, 5.8, 1.0, 5.6)
    got = mfd(by_id(sms[idx[3]].groups)["P1"])
    np.testing.assert_allclose(got[1], gr_rates(a_new, 1.0, 5.0, 5.6)[1], rtol=1e-9)
    # the relative change raises a when the maximum magnitude goes down
    assert a_new > 3.0


def test_incremental_mfd_absolute(tmp_path):
    model = ('<incrementalMFD minMag="5.15" binWidth="0.2">'
             "<occurRates>0.1 0.02</occurRates></incrementalMFD>")
    tree = write_tree(tmp_path, branch_set("incrementalMFDAbsolute", "bs2", [
        ("inc", model, 1.0)], applyToSources="A1"))
    sms, rlzs, idx = sources_of(tree)
    mags, rates = mfd(by_id(sms[idx[0]].groups)["A1"])
    np.testing.assert_allclose(mags, [5.15, 5.35])
    np.testing.assert_allclose(rates, [0.1, 0.02])
    # sources not named keep their MFD, and the model of the other branch is not touched
    np.testing.assert_allclose(mfd(by_id(sms[idx[0]].groups)["P1"])[1],
                               gr_rates(3.0, 1.0, 5.0, 6.0)[1], rtol=1e-12)


def test_filters_by_region_and_source_type(tmp_path):
    tree = write_tree(
        tmp_path,
        branch_set("bGRRelative", "bs2", [("b1", "0.2", 1.0)], applyToSourceType="point",
                   applyToTectonicRegionType="Active Crust"),
        branch_set("maxMagGRRelative", "bs3", [("m1", "-0.5", 1.0)], applyToSourceType="point",
                   applyToTectonicRegionType="Subduction Inslab"))
    sms, rlzs, idx = sources_of(tree)
    sm05 = by_id(sms[idx[1]].groups)
    # S1 (Active Crust): b + 0.2, M 5-6.5; D1 (Subduction Inslab point): M 5-6.5
    a_s1 = balanced_a(3.0, 1.0, 5.0, 6.5, 1.2, 6.5)
    np.testing.assert_allclose(mfd(sm05["S1"])[1], gr_rates(a_s1, 1.2, 5.0, 6.5)[1], rtol=1e-9)
    a_d1 = balanced_a(2.0, 0.9, 5.0, 7.0, 0.9, 6.5)
    np.testing.assert_allclose(mfd(sm05["D1"])[1], gr_rates(a_d1, 0.9, 5.0, 6.5)[1], rtol=1e-9)
    # P1 is Stable Crust: unchanged
    sm04 = by_id(sms[idx[0]].groups)
    np.testing.assert_allclose(mfd(sm04["P1"])[1], gr_rates(3.0, 1.0, 5.0, 6.0)[1], rtol=1e-12)


def test_shared_sources_are_never_mutated(tmp_path):
    tree = read_source_model_tree(write_tree(tmp_path, branch_set("bGRRelative", "bs2", [
        ("b1", "0.3", 0.5), ("b2", "-0.3", 0.5)], applyToSources="P1")))
    model = read_source_models(tree.branches[0].files, params=PARAMS, build=False)
    specs = model.sources
    built = [s.build() for s in specs]
    before = [mfd(s)[1].copy() for s in built]
    first, second = (apply_uncertainties(specs, built, p.uncertainties)
                     for p in tree.paths()[:2])
    assert first[0] is not built[0] and second[0] is not first[0]
    assert first[1] is built[1] and first[2] is built[2]
    for source, rates in zip(built, before, strict=True):
        np.testing.assert_array_equal(mfd(source)[1], rates)
    assert specs[0].mfd_attrib["bValue"] == "1.0"


# --------------------------------------------------------------------------- realizations
def test_realization_count_weights_and_apply_to_branches(tmp_path):
    tree_path = write_tree(
        tmp_path,
        branch_set("bGRRelative", "B", [("b1", "0.05", 0.25), ("b2", "0", 0.5),
                                        ("b3", "-0.05", 0.25)], applyToBranches="sm05"),
        branch_set("maxMagGRRelative", "C", [("c1", "0.2", 0.3), ("c2", "0", 0.7)],
                   applyToBranches="b1 b2"))
    tree = read_source_model_tree(tree_path)
    paths = tree.paths()
    assert [p.code for p in paths] == ["A..", "BAA", "BAB", "BBA", "BBB", "BC."]
    assert [p.branch_id for p in paths] == ["sm04", "sm05_b1_c1", "sm05_b1_c2", "sm05_b2_c1",
                                            "sm05_b2_c2", "sm05_b3"]
    expected = [0.6, 0.4 * 0.25 * 0.3, 0.4 * 0.25 * 0.7, 0.4 * 0.5 * 0.3, 0.4 * 0.5 * 0.7,
                0.4 * 0.25]
    np.testing.assert_allclose([p.weight for p in paths], expected, rtol=1e-15)
    assert math.fsum(p.weight for p in paths) == pytest.approx(1.0, abs=1e-15)
    # with two GSIM branches per region, each path has 2 realizations per region type used
    from toolkit.io.logictree import read_gsim_logic_tree

    gsim_lt = read_gsim_logic_tree(DATA / "gslt_three_trts.xml")
    trts = {"sm04": {"Stable Crust", "Active Crust"},
            "sm05": {"Subduction Inslab", "Active Crust"}}
    rlzs = enumerate_realizations(paths, gsim_lt, trts, validate=False)
    n_gsim = {"sm04": 3 * 1, "sm05": 3 * 2}
    assert len(rlzs) == sum(n_gsim[p.base_id] for p in paths)
    assert math.fsum(r.weight for r in rlzs) == pytest.approx(1.0, abs=1e-12)
    assert rlzs[3].branch_path == "BAA~AA"


def test_build_inputs_one_source_model_per_path(tmp_path):
    tree = write_tree(tmp_path, branch_set("bGRRelative", "bs2", [
        ("b1", "0.1", 0.5), ("b2", "-0.1", 0.5)], applyToSources="P1 S1"))
    sms, rlzs, idx = sources_of(tree)
    assert [sm.branch_id for sm in sms] == ["sm04_b1", "sm04_b2", "sm05_b1", "sm05_b2"]
    np.testing.assert_allclose([sm.weight for sm in sms], [0.3, 0.3, 0.2, 0.2])
    assert idx == [0, 1, 2, 3]
    assert list(sms[2].groups) == ["Subduction Inslab", "Active Crust"]


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("sets, match", [
    ([branch_set("bGRRelative", "bs2", [("b1", "0.1", 0.5), ("b2", "0", 0.4)])],
     r"line \d+: the weights of branch set 'bs2' sum to 0.9, not 1"),
    ([branch_set("bGRRelative", "bs2", [("ab", "0.1", 1.0)], applyToSources="P1 X9")],
     r"line \d+: bGRRelative branch set 'bs2': applyToSources names source\(s\) 'X9' that "
     r"are not in the source model\(s\) of branch\(es\) sm04, sm05"),
    ([branch_set("abGRAbsolute", "bs2", [("ab", "3 1", 1.0)], applyToSources="P1 P2")],
     r"line \d+: the abGRAbsolute branch set 'bs2' must name exactly one source in "
     r"applyToSources, got \['P1', 'P2'\]"),
    ([branch_set("bGRRelative", "bs2", [("b1", "0.1", 1.0)], applyToSources="A1")],
     r"cannot apply bGRRelative to source 'A1' \(.*sources_04.xml line 24, source 'A1'\): its "
     r"MFD is a <incrementalMFD>, bGRRelative modifies only <truncGutenbergRichterMFD>"),
    ([branch_set("maxMagGRRelative", "bs2", [("m", "0.1", 1.0)])],
     "cannot apply maxMagGRRelative to source 'A1'"),
    ([branch_set("incrementalMFDAbsolute", "bs2", [(
        "i", '<incrementalMFD minMag="5" binWidth="0.1"><occurRates>1</occurRates>'
        "</incrementalMFD>", 1.0)], applyToSources="P1")],
     "cannot apply incrementalMFDAbsolute to source 'P1'"),
    ([branch_set("maxMagGRAbsolute", "bs2", [("m", "4.5", 1.0)], applyToSources="P1")],
     r"branch 'm' \(.* line \d+\): the maximum magnitude of source 'P1' \(.*\) would be 4.5, "
     "not above its minMag 5"),
    ([branch_set("maxMagGRRelative", "bs2", [("m", "-1.5", 1.0)], applyToSources="S1")],
     "the maximum magnitude of source 'S1' .* would be 5, not above its minMag 5"),
])
def test_bad_uncertainties(tmp_path, sets, match):
    tree = write_tree(tmp_path, *sets)
    with pytest.raises(InputError, match=match) as info:
        sources_of(tree)
    assert str(tree) in str(info.value)


@pytest.mark.parametrize("sets, match", [
    ([branch_set("extendModel", "bs2", [("e", "extra.xml", 1.0)])],
     r"line 14: uncertainty type 'extendModel' is not supported yet in a source-model logic "
     "tree"),
    ([branch_set("abGRAbsolute", "bs2", [("ab", "3 1", 1.0)])],
     "line 14: the abGRAbsolute branch set 'bs2' needs applyToSources"),
    ([branch_set("abGRAbsolute", "bs2", [("ab", "3", 1.0)], applyToSources="P1")],
     r"line \d+: the abGRAbsolute value of branch 'ab' must be two numbers 'a b', got '3'"),
    ([branch_set("bGRRelative", "bs2", [("b", "plenty", 1.0)])],
     "the bGRRelative value of branch 'b' must be a number, got 'plenty'"),
    ([branch_set("bGRRelative", "bs2", [("b", "0.1", 1.0)], applyToBranches="nowhere")],
     "line 14: applyToBranches names branch.es. 'nowhere' that are not in an earlier branch "
     "set"),
    ([branch_set("sourceModel", "bs2", [("x", "sources_04.xml", 1.0)])],
     "line 14: a second sourceModel branch set"),
    ([branch_set("bGRRelative", "bs2", [("sm04", "0.1", 1.0)])],
     r"duplicate branchID 'sm04'"),
])
def test_bad_trees(tmp_path, sets, match):
    tree = write_tree(tmp_path, *sets)
    with pytest.raises(InputError, match=match) as info:
        read_source_model_tree(tree)
    assert str(info.value).startswith(str(tree))


def test_missing_file_in_a_tree_with_uncertainties(tmp_path):
    sm_set = SM_SET.replace("sources_05.xml", "sources_missing.xml")
    tree = write_tree(tmp_path, branch_set("bGRRelative", "bs2", [("b", "0.1", 1.0)]),
                      sm_set=sm_set)
    with pytest.raises(InputError, match=r"line \d+: branch 'sm05' refers to a missing "
                                         r"source-model file: .*sources_missing.xml"):
        read_source_model_logic_tree(tree)


def test_invalid_modified_mfd_names_the_source_and_the_branch(tmp_path):
    # maxMag 5.02 is above minMag 5 but less than one bin (0.1) above it
    tree = write_tree(tmp_path, branch_set("maxMagGRAbsolute", "bs2", [("m", "5.02", 1.0)],
                                           applyToSources="P1"))
    with pytest.raises(InputError, match=r"sources_04.xml line 6, source 'P1'.*maxMag.*\(the "
                                         r"source as modified by the logic tree: .*ssmLT.xml "
                                         r"line 14: maxMagGRAbsolute branch set 'bs2', branch "
                                         r"'m' \(.*line \d+\)\)"):
        sources_of(tree)


# --------------------------------------------------------------------------- end to end
class _Sink:
    def save(self, result):
        self.result = result


def _run_classical(job: Path):
    from toolkit.engine.hazard.calculators.classical import ClassicalCalculator
    from toolkit.io.inputs import build_inputs, load_job

    inputs = build_inputs(load_job(job, modes=["classical"]))
    return ClassicalCalculator(inputs, _Sink()).run()


def _job(folder: Path, tree: Path) -> Path:
    job = folder / "job.ini"
    job.write_text(f"""[general]
calculation_mode = classical
source_model_logic_tree_file = {tree.name}
gsim = SadighEtAl1997
sites = 10.5 45.3
reference_vs30_value = 760
investigation_time = 50
truncation_level = 3
maximum_distance = 200
width_of_mfd_bin = 0.1
area_source_discretization = 20
intensity_measure_types_and_levels = {{'PGA': [0.01, 0.05, 0.1, 0.3]}}
""")
    return job


def test_classical_path_equals_the_edited_source_model(tmp_path):
    sm_set = SM_SET.replace("0.6", "1.0").split("<logicTreeBranch branchID=\"sm05\">")[0] + (
        "</logicTreeBranchSet>")
    tree = write_tree(tmp_path, branch_set("bGRRelative", "bs2", [
        ("b1", "0.15", 0.3), ("b2", "0", 0.7)], applyToSources="P1"), sm_set=sm_set)
    result = _run_classical(_job(tmp_path, tree))
    assert [(i, p) for i, p, _ in result.realizations] == [(0, "AA~A"), (1, "AB~A")]
    np.testing.assert_allclose([w for _, _, w in result.realizations], [0.3, 0.7])
    curves = result.curves_rlzs[0]
    np.testing.assert_allclose(result.curves_stats["mean"][0],
                               0.3 * curves[0] + 0.7 * curves[1], rtol=1e-12)
    # the first path equals a source model whose file has the modified a- and b-values
    a_new = balanced_a(3.0, 1.0, 5.0, 6.0, 1.15, 6.0)
    text = (DATA / "sources_04.xml").read_text().replace(
        'aValue="3.0" bValue="1.0"', f'aValue="{a_new!r}" bValue="1.15"', 1)
    edited = tmp_path / "edited"
    edited.mkdir()
    (edited / "sources.xml").write_text(text)
    plain = write_tree(edited, sm_set=sm_set.replace(str(DATA / "sources_04.xml"),
                                                     "sources.xml"))
    reference = _run_classical(_job(edited, plain))
    assert not np.allclose(curves[0], curves[1], rtol=1e-3)  # the branch matters
    np.testing.assert_allclose(curves[0], reference.curves_rlzs[0, 0], rtol=1e-10)


def test_paths_whose_joined_ids_coincide_keep_their_own_sources(tmp_path):
    # "b" followed by "c" and a lone "b_c" both join to "..._b_c": the paths must still get
    # their own source models (the second path has no maxMag change)
    tree = write_tree(
        tmp_path,
        branch_set("bGRRelative", "bs2", [("b", "0.3", 0.5), ("b_c", "0.0", 0.5)],
                   applyToSources="P1"),
        branch_set("maxMagGRRelative", "bs3", [("c", "0.5", 1.0)], applyToSources="P1",
                   applyToBranches="b"))
    sms, rlzs, index = build_source_model_inputs(job_params(tree),
                                                 GsimLogicTree.from_gsim("SadighEtAl1997"))
    top = {}
    for rlz, i in zip(rlzs, index, strict=True):
        source = by_id(sms[i].groups).get("P1")
        if source is not None:
            top[rlz.branch_path] = source.mfd.get_annual_occurrence_rates()[0][-1]
    assert len(set(index)) == len(rlzs)
    assert top["AAA~A"] == pytest.approx(6.45) and top["AB.~A"] == pytest.approx(5.95)

