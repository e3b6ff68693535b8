"""Jayaram & Baker (2009) spatial correlation: ranges, matrix factor, limits, registry."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard import correlation as corr_module
from toolkit.engine.hazard.correlation import (
    CorrelationModel,
    JB2009Correlation,
    correlation_models,
    get_correlation_model,
)
from toolkit.engine.hazard.imt import PGA, PGV, SA
from toolkit.errors import InputError, UnknownName

EARTH_RADIUS = 6371.0


def _haversine_matrix(lons, lats):
    """Great-circle distances (km), written out independently of toolkit.engine.hazard.geo."""
    lon, lat = np.radians(lons), np.radians(lats)
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _random_sites(n, seed=0, lon0=10.0, lat0=45.0, extent=1.0):
    rng = np.random.default_rng(seed)
    return lon0 + extent * rng.random(n), lat0 + extent * rng.random(n)


# ---------------------------------------------------------------- ranges (eqs. 17-20)
# hand-computed: case 1 (not clustered) 8.5 + 17.2 T, case 2 (clustered) 40.7 - 15.0 T,
# T >= 1 s: 22.0 + 3.7 T
@pytest.mark.parametrize(
    ("imt", "clustered", "expected"),
    [
        (PGA(), False, 8.5),
        (SA(0.5), False, 17.1),
        (SA(1.0), False, 25.7),
        (SA(2.0), False, 29.4),
        (PGA(), True, 40.7),
        (SA(0.5), True, 33.2),
        (SA(1.0), True, 25.7),
        (SA(2.0), True, 29.4),
        (SA(0.01), False, 8.672),
        (SA(0.99), True, 25.85),
    ],
)
def test_range_matches_hand_computed_values(imt, clustered, expected):
    assert JB2009Correlation(vs30_clustering=clustered).range_km(imt) == pytest.approx(
        expected, abs=1e-12
    )


def test_range_is_continuous_at_one_second():
    for clustered in (False, True):
        model = JB2009Correlation(clustered)
        assert model.range_km(SA(1.0 - 1e-9)) == pytest.approx(model.range_km(SA(1.0)), abs=1e-6)


def test_correlation_function_is_exponential_with_practical_range_b():
    model = JB2009Correlation(vs30_clustering=False)
    b = model.range_km(SA(0.3))
    h = np.array([0.0, 1.0, 5.0, b, 100.0])
    assert np.allclose(model.correlation(h, SA(0.3)), np.exp(-3.0 * h / b), rtol=1e-15)
    assert model.correlation(b, SA(0.3)) == pytest.approx(np.exp(-3.0))
    assert model.correlation(0.0, PGA()) == 1.0
    # 10 km with the clustered model at PGA: exp(-30 / 40.7)
    assert JB2009Correlation(True).correlation(10.0, PGA()) == pytest.approx(0.478499, abs=1e-6)


def test_pgv_is_rejected_naming_the_imt():
    model = JB2009Correlation(vs30_clustering=True)
    with pytest.raises(InputError, match=r"PGV"):
        model.range_km(PGV())
    with pytest.raises(InputError, match=r"not for IMT PGV"):
        model.cholesky(np.array([0.0, 0.1]), np.array([0.0, 0.0]), PGV())


# ---------------------------------------------------------------- Cholesky factor
@pytest.mark.parametrize("imt", [PGA(), SA(0.2), SA(3.0)])
@pytest.mark.parametrize("clustered", [False, True])
def test_cholesky_factor_reproduces_the_correlation_matrix(imt, clustered):
    lons, lats = _random_sites(300, seed=1)
    model = JB2009Correlation(clustered)
    chol = model.cholesky(lons, lats, imt)
    expected = np.exp(-3.0 * _haversine_matrix(lons, lats) / model.range_km(imt))
    assert chol.shape == (300, 300) and chol.dtype == np.float64
    assert np.array_equal(chol, np.tril(chol))
    assert (np.diag(chol) > 0).all()
    assert np.abs(chol @ chol.T - expected).max() < 1e-12


def test_blocks_give_the_same_factor_as_one_block(monkeypatch):
    lons, lats = _random_sites(157, seed=2)
    model = JB2009Correlation(False)
    whole = model.cholesky(lons, lats, SA(0.5))
    monkeypatch.setattr(corr_module, "_BLOCK_ELEMENTS", 157 * 3)  # 3 columns per block
    blocked = model.cholesky(lons, lats, SA(0.5))
    assert np.array_equal(whole, blocked)


@pytest.mark.parametrize("block_elements", [None, 7])
def test_co_located_sites_get_identical_rows(monkeypatch, block_elements):
    if block_elements is not None:  # force the column-by-column in-place expansion
        monkeypatch.setattr(corr_module, "_BLOCK_ELEMENTS", block_elements)
    base_lons, base_lats = _random_sites(40, seed=3, extent=0.3)
    rng = np.random.default_rng(4)
    idx = rng.integers(0, 40, size=100)  # 100 sites on at most 40 locations, any order
    lons, lats = base_lons[idx], base_lats[idx]
    model = JB2009Correlation(True)
    chol = model.cholesky(lons, lats, PGA())
    expected = np.exp(-3.0 * _haversine_matrix(lons, lats) / 40.7)
    assert chol.shape == (100, 100)
    assert np.array_equal(chol, np.tril(chol))
    assert np.abs(chol @ chol.T - expected).max() < 1e-12
    # sites at one location share their row; repeated sites have a zero column
    first_seen = {}
    for i, key in enumerate(zip(lons, lats, strict=True)):
        if key in first_seen:
            assert np.array_equal(chol[i], chol[first_seen[key]])
            assert not chol[:, i].any()
        else:
            first_seen[key] = i
            assert chol[i, i] > 0
    assert len(first_seen) < 100


def test_all_sites_at_one_location():
    chol = JB2009Correlation(False).cholesky(np.full(5, 3.0), np.full(5, 4.0), SA(0.1))
    expected = np.zeros((5, 5))
    expected[:, 0] = 1.0
    assert np.array_equal(chol, expected)


def test_no_sites_and_one_site():
    model = JB2009Correlation(False)
    assert model.cholesky(np.array([]), np.array([]), PGA()).shape == (0, 0)
    assert np.array_equal(model.cholesky(np.array([1.0]), np.array([2.0]), PGA()), [[1.0]])


def test_max_sites_limit_with_clear_message():
    lons, lats = _random_sites(11)
    model = JB2009Correlation(False, max_sites=10)
    with pytest.raises(InputError, match=r"11 sites exceed the limit of 10.*fewer sites.*no "
                                         r"ground_motion_correlation_model"):
        model.cholesky(lons, lats, PGA())
    assert JB2009Correlation(False, max_sites=11).cholesky(lons, lats, PGA()).shape == (11, 11)
    # the default limit (20,000 sites = 3.2 GB) is checked before any allocation
    lons, lats = _random_sites(20_001)
    with pytest.raises(InputError, match=r"20001 sites exceed the limit of 20000 .* 3\.2 GB"):
        JB2009Correlation(False).cholesky(lons, lats, PGA())


def test_distinct_coordinates_of_one_place_are_reported_as_singular():
    # 1e-300 degrees apart: distinct coordinates, correlation exactly 1.0
    with pytest.raises(InputError, match=r"numerically singular: some sites are practically"):
        JB2009Correlation(False).cholesky(np.array([0.0, 1e-300]), np.zeros(2), PGA())


def test_one_place_written_with_longitudes_180_and_minus_180():
    # 1.6e-12 km apart by rounding: factorisable, and the residuals are practically identical
    chol = JB2009Correlation(False).cholesky(np.array([180.0, -180.0]), np.zeros(2), PGA())
    assert chol[1, 0] == pytest.approx(1.0, abs=1e-12) and chol[1, 1] < 1e-5


def test_bad_coordinates():
    model = JB2009Correlation(False)
    with pytest.raises(InputError, match=r"equal length"):
        model.cholesky(np.zeros(3), np.zeros(2), PGA())
    with pytest.raises(InputError, match=r"finite"):
        model.cholesky(np.array([0.0, np.nan]), np.zeros(2), PGA())


# ---------------------------------------------------------------- registry and parameters
def test_registry_and_protocol():
    assert correlation_models.get("JB2009") is JB2009Correlation
    model = get_correlation_model("JB2009", {"vs30_clustering": True}, where="job.ini")
    assert isinstance(model, JB2009Correlation) and model.vs30_clustering is True
    assert isinstance(model, CorrelationModel)
    assert repr(model) == "JB2009Correlation(vs30_clustering=True)"
    limited = get_correlation_model("JB2009", {"vs30_clustering": False, "max_sites": 50})
    assert limited.max_sites == 50 and limited.vs30_clustering is False


def test_unknown_model_names_where():
    with pytest.raises(UnknownName, match=r"job\.ini: unknown ground-motion correlation model "
                                          r"'JB2008'.*'JB2009'"):
        get_correlation_model("JB2008", {"vs30_clustering": True}, where="job.ini")


def test_unknown_missing_and_invalid_parameters_name_where():
    with pytest.raises(InputError, match=r"job\.ini: ground_motion_correlation_params: unknown "
                                         r"parameter\(s\) \['vs30clustering'\]"):
        get_correlation_model("JB2009", {"vs30clustering": True}, where="job.ini")
    with pytest.raises(InputError, match=r"job\.ini: .*requires \['vs30_clustering'\]"):
        get_correlation_model("JB2009", {}, where="job.ini")
    with pytest.raises(InputError, match=r"job\.ini: .*vs30_clustering must be True or False"):
        get_correlation_model("JB2009", {"vs30_clustering": "yes"}, where="job.ini")
    with pytest.raises(InputError, match=r"max_sites must be a positive integer"):
        get_correlation_model("JB2009", {"vs30_clustering": True, "max_sites": 0}, "job.ini")


def test_large_factorisations_run_on_one_blas_thread(monkeypatch):
    """Above SINGLE_THREAD_ABOVE sites potrf runs on one BLAS thread (the multithreaded one of
    scipy's OpenBLAS crashes near 20,000 sites); below, the thread count is left alone."""
    from threadpoolctl import threadpool_info

    seen: list[int] = []
    real = corr_module.scipy.linalg.cholesky

    def spy(*args, **kwargs):
        seen.append(max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"))
        return real(*args, **kwargs)

    monkeypatch.setattr(corr_module.scipy.linalg, "cholesky", spy)
    model = JB2009Correlation(vs30_clustering=False)
    lons = np.linspace(0.0, 1.0, 40)
    lats = np.zeros(40)
    default = max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")
    small = model.cholesky(lons, lats, PGA())
    monkeypatch.setattr(corr_module, "SINGLE_THREAD_ABOVE", 30)
    large = model.cholesky(lons, lats, PGA())
    assert seen == [default, 1]
    np.testing.assert_allclose(large, small, rtol=1e-12, atol=1e-15)
