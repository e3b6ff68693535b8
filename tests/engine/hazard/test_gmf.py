"""Ground-motion field sampling: statistics from first principles, truncation, inter-event
sharing, JB2009 spatial correlation, the order of the random draws, errors and warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.correlation import JB2009Correlation
from toolkit.engine.hazard.geo import geodetic_distance
from toolkit.engine.hazard.gmf import GmfSample, GmfWarning, draw_epsilons, sample_gmfs
from toolkit.engine.hazard.gsim.base import get_gsim
from toolkit.engine.hazard.imt import PGA, PGV, SA
from toolkit.errors import InputError

ALPHA = 0.001  # family-wise error rate of each statistical check (Bonferroni)
IMTS = [PGA(), SA(0.2), SA(1.0)]
KM_PER_DEGREE = 6371.0 * np.pi / 180.0


def _ctx_ba08(n_sites=4):
    return Context(
        mag=np.full(n_sites, 6.5),
        rake=np.zeros(n_sites),
        rjb=np.linspace(1.0, 80.0, n_sites),
        vs30=np.linspace(300.0, 1000.0, n_sites),
    )


def _ctx_sadigh(n_sites=4):
    return Context(
        mag=np.full(n_sites, 6.5),
        rake=np.zeros(n_sites),
        rrup=np.linspace(2.0, 80.0, n_sites),
        vs30=np.array([400.0, 800.0, 400.0, 800.0])[:n_sites],
    )


BA08 = get_gsim("BooreAtkinson2008")
SADIGH = get_gsim("SadighEtAl1997")
SADIGH_IMTS = [PGA(), SA(0.2), SA(1.0)]


def _sample_total_only(*args, **kwargs) -> GmfSample:
    with pytest.warns(GmfWarning, match=r"SadighEtAl1997.*has only total standard deviation"):
        return sample_gmfs(*args, **kwargs)


def _z(k: int) -> float:
    """Two-sided critical value of the standard normal for k simultaneous checks."""
    return float(stats.norm.ppf(1.0 - ALPHA / (2.0 * k)))


def _truncnorm_moments(t: float) -> tuple[float, float]:
    """E[U^2], E[U^4] of the standard normal truncated to [-t, t] (integration by parts:
    m_k = (k - 1) m_{k-2} - 2 t^(k-1) phi(t) / (2 Phi(t) - 1))."""
    z = 2.0 * stats.norm.cdf(t) - 1.0
    pdf = stats.norm.pdf(t)
    m2 = 1.0 - 2.0 * t * pdf / z
    m4 = 3.0 * m2 - 2.0 * t**3 * pdf / z
    return m2, m4


# ---------------------------------------------------------------- mean and standard deviation
@pytest.mark.parametrize("n_events", [200, 2000, 20000])
@pytest.mark.parametrize("which", ["BooreAtkinson2008", "SadighEtAl1997"])
def test_sample_mean_and_std_converge_to_the_gsim(which, n_events):
    if which == "BooreAtkinson2008":
        ctx, gsim, imts = _ctx_ba08(), BA08, IMTS
        sample = sample_gmfs(ctx, gsim, imts, n_events, np.random.default_rng(11), None)
        _, _, tau, phi = gsim.get_mean_and_stddevs(ctx, imts)
        sigma = np.sqrt(tau**2 + phi**2)  # what is sampled: tau * eta + phi * eps
    else:
        ctx, gsim, imts = _ctx_sadigh(), SADIGH, SADIGH_IMTS
        sample = _sample_total_only(ctx, gsim, imts, n_events, np.random.default_rng(11), None)
        _, sigma, _, _ = gsim.get_mean_and_stddevs(ctx, imts)
    mean = gsim.get_mean_and_stddevs(ctx, imts)[0]
    log = np.log(sample.gmv).transpose(2, 1, 0)  # (n_imts, n_sites, n_events)
    k = log.shape[0] * log.shape[1]  # simultaneous checks per statistic
    err = log.mean(axis=2) - mean
    assert (np.abs(err) <= _z(k) * sigma / np.sqrt(n_events)).all(), err
    # (n - 1) s^2 / sigma^2 follows chi-square with n - 1 degrees of freedom
    ratio = (n_events - 1) * log.var(axis=2, ddof=1) / sigma**2
    low = stats.chi2.ppf(ALPHA / (2 * k), n_events - 1)
    high = stats.chi2.ppf(1 - ALPHA / (2 * k), n_events - 1)
    assert ((ratio >= low) & (ratio <= high)).all(), ratio / (n_events - 1)


def test_sampling_error_shrinks_with_the_number_of_events():
    ctx = _ctx_ba08()
    mean, _, tau, phi = BA08.get_mean_and_stddevs(ctx, IMTS)
    sigma = np.sqrt(tau**2 + phi**2)
    errors = []
    for n_events in (200, 2000, 20000):
        sample = sample_gmfs(ctx, BA08, IMTS, n_events, np.random.default_rng(5), None)
        log = np.log(sample.gmv).transpose(2, 1, 0)
        errors.append(
            (
                np.abs(log.mean(axis=2) - mean).max(),
                np.abs(log.std(axis=2, ddof=1) / sigma - 1.0).max(),
            )
        )
    mean_errors, std_errors = zip(*errors, strict=True)
    assert mean_errors[0] > mean_errors[1] > mean_errors[2]
    assert std_errors[0] > std_errors[1] > std_errors[2]
    assert mean_errors[2] < 0.02 and std_errors[2] < 0.02


def test_outputs_shapes_mean_and_inter_event_sigma():
    ctx = _ctx_ba08()
    sample = sample_gmfs(ctx, BA08, IMTS, 7, np.random.default_rng(0), 3.0)
    mean, _, tau, _ = BA08.get_mean_and_stddevs(ctx, IMTS)
    assert sample.gmv.shape == (7, 4, 3) and sample.gmv.dtype == np.float64
    assert (sample.gmv > 0).all()
    assert np.array_equal(sample.mean, mean)
    assert np.array_equal(sample.sig_inter, tau[:, 0])
    assert sample.sig_inter[0] == 0.26  # BA08 PGA tau (specified fault type), as OpenQuake
    assert sample.eps_inter.shape == (7, 3)
    total = _sample_total_only(_ctx_sadigh(), SADIGH, SADIGH_IMTS, 7,
                               np.random.default_rng(0), 3.0)
    assert np.isnan(total.sig_inter).all() and total.sig_inter.shape == (3,)
    assert total.eps_inter.shape == (7, 3) and np.isfinite(total.eps_inter).all()


# ---------------------------------------------------------------- order of the random draws
def test_draw_order_and_formula_untruncated():
    ctx = _ctx_ba08()
    n_events = 5
    sample = sample_gmfs(ctx, BA08, IMTS, n_events, np.random.default_rng(42), None)
    mean, _, tau, phi = BA08.get_mean_and_stddevs(ctx, IMTS)
    rng = np.random.default_rng(42)
    eta = rng.standard_normal((3, n_events))
    eps = rng.standard_normal((3, 4, n_events))
    expected = np.exp(mean[:, :, None] + tau[:, :, None] * eta[:, None, :] + phi[:, :, None] * eps)
    assert np.allclose(sample.gmv, expected.transpose(2, 1, 0), rtol=1e-13, atol=0)
    assert np.array_equal(sample.eps_inter, eta.T)


def test_draw_order_and_formula_truncated_total_only():
    ctx = _ctx_sadigh()
    n_events, t = 6, 2.5
    sample = _sample_total_only(ctx, SADIGH, SADIGH_IMTS, n_events, np.random.default_rng(3), t)
    mean, sig, _, _ = SADIGH.get_mean_and_stddevs(ctx, SADIGH_IMTS)
    rng = np.random.default_rng(3)
    law = stats.truncnorm(-t, t)
    eta = law.ppf(rng.random((3, n_events)))
    eps = law.ppf(rng.random((3, 4, n_events)))
    expected = np.exp(mean[:, :, None] + sig[:, :, None] * eps)
    assert np.allclose(sample.gmv, expected.transpose(2, 1, 0), rtol=1e-12, atol=0)
    assert np.allclose(sample.eps_inter, eta.T, rtol=0, atol=1e-12)


def test_draw_order_and_formula_with_correlation():
    n_sites, n_events = 4, 3
    ctx = _ctx_ba08(n_sites)
    lons = np.array([0.0, 0.05, 0.1, 0.3])
    lats = np.zeros(n_sites)
    model = JB2009Correlation(vs30_clustering=True)
    sample = sample_gmfs(ctx, BA08, IMTS, n_events, np.random.default_rng(8), None, model,
                         lons, lats)
    mean, _, tau, phi = BA08.get_mean_and_stddevs(ctx, IMTS)
    rng = np.random.default_rng(8)
    eta = rng.standard_normal((3, n_events))
    z = rng.standard_normal((3, n_sites, n_events))
    h = np.abs(lons[:, None] - lons[None, :]) * KM_PER_DEGREE  # on the equator
    for m, b in enumerate([40.7, 40.7 - 15.0 * 0.2, 25.7]):
        chol = np.linalg.cholesky(np.exp(-3.0 * h / b))
        log = mean[m][:, None] + tau[m][:, None] * eta[m] + phi[m][:, None] * (chol @ z[m])
        assert np.allclose(sample.gmv[:, :, m], np.exp(log).T, rtol=1e-12, atol=0)


def test_reproducible_with_a_seed_and_different_with_another():
    ctx = _ctx_ba08()
    lons, lats = np.array([0.0, 0.1, 0.2, 0.3]), np.zeros(4)
    model = JB2009Correlation(False)
    for truncation, corr in [(None, None), (3.0, None), (3.0, model), (None, model)]:
        runs = [
            sample_gmfs(ctx, BA08, IMTS, 10, np.random.default_rng(seed), truncation, corr,
                        lons, lats)
            for seed in (1, 1, 2)
        ]
        assert np.array_equal(runs[0].gmv, runs[1].gmv)
        assert np.array_equal(runs[0].eps_inter, runs[1].eps_inter)
        assert not np.isin(runs[0].gmv, runs[2].gmv).any()
        assert not np.isin(runs[0].eps_inter, runs[2].eps_inter).any()


def test_infinite_truncation_is_no_truncation():
    ctx = _ctx_ba08()
    a = sample_gmfs(ctx, BA08, IMTS, 5, np.random.default_rng(1), None)
    b = sample_gmfs(ctx, BA08, IMTS, 5, np.random.default_rng(1), float("inf"))
    assert np.array_equal(a.gmv, b.gmv)


# ---------------------------------------------------------------- truncation
def test_truncation_level_zero_gives_the_median_without_drawing():
    ctx = _ctx_ba08()
    rng = np.random.default_rng(9)
    before = rng.bit_generator.state
    model = JB2009Correlation(True)
    sample = sample_gmfs(ctx, BA08, IMTS, 4, rng, 0.0, model, np.zeros(4), np.arange(4.0))
    assert rng.bit_generator.state == before
    mean = BA08.get_mean_and_stddevs(ctx, IMTS)[0]
    assert np.array_equal(sample.gmv, np.broadcast_to(np.exp(mean).T, (4, 4, 3)))
    assert np.array_equal(sample.eps_inter, np.zeros((4, 3)))
    total = _sample_total_only(_ctx_sadigh(), SADIGH, SADIGH_IMTS, 2, rng, 0)
    mean = SADIGH.get_mean_and_stddevs(_ctx_sadigh(), SADIGH_IMTS)[0]
    assert np.array_equal(total.gmv, np.broadcast_to(np.exp(mean).T, (2, 4, 3)))


def test_truncated_moments_formula_matches_scipy():
    for t in (0.5, 1.0, 2.0, 3.0):
        m2, m4 = _truncnorm_moments(t)
        law = stats.truncnorm(-t, t)
        assert m2 == pytest.approx(law.var(), rel=1e-12)
        assert m4 == pytest.approx(law.moment(4), rel=1e-9)


@pytest.mark.parametrize("t", [1.0, 2.0, 3.0])
def test_truncated_epsilons_are_bounded_with_the_truncated_variance(t):
    n_events = 20000
    ctx = _ctx_ba08()
    sample = sample_gmfs(ctx, BA08, IMTS, n_events, np.random.default_rng(21), t)
    mean, _, tau, phi = BA08.get_mean_and_stddevs(ctx, IMTS)
    eta = sample.eps_inter.T  # (n_imts, n_events)
    log = np.log(sample.gmv).transpose(2, 1, 0)
    eps = (log - mean[:, :, None] - tau[:, :, None] * eta[:, None, :]) / phi[:, :, None]
    assert np.abs(eta).max() <= t
    assert np.abs(eps).max() <= t + 1e-9  # ln/exp round trip
    assert np.abs(eps).max() > t - 0.01 and np.abs(eta).max() > t - 0.1  # the tails are used
    m2, m4 = _truncnorm_moments(t)
    # sample second moment (the mean is 0) of 3 * 20000 inter and 12 * 20000 intra epsilons;
    # its standard error is sqrt((m4 - m2^2) / n)
    samples = [eta[m] for m in range(3)] + [eps[m, i] for m in range(3) for i in range(4)]
    z = _z(2 * len(samples))
    for values in samples:
        assert abs(values.mean()) <= z * np.sqrt(m2 / n_events)
        assert abs(np.mean(values**2) - m2) <= z * np.sqrt((m4 - m2**2) / n_events)


def test_truncated_total_only_epsilons_are_bounded():
    t = 1.5
    ctx = _ctx_sadigh()
    sample = _sample_total_only(ctx, SADIGH, SADIGH_IMTS, 5000, np.random.default_rng(2), t)
    mean, sig, _, _ = SADIGH.get_mean_and_stddevs(ctx, SADIGH_IMTS)
    eps = (np.log(sample.gmv).transpose(2, 1, 0) - mean[:, :, None]) / sig[:, :, None]
    assert np.abs(eps).max() <= t + 1e-9
    m2, m4 = _truncnorm_moments(t)
    second = (eps**2).mean(axis=2)
    assert (np.abs(second - m2) <= _z(12) * np.sqrt((m4 - m2**2) / 5000)).all()


def test_draw_epsilons_extreme_truncation():
    eps = draw_epsilons(np.random.default_rng(0), (100000,), 1e-3)
    assert np.abs(eps).max() <= 1e-3 and eps.std() > 0.5e-3
    eps = draw_epsilons(np.random.default_rng(0), (100000,), 8.0)
    assert np.isfinite(eps).all()


# ---------------------------------------------------------------- inter-event sharing
def test_inter_event_epsilon_is_shared_by_all_sites():
    n_events = 20000
    ctx = _ctx_ba08()
    sample = sample_gmfs(ctx, BA08, IMTS, n_events, np.random.default_rng(77), None)
    mean, _, tau, phi = BA08.get_mean_and_stddevs(ctx, IMTS)
    resid = np.log(sample.gmv).transpose(2, 1, 0) - mean[:, :, None]  # (M, N, E)
    eta = sample.eps_inter.T
    se = 1.0 / np.sqrt(n_events - 3)  # Fisher z standard error
    pairs = [(m, i, j) for m in range(3) for i in range(4) for j in range(i + 1, 4)]
    z = _z(len(pairs) + 2 * 12)
    for m, i, j in pairs:
        # without spatial correlation, sites correlate through the shared eta only
        expected = tau[m, i] * tau[m, j] / np.sqrt(
            (tau[m, i] ** 2 + phi[m, i] ** 2) * (tau[m, j] ** 2 + phi[m, j] ** 2)
        )
        observed = np.corrcoef(resid[m, i], resid[m, j])[0, 1]
        assert abs(np.arctanh(observed) - np.arctanh(expected)) <= z * se, (m, i, j)
    for m in range(3):
        for i in range(4):
            # residual vs the returned eta: correlation tau / sigma; what is left is independent
            expected = tau[m, i] / np.hypot(tau[m, i], phi[m, i])
            observed = np.corrcoef(resid[m, i], eta[m])[0, 1]
            assert abs(np.arctanh(observed) - np.arctanh(expected)) <= z * se
            left = resid[m, i] - tau[m, i] * eta[m]
            assert abs(np.arctanh(np.corrcoef(left, eta[m])[0, 1])) <= z * se


def test_imts_are_independent():
    sample = sample_gmfs(_ctx_ba08(), BA08, IMTS, 20000, np.random.default_rng(4), None)
    eta = sample.eps_inter.T
    se = 1.0 / np.sqrt(20000 - 3)
    for a, b in [(0, 1), (0, 2), (1, 2)]:
        assert abs(np.arctanh(np.corrcoef(eta[a], eta[b])[0, 1])) <= _z(3) * se


# ---------------------------------------------------------------- spatial correlation
@pytest.mark.parametrize(
    ("clustered", "imt"), [(False, PGA()), (True, PGA()), (True, SA(0.2)), (False, SA(1.0))]
)
def test_intra_event_residuals_follow_jb2009(clustered, imt):
    separations = np.array([0.0, 5.0, 10.0, 20.0, 50.0])  # km from the first site
    lons = np.concatenate([[0.0], separations / KM_PER_DEGREE])  # two sites at 0 km
    lats = np.zeros(len(lons))
    n_sites, n_events = len(lons), 5000
    ctx = _ctx_ba08(n_sites)
    ctx.vs30 = np.full(n_sites, 400.0)
    model = JB2009Correlation(clustered)
    sample = sample_gmfs(ctx, BA08, [imt], n_events, np.random.default_rng(123), None, model,
                         lons, lats)
    mean, _, tau, phi = BA08.get_mean_and_stddevs(ctx, [imt])
    log = np.log(sample.gmv[:, :, 0]).T  # (n_sites, n_events)
    intra = (log - mean[0][:, None] - tau[0][:, None] * sample.eps_inter[:, 0]) / phi[0][:, None]
    # co-located sites: identical intra-event residuals (the limit h -> 0)
    assert np.allclose(intra[1], intra[0], rtol=0, atol=1e-9)
    h = geodetic_distance(lons[0], lats[0], lons[2:], lats[2:])
    assert np.allclose(h, separations[1:], rtol=1e-12)
    expected = np.exp(-3.0 * h / model.range_km(imt))
    z = _z(len(h) + 2)
    se = 1.0 / np.sqrt(n_events - 3)
    for k, rho in enumerate(expected):
        observed = np.corrcoef(intra[0], intra[2 + k])[0, 1]
        assert abs(np.arctanh(observed) - np.arctanh(rho)) <= z * se, (h[k], observed, rho)
    # standard normal marginals (chi-square on the variance, z on the mean)
    var = intra[[0, 2, 5]].var(axis=1, ddof=1) * (n_events - 1)
    assert ((var >= stats.chi2.ppf(ALPHA / 6, n_events - 1))
            & (var <= stats.chi2.ppf(1 - ALPHA / 6, n_events - 1))).all()
    assert (np.abs(intra.mean(axis=1)) <= _z(6) / np.sqrt(n_events)).all()


def test_truncation_with_correlation_truncates_the_independent_draws():
    lons = np.array([0.0, 0.01, 0.02])
    ctx = _ctx_ba08(3)
    model = JB2009Correlation(True)
    t = 1.0
    sample = sample_gmfs(ctx, BA08, [PGA()], 2000, np.random.default_rng(6), t, model, lons,
                         np.zeros(3))
    mean, _, tau, phi = BA08.get_mean_and_stddevs(ctx, [PGA()])
    log = np.log(sample.gmv[:, :, 0]).T
    intra = (log - mean[0][:, None] - tau[0][:, None] * sample.eps_inter[:, 0]) / phi[0][:, None]
    chol = model.cholesky(lons, np.zeros(3), PGA())
    z = np.linalg.solve(chol, intra)
    assert np.abs(z).max() <= t + 1e-9 and np.abs(z).max() > t - 0.01
    assert np.abs(intra).max() > t  # the correlated epsilons are not bounded by t


# ---------------------------------------------------------------- edge cases and errors
def test_zero_events():
    ctx = _ctx_ba08()
    for corr in (None, JB2009Correlation(False)):
        sample = sample_gmfs(ctx, BA08, IMTS, 0, np.random.default_rng(0), 2.0, corr,
                             np.arange(4.0), np.zeros(4))
        assert sample.gmv.shape == (0, 4, 3)
        assert sample.eps_inter.shape == (0, 3)
        assert sample.mean.shape == (3, 4)


def test_negative_or_non_integer_events_and_bad_truncation():
    ctx = _ctx_ba08()
    rng = np.random.default_rng(0)
    with pytest.raises(InputError, match=r"number of events must be zero or positive, got -1"):
        sample_gmfs(ctx, BA08, IMTS, -1, rng, None)
    with pytest.raises(InputError, match=r"number of events must be an integer"):
        sample_gmfs(ctx, BA08, IMTS, 2.5, rng, None)
    with pytest.raises(InputError, match=r"truncation_level must be zero, positive or absent"):
        sample_gmfs(ctx, BA08, IMTS, 3, rng, -1.0)


def test_total_only_gsim_with_correlation_is_an_error():
    with pytest.raises(InputError, match=r"SadighEtAl1997.*only a total standard deviation.*"
                                         r"JB2009Correlation\(vs30_clustering=True\)"):
        sample_gmfs(_ctx_sadigh(), SADIGH, [PGA()], 3, np.random.default_rng(0), None,
                    JB2009Correlation(True), np.arange(4.0), np.zeros(4))


def test_correlation_needs_matching_coordinates():
    ctx, model, rng = _ctx_ba08(), JB2009Correlation(True), np.random.default_rng(0)
    with pytest.raises(InputError, match=r"needs the site coordinates"):
        sample_gmfs(ctx, BA08, IMTS, 3, rng, None, model)
    with pytest.raises(InputError, match=r"do not match the 4 sites"):
        sample_gmfs(ctx, BA08, IMTS, 3, rng, None, model, np.zeros(3), np.zeros(3))


def test_correlation_with_pgv_is_an_error_naming_the_imt():
    with pytest.raises(InputError, match=r"not for IMT PGV"):
        sample_gmfs(_ctx_ba08(), BA08, [PGV()], 3, np.random.default_rng(0), None,
                    JB2009Correlation(True), np.arange(4.0), np.zeros(4))


def test_one_warning_for_a_total_only_gsim_and_none_otherwise():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sample_gmfs(_ctx_sadigh(), SADIGH, SADIGH_IMTS, 10, np.random.default_rng(0), 3.0)
    assert len(caught) == 1
    assert caught[0].category is GmfWarning
    assert str(caught[0].message).startswith(
        "GSIM SadighEtAl1997() has only total standard deviation; inter- and intra-event "
        "variability not separated"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sample_gmfs(_ctx_ba08(), BA08, IMTS, 10, np.random.default_rng(0), 3.0)
