"""The openquake.hazardlib bridge, against a fake ``openquake.hazardlib`` package.

The fake stands in for hazardlib at the edge (``sys.modules``): it has the documented public
API the bridge uses (``gsim.get_available_gsims``, ``imt.from_string``,
``contexts.simple_cmaker(...).new_ctx``, ``contexts.get_mean_stds``) and a toy GSIM whose
values are easy to compute here. A real hazardlib run is in ``benchmarks/gsim_crosscheck.py``.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from toolkit.bridges import hazardlib as bridge
from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.base import GMPE, get_gsim
from toolkit.engine.hazard.gsim.boore_2014 import BooreEtAl2014
from toolkit.engine.hazard.imt import PGA, PGV, SA, from_string
from toolkit.errors import InputError, UnknownName


def PGA_():  # noqa: N802 - hazardlib's IMT constructors are functions named PGA, SA ...
    pass


def SA_():  # noqa: N802
    pass


def IA_():  # noqa: N802
    pass


def AvgSA_():  # noqa: N802
    pass


def PGDf_():  # noqa: N802
    pass


PGA_.__name__, SA_.__name__, IA_.__name__, AvgSA_.__name__ = "PGA", "SA", "IA", "AvgSA"
PGDf_.__name__ = "PGDfLatSpread"  # a hazardlib IMT the toolkit does not parse


class FakeModel2020:
    """Toy GSIM: ln mean = ln(0.1) + 0.5 (M - 6) - ln(rjb + 1) - T + 0.1 [z1pt0 known]."""

    DEFINED_FOR_TECTONIC_REGION_TYPE = types.SimpleNamespace(value="Active Shallow Crust")
    DEFINED_FOR_INTENSITY_MEASURE_TYPES = frozenset({PGA_, SA_})
    DEFINED_FOR_STANDARD_DEVIATION_TYPES = frozenset({"Total"})
    REQUIRES_SITES_PARAMETERS = frozenset({"vs30", "z1pt0"})
    REQUIRES_RUPTURE_PARAMETERS = frozenset({"mag"})
    REQUIRES_DISTANCES = frozenset({"rjb"})

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale


class FakeWithTauPhi(FakeModel2020):
    DEFINED_FOR_STANDARD_DEVIATION_TYPES = frozenset({"Total", "Inter event", "Intra event"})


class FakeBooreEtAl2014(FakeModel2020):
    pass


FakeBooreEtAl2014.__name__ = "BooreEtAl2014"


class FakeTable(FakeModel2020):
    """Like hazardlib's GMPETable: reads a file, and learns its IMTs from it per instance."""

    DEFINED_FOR_INTENSITY_MEASURE_TYPES = frozenset()

    def __init__(self, gmpe_table: str) -> None:
        with open(gmpe_table) as f:  # FileNotFoundError when missing
            imts = f.read().split()
        self.scale = 1.0
        self.DEFINED_FOR_INTENSITY_MEASURE_TYPES = frozenset(
            {PGA_} if "PGA" in imts else set())


class FakeArias2019(FakeModel2020):
    """Declares IA (Arias intensity) and SA, like hazardlib's MacedoEtAl2019SInter."""

    DEFINED_FOR_INTENSITY_MEASURE_TYPES = frozenset({IA_, SA_, PGA_, PGDf_})


class FakeAvgSAWrapper(FakeModel2020):
    """A model of hazardlib's ``gsim.mgmpe`` package (like GmpeIndirectAvgSA): declares AvgSA
    but computes PGA and SA(T) with its underlying GSIM; refuses PGV (KeyError)."""

    DEFINED_FOR_INTENSITY_MEASURE_TYPES = frozenset({AvgSA_})


FakeAvgSAWrapper.__module__ = "openquake.hazardlib.gsim.mgmpe.fake_avgsa"


class FakeAvgPoe(FakeModel2020):
    """Declares no IMT at all (like hazardlib's ModifiableGMPE): its sub-models decide."""

    DEFINED_FOR_INTENSITY_MEASURE_TYPES = frozenset()


class AvgPoeGMPE(FakeAvgPoe):
    """hazardlib's AvgPoeGMPE averages PoEs: its means/stds mean nothing."""


