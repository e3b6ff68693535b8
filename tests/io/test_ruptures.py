"""Scenario ruptures from NRML rupture files and from job.ini ``rupture_dict``."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from toolkit.engine.hazard import geo
from toolkit.engine.hazard.multi_surface import MultiSurfaces
from toolkit.engine.hazard.ruptures import RuptureBlock, Surfaces
from toolkit.engine.hazard.surfaces import MeshSurfaces, PlanarSurfaces
from toolkit.errors import InputError, UnknownName
from toolkit.io.ruptures import read_rupture_model, rupture_from_dict

R = geo.EARTH_RADIUS
KM = np.pi * R / 180.0
NAMES = {"rrup", "rjb", "rx", "ry0"}
NS = {"0.4": "http://openquake.org/xmlns/nrml/0.4", "0.5": "http://openquake.org/xmlns/nrml/0.5"}


def nrml(tmp_path: Path, body: str, version: str = "0.5", name: str = "rupture.xml") -> Path:
    path = tmp_path / name
    path.write_text(
        "<?xml version='1.0' encoding='utf-8'?>\n"
        f'<nrml xmlns:gml="http://www.opengis.net/gml" xmlns="{NS[version]}">\n'
        f"{body}\n</nrml>\n"
    )
    return path


def plane_xml(corners, attrs='strike="0.0" dip="90.0"'):
    names = ("topLeft", "topRight", "bottomRight", "bottomLeft")
    inner = "\n".join(f'    <{n} lon="{c[0]}" lat="{c[1]}" depth="{c[2]}"/>'
                      for n, c in zip(names, corners, strict=True))
    return f"  <planarSurface {attrs}>\n{inner}\n  </planarSurface>"


HEAD = """  <magnitude>7.0</magnitude>
  <rake>90.0</rake>
  <hypocenter lon="0.0" lat="0.1" depth="5.0"/>"""

# vertical plane along the meridian lon 0 from lat 0 to lat 0.2, 0-10 km deep (22.2 km long)
VERTICAL = [(0.0, 0.0, 0.0), (0.0, 0.2, 0.0), (0.0, 0.2, 10.0), (0.0, 0.0, 10.0)]


def single_plane(corners=VERTICAL, attrs='strike="0.0" dip="90.0"', head=HEAD):
    return f"<singlePlaneRupture>\n{head}\n{plane_xml(corners, attrs)}\n</singlePlaneRupture>"


SIMPLE = """<simpleFaultRupture id="r1" tectonicRegion="Active Shallow Crust">
  <magnitude>6.5</magnitude>
  <rake>0</rake>
  <hypocenter lat="0.05" lon="0.0" depth="6.0"/>
  <simpleFaultGeometry>
    <gml:LineString><gml:posList>{trace}</gml:posList></gml:LineString>
    <dip>{dip}</dip>
    <upperSeismoDepth>{upper}</upperSeismoDepth>
    <lowerSeismoDepth>{lower}</lowerSeismoDepth>
  </simpleFaultGeometry>
</simpleFaultRupture>"""


def simple(trace="0.0 0.0 0.0 0.2", dip="60", upper="2", lower="12"):
    return SIMPLE.format(trace=trace, dip=dip, upper=upper, lower=lower)


COMPLEX = """<complexFaultRupture>
  <magnitude>7.5</magnitude>
  <rake>90</rake>
  <hypocenter lat="0.1" lon="0.05" depth="8"/>
  <complexFaultGeometry>
    <faultTopEdge><gml:LineString><gml:posList>
      {top}
    </gml:posList></gml:LineString></faultTopEdge>{middle}
    <faultBottomEdge><gml:LineString><gml:posList>
      {bottom}
    </gml:posList></gml:LineString></faultBottomEdge>
  </complexFaultGeometry>
