"""toolkit.gmpe_table: GSIMs on broadcast arrays of scenarios."""

from __future__ import annotations

import numpy as np
import pytest

import toolkit
from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.boore_2014 import BooreEtAl2014
from toolkit.engine.hazard.imt import SA
from toolkit.errors import InputError, UnknownName


def test_values_equal_the_model_and_columns_are_named():
    rjb = np.array([1.0, 10.0, 100.0])
    table = toolkit.gmpe_table("BooreEtAl2014", "SA(1.0)", mag=6.5, rake=0.0, rjb=rjb,
                               vs30=400.0)
    assert list(table.columns) == ["mag", "rake", "rjb", "vs30", "median_g", "sigma_ln",
                                   "tau_ln", "phi_ln"]
    ctx = Context(mag=np.full(3, 6.5), rake=np.zeros(3), rjb=rjb, vs30=np.full(3, 400.0))
    mean, sig, tau, phi = BooreEtAl2014().get_mean_and_stddevs(ctx, [SA(1.0)])
    assert np.allclose(table["median_g"], np.exp(mean[0]))
    assert np.allclose(table["sigma_ln"], sig[0]) and np.allclose(table["tau_ln"], tau[0])
    assert np.allclose(table["sigma_ln"] ** 2, table["tau_ln"] ** 2 + table["phi_ln"] ** 2)
    assert table["median_g"].is_monotonic_decreasing


def test_broadcasting_gives_every_combination():
    table = toolkit.gmpe_table("SadighEtAl1997", "PGA", mag=[[5.0], [6.0], [7.0]], rake=0.0,
                               rrup=[10.0, 50.0], vs30=800.0)
    assert len(table) == 6
    assert sorted(set(table["mag"])) == [5.0, 6.0, 7.0]
    assert table["tau_ln"].isna().all()  # Sadigh has a total sigma only


def test_errors_name_what_is_wrong():
    with pytest.raises(InputError, match=r"BooreEtAl2014 requires \['rjb'\]"):
        toolkit.gmpe_table("BooreEtAl2014", "PGA", mag=6.0, rake=0.0, vs30=760.0)
    with pytest.raises(InputError, match="unknown parameter.*'distance'"):
        toolkit.gmpe_table("BooreEtAl2014", "PGA", mag=6.0, rake=0.0, vs30=760.0, rjb=1.0,
                           distance=3.0)
    with pytest.raises(InputError, match=r"SadighEtAl1997.*SA\(8.0\)"):
        toolkit.gmpe_table("SadighEtAl1997", "SA(8.0)", mag=6.0, rake=0.0, rrup=1.0,
                           vs30=800.0)
    with pytest.raises(UnknownName, match="did you mean.*BooreEtAl2014"):
        toolkit.gmpe_table("BooreEtAl2015", "PGA", mag=6.0)
    with pytest.raises(InputError, match="broadcast"):
        toolkit.gmpe_table("SadighEtAl1997", "PGA", mag=[5.0, 6.0], rake=0.0,
                           rrup=[1.0, 2.0, 3.0], vs30=800.0)
