"""Point-cloud rupture surfaces: rrup as the closest chord distance, other distances refused."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard.geo import EARTH_RADIUS
from toolkit.engine.hazard.point_cloud import PointCloudSurfaces
from toolkit.errors import InputError


def chord(lon1, lat1, depth1, lon2, lat2, depth2):
    """Straight-line distance between two points below a spherical Earth, by the law of
    cosines on the great-circle angle."""
    a = np.radians([lat1, lat2])
    dlon = np.radians(lon2 - lon1)
    cos_angle = np.sin(a[0]) * np.sin(a[1]) + np.cos(a[0]) * np.cos(a[1]) * np.cos(dlon)
    r1, r2 = EARTH_RADIUS - depth1, EARTH_RADIUS - depth2
    return np.sqrt(r1**2 + r2**2 - 2 * r1 * r2 * cos_angle)


CLOUDS = [np.array([[0.0, 0.0, 10.0], [0.5, 0.0, 30.0]]),
          np.array([[1.0, 1.0, 5.0], [1.2, 1.0, 5.0], [1.1, 1.1, 8.0]])]
LONS, LATS, DEPTHS = np.array([0.0, 1.0, 2.0]), np.array([0.0, 0.9, 0.0]), np.zeros(3)


def test_rrup_is_the_closest_point():
    surf = PointCloudSurfaces(CLOUDS)
    rrup = surf.distances(LONS, LATS, DEPTHS, {"rrup"})["rrup"]
    expected = [[min(chord(*p, lon, lat, 0.0) for p in cloud) for lon, lat in zip(LONS, LATS,
                                                                                 strict=True)]
                for cloud in CLOUDS]
    np.testing.assert_allclose(rrup, expected, rtol=1e-9)
    assert rrup[0, 0] == pytest.approx(10.0, abs=1e-9)  # the point right below the site
    assert np.all(surf.min_distance(LONS, LATS) <= rrup)
    np.testing.assert_array_equal(surf.ztor, [10.0, 5.0])
    assert len(surf) == 2 and np.isnan(surf.dip).all()


def test_take_and_site_depth():
    surf = PointCloudSurfaces(CLOUDS).take(np.array([False, True]))
    assert len(surf) == 1 and surf.ztor[0] == 5.0
    deep = surf.distances(np.array([1.0]), np.array([1.0]), np.array([5.0]), {"rrup"})["rrup"]
    assert deep[0, 0] == pytest.approx(0.0, abs=1e-6)


def test_other_distances_and_empty_clouds_are_refused():
    surf = PointCloudSurfaces(CLOUDS)
    with pytest.raises(InputError, match=r"define only rrup; the GSIM needs \['rjb'\]"):
        surf.distances(LONS, LATS, DEPTHS, {"rrup", "rjb"})
    with pytest.raises(InputError, match="at least one point"):
        PointCloudSurfaces([np.zeros((0, 3))])
