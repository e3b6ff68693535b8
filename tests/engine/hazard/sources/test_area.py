"""Area sources: the grid of points, rate sharing, blocks and speed."""

from __future__ import annotations

import time

import numpy as np
import pytest

from toolkit.engine.hazard import geo
from toolkit.engine.hazard.sources import AreaSource, PointSource
from toolkit.errors import InputError

# OpenQuake QA classical case_03 (source_model.xml): a quadrilateral, 10 km grid
CASE_03_POLYGON = np.array([[-0.5, -0.5], [-0.3, -0.1], [0.1, 0.2], [0.3, -0.8]])


class ArbitraryMFD:
    """Stand-in for toolkit.engine.hazard.mfd: given magnitudes and annual rates."""

    def __init__(self, mags, rates):
        self.mags, self.rates = np.asarray(mags, float), np.asarray(rates, float)

    def get_annual_occurrence_rates(self):
        return self.mags, self.rates


class WC1994StrikeSlip:
    """Stand-in MSR: Wells & Coppersmith (1994) rupture area for strike-slip faults."""

    def get_median_area(self, mag, rake):
        return 10.0 ** (-3.42 + 0.90 * mag)


def truncated_gr(a, b, min_mag, max_mag, width):
    """Incremental Gutenberg-Richter rates of bins centred between min_mag and max_mag."""
    n = int(round((max_mag - min_mag) / width))
    mags = min_mag + width * (np.arange(n) + 0.5)
    rates = 10 ** (a - b * (mags - width / 2)) - 10 ** (a - b * (mags + width / 2))
    return ArbitraryMFD(mags, rates)


def make_area(polygon=CASE_03_POLYGON, spacing=10.0, mfd=None, **kwargs):
    args = dict(
        source_id="1", name="Area Source", trt="Active Shallow Crust", polygon=polygon,
        area_discretization=spacing, upper_seismogenic_depth=0.0,
        lower_seismogenic_depth=10.0, msr=WC1994StrikeSlip(), rupture_aspect_ratio=1.0,
        mfd=mfd or truncated_gr(4.5, 1.0, 5.0, 6.5, 0.2),
        nodal_planes=[(1.0, 0.0, 90.0, 0.0)], hypo_depths=[(1.0, 5.0)],
    )
    args.update(kwargs)
    return AreaSource(**args)


def test_qa_case_03_grid_and_rate_sharing():
    src = make_area()
    lons, lats = src.locations()
    assert len(lons) == 52  # OpenQuake 3.26 discretises this polygon into 52 points
    mags, rates = src.mfd.get_annual_occurrence_rates()
    blocks = list(src.iter_ruptures(min_mag=5.7))
    n_mags = int(np.sum(mags >= 5.7))
    assert src.count_ruptures(min_mag=5.7) == 52 * n_mags == sum(map(len, blocks))
    rate = np.concatenate([b.rate for b in blocks])
    assert rate.sum() == pytest.approx(rates[mags >= 5.7].sum(), rel=1e-12)
    hypo = np.concatenate([b.hypo for b in blocks])
    # every grid point carries every magnitude, each with 1/52 of the bin's rate
    for lon, lat in zip(lons, lats, strict=True):
        at = (hypo[:, 0] == lon) & (hypo[:, 1] == lat)
        assert at.sum() == n_mags
        np.testing.assert_allclose(np.sort(rate[at]), np.sort(rates[mags >= 5.7] / 52))
    np.testing.assert_allclose(hypo[:, 2], 5.0)


def test_area_ruptures_are_those_of_point_sources():
    src = make_area(nodal_planes=[(0.4, 0, 90, 0), (0.6, 45, 50, 90)],
                    hypo_depths=[(0.5, 3.0), (0.5, 7.0)])
    lons, lats = src.locations()
    k = 17
    point = PointSource("p", "p", "ASC", lons[k], lats[k], 0.0, 10.0, src.msr, 1.0, src.mfd,
                        src.nodal_planes, src.hypo_depths)
    (pblock,) = point.iter_ruptures()
    ablock = next(iter(src.iter_ruptures(block_size=10**6)))
    n = len(pblock)
    part = slice(k * n, (k + 1) * n)  # location-major order
    np.testing.assert_allclose(ablock.hypo[part], pblock.hypo)
    np.testing.assert_allclose(ablock.surface.corners[part], pblock.surface.corners, atol=1e-9)
    np.testing.assert_allclose(ablock.rate[part] * len(lons), pblock.rate, rtol=1e-12)


