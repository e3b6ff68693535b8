"""Source options: magnitude-dependent aspect ratios, layers above sea level, fixedDipFrac
and shift_hypo."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard import geo
from toolkit.engine.hazard.sources import PointSource, SimpleFaultSource
from toolkit.engine.hazard.sources.aspect_ratio import (
    MagDependentAspectRatio,
    aspect_ratios,
    check_aspect_ratio,
)
from toolkit.errors import InputError

KM_PER_DEG = geo.EARTH_RADIUS * np.pi / 180.0


class ArbitraryMFD:
    def __init__(self, mags, rates):
        self.mags, self.rates = np.asarray(mags, float), np.asarray(rates, float)

    def get_annual_occurrence_rates(self):
        return self.mags, self.rates


class ConstantAreaMSR:
    """log10 A = M - c."""

    def __init__(self, c=4.0):
        self.c = c

    def get_median_area(self, mag, rake):
        return 10.0 ** (np.asarray(mag, float) - self.c)


def point_source(**kwargs):
    args = dict(
        source_id="p1", name="point", trt="Active Shallow Crust", lon=0.0, lat=0.0,
        upper_seismogenic_depth=0.0, lower_seismogenic_depth=30.0, msr=ConstantAreaMSR(),
        rupture_aspect_ratio=1.0, mfd=ArbitraryMFD([5.0], [1.0]),
        nodal_planes=[(1.0, 0.0, 90.0, 0.0)], hypo_depths=[(1.0, 15.0)],
        rupture_mesh_spacing=1.0,
    )
    args.update(kwargs)
    return PointSource(**args)


# --------------------------------------------------------------------------- the function
def test_piecewise_linear_and_constant_outside_the_points():
    ratio = MagDependentAspectRatio([4.0, 7.0], [1.0, 2.0])
    np.testing.assert_allclose(ratio(np.array([3.0, 4.0, 5.5, 6.55, 7.0, 8.0])),
                               [1.0, 1.0, 1.5, 1.85, 2.0, 2.0], rtol=1e-12)
    three = MagDependentAspectRatio([5.0, 6.0, 7.0], [1.0, 3.0, 2.0])
    np.testing.assert_allclose(three(np.array([5.25, 6.5])), [1.5, 2.5], rtol=1e-12)
    np.testing.assert_allclose(aspect_ratios(1.5, np.array([5.0, 6.0])), [1.5, 1.5])
    assert check_aspect_ratio(ratio, "here") is ratio
    assert check_aspect_ratio(2, "here") == 2.0


@pytest.mark.parametrize(
    ("mags", "ratios", "message"),
    [
        ([], [], "one or more"),
        ([5.0, 4.0], [1.0, 2.0], "strictly increasing"),
        ([4.0, 5.0], [1.0, 0.0], "must be positive"),
        ([4.0, 5.0], [1.0], "one or more"),
    ],
)
def test_bad_functions_are_refused(mags, ratios, message):
    with pytest.raises(InputError, match=f"src.xml line 3: .*{message}"):
        MagDependentAspectRatio(mags, ratios, "src.xml line 3")


@pytest.mark.parametrize("value", [0.0, -1.0, float("nan")])
def test_bad_constant_ratios_are_refused(value):
    with pytest.raises(InputError, match="aspect ratio must be positive"):
        point_source(rupture_aspect_ratio=value)


# --------------------------------------------------------------------------- point sources
def test_point_rupture_lengths_follow_the_magnitude():
    """A = 10^(M-4) km2, a(M) linear from 1 at M 4 to 2 at M 7: L = sqrt(A a), W = A / L
    (the 30 km layer never caps these vertical ruptures)."""
    mags = np.array([4.5, 5.5, 6.5])
    src = point_source(mfd=ArbitraryMFD(mags, [1.0, 1.0, 1.0]),
                       rupture_aspect_ratio=MagDependentAspectRatio([4.0, 7.0], [1.0, 2.0]))
    block = np.concatenate([b.mag for b in src.iter_ruptures()])
    surf = next(src.iter_ruptures()).surface
    assert len(block) == 3
    area = 10.0 ** (mags - 4.0)
    ratio = 1.0 + (mags - 4.0) / 3.0
    # the length is laid out along great circles at the surface, so the chord at the
    # centre depth (15 km) is shorter by (R - 15) / R; the vertical width is exact
    shrink = (geo.EARTH_RADIUS - 15.0) / geo.EARTH_RADIUS
    np.testing.assert_allclose(surf.length, np.sqrt(area * ratio) * shrink, rtol=1e-6)
    np.testing.assert_allclose(surf.width, area / np.sqrt(area * ratio), rtol=1e-5)


# --------------------------------------------------------------------------- fault sources
def test_simple_fault_floating_ruptures_use_the_magnitude_ratio():
    """A 60 km long, 20 km wide vertical fault (1 km mesh): an M 6 rupture (100 km2) with
    a(6) = 4 (function 1 at M 4 to 5.5 at M 7) is 20 x 5 km, i.e. 21 x 6 mesh nodes; with a
    constant ratio 1 it is 10 x 10 km."""
    trace = np.array([[0.0, 0.0], [60.0 / KM_PER_DEG, 0.0]])
    common = dict(source_id="f", name="f", trt="Active Shallow Crust", trace=trace, dip=90.0,
                  upper_seismogenic_depth=0.0, lower_seismogenic_depth=20.0,
                  msr=ConstantAreaMSR(), mfd=ArbitraryMFD([6.0], [1.0]), rake=0.0,
                  rupture_mesh_spacing=1.0)
    varying = SimpleFaultSource(
        rupture_aspect_ratio=MagDependentAspectRatio([4.0, 7.0], [1.0, 5.5]), **common)
    constant = SimpleFaultSource(rupture_aspect_ratio=1.0, **common)
    n_varying = varying.count_ruptures()
    n_constant = constant.count_ruptures()
    # windows of (ncols x nrows) on a 61 x 21 node mesh: (61-21+1)(21-6+1) and (61-11+1)(21-11+1)
    assert n_varying == (61 - 21 + 1) * (21 - 6 + 1)
    assert n_constant == (61 - 11 + 1) * (21 - 11 + 1)


# --------------------------------------------------------------------------- above sea level
def test_point_source_layer_may_start_above_sea_level():
    """Layer from 2 km above sea level (-2 km) to 6 km; an M 5 vertical 3.16 km square with
    its hypocentre at -1 km would poke above -2 km, so it slides down until its top is at
    -2 km. A site 2.5 km above sea level straight above: rrup = 0.5 km;
    a site 5 km above sea level 10 km east: the straight-line distance to the top edge."""
    src = point_source(upper_seismogenic_depth=-2.0, lower_seismogenic_depth=6.0,
                       hypo_depths=[(1.0, -1.0)])
    (block,) = list(src.iter_ruptures())
    side = np.sqrt(10.0)
    np.testing.assert_allclose(block.surface.corners[0, :, 2],
                               [-2.0, -2.0, -2.0 + side, -2.0 + side], atol=1e-9)
    assert block.surface.ztor[0] == pytest.approx(-2.0, abs=1e-9)
    np.testing.assert_allclose(block.hypo, [[0.0, 0.0, -1.0]])
    east = 10.0 / KM_PER_DEG
    d = block.surface.distances([0.0, east], [0.0, 0.0], [-2.5, -5.0], {"rrup", "rjb"})
    assert d["rrup"][0, 0] == pytest.approx(0.5, abs=1e-3)
    # independent: cartesian points on a sphere of radius R - depth
    r = geo.EARTH_RADIUS
    # the top edge is the chord between corners half a side either way along the great
    # circle (angle side / 2R): its midpoint, above (0, 0), lies at radius (R + 2) cos(angle)
    top = (r + 2.0) * np.cos(side / 2.0 / r) * np.array([1.0, 0.0, 0.0])
    site = (r + 5.0) * np.array([np.cos(np.radians(east)), np.sin(np.radians(east)), 0.0])
    assert d["rrup"][0, 1] == pytest.approx(np.linalg.norm(site - top), rel=1e-9)
    assert d["rjb"][0, 1] == pytest.approx(10.0, rel=1e-6)


def test_negative_depths_still_need_upper_above_lower():
    with pytest.raises(InputError, match="upper < lower"):
        point_source(upper_seismogenic_depth=-1.0, lower_seismogenic_depth=-3.0,
                     hypo_depths=[(1.0, -2.0)])
    with pytest.raises(InputError, match="outside the seismogenic layer"):
        point_source(upper_seismogenic_depth=-1.0, lower_seismogenic_depth=6.0,
                     hypo_depths=[(1.0, -1.5)])


def test_simple_faults_still_start_at_or_below_sea_level():
    trace = np.array([[0.0, 0.0], [0.2, 0.0]])
    with pytest.raises(InputError, match="0 <= upper < lower"):
        SimpleFaultSource("f", "f", "Active Shallow Crust", trace=trace, dip=90.0,
                          upper_seismogenic_depth=-1.0, lower_seismogenic_depth=10.0,
                          msr=ConstantAreaMSR(), rupture_aspect_ratio=1.0,
                          mfd=ArbitraryMFD([5.0], [1.0]), rake=0.0, rupture_mesh_spacing=1.0)


# --------------------------------------------------------------------------- fixedDipFrac
@pytest.mark.parametrize("frac", [0.0, 0.25, 0.5, 0.75, 1.0])
def test_hypocentre_at_a_fixed_fraction_of_the_width(frac):
    """An M 5 rupture (3.16 km square) dipping 60 degrees east (strike 0), hypocentre at
    10 km in a 0-30 km layer: its top edge is frac W sin(dip) above the hypocentre, and its
    centre is (1/2 - frac) W cos(dip) east of the hypocentre (down dip when positive)."""
    dip = 60.0
    src = point_source(nodal_planes=[(1.0, 0.0, dip, 90.0)], hypo_depths=[(1.0, 10.0, frac)])
    (block,) = list(src.iter_ruptures())
    side = np.sqrt(10.0)
    sin, cos = np.sin(np.radians(dip)), np.cos(np.radians(dip))
    top = 10.0 - frac * side * sin
    np.testing.assert_allclose(block.surface.corners[0, :, 2],
                               [top, top, top + side * sin, top + side * sin], atol=1e-9)
    centre_lon = block.surface.corners[0, :, 0].mean()
    # corners on spheres of radius R - depth: their mean longitude is the centre's
    assert centre_lon * KM_PER_DEG == pytest.approx((0.5 - frac) * side * cos, abs=1e-6)
    np.testing.assert_allclose(block.hypo, [[0.0, 0.0, 10.0]])


def test_fixed_fraction_rupture_still_moved_into_the_layer():
    """Hypocentre at 2 km, fraction 0.75, M 6 (10 x 10 km, dip 90): the top edge would be at
    2 - 7.5 km; it slides down to the top of the layer (0 km); a fraction 0.25 at 28 km
    would put the bottom at 35.5 km: it slides up to 30 km."""
    src = point_source(mfd=ArbitraryMFD([6.0], [1.0]),
                       hypo_depths=[(0.5, 2.0, 0.75), (0.5, 28.0, 0.25)])
    (block,) = list(src.iter_ruptures())
    depths = block.surface.corners[:, :, 2]
    np.testing.assert_allclose(depths[0], [0.0, 0.0, 10.0, 10.0], atol=1e-9)
    np.testing.assert_allclose(depths[1], [20.0, 20.0, 30.0, 30.0], atol=1e-9)
    np.testing.assert_allclose(block.rate, [0.5, 0.5])


@pytest.mark.parametrize("bad", [(1.0, 10.0, 1.5), (1.0, 10.0, -0.1), (1.0, 10.0, 0.5, 1.0)])
def test_bad_fixed_fractions_are_refused(bad):
    with pytest.raises(InputError, match="down-dip fraction in \\[0, 1\\]"):
        point_source(hypo_depths=[bad])


# --------------------------------------------------------------------------- shift_hypo
def test_shift_hypo_puts_the_hypocentre_at_the_rupture_mid_depth():
    """Layer 1-11 km, dip 60, hypocentres at 2 and 10 km: an M 6 rupture (10 x 10 km,
    8.66 km tall) is moved into the layer, so its centre lies at 1 + 4.33 and 11 - 4.33 km.
    With shift_hypo the hypocentre depth is that centre depth (longitude and latitude stay
    at the point); a small M 4 rupture fits and keeps its depth."""
    kwargs = dict(upper_seismogenic_depth=1.0, lower_seismogenic_depth=11.0,
                  mfd=ArbitraryMFD([4.0, 6.0], [1.0, 1.0]),
                  nodal_planes=[(1.0, 0.0, 60.0, 0.0)], hypo_depths=[(0.5, 2.0), (0.5, 10.0)])
    fixed = point_source(**kwargs)
    shifted = point_source(shift_hypo=True, **kwargs)
    (a,) = list(fixed.iter_ruptures())
    (b,) = list(shifted.iter_ruptures())
    half = 10.0 * np.sin(np.radians(60.0)) / 2.0
    np.testing.assert_allclose(a.hypo[:, 2], [2.0, 10.0, 2.0, 10.0])
    np.testing.assert_allclose(b.hypo[:, 2], [2.0, 10.0, 1.0 + half, 11.0 - half], atol=1e-9)
    np.testing.assert_allclose(b.hypo[:, :2], 0.0)
    np.testing.assert_allclose(b.surface.xyz, a.surface.xyz)  # the surfaces do not move
    np.testing.assert_allclose(b.surface.corners[:, :, 2].mean(axis=1), b.hypo[:, 2],
                               atol=1e-9)


@pytest.mark.parametrize("module, cls", [("area", "AreaSource"),
                                         ("multi_point", "MultiPointSource"),
                                         ("point", "PointSource"),
                                         ("simple_fault", "SimpleFaultSource")])
def test_aspect_ratio_hints_accept_a_magnitude_dependent_ratio(module, cls):
    import importlib
    import typing

    source_cls = getattr(importlib.import_module(f"toolkit.engine.hazard.sources.{module}"), cls)
    hint = typing.get_type_hints(source_cls.__init__)["rupture_aspect_ratio"]
    assert MagDependentAspectRatio in typing.get_args(hint)