</complexFaultRupture>"""

EAST_10KM = 10.0 / KM


def complex_fault(top="0 0 0 0 0.2 0", bottom=None, middle=""):
    if bottom is None:
        bottom = f"{EAST_10KM} 0 10 {EAST_10KM} 0.2 10"
    return COMPLEX.format(top=top, bottom=bottom, middle=middle)


# --------------------------------------------------------------------------- QA case 1
def test_openquake_scenario_case_1(shared_dir):
    """OpenQuake's scenario QA case 1: a vertical strike-slip fault, 2-10 km deep, along the
    diagonal from (-0.104328, -0.104328) to (0.104328, 0.104328); sites at lon 0 and lat 0,
    0.1, 0.2 (job.ini), rupture_mesh_spacing 1 km."""
    path = shared_dir / "reference" / "openquake" / "qa" / "scenario" / "case_1" / \
        "rupture_model.xml"
    block = read_rupture_model(path, 1.0)
    assert isinstance(block, RuptureBlock) and len(block) == 1
    assert block.source_id == "rupture" and block.trt == "*"
    np.testing.assert_array_equal(block.mag, [6.5])
    np.testing.assert_array_equal(block.rake, [0.0])
    np.testing.assert_array_equal(block.rate, [1.0])
    np.testing.assert_array_equal(block.hypo, [[0.0, 0.0, 6.0]])
    surf = block.surface
    assert isinstance(surf, MeshSurfaces) and isinstance(surf, Surfaces)
    assert surf.ztor[0] == 2.0 and surf.width[0] == pytest.approx(8.0)
    assert surf.dip[0] == pytest.approx(90.0, abs=1e-9)
    assert surf.strike[0] == pytest.approx(45.0, abs=1e-3)
    lons, lats = np.zeros(3), np.array([0.0, 0.1, 0.2])
    d = surf.distances(lons, lats, np.zeros(3), NAMES)
    # by hand: the sites project inside the trace, at the cross-track distance from its great
    # circle, on its left (footwall side of the strike direction, north-west)
    a = 0.104328
    cross = geo.distance_to_arc(-a, -a, geo.azimuth(-a, -a, a, a), lons, lats)
    np.testing.assert_allclose(cross, [0.0, -7.86266, -15.72531], atol=1e-5)
    np.testing.assert_allclose(d["rjb"][0], np.abs(cross), atol=1e-6)
    np.testing.assert_allclose(d["rx"][0], cross, atol=1e-6)
    np.testing.assert_array_equal(d["ry0"][0], 0.0)
    # rrup: to the nearest mesh node, 2 km deep, at most half a spacing along strike from the
    # foot of the perpendicular; 3-D chords to a point 2 km deep at the arc distance d are
    # sqrt(2^2 + d^2 (R - 2) / R) (to second order)
    exact = np.sqrt(4.0 + cross**2 * (R - 2.0) / R)
    assert np.all(d["rrup"][0] >= exact - 1e-9)
    assert np.all(d["rrup"][0] <= np.hypot(exact, 0.5) + 1e-9)


# --------------------------------------------------------------------------- planes
@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_single_plane_rupture_distances_by_hand(tmp_path, version):
    block = read_rupture_model(nrml(tmp_path, single_plane(), version), 5.0)
    assert block.source_id == "rupture" and block.trt == "*"
    np.testing.assert_array_equal(block.mag, [7.0])
    np.testing.assert_array_equal(block.rake, [90.0])
    np.testing.assert_array_equal(block.hypo, [[0.0, 0.1, 5.0]])
    surf = block.surface
    assert isinstance(surf, PlanarSurfaces) and len(surf) == 1
    assert (surf.strike[0], surf.dip[0], surf.ztor[0]) == (0.0, 90.0, pytest.approx(0.0))
    # width: measured in 3-D across the rectangle, at an angle of up to L / 2R to the vertical
    assert surf.width[0] == pytest.approx(10.0, rel=(0.2 * KM / 2.0 / R) ** 2)
    # sites: 5 km east of the middle, 5 km west, 3 km north of the north end on the meridian,
    # 4 km south of the south end
    lons = np.array([5.0 / KM, -5.0 / KM, 0.0, 0.0])
    lats = np.array([0.1, 0.1, 0.2 + 3.0 / KM, -4.0 / KM])
    d = surf.distances(lons, lats, None, NAMES)
    east = R * np.arcsin(np.cos(np.radians(0.1)) * np.sin(np.radians(5.0 / KM)))  # 5 km
    np.testing.assert_allclose(d["rjb"][0], [east, east, 3.0, 4.0], atol=1e-6)
    np.testing.assert_allclose(d["rx"][0], [east, -east, 0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(d["ry0"][0], [0.0, 0.0, 3.0, 4.0], atol=1e-6)
    # rrup: to the flat rectangle through the corners: its 22.2 km top edge is a chord that
    # sags L^2 / 8R = 0.0097 km at mid-length, and its length is the mean of the top and
    # bottom edges', the bottom one shorter by L x 10 / R (OpenQuake's planar surface), so its
    # north end is L x 5 / R = 0.017 km short
    length = 0.2 * KM
    bound = length**2 / (8.0 * R) + length * 5.0 / R
    assert np.all(np.abs(d["rrup"][0] - [east, east, 3.0, 4.0]) <= bound)


def test_planar_strike_and_dip_computed_from_the_corners(tmp_path):
    # top edge along the meridian at 1 km depth, bottom edge 10 km east and 10 km deeper
    corners = [(0.0, 0.0, 1.0), (0.0, 0.2, 1.0), (EAST_10KM, 0.2, 11.0), (EAST_10KM, 0.0, 11.0)]
    surf = read_rupture_model(nrml(tmp_path, single_plane(corners, attrs="")), 5.0).surface
    assert surf.strike[0] == pytest.approx(0.0, abs=1e-9)
    # 45 degrees for the corners as written; they are read with 5 decimals (as OpenQuake)
    assert surf.dip[0] == pytest.approx(np.degrees(np.arctan2(10.0, round(EAST_10KM, 5) * KM)),
                                        abs=1e-4)
    assert surf.ztor[0] == pytest.approx(1.0, abs=1e-6)
    # the horizontal part of the width shrinks with depth, by at most 11 km / R
    nominal = 10.0 * np.sqrt(2.0)
    assert nominal * (R - 11.0) / R <= surf.width[0] <= nominal
    # a site 5 km east of the top edge's middle is above the plane: hanging wall
    d = surf.distances(np.array([5.0 / KM]), np.array([0.1]), None, NAMES)
    assert d["rjb"][0, 0] == 0.0 and d["rx"][0, 0] == pytest.approx(5.0, abs=1e-3)
    # the attributes win when present
    given = read_rupture_model(nrml(tmp_path, single_plane(corners, 'strike="1" dip="44"')), 5.0)
    assert (given.surface.strike[0], given.surface.dip[0]) == (1.0, 44.0)


def test_multi_planes_rupture(tmp_path):
    second = [(0.0, 0.2, 0.0), (0.1, 0.3, 0.0), (0.1, 0.3, 10.0), (0.0, 0.2, 10.0)]
    planes = plane_xml(VERTICAL) + "\n" + plane_xml(second, 'strike="45.0" dip="90.0"')
    body = f"<multiPlanesRupture>\n{HEAD}\n{planes}\n</multiPlanesRupture>"
    block = read_rupture_model(nrml(tmp_path, body), 5.0)
    surf = block.surface
    assert isinstance(surf, MultiSurfaces) and len(surf) == 1 and surf.n_sub_surfaces == 2
    assert surf.gc2.n_traces == 1
    lons, lats = np.array([0.05, -0.05, 0.12]), np.array([0.1, 0.25, 0.2])
    d = surf.distances(lons, lats, None, NAMES)
    parts = surf.parts[0].distances(lons, lats, None, {"rrup", "rjb"})
    np.testing.assert_array_equal(d["rrup"][0], parts["rrup"].min(axis=0))
    np.testing.assert_array_equal(d["rjb"][0], parts["rjb"].min(axis=0))
    assert d["rx"][0, 0] > 0 and d["rx"][0, 1] < 0 and d["rx"][0, 2] > 0
    assert surf.ztor[0] == pytest.approx(0.0) and surf.dip[0] == pytest.approx(90.0)


# --------------------------------------------------------------------------- faults
def test_simple_fault_rupture_with_id_and_trt(tmp_path):
    block = read_rupture_model(nrml(tmp_path, simple(), "0.4"), 1.0)
    assert block.source_id == "r1" and block.trt == "Active Shallow Crust"
    np.testing.assert_array_equal(block.hypo, [[0.0, 0.05, 6.0]])
    surf = block.surface
    assert isinstance(surf, MeshSurfaces)
    assert surf.ztor[0] == 2.0
    # the mesh cells' horizontal extent shrinks with depth z by z / R, steepening the dip by
    # up to sin(2 dip) / 2 x 12 km / R = 0.047 degrees
    assert surf.dip[0] == pytest.approx(60.0, abs=np.degrees(np.sin(np.radians(120)) / 2 * 12 / R))
    assert surf.strike[0] == pytest.approx(0.0, abs=1e-3)
    # 10 km deep at 60 degrees: 11.55 km wide, rows exactly 1 km apart down dip
    assert surf.width[0] == pytest.approx(12.0, abs=0.01)


def test_complex_fault_rupture(tmp_path):
    middle = (f"\n    <intermediateEdge><gml:LineString><gml:posList>{EAST_10KM / 2} 0 5 "
              f"{EAST_10KM / 2} 0.2 5</gml:posList></gml:LineString></intermediateEdge>")
    for body in (complex_fault(), complex_fault(middle=middle)):
        block = read_rupture_model(nrml(tmp_path, body), 2.0)
        surf = block.surface
        assert isinstance(surf, MeshSurfaces)
        np.testing.assert_array_equal(block.mag, [7.5])
        assert surf.ztor[0] == 0.0
        assert surf.dip[0] == pytest.approx(45.0, abs=0.05)
        assert surf.mesh.shape == (int(round(10 * np.sqrt(2) / 2)) + 1,
                                   int(round(0.2 * KM / 2)) + 1)


# --------------------------------------------------------------------------- errors
def error(tmp_path, body, spacing=5.0, version="0.5"):
    with pytest.raises(InputError) as info:
        read_rupture_model(nrml(tmp_path, body, version), spacing)
    return str(info.value)


def test_error_missing_magnitude_names_file_line_and_element(tmp_path):
    body = single_plane(head=HEAD.replace("  <magnitude>7.0</magnitude>\n", ""))
    message = error(tmp_path, body)
    assert "rupture.xml line 3" in message
    assert "<singlePlaneRupture> has no <magnitude> element" in message


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (HEAD.replace('depth="5.0"', 'depth="five"'), "line 6.*depth must be a number, got 'five'"),
        (HEAD.replace('depth="5.0"', 'depth="-1"'), "line 6.*depth must be in \\[0, inf\\]"),
        (HEAD.replace('lon="0.0" ', ""), "line 6.*<hypocenter> lacks the attribute 'lon'"),
        (HEAD.replace(' lat="0.1"', ' lat="91"'), "line 6.*lat must be in \\[-90, 90\\]"),
        (HEAD.replace("7.0", "seven"), "line 4.*<magnitude> must be a number, got 'seven'"),
        (HEAD.replace("7.0", "0"), "line 4.*<magnitude> must be in \\(0, 10\\], got 0"),
        (HEAD.replace("90.0", "200"), "line 5.*<rake> must be in \\[-180, 180\\], got 200"),
        (HEAD.replace('<hypocenter lon="0.0" lat="0.1" depth="5.0"/>', ""),
         "line 3.*has no <hypocenter>"),
    ],
)
def test_error_in_common_elements(tmp_path, head, expected):
    message = error(tmp_path, single_plane(head=head))
    assert "rupture.xml" in message
    assert re.search(expected, message), message


@pytest.mark.parametrize(
    ("corners", "attrs", "expected"),
    [
        ([VERTICAL[0], VERTICAL[1], (0.0, 0.2, 0.0), VERTICAL[3]], "",
         "line 7.*bottom edge is not below the top edge: bottomRight depth 0 km <= topRight"),
        ([(0.0, 0.0, 5.0), VERTICAL[1], VERTICAL[2], (0.0, 0.0, 2.0)], "",
         "bottomLeft depth 2 km <= topLeft depth 5 km"),
        ([VERTICAL[0], VERTICAL[0], VERTICAL[2], VERTICAL[3]], "", "topLeft and topRight"),
        ([VERTICAL[0], VERTICAL[1], (-0.05, 0.2, 10.0), (-0.05, 0.0, 10.0)], "",
         "lies 5.56. km on the left of the top edge"),
        (VERTICAL, 'strike="0" dip="0"', "line 7.*<planarSurface> dip must be in \\(0, 90\\]"),
        (VERTICAL, 'strike="0" dip="95"', "<planarSurface> dip must be in \\(0, 90\\], got 95"),
        (VERTICAL, 'strike="400" dip="90"', "<planarSurface> strike must be in \\[0, 360\\]"),
        ([VERTICAL[0], ("x", 0.2, 0.0), VERTICAL[2], VERTICAL[3]], "",
         "line 9, <singlePlaneRupture>: <topRight> lon must be a number, got 'x'"),
    ],
)
def test_error_in_planar_surfaces(tmp_path, corners, attrs, expected):
    message = error(tmp_path, single_plane(corners, attrs))
    assert re.search(expected, message), message


def test_error_in_the_number_of_planes(tmp_path):
    two = f"{plane_xml(VERTICAL)}\n{plane_xml(VERTICAL)}"
    message = error(tmp_path, f"<singlePlaneRupture>\n{HEAD}\n{two}\n</singlePlaneRupture>")
    assert "needs exactly one <planarSurface>, found 2" in message
    message = error(tmp_path, f"<multiPlanesRupture>\n{HEAD}\n</multiPlanesRupture>")
    assert "line 3" in message and "<multiPlanesRupture> has no <planarSurface>" in message


@pytest.mark.parametrize(
    ("kwargs", "spacing", "expected"),
    [
        ({"trace": "0.0 0.0"}, 1.0, "line 8.*a fault trace needs at least 2 points, got 1"),
        ({"trace": "0.0 0.0 0.0"}, 1.0, "longitude/latitude pairs, got 3 numbers"),
        ({"trace": "0.0 0.0 0.0 abc"}, 1.0, "fault trace coordinate must be a number"),
        ({"dip": "0"}, 1.0, "line 9.*<dip> must be in \\(0, 90\\], got 0"),
        ({"dip": "91"}, 1.0, "<dip> must be in \\(0, 90\\], got 91"),
        ({"upper": "12", "lower": "2"}, 1.0, "line 11.*lowerSeismoDepth \\(2 km\\) must be "
         "greater than upperSeismoDepth"),
        ({"upper": "-1"}, 1.0, "upperSeismoDepth must be >= 0 km"),
        ({}, 50.0, "mesh of 1 x 1 nodes with rupture_mesh_spacing = 50 km"),
    ],
)
def test_error_in_simple_fault_ruptures(tmp_path, kwargs, spacing, expected):
    message = error(tmp_path, simple(**kwargs), spacing)
    assert "<simpleFaultRupture> 'r1'" in message
    assert re.search(expected, message), message


@pytest.mark.parametrize(
    ("kwargs", "spacing", "expected"),
    [
        ({"bottom": "0 0 0 0 0.2 0", "top": f"{EAST_10KM} 0 10 {EAST_10KM} 0.2 10"}, 2.0,
         "line 11.*<faultBottomEdge> \\(mean depth 0 km\\) is not below <faultTopEdge> at "
         "line 8 \\(mean depth 10 km\\)"),
        ({"top": "0 0 0"}, 2.0, "line 8.*<faultTopEdge> needs at least 2 points, got 1"),
        ({"top": "0 0 0 0.2"}, 2.0, "longitude/latitude/depth triples, got 4 numbers"),
        ({"top": "0 0 -1 0 0.2 0"}, 2.0, "depth -1 km is negative"),
        ({"top": "0 0 0 0 95 0"}, 2.0, "point \\(0, 95\\) is out of range"),
        ({}, 40.0, "line 7.*too large for the mean down-dip width"),
    ],
)
def test_error_in_complex_fault_ruptures(tmp_path, kwargs, spacing, expected):
    message = error(tmp_path, complex_fault(**kwargs), spacing)
    assert "<complexFaultRupture>" in message
    assert re.search(expected, message), message


def test_error_two_complex_geometries(tmp_path):
    body = complex_fault()
    geometry = body[body.index("  <complexFaultGeometry>"):body.index("</complexFaultRupture>")]
    body = body.replace("</complexFaultRupture>", geometry + "</complexFaultRupture>")
    assert "needs exactly one <complexFaultGeometry>, found 2" in error(tmp_path, body)


def test_error_in_the_file_itself(tmp_path):
    message = error(tmp_path, "<griddedRupture><magnitude>5</magnitude></griddedRupture>")
    assert "line 3: <griddedRupture> is not supported yet" in message
    assert "<singlePlaneRupture>" in message
    message = error(tmp_path, "<sourceModel/>")
    assert "<sourceModel> is not a rupture" in message
    message = error(tmp_path, "<singlePlaneRupture>")
    assert "malformed XML" in message
    with pytest.raises(InputError, match="file not found"):
        read_rupture_model(tmp_path / "missing.xml", 5.0)
    with pytest.raises(InputError, match="rupture_mesh_spacing must be positive, got 0"):
        read_rupture_model(nrml(tmp_path, single_plane()), 0.0)
    with pytest.raises(InputError, match="rupture_mesh_spacing must be a number"):
        read_rupture_model(nrml(tmp_path, single_plane()), "fine")


# --------------------------------------------------------------------------- rupture_dict
def chord(arc, depth):
    """Chord between two points at ``depth`` whose surface projections are ``arc`` km apart."""
    return 2.0 * (R - depth) * np.sin(arc / (2.0 * R))


BASE = {"lon": 80, "lat": 30, "dep": 10, "mag": 6, "rake": 0, "strike": 0, "dip": 90}


def test_rupture_dict_builds_a_planar_rupture_by_hand():
    block = rupture_from_dict(dict(BASE), 5.0)
    assert block.source_id == "rupture" and block.trt == "*" and len(block) == 1
    np.testing.assert_array_equal(block.hypo, [[80.0, 30.0, 10.0]])
    np.testing.assert_array_equal(block.rate, [1.0])
    surf = block.surface
    assert isinstance(surf, PlanarSurfaces)
    # WC1994 strike-slip: log10 A = -3.42 + 0.90 M = 1.98; L = sqrt(2A), W = A / L
    area = 10 ** (-3.42 + 0.90 * 6)
    length, width = np.sqrt(2.0 * area), np.sqrt(area / 2.0)
    # lengths and widths in 3-D: the top and bottom edges are chords between corners at
    # depth, so the length is 2 (R - z) sin(L / 2R) with z the mean depth 10 km; the width is
    # measured at an angle of up to L / 2R from the vertical
    assert surf.length[0] == pytest.approx(chord(length, 10.0), rel=1e-9)
    assert surf.width[0] == pytest.approx(width, rel=(length / 2.0 / R) ** 2)
    corners = surf.corners[0]
    np.testing.assert_allclose(corners[:, 2], [10 - width / 2] * 2 + [10 + width / 2] * 2)
    np.testing.assert_allclose(corners[:, 0], 80.0, atol=1e-9)
    np.testing.assert_allclose(corners[[1, 0], 1], 30.0 + np.array([1, -1]) * length / 2 / KM,
                               atol=1e-9)
    assert (surf.strike[0], surf.dip[0]) == (0.0, 90.0)


def test_rupture_dict_options():
    # the seismogenic layer caps the width at 4 km and keeps the area
    block = rupture_from_dict({**BASE, "upper_seismogenic_depth": 8,
                               "lower_seismogenic_depth": 12, "trt": "Stable Shallow Crust"}, 5.0)
    area = 10 ** (-3.42 + 0.90 * 6)
    assert block.trt == "Stable Shallow Crust"
    length = area / 4.0
    assert block.surface.width[0] == pytest.approx(4.0, rel=(length / 2.0 / R) ** 2)
    assert block.surface.length[0] == pytest.approx(chord(length, 10.0), rel=1e-9)
    np.testing.assert_allclose(block.surface.corners[0, :, 2], [8, 8, 12, 12], atol=1e-6)
    # PeerMSR (A = 10^(M - 4)) with aspect ratio 1: a 10 km square; too shallow for it without
    # a layer: moved down dip until its top is at the surface, hypocentre unchanged
    block = rupture_from_dict({**BASE, "dep": 2, "msr": "PeerMSR", "aspect_ratio": 1,
                               "mesh_spacing": 1}, 5.0)
    assert block.surface.length[0] == pytest.approx(chord(10.0, 5.0), rel=1e-9)
    np.testing.assert_allclose(block.surface.corners[0, :, 2], [0, 0, 10, 10], atol=1e-6)
    np.testing.assert_array_equal(block.hypo, [[80.0, 30.0, 2.0]])
    # unknown extra keys of OpenQuake's rupture_dict are ignored
    assert len(rupture_from_dict({**BASE, "usgs_id": "us7000abcd"}, 5.0)) == 1


@pytest.mark.parametrize(
    ("change", "error_type", "expected"),
    [
        ({"lon": None, "mag": None}, InputError,
         "job.ini line 7: rupture_dict lacks the key\\(s\\) 'lon', 'mag' \\(required: lon, "
         "lat, dep, mag, rake, strike, dip\\)"),
        ({"dep": "10"}, InputError, "rupture_dict\\['dep'\\] must be a number, got '10'"),
        ({"dip": 0}, InputError, "rupture_dict\\['dip'\\] must be in \\(0, 90\\], got 0"),
        ({"dip": True}, InputError, "rupture_dict\\['dip'\\] must be a number, got True"),
        ({"lat": 95}, InputError, "rupture_dict\\['lat'\\] must be in \\[-90, 90\\]"),
        ({"strike": float("nan")}, InputError, "must be a finite number"),
        ({"aspect_ratio": 0}, InputError, "rupture_dict\\['aspect_ratio'\\] must be in \\(0"),
        ({"mesh_spacing": -1}, InputError, "rupture_dict\\['mesh_spacing'\\] must be in \\(0"),
        ({"aspectratio": 1.5}, InputError, "unknown rupture_dict key 'aspectratio'; did you "
         "mean 'aspect_ratio'"),
        ({"msr": "WC94"}, UnknownName, "unknown magnitude scaling relation 'WC94'"),
        ({"msr": 3}, InputError, "rupture_dict\\['msr'\\] must be the name"),
        ({"trt": ""}, InputError, "rupture_dict\\['trt'\\] must be a tectonic region type"),
        ({"upper_seismogenic_depth": 12, "lower_seismogenic_depth": 20}, InputError,
         "rupture_dict\\['dep'\\] = 10 km is outside the seismogenic layer \\[12, 20\\] km"),
        ({"upper_seismogenic_depth": 12, "lower_seismogenic_depth": 5}, InputError,
         "lower_seismogenic_depth \\(5 km\\) must be greater than upper_seismogenic_depth"),
    ],
)
def test_rupture_dict_errors(change, error_type, expected):
    d = {**BASE, **change}
    d = {k: v for k, v in d.items() if v is not None}
    with pytest.raises(error_type, match=expected):
        rupture_from_dict(d, 5.0, where="job.ini line 7")


def test_rupture_dict_must_be_a_dict_and_mesh_spacing_positive():
    with pytest.raises(InputError, match="rupture_dict: rupture_dict must be a dict"):
        rupture_from_dict([1, 2], 5.0)
    with pytest.raises(InputError, match="rupture_mesh_spacing must be positive"):
        rupture_from_dict(dict(BASE), 0.0)
