"""azimuth, clon/clat and rvolc on simple geometries whose answers are known by construction."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard.context_extras import extra_context, middle_points
from toolkit.engine.hazard.kernel import build_contexts
from toolkit.engine.hazard.ruptures import RuptureBlock
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.engine.hazard.surfaces import FaultMesh, MeshSurfaces, PlanarSurfaces
from toolkit.errors import InputError

ALL = {"azimuth", "clon", "clat", "rvolc"}


def _vertical_north():
    """A vertical rupture along the meridian lon 0 from lat -0.05 to 0.05, depth 0-10 km
    (its middle on the equator, where the bearings to the sites east and west are exact)."""
    corners = np.array([[[0.0, -0.05, 0.0], [0.0, 0.05, 0.0], [0.0, 0.05, 10.0],
                         [0.0, -0.05, 10.0]]])
    return PlanarSurfaces(corners, 0.0, 90.0)


def _vertical_east():
    """Strike 90: along the equator from lon 0 to 0.1."""
    corners = np.array([[[0.0, 0.0, 0.0], [0.1, 0.0, 0.0], [0.1, 0.0, 10.0],
                         [0.0, 0.0, 10.0]]])
    return PlanarSurfaces(corners, 90.0, 90.0)


def test_middle_point_of_a_rectangle():
    mid = middle_points(_vertical_north())
    np.testing.assert_allclose(mid[:, :2], [[0.0, 0.0]], atol=1e-12)
    # the corners' Cartesian centroid lies on the chord, 2.4 m below the 5 km of the arc
    assert 5.0 < mid[0, 2] < 5.003


def test_azimuth_is_measured_clockwise_from_the_strike():
    lons = np.array([0.1, -0.1, 0.0, 0.0])
    lats = np.array([0.0, 0.0, 0.3, -0.3])
    out = extra_context(_vertical_north(), np.zeros(4, int), lons, lats, np.zeros(4),
                        {"azimuth"})
    assert set(out) == {"azimuth"}
    np.testing.assert_allclose(out["azimuth"], [90.0, 270.0, 0.0, 180.0], atol=1e-9)
    # the same site layout turned with the rupture: north of an east-striking rupture is 270
    out = extra_context(_vertical_east(), np.zeros(2, int), np.array([0.05, 0.05]),
                        np.array([0.2, -0.2]), np.zeros(2), {"azimuth"})
    np.testing.assert_allclose(out["azimuth"], [270.0, 90.0], atol=1e-9)


def test_closest_point_of_a_rectangle_and_rvolc():
    lons = np.array([0.1, 0.02, -0.3, 0.0])
    lats = np.array([0.0, 0.3, -0.2, 0.02])
    out = extra_context(_vertical_north(), np.zeros(4, int), lons, lats, np.zeros(4), ALL)
    # beside the rupture: the foot of the perpendicular; beyond an end: the end's top corner
    # (to 1e-5 degrees = 1 m: the Cartesian rectangle through the corners is a chord plane)
    np.testing.assert_allclose(out["clon"], [0.0, 0.0, 0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(out["clat"], [0.0, 0.05, -0.05, 0.02], atol=1e-5)
    np.testing.assert_array_equal(out["rvolc"], 0.0)


def test_closest_point_of_a_mesh_window_is_its_nearest_node():
    lons, lats = np.meshgrid(np.linspace(0.0, 0.2, 5), np.zeros(3))
    depths = np.repeat(np.array([[0.0], [5.0], [10.0]]), 5, axis=1)
    mesh = FaultMesh(lons, lats + np.array([[0.0], [0.02], [0.04]]), depths)
    surf = MeshSurfaces(mesh, row0=[0, 1], col0=[0, 2], nrows=[2, 2], ncols=[2, 3], dip=60.0)
    # the site is nearest to node (0, 4) of the parent mesh, outside both windows
    site_lon, site_lat = np.array([0.25, 0.25]), np.array([-0.01, -0.01])
    out = extra_context(surf, np.array([0, 1]), site_lon, site_lat, np.zeros(2),
                        {"clon", "clat"})
    np.testing.assert_allclose(out["clon"], [0.05, 0.2])  # window 0 ends at column 1
    np.testing.assert_allclose(out["clat"], [0.0, 0.02])  # window 1 starts at row 1


def test_unsupported_surfaces_are_refused():
    class Other:
        strike = np.zeros(1)

    with pytest.raises(InputError, match="'azimuth' is not available for rupture surfaces "
                                         "of type Other"):
        extra_context(Other(), np.zeros(1, int), np.zeros(1), np.zeros(1), np.zeros(1),
                      {"azimuth"})


def test_build_contexts_adds_them_only_when_required():
    block = RuptureBlock("s", "Active Shallow Crust", np.array([6.0]), np.array([0.0]),
                         np.array([0.01]), np.array([[0.0, 0.0, 5.0]]), _vertical_north())
    sites = SiteCollection(lons=np.array([0.1]), lats=np.array([0.02]), depths=np.zeros(1),
                           vs30=np.array([760.0]), vs30measured=np.array([True]),
                           z1pt0=np.array([np.nan]), z2pt5=np.array([np.nan]))
    ctx, _, _ = build_contexts(block, sites, {"rrup"}, 300.0)
    assert not ctx.has("azimuth") and not ctx.has("clon")
    ctx, _, _ = build_contexts(block, sites, {"rrup", "azimuth", "clon", "clat", "rvolc"},
                               300.0)
    bearing = np.degrees(np.arctan2(0.1, 0.02))  # to 1e-5 degree this close to the equator
    np.testing.assert_allclose(ctx.azimuth, [bearing], atol=1e-5)
    np.testing.assert_allclose([ctx.clon[0], ctx.clat[0], ctx.rvolc[0]], [0.0, 0.02, 0.0],
                               atol=1e-6)  # the chord plane again (0.1 m)


def test_backarc_defaults_to_false_unless_the_sites_carry_it():
    block = RuptureBlock("s", "Subduction IntraSlab", np.array([6.0, 6.5]), np.zeros(2),
                         np.full(2, 0.01), np.array([[0.0, 0.0, 5.0]] * 2),
                         PlanarSurfaces(_vertical_north().corners.repeat(2, axis=0), 0.0, 90.0))
    sites = SiteCollection(lons=np.array([0.1, 0.2]), lats=np.array([0.0, 0.0]),
                           depths=np.zeros(2), vs30=np.full(2, 760.0),
                           vs30measured=np.ones(2, bool), z1pt0=np.full(2, np.nan),
                           z2pt5=np.full(2, np.nan))
    ctx, _, sid = build_contexts(block, sites, {"rrup", "backarc"}, 300.0)
    assert ctx.backarc.dtype == bool and not ctx.backarc.any() and len(ctx) == 4
    flagged = sites.subset(slice(None))
    flagged.extra["backarc"] = np.array([True, False])  # as a site model gives it
    ctx, _, sid = build_contexts(block, flagged, {"rrup", "backarc"}, 300.0)
    assert ctx.backarc.dtype == bool and ctx.backarc.any()
    np.testing.assert_array_equal(ctx.backarc, sid == 0)
    flagged.extra["backarc"] = np.array([0.0, 1.0])  # 0/1 numbers
    ctx, _, sid = build_contexts(block, flagged, {"rrup", "backarc"}, 300.0)
    assert ctx.backarc.dtype == bool
    np.testing.assert_array_equal(ctx.backarc, sid == 1)
