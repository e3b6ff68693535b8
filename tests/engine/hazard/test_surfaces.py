"""Rupture surfaces: distances of planar rectangles and of fault-mesh windows."""

from __future__ import annotations

import time

import numpy as np
import pytest

from toolkit.engine.hazard import geo
from toolkit.engine.hazard.ruptures import Surfaces
from toolkit.engine.hazard.surfaces import FaultMesh, MeshSurfaces, PlanarSurfaces

R = geo.EARTH_RADIUS
KM = np.pi * R / 180.0  # km per degree along the equator or a meridian
NAMES = {"rrup", "rjb", "rx", "ry0"}


def equator_rupture(length, ztor, width, dip):
    """A rectangle whose top edge runs east along the equator from lon 0, dipping south."""
    h = width * np.cos(np.radians(dip)) / KM
    zbot = ztor + width * np.sin(np.radians(dip))
    a = length / KM
    corners = [[0, 0, ztor], [a, 0, ztor], [a, -h, zbot], [0, -h, zbot]]
    return PlanarSurfaces(np.array([corners], dtype=float), 90.0, dip)


def sites_km(xy):
    """Sites given as (km east, km north) of lon 0, lat 0."""
    xy = np.asarray(xy, dtype=float)
    return xy[:, 0] / KM, xy[:, 1] / KM, np.zeros(len(xy))


def test_planar_and_mesh_surfaces_follow_the_protocol():
    surf = equator_rupture(20, 0, 10, 90)
    assert isinstance(surf, Surfaces)
    mesh = FaultMesh(*np.meshgrid(np.linspace(0, 0.1, 5), [0.0, 0.0]), np.array([[0.0] * 5,
                                                                                   [5.0] * 5]))
    assert isinstance(MeshSurfaces(mesh, [0], [0], [2], [5], 90.0), Surfaces)


def test_vertical_rupture_hand_computed():
    """Vertical strike-slip rupture, 20 km along the equator, 0-10 km deep (strike 90)."""
    surf = equator_rupture(20.0, 0.0, 10.0, 90.0)
    sites = sites_km([[10, 5], [10, -5], [25, 0], [25, 3], [-4, 0], [0, -7]])
    d = surf.distances(*sites, NAMES)
    corner = np.hypot(5, 3)
    # The 3-D rectangle keeps the top-left corner and the mean length of the top and bottom
    # edges (OpenQuake's planar surface); on the sphere the bottom edge, 10 km deeper, is
    # shorter by 20 km x 10 / R, so the rectangle's right end is 20 x 5 / R km short.
    short = 20.0 * 5.0 / R
    expected = {
        "rjb": [5, 5, 5, corner, 4, 7],
        "rrup": [5, 5, 5 + short, np.hypot(5 + short, 3), 4, 7],
        "rx": [-5, 5, 0, -3, 0, 7],  # north is the footwall (left of east)
        "ry0": [0, 0, 5, 5, 4, 0],
    }
    for name, values in expected.items():
        np.testing.assert_allclose(d[name][0], values, rtol=1e-5, atol=1e-9, err_msg=name)
    assert surf.ztor[0] == pytest.approx(0.0, abs=1e-9)
    # the sides are radial, so not quite perpendicular to the top chord: cos(10 / R)
    assert surf.width[0] == pytest.approx(10.0, rel=2e-6)
    assert surf.length[0] == pytest.approx(20.0, rel=1e-3)  # bottom edge shorter by z / R


