"""Complex fault meshes: edges resampled along strike, columns resampled down dip."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard import geo
from toolkit.engine.hazard.complex_fault import (
    complex_fault_mesh,
    complex_fault_surface,
    resample_polylines,
)
from toolkit.engine.hazard.ruptures import Surfaces
from toolkit.engine.hazard.sources.simple_fault import simple_fault_mesh
from toolkit.engine.hazard.surfaces import MeshSurfaces
from toolkit.errors import InputError

R = geo.EARTH_RADIUS
NAMES = {"rrup", "rjb", "rx", "ry0"}

# a fault dipping 45 degrees east below the meridian lon 0, from lat 0 to 0.5, 0-10 km deep
TRACE = np.array([[0.0, 0.0], [0.0, 0.5]])
BOTTOM_LONS, BOTTOM_LATS = geo.point_at(TRACE[:, 0], TRACE[:, 1], 90.0, 10.0)
TOP = np.column_stack([TRACE, [0.0, 0.0]])
BOTTOM = np.column_stack([BOTTOM_LONS, BOTTOM_LATS, [10.0, 10.0]])


def test_resample_polylines_spaces_points_equally_in_3d():
    # 10 km north along the meridian then 10 km straight down: 20 km, 5 points 5 km apart
    lat = 10.0 / (np.pi * R / 180.0)
    lons, lats, depths = resample_polylines([0, 0, 0], [0, lat, lat], [0, 0, 10], 5)
    np.testing.assert_allclose(lats * np.pi * R / 180.0, [0, 5, 10, 10, 10], atol=1e-9)
    np.testing.assert_allclose(depths, [0, 0, 0, 5, 10], atol=1e-9)
    np.testing.assert_allclose(lons, 0.0, atol=1e-12)
    # columns: two polylines at once, one of them with a repeated vertex
    lons, lats, depths = resample_polylines(
        np.zeros((3, 2)), np.zeros((3, 2)), np.array([[0, 0], [4, 0], [8, 8]]), 3)
    np.testing.assert_allclose(depths, [[0, 0], [4, 4], [8, 8]], atol=1e-12)


def test_planar_dipping_fault_matches_the_simple_fault_mesh():
    spacing = 1.0
    simple = simple_fault_mesh(TRACE, 0.0, 10.0, 45.0, spacing)
    mesh = complex_fault_mesh([TOP, BOTTOM], spacing)
    # 55.6 km long, 14.14 km wide: round(55.6) + 1 = 57 columns, round(14.14) + 1 = 15 rows
    assert mesh.shape == simple.shape == (15, 57)
    # every node lies on the plane: depth = horizontal distance east of the trace (tan 45 = 1),
    # within the bulge of the bottom edge's great circle off the 10 km small circle,
    # (L^2 / 8R) (10 / R) = 9.6e-5 km
    east = geo.distance_to_arc(0.0, 0.0, 0.0, mesh.lons, mesh.lats)
    assert np.abs(east - mesh.depths).max() < 1.0e-4
    np.testing.assert_allclose(mesh.depths[0], 0.0, atol=1e-12)
    np.testing.assert_allclose(mesh.depths[-1], 10.0, atol=1e-12)
    # nodes of the two meshes are at most half a spacing apart: along strike 56 intervals of
    # 55.6 / 56 km instead of 1 km (0.40 km at the end), down dip 14 intervals of 1.0102 km
    # instead of 1 km (0.14 km at the bottom)
    shift = np.linalg.norm(mesh.xyz - simple.xyz, axis=-1).max()
    assert shift < spacing / 2
    # hence distances differ by at most that shift; rx is the distance to the same trace
    surf = complex_fault_surface([TOP, BOTTOM], spacing)
    ref = MeshSurfaces(simple, [0], [0], [15], [57], 45.0)
    lons = np.array([-0.2, 0.05, 0.1, 0.3, 0.0, 0.05])
    lats = np.array([0.25, 0.25, -0.1, 0.6, 0.7, 0.49])
    got, expected = surf.distances(lons, lats, None, NAMES), ref.distances(lons, lats, None, NAMES)
    for name in NAMES:
        assert np.abs(got[name] - expected[name]).max() <= shift + 1e-9, name
    # rx: the distance to the meridian, except where the foot of the perpendicular is a mesh
    # node: there the mesh measures the chord, shorter than the arc by d^3 / 24R^2
    rx = geo.distance_to_arc(0.0, 0.0, 0.0, lons, lats)
    np.testing.assert_allclose(got["rx"][0], rx, atol=np.abs(rx).max() ** 3 / (24 * R**2))
    assert isinstance(surf, Surfaces) and len(surf) == 1
    assert surf.ztor[0] == 0.0
    assert surf.dip[0] == pytest.approx(45.0, abs=0.05)
    assert surf.strike[0] == pytest.approx(0.0, abs=0.01)
    # width: mean 3-D chord length of the columns, shorter than the nominal 10 sqrt(2) km as
    # the horizontal part of the chords shrinks with depth (by at most 10 km / R)
    width = 10.0 * np.sqrt(2.0)
    assert width * (R - 10.0) / R <= surf.width[0] <= width


def test_intermediate_edge_bends_the_surface():
    """45 degrees down to 5 km, then 60 degrees down to 20 km; 2 km spacing."""
    km = np.pi * R / 180.0
    x_mid, x_bot = 5.0, 5.0 + 15.0 / np.tan(np.radians(60.0))
    edges = [np.array([[0, 0, 0], [0, 0.3, 0]], float),
             np.array([[x_mid / km, 0, 5], [x_mid / km, 0.3, 5]]),
             np.array([[x_bot / km, 0, 20], [x_bot / km, 0.3, 20]])]
    mesh = complex_fault_mesh(edges, 2.0)
    width = 5.0 * np.sqrt(2.0) + 15.0 / np.sin(np.radians(60.0))  # 24.39 km
    assert mesh.shape == (int(round(width / 2.0)) + 1, int(round(0.3 * km / 2.0)) + 1)
    np.testing.assert_allclose(mesh.depths[0], 0.0, atol=1e-12)
    np.testing.assert_allclose(mesh.depths[-1], 20.0, atol=1e-12)
    # nodes equally spaced along each column's polyline: straight steps of width / 12, shorter
    # only across the 15-degree kink (by at most step x (1 - cos 7.5 deg) = 0.017 km); 3-D
    # chords between points at depth z are shorter than the nominal steps (whose horizontal part
    # is measured at the surface) by at most a factor (R - z) / R
    step = np.linalg.norm(np.diff(mesh.xyz, axis=0), axis=-1)
    assert np.all(step <= width / 12 + 1e-9)
    assert np.all(step >= width / 12 * np.cos(np.radians(7.5)) * (R - 20.0) / R)
    assert np.sum(step < width / 12 * (R - 20.0) / R) == mesh.shape[1]  # one kink per column
    surf = complex_fault_surface(edges, 2.0)
    # the kink cuts at most 0.017 km, the chords at depth shrink by at most 20 km / R
    assert width * (R - 20.0) / R - 0.017 <= surf.width[0] <= width
    # area-weighted dip: 7.07 km at 45 and 17.32 km at 60 degrees; the one row of cells across
    # the kink (1/12 of the width) has a dip in between: at most 15 / 2 degrees off
    exact = (5.0 * np.sqrt(2.0) * 45.0 + (width - 5.0 * np.sqrt(2.0)) * 60.0) / width
    assert surf.dip[0] == pytest.approx(exact, abs=7.5 / 12)
    assert surf.strike[0] == pytest.approx(0.0, abs=1e-6)


def test_edges_dipping_to_the_left_are_reversed():
    forward = complex_fault_mesh([TOP, BOTTOM], 2.0)
    backward = complex_fault_mesh([TOP[::-1], BOTTOM[::-1]], 2.0)
    np.testing.assert_allclose(backward.lons, forward.lons, atol=1e-12)
    np.testing.assert_allclose(backward.lats, forward.lats, atol=1e-12)
    # a vertical fault keeps its order
    vertical = [TOP[::-1], np.column_stack([TRACE[::-1], [10.0, 10.0]])]
    mesh = complex_fault_mesh(vertical, 2.0)
    assert mesh.lats[0, 0] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("edges", "spacing", "message"),
    [
        ([TOP], 1.0, "at least 2 edges"),
        ([TOP[:1], BOTTOM], 1.0, r"edge 0 must be an \(n >= 2, 3\) array"),
        ([TOP, BOTTOM[:, :2]], 1.0, r"edge 1 must be an \(n >= 2, 3\) array"),
        ([BOTTOM, TOP], 1.0, "edge 1 .* is not below edge 0"),
        ([TOP, np.where(np.isnan(BOTTOM), 0, np.inf)], 1.0, "non-finite"),
        ([TOP, BOTTOM], 0.0, "spacing must be positive"),
        ([TOP, BOTTOM], 200.0, "too large for the mean edge length"),
        ([TOP, BOTTOM], 40.0, "too large for the mean down-dip width"),
    ],
)
def test_invalid_geometries_are_rejected(edges, spacing, message):
    with pytest.raises(InputError, match=message):
        complex_fault_mesh(edges, spacing)
