"""Complex fault sources: floating windows, counts, rates and hazard against simple faults."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard.geo import EARTH_RADIUS
from toolkit.engine.hazard.gsim.boore_2014 import BooreEtAl2014
from toolkit.engine.hazard.gsim.sadigh_1997 import SadighEtAl1997
from toolkit.engine.hazard.imt import PGA, SA
from toolkit.engine.hazard.kernel import HazardSpec, compute_rates
from toolkit.engine.hazard.msr import WC1994
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.engine.hazard.sources import ComplexFaultSource, SimpleFaultSource
from toolkit.engine.hazard.sources.complex_fault import cell_dimensions, float_windows
from toolkit.errors import InputError

KM = 180.0 / (np.pi * EARTH_RADIUS)  # degrees of arc per km


class Bins:
    """An MFD with the given magnitudes and rates."""

    def __init__(self, mags, rates=None) -> None:
        self.mags = np.asarray(mags, float)
        self.rates = np.ones(len(self.mags)) if rates is None else np.asarray(rates, float)

    def get_annual_occurrence_rates(self):
        return self.mags, self.rates


class FixedArea:
    """A magnitude-scaling relation with a table of areas (km2)."""

    def __init__(self, areas: dict[float, float]) -> None:
        self.areas = areas

    def get_median_area(self, mag, rake):
        return self.areas[round(mag, 2)]


def complex_source(edges, mags, msr=None, ratio=1.0, rake=90.0, spacing=1.0, rates=None):
    return ComplexFaultSource("cf", "cf", "Active Shallow Crust", edges, msr or WC1994(),
                              ratio, Bins(mags, rates), rake, spacing)


# a vertical fault 20 km long (along the equator) from the surface to 10 km
TOP = [[0.0, 0.0, 0.0], [20 * KM, 0.0, 0.0]]
BOTTOM = [[0.0, 0.0, 10.0], [20 * KM, 0.0, 10.0]]


def test_rectangular_fault_counts_by_hand_and_equal_to_simple_fault():
    # 1 km spacing: 21 x 11 nodes, 20 x 10 cells of 1 km2 (chords: a little under 1 km)
    areas = {5.0: 16.5, 5.5: 36.5, 7.0: 400.0}
    src = complex_source([TOP, BOTTOM], list(areas), FixedArea(areas), ratio=0.95)
    assert src.mesh.shape == (11, 21)
    # A = 16.5: L = 3.96 -> 4 cells, 16.5 / 4 -> 4 rows: 17 x 7 positions (the bottom window
    # holds 16 < 16.5 km2: no window below it); A = 36.5: L = 5.89 -> 6 cells, 6 rows: 15 x 5;
    # A = 400 > 200: the whole fault
    expected = {5.0: 17 * 7, 5.5: 15 * 5, 7.0: 1}
    for mag, count in expected.items():
        row0, col0, nrows, ncols = src.windows(mag)
        assert len(row0) == count
        assert len({(r, c) for r, c in zip(row0, col0, strict=True)}) == count
    assert set(src.windows(5.0)[2]) == {5} and set(src.windows(5.0)[3]) == {5}
    assert src.count_ruptures() == sum(expected.values())
    simple = SimpleFaultSource("sf", "sf", "Active Shallow Crust", np.array(TOP)[:, :2], 90.0,
                               0.0, 10.0, FixedArea(areas), 0.95, Bins(list(areas)), 90.0, 1.0)
    assert simple.count_ruptures() == src.count_ruptures()
    assert sum(len(b) for b in src.iter_ruptures(block_size=7)) == src.count_ruptures()


def test_rectangular_fault_border_rules():
    # A = 15.5: 4 x 4 cells; the window at row 6 reaches the bottom with 16 >= 15.5 km2, so
    # row 7 adds one 3-row window per column: 17 x 7 + 17
    src = complex_source([TOP, BOTTOM], [5.0], FixedArea({5.0: 15.5}), ratio=0.95)
    row0, _, nrows, _ = src.windows(5.0)
    assert len(row0) == 17 * 7 + 17
    assert set(nrows[row0 == 7]) == {4} and np.sum(row0 == 7) == 17
    # A = 16.5 with aspect ratio 1: L = 4.06 is longer than the 4 cells from column 16 (they
    # end at the mesh end), so that position does not fit: 16 x 7
    src = complex_source([TOP, BOTTOM], [5.0], FixedArea({5.0: 16.5}), ratio=1.0)
    assert len(src.windows(5.0)[0]) == 16 * 7


def test_rates_are_shared_equally_per_magnitude_and_conserved():
    mags, rates = [5.0, 5.5, 6.0, 6.5], [0.1, 0.03, 0.01, 0.002]
    src = complex_source([TOP, BOTTOM], mags, rates=rates)
    got = {}
    for block in src.iter_ruptures(block_size=13):
        for m, r in zip(block.mag, block.rate, strict=True):
            got.setdefault(round(m, 2), []).append(r)
    for mag, rate in zip(mags, rates, strict=True):
        assert np.allclose(got[mag], rate / len(got[mag]), rtol=1e-14)
        assert np.isclose(sum(got[mag]), rate, rtol=1e-12)
    assert sum(len(b) for b in src.iter_ruptures(min_mag=5.5)) == src.count_ruptures(5.5)


def test_split_by_magnitude_keeps_every_rupture():
    src = complex_source([TOP, BOTTOM], [5.0, 5.5, 6.0, 6.5])
    parts = src.split(100)
    assert len(parts) > 1
    whole = [(round(m, 3), r) for b in src.iter_ruptures()
             for m, r in zip(b.mag, b.rate, strict=True)]
    split = [(round(m, 3), r) for p in parts for b in p.iter_ruptures()
             for m, r in zip(b.mag, b.rate, strict=True)]
    assert sorted(whole) == sorted(split)
    assert src.split(10**6) == [src]


# Rupture counts per magnitude (WC1994) of OpenQuake 3.26's ComplexFaultSource on these
# geometries, measured by running it as a black box; the windows (shape and top-left node)
# also agree one by one.
OQ_CASES = [
    ([[[0, 0, 2], [0.5, 0, 2]], [[0, -0.15, 15], [0.5, -0.15, 15]]], 5.0, 1.5, 90.0,
     {5.0: 44, 5.5: 40, 6.0: 36, 6.5: 24, 7.0: 10, 7.5: 1, 8.0: 1}),
    ([[[0, 0, 0], [0.8, 0, 0]], [[0, -0.1, 12], [0.8, -0.1, 12]]], 2.0, 2.0, 0.0,
     {5.0: 336, 5.5: 280, 6.0: 228, 6.3: 175, 6.6: 96, 6.9: 26, 7.2: 10, 7.5: 1}),
    ([[[0, 0, 1], [0.3, 0.1, 2], [0.7, 0.05, 1]], [[0.0, -0.1, 10], [0.3, 0.0, 12],
      [0.7, -0.05, 11]], [[0, -0.25, 25], [0.35, -0.15, 28], [0.72, -0.2, 26]]], 3.0, 1.0, 90.0,
     {5.0: 351, 5.6: 338, 6.2: 264, 6.8: 140, 7.1: 68, 7.4: 11, 7.7: 1}),
    ([[[10, 45, 0], [10.6, 45.3, 0]], [[10.05, 44.97, 20], [10.65, 45.27, 20]]], 4.0, 3.0,
     -90.0, {5.0: 65, 6.0: 50, 6.5: 28, 6.8: 15, 7.0: 9, 7.2: 2}),
]


@pytest.mark.parametrize(("edges", "spacing", "ratio", "rake", "counts"), OQ_CASES)
def test_counts_match_openquake(edges, spacing, ratio, rake, counts):
    src = complex_source(edges, list(counts), ratio=ratio, rake=rake, spacing=spacing)
    assert {m: len(src.windows(m)[0]) for m in counts} == counts


def test_lower_rows_too_small_keep_the_bottom_and_close_their_column():
    # 4 x 11 cells; at M 7 (WC1994 reverse: 575 km2 > half the fault) the rupture is 7 cells
    # long; from row 1 it reaches the bottom with less area and the column is closed
    src = complex_source(*OQ_CASES[0][:1], [7.0], ratio=1.5, spacing=5.0)
    row0, col0, nrows, ncols = src.windows(7.0)
    assert sorted(set(zip(nrows.tolist(), ncols.tolist(), strict=True))) == [(4, 8), (5, 8)]
    assert set(row0[nrows == 4]) == {1} and set(row0[nrows == 5]) == {0}


def test_float_windows_whole_mesh_and_single_cell():
    length, area = np.ones((3, 4)), np.ones((3, 4))
    assert [a.tolist() for a in float_windows(length, area, 12.0, 4.0)] == [[0], [0], [4], [5]]
    row0, col0, nrows, ncols = float_windows(length, area, 1.0, 1.0)
    assert len(row0) == 12 and set(nrows) == {2} and set(ncols) == {2}


def test_cell_dimensions_of_a_flat_square_mesh():
    src = complex_source([TOP, BOTTOM], [5.0])
    length, area = cell_dimensions(src.mesh)
    assert length.shape == area.shape == (10, 20)
    assert np.allclose(length, 1.0, atol=2e-3) and np.allclose(area, 1.0, atol=2e-3)


def test_vertical_complex_fault_gives_the_simple_fault_hazard():
    # 20 km x 12 km vertical fault, 2 km mesh: both sources build the same 7 x 11 mesh; with
    # areas 2% above k x k cells (k = 1..5) and aspect ratio 0.9 the rupture is a little
    # shorter than k cells and a little larger than their area, so both float the same
    # k x k windows (see the module docstring); 300 km2 is the whole fault for both
    trace = np.array(TOP)[:, :2]
    top = [[0.0, 0.0, 0.0], [20 * KM, 0.0, 0.0]]
    bottom = [[0.0, 0.0, 12.0], [20 * KM, 0.0, 12.0]]
    mags, rates = [5.0, 5.2, 5.4, 5.6, 5.8, 6.0], [0.05, 0.02, 0.008, 0.003, 0.001, 0.0004]
    msr = FixedArea({m: 4.0 * k * k * 1.02 for k, m in enumerate(mags[:5], 1)} | {6.0: 300.0})
    cplx = complex_source([top, bottom], mags, msr, ratio=0.9, rake=0.0, spacing=2.0,
                          rates=rates)
    simple = SimpleFaultSource("sf", "sf", "Active Shallow Crust", trace, 90.0, 0.0, 12.0,
                               msr, 0.9, Bins(mags, rates), 0.0, 2.0)
    assert cplx.count_ruptures() == 10 * 6 + 9 * 5 + 8 * 4 + 7 * 3 + 6 * 2 + 1
    assert cplx.mesh.shape == simple.mesh.shape == (7, 11)
    assert np.allclose(cplx.mesh.lons, simple.mesh.lons, atol=1e-9)
    assert np.allclose(cplx.mesh.depths, simple.mesh.depths, atol=1e-9)
    c_blocks, s_blocks = list(cplx.iter_ruptures()), list(simple.iter_ruptures())
    for a, b in zip(c_blocks, s_blocks, strict=True):
        key_a = sorted(zip(a.mag, a.surface.row0, a.surface.col0, a.surface.nrows,
                           a.surface.ncols, np.round(a.rate, 15), strict=True))
        key_b = sorted(zip(b.mag, b.surface.row0, b.surface.col0, b.surface.nrows,
                           b.surface.ncols, np.round(b.rate, 15), strict=True))
        assert key_a == key_b
    sites = SiteCollection([10 * KM, 30 * KM, -5 * KM, 10 * KM], [8 * KM, 0.0, -3 * KM, 40 * KM],
                           vs30=[760.0, 400.0, 760.0, 300.0])
    levels = np.array([0.005, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8])
    spec = HazardSpec({PGA(): levels, SA(1.0): levels}, 3.0, maximum_distance=300.0)
    gsims = [SadighEtAl1997(), BooreEtAl2014()]
    poe_c = 1 - np.exp(-compute_rates(c_blocks, sites, gsims, spec))
    poe_s = 1 - np.exp(-compute_rates(s_blocks, sites, gsims, spec))
    assert poe_c.max() > 1e-3
    big = poe_s > 1e-12
    assert np.all(np.abs(poe_c[big] / poe_s[big] - 1) < 1e-6)


def test_ztor_of_a_window_is_its_own_top_row():
    # top edge deepening along strike from 1 to 5 km
    top = [[0.0, 0.0, 1.0], [20 * KM, 0.0, 5.0]]
    bottom = [[0.0, -0.1, 15.0], [20 * KM, -0.1, 15.0]]
    src = complex_source([top, bottom], [5.0], spacing=2.0)
    block = next(src.iter_ruptures())
    s = block.surface
    expected = [src.mesh.depths[r, c:c + n].min()
                for r, c, n in zip(s.row0, s.col0, s.ncols, strict=True)]
    assert np.allclose(s.ztor, expected)
    assert s.ztor.max() > s.ztor.min() + 2.0
    sub = s.take(np.array([3, 1]))
    assert np.allclose(sub.ztor, np.array(expected)[[3, 1]])


def test_invalid_inputs():
    with pytest.raises(InputError, match="complexFaultSource 'cf'.*at least 2 edges"):
        complex_source([TOP], [5.0]).count_ruptures()
    with pytest.raises(InputError, match="mesh spacing must be positive"):
        complex_source([TOP, BOTTOM], [5.0], spacing=0.0)
    with pytest.raises(InputError, match="rake"):
        complex_source([TOP, BOTTOM], [5.0], rake=200.0)
    with pytest.raises(InputError, match="too large"):
        complex_source([TOP, BOTTOM], [5.0], spacing=100.0).count_ruptures()
