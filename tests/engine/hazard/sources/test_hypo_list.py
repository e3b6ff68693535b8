"""hypoList / slipList: ruptures split by hypocentre position, rates weighted."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from toolkit.engine.hazard.gsim.base import GMPE
from toolkit.engine.hazard.imt import PGA
from toolkit.engine.hazard.kernel import HazardSpec, compute_rates
from toolkit.engine.hazard.mfd import ArbitraryMFD
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.engine.hazard.sources import HypoSlipSource, PointSource
from toolkit.engine.hazard.sources.hypo_list import hypocentres
from toolkit.engine.hazard.surfaces import FaultMesh, MeshSurfaces
from toolkit.errors import InputError

R = 6371.0
LEVELS = np.array([0.01, 0.05, 0.1, 0.3])
RATE = 0.01
SIGMA = 0.6


class RhypoModel(GMPE):
    """A test model depending on rhypo only: ln Y = -1 + 0.8 (M - 6) - 1.1 ln(rhypo + 5)."""

    REGISTER = False
    DEFINED_FOR_INTENSITY_MEASURE_TYPES = frozenset({"PGA"})
    REQUIRES_RUPTURE_PARAMETERS = frozenset({"mag"})
    REQUIRES_DISTANCES = frozenset({"rhypo"})

    def compute(self, ctx, imts, mean, sig, tau, phi):
        mean[:] = -1.0 + 0.8 * (ctx.mag - 6.0) - 1.1 * np.log(ctx.rhypo + 5.0)
        sig[:] = SIGMA


class SquareMSR:
    """10^(M - 4) km2: a 10 km x 10 km rupture at M 6 with aspect ratio 1."""

    def get_median_area(self, mag, rake):
        return 10.0 ** (mag - 4.0)


def point(**kwargs):
    args = dict(source_id="p", name="p", trt="Active Shallow Crust", lon=0.0, lat=0.0,
                upper_seismogenic_depth=0.0, lower_seismogenic_depth=20.0, msr=SquareMSR(),
                rupture_aspect_ratio=1.0, mfd=ArbitraryMFD([6.0], [RATE]),
                nodal_planes=[(1.0, 0.0, 90.0, 0.0)], hypo_depths=[(1.0, 5.0)])
    args.update(kwargs)
    return PointSource(**args)


def rates(src, site):
    sites = SiteCollection([site[0]], [site[1]], vs30=[760.0])
    spec = HazardSpec({PGA(): LEVELS}, None, maximum_distance=500.0)
    return compute_rates(src.iter_ruptures(), sites, [RhypoModel()], spec)[0, 0]


def hand_rate(rhypo):
    mean = -1.0 + 0.8 * 0.0 - 1.1 * np.log(rhypo + 5.0)
    return norm.sf((np.log(LEVELS) - mean) / SIGMA)


def test_two_hypocentres_half_weight_each_by_hand():
    """Vertical rupture striking north, 10 km long and 10 km wide, centred 5 km deep below
    (0, 0): its top edge runs from 5 km south to 5 km north at depth 0. Hypocentres at the
    top-left corner (0, 0) and the bottom-right corner (1, 1), weights 0.5 each."""
    src = HypoSlipSource(point(), [(0.0, 0.0, 0.5), (1.0, 1.0, 0.5)])
    site = (0.3, 0.0)
    dlat = np.degrees(5.0 / R)  # 5 km along the meridian
    corners = [(0.0, -dlat, 0.0), (0.0, dlat, 10.0)]
    expected = 0.0
    for lon, lat, depth in corners:
        # epicentral distance (haversine on the sphere) and depth: the kernel's rhypo
        a = (np.sin(np.radians(lat - site[1]) / 2) ** 2
             + np.cos(np.radians(lat)) * np.cos(np.radians(site[1]))
             * np.sin(np.radians(lon - site[0]) / 2) ** 2)
        repi = 2 * R * np.arcsin(np.sqrt(a))
        expected = expected + RATE * 0.5 * hand_rate(np.hypot(repi, depth))
    np.testing.assert_allclose(rates(src, site), expected, rtol=1e-9)
    blocks = list(src.iter_ruptures())
    np.testing.assert_allclose(blocks[0].hypo, [[0.0, -dlat, 0.0]], atol=1e-9)
    np.testing.assert_allclose(blocks[1].hypo, [[0.0, dlat, 10.0]], atol=1e-9)
    assert src.count_ruptures() == 2


def test_centre_hypocentre_and_slip_weights_leave_the_source_unchanged():
    plain = point()
    wrapped = HypoSlipSource(plain, [(0.5, 0.5, 1.0)], [(0.0, 0.4), (90.0, 0.6)])
    site = (0.2, 0.1)
    np.testing.assert_allclose(rates(wrapped, site), rates(plain, site), rtol=1e-9)
    [block] = list(wrapped.iter_ruptures())
    np.testing.assert_allclose(block.hypo, [[0.0, 0.0, 5.0]], atol=1e-9)
    assert wrapped.kind == "pointSource" and wrapped.lon == 0.0


def test_mesh_window_hypocentre_is_the_nearest_node():
    lons = np.tile(np.linspace(0.0, 0.4, 5), (4, 1))
    lats = np.zeros((4, 5))
    depths = np.repeat(np.arange(4.0)[:, None] * 2.0, 5, axis=1)
    surface = MeshSurfaces(FaultMesh(lons, lats, depths), [0, 1], [0, 1], [4, 3], [5, 4], 90.0)
    # window 0: 4 x 5 nodes, a = 0.5 -> column 2, d = 0.5 -> row round(1.5) = 2
    # window 1: 3 x 4 nodes from (1, 1): column 1 + round(1.5) = 3, row 1 + 1 = 2
    hypo = hypocentres(surface, 0.5, 0.5)
    np.testing.assert_allclose(hypo, [[0.2, 0.0, 4.0], [0.3, 0.0, 4.0]])


@pytest.mark.parametrize("hypo, slip, message", [
    ([(0.5, 0.5, 0.6)], None, "hypoList weights sum to 0.6"),
    ([(0.5, 0.5, 1.0)], [(0.0, 0.5)], "slipList weights sum to 0.5"),
    ([(1.5, 0.5, 1.0)], None, r"in \[0, 1\]"),
    ([], None, "hypoList is empty"),
])
def test_bad_lists(hypo, slip, message):
    with pytest.raises(InputError, match=message):
        HypoSlipSource(point(), hypo, slip)


def test_refused_on_non_parametric_sources():
    from toolkit.engine.hazard.sources import NonParametricSource

    block = next(point().iter_ruptures())
    src = NonParametricSource("np", "np", "Active Shallow Crust", [block], [[0.9, 0.1]])
    with pytest.raises(InputError, match="do not apply to non-parametric"):
        HypoSlipSource(src, [(0.5, 0.5, 1.0)])