def test_dipping_rupture_hand_computed():
    """Rupture dipping 30 degrees south, top at 2 km, 10 km wide (to 7 km depth, 8.66 km of
    horizontal projection), 20 km long. Hand values on a flat Earth, except for one effect of
    the sphere: the rectangle is the plane through the corners, so its top edge is the chord
    between them, which at mid-length runs ``sag = 20^2 / (8 R)`` = 7.8 m deeper than the
    corners. The remaining difference is below 4e-4 relative."""
    dip = np.radians(30.0)
    sag = 20.0**2 / (8 * R)
    surf = equator_rupture(20.0, 2.0, 10.0, 30.0)
    proj = 10 * np.cos(dip)
    sites = sites_km([[10, 4], [10, -4.33], [10, -12], [24, -3], [-3, 2]])
    d = surf.distances(*sites, NAMES)

    def to_plane(y, ztop=2.0 + sag):  # distance from a surface site y km south of the trace
        return (ztop + y * np.tan(dip)) * np.cos(dip)

    expected = {
        "rjb": [4, 0, 12 - proj, 4, np.hypot(3, 2)],
        "rx": [-4, 4.33, 12, 3, -2],
        "ry0": [0, 0, 0, 4, 3],
        # the rectangle's ends: see test_vertical_rupture_hand_computed (5 km deeper bottom)
        "rrup": [np.hypot(4, 2 + sag), to_plane(4.33), to_plane(12),
                 np.hypot(4 + 20 * 5 / (2 * R), to_plane(3, 2.0)), np.sqrt(9 + 4 + 4)],
    }
    for name, values in expected.items():
        np.testing.assert_allclose(d[name][0], values, rtol=4e-4, atol=1e-6, err_msg=name)
    assert surf.ztor[0] == pytest.approx(2.0)
    # the corners above were placed on a flat Earth: at depth the horizontal step shrinks
    assert surf.width[0] == pytest.approx(10.0, rel=1e-3)


def test_planar_distances_far_away_are_spherical():
    """At 300 km a tiny rupture is a point: rrup is the chord to it, rjb the distance to its
    surface projection, rx the cross-track distance; no flat-Earth approximation. (rjb is the
    great-circle distance off the sides but the chord, 1e-4 shorter at 300 km, beyond the
    corners: OpenQuake's mix.)"""
    surf = equator_rupture(0.01, 10.0, 0.01, 90.0)
    lons = np.array([0.0, 2.0, -1.5])
    lats = np.array([2.7, -1.9, 1.0])
    d = surf.distances(lons, lats, np.zeros(3), NAMES)
    arc = geo.geodetic_distance(0.005 / KM, 0.0, lons, lats)
    chord = np.sqrt(10.0**2 + 2 * R * (R - 10.0) * (1 - np.cos(arc / R)))
    np.testing.assert_allclose(d["rjb"][0], arc, rtol=2e-4)
    np.testing.assert_allclose(d["rrup"][0], chord, rtol=1e-4)
    np.testing.assert_allclose(d["rx"][0], geo.distance_to_arc(0, 0, 90, lons, lats), rtol=1e-9)


def test_planar_matches_openquake_measured_distances():
    """Reference values measured by running OpenQuake engine 3.26.2 (``PlanarSurface``
    distance methods) on a rupture of its PointSource at (15.0, 37.5): M 7.5, WC1994, aspect
    1.5, layer 2-18 km, nodal plane strike 300 dip 35, hypocentre 4 km (corners as OpenQuake
    built them). Sites on the hanging wall, the footwall, inside the projection and off both
    ends; all at the surface."""
    corners = np.array([[[15.3860259449, 37.2926230657, 2.0],
                         [14.5797299623, 37.6614577941, 2.0],
                         [14.7087073503, 37.8398647353, 18.0],
                         [15.516288657, 37.4701477745, 18.0]]])
    surf = PlanarSurfaces(corners, 300.0, 35.0)
    lons = [15.219944287203909, 15.344516329865762, 14.629939510824162, 15.433540195413203,
            14.728858066336462, 14.4085101943238]
    lats = [37.69242645662463, 37.19466272069182, 37.822220398675505, 37.09740871976892,
            37.72960444233329, 37.11428625380925]
    d = surf.distances(lons, lats, np.zeros(6), NAMES)
    expected = {
        "rrup": [19.569837340478653, 11.666633290471475, 12.858109278975835,
                 22.197873213807988, 9.196588137736704, 60.381832168797054],
        "rjb": [8.402916969497957, 11.495730414297789, 5.11927486239677, 22.11106174768248,
                0.0, 60.12265043238941],
        "rx": [31.204373301796153, -11.271036507879135, 18.02380068208133,
               -16.69071818750537, 13.357137558550043, -60.12265043238941],
        "ry0": [0.0, 2.261764571646696, 5.11927486239677, 14.50236209713106, 0.0, 0.0],
    }
    for name, values in expected.items():
        # corners rounded to 1e-10 degrees (1e-5 km)
        np.testing.assert_allclose(d[name][0], values, rtol=1e-7, atol=5e-5, err_msg=name)


