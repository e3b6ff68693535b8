"""A toolkit GSIM given parameters it does not implement is handed to a GSIM plugin.

The plugin is a fake module registered in ``GSIM_FALLBACKS`` (hazardlib is not a test
dependency); without a plugin that takes the name the error is raised as before.
"""

from __future__ import annotations

import logging
import sys
import types

import pytest

from toolkit.engine.hazard.gsim import base
from toolkit.engine.hazard.gsim.base import GMPE, UnsupportedParameters, get_gsim
from toolkit.engine.hazard.gsim.modifiers import MixtureModel
from toolkit.errors import InputError
from toolkit.io.logictree import parse_gsim


class _PluginGSIM(GMPE):
    REGISTER = False
    DEFINED_FOR_INTENSITY_MEASURE_TYPES = frozenset({"PGA"})

    def __init__(self, name, **kwargs):
        self.name = name
        self.kwargs = kwargs

    def compute(self, ctx, imts, mean, sig, tau, phi):  # pragma: no cover - not computed
        raise AssertionError


@pytest.fixture
def plugin(monkeypatch):
    calls = []

    def gsim_fallback(name, **kwargs):
        calls.append((name, kwargs))
        return _PluginGSIM(name, **kwargs) if name in ("ChiouYoungs2014",
                                                        "ModifiableGMPE") else None

    module = types.ModuleType("fake_gsim_plugin")
    module.gsim_fallback = gsim_fallback
    monkeypatch.setitem(sys.modules, "fake_gsim_plugin", module)
    monkeypatch.setattr(base, "GSIM_FALLBACKS", ["fake_gsim_plugin"])
    return calls


@pytest.fixture
def no_plugin(monkeypatch):
    monkeypatch.setattr(base, "GSIM_FALLBACKS", [])


def test_parameters_the_toolkit_lacks_go_to_the_plugin(plugin, caplog):
    with caplog.at_level(logging.INFO, logger="toolkit.engine.hazard.gsim.base"):
        gsim = get_gsim("ChiouYoungs2014", where="lt.xml line 9", region="WEN",
                        mixture_model={"factors": [0.8, 1.2], "weights": [0.5, 0.5]})
    assert isinstance(gsim, MixtureModel)  # the mixture wraps the plugin's model
    assert isinstance(gsim.gsim, _PluginGSIM) and gsim.gsim.kwargs == {"region": "WEN"}
    assert "region 'WEN' is not implemented" in gsim.gsim.fallback_reason
    assert plugin == [("ChiouYoungs2014", {"region": "WEN"})]
    assert "ChiouYoungs2014 (lt.xml line 9)" in caplog.text
    # the toolkit's own model is still used when it accepts the parameters
    assert type(get_gsim("ChiouYoungs2014", region="JPN")).__name__ == "ChiouYoungs2014"
    assert len(plugin) == 1


def test_a_modification_the_toolkit_lacks_goes_to_the_plugin(plugin):
    name, kwargs = parse_gsim("""[ModifiableGMPE]
        gmpe.BooreAtkinson2008 = {}
        nrcan15_site_term = {}
        nrcan15_site_term.kind = 'base'
        """, "lt.xml line 23")
    assert kwargs == {"gmpe": {"BooreAtkinson2008": {}}, "nrcan15_site_term": {"kind": "base"}}
    gsim = get_gsim(name, **kwargs)
    assert isinstance(gsim, _PluginGSIM) and gsim.name == "ModifiableGMPE"
    assert "nrcan15_site_term" in gsim.fallback_reason


def test_bad_values_are_not_handed_over(plugin):
    with pytest.raises(InputError, match="total_sigma must be positive"):
        get_gsim("ModifiableGMPE", gmpe={"BooreAtkinson2008": {}},
                 set_fixed_total_sigma={"total_sigma": -1.0})
    assert plugin == []


def test_without_a_plugin_the_error_stays(no_plugin):
    with pytest.raises(UnsupportedParameters, match=r"SadighEtAl1997 takes no parameters, "
                                                    r"got \['region'\]"):
        get_gsim("SadighEtAl1997", region="JPN")
    with pytest.raises(InputError, match=r"unknown modification\(s\) \['nrcan15_site_term'\]"):
        get_gsim("ModifiableGMPE", gmpe={"BooreAtkinson2008": {}},
                 nrcan15_site_term={"kind": "base"})


@pytest.mark.parametrize(("text", "expected"), [
    ("[M]\nx = {}\nx.k = 1", {"x": {"k": 1}}),
    ("[M]\nx = {}\ny = 2", {"x": {}, "y": 2}),  # nothing to merge: kept
    ("[M]\n  x.y = {}  \n  x.y.k = 'a'", {"x": {"y": {"k": "a"}}}),
])
def test_empty_table_then_dotted_keys(text, expected):
    assert parse_gsim(text, "lt.xml") == ("M", expected)


def test_other_toml_errors_are_still_reported():
    with pytest.raises(InputError, match=r"lt.xml: invalid GSIM specification"):
        parse_gsim("[M]\nx = {a = 1}\nx.k = 1", "lt.xml")


def _own_gsim_names():
    from toolkit.engine.hazard import gsim as _models  # noqa: F401  (registers built-ins)

    return sorted(base.gsim_registry.names())


@pytest.mark.parametrize("name", _own_gsim_names())
def test_every_own_gsim_refuses_an_unknown_parameter_as_unsupported(name, no_plugin):
    # e.g. ChiouYoungs2014(sigma_mu_epsilon=1) was a TypeError, so never reached the plugin
    kwargs = {"sigma_mu_epsilon": 1.0}
    if name == "ModifiableGMPE":
        kwargs["gmpe"] = {"BooreEtAl2014": {}}
    with pytest.raises(UnsupportedParameters, match="sigma_mu_epsilon"):
        get_gsim(name, **kwargs)


def test_an_unknown_parameter_of_chiou_youngs_goes_to_the_plugin(plugin):
    gsim = get_gsim("ChiouYoungs2014", sigma_mu_epsilon=1.0)
    assert isinstance(gsim, _PluginGSIM) and gsim.kwargs == {"sigma_mu_epsilon": 1.0}
    assert "sigma_mu_epsilon" in gsim.fallback_reason
