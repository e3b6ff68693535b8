"""NRML source models: the OQ QA models read in place, test snippets, and bad inputs."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from toolkit.errors import InputError
from toolkit.io.nrml import (
    SourceSpec,
    parse_source_model,
    parse_xml,
    read_nrml,
    read_source_model,
    read_source_models,
)

DATA = Path(__file__).parent / "data"
PARAMS = SimpleNamespace(rupture_mesh_spacing=2.0, area_source_discretization=10.0,
                         width_of_mfd_bin=0.1)

HAS_ENGINE_SOURCES = all(
    importlib.util.find_spec(name) is not None
    for name in ("toolkit.engine.hazard.mfd", "toolkit.engine.hazard.msr")
) and hasattr(__import__("toolkit.engine.hazard.sources", fromlist=["x"]), "PointSource")
needs_engine = pytest.mark.skipif(not HAS_ENGINE_SOURCES,
                                  reason="engine sources/msr/mfd not available yet")


@pytest.fixture
def classical(shared_dir: Path) -> Path:
    return shared_dir / "reference" / "openquake" / "qa" / "classical"


# --------------------------------------------------------------------------- XML layer
def test_parse_xml_records_lines_and_namespaces(classical):
    path = classical / "case_01" / "source_model.xml"
    root = parse_xml(path)
    assert root.tag == "nrml" and root.ns == "http://openquake.org/xmlns/nrml/0.4"
    source = next(root.iter("pointSource"))
    assert source.line == 9 and source.where == f"{path} line 9"
    pos = next(source.iter("pos"))
    assert pos.ns == "http://www.opengis.net/gml" and pos.line == 16
    assert pos.value == "0.0000000E+00 0.0000000E+00"
    content, version = read_nrml(path)
    assert content.tag == "sourceModel" and version == "0.4"


def test_malformed_xml_reports_line(tmp_path):
    text = (DATA / "sources_04.xml").read_text().replace("</magScaleRel>", "</magScale>", 1)
    path = tmp_path / "bad.xml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        parse_xml(path)
    assert str(info.value).startswith(f"{path} line 12: malformed XML (mismatched tag")


def test_not_nrml(tmp_path):
    path = tmp_path / "x.xml"
    path.write_text("<root/>")
    with pytest.raises(InputError, match=r"x.xml line 1: not an NRML file: the root element "
                                         r"is <root>"):
        read_nrml(path)
    path.write_text('<nrml xmlns="http://example.com/nrml/9"><sourceModel/></nrml>')
    with pytest.raises(InputError, match="unknown NRML namespace"):
        read_nrml(path)
    with pytest.raises(InputError, match="file not found"):
        parse_xml(tmp_path / "missing.xml")


# --------------------------------------------------------------------------- OQ QA models
def test_case_01_point_source(classical):
    path = classical / "case_01" / "source_model.xml"
    model = parse_source_model(path, params=PARAMS)
    assert model.name == "Classical Hazard QA Test, Case 1 source model"
    assert model.trts == ["active shallow crust"] and len(model) == 1
    spec = model.sources[0]
    assert isinstance(spec, SourceSpec)
    assert (spec.kind, spec.source_id, spec.name) == ("pointSource", "1", "point source")
    assert spec.where == f"{path} line 9, source '1'"
    assert spec.msr == "CScalingMSR.C = 3.90"
    assert spec.mfd_tag == "incrementalMFD"
    assert spec.mfd_attrib == {"binWidth": "1.0000000E+00", "minMag": "4.0000000E+00"}
    assert spec.mfd_values == {"occurRates": [1.0]}
    assert spec.bin_width == 0.1
    kw = spec.kwargs
    assert (kw["lon"], kw["lat"]) == (0.0, 0.0)
    assert (kw["upper_seismogenic_depth"], kw["lower_seismogenic_depth"]) == (0.0, 10.0)
    assert kw["rupture_aspect_ratio"] == 1.0 and kw["rupture_mesh_spacing"] == 2.0
    assert kw["nodal_planes"] == [(0.25, 144.0, 87.0, -179.0), (0.25, 144.0, 87.0, -179.0),
                                  (0.5, 0.0, 90.0, 0.0)]
    assert kw["hypo_depths"] == [(1.0, 4.0)]


def test_case_03_area_sources_in_two_files(classical):
    files = [classical / "case_03" / name for name in ("source_model.xml", "source_model_2.xml")]
    model = read_source_models(files, params=PARAMS, build=False)
    assert [s.source_id for s in model.sources] == ["1", "12"]
    assert model.trts == ["Active Shallow Crust"] and model.paths == files
    spec = model.sources[0]
    assert spec.kind == "areaSource"
    np.testing.assert_array_equal(spec.kwargs["polygon"],
                                  [[-0.5, -0.5], [-0.3, -0.1], [0.1, 0.2], [0.3, -0.8]])
    assert spec.kwargs["area_discretization"] == 10.0
    assert spec.mfd_tag == "truncGutenbergRichterMFD" and spec.mfd_values == {}
    assert spec.mfd_attrib["maxMag"] == "6.5000000E+00"
    assert model.sources[1].mfd_attrib["maxMag"] == "5.5000000E+00"


def test_case_04_simple_fault(classical):
    model = parse_source_model(classical / "case_04" / "sm.xml", params=PARAMS)
    spec = model.sources[0]
    assert (spec.kind, spec.source_id, spec.trt) == ("simpleFaultSource", "MACF004",
                                                      "Shallow Default")
    kw = spec.kwargs
    assert kw["trace"].shape == (13, 2)
    # written -3.758969 35.525409 ... -4.109161 35.063832: read with 5 decimals, as OpenQuake
    np.testing.assert_array_equal(kw["trace"][0], [-3.75897, 35.52541])
    np.testing.assert_array_equal(kw["trace"][-1], [-4.10916, 35.06383])
    assert (kw["dip"], kw["rake"]) == (70.0, -5.0)
    assert (kw["upper_seismogenic_depth"], kw["lower_seismogenic_depth"]) == (3.0, 14.0)
    assert kw["rupture_aspect_ratio"] == 2.13 and kw["area_variability"] is None
    assert spec.msr == "Leonard2014_Interplate"


def test_case_05_nrml_05_group(classical):
    model = parse_source_model(classical / "case_05" / "MA1_br1.xml", params=PARAMS)
    assert model.name == "br1_IR_M1stor"
    assert len(model.groups) == 1 and model.trts == ["Volcanic Shallow"]
    kinds = [s.kind for s in model.sources]
    assert kinds == ["pointSource"] * 8 + ["simpleFaultSource"] * 4
    assert all(s.trt == "Volcanic Shallow" for s in model.sources)
    assert model.sources[0].kwargs["hypo_depths"] == [(1.0, 1.33)]


# --------------------------------------------------------------------------- test snippets
def test_three_source_types_nrml_04():
    model = parse_source_model(DATA / "sources_04.xml", params=PARAMS)
    assert model.trts == ["Stable Crust", "Active Crust"]
    assert [len(g.sources) for g in model.groups] == [1, 2]
    assert [s.source_id for s in model.by_trt()["Active Crust"]] == ["A1", "F1"]
    point, area, fault = model.sources
    assert point.kwargs["nodal_planes"] == [(0.3, 0.0, 90.0, 0.0), (0.7, 45.0, 60.0, -90.0)]
    assert point.kwargs["hypo_depths"] == [(0.5, 5.0), (0.5, 10.0)]
    # the closed ring loses its repeated last vertex
    np.testing.assert_array_equal(area.kwargs["polygon"],
                                  [[10, 45], [11, 45], [11, 46], [10, 46]])
    assert area.mfd_values == {"occurRates": [0.01, 0.005, 0.001]}
    assert fault.mfd_values == {"occurRates": [0.002, 0.001], "magnitudes": [6.0, 6.5]}
    assert fault.kwargs["area_variability"] == (0.25, 2.0, 11)
    assert fault.kwargs["rake"] == 90.0


def test_groups_nrml_05():
    model = parse_source_model(DATA / "sources_05.xml", params=PARAMS)
    assert model.trts == ["Subduction Inslab", "Active Crust"]
    assert [s.trt for s in model.sources] == ["Subduction Inslab", "Active Crust"]


def test_defaults_without_params():
    spec = parse_source_model(DATA / "sources_05.xml").sources[0]
    assert spec.kwargs["rupture_mesh_spacing"] == 5.0 and spec.bin_width is None


# --------------------------------------------------------------------------- bad inputs
def edit(tmp_path: Path, old: str, new: str, source: str = "sources_04.xml") -> Path:
    text = (DATA / source).read_text()
    assert old in text
    path = tmp_path / source
    path.write_text(text.replace(old, new, 1))
    return path


def test_unknown_source_type(tmp_path):
    path = edit(tmp_path, '<pointSource id="P1"', '<kiteFaultSource id="P1"')
    path.write_text(path.read_text().replace("</pointSource>", "</kiteFaultSource>", 1))
    with pytest.raises(InputError) as info:
        parse_source_model(path, params=PARAMS)
    assert str(info.value).startswith(
        f"source type kiteFaultSource ({path} line 6) is not supported yet")
    assert "complexFaultSource" in str(info.value)  # among the supported ones


def test_non_poisson_temporal_occurrence_model_is_refused(tmp_path):
    # a negative binomial model needs a NRML 0.5 <sourceGroup> (toolkit.io.nrml_groups)
    path = edit(tmp_path, '<pointSource id="P1"',
                '<pointSource tom="NegativeBinomialTOM" mu="0.1" alpha="2.0" id="P1"')
    with pytest.raises(InputError, match=r"line 6: a source with tom='NegativeBinomialTOM' "
                                         r"must be inside a <sourceGroup>"):
        parse_source_model(path, params=PARAMS)
    path = edit(tmp_path, '<pointSource id="P1"', '<pointSource tom="WeibullTOM" id="P1"')
    with pytest.raises(InputError, match=r"line 6: temporal occurrence model "
                                         r"tom='WeibullTOM' is not supported yet"):
        parse_source_model(path, params=PARAMS)


def test_explicit_poisson_temporal_occurrence_model_is_accepted(tmp_path):
    path = edit(tmp_path, '<pointSource id="P1"', '<pointSource tom="PoissonTOM" id="P1"')
    assert parse_source_model(path, params=PARAMS)


def test_unexpected_element(tmp_path):
    path = edit(tmp_path, "<pointSource id", "<note/><pointSource id")
    with pytest.raises(InputError, match="line 6: unexpected element <note>"):
        parse_source_model(path, params=PARAMS)


def test_duplicate_source_id(tmp_path):
    path = edit(tmp_path, 'areaSource id="A1"', 'areaSource id="P1"')
    with pytest.raises(InputError, match=rf"{path} line 24, source 'P1': duplicate source id "
                                         rf"'P1' \(first defined at {path} line 6\)"):
        parse_source_model(path, params=PARAMS)


def test_duplicate_source_id_across_files(classical):
    file = classical / "case_01" / "source_model.xml"
    with pytest.raises(InputError, match="duplicate source id '1'"):
        read_source_models([file, file], params=PARAMS, build=False)


@pytest.mark.parametrize("old, new, match", [
    ('probability="0.7" strike="45"', 'probability="0.6" strike="45"',
     r"line 15, source 'P1': the probabilities of <nodalPlaneDist> sum to 0.9, not 1"),
    ('<hypoDepth probability="0.5" depth="10"/>', '<hypoDepth probability="0.4" depth="10"/>',
     r"line 19, source 'P1': the probabilities of <hypoDepthDist> sum to 0.9, not 1"),
    ('depth="10"/>', 'depth="25"/>', r"line 21, source 'P1': hypocentral depth 25 km is "
                                     r"outside the seismogenic layer \[2, 20\] km"),
    ('depth="10"/>', 'depth="10" fixedDipFrac="1.5"/>',
     r"line 21, source 'P1': fixedDipFrac must be in \[0, 1\], got 1.5"),
    ('dip="60" rake="-90"', 'dip="0" rake="-90"', r"line 17, source 'P1': dip must be in "
                                                  r"\(0, 90\], got 0"),
    ('rake="-90"', 'rake="-200"', r"line 17, source 'P1': rake must be in \[-180, 180\]"),
    ('strike="45"', 'strike="east"', r"line 17, source 'P1': strike must be a number, got "
                                     r"'east'"),
    ("<lowerSeismoDepth>20.0", "<lowerSeismoDepth>1.0",
     r"line 10, source 'P1': lowerSeismoDepth \(1 km\) must be greater than upperSeismoDepth"),
    ("<magScaleRel>WC1994</magScaleRel>\n      <ruptAspectRatio>1.5",
     "<ruptAspectRatio>1.5", r"line 6, source 'P1': <pointSource> has no <magScaleRel>"),
    ("<ruptAspectRatio>1.5", "<ruptAspectRatio>-1",
     r"line 13, source 'P1': ruptAspectRatio must be in \(0, inf\]"),
    ("<gml:pos>10.5 45.25</gml:pos>", "<gml:pos>10.5</gml:pos>",
     r"line 8, source 'P1': the point must be given as longitude/latitude pairs"),
    ("<gml:pos>10.5 45.25</gml:pos>", "<gml:pos>10.5 95</gml:pos>",
     r"line 8, source 'P1': point point \(10.5, 95\) is out of range"),
    ('name="point" tectonicRegion="Stable Crust"', 'name="point"',
     r"line 6, source 'P1': the source has no tectonicRegion attribute"),
    ('<truncGutenbergRichterMFD aValue="3.0" bValue="1.0" minMag="5.0" maxMag="6.0"/>', "",
     r"line 6, source 'P1': a source needs exactly one magnitude-frequency distribution"),
    ("10.0 45.0 11.0 45.0 11.0 46.0 10.0 46.0 10.0 45.0", "10.0 45.0 11.0 45.0",
     r"line 27, source 'A1': a polygon needs at least 3 vertices, got 2"),
    ("<occurRates>0.01 0.005 0.001</occurRates>", "<occurRates>0.01 x</occurRates>",
     r"line 35, source 'A1': occurRates must be a number, got 'x'"),
    ("10.0 45.0 10.2 45.1 10.4 45.15", "10.0 45.0",
     r"line 46, source 'F1': a fault trace needs at least 2 points, got 1"),
    ("<dip>60</dip>", "<dip>95</dip>", r"line 47, source 'F1': dip must be in \(0, 90\]"),
    ('samples="11"', 'samples="many"', r"line 58, source 'F1': samples must be an integer"),
    ('sigmaLog10Area="0.25" ', "", r"line 58, source 'F1': <ruptureAreaVariability> lacks the "
                                   r"attribute 'sigmaLog10Area'"),
])
def test_invalid_source_values(tmp_path, old, new, match):
    path = edit(tmp_path, old, new)
    with pytest.raises(InputError, match=match) as info:
        parse_source_model(path, params=PARAMS)
    assert str(info.value).startswith(str(path))


def test_area_source_needs_discretization():
    params = SimpleNamespace(rupture_mesh_spacing=5.0, area_source_discretization=None,
                             width_of_mfd_bin=None)
    with pytest.raises(InputError, match="source 'A1': area sources need "
                                         "area_source_discretization"):
        parse_source_model(DATA / "sources_04.xml", params=params)


@pytest.mark.parametrize("old, new, match", [
    ('<sourceGroup name="deep" tectonicRegion="Subduction Inslab">',
     '<sourceGroup name="deep" tectonicRegion="Subduction Inslab" src_interdep="mutex">',
     "line 6: src_interdep='mutex' needs srcs_weights"),
    ('<sourceGroup name="deep" tectonicRegion="Subduction Inslab">',
     '<sourceGroup name="deep">', "line 6: <sourceGroup> lacks the attribute 'tectonicRegion'"),
    ('name="shallow point" tectonicRegion="Active Crust"',
     'name="shallow point" tectonicRegion="Stable Crust"',
     "tectonicRegion 'Stable Crust' differs from the one of its sourceGroup, 'Active Crust'"),
])
def test_invalid_groups(tmp_path, old, new, match):
    path = edit(tmp_path, old, new, "sources_05.xml")
    with pytest.raises(InputError, match=match):
        parse_source_model(path, params=PARAMS)


def test_not_a_source_model(classical):
    path = classical / "case_01" / "gsim_logic_tree.xml"
    with pytest.raises(InputError, match=r"line 5: expected a <sourceModel>, found <logicTree>"):
        parse_source_model(path)


# --------------------------------------------------------------------------- engine objects
def test_specs_resolve_msr_and_mfd(classical):
    """The collected MSR text and MFD data are what the engine registries accept."""
    mfd = pytest.importorskip("toolkit.engine.hazard.mfd")
    msr = pytest.importorskip("toolkit.engine.hazard.msr")
    files = [DATA / "sources_04.xml", DATA / "sources_05.xml"] + [
        classical / case / name for case, name in [
            ("case_01", "source_model.xml"), ("case_02", "source_model.xml"),
            ("case_03", "source_model.xml"), ("case_04", "sm.xml"), ("case_05", "MA1_br1.xml")]]
    count = 0
    for path in files:
        for spec in parse_source_model(path, params=PARAMS).sources:
            assert msr.get_msr(spec.msr, spec.where) is not None
            built = mfd.build_mfd(spec.mfd_tag, spec.mfd_attrib, spec.mfd_values,
                                  bin_width=spec.bin_width, where=spec.where)
            assert isinstance(built, mfd.MFD)
            count += 1
    assert count == 3 + 2 + 1 + 1 + 1 + 1 + 12


@needs_engine
def test_build_engine_sources(classical):
    from toolkit.engine.hazard import sources

    model = read_source_model(DATA / "sources_04.xml", params=PARAMS)
    point, area, fault = model.sources
    assert isinstance(point, sources.PointSource)
    assert isinstance(area, sources.AreaSource)
    assert isinstance(fault, sources.SimpleFaultSource)
    for case, name in [("case_01", "source_model.xml"), ("case_03", "source_model.xml"),
                       ("case_04", "sm.xml"), ("case_05", "MA1_br1.xml")]:
        built = read_source_model(classical / case / name, params=PARAMS)
        assert len(built) == len(parse_source_model(classical / case / name, params=PARAMS))


@needs_engine
def test_build_unknown_msr_names_source(tmp_path):
    from toolkit.errors import UnknownName

    path = edit(tmp_path, "<magScaleRel>WC1994</magScaleRel>",
                "<magScaleRel>NoSuchMSR</magScaleRel>")
    with pytest.raises(UnknownName, match=rf"{path} line 6, source 'P1'"):
        read_source_model(path, params=PARAMS)
