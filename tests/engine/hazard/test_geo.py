"""Geodetic helpers: distances, azimuths, great circles, resampling and polygon grids."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard import geo

R = geo.EARTH_RADIUS
KM_PER_DEG = np.pi * R / 180.0


def test_geodetic_distance_along_meridian_and_equator_is_exact():
    assert geo.geodetic_distance(0.0, 0.0, 0.0, 1.0) == pytest.approx(KM_PER_DEG, rel=1e-14)
    assert geo.geodetic_distance(10.0, 0.0, 13.0, 0.0) == pytest.approx(3 * KM_PER_DEG, rel=1e-14)
    # antipodes and a quarter of a great circle
    assert geo.geodetic_distance(0.0, 0.0, 180.0, 0.0) == pytest.approx(np.pi * R, rel=1e-12)
    assert geo.geodetic_distance(0.0, 0.0, 0.0, 90.0) == pytest.approx(np.pi * R / 2, rel=1e-12)


def test_geodetic_distance_broadcasts_and_matches_spherical_law_of_cosines():
    rng = np.random.default_rng(3)
    lons1, lats1 = rng.uniform(-180, 180, (5, 1)), rng.uniform(-80, 80, (5, 1))
    lons2, lats2 = rng.uniform(-180, 180, 7), rng.uniform(-80, 80, 7)
    d = geo.geodetic_distance(lons1, lats1, lons2, lats2)
    assert d.shape == (5, 7)
    p1, p2 = np.radians(lats1), np.radians(lats2)
    dl = np.radians(lons2 - lons1)
    cosc = np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(dl)
    np.testing.assert_allclose(d, R * np.arccos(np.clip(cosc, -1, 1)), rtol=1e-9)


def test_azimuth_cardinal_directions():
    assert geo.azimuth(0, 0, 0, 1) == pytest.approx(0.0)
    assert geo.azimuth(0, 0, 1, 0) == pytest.approx(90.0)
    assert geo.azimuth(0, 1, 0, 0) == pytest.approx(180.0)
    assert geo.azimuth(1, 0, 0, 0) == pytest.approx(270.0)


def test_point_at_round_trip():
    rng = np.random.default_rng(4)
    lon, lat = rng.uniform(-170, 170, 50), rng.uniform(-70, 70, 50)
    az, dist = rng.uniform(0, 360, 50), rng.uniform(0.1, 500, 50)
    lon2, lat2 = geo.point_at(lon, lat, az, dist)
    np.testing.assert_allclose(geo.geodetic_distance(lon, lat, lon2, lat2), dist, rtol=1e-10)
    back = geo.azimuth(lon, lat, lon2, lat2)
    np.testing.assert_allclose((back - az + 180) % 360 - 180, 0, atol=1e-8)


def test_distance_to_arc_is_signed_positive_on_the_right():
    # great circle = the equator heading east: the south is on the right
    d = geo.distance_to_arc(0.0, 0.0, 90.0, [5.0, 5.0, 5.0], [-1.0, 1.0, 0.0])
    np.testing.assert_allclose(d, [KM_PER_DEG, -KM_PER_DEG, 0.0], rtol=1e-12, atol=1e-9)


def test_cartesian_round_trip_and_radius():
    lons, lats, depths = np.array([0.0, 90.0, -45.0]), np.array([0.0, 10.0, -60.0]), np.array(
        [0.0, 10.0, -0.5]
    )
    xyz = geo.spherical_to_cartesian(lons, lats, depths)
    np.testing.assert_allclose(np.linalg.norm(xyz, axis=1), R - depths, rtol=1e-14)
    back = geo.cartesian_to_spherical(xyz)
    np.testing.assert_allclose(back, [lons, lats, depths], atol=1e-9)


def test_intervals_between_has_exact_spacing_and_rounded_count():
    # 12.7 km down a 60 degree dip with 1 km spacing: 13 intervals of exactly 1 km
    lon2, lat2 = geo.point_at(0.0, 0.0, 90.0, 11.0 / np.tan(np.radians(60)))
    lons, lats, depths = geo.intervals_between(0.0, 0.0, 1.0, lon2, lat2, 12.0, 1.0)
    assert len(lons) == 14
    step = np.hypot(geo.geodetic_distance(lons[:-1], lats[:-1], lons[1:], lats[1:]),
                    np.diff(depths))
    np.testing.assert_allclose(step, 1.0, rtol=1e-9)
    assert depths[-1] == pytest.approx(1.0 + 13 * np.sin(np.radians(60)), rel=1e-9)


def test_resample_line_straight():
    # 24.996 km along a meridian at 1 km: 25 sections, the last point just beyond the end
    lons, lats, _ = geo.resample_line([0.0, 0.0], [0.0, 0.2248], [0.0, 0.0], 1.0)
    assert len(lons) == 26
    steps = geo.geodetic_distance(lons[:-1], lats[:-1], lons[1:], lats[1:])
    np.testing.assert_allclose(steps, 1.0, rtol=1e-6)
    assert lats[-1] == pytest.approx(25.0 / KM_PER_DEG, rel=1e-6)
    # at 3 km: 8 sections (the remaining 0.996 km is less than half a section)
    lons, lats, _ = geo.resample_line([0.0, 0.0], [0.0, 0.2248], [0.0, 0.0], 3.0)
    assert len(lons) == 9
    assert lats[-1] == pytest.approx(24.0 / KM_PER_DEG, rel=1e-6)


def test_resample_line_keeps_points_on_a_bent_line():
    lons, lats, depths = geo.resample_line([0, 0.1, 0.1], [0, 0, 0.1], [0, 0, 0], 3.0)
    steps = geo.geodetic_distance(lons[:-1], lats[:-1], lons[1:], lats[1:])
    np.testing.assert_allclose(steps, 3.0, rtol=1e-6)
    on_first = np.abs(lats) < 1e-9
    on_second = np.abs(lons - 0.1) < 1e-7
    assert np.all(on_first | on_second)
    assert len(lons) == 8  # 22.24 km of polyline, one corner cut
    np.testing.assert_allclose(depths, 0.0, atol=1e-9)


def test_points_in_polygon_excludes_the_boundary():
    poly_lons, poly_lats = [10, 11, 11, 10], [45, 45, 46, 46]
    inside = geo.points_in_polygon(
        [10.5, 10.5, 9.9, 10.0, 11.0], [45.5, 46.2, 45.5, 45.5, 46.0], poly_lons, poly_lats
    )
    assert inside.tolist() == [True, False, False, False, False]


def test_discretize_polygon_spacing():
    lons, lats = geo.discretize_polygon([0, 1, 1, 0], [40, 40, 41, 41], 5.0)
    rows = np.unique(lats)
    np.testing.assert_allclose(np.diff(rows), 5.0 / KM_PER_DEG, rtol=1e-9)
    for lat in rows:
        row = np.sort(lons[lats == lat])
        steps = geo.geodetic_distance(row[:-1], lat, row[1:], lat)
        # an eastward great-circle step of 5 km, measured along the parallel
        np.testing.assert_allclose(steps, 5.0, rtol=1e-5)
    assert geo.points_in_polygon(lons, lats, [0, 1, 1, 0], [40, 40, 41, 41]).all()
    # about area / spacing^2 points
    area = (KM_PER_DEG * np.cos(np.radians(40.5))) * KM_PER_DEG
    assert len(lons) == pytest.approx(area / 25.0, rel=0.05)


def test_discretize_polygon_matches_openquake_for_qa_case_03():
    """The grid of OpenQuake QA classical case_03 (polygon and 10 km spacing from its
    source_model.xml). Reference values measured by running OpenQuake engine 3.26.2's
    ``Polygon.discretize(10.0)`` on that polygon: 52 points; first three listed."""
    lons, lats = geo.discretize_polygon([-0.5, -0.3, 0.1, 0.3], [-0.5, -0.1, 0.2, -0.8], 10.0)
    assert len(lons) == 52
    np.testing.assert_allclose(
        np.c_[lons[:3], lats[:3]],
        [[0.03959395921309628, 0.11006783940812692],
         [-0.050339169272798336, 0.02013567881625386],
         [0.03959299687264087, 0.02013567881625386]],
        atol=1e-9,
    )


def test_discretize_polygon_across_the_antimeridian():
    lons, lats = geo.discretize_polygon([179.5, -179.4, -179.4, 179.5], [-17, -17, -18, -18], 10.0)
    assert len(lons) > 0
    assert np.all((lons >= 179.5) | (lons <= -179.4))
    assert np.all((lons >= -180) & (lons < 180))


@pytest.mark.parametrize(
    ("length", "pieces"),
    [(99.0, 1), (151.0, 1), (181.0, 1), (199.9, 1), (200.1, 2), (250.0, 2), (299.9, 2),
     (300.1, 3), (1000.1, 10)],
)
def test_polygon_edges_are_split_in_ceil_of_100_km_minus_one_pieces(length, pieces):
    """Piece counts measured on OpenQuake 3.26's polygons (a 0.3-degree-wide rectangle whose
    meridian edges have the given length): an edge up to 200 km long stays whole."""
    dlat = np.degrees(length / geo.EARTH_RADIUS)
    lons, lats = geo._resample_polygon(np.array([0.0, 0.3, 0.3, 0.0]),
                                       np.array([10.0, 10.0, 10.0 - dlat, 10.0 - dlat]))
    assert len(lons) == 2 + 2 * pieces
    east = np.sort(lats[np.isclose(lons, 0.3)])
    np.testing.assert_allclose(np.diff(east), dlat / pieces, rtol=1e-9)


def test_discretize_polygon_keeps_a_160_km_edge_whole():
    """A 2.3-degree-wide rectangle at latitude 50 (parallel edges of about 163 km): the grid of
    OpenQuake 3.26's ``Polygon.discretize(10.0)``, measured: 112 points; first three and last
    listed. Splitting those edges in two moved the bounding box north by their great-circle
    bulge and gave 96 points."""
    lons, lats = geo.discretize_polygon([10.0, 12.3, 12.3, 10.0], [50.0, 50.0, 50.6, 50.6], 10.0)
    assert len(lons) == 112
    np.testing.assert_allclose(
        np.c_[lons[[0, 1, 2, -1]], lats[[0, 1, 2, -1]]],
        [[10.141685407051664, 50.6], [10.283370814103339, 50.6], [10.425056221155016, 50.6],
         [12.241368510923278, 50.06040703644876]],
        atol=1e-9,
    )
