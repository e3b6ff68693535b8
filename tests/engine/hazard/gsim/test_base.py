"""The GMPE base class: registration, declaration checks, context and IMT checks."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim import base
from toolkit.engine.hazard.gsim.base import GMPE, get_gsim, gsim_registry
from toolkit.engine.hazard.gsim.boore_2014 import BooreEtAl2014
from toolkit.engine.hazard.gsim.boore_atkinson_2008 import BooreAtkinson2008
from toolkit.engine.hazard.gsim.sadigh_1997 import SadighEtAl1997
from toolkit.engine.hazard.imt import PGA, PGV, SA
from toolkit.errors import InputError, UnknownName
from toolkit.registry import Registry


@pytest.fixture
def fresh_registry(monkeypatch) -> Registry:
    """A throw-away GSIM registry, so test classes do not leak into the real one."""
    registry: Registry = Registry("GSIM")
    monkeypatch.setattr(base, "gsim_registry", registry)
    return registry


def _declarations(**overrides):
    attrs = {
        "DEFINED_FOR_TECTONIC_REGION_TYPE": "Active Shallow Crust",
        "DEFINED_FOR_INTENSITY_MEASURE_TYPES": frozenset({"PGA", "SA"}),
        "DEFINED_FOR_STANDARD_DEVIATION_TYPES": frozenset({"Total"}),
        "REQUIRES_SITES_PARAMETERS": frozenset({"vs30"}),
        "REQUIRES_RUPTURE_PARAMETERS": frozenset({"mag"}),
        "REQUIRES_DISTANCES": frozenset({"rrup"}),
        "PERIOD_RANGE": (0.1, 2.0),
        "compute": lambda self, ctx, imts, mean, sig, tau, phi: None,
    }
    attrs.update(overrides)
    return attrs


def _ctx(**extra) -> Context:
    values = {"mag": [6.0, 7.0], "rake": [0.0, 90.0], "rrup": [10.0, 20.0],
              "rjb": [9.0, 19.0], "vs30": [400.0, 800.0]}
    values.update(extra)
    return Context(**{k: np.asarray(v, float) for k, v in values.items() if v is not None})


# ---------------------------------------------------------------- registration
@pytest.mark.parametrize("cls", [SadighEtAl1997, BooreEtAl2014, BooreAtkinson2008])
def test_builtin_models_are_registered_under_their_class_name(cls):
    assert gsim_registry.get(cls.__name__) is cls
    assert isinstance(get_gsim(cls.__name__), cls)


def test_get_gsim_passes_parameters():
    gsim = get_gsim("BooreEtAl2014", region="JPN")
    assert isinstance(gsim, BooreEtAl2014) and gsim.region == "JPN"


def test_unknown_gsim_suggests_close_names():
    with pytest.raises(UnknownName, match=r"job.ini: unknown GSIM 'SadighEtAl1998'.*"
                                          r"did you mean 'SadighEtAl1997'"):
        get_gsim("SadighEtAl1998", where="job.ini")


def test_subclass_registers_itself(fresh_registry):
    cls = type("MyTestGMPE", (GMPE,), _declarations())
    assert fresh_registry.get("MyTestGMPE") is cls
    assert "MyTestGMPE" not in gsim_registry  # the real registry is untouched


def test_abstract_intermediate_class_is_not_registered(fresh_registry):
    abstract = type("MyAbstractGMPE", (GMPE,), {"REGISTER": False})
    concrete = type("MyConcreteGMPE", (abstract,), _declarations())
    assert "MyAbstractGMPE" not in fresh_registry
    assert fresh_registry.get("MyConcreteGMPE") is concrete


def test_two_classes_cannot_share_a_name(fresh_registry):
    type("MyTwinGMPE", (GMPE,), _declarations())
    with pytest.raises(ValueError, match="'MyTwinGMPE' is already registered"):
        type("MyTwinGMPE", (GMPE,), _declarations())


# ---------------------------------------------------------------- declaration checks
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"REQUIRES_DISTANCES": frozenset({"rrup", "rfoo"})},
         r"BadGMPE.REQUIRES_DISTANCES names unknown parameters \['rfoo'\]"),
        ({"REQUIRES_SITES_PARAMETERS": frozenset({"vs100"})},
         r"BadGMPE.REQUIRES_SITES_PARAMETERS names unknown parameters \['vs100'\]"),
        ({"DEFINED_FOR_INTENSITY_MEASURE_TYPES": frozenset()},
         "BadGMPE declares no DEFINED_FOR_INTENSITY_MEASURE_TYPES"),
        ({"DEFINED_FOR_INTENSITY_MEASURE_TYPES": frozenset({"PGA", "MMI"})},
         "BadGMPE declares unknown IMTs"),
        ({"DEFINED_FOR_STANDARD_DEVIATION_TYPES": frozenset({"Inter event"})},
         "BadGMPE: DEFINED_FOR_STANDARD_DEVIATION_TYPES must include 'Total'"),
        ({"DEFINED_FOR_STANDARD_DEVIATION_TYPES": frozenset({"Total", "Median"})},
         "BadGMPE: DEFINED_FOR_STANDARD_DEVIATION_TYPES must include 'Total'"),
        ({"compute": GMPE.compute}, "BadGMPE does not implement compute"),
    ],
)
def test_malformed_declarations_fail_at_class_definition(fresh_registry, overrides, message):
    with pytest.raises(TypeError, match=message):
        type("BadGMPE", (GMPE,), _declarations(**overrides))
    assert "BadGMPE" not in fresh_registry


# ---------------------------------------------------------------- context check
def test_missing_context_parameters_are_named():
    ctx = _ctx(rrup=None, vs30=None)
    with pytest.raises(InputError) as info:
        SadighEtAl1997().get_mean_and_stddevs(ctx, [PGA()])
    assert str(info.value) == (
        "GSIM SadighEtAl1997 requires ['rrup', 'vs30'], which the context lacks"
    )


def test_requires_is_the_union_of_the_declarations():
    assert SadighEtAl1997().requires == {"mag", "rake", "rrup", "vs30"}
    assert BooreEtAl2014().requires == {"mag", "rake", "rjb", "vs30"}


def test_extra_context_parameters_are_ignored():
    ctx = _ctx(z1pt0=[100.0, 200.0])
    mean, sig, tau, phi = BooreAtkinson2008().get_mean_and_stddevs(ctx, [PGA(), SA(1.0)])
    assert mean.shape == sig.shape == tau.shape == phi.shape == (2, 2)


# ---------------------------------------------------------------- IMT check
def test_unsupported_imt_type():
    with pytest.raises(InputError, match=r"GSIM SadighEtAl1997 is not defined for IMT PGV; "
                                         r"it supports \['PGA', 'SA'\]"):
        SadighEtAl1997().check_imt(PGV())


def test_period_outside_range_names_gsim_and_imt():
    with pytest.raises(InputError, match=r"GSIM BooreEtAl2014 is not defined for IMT "
                                         r"SA\(20.0\): periods 0.01-10.0 s only"):
        BooreEtAl2014().get_mean_and_stddevs(_ctx(), [PGA(), SA(20.0)])


def test_period_range_end_points_are_accepted():
    for gsim in (SadighEtAl1997(), BooreEtAl2014(), BooreAtkinson2008()):
        low, high = gsim.PERIOD_RANGE
        mean = gsim.get_mean_and_stddevs(_ctx(), [SA(low), SA(high)])[0]
        assert np.isfinite(mean).all()


# ---------------------------------------------------------------- outputs and identity
def test_output_shapes_and_nan_for_missing_stddev_types():
    imts = [PGA(), SA(0.2), SA(1.0)]
    mean, sig, tau, phi = SadighEtAl1997().get_mean_and_stddevs(_ctx(), imts)
    assert mean.shape == (3, 2) and np.isfinite(mean).all() and (sig > 0).all()
    assert np.isnan(tau).all() and np.isnan(phi).all()  # total sigma only
    mean, sig, tau, phi = BooreEtAl2014().get_mean_and_stddevs(_ctx(), imts)
    assert (tau > 0).all() and (phi > 0).all()


def test_parameterless_gsim_rejects_parameters():
    with pytest.raises(InputError, match=r"GSIM SadighEtAl1997 takes no parameters, got \['foo'\]"):
        SadighEtAl1997(foo=1)


def test_repr_equality_and_hash():
    assert repr(SadighEtAl1997()) == "SadighEtAl1997()"
    assert SadighEtAl1997() == SadighEtAl1997()
    assert BooreEtAl2014() != BooreEtAl2014(region="CHN")
    assert len({BooreEtAl2014(), BooreEtAl2014(), BooreAtkinson2008()}) == 2
