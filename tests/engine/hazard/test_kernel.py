"""The classical kernel and calculator on cases small enough to compute by hand."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from toolkit.engine.hazard.calculators.classical import (
    ClassicalCalculator,
    ClassicalInputs,
    RealizationInput,
    SourceModelInput,
)
from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.geo import geodetic_distance
from toolkit.engine.hazard.gsim.boore_2014 import BooreEtAl2014
from toolkit.engine.hazard.gsim.sadigh_1997 import SadighEtAl1997
from toolkit.engine.hazard.imt import PGA, SA
from toolkit.engine.hazard.kernel import HazardSpec, _all_within, build_contexts, compute_rates
from toolkit.engine.hazard.mfd import EvenlyDiscretizedMFD
from toolkit.engine.hazard.msr import PointMSR
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.engine.hazard.sources import PointSource

LEVELS = np.array([0.01, 0.05, 0.1, 0.2, 0.4])
RATE = 0.02
DEPTH = 8.0


def point_source(lon=0.0, lat=0.0, mags=(6.0,), rates=(RATE,)):
    mfd = EvenlyDiscretizedMFD(mags[0], 0.5, list(rates)) if len(mags) > 1 else \
        EvenlyDiscretizedMFD(mags[0], 0.1, list(rates))
    return PointSource(
        source_id="p", name="p", trt="Active Shallow Crust", lon=lon, lat=lat,
        upper_seismogenic_depth=0.0, lower_seismogenic_depth=20.0, msr=PointMSR(),
        rupture_aspect_ratio=1.0, mfd=mfd, nodal_planes=[(1.0, 0.0, 90.0, 0.0)],
        hypo_depths=[(1.0, DEPTH)],
    )


def chord(lon, lat, depth):
    """3-D distance from a point at ``depth`` below (0, 0) to the surface point (lon, lat) on
    the spherical Earth (R = 6371 km), the convention of planar-surface distances."""
    radius = 6371.0
    angle = geodetic_distance(0.0, 0.0, lon, lat) / radius
    inner = radius - depth
    return np.sqrt(radius**2 + inner**2 - 2 * radius * inner * np.cos(angle))


def rupture_distance(src, lon, lat, name="rrup"):
    """rrup (or rjb) of the source's point-like rupture from the surface geometry; within 10 m
    of the chord to the hypocentre (or the epicentral distance): the PointMSR rupture is a
    10 m square."""
    block = next(iter(src.iter_ruptures()))
    value = block.surface.distances(np.array([lon]), np.array([lat]), np.zeros(1),
                                    {name})[name][0, 0]
    approx = chord(lon, lat, DEPTH) if name == "rrup" else geodetic_distance(0, 0, lon, lat)
    assert abs(value - approx) < 0.01
    return value


def by_hand(gsim, mag, rrup, imt, truncation):
    ctx = Context(mag=np.array([mag]), rake=np.array([0.0]), rrup=np.array([rrup]),
                  rjb=np.array([rrup]), vs30=np.array([800.0]))
    mean, sig, _, _ = gsim.get_mean_and_stddevs(ctx, [imt])
    eps = (np.log(LEVELS) - mean[0, 0]) / sig[0, 0]
    if truncation is None:
        return norm.sf(eps)
    return np.clip((norm.cdf(truncation) - norm.cdf(eps)) /
                   (norm.cdf(truncation) - norm.cdf(-truncation)), 0, 1)


@pytest.mark.parametrize("truncation", [None, 2.0])
def test_one_point_rupture_one_site_equals_hand_computation(truncation):
    src = point_source()
    sites = SiteCollection([0.3], [0.0], vs30=[800.0])
    spec = HazardSpec({PGA(): LEVELS}, truncation, maximum_distance=300.0)
    rates = compute_rates(src.iter_ruptures(), sites, [SadighEtAl1997()], spec)
    rrup = rupture_distance(src, 0.3, 0.0)
    expected = RATE * by_hand(SadighEtAl1997(), 6.0, rrup, PGA(), truncation)
    assert rates.shape == (1, 1, len(LEVELS))
    assert np.allclose(rates[0, 0], expected, rtol=1e-6)


def test_rates_add_over_magnitudes_and_gsims_are_separate():
    src = point_source(mags=(5.5, 6.0, 6.5), rates=(0.03, 0.01, 0.003))
    sites = SiteCollection([0.2], [0.1], vs30=[800.0])
    spec = HazardSpec({SA(0.2): LEVELS}, 3.0, maximum_distance=300.0)
    gsims = [SadighEtAl1997(), BooreEtAl2014()]
    rates = compute_rates(src.iter_ruptures(), sites, gsims, spec)
    rrup = rupture_distance(src, 0.2, 0.1)
    for g, gsim in enumerate(gsims):
        expected = sum(rate * by_hand(gsim, mag, rrup, SA(0.2), 3.0)
                       for mag, rate in ((5.5, 0.03), (6.0, 0.01), (6.5, 0.003)))
        # BSSA14 uses rjb, the distance to the rupture's surface projection
        if isinstance(gsim, BooreEtAl2014):
            rjb = rupture_distance(src, 0.2, 0.1, "rjb")
            expected = sum(rate * by_hand(gsim, mag, rjb, SA(0.2), 3.0)
                           for mag, rate in ((5.5, 0.03), (6.0, 0.01), (6.5, 0.003)))
        assert np.allclose(rates[g, 0], expected, rtol=1e-5), gsim


def test_maximum_distance_drops_far_pairs():
    src = point_source()
    sites = SiteCollection([0.5, 3.0], [0.0, 0.0], vs30=[800.0, 800.0])  # ~56 km, ~334 km
    spec = HazardSpec({PGA(): LEVELS}, None, maximum_distance=100.0)
    rates = compute_rates(src.iter_ruptures(), sites, [SadighEtAl1997()], spec)
    assert np.all(rates[0, 0] > 0) and np.all(rates[0, 1] == 0)
    block = next(iter(src.iter_ruptures()))
    assert build_contexts(block, sites.subset(slice(1, 2)), {"rrup"}, 100.0) is None


def test_all_within_is_a_true_upper_bound():
    src = point_source(mags=(5.0, 6.0, 7.0), rates=(1, 1, 1))
    block = next(iter(src.iter_ruptures()))
    lons = np.linspace(-2, 2, 9)
    sites = SiteCollection(lons, np.zeros(9))
    rrup = block.surface.distances(sites.lons, sites.lats, sites.depths, {"rrup"})["rrup"]
    largest = rrup.max()
    assert _all_within(block, sites, largest * 1.05 + 5)
    assert not _all_within(block, sites, largest * 0.99)
    assert _all_within(block, sites, np.inf)


def test_calculator_combines_realizations_and_statistics():
    src = point_source()
    sites = SiteCollection([0.1, 0.4], [0.0, 0.0], vs30=[800.0, 800.0])
    imtls = {PGA(): LEVELS}
    sadigh, bssa = SadighEtAl1997(), BooreEtAl2014()
    inputs = ClassicalInputs(
        sites=sites,
        source_models=[SourceModelInput("b1", 1.0, {"Active Shallow Crust": [src]})],
        realizations=[
            RealizationInput(0, 0, {"Active Shallow Crust": sadigh}, 0.7, "A~A"),
            RealizationInput(1, 0, {"Active Shallow Crust": bssa}, 0.3, "A~B"),
        ],
        imtls=imtls, investigation_time=50.0, truncation_level=3.0,
        poes=[0.1], quantiles=[0.5],
    )

    class Sink:
        def save(self, result):
            self.result = result

    sink = Sink()
    ClassicalCalculator(inputs, sink).run()
    result = sink.result
    spec = HazardSpec(imtls, 3.0, 300.0)
    direct = [compute_rates(src.iter_ruptures(), sites, [g], spec)[0] for g in (sadigh, bssa)]
    poes = [1 - np.exp(-50.0 * r) for r in direct]
    assert np.allclose(result.curves_rlzs[:, 0], poes[0]) and np.allclose(
        result.curves_rlzs[:, 1], poes[1])
    assert np.allclose(result.curves_stats["mean"], 0.7 * poes[0] + 0.3 * poes[1])
    # with weights 0.7/0.3 the median is the realization holding the 0.5 cumulative weight
    median = result.curves_stats["quantile-0.5"]
    lower = np.minimum(poes[0], poes[1])
    upper = np.maximum(poes[0], poes[1])
    assert np.all((median >= lower - 1e-15) & (median <= upper + 1e-15))
    assert result.maps_rlzs.shape == (2, 2, 1, 1)
    assert set(result.maps_stats) == {"mean", "quantile-0.5"}


def test_contexts_carry_coordinates_only_when_a_gsim_asks():
    # regional GSIMs (bridged from hazardlib) need the site and hypocentre coordinates
    src = point_source(lon=0.1, lat=0.2)
    sites = SiteCollection([0.3, 0.5], [0.0, 0.4], vs30=[800.0, 800.0])
    block = next(iter(src.iter_ruptures()))
    ctx, rup, sid = build_contexts(block, sites, {"rrup", "lon", "lat", "hypo_lon",
                                                  "hypo_lat"}, 300.0)
    assert np.array_equal(ctx.lon, sites.lons[sid]) and np.array_equal(ctx.lat, sites.lats[sid])
    assert np.allclose(ctx.hypo_lon, 0.1) and np.allclose(ctx.hypo_lat, 0.2)
    plain, _, _ = build_contexts(block, sites, {"rrup"}, 300.0)
    assert not plain.has("lon") and not plain.has("hypo_lat")