def test_grid_spacing_and_inside():
    poly = np.array([[10.0, 45.0], [11.0, 45.0], [11.0, 46.0], [10.0, 46.0]])
    src = make_area(polygon=poly, spacing=5.0)
    lons, lats = src.locations()
    assert geo.points_in_polygon(lons, lats, poly[:, 0], poly[:, 1]).all()
    rows = np.unique(lats)
    np.testing.assert_allclose(np.diff(rows), 5.0 * 180 / (np.pi * geo.EARTH_RADIUS), rtol=1e-9)
    row = np.sort(lons[lats == rows[5]])
    np.testing.assert_allclose(geo.geodetic_distance(row[:-1], rows[5], row[1:], rows[5]), 5.0,
                               rtol=1e-5)
    west, south, east, north = src.location_bounds()
    assert west > 10.0 and east < 11.0 and south > 45.0 and north <= 46.0 + 1e-9


def test_block_sizes_and_minimum_magnitude():
    src = make_area(mfd=truncated_gr(4.5, 1.0, 5.0, 6.5, 0.1))
    total = src.count_ruptures()
    assert total == 52 * 15
    blocks = list(src.iter_ruptures(block_size=100))
    assert all(len(b) <= 100 for b in blocks) and sum(map(len, blocks)) == total
    blocks = list(src.iter_ruptures(min_mag=6.0, block_size=7))  # fewer combinations than points
    assert all(len(b) <= 7 for b in blocks)
    mags = np.concatenate([b.mag for b in blocks])
    assert mags.min() > 6.0 and len(mags) == src.count_ruptures(min_mag=6.0) == 52 * 5


def test_polygon_smaller_than_the_grid_is_an_error():
    src = make_area(polygon=np.array([[0.0, 0.0], [0.01, 0.0], [0.0, 0.01]]), spacing=10.0)
    with pytest.raises(InputError, match="no grid point falls inside the polygon"):
        src.count_ruptures()


def test_bad_polygon_is_an_error():
    with pytest.raises(InputError, match=r"areaSource '1'.*polygon"):
        make_area(polygon=np.array([[0.0, 0.0], [1.0, 1.0]]))


@pytest.mark.slow
def test_thirty_thousand_points_and_150_magnitudes_in_seconds():
    """30,000 grid points x 150 magnitudes = 4.5 million ruptures, in 100,000-rupture blocks."""
    poly = np.array([[0.0, 0.0], [7.8, 0.0], [7.8, 7.8], [0.0, 7.8]])
    mfd = ArbitraryMFD(4.0 + 0.02 * np.arange(150), np.full(150, 1e-3))
    start = time.process_time()
    src = make_area(polygon=poly, spacing=5.0, mfd=mfd, lower_seismogenic_depth=20.0,
                    hypo_depths=[(1.0, 10.0)])
    n = 0
    for block in src.iter_ruptures():
        n += len(block)
    elapsed = time.process_time() - start
    assert len(src.locations()[0]) == pytest.approx(30_000, rel=0.01)
    assert n == 150 * len(src.locations()[0])
    assert elapsed < 15.0  # about 2 s on a 2-core machine


def test_split_parts_hold_exactly_the_ruptures_of_the_whole():
    src = make_area(spacing=5.0)
    whole = [b for b in src.iter_ruptures()]
    parts = src.split(max_ruptures=src.count_ruptures() // 4 + 1)
    assert len(parts) == 4
    assert sum(p.count_ruptures() for p in parts) == src.count_ruptures()
    rates = np.concatenate([b.rate for p in parts for b in p.iter_ruptures()])
    mags = np.concatenate([b.mag for p in parts for b in p.iter_ruptures()])
    hypo = np.concatenate([b.hypo for p in parts for b in p.iter_ruptures()])
    assert np.allclose(rates, np.concatenate([b.rate for b in whole]), rtol=1e-15)
    assert np.array_equal(mags, np.concatenate([b.mag for b in whole]))
    assert np.array_equal(hypo, np.concatenate([b.hypo for b in whole]))
    # splitting a part again keeps the rate share of the whole grid
    again = parts[0].split(max_ruptures=parts[0].count_ruptures() // 2 + 1)
    assert len(again) == 2
    sub = np.concatenate([b.rate for p in again for b in p.iter_ruptures()])
    assert np.allclose(sub, np.concatenate([b.rate for b in parts[0].iter_ruptures()]))
    # a small source is not split
    assert src.split(max_ruptures=10**9) == [src]
