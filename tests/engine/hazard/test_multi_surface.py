"""Ruptures of several sub-surfaces: closest distances and GC2 (Spudich & Chiou 2015)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from toolkit.engine.hazard import geo
from toolkit.engine.hazard.multi_surface import GC2, MultiSurfaces
from toolkit.engine.hazard.ruptures import Surfaces
from toolkit.engine.hazard.surfaces import FaultMesh, MeshSurfaces, PlanarSurfaces

R = geo.EARTH_RADIUS
KM = np.pi * R / 180.0  # km per degree along the equator or a meridian
NAMES = {"rrup", "rjb", "rx", "ry0"}

# a bent trace near (0, 0), in km east and north: 20 km north, then 20 km north-east
BENT = np.array([[0.0, 0.0], [0.0, 20.0], [20.0 / np.sqrt(2.0), 20.0 + 20.0 / np.sqrt(2.0)]])


def km_to_lonlat(xy):
    xy = np.asarray(xy, dtype=float)
    return xy[..., 0] / KM, xy[..., 1] / KM


def plane(a, b, ztor, width, dip):
    """PlanarSurfaces corners (4, 3) of a plane whose top edge runs from a to b (km east,
    north) at depth ztor and dips to the right of a -> b; and its strike."""
    (lon_a, lat_a), (lon_b, lat_b) = km_to_lonlat(a), km_to_lonlat(b)
    strike = float(geo.azimuth(lon_a, lat_a, lon_b, lat_b))
    h = width * np.cos(np.radians(dip))
    zbot = ztor + width * np.sin(np.radians(dip))
    lon_c, lat_c = geo.point_at([lon_b, lon_a], [lat_b, lat_a], strike + 90.0, h)
    corners = [[lon_a, lat_a, ztor], [lon_b, lat_b, ztor], [lon_c[0], lat_c[0], zbot],
               [lon_c[1], lat_c[1], zbot]]
    return np.array(corners), strike


def planes(points, ztor=0.0, width=10.0, dip=90.0):
    """One PlanarSurfaces of the planes below the consecutive segments of ``points``."""
    built = [plane(a, b, ztor, width, dip) for a, b in zip(points[:-1], points[1:], strict=True)]
    return PlanarSurfaces(np.array([c for c, _ in built]), [s for _, s in built], dip)


def flat_gc2(trace, site):
    """GC2 T and U in a flat (x east, y north) frame, with the weights computed as the
    integrals along each segment of 1 / r^2 (Spudich & Chiou 2015), by quadrature."""
    total = weighted_t = weighted_u = start = 0.0
    for a, b in zip(trace[:-1], trace[1:], strict=True):
        length = np.linalg.norm(b - a)
        along = (b - a) / length
        right = np.array([along[1], -along[0]])
        u, t = (site - a) @ along, (site - a) @ right
        w = quad(lambda x, u=u, t=t: 1.0 / ((x - u) ** 2 + t**2), 0.0, length,
                 points=[min(max(u, 0.0), length)])[0]
        total += w
        weighted_t += w * t
        weighted_u += w * (u + start)
        start += length
    return weighted_t / total, weighted_u / total


SITES = np.array([[5, 10], [-5, 10], [10, 25], [-3, 25], [5, -5], [20, 40], [-10, 35],
                  [3, 20], [-8, -6]], dtype=float)


def test_protocol_take_and_min_distance():
    surf = MultiSurfaces([planes(BENT)])
    assert isinstance(surf, Surfaces)
    assert len(surf) == 1 and surf.n_sub_surfaces == 2
    lons, lats = km_to_lonlat(SITES)
    d = surf.distances(lons, lats, None, NAMES)
    assert all(v.shape == (1, len(SITES)) for v in d.values())
    assert len(surf.take(np.array([True]))) == 1
    assert len(surf.take(np.array([False]))) == 0
    twice = surf.take(np.array([0, 0]))
    assert len(twice) == 2 and twice.strike.shape == (2,)
    d2 = twice.distances(lons, lats, None, {"rrup", "rx"})
    np.testing.assert_array_equal(d2["rrup"], np.vstack([d["rrup"], d["rrup"]]))
    np.testing.assert_array_equal(d2["rx"][1], d["rx"][0])
    empty = surf.take(np.array([], dtype=int))
    assert empty.distances(lons, lats, None, NAMES)["rjb"].shape == (0, len(SITES))
    bound = surf.min_distance(lons, lats)
    assert bound.shape == (1, len(SITES))
    assert np.all(bound <= d["rjb"] + 1e-9) and np.all(bound <= d["rrup"] + 1e-9)
    with pytest.raises(ValueError, match="unknown distance"):
        surf.distances(lons, lats, None, {"repi"})


def test_rrup_and_rjb_are_the_minimum_over_the_parts():
    part = planes(BENT, ztor=2.0, width=12.0, dip=60.0)
    surf = MultiSurfaces([part])
    lons, lats = km_to_lonlat(SITES)
    got = surf.distances(lons, lats, None, {"rrup", "rjb"})
    each = part.distances(lons, lats, None, {"rrup", "rjb"})
    for name in ("rrup", "rjb"):
        np.testing.assert_array_equal(got[name][0], each[name].min(axis=0))
    # by hand: vertical planes 0-10 km deep; (5, 10) is beside the first plane, on the
    # meridian lon 0, and (-8, -6) nearest to its top-left corner (0, 0)
    vertical = MultiSurfaces([planes(BENT)])
    lons, lats = km_to_lonlat(SITES[[0, 8]])
    d = vertical.distances(lons, lats, None, {"rrup", "rjb"})
    cross_track = R * np.arcsin(np.cos(np.radians(lats[0])) * np.sin(np.radians(lons[0])))
    # (the distance to a corner is a chord between surface points, as in OpenQuake)
    corner = 2.0 * R * np.sin(geo.geodetic_distance(0.0, 0.0, lons[1], lats[1]) / (2.0 * R))
    np.testing.assert_allclose(d["rjb"][0], [cross_track, corner], rtol=1e-9)
    # rrup: to the flat rectangles through the corners, whose 20 km top edges are chords that
    # sag up to L^2 / 8R = 0.008 km below the surface
    assert np.abs(d["rrup"][0] - [cross_track, corner]).max() <= 20.0**2 / (8.0 * R)


def test_gc2_agrees_with_the_integral_definition():
    gc2 = GC2([np.column_stack(km_to_lonlat(BENT))])
    t, u = gc2.coordinates(*km_to_lonlat(SITES))
    expected = np.array([flat_gc2(BENT, site) for site in SITES])
    # the sphere against a flat equirectangular frame 50 km across: differences of order
    # d^3 / R^2 = 3e-3 km
    tol = 50.0**3 / R**2
    np.testing.assert_allclose(t, expected[:, 0], atol=tol)
    np.testing.assert_allclose(u, expected[:, 1], atol=tol)
    # ry0 from U: 0 between the trace's ends (U in [0, 40]), U beyond them
    surf = MultiSurfaces([planes(BENT)])
    d = surf.distances(*km_to_lonlat(SITES), None, {"rx", "ry0"})
    np.testing.assert_allclose(d["rx"][0], t, atol=1e-12)
    ry0 = np.maximum(np.maximum(-expected[:, 1], expected[:, 1] - 40.0), 0.0)
    np.testing.assert_allclose(d["ry0"][0], ry0, atol=tol)


def test_gc2_rx_sign_on_hanging_and_foot_walls():
    """Planes dipping 45 degrees to the right of the bent trace: sites above them (hanging
    wall) have rx > 0, sites on the other side (foot wall) rx < 0, sites on the trace 0."""
    surf = MultiSurfaces([planes(BENT, width=10.0, dip=45.0)])
    hanging = np.array([[3, 5], [3, 15], [2, 21], [8, 26], [14, 33]], dtype=float)
    foot = np.array([[-3, 5], [-3, 15], [-2, 22], [4, 30], [8, 35]], dtype=float)
    on_trace = np.vstack([BENT, [[0.0, 10.0]]])
    lon_1, lat_1 = km_to_lonlat(BENT[1])
    lon_2, lat_2 = km_to_lonlat(BENT[2])
    middle = geo.point_at(lon_1, lat_1, geo.azimuth(lon_1, lat_1, lon_2, lat_2),
                          geo.geodetic_distance(lon_1, lat_1, lon_2, lat_2) / 2.0)
    d_h = surf.distances(*km_to_lonlat(hanging), None, {"rx", "rjb", "ry0"})
    d_f = surf.distances(*km_to_lonlat(foot), None, {"rx", "rjb"})
    lons, lats = km_to_lonlat(on_trace)
    d_0 = surf.distances(np.r_[lons, middle[0]], np.r_[lats, middle[1]], None, {"rx", "ry0"})
    assert np.all(d_h["rjb"] == 0.0)  # above the planes
    assert np.all(d_h["rx"] > 0.5)
    assert np.all(d_f["rx"] < -0.5)
    assert np.all(d_f["rjb"] > 0.5)
    np.testing.assert_allclose(d_0["rx"], 0.0, atol=1e-9)
    np.testing.assert_allclose(d_0["ry0"], 0.0, atol=1e-9)


def test_single_straight_segment_matches_the_planar_rupture():
    corners, strike = plane([0.0, 0.0], [20.0, 5.0], 1.0, 12.0, 50.0)
    rect = PlanarSurfaces(corners[None], strike, 50.0)
    surf = MultiSurfaces([rect])
    xy = np.array([[10, -5], [10, 8], [30, 0], [-6, -3], [25, 12], [-20, 40], [0, 0]], float)
    lons, lats = km_to_lonlat(xy)
    got, expected = surf.distances(lons, lats, None, NAMES), rect.distances(lons, lats, None, NAMES)
    for name in ("rrup", "rjb", "rx"):
        np.testing.assert_allclose(got[name], expected[name], atol=1e-9, err_msg=name)
    # ry0: along the edge's great circle here; for the planar rupture, from the great circles
    # at the ends perpendicular to the strike at the top-left corner: they differ by
    # ry0 (rx / R)^2 / 2 and by rx times the change of the edge's azimuth from end to end
    turn = np.radians((geo.azimuth(*corners[1, :2], *corners[0, :2]) + 180.0) - strike)
    bound = (expected["ry0"] * (expected["rx"] / R) ** 2 / 2.0
             + np.abs(expected["rx"] * np.sin(turn)) + 1e-9)
    assert np.all(np.abs(got["ry0"] - expected["ry0"]) <= bound)
    assert np.any(expected["ry0"] > 5.0)
    for name in ("strike", "dip", "ztor", "width"):
        np.testing.assert_allclose(getattr(surf, name), getattr(rect, name), atol=1e-9)


def test_collinear_planes_give_the_distances_of_one_plane():
    one = MultiSurfaces([planes(np.array([[0.0, 0.0], [0.0, 30.0]]))])
    split = MultiSurfaces([planes(np.array([[0.0, 0.0], [0.0, 12.0], [0.0, 30.0]]))])
    lons, lats = km_to_lonlat(SITES)
    a, b = one.distances(lons, lats, None, NAMES), split.distances(lons, lats, None, NAMES)
    for name in ("rjb", "rx", "ry0"):
        np.testing.assert_allclose(b[name], a[name], atol=1e-9, err_msg=name)
    # the edges of a planar rupture are chords: the 30 km top edge sags L^2 / 8R = 0.018 km
    # below the surface at mid-length, the split ones less, so rrup differs by at most that
    assert np.abs(b["rrup"] - a["rrup"]).max() <= 30.0**2 / (8.0 * R)
    assert split.gc2.n_traces == 1
    # sites on the extensions of the trace (t = 0 off the segments: the limit weights)
    d = split.distances(*km_to_lonlat([[0.0, 40.0], [0.0, -5.0], [0.0, 12.0]]), None,
                        {"rx", "ry0"})
    np.testing.assert_allclose(d["rx"][0], 0.0, atol=1e-9)
    np.testing.assert_allclose(d["ry0"][0], [10.0, 5.0, 0.0], atol=1e-9)


def test_separate_traces_are_offset_along_the_nominal_strike():
    """Two collinear planes with a 3 km gap, the second given backwards (discordant)."""
    first = plane([0.0, 0.0], [0.0, 12.0], 0.0, 10.0, 90.0)
    second = plane([0.0, 25.0], [0.0, 15.0], 0.0, 10.0, 90.0)
    surf = MultiSurfaces([PlanarSurfaces(np.array([first[0], second[0]]),
                                         [first[1], second[1]], 90.0)])
    assert surf.gc2.n_traces == 2
    # U is the distance north of the first trace's start; the trace ends at U = 25
    lons, lats = km_to_lonlat([[2.0, 30.0], [-3.0, 12.0], [4.0, -2.0]])
    d = surf.distances(lons, lats, None, {"rx", "ry0"})
    np.testing.assert_allclose(d["ry0"][0], [5.0, 0.0, 2.0], atol=1e-5)
    # rx: the distance east of the meridian of both traces
    rx = R * np.arcsin(np.cos(np.radians(lats)) * np.sin(np.radians(lons)))
    np.testing.assert_allclose(d["rx"][0], rx, atol=1e-9)


def test_strike_dip_width_and_ztor_are_area_weighted():
    a, sa = plane([0.0, 0.0], [-0.0, 10.0], 2.0, 10.0, 30.0)  # strike 0, area 100
    b, sb = plane([0.0, 10.0], [-10.0, 40.0], 4.0, 20.0, 60.0)  # strike ~341.6, area ~632
    surf = MultiSurfaces([PlanarSurfaces(np.array([a, b]), [sa, sb], [30.0, 60.0])])
    rect = surf.parts[0]
    area = rect.length * rect.width
    assert surf.dip[0] == pytest.approx((area @ [30.0, 60.0]) / area.sum())
    assert surf.width[0] == pytest.approx((area @ rect.width) / area.sum())
    assert surf.ztor[0] == pytest.approx(2.0, abs=1e-9)
    assert surf.area[0] == pytest.approx(area.sum())
    # circular mean of 0 and 341.6 degrees: about 345, not about 170
    rad = np.radians([sa, sb])
    mean = np.degrees(np.arctan2(area @ np.sin(rad), area @ np.cos(rad))) % 360.0
    assert surf.strike[0] == pytest.approx(mean)
    assert 340.0 < surf.strike[0] < 350.0
    # centroid: area-weighted mean of the rectangles' corner means
    middles = rect.corners.mean(axis=1)
    np.testing.assert_allclose(surf.centroids()[0, 2], area @ middles[:, 2] / area.sum())
    assert middles[0, 1] < surf.centroids()[0, 1] < middles[1, 1]


def test_mesh_and_planar_parts_together():
    # a vertical mesh below the first segment of the bent trace, a plane below the second
    lon, lat = km_to_lonlat(np.column_stack([np.zeros(11), np.linspace(0.0, 20.0, 11)]))
    mesh = FaultMesh(np.tile(lon, (6, 1)), np.tile(lat, (6, 1)),
                     np.repeat(np.linspace(0.0, 10.0, 6)[:, None], 11, axis=1))
    window = MeshSurfaces(mesh, [0], [0], [6], [11], 90.0)
    rect = planes(BENT[1:])
    surf = MultiSurfaces([window, rect])
    lons, lats = km_to_lonlat(SITES)
    got = surf.distances(lons, lats, None, NAMES)
    reference = MultiSurfaces([planes(BENT)]).distances(lons, lats, None, NAMES)
    # same geometry as two planes: rx and ry0 from the same top edges (joined into one trace);
    # rjb within the chord/arc convention of meshes (d^3 / 24R^2 < 1e-5 km at 50 km); rrup
    # within the sag of the planes' 20 km top edges, chords L^2 / 8R = 0.008 km deep
    assert surf.gc2.n_traces == 1
    for name in ("rx", "ry0"):
        np.testing.assert_allclose(got[name], reference[name], atol=1e-9, err_msg=name)
    np.testing.assert_allclose(got["rjb"], reference["rjb"], atol=1e-5)
    assert np.abs(got["rrup"] - reference["rrup"]).max() <= 20.0**2 / (8.0 * R)
    assert surf.dip[0] == pytest.approx(90.0)
    assert surf.area[0] == pytest.approx(2 * 20.0 * 10.0, rel=1e-3)


def test_invalid_parts_are_rejected():
    with pytest.raises(ValueError, match="one or more non-empty"):
        MultiSurfaces([])
    class Unknown:
        def __len__(self) -> int:
            return 1

    with pytest.raises(TypeError, match="cannot find the top edges"):
        MultiSurfaces([Unknown()]).gc2  # noqa: B018 (the property raises)
    with pytest.raises(ValueError, match="at least 2 points"):
        GC2([np.zeros((1, 2))])
