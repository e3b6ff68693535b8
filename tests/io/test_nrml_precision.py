"""NRML source geometries keep longitudes and latitudes to 5 decimals (as OpenQuake)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np

from toolkit.io.nrml import parse_source_model, read_source_model
from toolkit.io.nrml_precision import round_lonlat
from toolkit.io.ruptures import read_rupture_model

HEAD = """<?xml version="1.0" encoding="utf-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/0.5" xmlns:gml="http://www.opengis.net/gml">
<sourceModel name="precision">
<sourceGroup tectonicRegion="Active Shallow Crust">
"""
TAIL = "</sourceGroup>\n</sourceModel>\n</nrml>\n"
MFD = """<magScaleRel>WC1994</magScaleRel><ruptAspectRatio>1.5</ruptAspectRatio>
<incrementalMFD minMag="4.3" binWidth="0.1"><occurRates>0.01</occurRates></incrementalMFD>"""

SOURCES = f"""<pointSource id="p" name="p">
  <pointGeometry><gml:Point><gml:pos>15.1234567 37.1234567</gml:pos></gml:Point>
  <upperSeismoDepth>0.1234567</upperSeismoDepth><lowerSeismoDepth>10.0</lowerSeismoDepth>
  </pointGeometry>
  {MFD}
  <nodalPlaneDist><nodalPlane probability="1" strike="0" dip="90" rake="0"/></nodalPlaneDist>
  <hypoDepthDist><hypoDepth probability="1" depth="5"/></hypoDepthDist>
</pointSource>
<simpleFaultSource id="s" name="s">
  <simpleFaultGeometry><gml:LineString><gml:posList>
    15.125685 37.690801 15.165664 37.731905
  </gml:posList></gml:LineString>
  <dip>90</dip><upperSeismoDepth>0</upperSeismoDepth><lowerSeismoDepth>5.5</lowerSeismoDepth>
  </simpleFaultGeometry>
  {MFD}
  <rake>-90</rake>
</simpleFaultSource>
<complexFaultSource id="c" name="c">
  <complexFaultGeometry>
  <faultTopEdge><gml:LineString><gml:posList>
    15.1234567 37.1234567 1.1234567 15.2234567 37.1234567 1.1234567
  </gml:posList></gml:LineString></faultTopEdge>
  <faultBottomEdge><gml:LineString><gml:posList>
    15.1234567 37.0234567 10.1234567 15.2234567 37.0234567 10.1234567
  </gml:posList></gml:LineString></faultBottomEdge>
  </complexFaultGeometry>
  {MFD}
  <rake>0</rake>
</complexFaultSource>
<characteristicFaultSource id="ch" name="ch">
  <incrementalMFD minMag="6.0" binWidth="0.1"><occurRates>0.01</occurRates></incrementalMFD>
  <rake>0</rake>
  <surface><planarSurface>
  <topLeft lon="15.1234567" lat="37.1234567" depth="0.1234567"/>
  <topRight lon="15.2234567" lat="37.1234567" depth="0.1234567"/>
  <bottomLeft lon="15.1234567" lat="37.0234567" depth="10.1234567"/>
  <bottomRight lon="15.2234567" lat="37.0234567" depth="10.1234567"/>
  </planarSurface></surface>
</characteristicFaultSource>
<characteristicFaultSource id="kite" name="kite">
  <incrementalMFD minMag="6.0" binWidth="0.1"><occurRates>0.01</occurRates></incrementalMFD>
  <rake>0</rake>
  <surface><kiteSurface>
  <profile><gml:LineString><gml:posList>
    15.1234567 37.1234567 0.1234567 15.1234567 37.0234567 10.1234567
  </gml:posList></gml:LineString></profile>
  <profile><gml:LineString><gml:posList>
    15.2234567 37.1234567 0.1234567 15.2234567 37.0234567 10.1234567
  </gml:posList></gml:LineString></profile>
  </kiteSurface></surface>