class FakeUndeclared2020(FakeModel2020):
    """Reads a context field (in_cshm) that none of its REQUIRES_* sets declares."""


class FakeBackarc2020(FakeModel2020):
    """Requires the flag backarc (a bool field of hazardlib's context)."""

    REQUIRES_SITES_PARAMETERS = frozenset({"vs30", "z1pt0", "backarc"})


def fake_factory(scale: float = 2.0):
    """hazardlib registers some names to functions returning a configured GSIM instance."""
    return FakeModel2020(scale=scale)


def fake_poe_mean_factory():
    """Like hazardlib's *NSHMPMean: a GSIM averaging poes over signed adjustments."""
    gsim = FakeModel2020()
    gsim.weights_signs = [(0.185, -1.0), (0.63, 0.0), (0.185, 1.0)]
    return gsim


def fake_bad_factory():
    """A function that does not return a GSIM."""


def expected_mean(mag, rjb, period, z1pt0, scale=1.0):
    return (np.log(0.1) + 0.5 * (mag - 6.0) - np.log(rjb + 1.0) - period
            + 0.1 * (z1pt0 > 0)) * scale


class _CMaker:
    def __init__(self, gsims, imts):
        self.fields = sorted(set().union(*(
            g.REQUIRES_SITES_PARAMETERS | g.REQUIRES_RUPTURE_PARAMETERS | g.REQUIRES_DISTANCES
            for g in gsims)) | {"sids"})

    def new_ctx(self, size):
        return np.zeros(size, [(f, bool if f == "backarc" else float)
                               for f in self.fields]).view(np.recarray)


@pytest.fixture
def fake_hazardlib(monkeypatch):
    """Install a fake ``openquake.hazardlib`` and record the contexts it receives."""
    calls = []

    def get_mean_stds(gsim, ctx, imts):
        calls.append(ctx.copy())
        if isinstance(gsim, FakeUndeclared2020):
            ctx.in_cshm  # noqa: B018 - read without being declared, like Bradley2013bChchMaps
        if "PGV" in imts:
            raise KeyError("PGV")
        periods = np.array([float(i[i.index("(") + 1:-1]) if "(" in i else 0.0 for i in imts])
        out = np.zeros((4, len(imts), len(ctx)))
        out[0] = expected_mean(ctx.mag, ctx.rjb, periods[:, None], ctx.z1pt0, gsim.scale)
        out[1], out[2], out[3] = 0.7, 0.4, 0.5
        return out

    gsims = {"FakeModel2020": FakeModel2020, "FakeWithTauPhi": FakeWithTauPhi,
             "BooreEtAl2014": FakeBooreEtAl2014, "FakeTable": FakeTable,
             "FakeFactory": fake_factory, "FakeBadFactory": fake_bad_factory,
             "FakeNSHMPMean": fake_poe_mean_factory,
             "FakeArias2019": FakeArias2019,
             "FakeAvgSAWrapper": FakeAvgSAWrapper, "FakeAvgPoe": FakeAvgPoe,
             "FakeBackarc2020": FakeBackarc2020, "AvgPoeGMPE": AvgPoeGMPE,
             "FakeUndeclared2020": FakeUndeclared2020}
    package = types.ModuleType("openquake")
    hazardlib = types.ModuleType("openquake.hazardlib")
    modules = {
        "openquake": package,
        "openquake.hazardlib": hazardlib,
        "openquake.hazardlib.gsim": types.SimpleNamespace(get_available_gsims=lambda: gsims),
        "openquake.hazardlib.imt": types.SimpleNamespace(from_string=str),
        "openquake.hazardlib.contexts": types.SimpleNamespace(
            simple_cmaker=lambda gsims, imts, **kw: _CMaker(gsims, imts),
            get_mean_stds=get_mean_stds),
    }
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    return calls


@pytest.fixture
def no_hazardlib(monkeypatch):
    """Make ``import openquake.hazardlib`` fail, whether or not it is installed."""
    monkeypatch.setitem(sys.modules, "openquake", None)
    monkeypatch.setitem(sys.modules, "openquake.hazardlib", None)


