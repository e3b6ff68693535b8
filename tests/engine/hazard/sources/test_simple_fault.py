"""Simple fault sources: fault mesh, floating ruptures, rates, area variability."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard import geo
from toolkit.engine.hazard.sources import SimpleFaultSource
from toolkit.engine.hazard.sources.simple_fault import area_samples
from toolkit.engine.hazard.surfaces import MeshSurfaces
from toolkit.errors import InputError

KM = np.pi * geo.EARTH_RADIUS / 180.0
# PEER 2018 Set 1: Fault 1 is vertical, Fault 2 dips 60 degrees west (to the right of a
# trace running north to south), both with a 25 km trace at lon -122
TRACE_NS = np.array([[-122.0, 38.2248], [-122.0, 38.0]])
TRACE_SN = TRACE_NS[::-1]


class ArbitraryMFD:
    """Stand-in for toolkit.engine.hazard.mfd: given magnitudes and annual rates."""

    def __init__(self, mags, rates):
        self.mags, self.rates = np.asarray(mags, float), np.asarray(rates, float)

    def get_annual_occurrence_rates(self):
        return self.mags, self.rates


class PeerMSR:
    """Stand-in MSR: PEER's log10 A = M - 4."""

    def get_median_area(self, mag, rake):
        return 10.0 ** (mag - 4.0)


def fault1(mags=(6.0,), rates=None, **kwargs):
    rates = np.full(len(mags), 1e-3) if rates is None else rates
    args = dict(
        source_id="f1", name="Fault 1", trt="Active Shallow Crust", trace=TRACE_SN, dip=90.0,
        upper_seismogenic_depth=0.0, lower_seismogenic_depth=12.0, msr=PeerMSR(),
        rupture_aspect_ratio=2.0, mfd=ArbitraryMFD(mags, rates), rake=0.0,
        rupture_mesh_spacing=1.0,
    )
    args.update(kwargs)
    return SimpleFaultSource(**args)


def fault2(**kwargs):
    args = dict(trace=TRACE_NS, dip=60.0, upper_seismogenic_depth=1.0, rake=90.0)
    args.update(kwargs)
    return fault1(**args)


def ruptures(src, **kwargs):
    blocks = list(src.iter_ruptures(**kwargs))
    for block in blocks:
        assert isinstance(block.surface, MeshSurfaces)
    return blocks


def test_fault1_mesh():
    mesh = fault1().mesh
    assert mesh.shape == (13, 26)  # 12 km / 1 km down dip, 25 km along strike
    np.testing.assert_allclose(mesh.depths[:, 0], np.arange(13.0), atol=1e-9)
    np.testing.assert_allclose(mesh.lons, -122.0, atol=1e-9)
    steps = geo.geodetic_distance(mesh.lons[0, :-1], mesh.lats[0, :-1], mesh.lons[0, 1:],
                                  mesh.lats[0, 1:])
    np.testing.assert_allclose(steps, 1.0, rtol=1e-9)


def test_fault2_mesh_is_moved_down_dip_to_the_upper_depth():
    mesh = fault2().mesh
    # 11 km / sin(60) = 12.70 km down dip: 13 intervals of exactly 1 km, so the last row
    # is at 1 + 13 sin(60) = 12.26 km (rounding, as OpenQuake does)
    assert mesh.shape == (14, 26)
    np.testing.assert_allclose(mesh.depths[:, 3], 1.0 + np.arange(14) * np.sin(np.radians(60)),
                               atol=1e-7)
    west = (-122.0 - mesh.lons[0, 5]) * KM * np.cos(np.radians(mesh.lats[0, 5]))
    assert west == pytest.approx(1.0 / np.tan(np.radians(60)), rel=1e-4)  # dips west
    assert mesh.lats[0, 0] == pytest.approx(38.2248)