def test_min_distance_is_a_lower_bound():
    rng = np.random.default_rng(5)
    n = 200
    lon0, lat0 = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
    strike, dip = rng.uniform(0, 360, n), rng.uniform(10, 90, n)
    length, width = rng.uniform(1, 60, n), rng.uniform(1, 20, n)
    # corners from the centre with great circles (as point sources do)
    hl, hw = length / 2, width * np.cos(np.radians(dip)) / 2
    theta = np.degrees(np.arctan2(hw, hl))
    dist = np.hypot(hl, hw)
    az = np.stack([strike + 180 + theta, strike - theta, strike + theta, strike + 180 - theta], 1)
    lo, la = geo.point_at(lon0[:, None], lat0[:, None], az, dist[:, None])
    zt = rng.uniform(0, 5, n)
    zb = zt + width * np.sin(np.radians(dip))
    depth = np.stack([zt, zt, zb, zb], 1)
    surf = PlanarSurfaces(np.stack([lo, la, depth], -1), strike, dip)
    slons, slats = rng.uniform(-3, 3, 80), rng.uniform(-3, 3, 80)
    d = surf.distances(slons, slats, np.zeros(80), {"rrup", "rjb"})
    lower = surf.min_distance(slons, slats)
    # far away, the chord to a deep point (rrup) can be shorter than the arc (rjb)
    assert np.all(lower <= d["rjb"]) and np.all(lower <= d["rrup"])
    assert np.all(lower >= d["rjb"] - 2 * surf._arcs()["radius"][:, None] - 0.5)
    # take() keeps the geometry
    sub = surf.take(np.arange(n) % 3 == 0)
    np.testing.assert_allclose(sub.distances(slons, slats, None, {"rjb"})["rjb"],
                               d["rjb"][::3], rtol=1e-12)
    np.testing.assert_allclose(sub.corners, surf.corners[::3], atol=1e-9)


def test_unknown_distance_name_is_rejected():
    with pytest.raises(ValueError, match="unknown distance"):
        equator_rupture(10, 0, 5, 90).distances([0.0], [0.0], [0.0], {"rhypo"})


# ---- fault meshes -----------------------------------------------------------------------------


def planar_mesh(length, ztor, width, dip, spacing):
    """Mesh of the equator rectangle: nodes every ``spacing`` km."""
    nx, ny = int(round(length / spacing)) + 1, int(round(width / spacing)) + 1
    x = np.linspace(0, length, nx) / KM
    down = np.linspace(0, width, ny)
    y = -down * np.cos(np.radians(dip)) / KM
    z = ztor + down * np.sin(np.radians(dip))
    lons, lats = np.meshgrid(x, y)
    return FaultMesh(lons, lats, np.repeat(z[:, None], nx, axis=1))


def brute_rrup(mesh, r0, c0, nr, nc, lons, lats, depths):
    xyz = mesh.xyz[r0:r0 + nr, c0:c0 + nc].reshape(-1, 3)
    q = geo.spherical_to_cartesian(lons, lats, depths)
    return np.linalg.norm(q[:, None] - xyz[None], axis=-1).min(axis=1)


