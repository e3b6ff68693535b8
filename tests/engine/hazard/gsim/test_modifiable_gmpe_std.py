"""ModifiableGMPE: between-event epsilon, per-IMT scaling and the add-delta modifications.

Expected values are derived here from the documented formulas applied to the unmodified
model's own output (Boore et al. 2014, which gives tau and phi):
sigma' = sqrt(sigma^2 + sign(d) d^2); tau/phi likewise with sigma = sqrt(tau^2 + phi^2);
set_between_epsilon: mu + e tau, sigma = phi, tau = 0.
"""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.base import UnsupportedParameters, get_gsim
from toolkit.engine.hazard.gsim.modifiers import ModifiableGMPE
from toolkit.engine.hazard.imt import PGA, SA
from toolkit.errors import InputError
from toolkit.io.logictree import parse_gsim

IMTS = [PGA(), SA(0.5)]
BASE = {"BooreEtAl2014": {}}


def _ctx() -> Context:
    return Context(mag=np.array([5.0, 6.5, 7.5]), rake=np.array([0.0, 90.0, -90.0]),
                   rjb=np.array([3.0, 25.0, 120.0]), vs30=np.array([300.0, 760.0, 1000.0]))


def _run(**modifications):
    return ModifiableGMPE(gmpe=BASE, **modifications).get_mean_and_stddevs(_ctx(), IMTS)


@pytest.fixture(scope="module")
def base():
    return get_gsim("BooreEtAl2014").get_mean_and_stddevs(_ctx(), IMTS)


def test_between_epsilon_moves_the_median_by_epsilon_tau(base):
    mean0, _sig0, tau0, phi0 = base
    mean, sig, tau, phi = _run(set_between_epsilon={"epsilon_tau": 0.5})
    np.testing.assert_allclose(mean, mean0 + 0.5 * tau0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sig, phi0, rtol=1e-12)
    np.testing.assert_array_equal(tau, 0.0)
    np.testing.assert_allclose(phi, phi0, rtol=1e-12)
    mean_neg = _run(set_between_epsilon={"epsilon_tau": -1.0})[0]
    np.testing.assert_allclose(mean_neg, mean0 - tau0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("delta", [0.15, -0.2])
def test_add_delta_to_total_std_scalar(base, delta):
    mean0, sig0, tau0, phi0 = base
    mean, sig, tau, phi = _run(add_delta_to_total_std_scalar={"delta": delta})
    np.testing.assert_array_equal(mean, mean0)
    np.testing.assert_allclose(sig, np.sqrt(sig0 ** 2 + np.sign(delta) * delta ** 2),
                               rtol=1e-12)
    np.testing.assert_allclose(tau, tau0)
    np.testing.assert_allclose(phi, phi0)


def test_add_delta_to_tau_and_phi_recompute_sigma(base):
    _mean0, _sig0, tau0, phi0 = base
    _, sig, tau, phi = _run(add_delta_to_tau_std_scalar={"delta": 0.1})
    np.testing.assert_allclose(tau, np.sqrt(tau0 ** 2 + 0.01), rtol=1e-12)
    np.testing.assert_allclose(sig, np.sqrt(tau0 ** 2 + 0.01 + phi0 ** 2), rtol=1e-12)
    _, sig, tau, phi = _run(add_delta_to_phi_std_vector={"delta": {"PGA": -0.2,
                                                                   "SA(0.5)": 0.1}})
    expected_phi = np.sqrt(phi0 ** 2 + np.array([[-0.04], [0.01]]))
    np.testing.assert_allclose(phi, expected_phi, rtol=1e-12)
    np.testing.assert_allclose(sig, np.sqrt(tau0 ** 2 + expected_phi ** 2), rtol=1e-12)


def test_vector_modifications_take_one_value_per_imt(base):
    mean0, sig0, _tau0, _phi0 = base
    mean, sig, _, _ = _run(set_scale_median_vector={"scaling_factor": {"PGA": 0.85,
                                                                       "SA(0.5)": 1.2}},
                           set_scale_total_sigma_vector={"scaling_factor": {"PGA": 0.7,
                                                                            "SA(0.5)": 0.8}})
    np.testing.assert_allclose(mean[0], mean0[0] + np.log(0.85), rtol=0, atol=1e-12)
    np.testing.assert_allclose(mean[1], mean0[1] + np.log(1.2), rtol=0, atol=1e-12)
    np.testing.assert_allclose(sig, sig0 * np.array([[0.7], [0.8]]), rtol=1e-12)
    _, sig, _, _ = _run(add_delta_to_total_std_vector={"delta": {"PGA": 0.1, "SA(0.5)": -0.1}})
    np.testing.assert_allclose(sig, np.sqrt(sig0 ** 2 + np.array([[0.01], [-0.01]])),
                               rtol=1e-12)


def test_modifications_from_the_openquake_toml():
    name, kwargs = parse_gsim('''[ModifiableGMPE]
        gmpe.BooreEtAl2014 = {}
        [ModifiableGMPE.set_scale_median_vector.scaling_factor]
        "PGA" = 0.85
        "SA(0.5)" = 0.95
        ''', "lt.xml line 3")
    gsim = get_gsim(name, **kwargs)
    assert gsim.modifications == {"set_scale_median_vector": {"PGA": 0.85, "SA(0.5)": 0.95}}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"set_between_epsilon": {"epsilon_tau": 0.5}, "gmpe": {"SadighEtAl1997": {}}},
     r"set_between_epsilon needs the between- and within-event standard deviations, but "
     r"gmpe.SadighEtAl1997 gives only \['Total'\]"),
    ({"set_scale_median_vector": {"scaling_factor": 0.9}},
     r"set_scale_median_vector.scaling_factor must be a table with one value per IMT"),
    ({"add_delta_to_total_std_scalar": {"delta": "x"}},
     r"add_delta_to_total_std_scalar.delta must be a number"),
    ({"set_scale_total_sigma_vector": {"scaling_factor": {"PGA": -1.0}}},
     r"scaling_factor.PGA must be positive"),
])
def test_errors(kwargs, message):
    kwargs.setdefault("gmpe", BASE)
    with pytest.raises(InputError, match=message):
        ModifiableGMPE(**kwargs)