def test_m65_on_fault1_is_one_rupture_covering_the_fault():
    """Area 10^2.5 = 316 km2 exceeds the 25 x 12 = 300 km2 fault: the whole fault."""
    src = fault1(mags=[6.5], rates=[2.8528e-3])
    (block,) = ruptures(src)
    assert len(block) == 1
    surf = block.surface
    assert (surf.row0[0], surf.col0[0], surf.nrows[0], surf.ncols[0]) == (0, 0, 13, 26)
    assert block.rate[0] == pytest.approx(2.8528e-3)
    lon, lat, depth = block.hypo[0]
    assert depth == pytest.approx(6.0)
    assert lat == pytest.approx(38.0 + 12.5 / KM, abs=1e-7)
    # PEER Set 1 site 1 sits on the trace: rjb = 0 (a vertical fault has no area)
    d = surf.distances([-122.0, -122.114], [38.113, 38.113], None, {"rrup", "rjb", "rx", "ry0"})
    np.testing.assert_allclose(d["rjb"][0, 0], 0.0, atol=1e-6)
    assert d["rjb"][0, 1] == pytest.approx(0.114 * KM * np.cos(np.radians(38.113)), rel=1e-4)
    # rrup is measured to the mesh nodes: the nearest is 0.435 km along strike (at 13 km)
    along = 13.0 - (38.113 - 38.0) * KM
    np.testing.assert_allclose(d["rrup"][0], np.hypot(d["rjb"][0], along), rtol=1e-4)
    np.testing.assert_allclose(d["ry0"], 0.0, atol=1e-9)


def test_m6_rupture_is_14_by_7_km_and_floats_over_72_positions():
    src = fault1(mags=[6.0], rates=[1e-3])
    (block,) = ruptures(src)
    surf = block.surface
    # L = sqrt(100 * 2) = 14.14 km -> 15 nodes; W = 7.07 km -> 8 nodes
    assert set(surf.ncols) == {15} and set(surf.nrows) == {8}
    assert len(block) == (26 - 15 + 1) * (13 - 8 + 1) == 72
    np.testing.assert_allclose(block.rate, 1e-3 / 72)
    assert sorted(set(surf.row0)) == list(range(6)) and sorted(set(surf.col0)) == list(range(12))
    np.testing.assert_allclose(surf.width, 7.0, rtol=1e-6)
    assert block.hypo[:, 2].min() == pytest.approx(3.5) and block.hypo[:, 2].max() == 8.5


def test_rupture_counts_match_openquake():
    """Number of ruptures per magnitude on Fault 1 (spacing 1 km, PeerMSR, aspect 2), as
    measured by running OpenQuake engine 3.26.2's SimpleFaultSource; they follow from the
    documented rules (e.g. M 6.45: width capped at 12 km, length 23.5 km -> 25 nodes)."""
    mags = [5.0, 5.55, 6.0, 6.2, 6.45, 6.48, 6.5]
    src = fault1(mags=mags)
    blocks = ruptures(src)
    mag = np.concatenate([b.mag for b in blocks])
    counts = [int(np.sum(mag == m)) for m in mags]
    assert counts == [242, 162, 72, 32, 2, 1, 1]
    assert src.count_ruptures() == sum(counts)


def test_rounding_of_rupture_nodes_is_half_to_even():
    """L = 2.5 km at 1 km spacing: round(2.5) = 2 -> 3 nodes (Python rounding, OpenQuake's)."""
    class Area(PeerMSR):
        def get_median_area(self, mag, rake):
            return 2.5 * 1.25  # L = sqrt(3.125 * 2) = 2.5, W = 1.25 -> round(1.25) = 1
    src = fault1(msr=Area())
    (block,) = ruptures(src)
    assert set(block.surface.ncols) == {3} and set(block.surface.nrows) == {2}


def test_rates_are_conserved_with_min_mag_and_blocks():
    mags = np.round(np.arange(5.005, 6.5, 0.01), 3)
    rates = 10 ** (3.0 - 0.9 * mags) * 0.01
    src = fault1(mags=mags, rates=rates)
    blocks = ruptures(src, min_mag=5.5, block_size=500)
    assert all(len(b) <= 500 for b in blocks)
    mag = np.concatenate([b.mag for b in blocks])
    rate = np.concatenate([b.rate for b in blocks])
    assert mag.min() >= 5.5 and len(mag) == src.count_ruptures(min_mag=5.5)
    assert rate.sum() == pytest.approx(rates[mags >= 5.5].sum(), rel=1e-12)
    for m in (5.505, 6.005, 6.495):
        sel = mag == m
        assert rate[sel].sum() == pytest.approx(rates[mags == m][0], rel=1e-12)


