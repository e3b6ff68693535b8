"""NRML: <aspectRatioFunction> and seismogenic layers starting above sea level."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from toolkit.engine.hazard.sources import (
    AreaSource,
    ComplexFaultSource,
    PointSource,
    SimpleFaultSource,
)
from toolkit.engine.hazard.sources.aspect_ratio import MagDependentAspectRatio
from toolkit.errors import InputError
from toolkit.io.nrml import read_source_model

PARAMS = SimpleNamespace(rupture_mesh_spacing=2.0, area_source_discretization=10.0,
                         width_of_mfd_bin=0.1, complex_fault_mesh_spacing=5.0)

HEAD = """<?xml version="1.0" encoding="utf-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/0.5" xmlns:gml="http://www.opengis.net/gml">
<sourceModel name="m">
<sourceGroup tectonicRegion="Active Shallow Crust">
"""
TAIL = """</sourceGroup>
</sourceModel>
</nrml>
"""
FUNCTION = """<aspectRatioFunction>
  <type>linear_piecewise</type>
  <mag_points>
    <mag_point mag="4.0" aratio="1.0"/>
    <mag_point mag="7.0" aratio="2.0"/>
  </mag_points>
</aspectRatioFunction>"""
CONSTANT = "<ruptAspectRatio>1.5</ruptAspectRatio>"
MFD = '<truncGutenbergRichterMFD aValue="3.0" bValue="1.0" minMag="5.0" maxMag="6.0"/>'
DISTRIBUTIONS = """<nodalPlaneDist>
  <nodalPlane probability="1.0" strike="0" dip="90" rake="0"/>
</nodalPlaneDist>
<hypoDepthDist><hypoDepth probability="1.0" depth="2.0"/></hypoDepthDist>"""


def point(ratio: str = CONSTANT, upper: str = "0.0", lower: str = "10.0") -> str:
    return f"""<pointSource id="p" name="p">
<pointGeometry>
  <gml:Point><gml:pos>0.0 0.0</gml:pos></gml:Point>
  <upperSeismoDepth>{upper}</upperSeismoDepth>
  <lowerSeismoDepth>{lower}</lowerSeismoDepth>
</pointGeometry>
<magScaleRel>WC1994</magScaleRel>
{ratio}
{MFD}
{DISTRIBUTIONS}
</pointSource>
"""


def area(upper: str) -> str:
    return f"""<areaSource id="a" name="a">
<areaGeometry>
  <gml:Polygon><gml:exterior><gml:LinearRing>
    <gml:posList>0.0 0.0 0.1 0.0 0.1 0.1 0.0 0.1</gml:posList>
  </gml:LinearRing></gml:exterior></gml:Polygon>
  <upperSeismoDepth>{upper}</upperSeismoDepth>
  <lowerSeismoDepth>10.0</lowerSeismoDepth>
</areaGeometry>
<magScaleRel>WC1994</magScaleRel>
{CONSTANT}
{MFD}
{DISTRIBUTIONS}
</areaSource>
"""


def simple_fault(ratio: str = FUNCTION, upper: str = "0.0") -> str:
    return f"""<simpleFaultSource id="s" name="s">
<simpleFaultGeometry>
  <gml:LineString><gml:posList>0.0 0.0 0.0 0.3</gml:posList></gml:LineString>
  <dip>60.0</dip>
  <upperSeismoDepth>{upper}</upperSeismoDepth>
  <lowerSeismoDepth>12.0</lowerSeismoDepth>
</simpleFaultGeometry>
<magScaleRel>WC1994</magScaleRel>
{ratio}
{MFD}
<rake>90.0</rake>
</simpleFaultSource>
"""


def complex_fault(ratio: str = FUNCTION) -> str:
    return f"""<complexFaultSource id="c" name="c">
<complexFaultGeometry>
  <faultTopEdge><gml:LineString>
    <gml:posList>0.0 0.0 2.0 0.0 0.3 2.0</gml:posList>
  </gml:LineString></faultTopEdge>
  <faultBottomEdge><gml:LineString>
    <gml:posList>0.1 0.0 15.0 0.1 0.3 15.0</gml:posList>
  </gml:LineString></faultBottomEdge>