def test_adapter_declares_what_hazardlib_declares(fake_hazardlib):
    gsim = get_gsim("FakeModel2020")
    assert isinstance(gsim, GMPE) and isinstance(gsim, bridge.HazardlibGMPE)
    assert type(gsim).__name__ == "FakeModel2020"
    assert gsim.DEFINED_FOR_INTENSITY_MEASURE_TYPES == {"PGA", "SA"}
    assert gsim.DEFINED_FOR_STANDARD_DEVIATION_TYPES == {"Total"}
    assert gsim.DEFINED_FOR_TECTONIC_REGION_TYPE == "Active Shallow Crust"
    assert gsim.requires == {"vs30", "z1pt0", "mag", "rjb"}
    assert repr(gsim) == "FakeModel2020()"
    assert bridge.adapter_class(FakeModel2020) is type(gsim)  # one adapter per class


def test_adapter_values_grouped_by_magnitude_and_unknown_depth(fake_hazardlib):
    mag = np.array([6.0, 7.0, 6.0, 5.5])
    rjb = np.array([1.0, 10.0, 30.0, 100.0])
    z1 = np.array([np.nan, 300.0, 50.0, np.nan])
    ctx = Context(mag=mag, rjb=rjb, vs30=np.full(4, 760.0), z1pt0=z1)
    mean, sig, tau, phi = get_gsim("FakeModel2020", scale=2.0).get_mean_and_stddevs(
        ctx, [PGA(), SA(0.5)])
    for m, period in enumerate((0.0, 0.5)):
        np.testing.assert_allclose(
            mean[m], expected_mean(mag, rjb, period, np.nan_to_num(z1, nan=-999.0), 2.0),
            rtol=1e-14)
    np.testing.assert_array_equal(sig, 0.7)
    assert np.isnan(tau).all() and np.isnan(phi).all()  # total-only model: NaN, not 0
    assert sorted(len(c) for c in fake_hazardlib) == [1, 1, 2]  # one call per magnitude
    assert all(len(set(c.mag)) == 1 for c in fake_hazardlib)
    assert min(c.z1pt0.min() for c in fake_hazardlib) == -999.0  # NaN -> hazardlib's unknown


def test_adapter_keeps_tau_phi_when_hazardlib_defines_them(fake_hazardlib):
    ctx = Context(mag=np.array([6.0]), rjb=np.array([5.0]), vs30=np.array([400.0]),
                  z1pt0=np.array([100.0]))
    _, sig, tau, phi = get_gsim("FakeWithTauPhi").get_mean_and_stddevs(ctx, [PGA()])
    assert (sig[0, 0], tau[0, 0], phi[0, 0]) == (0.7, 0.4, 0.5)


def test_own_gsims_take_precedence(fake_hazardlib):
    assert type(get_gsim("BooreEtAl2014")) is BooreEtAl2014


def test_errors_from_the_adapter(fake_hazardlib):
    gsim = get_gsim("FakeModel2020")
    with pytest.raises(InputError, match="FakeModel2020 is not defined for IMT PGV"):
        gsim.check_imt(PGV())
    with pytest.raises(InputError, match=r"FakeModel2020 requires \['z1pt0'\]"):
        gsim.get_mean_and_stddevs(Context(mag=np.array([6.0]), rjb=np.array([5.0]),
                                          vs30=np.array([400.0])), [PGA()])
    with pytest.raises(InputError, match=r"hazardlib GSIM FakeModel2020 with parameters "
                                         r"\{'colour': 'red'\} could not be built: TypeError"):
        get_gsim("FakeModel2020", colour="red")
    with pytest.raises(UnknownName, match="unknown GSIM 'NotInEither2020'"):
        get_gsim("NotInEither2020")


def test_per_instance_imts_and_constructor_failures(fake_hazardlib, tmp_path):
    table = tmp_path / "table.txt"
    table.write_text("PGA")
    gsim = get_gsim("FakeTable", gmpe_table=str(table))
    gsim.check_imt(PGA())  # the instance's IMTs, not the class's empty set
    with pytest.raises(InputError, match="FakeTable is not defined for IMT SA"):
        gsim.check_imt(SA(1.0))
    with pytest.raises(InputError, match=r"FakeTable with parameters .*missing.txt.* could not "
                                         r"be built: FileNotFoundError"):
        get_gsim("FakeTable", gmpe_table=str(tmp_path / "missing.txt"))
    with pytest.raises(InputError, match="FakeBadFactory is a function returning a NoneType, "
                                         "not a GSIM"):
        get_gsim("FakeBadFactory")
    with pytest.raises(InputError, match=r"hazardlib GSIM FakeFactory with parameters "
                                         r"\{'colour': 'red'\} could not be built: TypeError"):
        get_gsim("FakeFactory", colour="red")