@pytest.mark.parametrize("dip", [90.0, 40.0])
def test_mesh_window_matches_planar_rectangle(dip):
    """A window of a planar mesh has the projection, top edge and ends of the rectangle with
    the same corners: rjb, rx and ry0 agree; rrup is the minimum over the window's nodes."""
    mesh = planar_mesh(30.0, 1.0, 12.0, dip, 1.0)
    r0, c0, nr, nc = 2, 5, 6, 11
    rect = np.array([[[mesh.lons[r, c], mesh.lats[r, c], mesh.depths[r, c]]
                      for r, c in [(r0, c0), (r0, c0 + nc - 1), (r0 + nr - 1, c0 + nc - 1),
                                   (r0 + nr - 1, c0)]]])
    planar = PlanarSurfaces(rect, 90.0, dip)
    window = MeshSurfaces(mesh, [r0], [c0], [nr], [nc], dip)
    rng = np.random.default_rng(7)
    lons, lats = rng.uniform(-0.3, 0.6, 60), rng.uniform(-0.4, 0.3, 60)
    lons[:3], lats[:3] = [0.1, 0.1, 0.25], [-0.03, 0.0, 0.2]  # above, on the trace, far side
    depths = np.zeros(60)
    dm = window.distances(lons, lats, depths, NAMES)
    dp = planar.distances(lons, lats, depths, NAMES)
    # rjb: OpenQuake's hybrid uses the nearest node beyond 40 km (within s^2 / 8d of it)
    # The window's top edge follows a parallel through its nodes, the rectangle's the great
    # circle through its top-left corner along strike: 1e-5 km apart 25 km away.
    near = dm["rjb"][0] < 40
    np.testing.assert_allclose(dm["rjb"][0][near], dp["rjb"][0][near], atol=1e-4)
    np.testing.assert_allclose(dm["rjb"][0][~near], dp["rjb"][0][~near], atol=0.01)
    np.testing.assert_allclose(dm["rx"][0], dp["rx"][0], atol=1e-4)
    np.testing.assert_allclose(dm["ry0"][0], dp["ry0"][0], atol=1e-4)
    np.testing.assert_allclose(dm["rrup"][0], brute_rrup(mesh, r0, c0, nr, nc, lons, lats,
                                                         depths), rtol=1e-9)
    assert window.ztor[0] == pytest.approx(1.0 + 2 * np.sin(np.radians(dip)))
    # planar_mesh spaces rows 1 km apart on a flat Earth: deeper, horizontal chords shrink
    assert window.width[0] == pytest.approx(5.0, rel=1e-3)
    assert window.dip[0] == pytest.approx(dip, abs=0.05)  # flat-Earth rows, as above
    assert window.strike[0] == pytest.approx(90.0, abs=1e-3)


def bent_mesh():
    trace_lons, trace_lats, _ = geo.resample_line([10.0, 10.3, 10.5], [45.0, 45.05, 45.3],
                                                  [0.0, 0.0, 0.0], 2.0)
    dips = np.arange(0, 9) * 2.0  # km down dip, 45 degrees towards azimuth 139.6
    az = (geo.azimuth(10.0, 45.0, 10.5, 45.3) + 90.0) % 360.0
    lons, lats = geo.point_at(trace_lons[None, :], trace_lats[None, :], az,
                              dips[:, None] * np.cos(np.radians(45)))
    depths = np.repeat((dips * np.sin(np.radians(45)))[:, None], len(trace_lons), axis=1)
    return FaultMesh(lons, lats, depths)


def test_mesh_windows_against_brute_force():
    mesh = bent_mesh()
    ny, nx = mesh.shape
    rng = np.random.default_rng(11)
    nr = rng.integers(1, ny + 1, 40)
    nc = rng.integers(1, nx + 1, 40)
    r0 = rng.integers(0, ny - nr + 1)
    c0 = rng.integers(0, nx - nc + 1)
    surf = MeshSurfaces(mesh, r0, c0, nr, nc, 45.0)
    lons, lats = rng.uniform(9.8, 10.7, 30), rng.uniform(44.85, 45.45, 30)
    lons[:2], lats[:2] = mesh.lons[3, 10] + 1e-4, mesh.lats[3, 10]
    d = surf.distances(lons, lats, np.zeros(30), {"rrup", "rjb"})
    for i in range(len(surf)):
        expected = brute_rrup(mesh, r0[i], c0[i], nr[i], nc[i], lons, lats, np.zeros(30))
        np.testing.assert_allclose(d["rrup"][i], expected, rtol=1e-9)
        # rjb: dense sampling of the window's cells (bilinear), an upper bound within ~5 m
        rr = np.linspace(r0[i], r0[i] + nr[i] - 1, 4 * (nr[i] - 1) + 1)
        cc = np.linspace(c0[i], c0[i] + nc[i] - 1, 4 * (nc[i] - 1) + 1)
        ri, ci = np.meshgrid(rr, cc, indexing="ij")
        lo, la = _bilinear(mesh, ri.ravel(), ci.ravel())
        sampled = geo.geodetic_distance(lo[None], la[None], lons[:, None], lats[:, None]).min(1)
        near = d["rjb"][i] < 40.0  # beyond, OpenQuake's hybrid takes the nearest node
        assert np.all(d["rjb"][i][near] <= sampled[near] + 1e-9)
        # samples every quarter cell: any point is within 0.31 km of one
        assert np.all(d["rjb"][i] >= sampled - 0.31)
        nodes = np.s_[r0[i]:r0[i] + nr[i], c0[i]:c0[i] + nc[i]]
        nearest = geo.geodetic_distance(mesh.lons[nodes].ravel()[None], mesh.lats[nodes].ravel()[
            None], lons[:, None], lats[:, None]).min(axis=1)
        chord = 2 * R * np.sin(nearest / (2 * R))  # OpenQuake's mesh distances are chords
        np.testing.assert_allclose(d["rjb"][i][~near], chord[~near], rtol=1e-9)


