"""``override_vs30``: one site repeated on several vs30 values, with derived basin depths."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from toolkit.engine.hazard.sites import SiteCollection
from toolkit.errors import InputError
from toolkit.io.override_vs30 import apply_override_vs30, z1pt0_from_vs30, z2pt5_from_vs30


def params(value: str | None) -> SimpleNamespace:
    raw = {} if value is None else {"override_vs30": value}
    return SimpleNamespace(raw=raw, where=lambda key: f"job.ini line 6 ({key})")


ONE = SiteCollection([15.2], [37.5], vs30=[800.0], vs30measured=[True], z1pt0=[100.0],
                     z2pt5=[5.0])


def test_absent_leaves_the_sites():
    assert apply_override_vs30(params(None), ONE) is ONE


def test_one_site_per_value_in_order_with_derived_depths():
    sites = apply_override_vs30(params("365 830"), ONE)
    assert len(sites) == 2
    np.testing.assert_array_equal(sites.vs30, [365.0, 830.0])
    np.testing.assert_array_equal(sites.lons, [15.2, 15.2])
    np.testing.assert_array_equal(sites.lats, [37.5, 37.5])
    assert sites.vs30measured.all()
    # Chiou & Youngs (2014) eq. 1 with 571 m/s, by hand for vs30 = 365
    z1 = np.exp(-7.15 / 4 * np.log((365.0**4 + 571.0**4) / (1360.0**4 + 571.0**4)))
    assert sites.z1pt0[0] == pytest.approx(z1, rel=1e-12)
    assert sites.z1pt0[0] == pytest.approx(396.957, abs=1e-3)
    # Campbell & Bozorgnia (2014) eq. 33
    assert sites.z2pt5[1] == pytest.approx(np.exp(7.089 - 1.144 * np.log(830.0)), rel=1e-12)
    np.testing.assert_allclose(sites.z1pt0, z1pt0_from_vs30(sites.vs30))
    np.testing.assert_allclose(sites.z2pt5, z2pt5_from_vs30(sites.vs30))


def test_z1pt0_is_1360_ms_reference_and_decreasing():
    assert z1pt0_from_vs30(np.array([1360.0]))[0] == pytest.approx(1.0)
    z = z1pt0_from_vs30(np.array([200.0, 400.0, 800.0]))
    assert np.all(np.diff(z) < 0)


@pytest.mark.parametrize("value", ["abc", "365 -1", "0"])
def test_bad_values_name_the_line(value):
    with pytest.raises(InputError, match=r"job.ini line 6.*override_vs30 must be"):
        apply_override_vs30(params(value), ONE)


def test_several_sites_refused():
    two = SiteCollection([15.2, 15.3], [37.5, 37.6], vs30=800.0)
    with pytest.raises(InputError, match="needs a single site.*not supported"):
        apply_override_vs30(params("365 830"), two)


def test_extra_site_parameters_are_repeated_per_copy():
    one = SiteCollection([15.2], [37.5], vs30=[800.0], extra={"backarc": [True],
                                                              "siteclass": ["C"]})
    sites = apply_override_vs30(params("365 830 1100"), one)
    assert sites.extra["backarc"].tolist() == [True] * 3
    assert sites.extra["siteclass"].tolist() == ["C"] * 3


def test_scenario_jobs_apply_it(tmp_path):
    """OpenQuake 3.26 (measured) exports one site per value in a scenario job too."""
    import warnings

    from toolkit.io.inputs import build_inputs
    from toolkit.io.jobini import read_job_ini

    path = tmp_path / "job.ini"
    path.write_text("calculation_mode = scenario\nsites = 0.1 0.0\noverride_vs30 = 300 800\n"
                    "rupture_dict = {'lon': 0, 'lat': 0, 'dep': 10, 'mag': 6, 'rake': 0, "
                    "'strike': 0, 'dip': 90}\ngsim = BooreAtkinson2008\n"
                    "intensity_measure_types = PGA\nnumber_of_ground_motion_fields = 1\n"
                    "reference_vs30_value = 760\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inputs = build_inputs(read_job_ini(path))
    np.testing.assert_array_equal(inputs.sites.vs30, [300.0, 800.0])
    np.testing.assert_array_equal(inputs.sites.lons, [0.1, 0.1])