def test_gsim_functions_are_called_and_their_gsim_adapted(fake_hazardlib):
    import pickle

    gsim = get_gsim("FakeFactory", scale=3.0)
    assert repr(gsim) == "FakeFactory(scale=3.0)"
    assert gsim.hazardlib_gsim.scale == 3.0
    assert gsim.REQUIRES_DISTANCES == frozenset({"rjb"})
    mean, *_ = gsim.get_mean_and_stddevs(
        Context(mag=np.array([6.5]), rjb=np.array([4.0]), vs30=np.array([760.0]),
                z1pt0=np.array([50.0])), [PGA()])
    np.testing.assert_allclose(mean, [[expected_mean(6.5, 4.0, 0.0, 50.0, 3.0)]])
    copy = pickle.loads(pickle.dumps(gsim))  # rebuilt by calling the function again
    assert copy == gsim and copy.hazardlib_gsim.scale == 3.0


def test_undeclared_context_fields_give_a_clear_error(fake_hazardlib):
    gsim = get_gsim("FakeUndeclared2020")
    ctx = Context(mag=np.array([6.0]), rjb=np.array([5.0]), vs30=np.array([760.0]),
                  z1pt0=np.array([50.0]))
    with pytest.raises(InputError, match=r"FakeUndeclared2020\(\) reads the context field "
                                         r"'in_cshm', which it does not declare"):
        gsim.get_mean_and_stddevs(ctx, [PGA()])


def test_gsims_averaging_poes_over_branches_are_refused(fake_hazardlib):
    # their means are the central branch only: bridging them would give wrong curves silently
    with pytest.raises(InputError, match=r"FakeNSHMPMean averages the probabilities of "
                                         r"exceedance of adjusted branches"):
        get_gsim("FakeNSHMPMean")


def test_gmpe_table_with_a_bridged_gsim(fake_hazardlib):
    from toolkit.gmpe import gmpe_table

    table = gmpe_table("FakeModel2020", "SA(1.0)", mag=6.0, rjb=[0.0, 9.0], vs30=760.0,
                       z1pt0=100.0)
    np.testing.assert_allclose(np.log(table["median_g"]),
                               expected_mean(6.0, np.array([0.0, 9.0]), 1.0, 100.0))


def test_without_hazardlib_unknown_names_fail_as_before(no_hazardlib):
    assert not bridge.available()
    assert bridge.hazardlib_gsims() == {}
    assert bridge.gsim_fallback("FakeModel2020") is None
    with pytest.raises(UnknownName, match="unknown GSIM 'FakeModel2020'"):
        get_gsim("FakeModel2020", where="gsim_logic_tree.xml")
    assert type(get_gsim("BooreEtAl2014")) is BooreEtAl2014


def test_bridged_gsims_pickle_by_name(fake_hazardlib):
    import pickle

    gsim = get_gsim("FakeModel2020", scale=3.0)
    copy = pickle.loads(pickle.dumps(gsim))
    assert type(copy) is type(gsim) and copy.hazardlib_gsim.scale == 3.0
    assert copy == gsim


def test_adapter_declares_the_other_imts_hazardlib_declares(fake_hazardlib):
    gsim = get_gsim("FakeArias2019")
    # PGDfLatSpread-like names the toolkit does not parse are left out
    assert gsim.DEFINED_FOR_INTENSITY_MEASURE_TYPES == {"PGA", "SA", "IA"}
    ctx = Context(mag=np.array([6.0, 7.0]), rjb=np.array([5.0, 50.0]),
                  vs30=np.array([400.0, 800.0]), z1pt0=np.array([100.0, 100.0]))
    ia, avgsa = from_string("IA"), from_string("AvgSA(0.5)")
    mean, sig, _, _ = gsim.get_mean_and_stddevs(ctx, [ia, SA(0.5)])
    np.testing.assert_allclose(mean[0], expected_mean(ctx.mag, ctx.rjb, 0.0, 100.0), rtol=1e-14)
    np.testing.assert_allclose(mean[1], expected_mean(ctx.mag, ctx.rjb, 0.5, 100.0), rtol=1e-14)
    with pytest.raises(InputError, match=r"FakeArias2019 is not defined for IMT AvgSA\(0.5\); "
                                         r"it supports \['IA', 'PGA', 'SA'\]"):
        gsim.get_mean_and_stddevs(ctx, [avgsa])


