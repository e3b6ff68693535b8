"""Declared horizontal components of the toolkit's GSIMs and the geometric-mean check."""

from __future__ import annotations

import pytest

import toolkit.engine.hazard.gsim  # noqa: F401  (registers the built-in models)
from toolkit.engine.hazard.gsim import component_conversion as cc
from toolkit.engine.hazard.gsim.base import GMPE, get_gsim, gsim_registry
from toolkit.errors import InputError

# the component each paper defines its model for
DECLARED = {
    "AbrahamsonEtAl2014": cc.ROTD50,      # Abrahamson, Silva & Kamai (2014), NGA-West2
    "BooreEtAl2014": cc.ROTD50,           # Boore et al. (2014), NGA-West2
    "CampbellBozorgnia2014": cc.ROTD50,   # Campbell & Bozorgnia (2014), NGA-West2
    "ChiouYoungs2014": cc.ROTD50,         # Chiou & Youngs (2014), NGA-West2
    "Idriss2014": cc.ROTD50,              # Idriss (2014), NGA-West2
    "BooreAtkinson2008": cc.GMROTI50,     # Boore & Atkinson (2008), NGA-West1
    "SadighEtAl1997": cc.GEOMETRIC_MEAN,  # Sadigh et al. (1997)
}


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_declared_components(name):
    gsim = get_gsim(name)
    assert cc.component_of(gsim) == DECLARED[name]
    assert cc.is_geometric_mean(gsim) == (DECLARED[name] == cc.GEOMETRIC_MEAN)


def test_every_registered_model_declares_its_component():
    for name in gsim_registry.names():
        cls = gsim_registry.get(name)
        if isinstance(cls, type) and cls.__module__.startswith("toolkit.engine.hazard.gsim."):
            if cls.__name__ in ("ModifiableGMPE",):  # wrapper: the component of its model
                continue
            assert getattr(cls, "DEFINED_FOR_INTENSITY_MEASURE_COMPONENT", None), name


def test_geometric_mean_models_pass():
    cc.check_geometric_mean(get_gsim("SadighEtAl1997"), "job.ini line 3")


@pytest.mark.parametrize("name", ["AbrahamsonEtAl2014", "BooreAtkinson2008"])
def test_other_components_are_refused(name):
    with pytest.raises(InputError) as err:
        cc.check_geometric_mean(get_gsim(name), "job.ini line 3 (lt.xml line 9, branch 'b1')")
    text = str(err.value)
    assert text.startswith("job.ini line 3 (lt.xml line 9, branch 'b1'): ")
    assert f"GSIM {name}()" in text and DECLARED[name] in text
    assert "horiz_comp_to_geom_mean = true" in text


def test_undeclared_component_is_refused():
    class NoComponent2099(GMPE):
        REGISTER = False
        DEFINED_FOR_INTENSITY_MEASURE_TYPES = frozenset({"PGA"})

    assert cc.component_of(NoComponent2099()) is None
    with pytest.raises(InputError, match="undeclared horizontal component"):
        cc.check_geometric_mean(NoComponent2099(), "here")


def test_wrapper_has_the_component_of_its_model():
    def modified(name):
        return get_gsim("ModifiableGMPE", gmpe={name: {}},
                        set_scale_median_scalar={"scaling_factor": 1.2})

    assert cc.component_of(modified("SadighEtAl1997")) == cc.GEOMETRIC_MEAN
    cc.check_geometric_mean(modified("SadighEtAl1997"), "here")
    assert cc.component_of(modified("ChiouYoungs2014")) == cc.ROTD50
    with pytest.raises(InputError, match=r"RotD50"):
        cc.check_geometric_mean(modified("ChiouYoungs2014"), "here")


def test_mixture_model_has_the_component_of_its_model():
    mixed = get_gsim("BooreAtkinson2008", mixture_model={"factors": [0.8, 1.2],
                                                         "weights": [0.5, 0.5]})
    assert type(mixed).__name__ == "MixtureModel"
    assert cc.component_of(mixed) == cc.GMROTI50 and not cc.is_geometric_mean(mixed)


def test_hazardlib_label_of_the_geometric_mean_counts():
    class Labelled:
        DEFINED_FOR_INTENSITY_MEASURE_COMPONENT = "Average Horizontal"

    assert cc.is_geometric_mean(Labelled())
