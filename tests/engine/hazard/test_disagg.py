"""Disaggregation kernel: bins, epsilon probabilities and hand-checkable ruptures."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.disagg import (
    DEGREES_PER_KM,
    build_bins,
    combine_poes,
    disagg_rates,
    epsilon_probabilities,
    lonlat_edges,
    marginal,
    rates_to_poes,
)
from toolkit.engine.hazard.gsim.sadigh_1997 import SadighEtAl1997
from toolkit.engine.hazard.imt import PGA
from toolkit.engine.hazard.kernel import HazardSpec, compute_rates
from toolkit.engine.hazard.mfd import EvenlyDiscretizedMFD
from toolkit.engine.hazard.msr import PointMSR
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.engine.hazard.sources import PointSource
from toolkit.errors import InputError

TRT = "Active Shallow Crust"


def point_source(mags=(6.0,), rates=(0.02,), lon=0.0, lat=0.0, depth=8.0):
    mfd = EvenlyDiscretizedMFD(mags[0], 0.5 if len(mags) > 1 else 0.1, list(rates))
    return PointSource(
        source_id="p", name="p", trt=TRT, lon=lon, lat=lat, upper_seismogenic_depth=0.0,
        lower_seismogenic_depth=20.0, msr=PointMSR(), rupture_aspect_ratio=1.0, mfd=mfd,
        nodal_planes=[(1.0, 0.0, 90.0, 0.0)], hypo_depths=[(1.0, depth)])


def bins_for(sites, truncation=3.0, n_eps=6, mag=(5.0, 7.0), **edges):
    return build_bins(mag, sites, [TRT], maximum_distance=100.0, mag_bin_width=0.5,
                      distance_bin_width=10.0, coordinate_bin_width=0.2,
                      num_epsilon_bins=n_eps, truncation_level=truncation, edges=edges or None)


def distances(src, site):
    block = next(iter(src.iter_ruptures()))
    d = block.surface.distances(site.lons, site.lats, site.depths, {"rrup", "rjb"})
    return d["rrup"][0, 0], d["rjb"][0, 0]


# ------------------------------------------------------------------------------- edges
def test_edges_follow_the_documented_rules():
    sites = SiteCollection([10.0, 10.0], [0.0, 60.0])
    b = build_bins((5.05, 6.5), sites, [TRT], maximum_distance=95.0, mag_bin_width=0.5,
                   distance_bin_width=20.0, coordinate_bin_width=0.5, num_epsilon_bins=4,
                   truncation_level=2.0)
    assert np.allclose(b.mag, [5.0, 5.5, 6.0, 6.5, 7.0])  # floor(min/w) .. floor(max/w) + 1
    assert np.allclose(b.dist, [0, 20, 40, 60, 80, 100])  # 0 .. ceil(maxdist / w)
    assert np.allclose(b.eps, [-2, -1, 0, 1, 2])
    half = 95.0 * DEGREES_PER_KM
    assert np.allclose(b.lat[0, [0, -1]], [-half, half])
    assert np.allclose(b.lon[1, [0, -1]], [10 - half / 0.5, 10 + half / 0.5])  # cos 60 = 0.5
    assert b.lat.shape[1] - 1 == int(2 * half / 0.5) == 3  # floor(2 span / width)
    assert b.lon.shape[1] - 1 == 5  # floor(2 x 1.71 / 0.5) = 6 at lat 60, capped at 5 dist bins
    assert b.shape == (4, 5, b.lon.shape[1] - 1, b.lat.shape[1] - 1, 4, 1)


def test_lonlat_edges_match_openquake_qa_exports():
    # OpenQuake QA disagg case_2, site (-3, -3), 80 km, width 0.1: 8 bins of 0.179864 deg
    lon, lat = lonlat_edges(-3.0, -3.0, 80.0, 0.1, max_bins=8)
    assert np.allclose(lat, [-3.719456, -3.539592, -3.359728, -3.179864, -3.0, -2.820136,
                             -2.640272, -2.460408, -2.280544])
    assert np.isclose(lon[0], -3.7204433425622865)
    # case_1: 100 km, width 1.5 -> one bin
    lon, lat = lonlat_edges(10.1, 40.1, 100.0, 1.5, max_bins=4)
    assert np.allclose(lat, [39.20068, 40.99932]) and len(lon) == 2


def test_explicit_edges_and_their_errors():
    sites = SiteCollection([0.0], [0.0])
    b = bins_for(sites, truncation=None, eps=[-5, -1, 0, 1, 2, 5], dist=[0, 20, 1000])
    assert np.allclose(b.eps, [-5, -1, 0, 1, 2, 5]) and np.allclose(b.dist, [0, 20, 1000])
    with pytest.raises(InputError, match="truncation_level"):
        bins_for(sites, truncation=None)
    with pytest.raises(InputError, match="strictly increasing"):
        bins_for(sites, mag=(5.0, 6.0), eps=[0, 0, 1])
    with pytest.raises(InputError, match="unknown keys"):
        bins_for(sites, depth=[0, 1])


# --------------------------------------------------------------------------- epsilon
@pytest.mark.parametrize("truncation", [None, 2.0, 3.0])
def test_epsilon_bins_sum_to_the_exceedance_probability(truncation):
    eps_x = np.linspace(-4, 4, 33)
    edges = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    p = epsilon_probabilities(eps_x, edges, truncation)
    if truncation is None:
        expected = norm.sf(eps_x)
    else:
        t = truncation
        expected = np.clip((norm.cdf(t) - norm.cdf(eps_x)) / (norm.cdf(t) - norm.cdf(-t)), 0, 1)
    assert p.shape == (33, 4)
    assert np.allclose(p.sum(axis=-1), expected, atol=1e-12)
    assert np.all(p >= 0)


def test_epsilon_bin_masses_by_hand():
    # eps_x = 0.5, untruncated: bin (0, 1] holds Phi(1) - Phi(0.5), bin (1, inf) 1 - Phi(1)
    p = epsilon_probabilities(np.array([0.5]), np.array([-1.0, 0.0, 1.0, 2.0]), None)[0]
    assert p[0] == 0.0
    assert np.isclose(p[1], norm.cdf(1.0) - norm.cdf(0.5))
    assert np.isclose(p[2], norm.sf(1.0))  # last bin open


def test_epsilon_star_puts_everything_in_the_bin_of_the_level():
    edges = np.array([-10.0, -1.0, 0.0, 1.0, 2.0, 10.0])
    p = epsilon_probabilities(np.array([0.5, -3.0, 12.0]), edges, None, epsilon_star=True)
    assert np.allclose(p[0], [0, 0, norm.sf(0.5), 0, 0])
    assert np.allclose(p[1], [norm.sf(-3.0), 0, 0, 0, 0])
    assert np.allclose(p[2], [0, 0, 0, 0, norm.sf(12.0)])  # beyond the edges: outer bin


# ------------------------------------------------------------------- single rupture
@pytest.mark.parametrize("truncation", [None, 3.0])
def test_single_rupture_all_mass_in_one_bin_by_hand(truncation):
    src = point_source()
    sites = SiteCollection([0.08], [0.0], vs30=[800.0])
    rrup, rjb = distances(src, sites)
    assert int(rjb // 10) == 0 and int(rrup // 10) == 1  # 8 km deep: rrup is one bin further
    bins = bins_for(sites, truncation=3.0)
    levels = {PGA(): np.array([[0.05, 0.2]])}
    rates, moments = disagg_rates(src.iter_ruptures(), sites, [SadighEtAl1997()], levels, bins,
                                  truncation, 100.0)
    assert rates.shape == (1, 1, 1, 2) + bins.shape
    ctx = Context(mag=np.array([6.0]), rake=np.array([0.0]), rrup=np.array([rrup]),
                  vs30=np.array([800.0]), vs30measured=np.array([True]))
    mean, sig, _, _ = SadighEtAl1997().get_mean_and_stddevs(ctx, [PGA()])
    eps_x = (np.log([0.05, 0.2]) - mean[0, 0]) / sig[0, 0]
    m_bin = np.searchsorted(bins.mag, 6.0, side="left") - 1  # 6.0 is in (5.5, 6.0]
    d_bin = int(rrup // 10.0)  # the binned distance is rrup (as OpenQuake 3.26)
    for p in range(2):
        r = rates[0, 0, 0, p]
        nonzero = np.argwhere(r.sum(axis=-2)[..., 0] > 0)  # (mag, dist, lon, lat)
        assert len(nonzero) == 1
        assert tuple(nonzero[0][:2]) == (m_bin, d_bin)
        expected = 0.02 * epsilon_probabilities(np.array([eps_x[p]]), bins.eps, truncation)[0]
        got = r[m_bin, d_bin].reshape(-1, len(bins.eps) - 1, 1).sum(axis=0)[:, 0]
        assert np.allclose(got, expected, rtol=1e-10, atol=0)
        assert np.isclose(moments[0, 0, 0, p, 1] / moments[0, 0, 0, p, 0], 6.0)
        assert np.isclose(moments[0, 0, 0, p, 2] / moments[0, 0, 0, p, 0], rrup)
        assert np.isclose(moments[0, 0, 0, p, 3] / moments[0, 0, 0, p, 0], eps_x[p])
    # the rupture's hypocentre lon/lat bin
    lon_bin = int((0.0 - bins.lon[0, 0]) // (bins.lon[0, 1] - bins.lon[0, 0]))
    assert rates[0, 0, 0, 0, m_bin, d_bin, lon_bin].sum() > 0


def test_bins_sum_to_the_classical_hazard():
    src = point_source(mags=(5.0, 5.5, 6.0, 6.5), rates=(0.05, 0.02, 0.008, 0.003))
    sites = SiteCollection([0.2, 0.6], [0.1, -0.3], vs30=[800.0, 800.0])
    levels = np.array([0.01, 0.1, 0.3])
    for truncation, star in ((3.0, False), (None, True), (2.0, True)):
        bins = bins_for(sites, truncation=3.0)
        rates, _ = disagg_rates(src.iter_ruptures(), sites, [SadighEtAl1997()],
                                {PGA(): np.tile(levels, (2, 1))}, bins, truncation, 100.0,
                                epsilon_star=star)
        spec = HazardSpec({PGA(): levels}, truncation, maximum_distance=100.0)
        classical = compute_rates(src.iter_ruptures(), sites, [SadighEtAl1997()], spec)
        summed = rates.reshape(1, 2, 1, 3, -1).sum(axis=-1)[:, :, 0]
        assert np.allclose(summed, classical, rtol=1e-10)
        poes = rates_to_poes(rates, 50.0)
        total = combine_poes(poes.reshape(1, 2, 1, 3, -1), -1)[:, :, 0]
        assert np.allclose(total, rates_to_poes(classical, 50.0), rtol=1e-9)


@pytest.mark.parametrize("truncation", [3.0, 1.0, None])
def test_mixture_model_bins_keep_the_tails_beyond_the_truncation(truncation):
    # PEER Set 2 Case 5b's mixture (factors 0.8, 1.2): levels beyond t sigma are still
    # exceeded by the wider component, and its bins must carry that hazard
    from toolkit.engine.hazard.gsim.base import get_gsim
    from toolkit.engine.hazard.kernel import build_contexts

    gsim = get_gsim("SadighEtAl1997", mixture_model={"factors": [0.8, 1.2],
                                                     "weights": [0.5, 0.5]})
    src = point_source(mags=(6.0,), rates=(0.01,))
    sites = SiteCollection([0.2], [0.1], vs30=[800.0])
    ctx, _, _ = build_contexts(next(iter(src.iter_ruptures())), sites, set(gsim.requires),
                               100.0)
    mu, sig = (a[0, 0] for a in gsim.get_mean_and_stddevs(ctx, [PGA()])[:2])
    t = truncation or 3.0
    levels = np.exp(mu + sig * t * np.array([0.5, 1.05, 1.1, 1.15]))  # 3 beyond t sigma
    for star in (False, True):
        bins = bins_for(sites, truncation=t)
        rates, _ = disagg_rates(src.iter_ruptures(), sites, [gsim], {PGA(): levels[None, :]},
                                bins, truncation, 100.0, epsilon_star=star)
        classical = compute_rates(src.iter_ruptures(), sites, [gsim],
                                  HazardSpec({PGA(): levels}, truncation, maximum_distance=100.0))
        assert classical[0, 0, -1] > 0
        summed = rates.reshape(1, 1, 1, len(levels), -1).sum(axis=-1)[0, 0, 0]
        np.testing.assert_allclose(summed, classical[0, 0], rtol=1e-10)
    # by hand, one level and one bin: the 1.2 component alone reaches 1.1 t sigma, in the
    # top epsilon bin
    by_bin = rates.reshape(len(levels), -1)
    assert np.count_nonzero(by_bin[2]) == 1


def test_explicit_edges_bin_by_their_values_and_leave_out_what_is_outside():
    site = SiteCollection(np.array([0.0]), np.array([0.0]), vs30=np.array([760.0]))
    levels = {PGA(): np.array([[0.01]])}
    # uneven longitude edges: a hypocentre at lon 0.3 is in [0.05, 1.0], the third bin
    src = point_source(lon=0.3, lat=0.0)
    bins = bins_for(site, lon=[-1.0, 0.0, 0.05, 1.0], lat=[-1.0, 1.0])
    rates, _ = disagg_rates(src.iter_ruptures(), site, [SadighEtAl1997()], levels, bins, 3.0,
                            100.0)
    per_lon = rates[0, 0, 0, 0].sum(axis=(0, 1, 3, 4, 5))
    assert per_lon[0] == per_lon[1] == 0 and per_lon[2] > 0
    # magnitudes and distances beyond explicit edges are in no bin (as OpenQuake): M 6.7 with
    # magnitude edges 5-6-6.5, and a 40 km rupture with distance edges 0-5-20
    two = point_source(mags=(6.0, 6.5), rates=(0.02, 0.01), lon=0.0, lat=0.0)
    full = disagg_rates(two.iter_ruptures(), site, [SadighEtAl1997()], levels,
                        bins_for(site), 3.0, 100.0)[0].sum()
    cut = disagg_rates(two.iter_ruptures(), site, [SadighEtAl1997()], levels,
                       build_bins((5.0, 7.0), site, [TRT], maximum_distance=100.0,
                                  mag_bin_width=0.5, distance_bin_width=10.0,
                                  coordinate_bin_width=0.2, num_epsilon_bins=6,
                                  truncation_level=3.0, edges={"mag": [5.0, 6.0, 6.25]}),
                       3.0, 100.0)[0]
    alone = disagg_rates(point_source(mags=(6.0,), rates=(0.02,)).iter_ruptures(), site,
                         [SadighEtAl1997()], levels, bins_for(site), 3.0, 100.0)[0].sum()
    np.testing.assert_allclose(cut.sum(), alone, rtol=1e-12)  # the M 6.5 ruptures are out
    assert cut.sum() < full
    far = point_source(lon=0.36, lat=0.0)  # ~40 km
    out = disagg_rates(far.iter_ruptures(), site, [SadighEtAl1997()], levels,
                       bins_for(site, dist=[0.0, 5.0, 20.0]), 3.0, 100.0)[0]
    assert out.sum() == 0


def test_computed_edges_keep_what_lies_past_them():
    # a hypocentre ~120 km away, past the +-100 km lon/lat span and the distance edges that
    # build_bins computed, counted with a 200 km integration distance: it goes to the outer
    # bins, so the bins still sum to the hazard (explicit edges would leave it out)
    site = SiteCollection(np.array([0.0]), np.array([0.0]), vs30=np.array([760.0]))
    src = point_source(lon=1.08, lat=0.0)
    levels = np.array([0.001, 0.01])
    rates, _ = disagg_rates(src.iter_ruptures(), site, [SadighEtAl1997()],
                            {PGA(): levels[None, :]}, bins_for(site), 3.0, 200.0)
    classical = compute_rates(src.iter_ruptures(), site, [SadighEtAl1997()],
                              HazardSpec({PGA(): levels}, 3.0, maximum_distance=200.0))
    assert classical[0, 0, 0] > 0
    np.testing.assert_allclose(rates.reshape(1, 1, 1, 2, -1).sum(axis=-1)[0, 0, 0],
                               classical[0, 0], rtol=1e-10)


def test_marginal_orders_axes_and_combines_the_rest():
    rng = np.random.default_rng(1)
    poes = rng.uniform(0, 0.01, size=(2, 3, 4, 1, 1, 5, 2))  # (K, mag, dist, lon, lat, eps, trt)
    md = marginal(poes, ("mag", "dist"))
    assert md.shape == (2, 3, 4)
    assert np.allclose(md, 1 - np.prod(1 - poes, axis=(3, 4, 5, 6)))
    tm = marginal(poes, ("trt", "mag"))
    assert tm.shape == (2, 2, 3)
    assert np.allclose(tm, np.moveaxis(1 - np.prod(1 - poes, axis=(2, 3, 4, 5)), -1, 1))
