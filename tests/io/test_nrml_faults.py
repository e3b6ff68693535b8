"""NRML complex fault and characteristic fault sources: reading, building and bad inputs."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from toolkit.engine.hazard.multi_surface import MultiSurfaces
from toolkit.engine.hazard.sources import CharacteristicFaultSource, ComplexFaultSource
from toolkit.errors import InputError
from toolkit.io.nrml import parse_source_model, read_source_model
from toolkit.io.nrml_faults import CharacteristicSpec, ComplexFaultSpec, complex_mesh_spacing

HEAD = """<?xml version="1.0" encoding="utf-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/0.5" xmlns:gml="http://www.opengis.net/gml">
<sourceModel name="faults">
<sourceGroup tectonicRegion="Active Shallow Crust">
"""
TAIL = """</sourceGroup>
</sourceModel>
</nrml>
"""

EDGES = """<complexFaultGeometry>
  <faultTopEdge><gml:LineString><gml:posList>
    0.0 0.0 2.0 0.3 0.0 2.0
  </gml:posList></gml:LineString></faultTopEdge>
  <intermediateEdge><gml:LineString><gml:posList>
    0.0 -0.05 8.0 0.3 -0.05 8.0
  </gml:posList></gml:LineString></intermediateEdge>
  <faultBottomEdge><gml:LineString><gml:posList>
    0.0 -0.1 15.0 0.3 -0.1 15.0
  </gml:posList></gml:LineString></faultBottomEdge>
</complexFaultGeometry>
"""

COMPLEX = f"""<complexFaultSource id="cf1" name="Complex">
{EDGES}
<magScaleRel>WC1994</magScaleRel>
<ruptAspectRatio>1.5</ruptAspectRatio>
<incrementalMFD minMag="5.0" binWidth="0.5"><occurRates>0.01 0.004 0.001</occurRates>
</incrementalMFD>
<rake>90.0</rake>
</complexFaultSource>
"""

PLANES = """<planarSurface strike="90" dip="90">
  <topLeft lon="0.0" lat="0.0" depth="0.0"/><topRight lon="0.1" lat="0.0" depth="0.0"/>
  <bottomLeft lon="0.0" lat="0.0" depth="10.0"/><bottomRight lon="0.1" lat="0.0" depth="10.0"/>
</planarSurface>
<planarSurface strike="45" dip="90">
  <topLeft lon="0.1" lat="0.0" depth="0.0"/><topRight lon="0.2" lat="0.1" depth="0.0"/>
  <bottomLeft lon="0.1" lat="0.0" depth="10.0"/><bottomRight lon="0.2" lat="0.1" depth="10.0"/>
</planarSurface>
"""

SIMPLE = """<simpleFaultGeometry>
  <gml:LineString><gml:posList>0.0 0.0 0.2 0.0</gml:posList></gml:LineString>
  <dip>60.0</dip><upperSeismoDepth>0.0</upperSeismoDepth><lowerSeismoDepth>12.0</lowerSeismoDepth>
</simpleFaultGeometry>
"""


def characteristic(surface: str, sid: str = "ch1") -> str:
    return f"""<characteristicFaultSource id="{sid}" name="Char">
<surface>
{surface}</surface>
<arbitraryMFD><magnitudes>6.5 7.0</magnitudes><occurRates>0.002 0.0005</occurRates>
</arbitraryMFD>
<rake>0.0</rake>
</characteristicFaultSource>
"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "faults.xml"
    path.write_text(HEAD + body + TAIL)
    return path


def params(**raw: str) -> SimpleNamespace:
    return SimpleNamespace(rupture_mesh_spacing=2.0, area_source_discretization=10.0,
                           width_of_mfd_bin=0.1, raw=raw,
                           where=lambda key: f"job.ini line 7 ({key})")


def test_complex_fault_source_is_read_with_its_edges_and_mesh_spacing(tmp_path):
    path = write(tmp_path, COMPLEX)
    spec = parse_source_model(path, params=params(complex_fault_mesh_spacing="5.0")).sources[0]
    assert isinstance(spec, ComplexFaultSpec) and spec.kind == "complexFaultSource"
    assert spec.trt == "Active Shallow Crust" and spec.msr == "WC1994"
    kw = spec.kwargs
    assert kw["complex_fault_mesh_spacing"] == 5.0 and kw["rake"] == 90.0
    assert kw["rupture_aspect_ratio"] == 1.5
    assert [e.shape for e in kw["edges"]] == [(2, 3)] * 3
    assert np.allclose(kw["edges"][1], [[0.0, -0.05, 8.0], [0.3, -0.05, 8.0]])
    src = read_source_model(path, params=params(complex_fault_mesh_spacing="5.0")).sources[0]
    assert isinstance(src, ComplexFaultSource)
    rates = np.concatenate([b.rate for b in src.iter_ruptures()])
    assert np.isclose(rates.sum(), 0.015, rtol=1e-12)
    # without complex_fault_mesh_spacing, rupture_mesh_spacing (2 km) is used
    spec = parse_source_model(path, params=params()).sources[0]
    assert spec.kwargs["complex_fault_mesh_spacing"] == 2.0


