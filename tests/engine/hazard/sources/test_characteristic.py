"""Characteristic fault sources: one rupture per bin over the whole surface."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard.geo import EARTH_RADIUS
from toolkit.engine.hazard.mfd import EvenlyDiscretizedMFD
from toolkit.engine.hazard.multi_surface import MultiSurfaces
from toolkit.engine.hazard.sources import CharacteristicFaultSource
from toolkit.engine.hazard.sources.characteristic import plane_strike_dip
from toolkit.engine.hazard.surfaces import MeshSurfaces, PlanarSurfaces
from toolkit.errors import InputError

KM = 180.0 / (np.pi * EARTH_RADIUS)  # degrees of arc per km
# a vertical plane along the equator, 20 km long, from 2 to 12 km depth; strike 90 (east)
PLANE = [[0.0, 0.0, 2.0], [20 * KM, 0.0, 2.0], [20 * KM, 0.0, 12.0], [0.0, 0.0, 12.0]]


def source(geometry, mfd=None, rake=0.0):
    mfd = mfd or EvenlyDiscretizedMFD(6.0, 0.2, [0.01, 0.004, 0.002])
    return CharacteristicFaultSource("ch", "ch", "Active Shallow Crust", mfd, rake, geometry)


def chord(angle_km: float, depth: float) -> float:
    """3-D distance between a surface point and a point at ``depth`` ``angle_km`` away (arc
    length on the surface)."""
    theta = angle_km / EARTH_RADIUS
    inner = EARTH_RADIUS - depth
    return float(np.sqrt(EARTH_RADIUS**2 + inner**2 - 2 * EARTH_RADIUS * inner * np.cos(theta)))


def test_one_rupture_per_bin_with_the_bin_rates():
    mfd = EvenlyDiscretizedMFD(6.0, 0.2, [0.01, 0.004, 0.002])
    src = source({"kind": "planar", "corners": [PLANE]}, mfd)
    blocks = list(src.iter_ruptures())
    assert src.count_ruptures() == 3 == sum(len(b) for b in blocks)
    mags = np.concatenate([b.mag for b in blocks])
    rates = np.concatenate([b.rate for b in blocks])
    assert np.allclose(mags, [6.0, 6.2, 6.4])
    assert np.allclose(rates, [0.01, 0.004, 0.002], rtol=1e-14)
    assert np.isclose(rates.sum(), 0.016, rtol=1e-14)
    assert src.count_ruptures(min_mag=6.1) == 2
    assert sum(len(b) for b in src.iter_ruptures(block_size=1)) == 3
    # the hypocentre is the centre of the plane
    assert np.allclose(blocks[0].hypo[0], [10 * KM, 0.0, 7.0], atol=1e-9)


def test_planar_rupture_distances_to_known_sites():
    src = source({"kind": "planar", "corners": [PLANE]})
    block = next(src.iter_ruptures())
    surface = block.surface
    assert isinstance(surface, PlanarSurfaces)
    assert np.allclose(surface.strike, 90.0) and np.allclose(surface.dip, 90.0)
    assert np.allclose(surface.ztor, 2.0) and np.allclose(surface.width, 10.0, atol=1e-9)
    # north of the middle (footwall side: left of the strike), south (hanging-wall side), on
    # the trace beyond the east end, and above the plane
    lons = np.array([10 * KM, 10 * KM, 25 * KM, 5 * KM])
    lats = np.array([15 * KM, -30 * KM, 0.0, 0.0])
    d = surface.distances(lons, lats, np.zeros(4), {"rrup", "rjb", "rx", "ry0"})
    assert np.allclose(d["rjb"][0], [15.0, 30.0, 5.0, 0.0], atol=1e-6)
    assert np.allclose(d["rx"][0], [-15.0, 30.0, 0.0, 0.0], atol=1e-6)
    assert np.allclose(d["ry0"][0], [0.0, 0.0, 5.0, 0.0], atol=1e-6)
    # rrup from the plane through the corners (Earth-centred Cartesian): it holds the top
    # edge's chord, which at mid-length lies at radius (R - 2) cos(a / 2), a = 20 km / R; the
    # sites north and south of the middle are nearest to that point
    phi = np.radians(np.array([15 * KM, -30 * KM]))
    mid = (EARTH_RADIUS - 2.0) * np.cos(10.0 / EARTH_RADIUS)
    across = np.hypot(EARTH_RADIUS * np.sin(phi), EARTH_RADIUS * np.cos(phi) - mid)
    mid_sites = surface.distances(lons[:2], lats[:2], np.zeros(2), {"rrup"})["rrup"][0]
    assert np.allclose(mid_sites, across, atol=1e-9, rtol=0)
    above = surface.distances([10 * KM], [0.0], [0.0], {"rrup"})["rrup"][0, 0]
    assert np.isclose(above, EARTH_RADIUS - mid, atol=1e-9, rtol=0)  # 2 km + 7.8 m of sag
    # beyond the east end the nearest point is the top-right corner (within the 16 m by which
    # the rectangle of mean edge lengths differs from the trapezoid of the chords)
    assert abs(d["rrup"][0, 2] - chord(5.0, 2.0)) < 0.016


def test_two_planes_in_line_give_the_distances_of_one_plane():
    half = [[0.0, 0.0, 2.0], [10 * KM, 0.0, 2.0], [10 * KM, 0.0, 12.0], [0.0, 0.0, 12.0]]
    other = [[10 * KM, 0.0, 2.0], [20 * KM, 0.0, 2.0], [20 * KM, 0.0, 12.0],
             [10 * KM, 0.0, 12.0]]
    two = source({"kind": "planar", "corners": [half, other]})
    one = source({"kind": "planar", "corners": [PLANE]})
    s2 = next(two.iter_ruptures()).surface
    s1 = next(one.iter_ruptures()).surface
    assert isinstance(s2, MultiSurfaces) and len(s2) == 3
    lons = np.array([10 * KM, 3 * KM, 25 * KM, -8 * KM])
    lats = np.array([15 * KM, -30 * KM, 4 * KM, -2 * KM])
    names = {"rrup", "rjb", "rx", "ry0"}
    d2 = s2.distances(lons, lats, np.zeros(4), names)
    d1 = s1.distances(lons, lats, np.zeros(4), names)
    for name in ("rjb", "rx", "ry0"):
        assert np.allclose(d2[name], d1[name], atol=1e-6), name
    # rrup: the closest of the two planes; each half is flat between its own corners, so the
    # site north of the joint is nearest to the shared corner at 2 km depth
    assert np.isclose(d2["rrup"][0, 0], chord(15.0, 2.0), atol=1e-9, rtol=0)
    assert np.all(np.abs(d2["rrup"] - d1["rrup"]) < 0.01)  # the sags differ by meters
    assert np.allclose(s2.width, 10.0) and np.allclose(s2.ztor, 2.0)


def test_plane_strike_and_dip_from_corners():
    # dipping 45 degrees to the south: bottom edge 10 km south of the top edge, 10 km deeper
    corners = np.array([[[0.0, 0.0, 0.0], [20 * KM, 0.0, 0.0], [20 * KM, -10 * KM, 10.0],
                         [0.0, -10 * KM, 10.0]]])
    strike, dip = plane_strike_dip(corners)
    assert np.allclose(strike, 90.0) and np.allclose(dip, 45.0, atol=1e-6)


def test_simple_and_complex_geometries_cover_the_whole_mesh():
    trace = np.array([[0.0, 0.0], [20 * KM, 0.0]])
    simple = source({"kind": "simple", "trace": trace, "dip": 60.0,
                     "upper_seismogenic_depth": 0.0, "lower_seismogenic_depth": 10.0,
                     "mesh_spacing": 1.0})
    block = next(simple.iter_ruptures())
    assert isinstance(block.surface, MeshSurfaces) and len(block) == 3
    ny, nx = block.surface.mesh.shape
    assert set(block.surface.nrows) == {ny} and set(block.surface.ncols) == {nx}
    assert np.allclose(block.surface.dip, 60.0, atol=0.05)  # mean over the cells
    edges = [[[0.0, 0.0, 0.0], [20 * KM, 0.0, 0.0]], [[0.0, -5 * KM, 5.0], [20 * KM, -5 * KM, 5.0]],
             [[0.0, -8 * KM, 15.0], [20 * KM, -8 * KM, 15.0]]]
    cplx = source({"kind": "complex", "edges": edges, "mesh_spacing": 2.0})
    block = next(cplx.iter_ruptures())
    # columns of 7.07 + 10.44 = 17.51 km: 10 rows at 1.946 km; the hypocentre is the middle
    # of rows 4 and 5 (7.78 and 9.73 km down the column, both on the second segment)
    first, second = np.hypot(5, 5), np.hypot(3, 10)
    assert block.surface.mesh.shape == (10, 11)
    along = np.array([4, 5]) / 9 * (first + second)
    depths = 5.0 + (along - first) / second * 10.0
    assert np.allclose(block.hypo[:, 2], depths.mean(), atol=1e-3)
    west, south, east, north = cplx.location_bounds()
    assert np.isclose(south, -8 * KM) and np.isclose(east, 20 * KM)


def test_invalid_geometry():
    with pytest.raises(InputError, match="characteristicFaultSource 'ch'.*kind"):
        source({"kind": "kite"})
    with pytest.raises(InputError, match=r"\(K, 4, 3\)"):
        source({"kind": "planar", "corners": [[0, 0, 0]]})
    with pytest.raises(InputError, match="dip"):
        source({"kind": "simple", "trace": [[0, 0], [0.1, 0]], "dip": 0.0,
                "upper_seismogenic_depth": 0.0, "lower_seismogenic_depth": 10.0,
                "mesh_spacing": 1.0})
    bad = source({"kind": "complex", "edges": [[[0, 0, 0], [0.1, 0, 0]]], "mesh_spacing": 1.0})
    with pytest.raises(InputError, match="characteristicFaultSource 'ch'.*2 edges"):
        next(bad.iter_ruptures())


def test_hypocentre_of_several_planes_is_the_centre_of_the_plane_nearest_the_centroid():
    def vertical(x0, x1):
        return [[x0 * KM, 0.0, 0.0], [x1 * KM, 0.0, 0.0], [x1 * KM, 0.0, 10.0],
                [x0 * KM, 0.0, 10.0]]

    # areas 100, 50, 50 km2: the area-weighted centroid of the centres is at 30.15 km, nearest
    # to the centre of the second plane (52.5 km), not to the largest plane's (5 km)
    src = source({"kind": "planar", "corners": [vertical(0, 10), vertical(50, 55),
                                                vertical(55.6, 60.6)]})
    hypo = next(src.iter_ruptures()).hypo
    assert np.allclose(hypo, [52.5 * KM, 0.0, 5.0], atol=1e-9)