def _bilinear(mesh, r, c):
    r0 = np.minimum(np.floor(r).astype(int), mesh.shape[0] - 2) if mesh.shape[0] > 1 else 0 * r
    c0 = np.minimum(np.floor(c).astype(int), mesh.shape[1] - 2) if mesh.shape[1] > 1 else 0 * c
    r0, c0 = np.asarray(r0, int), np.asarray(c0, int)
    fr, fc = r - r0, c - c0
    r1 = np.minimum(r0 + 1, mesh.shape[0] - 1)
    c1 = np.minimum(c0 + 1, mesh.shape[1] - 1)
    u = mesh.unit
    v = ((1 - fr) * (1 - fc))[:, None] * u[r0, c0] + ((1 - fr) * fc)[:, None] * u[r0, c1] \
        + (fr * (1 - fc))[:, None] * u[r1, c0] + (fr * fc)[:, None] * u[r1, c1]
    lon, lat, _ = geo.cartesian_to_spherical(v / np.linalg.norm(v, axis=1, keepdims=True) * R)
    return lon, lat


def test_mesh_rx_sign_and_ry0_on_bent_fault():
    mesh = bent_mesh()
    ny, nx = mesh.shape
    surf = MeshSurfaces(mesh, [0], [0], [ny], [nx], 45.0)
    # a point above the middle of the fault, down dip of the trace: hanging wall
    above = mesh.lons[4, 15], mesh.lats[4, 15]
    behind = geo.point_at(mesh.lons[0, 15], mesh.lats[0, 15], 320.0, 5.0)  # footwall side
    d = surf.distances([above[0], float(behind[0])], [above[1], float(behind[1])], None, NAMES)
    assert d["rx"][0, 0] > 0 > d["rx"][0, 1]
    assert d["rjb"][0, 0] == 0.0
    np.testing.assert_allclose(d["ry0"][0], 0.0, atol=1e-9)
    # 8 km down dip (5.66 km horizontally towards azimuth 139.6), measured perpendicular to
    # the local top-edge segment
    seg = geo.azimuth(mesh.lons[0, 15], mesh.lats[0, 15], mesh.lons[0, 16], mesh.lats[0, 16])
    dip_az = geo.azimuth(10.0, 45.0, 10.5, 45.3) + 90.0
    expected = 8 * np.cos(np.radians(45)) * abs(np.sin(np.radians(dip_az - seg)))
    assert d["rx"][0, 0] == pytest.approx(expected, rel=1e-3)


def test_mesh_min_distance_and_take():
    mesh = bent_mesh()
    ny, nx = mesh.shape
    rows, cols = np.meshgrid(np.arange(ny - 3), np.arange(nx - 6), indexing="ij")
    surf = MeshSurfaces(mesh, rows.ravel(), cols.ravel(), 4, 7, 45.0)
    rng = np.random.default_rng(2)
    lons, lats = rng.uniform(9, 11.5, 50), rng.uniform(44, 46.5, 50)
    d = surf.distances(lons, lats, None, {"rjb", "rrup"})
    lower = surf.min_distance(lons, lats)
    assert np.all(lower <= d["rjb"]) and np.all(lower <= d["rrup"])
    sub = surf.take(np.arange(len(surf))[::5])
    np.testing.assert_allclose(sub.distances(lons, lats, None, {"rrup"})["rrup"],
                               d["rrup"][::5], rtol=1e-12)