def test_dipping_fault_distances_hanging_wall_and_footwall():
    src = fault2(mags=[6.5])
    (block,) = ruptures(src)
    assert len(block) == 1  # 316 km2 is wider than the fault and longer: the whole fault
    surf = block.surface
    assert surf.dip[0] == pytest.approx(60.0, abs=0.05)  # the mean dip of the mesh cells
    assert surf.ztor[0] == pytest.approx(1.0)
    # 5 km west (hanging wall) and 5 km east (footwall) of the trace, mid-length
    lat = 38.1124
    dlon = 5.0 / (KM * np.cos(np.radians(lat)))
    d = surf.distances([-122.0 - dlon, -122.0 + dlon], [lat, lat], None,
                       {"rrup", "rjb", "rx", "ry0"})
    top_offset = 1.0 / np.tan(np.radians(60))  # the top edge is 0.58 km west of the trace
    np.testing.assert_allclose(d["rx"][0], [5.0 - top_offset, -5.0 - top_offset], rtol=1e-3)
    np.testing.assert_allclose(d["rjb"][0], [0.0, 5.0 + top_offset], rtol=1e-3, atol=1e-9)
    # hanging wall: 5 sin(60) from the plane through the trace, whose foot is 2.5 km down
    # dip of the outcrop; the nearest mesh node is off by 0.345 km down dip (rows every km
    # from 1.155 km) and 0.498 km along strike (columns every km from lat 38.2248)
    down = 2.5 - 1.0 / np.sin(np.radians(60)) - 1.0
    along = (38.2248 - lat) * KM - 12.0
    expected = np.sqrt((5.0 * np.sin(np.radians(60))) ** 2 + down**2 + along**2)
    assert d["rrup"][0, 0] == pytest.approx(expected, rel=1e-3)
    # footwall: the nearest node is on the top edge, 0.498 km along strike
    expected = np.sqrt((5.0 + top_offset) ** 2 + 1.0 + along**2)
    assert d["rrup"][0, 1] == pytest.approx(expected, rel=1e-3)


def test_area_samples():
    eps, w = area_samples(0.25, 2.0, 5)
    np.testing.assert_allclose(eps, [-1.6, -0.8, 0.0, 0.8, 1.6], atol=1e-12)
    assert w.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(w, w[::-1])
    assert w[2] > w[1] > w[0]
    np.testing.assert_allclose(area_samples(0.25, 2.0, 1), ([0.0], [1.0]))


def test_area_variability_splits_the_rate_over_rupture_sizes():
    """PEER Set 1 Case 3 style: sigma(log10 A) = 0.25, truncated at 2 sigma."""
    src = fault1(mags=[6.0], rates=[1e-3], area_variability=(0.25, 2.0, 5))
    blocks = ruptures(src)
    surf_cols = np.concatenate([b.surface.ncols for b in blocks])
    rate = np.concatenate([b.rate for b in blocks])
    assert rate.sum() == pytest.approx(1e-3, rel=1e-12)
    assert len(set(surf_cols)) == 5  # five rupture lengths
    _, weights = area_samples(0.25, 2.0, 5)
    mag, rate_by_size, nrows, ncols = src.rupture_sizes()
    np.testing.assert_allclose(rate_by_size, 1e-3 * weights)
    # the median sample is the M 6.0 rupture of 15 x 8 nodes
    assert (nrows[2], ncols[2]) == (8, 15)
    assert src.count_ruptures() == len(rate)


def test_invalid_inputs():
    with pytest.raises(InputError, match=r"simpleFaultSource 'f1'.*dip"):
        fault1(dip=0.0)
    with pytest.raises(InputError, match="fault trace"):
        fault1(trace=np.array([[0.0, 0.0]]))
    with pytest.raises(InputError, match="area_variability"):
        fault1(area_variability=(0.25, 2.0))
    with pytest.raises(InputError, match="at least 2 x 2"):
        fault1(rupture_mesh_spacing=30.0).count_ruptures()