</characteristicFaultSource>
"""

PARAMS = SimpleNamespace(rupture_mesh_spacing=2.0, area_source_discretization=10.0,
                         width_of_mfd_bin=0.1, raw={}, where=lambda key: key)


def write(tmp_path: Path) -> Path:
    path = tmp_path / "precision.xml"
    path.write_text(HEAD + SOURCES + TAIL)
    return path


def test_round_lonlat_rounds_lon_lat_as_python_round_and_keeps_depths():
    points = np.array([[15.125685, 37.731905, 1.2345678], [-0.0000049, 89.999996, -0.5]])
    out = round_lonlat(points)
    # ties follow the binary value: 15.125685 is just above the tie, 37.731905 just below
    # (numpy.round gives 15.12568 for the first)
    assert out.tolist() == [[15.12569, 37.7319, 1.2345678], [-0.0, 90.0, -0.5]]
    assert points[0, 0] == 15.125685  # the input is not modified


def test_source_geometries_are_read_with_5_decimals(tmp_path):
    specs = {s.source_id: s for s in parse_source_model(write(tmp_path), params=PARAMS).sources}
    point = specs["p"].kwargs
    assert (point["lon"], point["lat"]) == (15.12346, 37.12346)
    assert point["upper_seismogenic_depth"] == 0.1234567  # depths are not rounded
    assert specs["s"].kwargs["trace"].tolist() == [[15.12569, 37.6908], [15.16566, 37.7319]]
    top, bottom = specs["c"].kwargs["edges"]
    assert top.tolist() == [[15.12346, 37.12346, 1.1234567], [15.22346, 37.12346, 1.1234567]]
    assert bottom[:, :2].tolist() == [[15.12346, 37.02346], [15.22346, 37.02346]]
    corners = specs["ch"].kwargs["geometry"]["corners"]
    assert set(corners[..., 0].ravel().tolist()) == {15.12346, 15.22346}
    assert set(corners[..., 2].ravel().tolist()) == {0.1234567, 10.1234567}
    kite = specs["kite"].kwargs["geometry"]["corners"]
    # the top-left corner is the first profile's first point (the others are resampled)
    assert [15.12346, 37.12346, 0.1234567] in kite.reshape(-1, 3).tolist()


def _fault(trace: str) -> str:
    return f"""<simpleFaultSource id="s" name="s">
  <simpleFaultGeometry><gml:LineString><gml:posList>{trace}</gml:posList></gml:LineString>
  <dip>70</dip><upperSeismoDepth>0</upperSeismoDepth><lowerSeismoDepth>6.2</lowerSeismoDepth>
  </simpleFaultGeometry>
  {MFD}
  <rake>-90</rake>
</simpleFaultSource>
"""


def test_simple_fault_ruptures_are_those_of_the_rounded_trace(tmp_path):
    """A trace written with 6 decimals gives the ruptures of the trace rounded to 5; unrounded,
    the hypocentres would move by about 0.3 m."""
    hypos = []
    for name, trace in (("six", "15.162938 37.661780 15.140449 37.731905"),
                        ("five", "15.16294 37.66178 15.14045 37.7319")):
        path = tmp_path / f"{name}.xml"
        path.write_text(HEAD + _fault(trace) + TAIL)
        src = read_source_model(path, params=PARAMS).sources[0]
        hypos.append(np.concatenate([b.hypo for b in src.iter_ruptures()]))
    assert hypos[0].shape == hypos[1].shape and len(hypos[0]) > 10
    np.testing.assert_array_equal(hypos[0], hypos[1])


def test_rupture_files_are_read_with_5_decimals(tmp_path):
    """Scenario ruptures: hypocentre, planar corners and traces, as OpenQuake's converter."""
    path = tmp_path / "rupture.xml"
    path.write_text("""<?xml version="1.0" encoding="utf-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/0.5" xmlns:gml="http://www.opengis.net/gml">
<singlePlaneRupture>
  <magnitude>6.5</magnitude><rake>0</rake>
  <hypocenter lon="15.1734567" lat="37.0734567" depth="5.1234567"/>
  <planarSurface strike="90" dip="90">
    <topLeft lon="15.1234567" lat="37.0734567" depth="0.1234567"/>
    <topRight lon="15.2234567" lat="37.0734567" depth="0.1234567"/>
    <bottomRight lon="15.2234567" lat="37.0734567" depth="10.1234567"/>
    <bottomLeft lon="15.1234567" lat="37.0734567" depth="10.1234567"/>
  </planarSurface>
</singlePlaneRupture>
</nrml>
""")
    block = read_rupture_model(path, 2.0)
    assert block.hypo[0].tolist() == [15.17346, 37.07346, 5.1234567]
