"""Two-profile <kiteSurface> elements in non-parametric and characteristic ruptures."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from toolkit.engine.hazard import geo
from toolkit.errors import InputError
from toolkit.io.nrml import parse_xml, read_source_model
from toolkit.io.nrml_kite import kite_corners, resampled_extent

K = geo.EARTH_RADIUS * np.pi / 180.0  # km per degree on the equator
PARAMS = SimpleNamespace(rupture_mesh_spacing=1.0, area_source_discretization=10.0,
                         width_of_mfd_bin=0.1, investigation_time=1.0)
HEAD = """<?xml version="1.0" encoding="utf-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/0.5" xmlns:gml="http://www.opengis.net/gml">
<sourceModel name="m" investigation_time="1.0">
<sourceGroup tectonicRegion="Active Shallow Crust">
"""
TAIL = """</sourceGroup>
</sourceModel>
</nrml>
"""


def profile(*points) -> str:
    coords = " ".join(f"{x:.12g}" for p in points for x in p)
    return (f"<profile><gml:LineString><gml:posList>{coords}</gml:posList></gml:LineString>"
            "</profile>")


def kite(*profiles) -> str:
    return "<kiteSurface>" + "".join(profile(*p) for p in profiles) + "</kiteSurface>"


def non_parametric(*surfaces: str) -> str:
    return ('<nonParametricSeismicSource id="np" name="n">\n'
            '<multiPlanesRupture probs_occur="0.9 0.1">\n'
            "<magnitude>6.5</magnitude><rake>0.0</rake>\n"
            '<hypocenter lon="0.05" lat="0.0" depth="5.0"/>\n'
            + "".join(surfaces) + "\n</multiPlanesRupture>\n</nonParametricSeismicSource>\n")


def read(tmp_path: Path, body: str, params=PARAMS):
    path = tmp_path / "model.xml"
    path.write_text(HEAD + body + TAIL)
    return read_source_model(path, params=params).sources


# a vertical quadrilateral along the equator, 11.12 km long (0.1 degree) and 10 km deep
VERTICAL = kite([(0.0, 0.0, 0.0), (0.0, 0.0, 10.0)], [(0.1, 0.0, 0.0), (0.1, 0.0, 10.0)])


def test_distances_to_a_vertical_kite_rupture(tmp_path):
    """Mesh every 1 km: 10 rows to 10 km depth and 11 whole columns (11 of the 11.12 km),
    so the rupture ends 11 km east of its first profile. Sites: 0.1 degree south of the
    middle (rrup = rjb = 11.12 km, the distance to the equator), 0.2 degree east (rjb =
    22.24 - 11 km along the equator) and straight above the middle (rjb = 0)."""
    (src,) = read(tmp_path, non_parametric(VERTICAL))
    (block,) = list(src.iter_ruptures())
    lons, lats = np.array([0.05, 0.2, 0.05]), np.array([-0.1, 0.0, 0.0])
    d = block.surface.distances(lons, lats, np.zeros(3), {"rrup", "rjb"})
    south = geo.geodetic_distance(0.05, -0.1, 0.05, 0.0)
    assert south == pytest.approx(0.1 * K, rel=1e-9)
    np.testing.assert_allclose(d["rjb"][0], [south, 0.2 * K - 11.0, 0.0], atol=2e-3)
    # rrup: to the face for the southern site; above the middle, the sag of the top edge
    # (a chord between points 11 km apart at the surface) under the site x km along it
    x = 0.05 * K
    sag = x * (11.0 - x) / (2.0 * geo.EARTH_RADIUS)
    np.testing.assert_allclose(d["rrup"][0, [0, 2]], [south, sag], rtol=1e-4)
    np.testing.assert_allclose(src.probs_occur, [[0.9, 0.1]])


def test_two_kites_are_one_multi_surface_rupture(tmp_path):
    """A second kite 0.3 degree further east: a site between them is closer to the second
    (whose first profile is at 0.3 degree) than to the first (which ends at 11 km)."""
    second = kite([(0.3, 0.0, 0.0), (0.3, 0.0, 10.0)], [(0.4, 0.0, 0.0), (0.4, 0.0, 10.0)])
    (src,) = read(tmp_path, non_parametric(VERTICAL, second))
    (block,) = list(src.iter_ruptures())
    d = block.surface.distances(np.array([0.25]), np.array([0.0]), np.zeros(1), {"rjb"})
    assert d["rjb"][0, 0] == pytest.approx(0.05 * K, abs=2e-3)


def test_profiles_ordered_for_the_right_hand_rule(tmp_path):
    """Profiles written west to east dipping north (left of east): the corners come out
    east to west (strike west), the bottom on the right; the mesh still starts from the
    first profile written, so the truncated end is at the east."""
    reader = SimpleNamespace(at=lambda node: "here", child=lambda node, tag: node.child(tag))
    path = tmp_path / "kite.xml"
    path.write_text('<kiteSurface xmlns:gml="http://www.opengis.net/gml">'
                    + kite([(0.0, 0.0, 0.0), (0.0, 0.1, 10.0)],
                           [(0.1, 0.0, 0.0), (0.1, 0.1, 10.0)])[len("<kiteSurface>"):])
    node = parse_xml(path)
    corners = kite_corners(reader, node)
    np.testing.assert_allclose(corners[:, :2], [[0.1, 0.0], [0.0, 0.0], [0.0, 0.1], [0.1, 0.1]])
    meshed = kite_corners(reader, node, 5.0)
    # top edge 11.12 km: 2 whole 5 km intervals from the west profile, so 10 km east of it
    assert meshed[1, 0] == pytest.approx(0.0) and meshed[0, 0] == pytest.approx(10.0 / K)


def test_resampled_extent_rounds_down_dip_and_truncates_along_strike():
    """Profiles 7.6 km deep (vertical): round(7.6) = 8 rows of 1 km, so the bottom is at
    8 km (beyond the profile end); rows 4.6 km long hold 4 whole intervals."""
    w = 4.6 / K
    corners = np.array([[0.0, 0.0, 0.0], [w, 0.0, 0.0], [w, 0.0, 7.6], [0.0, 0.0, 7.6]])
    out = resampled_extent(corners, 1.0)
    np.testing.assert_allclose(out[:, 2], [0.0, 0.0, 8.0, 8.0], atol=1e-9)
    np.testing.assert_allclose(out[:, 0] * K, [0.0, 4.0, 4.0, 0.0], atol=1e-6)
    shallow = corners.copy()
    shallow[2:, 2] = 7.4
    np.testing.assert_allclose(resampled_extent(shallow, 1.0)[2:, 2], [7.0, 7.0], atol=1e-9)


def test_kite_in_a_characteristic_source(tmp_path):
    body = ('<characteristicFaultSource id="cf" name="c">\n'
            '<truncGutenbergRichterMFD aValue="1" bValue="1" minMag="6.0" maxMag="6.2"/>\n'
            "<rake>0.0</rake><surface>" + VERTICAL + "</surface>\n"
            "</characteristicFaultSource>\n")
    (src,) = read(tmp_path, body)
    blocks = list(src.iter_ruptures())
    d = blocks[0].surface.distances(np.array([0.2]), np.array([0.0]), np.zeros(1), {"rjb"})
    assert d["rjb"][0, 0] == pytest.approx(0.2 * K - 11.0, abs=2e-3)


@pytest.mark.parametrize(("surface", "message"), [
    (kite([(0.0, 0.0, 0.0), (0.0, 0.0, 10.0)]), "only <kiteSurface> elements of 2 profiles"),
    (kite([(0.0, 0.0, 0.0), (0.0, 0.0, 5.0), (0.0, 0.0, 10.0)],
          [(0.1, 0.0, 0.0), (0.1, 0.0, 5.0), (0.1, 0.0, 10.0)]),
     "only kite profiles of 2 points"),
    (kite([(0.0, 0.0, 10.0), (0.0, 0.0, 0.0)], [(0.1, 0.0, 0.0), (0.1, 0.0, 10.0)]),
     "must be deeper than its first"),
    (kite([(0.0, 0.0, 0.0), (0.0, 0.0, 10.0)], [(0.0, 0.0, 0.0), (0.0, 0.1, 10.0)]),
     "start at the same point"),
    (VERTICAL.replace("0.1 0 0 0.1 0 10", "0.1 0 0 0.1 0"), "longitude/latitude/depth triples"),
])
def test_bad_kites_are_refused(tmp_path, surface, message):
    with pytest.raises(InputError, match=f"model.xml line .*{message}"):
        read(tmp_path, non_parametric(surface))