def test_mesh_distances_chunk_sites_consistently():
    mesh = bent_mesh()
    surf = MeshSurfaces(mesh, [0, 2, 0], [0, 5, 19], [3, 5, 9], [4, 9, 10], 45.0)
    rng = np.random.default_rng(4)
    lons, lats = rng.uniform(9.8, 10.7, 25), rng.uniform(44.85, 45.45, 25)
    whole = surf.distances(lons, lats, None, NAMES)
    small = MeshSurfaces(mesh, surf.row0, surf.col0, surf.nrows, surf.ncols, 45.0)
    small.CHUNK_ELEMENTS = mesh.shape[0] * mesh.shape[1] * 4  # 4 sites per chunk
    chunked = small.distances(lons, lats, None, NAMES)
    for name in NAMES:
        np.testing.assert_allclose(chunked[name], whole[name], rtol=1e-12, err_msg=name)


def test_mesh_window_validation():
    mesh = bent_mesh()
    with pytest.raises(ValueError, match="exceed"):
        MeshSurfaces(mesh, [0], [0], [mesh.shape[0] + 1], [2], 45.0)


@pytest.mark.slow
def test_distances_of_100_000_ruptures_to_100_sites_in_about_a_second():
    rng = np.random.default_rng(0)
    n = 100_000
    lon0, lat0 = rng.uniform(0, 5, n), rng.uniform(0, 5, n)
    strike, dip = rng.uniform(0, 360, n), rng.uniform(30, 90, n)
    hl, hw = rng.uniform(1, 20, n), rng.uniform(0.5, 5, n)
    theta = np.degrees(np.arctan2(hw, hl))
    az = np.stack([strike + 180 + theta, strike - theta, strike + theta, strike + 180 - theta], 1)
    lo, la = geo.point_at(lon0[:, None], lat0[:, None], az, np.hypot(hl, hw)[:, None])
    depth = np.repeat([[2.0, 2.0, 12.0, 12.0]], n, axis=0)
    surf = PlanarSurfaces(np.stack([lo, la, depth], -1), strike, dip)
    lons, lats = rng.uniform(0, 5, 100), rng.uniform(0, 5, 100)
    start = time.process_time()
    surf.distances(lons, lats, np.zeros(100), {"rrup"})
    rrup_time = time.process_time() - start
    start = time.process_time()
    surf.distances(lons, lats, np.zeros(100), NAMES)
    all_time = time.process_time() - start
    assert rrup_time < 3.0  # about 0.3 s on a 2-core machine
    assert all_time < 8.0  # about 1 s


def test_mesh_fields_cache_follows_the_sites():
    """Blocks of one fault share the per-site distance fields; other sites recompute them."""
    rng = np.random.default_rng(3)
    names = {"rrup", "rjb", "rx"}
    site_sets = [(rng.uniform(9.8, 10.7, 12), rng.uniform(44.85, 45.45, 12)) for _ in range(2)]
    shared = bent_mesh()
    ny, nx = shared.shape
    blocks = [([0, 2], [0, 5], [3, 4], [6, 9]), ([1, 0], [3, 8], [2, 5], [4, 7])]
    for lons, lats in site_sets + site_sets:  # alternate, then repeat
        for r0, c0, nr, nc in blocks:
            cached = MeshSurfaces(shared, r0, c0, nr, nc, 45.0).distances(
                lons, lats, np.zeros(12), names)
            fresh = MeshSurfaces(bent_mesh(), r0, c0, nr, nc, 45.0).distances(
                lons, lats, np.zeros(12), names)
            for name in names:
                np.testing.assert_array_equal(cached[name], fresh[name])
    assert shared.__getstate__()["_fields"] is None  # the cache is not pickled
