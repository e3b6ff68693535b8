"""GSIM modifiers: ModifiableGMPE, ChiouYoungs2014PEER and mixture models.

Checked against the definitions they implement (PEER 2018 Set 2 Case 5, Hale, Abrahamson &
Bozorgnia 2018): the median is the wrapped model's, the fixed sigma is 0.65 everywhere, and the
mixture's exceedance probability is the PEER formula
0.5 [1 - Phi((ln z - mu) / (1.2 s))] + 0.5 [1 - Phi((ln z - mu) / (0.8 s))], written out here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtr

import toolkit
from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.exceedance import probability_of_exceedance
from toolkit.engine.hazard.gmf import sample_gmfs
from toolkit.engine.hazard.gsim.base import GMPE, get_gsim
from toolkit.engine.hazard.gsim.modifiers import MixtureModel, ModifiableGMPE
from toolkit.engine.hazard.imt import PGA, PGV, SA
from toolkit.errors import InputError
from toolkit.io.logictree import GsimBranch, parse_gsim

SCENARIOS = {"mag": np.array([5.0, 6.0, 7.0, 6.5]), "rake": np.array([0.0, 0.0, 90.0, -90.0]),
             "dip": np.array([90.0, 90.0, 45.0, 60.0]), "ztor": np.array([0.0, 2.0, 1.0, 5.0]),
             "rrup": np.array([5.0, 15.0, 30.0, 80.0]), "rjb": np.array([5.0, 14.9, 28.0, 79.0]),
             "rx": np.array([-5.0, 14.9, 28.0, -79.0]), "vs30": 760.0, "vs30measured": 1.0,
             "z1pt0": 48.0}


def _table(gsim):
    return toolkit.gmpe_table(gsim, "PGA", **SCENARIOS)


def _context(n: int = 4) -> Context:
    flat = {k: np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy()
            for k, v in SCENARIOS.items()}
    flat["vs30measured"] = flat["vs30measured"].astype(bool)
    return Context(**flat)


# ------------------------------------------------------------------------- ModifiableGMPE
def test_fixed_total_sigma_keeps_the_median():
    base = _table("ChiouYoungs2014")
    fixed = _table(ModifiableGMPE(gmpe={"ChiouYoungs2014": {}},
                                  set_fixed_total_sigma={"total_sigma": 0.65}))
    np.testing.assert_array_equal(fixed["median_g"], base["median_g"])
    np.testing.assert_array_equal(fixed["sigma_ln"], 0.65)
    assert fixed["tau_ln"].isna().all() and fixed["phi_ln"].isna().all()
    assert not np.allclose(base["sigma_ln"], 0.65)


def test_chiou_youngs_2014_peer_is_cy14_with_sigma_065():
    gsim = get_gsim("ChiouYoungs2014PEER")
    assert isinstance(gsim, ModifiableGMPE)
    assert gsim == ModifiableGMPE(gmpe={"ChiouYoungs2014": {}},
                                  set_fixed_total_sigma={"total_sigma": 0.65})
    table = _table("ChiouYoungs2014PEER")
    np.testing.assert_array_equal(table["median_g"], _table("ChiouYoungs2014")["median_g"])
    np.testing.assert_array_equal(table["sigma_ln"], 0.65)
    assert gsim.requires == get_gsim("ChiouYoungs2014").requires


def test_scalar_scaling_of_median_and_sigma():
    base = _table("ChiouYoungs2014")
    scaled = _table(ModifiableGMPE(gmpe={"ChiouYoungs2014": {}},
                                   set_scale_median_scalar={"scaling_factor": 1.2},
                                   set_scale_total_sigma_scalar={"scaling_factor": 0.8}))
    np.testing.assert_allclose(scaled["median_g"], 1.2 * base["median_g"], rtol=1e-12)
    for column in ("sigma_ln", "tau_ln", "phi_ln"):
        np.testing.assert_allclose(scaled[column], 0.8 * base[column], rtol=1e-12)


def test_modified_gsim_keeps_the_imts_of_the_model():
    gsim = ModifiableGMPE(gmpe={"SadighEtAl1997": {}}, set_fixed_total_sigma={"total_sigma": 0.5})
    with pytest.raises(InputError, match="SadighEtAl1997|PGV"):
        gsim.check_imt(PGV())
    assert gsim.requires == get_gsim("SadighEtAl1997").requires


def test_modifications_apply_in_the_order_written():
    # as OpenQuake: fixing sigma then scaling it scales the fixed value, and the reverse
    # order leaves the fixed value
    fixed, scale = {"total_sigma": 0.5}, {"scaling_factor": 2.0}
    first = ModifiableGMPE(gmpe={"SadighEtAl1997": {}}, set_fixed_total_sigma=fixed,
                           set_scale_total_sigma_scalar=scale)
    last = ModifiableGMPE(gmpe={"SadighEtAl1997": {}}, set_scale_total_sigma_scalar=scale,
                          set_fixed_total_sigma=fixed)
    np.testing.assert_allclose(_table(first)["sigma_ln"], 1.0)
    np.testing.assert_allclose(_table(last)["sigma_ln"], 0.5)


def test_fixed_total_sigma_per_imt_as_openquake_writes_it():
    name, kwargs = parse_gsim('[ModifiableGMPE]\ngmpe.SadighEtAl1997 = {}\n'
                              'set_fixed_total_sigma.total_sigma = {PGA = 0.4, "SA(1)" = 0.7}',
                              "x")
    gsim = get_gsim(name, **kwargs)
    np.testing.assert_allclose(_table(gsim)["sigma_ln"], 0.4)
    sa = toolkit.gmpe_table(gsim, "SA(1.0)", **SCENARIOS)
    np.testing.assert_allclose(sa["sigma_ln"], 0.7)
    # an IMT without a value is refused when the job is checked, before anything runs
    with pytest.raises(InputError, match=r"total_sigma has no value for SA\(0.2\); it has "
                                         r"\['PGA', 'SA\(1.0\)'\]"):
        gsim.check_imt(SA(0.2))
    with pytest.raises(InputError, match="total_sigma: .*'XYZ'"):
        ModifiableGMPE(gmpe={"SadighEtAl1997": {}},
                       set_fixed_total_sigma={"total_sigma": {"XYZ": 0.5}})
    with pytest.raises(InputError, match=r"total_sigma.PGA must be positive"):
        ModifiableGMPE(gmpe={"SadighEtAl1997": {}},
                       set_fixed_total_sigma={"total_sigma": {"PGA": 0.0}})


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "give the model to modify as one 'gmpe.<GSIMName>"),
    ({"gmpe": {"ChiouYoungs2014": {}, "SadighEtAl1997": {}}}, "one 'gmpe.<GSIMName>"),
    ({"gmpe": {"ChiouYoungs2014": {}}, "set_fixed_sigma": {"total_sigma": 0.6}},
     r"unknown modification\(s\) \['set_fixed_sigma'\]"),
    ({"gmpe": {"ChiouYoungs2014": {}}, "set_fixed_total_sigma": {"total_sigma": -1}},
     "set_fixed_total_sigma.total_sigma must be positive"),
    ({"gmpe": {"ChiouYoungs2014": {}}, "set_fixed_total_sigma": {"sigma": 0.6}},
     "set_fixed_total_sigma takes one parameter"),
    ({"gmpe": {"ChiouYoungs2014": {"mixture_model": {}}}}, "put mixture_model on the"),
])
def test_modifiable_gmpe_errors(kwargs, message):
    with pytest.raises(InputError, match=message):
        ModifiableGMPE(**kwargs)


# ------------------------------------------------------------------------- mixture model
def _peer_mixture(mean, sigma, log_levels):
    eps = log_levels[None, :] - mean[:, None]
    s = sigma[:, None]
    # 1 - Phi(x) written as Phi(-x), exact in the far tail
    return 0.5 * ndtr(-eps / (1.2 * s)) + 0.5 * ndtr(-eps / (0.8 * s))


def test_mixture_exceedance_is_the_peer_formula():
    gsim = get_gsim("ChiouYoungs2014PEER", mixture_model={"factors": [0.8, 1.2],
                                                          "weights": [0.5, 0.5]})
    assert isinstance(gsim, MixtureModel)
    mean, sig, _, _ = gsim.get_mean_and_stddevs(_context(), [PGA()])
    levels = np.log(np.array([0.001, 0.01, 0.1, 0.5, 1.0, 3.0, 7.0]))
    poe = gsim.exceedance(mean[0], sig[0], levels, None)
    np.testing.assert_allclose(poe, _peer_mixture(mean[0], sig[0], levels), rtol=1e-12,
                               atol=1e-300)
    lognormal = GMPE.exceedance(gsim, mean[0], sig[0], levels, None)
    above = levels[None, :] > mean[0][:, None] + 2 * 0.65
    assert np.all(poe[above] > lognormal[above])  # the heavier upper tail


def test_mixture_truncation_and_step():
    gsim = get_gsim("ChiouYoungs2014PEER", mixture_model={"factors": [0.8, 1.2],
                                                          "weights": [0.5, 0.5]})
    mean, sigma = np.array([math.log(0.2)]), np.array([0.65])
    levels = np.log(np.array([0.1, 0.19, 0.21, 0.5, 3.0]))
    np.testing.assert_array_equal(gsim.exceedance(mean, sigma, levels, 0), [[1, 1, 0, 0, 0]])
    truncated = gsim.exceedance(mean, sigma, levels, 3.0)
    expected = sum(0.5 * probability_of_exceedance(mean, f * sigma, levels, 3.0)
                   for f in (0.8, 1.2))
    np.testing.assert_allclose(truncated, expected, rtol=1e-12)
    assert truncated[0, -1] == 0.0  # ln(3 / 0.2) = 2.71 > 3 x 1.2 x 0.65 = 2.34
    assert truncated[0, -2] > 0.0


def test_mixture_model_from_the_openquake_toml_of_a_gsim_logic_tree():
    text = """
        [ChiouYoungs2014PEER.mixture_model]
        factors = [0.8, 1.2]
        weights = [0.5, 0.5]
    """
    name, kwargs = parse_gsim(text, "gsim_logic_tree.xml line 7")
    assert name == "ChiouYoungs2014PEER"
    gsim = GsimBranch("b1", name, kwargs, 1.0).instantiate()
    assert isinstance(gsim, MixtureModel) and gsim.factors.tolist() == [0.8, 1.2]
    assert "mixture_model" in repr(gsim)
    modifiable = """
        [ModifiableGMPE]
        gmpe.ChiouYoungs2014 = {}
        set_fixed_total_sigma.total_sigma = 0.65
    """
    name, kwargs = parse_gsim(modifiable, "gsim_logic_tree.xml line 7")
    assert GsimBranch("b2", name, kwargs, 1.0).instantiate() == get_gsim("ChiouYoungs2014PEER")


@pytest.mark.parametrize(("mixture", "message"), [
    ({"factors": [0.8, 1.2], "weights": [0.5, 0.6]}, "the weights must sum to 1"),
    ({"factors": [0.8], "weights": [0.5, 0.5]}, "same length"),
    ({"factors": [0.0, 1.2], "weights": [0.5, 0.5]}, "every factor must be positive"),
    ({"factors": [0.8, 1.2], "weights": [0.5, 0.5], "scale": 1}, r"unknown parameter\(s\)"),
    ({"factors": "0.8", "weights": [1.0]}, "lists of numbers"),
])
def test_mixture_errors_name_the_gsim(mixture, message):
    with pytest.raises(InputError, match=f"ChiouYoungs2014.mixture_model: .*{message}"):
        get_gsim("ChiouYoungs2014", mixture_model=mixture)


def test_ground_motion_fields_refuse_a_mixture():
    gsim = get_gsim("ChiouYoungs2014", mixture_model={"factors": [0.8, 1.2],
                                                      "weights": [0.5, 0.5]})
    rng = np.random.default_rng(1)
    with pytest.raises(InputError, match="mixture_model.*cannot be sampled"):
        sample_gmfs(_context(), gsim, [PGA()], 3, rng, None)


def test_default_exceedance_is_the_lognormal():
    gsim = get_gsim("ChiouYoungs2014")
    mean, sigma = np.array([math.log(0.1)]), np.array([0.6])
    levels = np.log(np.array([0.05, 0.1, 0.3]))
    np.testing.assert_allclose(gsim.exceedance(mean, sigma, levels, None),
                               1 - ndtr((levels[None, :] - mean[:, None]) / 0.6), rtol=1e-12)