def test_imt_strings_reach_hazardlib_canonical(fake_hazardlib, monkeypatch):
    seen = []
    monkeypatch.setattr(sys.modules["openquake.hazardlib.imt"], "from_string",
                        lambda s: seen.append(s) or s)
    ctx = Context(mag=np.array([6.0]), rjb=np.array([5.0]), vs30=np.array([400.0]),
                  z1pt0=np.array([100.0]))
    imts = [from_string(s) for s in ("AvgSA(0.10)", "AvgSA", "PGA", "SA(1.0)")]
    mean, *_ = get_gsim("FakeAvgSAWrapper").get_mean_and_stddevs(ctx, imts)
    assert seen == ["AvgSA(0.1)", "AvgSA", "PGA", "SA(1.0)"]
    np.testing.assert_allclose(mean[:, 0], expected_mean(6.0, 5.0, np.array([0.1, 0, 0, 1.0]),
                                                         100.0), rtol=1e-14)


def test_wrappers_let_hazardlib_decide_their_imts(fake_hazardlib):
    ctx = Context(mag=np.array([6.0]), rjb=np.array([5.0]), vs30=np.array([400.0]),
                  z1pt0=np.array([100.0]))
    for name in ("FakeAvgSAWrapper", "FakeAvgPoe"):
        gsim = get_gsim(name)
        gsim.check_imt(PGA())  # not declared, but the wrapped models compute it
        mean, *_ = gsim.get_mean_and_stddevs(ctx, [PGA(), SA(0.2)])
        np.testing.assert_allclose(mean[:, 0], expected_mean(6.0, 5.0, np.array([0, 0.2]),
                                                             100.0), rtol=1e-14)
        with pytest.raises(InputError, match=rf"hazardlib GSIM {name} is not defined for one "
                                             r"of the IMTs \['PGA', 'PGV'\]"):
            gsim.get_mean_and_stddevs(ctx, [PGA(), PGV()])
    # a plain model that declares IMTs is still held to them
    with pytest.raises(InputError, match="FakeModel2020 is not defined for IMT IA"):
        get_gsim("FakeModel2020").check_imt(from_string("IA"))


def test_own_gsims_still_refuse_the_other_imts():
    with pytest.raises(InputError, match=r"GSIM BooreEtAl2014 is not defined for IMT IA; "
                                         r"it supports \['PGA', 'PGV', 'SA'\]"):
        BooreEtAl2014().check_imt(from_string("IA"))
    with pytest.raises(InputError, match="GSIM BooreEtAl2014 is not defined for IMT "
                                         r"AvgSA\(1.0\)"):
        BooreEtAl2014().check_imt(from_string("AvgSA(1.0)"))


def test_poe_averaging_models_are_refused(fake_hazardlib):
    with pytest.raises(InputError, match="hazardlib's AvgPoeGMPE averages the probabilities of "
                                         "exceedance of its sub-models.*not supported"):
        get_gsim("AvgPoeGMPE")


def test_text_flags_of_a_site_model_reach_hazardlib_as_flags(fake_hazardlib):
    def ctx(backarc):
        return Context(mag=np.full(4, 6.0), rjb=np.full(4, 5.0), vs30=np.full(4, 400.0),
                       z1pt0=np.full(4, 100.0), backarc=np.array(backarc))

    gsim = get_gsim("FakeBackarc2020")
    gsim.get_mean_and_stddevs(ctx(["False", " true", "TRUE", "0"]), [PGA()])
    assert fake_hazardlib[-1].backarc.tolist() == [False, True, True, False]
    with pytest.raises(InputError, match=r"site parameter backarc: expected numbers or "
                                         r"true/false, got \['maybe'\]"):
        gsim.get_mean_and_stddevs(ctx(["maybe"] * 4), [PGA()])