def test_characteristic_sources_with_the_three_surface_kinds(tmp_path):
    body = (characteristic(SIMPLE, "s") + characteristic(EDGES, "c")
            + characteristic(PLANES, "p"))
    path = write(tmp_path, body)
    model = parse_source_model(path, params=params(complex_fault_mesh_spacing="4"))
    specs = {spec.source_id: spec for spec in model.sources}
    assert all(isinstance(s, CharacteristicSpec) for s in specs.values())
    assert specs["s"].kwargs["geometry"]["kind"] == "simple"
    assert specs["s"].kwargs["geometry"]["mesh_spacing"] == 2.0
    assert specs["c"].kwargs["geometry"]["mesh_spacing"] == 4.0
    corners = specs["p"].kwargs["geometry"]["corners"]
    assert corners.shape == (2, 4, 3)
    # engine order: top-left, top-right, bottom-right, bottom-left
    assert np.allclose(corners[1], [[0.1, 0.0, 0.0], [0.2, 0.1, 0.0], [0.2, 0.1, 10.0],
                                    [0.1, 0.0, 10.0]])
    sources = read_source_model(path, params=params(complex_fault_mesh_spacing="4")).sources
    for src in sources:
        assert isinstance(src, CharacteristicFaultSource)
        blocks = list(src.iter_ruptures())
        assert np.allclose(np.concatenate([b.mag for b in blocks]), [6.5, 7.0])
        assert np.isclose(sum(b.rate.sum() for b in blocks), 0.0025, rtol=1e-12)
    assert isinstance(next(sources[2].iter_ruptures()).surface, MultiSurfaces)


def test_complex_mesh_spacing_from_the_job():
    assert complex_mesh_spacing(None, 3.0) == 3.0
    assert complex_mesh_spacing(params(complex_fault_mesh_spacing=" 7.5 "), 3.0) == 7.5
    with pytest.raises(InputError, match=r"job.ini line 7 \(complex_fault_mesh_spacing\): "
                                         "complex_fault_mesh_spacing must be positive"):
        complex_mesh_spacing(params(complex_fault_mesh_spacing="-1"), 3.0)
    with pytest.raises(InputError, match="must be a number"):
        complex_mesh_spacing(params(complex_fault_mesh_spacing="ten"), 3.0)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("faultBottomEdge", "faultBotEdge", "line 6, source 'cf1'.*has no <faultBottomEdge>"),
    ("0.0 -0.1 15.0 0.3 -0.1 15.0", "0.0 -0.1 15.0 0.3 -0.1",
     "line 13, source 'cf1'.*'longitude latitude depth' triplets, got 5 numbers"),
    ("0.0 -0.05 8.0 0.3 -0.05 8.0", "0.0 -0.05 18.0 0.3 -0.05 18.0",
     "ordered from the top edge down"),
    ("0.3 0.0 2.0", "0.3 95.0 2.0", r"point \(0.3, 95\) is out of range"),
    ("<rake>90.0</rake>", "<rake>190.0</rake>", "rake must be in"),
    ("<magScaleRel>WC1994</magScaleRel>", "", "magScaleRel"),
])
def test_bad_complex_fault_sources(tmp_path, old, new, message):
    path = write(tmp_path, COMPLEX.replace(old, new))
    with pytest.raises(InputError, match=message):
        parse_source_model(path, params=params())


@pytest.mark.parametrize(("surface", "message"), [
    ("<kiteSurface/>", "only <kiteSurface> elements of 2 profiles .* got 0"),
    ("<griddedSurface/>", "found <griddedSurface>.*not supported yet"),
    ("", "found nothing"),
    (SIMPLE + EDGES, "found <simpleFaultGeometry>, <complexFaultGeometry>"),
    (PLANES.replace('depth="0.0"', 'depth="20.0"'),
     "bottom corners of <planarSurface> are shallower"),
    (PLANES.replace("<topRight", "<topRite"), "line 7, source 'ch1'.*has no <topRight>"),
])
def test_bad_characteristic_surfaces(tmp_path, surface, message):
    path = write(tmp_path, characteristic(surface))
    with pytest.raises(InputError, match=message):
        parse_source_model(path, params=params())


def test_duplicate_ids_across_source_types(tmp_path):
    path = write(tmp_path, COMPLEX + characteristic(PLANES, "cf1"))
    with pytest.raises(InputError, match="duplicate source id 'cf1'"):
        parse_source_model(path, params=params())


def test_hypo_list_on_several_planes_is_refused_where_it_is_read(tmp_path):
    hypo = ('<hypoList><hypo alongStrike="0.5" downDip="0.5" weight="1.0"/></hypoList>\n'
            "</characteristicFaultSource>")
    body = characteristic(PLANES, "multi").replace("</characteristicFaultSource>", hypo)
    with pytest.raises(InputError, match=r"faults.xml line \d+, source 'multi': hypoList is "
                                         "not supported on a characteristic fault made of "
                                         "several planar surfaces"):
        parse_source_model(write(tmp_path, body), params=params())
    # on one plane it is read (and split the ruptures)
    one = PLANES.split("</planarSurface>")[0] + "</planarSurface>\n"
    body = characteristic(one, "one").replace("</characteristicFaultSource>", hypo)
    assert parse_source_model(write(tmp_path, body), params=params()).sources