def test_missing_imt_and_too_negative_delta_are_refused():
    gsim = ModifiableGMPE(gmpe=BASE, add_delta_to_total_std_vector={"delta": {"PGA": 0.1}})
    with pytest.raises(InputError, match=r"add_delta_to_total_std_vector.delta has no value "
                                         r"for SA\(0.5\); it has \['PGA'\]"):
        gsim.check_imt(SA(0.5))
    gsim = ModifiableGMPE(gmpe=BASE, add_delta_to_total_std_scalar={"delta": -5.0})
    with pytest.raises(InputError, match="removes more variance than the model has"):
        gsim.get_mean_and_stddevs(_ctx(), [PGA()])


def test_an_unknown_modification_is_an_unsupported_parameter():
    with pytest.raises(UnsupportedParameters, match=r"unknown modification\(s\) "
                                                    r"\['nrcan15_site_term'\]"):
        ModifiableGMPE(gmpe=BASE, nrcan15_site_term={"kind": "base"})


@pytest.mark.parametrize("later", ["set_between_epsilon", "add_delta_to_tau_std_scalar",
                                   "add_delta_to_phi_std_scalar"])
def test_tau_phi_modification_after_a_fixed_total_sigma_is_refused(later):
    # set_fixed_total_sigma leaves no inter/intra split: applying these after it gave NaN
    param = "epsilon_tau" if later == "set_between_epsilon" else "delta"
    with pytest.raises(InputError, match=rf"{later} needs the between- and within-event "
                                         r"standard deviations, but the set_fixed_total_sigma "
                                         r"before it leaves only a total"):
        ModifiableGMPE(gmpe=BASE, set_fixed_total_sigma={"total_sigma": 0.6},
                       **{later: {param: 0.1}})


def test_tau_phi_modification_before_a_fixed_total_sigma_is_applied(base):
    mean0, _sig0, tau0, _phi0 = base
    mean, sig, tau, phi = _run(set_between_epsilon={"epsilon_tau": 0.5},
                               set_fixed_total_sigma={"total_sigma": 0.6})
    np.testing.assert_allclose(mean, mean0 + 0.5 * tau0, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(sig, 0.6)
    assert not np.isnan(mean).any()
