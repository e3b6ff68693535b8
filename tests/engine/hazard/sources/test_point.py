"""Point sources: rupture dimensions, placement in the seismogenic layer, rates, blocks."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard import geo
from toolkit.engine.hazard.ruptures import RuptureBlock
from toolkit.engine.hazard.sources import PointSource
from toolkit.engine.hazard.surfaces import PlanarSurfaces
from toolkit.errors import InputError


class ArbitraryMFD:
    """Stand-in for toolkit.engine.hazard.mfd: given magnitudes and annual rates."""

    def __init__(self, mags, rates):
        self.mags, self.rates = np.asarray(mags, float), np.asarray(rates, float)

    def get_annual_occurrence_rates(self):
        return self.mags, self.rates


class ConstantAreaMSR:
    """Stand-in MSR: log10 A = M - c (PEER's relation for c = 4)."""

    def __init__(self, c=4.0):
        self.c = c

    def get_median_area(self, mag, rake):
        return 10.0 ** (mag - self.c)


def make_source(**kwargs):
    args = dict(
        source_id="p1", name="point", trt="Active Shallow Crust", lon=0.0, lat=0.0,
        upper_seismogenic_depth=0.0, lower_seismogenic_depth=10.0, msr=ConstantAreaMSR(),
        rupture_aspect_ratio=1.0, mfd=ArbitraryMFD([5.0], [1.0]),
        nodal_planes=[(1.0, 0.0, 90.0, 0.0)], hypo_depths=[(1.0, 5.0)],
    )
    args.update(kwargs)
    return PointSource(**args)


def all_ruptures(src, **kwargs):
    blocks = list(src.iter_ruptures(**kwargs))
    for block in blocks:
        assert isinstance(block, RuptureBlock)
        assert isinstance(block.surface, PlanarSurfaces)
    return blocks


def test_duplicate_nodal_planes_are_merged_as_in_qa_case_01():
    """OpenQuake QA classical case_01 lists the first nodal plane twice: 2 ruptures, not 3."""
    src = make_source(
        msr=ConstantAreaMSR(3.9), mfd=ArbitraryMFD([4.5], [1.0]),
        nodal_planes=[(0.25, 144, 87, -179), (0.25, 144, 87, -179), (0.5, 0, 90, 0)],
        hypo_depths=[(1.0, 4.0)],
    )
    assert src.count_ruptures() == 2
    (block,) = all_ruptures(src)
    assert len(block) == 2
    np.testing.assert_allclose(block.rate, [0.5, 0.5])
    np.testing.assert_allclose(block.rake, [-179, 0])
    np.testing.assert_allclose(block.surface.strike, [144, 0])
    np.testing.assert_allclose(block.surface.dip, [87, 90])


def test_rates_are_conserved_and_split_by_probabilities():
    mags = np.array([5.05, 5.15, 5.25, 6.95])
    rates = np.array([1e-2, 8e-3, 6e-3, 1e-5])
    planes = [(0.3, 10, 60, 90), (0.7, 200, 45, -90)]
    depths = [(0.6, 5.0), (0.4, 12.0)]
    src = make_source(mfd=ArbitraryMFD(mags, rates), nodal_planes=planes, hypo_depths=depths,
                      lower_seismogenic_depth=20.0)
    blocks = all_ruptures(src)
    mag = np.concatenate([b.mag for b in blocks])
    rate = np.concatenate([b.rate for b in blocks])
    assert len(mag) == src.count_ruptures() == 4 * 2 * 2
    assert rate.sum() == pytest.approx(rates.sum(), rel=1e-12)
    for m, r in zip(mags, rates, strict=True):
        sel = np.isclose(mag, m)
        np.testing.assert_allclose(np.sort(rate[sel]), np.sort(r * np.outer([0.3, 0.7], [0.6, 0.4])
                                                               .ravel()), rtol=1e-12)


def test_rupture_dimensions_and_rrup_of_a_small_rupture():
    """M 5 with log10 A = M - 4: a 3.16 x 3.16 km vertical square centred 5 km deep."""
    src = make_source()
    (block,) = all_ruptures(src)
    surf = block.surface
    side = np.sqrt(10.0)
    assert surf.width[0] == pytest.approx(side, rel=1e-3)
    assert surf.length[0] == pytest.approx(side, rel=1e-3)
    assert surf.ztor[0] == pytest.approx(5.0 - side / 2, rel=1e-9)
    np.testing.assert_allclose(block.hypo, [[0.0, 0.0, 5.0]])
    # a site straight above the centre: rrup = ztor plus the sag of the top edge, a chord
    # (side^2 / 8R = 0.2 m); 20 km east: the distance to the top edge
    d = surf.distances([0.0, 20.0 / 111.19492664455873], [0.0, 0.0], [0.0, 0.0], {"rrup", "rjb"})
    sag = side**2 / (8 * geo.EARTH_RADIUS)
    assert d["rrup"][0, 0] == pytest.approx(5.0 - side / 2 + sag, rel=1e-7)
    assert d["rjb"][0, 0] == pytest.approx(0.0, abs=1e-9)
    ztor, r = 5.0 - side / 2, geo.EARTH_RADIUS  # the chord on a sphere: z^2 + d^2 (1 - z/R)
    assert d["rrup"][0, 1] == pytest.approx(np.sqrt(ztor**2 + 400.0 * (1 - ztor / r)), rel=1e-5)


def test_tiny_rupture_rrup_is_the_hypocentral_distance():
    src = make_source(msr=ConstantAreaMSR(12.0))  # A = 1e-7 km2
    (block,) = all_ruptures(src)
    rng = np.random.default_rng(1)
    lons, lats = rng.uniform(-1, 1, 20), rng.uniform(-1, 1, 20)
    d = block.surface.distances(lons, lats, np.zeros(20), {"rrup"})["rrup"][0]
    repi = geo.geodetic_distance(0.0, 0.0, lons, lats)
    # the chord to a point 5 km deep (spherical Earth)
    chord = np.sqrt(25.0 + 2 * geo.EARTH_RADIUS * (geo.EARTH_RADIUS - 5.0)
                    * (1 - np.cos(repi / geo.EARTH_RADIUS)))
    np.testing.assert_allclose(d, chord, atol=1e-3)
    np.testing.assert_allclose(d, np.hypot(repi, 5.0), rtol=5e-4)


def test_width_capped_by_the_seismogenic_layer_and_area_kept():
    # M 6.5: A = 316 km2, square 17.8 km > layer 10 km / sin(60) = 11.55 km
    src = make_source(mfd=ArbitraryMFD([6.5], [1.0]), nodal_planes=[(1.0, 30, 60, 90)])
    (block,) = all_ruptures(src)
    surf = block.surface
    max_width = 10.0 / np.sin(np.radians(60))
    assert surf.width[0] == pytest.approx(max_width, rel=2e-3)
    assert surf.length[0] * surf.width[0] == pytest.approx(10**2.5, rel=2e-3)
    depths = surf.corners[0, :, 2]
    np.testing.assert_allclose(depths, [0, 0, 10, 10], atol=1e-9)


@pytest.mark.parametrize("hypo_depth", [2.5, 17.5])
def test_rupture_moved_into_the_layer_along_dip(hypo_depth):
    """A 4.47 km wide rupture dipping 30 degrees (2.24 km tall) centred at 2.5 km pokes above
    a 2-18 km layer: it slides down dip until its top is at 2 km; centred at 17.5 km, it slides
    up until its bottom is at 18 km. The centre moves horizontally by the vertical shift /
    tan(dip), towards the dip direction (east for strike 0) when moving down."""
    src = make_source(
        upper_seismogenic_depth=2.0, lower_seismogenic_depth=18.0, rupture_aspect_ratio=2.0,
        mfd=ArbitraryMFD([5.6], [1.0]), nodal_planes=[(1.0, 0.0, 30.0, 90.0)],
        hypo_depths=[(1.0, hypo_depth)],
    )
    (block,) = all_ruptures(src)
    depths = block.surface.corners[0, :, 2]
    height = np.sqrt(10**1.6 / 2.0) * np.sin(np.radians(30))
    top = 2.0 if hypo_depth < 10 else 18.0 - height
    np.testing.assert_allclose(depths, [top, top, top + height, top + height], atol=1e-9)
    shift = top + height / 2 - hypo_depth
    centre_lon = block.surface.corners[0, :, 0].mean()
    assert centre_lon * 111.19492664455873 == pytest.approx(shift / np.tan(np.radians(30)),
                                                            rel=1e-4)
    np.testing.assert_allclose(block.hypo, [[0.0, 0.0, hypo_depth]])  # the hypocentre stays


def test_corners_follow_strike_and_dip():
    src = make_source(mfd=ArbitraryMFD([5.5], [1.0]), nodal_planes=[(1.0, 45.0, 50.0, 90.0)],
                      rupture_aspect_ratio=1.5)
    (block,) = all_ruptures(src)
    lon, lat, _ = block.surface.corners[0].T
    assert geo.azimuth(lon[0], lat[0], lon[1], lat[1]) == pytest.approx(45.0, abs=1e-3)
    assert geo.azimuth(lon[0], lat[0], lon[3], lat[3]) == pytest.approx(135.0, abs=1e-3)
    length = geo.geodetic_distance(lon[0], lat[0], lon[1], lat[1])
    hwidth = geo.geodetic_distance(lon[0], lat[0], lon[3], lat[3])
    area = 10**1.5
    assert length == pytest.approx(np.sqrt(area * 1.5), rel=1e-6)
    assert hwidth == pytest.approx(np.sqrt(area / 1.5) * np.cos(np.radians(50)), rel=1e-6)


def test_minimum_magnitude_and_block_sizes():
    mags = np.arange(4.05, 7.0, 0.1)
    src = make_source(mfd=ArbitraryMFD(mags, np.full(len(mags), 1e-3)),
                      nodal_planes=[(0.5, 0, 90, 0), (0.5, 90, 60, 90)],
                      hypo_depths=[(0.5, 4.0), (0.5, 8.0)])
    assert src.count_ruptures() == len(mags) * 4
    assert src.count_ruptures(min_mag=5.0) == np.sum(mags >= 5.0) * 4
    blocks = all_ruptures(src, min_mag=5.0, block_size=7)
    assert all(len(b) <= 7 for b in blocks)
    mag = np.concatenate([b.mag for b in blocks])
    assert len(mag) == src.count_ruptures(min_mag=5.0)
    assert mag.min() >= 5.0
    # 5.05 + ... are kept; a bin centred exactly on min_mag too (MAGNITUDE_TOLERANCE)
    assert src.count_ruptures(min_mag=mags[10]) == (len(mags) - 10) * 4


def test_bounding_box_covers_every_rupture():
    src = make_source(mfd=ArbitraryMFD([5.0, 6.0, 7.0], [1, 1, 1]),
                      nodal_planes=[(0.5, 30, 40, 90), (0.5, 120, 90, 0)],
                      lower_seismogenic_depth=20.0, hypo_depths=[(1.0, 15.0)], lon=170.0,
                      lat=-40.0)
    west, south, east, north = src.bounding_box()
    corners = np.concatenate([b.surface.corners for b in src.iter_ruptures()])
    assert np.all((corners[..., 0] >= west) & (corners[..., 0] <= east))
    assert np.all((corners[..., 1] >= south) & (corners[..., 1] <= north))
    assert src.location_bounds() == (170.0, -40.0, 170.0, -40.0)
    w2, s2, e2, n2 = src.bounding_box(dilation=100.0)
    assert n2 - north == pytest.approx(100.0 / 111.19492664455873, rel=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(nodal_planes=[(0.5, 0, 90, 0)]), "sum to 0.5"),
        (dict(nodal_planes=[(1.0, 0, 0, 0)]), "dip must be in"),
        (dict(nodal_planes=[(1.0, 0, 90, 200)]), "rake must be in"),
        (dict(hypo_depths=[(1.0, 11.0)]), "outside the seismogenic layer"),
        (dict(upper_seismogenic_depth=10.0), "satisfy upper < lower"),
        (dict(rupture_aspect_ratio=0.0), "aspect ratio must be positive"),
        (dict(lat=95.0), "out of range"),
        (dict(hypo_depths=[]), "distribution is empty"),
    ],
)
def test_invalid_inputs_name_the_source(kwargs, message):
    with pytest.raises(InputError, match=message) as info:
        make_source(**kwargs)
    assert "pointSource 'p1'" in str(info.value)