</complexFaultGeometry>
<magScaleRel>WC1994</magScaleRel>
{ratio}
{MFD}
<rake>90.0</rake>
</complexFaultSource>
"""


def read(tmp_path: Path, body: str):
    path = tmp_path / "model.xml"
    path.write_text(HEAD + body + TAIL)
    return read_source_model(path, params=PARAMS).sources


def test_aspect_ratio_function_on_every_typology(tmp_path):
    sources = read(tmp_path, point(FUNCTION) + simple_fault() + complex_fault())
    assert [type(s) for s in sources] == [PointSource, SimpleFaultSource, ComplexFaultSource]
    for src in sources:
        ratio = src.rupture_aspect_ratio
        assert isinstance(ratio, MagDependentAspectRatio)
        np.testing.assert_allclose(ratio.mags, [4.0, 7.0])
        np.testing.assert_allclose(ratio(np.array([5.5])), [1.5])
        assert src.count_ruptures() > 0
        assert sum(len(b) for b in src.iter_ruptures()) == src.count_ruptures()


def test_constant_ratio_is_still_read(tmp_path):
    (src,) = read(tmp_path, point())
    assert src.rupture_aspect_ratio == 1.5


@pytest.mark.parametrize(
    ("ratio", "message"),
    [
        ("", r"line 5.*<pointSource> has no <ruptAspectRatio>"),
        (CONSTANT + FUNCTION, "either <ruptAspectRatio> or <aspectRatioFunction>, not both"),
        (FUNCTION.replace("linear_piecewise", "cubic"),
         "aspect-ratio function type 'cubic' is not supported"),
        (FUNCTION.replace(' aratio="2.0"', ""), "<mag_point> has no aratio attribute"),
        (FUNCTION.replace('mag="7.0"', 'mag="3.0"'), "strictly increasing"),
        (FUNCTION.replace('aratio="2.0"', 'aratio="-2.0"'), "must be positive"),
        ("<ruptAspectRatio>-1</ruptAspectRatio>", r"ruptAspectRatio must be in \(0, inf\]"),
    ],
)
def test_bad_aspect_ratios_name_the_source(tmp_path, ratio, message):
    with pytest.raises(InputError, match=message) as info:
        read(tmp_path, point(ratio))
    assert "model.xml line" in str(info.value) and "'p'" in str(info.value)


def test_point_and_area_layers_may_start_above_sea_level(tmp_path):
    point_src, area_src = read(tmp_path, point(upper="-1.0") + area("-1.0"))
    assert isinstance(point_src, PointSource) and isinstance(area_src, AreaSource)
    assert point_src.upper_seismogenic_depth == -1.0
    assert area_src.upper_seismogenic_depth == -1.0
    for src in (point_src, area_src):
        tops = np.concatenate([b.surface.ztor for b in src.iter_ruptures()])
        assert tops.min() >= -1.0 - 1e-9 and tops.min() < 0.0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (point(upper="-1.0", lower="-1.0"), "lowerSeismoDepth .* must be greater than"),
        (simple_fault(CONSTANT, upper="-1.0"), r"upperSeismoDepth must be >= 0 km, got -1"),
    ],
)
def test_layers_still_checked(tmp_path, body, message):
    with pytest.raises(InputError, match=message):
        read(tmp_path, body)


def test_fixed_dip_fraction_is_read_per_depth(tmp_path):
    hypos = ('<hypoDepthDist><hypoDepth probability="0.5" depth="2.0"/>'
             '<hypoDepth probability="0.5" depth="4.0" fixedDipFrac="0.75"/></hypoDepthDist>')
    body = point().replace(DISTRIBUTIONS.splitlines()[-1], hypos)
    (src,) = read(tmp_path, body)
    assert sorted(map(tuple, src.hypo_depths)) == [(0.5, 2.0), (0.5, 4.0, 0.75)]


def test_shift_hypo_reaches_point_area_and_multi_point_sources(tmp_path):
    multi = point().replace("pointSource", "multiPointSource").replace(
        "<pointGeometry>\n  <gml:Point><gml:pos>0.0 0.0</gml:pos></gml:Point>",
        "<multiPointGeometry>\n  <gml:posList>0.0 0.0 0.1 0.1</gml:posList>").replace(
        "</pointGeometry>", "</multiPointGeometry>").replace('id="p"', 'id="m"').replace(
        MFD, '<multiMFD kind="truncGutenbergRichterMFD" size="2"><a_val>3.0 3.0</a_val>'
        "<b_val>1.0</b_val><min_mag>5.0</min_mag><max_mag>6.0</max_mag></multiMFD>")
    path = tmp_path / "model.xml"
    path.write_text(HEAD + point() + area("0.0") + multi + simple_fault() + TAIL)
    params = SimpleNamespace(**vars(PARAMS), shift_hypo=True)
    sources = read_source_model(path, params=params).sources
    assert [getattr(s, "shift_hypo", None) for s in sources] == [True, True, True, None]
    plain = read_source_model(path, params=PARAMS).sources
    assert [getattr(s, "shift_hypo", None) for s in plain] == [False, False, False, None]


def test_shift_hypo_with_a_hypo_list_is_refused(tmp_path):
    hypos = ('<hypoList><hypo alongStrike="0.5" downDip="0.5" weight="1.0"/></hypoList>'
             "\n</pointSource>")
    path = tmp_path / "model.xml"
    path.write_text(HEAD + point().replace("</pointSource>", hypos) + TAIL)
    params = SimpleNamespace(**vars(PARAMS), shift_hypo=True)
    with pytest.raises(InputError, match="hypoList together with shift_hypo = true"):
        read_source_model(path, params=params)
