"""The hazardlib bridge passes ``horiz_comp_to_geom_mean`` to hazardlib (fake hazardlib)."""

from __future__ import annotations

import pickle
import sys
import types

import numpy as np
import pytest

from toolkit.bridges import hazardlib as bridge
from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.base import get_gsim
from toolkit.engine.hazard.imt import PGA


def PGA_():  # noqa: N802 - hazardlib's IMT constructors are functions named PGA ...
    pass


PGA_.__name__ = "PGA"


class FakeRotD50Model2021:
    """Toy GSIM: ln mean = M - 6; the (fake) context maker's conversion subtracts 0.25."""

    DEFINED_FOR_TECTONIC_REGION_TYPE = types.SimpleNamespace(value="Active Shallow Crust")
    DEFINED_FOR_INTENSITY_MEASURE_COMPONENT = types.SimpleNamespace(value="RotD50 (fake)")
    DEFINED_FOR_INTENSITY_MEASURE_TYPES = frozenset({PGA_})
    DEFINED_FOR_STANDARD_DEVIATION_TYPES = frozenset({"Total"})
    REQUIRES_SITES_PARAMETERS = frozenset({"vs30"})
    REQUIRES_RUPTURE_PARAMETERS = frozenset({"mag"})
    REQUIRES_DISTANCES = frozenset({"rjb"})


class _CMaker:
    def __init__(self, convert):
        self.convert = convert

    def new_ctx(self, size):
        dtype = [(f, float) for f in ("mag", "rjb", "sids", "vs30")]
        return np.zeros(size, dtype).view(np.recarray)

    def get_mean_stds(self, ctxs):
        """Shape (4, G=1, M=1, N): hazardlib's context maker applies the conversion."""
        (ctx,) = ctxs
        out = np.zeros((4, 1, 1, len(ctx)))
        out[0, 0, 0] = ctx.mag - 6.0 - (0.25 if self.convert else 0.0)
        out[1] = 0.6
        return out


@pytest.fixture
def cmaker_kwargs(monkeypatch):
    """A fake ``openquake.hazardlib``; records the keyword arguments of simple_cmaker."""
    seen = []
    made = []

    def simple_cmaker(gsims, imts, **kw):
        seen.append(kw)
        made.append(_CMaker(bool(kw.get("horiz_comp_to_geom_mean"))))
        return made[-1]

    def get_mean_stds(gsim, ctx, imts):  # hazardlib's function: no conversion
        out = np.zeros((4, len(imts), len(ctx)))
        out[0] = ctx.mag - 6.0
        out[1] = 0.6
        return out

    modules = {
        "openquake": types.ModuleType("openquake"),
        "openquake.hazardlib": types.ModuleType("openquake.hazardlib"),
        "openquake.hazardlib.gsim": types.SimpleNamespace(
            get_available_gsims=lambda: {"FakeRotD50Model2021": FakeRotD50Model2021}),
        "openquake.hazardlib.imt": types.SimpleNamespace(from_string=str),
        "openquake.hazardlib.contexts": types.SimpleNamespace(
            simple_cmaker=simple_cmaker, get_mean_stds=get_mean_stds),
    }
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    return seen


def _mean(gsim):
    ctx = Context(mag=np.array([6.5, 7.0]), rjb=np.array([5.0, 50.0]), vs30=np.full(2, 760.0))
    return gsim.get_mean_and_stddevs(ctx, [PGA()])[0][0]


def test_flag_reaches_simple_cmaker(cmaker_kwargs):
    gsim = get_gsim("FakeRotD50Model2021")
    assert isinstance(gsim, bridge.HazardlibGMPE)
    assert gsim.DEFINED_FOR_INTENSITY_MEASURE_COMPONENT == "RotD50 (fake)"
    np.testing.assert_allclose(_mean(gsim), [0.5, 1.0], rtol=1e-15)
    assert cmaker_kwargs == [{}]  # the default call is unchanged
    gsim.set_horiz_comp_to_geom_mean(True)
    np.testing.assert_allclose(_mean(gsim), [0.25, 0.75], rtol=1e-15)
    assert cmaker_kwargs[-1] == {"horiz_comp_to_geom_mean": True}


def test_flag_survives_pickling(cmaker_kwargs):
    gsim = get_gsim("FakeRotD50Model2021")
    gsim.set_horiz_comp_to_geom_mean(True)
    copy = pickle.loads(pickle.dumps(gsim))
    assert copy.horiz_comp_to_geom_mean is True
    np.testing.assert_allclose(_mean(copy), [0.25, 0.75], rtol=1e-15)
    plain = pickle.loads(pickle.dumps(get_gsim("FakeRotD50Model2021")))
    assert plain.horiz_comp_to_geom_mean is False
