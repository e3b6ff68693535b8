"""Logic trees and realizations: OQ QA inputs read in place, test trees, bad inputs."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from types import SimpleNamespace

import pytest

from toolkit.engine.hazard.gsim.base import gsim_registry
from toolkit.errors import InputError, UnknownName
from toolkit.io.logictree import (
    GsimLogicTree,
    branch_code,
    enumerate_realizations,
    parse_gsim,
    read_gsim_logic_tree,
    read_source_model_logic_tree,
)
from toolkit.io.nrml import read_source_models

DATA = Path(__file__).parent / "data"
PARAMS = SimpleNamespace(rupture_mesh_spacing=5.0, area_source_discretization=10.0,
                         width_of_mfd_bin=0.1)


@pytest.fixture
def classical(shared_dir: Path) -> Path:
    return shared_dir / "reference" / "openquake" / "qa" / "classical"


def known(*names: str) -> bool:
    import toolkit.engine.hazard.gsim  # noqa: F401  (registers the built-in models)

    return all(name in gsim_registry for name in names)


# --------------------------------------------------------------------------- QA inputs
def test_case_01_trees(classical):
    branches = read_source_model_logic_tree(classical / "case_01" / "source_model_logic_tree.xml")
    assert len(branches) == 1
    b = branches[0]
    assert (b.branch_id, b.weight, b.code) == ("b11", 1.0, "A")
    assert b.files == [classical / "case_01" / "source_model.xml"]
    gsim_lt = read_gsim_logic_tree(classical / "case_01" / "gsim_logic_tree.xml")
    assert gsim_lt.trts == ["active shallow crust"]  # the exact (lower case) string
    (branch,) = gsim_lt.branch_sets["active shallow crust"].branches
    assert (branch.branch_id, branch.gsim_name, branch.kwargs, branch.weight) == (
        "b1", "SadighEtAl1997", {}, 1.0)


def test_case_01_job_wrong_logic_tree_is_a_source_model(classical):
    path = classical / "case_01" / "source_model.xml"
    with pytest.raises(InputError) as info:
        read_source_model_logic_tree(path)
    assert str(info.value).startswith(f"{path} is not a valid source_model_logic_tree_file: "
                                      "expected a <logicTree> element, found <sourceModel>")


def test_case_03_branch_with_two_files(classical):
    (b,) = read_source_model_logic_tree(classical / "case_03" / "source_model_logic_tree.xml")
    assert [f.name for f in b.files] == ["source_model.xml", "source_model_2.xml"]
    model = read_source_models(b.files, params=PARAMS, build=False)
    assert model.trts == ["Active Shallow Crust"]
    assert [s.source_id for s in model.sources] == ["1", "12"]
    gsim_lt = read_gsim_logic_tree(classical / "case_03" / "gmpe_logic_tree.xml")
    assert gsim_lt.trts == ["Active Shallow Crust"]  # NRML 0.4 tree without branching level


def test_case_04_nrml_05_gsim_tree(classical):
    gsim_lt = read_gsim_logic_tree(classical / "case_04" / "gslt.xml")
    (branch,) = gsim_lt.branches()
    assert (branch.branch_id, branch.gsim_name) == ("b_04_11", "BooreEtAl2014")
    (b,) = read_source_model_logic_tree(classical / "case_04" / "smlt.xml")
    assert b.branch_id == "fs_SRL_ML"


def test_case_05_realizations_match_openquake_export(classical, shared_dir):
    sm = read_source_model_logic_tree(classical / "case_05" / "smlt.xml")
    gsim_lt = read_gsim_logic_tree(classical / "case_05" / "gmpe_logic_tree_MPS19.xml")
    assert gsim_lt.trts == ["Active Shallow Crust", "Volcanic Shallow", "Volcanic Deep",
                            "Subduction Inslab"]
    weights = {bs.trt: [b.weight for b in bs.branches] for bs in gsim_lt.branch_sets.values()}
    assert weights["Active Shallow Crust"] == [0.45, 0.32, 0.23]
    # the only source model has sources of one region only: the other sets are ignored
    rlzs = enumerate_realizations(sm, gsim_lt, {"MA1br1": {"Volcanic Shallow"}},
                                  validate=False)
    export = shared_dir / "reference" / "openquake" / "cli-exports" / "calc_3"
    with open(export / "realizations_3.csv", newline="") as f:
        rows = list(csv.reader(f))[2:]
    assert [(str(r.index), r.branch_path) for r in rlzs] == [(a, b) for a, b, _ in rows]
    assert [r.weight for r in rlzs] == [float(w) for _, _, w in rows]
    assert [r.gsim_by_trt for r in rlzs] == [
        {"Volcanic Shallow": ("TL16s", "TusaLanger2016RepiSP87SE", {})},
        {"Volcanic Shallow": ("FeA10", "FaccioliEtAl2010", {})},
    ]
    assert rlzs[0].sm_branch is sm[0]


def test_case_05_unknown_gsims_are_reported_when_used(classical):
    if known("BindiEtAl2011", "TusaLanger2016RepiSP87SE"):
        pytest.skip("the case 5 GSIMs are implemented now")
    path = classical / "case_05" / "gmpe_logic_tree_MPS19.xml"
    gsim_lt = read_gsim_logic_tree(path)  # reading does not need the models
    with pytest.raises(UnknownName) as info:
        gsim_lt.validate()
    assert str(info.value).startswith(
        f"{path} line 9, branch 'BeA11': unknown GSIM 'BindiEtAl2011'")
    sm = read_source_model_logic_tree(path.parent / "smlt.xml")
    with pytest.raises(UnknownName, match=rf"{path} line 25, branch 'TL16s': unknown GSIM "
                                          "'TusaLanger2016RepiSP87SE'"):
        enumerate_realizations(sm, gsim_lt, {"MA1br1": {"Volcanic Shallow"}})


def test_validate_known_gsims(classical):
    if not known("SadighEtAl1997", "BooreEtAl2014"):
        pytest.skip("SadighEtAl1997 / BooreEtAl2014 not registered")
    read_gsim_logic_tree(classical / "case_01" / "gsim_logic_tree.xml").validate()
    gsim_lt = read_gsim_logic_tree(classical / "case_04" / "gslt.xml")
    gsim = gsim_lt.branches()[0].instantiate()
    assert type(gsim).__name__ == "BooreEtAl2014"


# --------------------------------------------------------------------------- enumeration
def test_enumeration_order_weights_and_paths():
    if not known("SadighEtAl1997", "BooreEtAl2014", "BooreAtkinson2008"):
        pytest.skip("test GSIMs not registered")
    sm = read_source_model_logic_tree(DATA / "smlt_two.xml")
    assert [(b.branch_id, b.code, b.weight) for b in sm] == [("sm_groups", "A", 0.6),
                                                              ("sm_three", "B", 0.4)]
    models = {b.branch_id: read_source_models(b.files, params=PARAMS, build=False) for b in sm}
    trts = {bid: set(m.trts) for bid, m in models.items()}
    assert trts == {"sm_groups": {"Subduction Inslab", "Active Crust"},
                    "sm_three": {"Stable Crust", "Active Crust"}}
    gsim_lt = read_gsim_logic_tree(DATA / "gslt_three_trts.xml")
    rlzs = enumerate_realizations(sm, gsim_lt, trts)
    # source-model branch outer; GSIM branch sets in file order, first set varying slowest
    assert [r.branch_path for r in rlzs] == ["A~AA", "A~AB", "A~BA", "A~BB", "A~CA", "A~CB",
                                             "B~AA", "B~BA", "B~CA"]
    assert [r.index for r in rlzs] == list(range(9))
    expected = [0.6 * a * s for a in (0.5, 0.3, 0.2) for s in (0.75, 0.25)] + [
        0.4 * a for a in (0.5, 0.3, 0.2)]
    assert [r.weight for r in rlzs] == pytest.approx(expected, rel=1e-15)
    assert math.fsum(r.weight for r in rlzs) == pytest.approx(1.0, abs=1e-15)
    assert rlzs[1].gsim_by_trt == {"Active Crust": ("act1", "BooreEtAl2014", {}),
                                   "Subduction Inslab": ("sub2", "BooreAtkinson2008", {})}
    assert rlzs[8].gsim_by_trt == {"Active Crust": ("act3", "SadighEtAl1997", {}),
                                   "Stable Crust": ("st1", "SadighEtAl1997", {})}
    assert all(r.sm_branch.branch_id == "sm_three" for r in rlzs[6:])


def test_single_gsim_for_every_region():
    sm = read_source_model_logic_tree(DATA / "smlt_two.xml")
    gsim_lt = GsimLogicTree.from_gsim("SadighEtAl1997", where="job.ini line 3")
    rlzs = enumerate_realizations(
        sm, gsim_lt, {"sm_groups": {"X", "Y"}, "sm_three": {"Z"}}, validate=False)
    assert [(r.branch_path, r.weight) for r in rlzs] == [("A~A", 0.6), ("B~A", 0.4)]
    assert rlzs[0].gsim_by_trt == {"X": ("b1", "SadighEtAl1997", {}),
                                   "Y": ("b1", "SadighEtAl1997", {})}


def test_region_without_gsim_branch_set():
    sm = read_source_model_logic_tree(DATA / "smlt_two.xml")
    gsim_lt = read_gsim_logic_tree(DATA / "gslt_three_trts.xml")
    with pytest.raises(InputError) as info:
        enumerate_realizations(sm, gsim_lt, {"sm_groups": {"active crust"}, "sm_three": set()},
                               validate=False)
    message = str(info.value)
    assert message.startswith(f"{DATA / 'gslt_three_trts.xml'}: no GSIM branch set for the "
                              "tectonic region type 'active crust'")
    assert "'Active Crust'" in message and "case included" in message


def test_branch_without_sources():
    sm = read_source_model_logic_tree(DATA / "smlt_two.xml")
    gsim_lt = GsimLogicTree.from_gsim("SadighEtAl1997")
    with pytest.raises(InputError, match="source-model branch 'sm_three' .* has no sources"):
        enumerate_realizations(sm, gsim_lt, {"sm_groups": {"X"}}, validate=False)


def test_branch_codes():
    assert [branch_code(i) for i in (0, 1, 25, 26, 61)] == ["A", "B", "Z", "a", "9"]
    assert branch_code(62) == "\u00c0"


# --------------------------------------------------------------------------- GSIM syntax
def test_toml_gsim_form(tmp_path):
    text = (DATA / "gslt_three_trts.xml").read_text().replace(
        "<uncertaintyModel>[SadighEtAl1997]</uncertaintyModel>",
        '<uncertaintyModel>\n  [GMPETable]\n  gmpe_table = "tables/x.hdf5"\n'
        "  scale = 1.5\n</uncertaintyModel>")
    path = tmp_path / "gslt.xml"
    path.write_text(text)
    branch = read_gsim_logic_tree(path).branch_sets["Stable Crust"].branches[0]
    assert branch.gsim_name == "GMPETable"
    # file parameters are relative to the logic tree's folder, as in OpenQuake
    assert branch.kwargs == {"gmpe_table": str((tmp_path / "tables" / "x.hdf5").resolve()),
                             "scale": 1.5}
    absolute = str(tmp_path / "elsewhere.hdf5")
    path.write_text(text.replace('"tables/x.hdf5"', f'"{absolute}"'))
    branch = read_gsim_logic_tree(path).branch_sets["Stable Crust"].branches[0]
    assert branch.kwargs["gmpe_table"] == absolute
    assert parse_gsim("[SadighEtAl1997]", "x") == ("SadighEtAl1997", {})
    assert parse_gsim(" BooreEtAl2014 ", "x") == ("BooreEtAl2014", {})
    with pytest.raises(InputError, match="x: invalid GSIM 'Boore EtAl'"):
        parse_gsim("Boore EtAl", "x")
    with pytest.raises(InputError, match="x: invalid GSIM specification"):
        parse_gsim("[A]\nb = = 1", "x")
    with pytest.raises(InputError, match="single table"):
        parse_gsim("[A]\n[B]", "x")


def test_from_gsim_toml():
    gsim_lt = GsimLogicTree.from_gsim("[GMPETable]\ngmpe_table = 'a.hdf5'")
    assert gsim_lt.branch_sets["*"].branches[0].gsim == ("b1", "GMPETable",
                                                         {"gmpe_table": "a.hdf5"})
    assert gsim_lt.branch_set("Any Region") is gsim_lt.branch_sets["*"]


# --------------------------------------------------------------------------- bad inputs
def edit(tmp_path: Path, source: str, old: str, new: str) -> Path:
    text = (DATA / source).read_text()
    assert old in text
    path = tmp_path / source
    path.write_text(text.replace(old, new, 1))
    for name in ("sources_04.xml", "sources_05.xml"):
        (tmp_path / name).write_text((DATA / name).read_text())
    return path


def test_weights_not_summing_to_one(tmp_path):
    path = edit(tmp_path, "gslt_three_trts.xml", "<uncertaintyWeight>0.25</",
                "<uncertaintyWeight>0.2</")
    with pytest.raises(InputError) as info:
        read_gsim_logic_tree(path)
    assert str(info.value) == (f"{path} line 23: the weights of branch set 'bs_sub' sum to "
                               "0.95, not 1")
    path = edit(tmp_path, "smlt_two.xml", "<uncertaintyWeight>0.4</", "<uncertaintyWeight>0.5</")
    with pytest.raises(InputError, match=r"line 5: the weights of branch set 'bs1' sum to 1.1"):
        read_source_model_logic_tree(path)


def test_missing_source_model_file(tmp_path):
    path = edit(tmp_path, "smlt_two.xml", "sources_04.xml", "sources_04.xml missing.xml")
    with pytest.raises(InputError) as info:
        read_source_model_logic_tree(path)
    assert str(info.value) == (f"{path} line 11: branch 'sm_three' refers to a missing "
                               f"source-model file: {tmp_path / 'missing.xml'}")


def test_unsupported_uncertainty_type(tmp_path):
    path = edit(tmp_path, "smlt_two.xml", "  </logicTree>", """\
    <logicTreeBranchSet uncertaintyType="extendModel" branchSetID="bs2">
      <logicTreeBranch branchID="ab1">
        <uncertaintyModel>extra.xml</uncertaintyModel>
        <uncertaintyWeight>1</uncertaintyWeight>
      </logicTreeBranch>
    </logicTreeBranchSet>
  </logicTree>""")
    with pytest.raises(InputError, match=r"line 15: uncertainty type 'extendModel' is not "
                                         "supported yet"):
        read_source_model_logic_tree(path)
    path = edit(tmp_path, "gslt_three_trts.xml", 'uncertaintyType="gmpeModel" branchSetID="bs_sub"',
                'uncertaintyType="gmpeWeights" branchSetID="bs_sub"')
    with pytest.raises(InputError, match=r"line 23: uncertainty type 'gmpeWeights' is not "
                                         "supported in a GSIM logic tree"):
        read_gsim_logic_tree(path)


@pytest.mark.parametrize("old, new, match", [
    ('applyToTectonicRegionType="Stable Crust"', 'applyToTectonicRegionType="Active Crust"',
     r"line 36: a second branch set for the tectonic region type 'Active Crust' \(the first is "
     r"at .* line 6\)"),
    ('applyToTectonicRegionType="Stable Crust"', "",
     "line 36: the gmpeModel branch set lacks applyToTectonicRegionType"),
    ('branchID="act3"', 'branchID="act1"', r"line 16: duplicate branchID 'act1' \(first at"),
    ("<uncertaintyWeight>0.3</", "<uncertaintyWeight>heavy</",
     "line 14: the weight of branch 'act2' must be a number, got 'heavy'"),
    ("<uncertaintyWeight>0.3</", "<uncertaintyWeight>-0.3</", r"must be in \[0, 1\]"),
    ("<uncertaintyModel>[SadighEtAl1997]</uncertaintyModel>",
     '<uncertaintyModel scale="2">[SadighEtAl1997]\nscale = 1.5</uncertaintyModel>',
     "line 39, branch 'st1': the GSIM parameter 'scale' is given twice"),
    ("<uncertaintyWeight>0.3</uncertaintyWeight>",
     '<uncertaintyWeight imt="PGA">0.3</uncertaintyWeight>',
     "line 14: weights per IMT are not supported yet"),
    ("<uncertaintyModel>BooreAtkinson2008</uncertaintyModel>", "",
     r"line 12, branch 'act2': <logicTreeBranch> has no <uncertaintyModel>"),
])
def test_invalid_gsim_trees(tmp_path, old, new, match):
    path = edit(tmp_path, "gslt_three_trts.xml", old, new)
    with pytest.raises(InputError, match=match) as info:
        read_gsim_logic_tree(path)
    assert str(info.value).startswith(str(path))


def test_branch_ids_repeat_across_gsim_branch_sets(tmp_path):
    """As OpenQuake 3.26: a GSIM branch id must be unique in its branch set only."""
    path = edit(tmp_path, "gslt_three_trts.xml", 'branchID="sub2"', 'branchID="act1"')
    tree = read_gsim_logic_tree(path)
    assert [b.branch_id for b in tree.branch_sets["Subduction Inslab"].branches] == [
        "sub1", "act1"]
    assert [b.code for b in tree.branch_sets["Subduction Inslab"].branches] == ["A", "B"]
    rlzs = enumerate_realizations(
        [_sm_branch()], tree, {"b1": {"Active Crust", "Subduction Inslab"}},
        validate=False)
    # realizations are named by branch positions: the repeated id changes nothing
    assert [r.branch_path for r in rlzs] == ["A~AA", "A~AB", "A~BA", "A~BB", "A~CA", "A~CB"]
    assert rlzs[1].gsim_by_trt["Subduction Inslab"] == ("act1", "BooreAtkinson2008", {})


def test_source_model_branch_ids_unique_in_the_whole_tree(tmp_path):
    path = edit(tmp_path, "smlt_two.xml", 'branchID="sm_three"', 'branchID="sm_groups"')
    with pytest.raises(InputError, match=r"line 10: duplicate branchID 'sm_groups' \(first at"):
        read_source_model_logic_tree(path)


def _sm_branch():
    from toolkit.io.logictree import SourceModelBranch

    return SourceModelBranch("b1", [Path("sm.xml")], 1.0, "A")


def test_uncertainty_model_attributes_are_gsim_parameters(tmp_path):
    """``<uncertaintyModel submodel="high" ordinal="1">`` -> GSIM keyword arguments, typed as
    OpenQuake 3.26 passes them (numbers and booleans parsed, other text kept)."""
    path = edit(tmp_path, "gslt_three_trts.xml",
                "<uncertaintyModel>[SadighEtAl1997]</uncertaintyModel>",
                '<uncertaintyModel submodel="high" ordinal="1" scale="0.5" flag="true" '
                'code="01">[SadighEtAl1997]\nother = 3</uncertaintyModel>')
    branch = read_gsim_logic_tree(path).branch_sets["Stable Crust"].branches[0]
    assert branch.gsim_name == "SadighEtAl1997"
    assert branch.kwargs == {"other": 3, "submodel": "high", "ordinal": 1, "scale": 0.5,
                             "flag": True, "code": "01"}
    # a GSIM that does not take the parameter is refused when instantiated, naming the branch
    with pytest.raises(InputError, match=r"line 39, branch 'st1': GSIM SadighEtAl1997 with "
                                         r"parameters"):
        branch.instantiate()


def test_logic_tree_without_namespace(tmp_path):
    """A bare ``<nrml>`` root (no namespace) is read for logic trees, as OpenQuake does."""
    text = (DATA / "gslt_three_trts.xml").read_text().replace(
        '<nrml xmlns="http://openquake.org/xmlns/nrml/0.4">', "<nrml>")
    path = tmp_path / "gslt.xml"
    path.write_text(text)
    tree = read_gsim_logic_tree(path)
    assert list(tree.branch_sets) == ["Active Crust", "Subduction Inslab", "Stable Crust"]
    path.write_text(text.replace("<nrml>", '<nrml xmlns="http://example.com/nrml">'))
    with pytest.raises(InputError, match="unknown NRML namespace 'http://example.com/nrml'"):
        read_gsim_logic_tree(path)
    path.write_text("<nrml/>")
    with pytest.raises(InputError, match="line 1: the <nrml> element is empty"):
        read_gsim_logic_tree(path)
    # OpenQuake's one tree per site label (site_labels) is refused, not silently cut
    second = text.replace("</logicTree>", '</logicTree>\n  <logicTree logicTreeID="Cascadia">'
                          "</logicTree>")
    path.write_text(second)
    with pytest.raises(InputError, match=r"line 45: a second <logicTree> in the logic-tree "
                                         r"file \(logicTreeID 'Cascadia'\).*site_labels"):
        read_gsim_logic_tree(path)
    path.write_text(second.replace("<nrml>", '<nrml xmlns="http://openquake.org/xmlns/nrml/'
                                   '0.4">'))
    with pytest.raises(InputError, match="a second <logicTree>"):
        read_gsim_logic_tree(path)
    path.write_text("<nrml><sourceModel/></nrml>")
    with pytest.raises(InputError, match="expected a <logicTree> element, found <sourceModel>"):
        read_gsim_logic_tree(path)


def test_first_branch_set_must_be_source_models(tmp_path):
    path = edit(tmp_path, "smlt_two.xml", 'uncertaintyType="sourceModel"',
                'uncertaintyType="gmpeModel"')
    with pytest.raises(InputError, match="must have uncertaintyType='sourceModel', got "
                                         "'gmpeModel'"):
        read_source_model_logic_tree(path)


def test_malformed_logic_tree(tmp_path):
    path = edit(tmp_path, "smlt_two.xml", "</uncertaintyWeight>", "</uncertaintyWeigh>")
    with pytest.raises(InputError, match=rf"{path} line 8: malformed XML \(mismatched tag"):
        read_source_model_logic_tree(path)


@pytest.mark.parametrize("case, gsim", [("case_01", "SadighEtAl1997"),
                                        ("case_03", "BooreAtkinson2008"),
                                        ("case_04", "BooreEtAl2014")])
def test_job_to_realizations(classical, case, gsim):
    """The whole input chain of a QA case, with engine sources and GSIMs."""
    import warnings

    from toolkit.io import read_job_ini, read_sites

    if not known(gsim):
        pytest.skip(f"{gsim} not registered")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # case_01's intentional misspelling
        params = read_job_ini(classical / case / "job.ini")
    assert len(read_sites(params)) >= 1
    sm = read_source_model_logic_tree(params.source_model_logic_tree_file)
    models = {b.branch_id: read_source_models(b.files, params=params) for b in sm}
    gsim_lt = read_gsim_logic_tree(params.gsim_logic_tree_file)
    rlzs = enumerate_realizations(sm, gsim_lt, {k: set(m.trts) for k, m in models.items()})
    assert [(r.branch_path, r.weight) for r in rlzs] == [("A~A", 1.0)]
    (trt,) = rlzs[0].gsim_by_trt
    assert rlzs[0].gsim_by_trt[trt][1] == gsim
    assert all(hasattr(src, "iter_ruptures") for m in models.values() for src in m.sources)
