"""Multi-point sources: the same ruptures and hazard as the point sources given one by one."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard.gsim.sadigh_1997 import SadighEtAl1997
from toolkit.engine.hazard.imt import PGA
from toolkit.engine.hazard.kernel import HazardSpec, compute_rates
from toolkit.engine.hazard.mfd import ArbitraryMFD, TruncatedGRMFD
from toolkit.engine.hazard.msr import get_msr
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.engine.hazard.sources import MultiPointSource, PointSource
from toolkit.errors import InputError

LEVELS = np.array([0.005, 0.02, 0.05, 0.1, 0.2, 0.4])
LONS = [0.0, 0.1, -0.15, 0.05]
LATS = [0.0, 0.05, 0.1, -0.2]
PLANES = [(0.5, 0.0, 60.0, 90.0), (0.5, 90.0, 90.0, 0.0)]
DEPTHS = [(0.3, 5.0), (0.7, 12.0)]


def mfds():
    """Per-point MFDs: two share their bins, one has other bins, one a zero-rate bin."""
    return [
        TruncatedGRMFD(5.0, 6.5, 0.5, 3.0, 1.0),
        TruncatedGRMFD(5.0, 6.5, 0.5, 2.5, 0.9),
        TruncatedGRMFD(5.5, 7.0, 0.5, 2.8, 1.0),
        ArbitraryMFD([5.25, 5.75, 6.25], [0.01, 0.0, 0.002]),
    ]


def common():
    return dict(
        trt="Active Shallow Crust", upper_seismogenic_depth=0.0, lower_seismogenic_depth=20.0,
        msr=get_msr("WC1994"), rupture_aspect_ratio=1.5, nodal_planes=PLANES,
        hypo_depths=DEPTHS,
    )


def multi(**kwargs):
    args = dict(source_id="mp", name="mp", lons=LONS, lats=LATS, mfds=mfds(), **common())
    args.update(kwargs)
    return MultiPointSource(**args)


def points():
    return [PointSource(source_id=f"p{i}", name="p", lon=lon, lat=lat, mfd=mfd, **common())
            for i, (lon, lat, mfd) in enumerate(zip(LONS, LATS, mfds(), strict=True))]


def curves(sources, block_size=100_000):
    sites = SiteCollection([0.3, -0.1, 0.0], [0.0, 0.2, -0.5], vs30=[760.0] * 3)
    spec = HazardSpec({PGA(): LEVELS}, 3.0, maximum_distance=200.0)
    blocks = (b for src in sources for b in src.iter_ruptures(0.0, block_size))
    return compute_rates(blocks, sites, [SadighEtAl1997()], spec)[0]


def test_curves_equal_the_point_sources_given_separately():
    expected = curves(points())
    got = curves([multi()])
    assert expected.min() > 0
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


def test_small_blocks_and_split_give_the_same_curves():
    expected = curves(points())
    src = multi()
    parts = src.split(max_ruptures=20)
    assert len(parts) > 1
    assert sum(len(p) for p in parts) == len(LONS)
    np.testing.assert_allclose(curves(parts, block_size=7), expected, rtol=1e-12, atol=0)


def test_rupture_count_rates_and_zero_rate_bins():
    src, pts = multi(), points()
    per_point = [p.count_ruptures() for p in pts]
    # the arbitrary MFD's zero-rate bin gives no rupture: 2 magnitudes x 2 planes x 2 depths
    assert per_point[3] == 8
    assert src.count_ruptures() == sum(per_point)
    assert src.count_ruptures(min_mag=6.0) == sum(p.count_ruptures(6.0) for p in pts)
    blocks = list(src.iter_ruptures())
    assert sum(len(b) for b in blocks) == src.count_ruptures()
    total = sum(b.rate.sum() for b in blocks)
    expected = sum(mfd.get_annual_occurrence_rates()[1].sum() for mfd in mfds())
    assert total == pytest.approx(expected, rel=1e-12)
    mags, rates = src.mfd.get_annual_occurrence_rates()
    assert rates.sum() == pytest.approx(expected, rel=1e-12)
    assert src.max_rupture_radius() == pytest.approx(max(p.max_rupture_radius() for p in pts))


def test_bounds_cover_the_points():
    west, south, east, north = multi().location_bounds()
    assert (west, south, east, north) == pytest.approx((min(LONS), min(LATS), max(LONS),
                                                        max(LATS)))


def test_point_sources_view():
    ps = multi().point_sources()
    assert [p.lon for p in ps] == LONS
    assert ps[2].count_ruptures() == points()[2].count_ruptures()


@pytest.mark.parametrize("kwargs, message", [
    (dict(mfds=mfds()[:3]), "3 MFDs for 4 points"),
    (dict(lons=[0.0, 1.0], lats=[0.0]), "as many longitudes as latitudes"),
    (dict(lons=[0, 0, 0, 200.0]), "out of range"),
    (dict(hypo_depths=[(1.0, 30.0)]), "outside the seismogenic layer"),
])
def test_bad_input(kwargs, message):
    with pytest.raises(InputError, match=message):
        multi(**kwargs)
