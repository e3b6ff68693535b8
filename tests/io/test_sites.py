"""Sites from job.ini ``sites`` or ``sites_csv``, with the reference site parameters."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from toolkit.engine.hazard.sites import SiteCollection
from toolkit.errors import InputError
from toolkit.io.jobini import JobIniWarning, read_job_ini
from toolkit.io.sites import read_sites, read_sites_csv


@pytest.fixture
def qa(shared_dir: Path) -> Path:
    return shared_dir / "reference" / "openquake" / "qa"


def read_quiet(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return read_job_ini(path)


JOB = """\
calculation_mode = scenario
reference_vs30_value = 400
reference_vs30_type = inferred
{extra}
rupture_dict = {{'lon': 0, 'lat': 0, 'dep': 10, 'mag': 6}}
gsim = BooreAtkinson2008
intensity_measure_types = PGA
number_of_ground_motion_fields = 1
"""


def job(tmp_path: Path, extra: str, csv_text: str | None = None):
    if csv_text is not None:
        (tmp_path / "sites.csv").write_text(csv_text)
    path = tmp_path / "job.ini"
    path.write_text(JOB.format(extra=extra))
    return read_quiet(path)


def test_case_01_sites_and_parameters(qa):
    with pytest.warns(JobIniWarning):  # its intentional misspelling
        params = read_job_ini(qa / "classical" / "case_01" / "job.ini")
    sites = read_sites(params)
    assert isinstance(sites, SiteCollection) and len(sites) == 4
    np.testing.assert_array_equal(sites.lons, [0.0, 0.1, 0.2, 0.3])
    np.testing.assert_array_equal(sites.lats, [0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(sites.depths, [-0.1] * 4)
    np.testing.assert_array_equal(sites.vs30, [800.0] * 4)
    assert sites.vs30measured.dtype == bool and sites.vs30measured.all()
    np.testing.assert_array_equal(sites.z1pt0, [50.0] * 4)  # m
    np.testing.assert_array_equal(sites.z2pt5, [2.5] * 4)  # km


def test_case_04_missing_depth_is_nan(qa):
    sites = read_sites(read_quiet(qa / "classical" / "case_04" / "job.ini"))
    assert sites.lons.tolist() == [-5.34] and sites.lats.tolist() == [36.13]
    assert sites.depths.tolist() == [0.0]
    assert sites.z1pt0.tolist() == [30.0]
    assert np.isnan(sites.z2pt5).all()


def test_oq_sites_csv_with_header(qa):
    coords = read_sites_csv(qa / "scenario_risk" / "case_1" / "sites.csv")
    assert coords.tolist() == [[15.56, 38.17, 0.0]]


def test_sites_csv_variants(tmp_path):
    params = job(tmp_path, "sites_csv = sites.csv", "1.0,2.0\n3.0,4.0,-0.5\n\n")
    sites = read_sites(params)
    assert sites.lons.tolist() == [1.0, 3.0] and sites.lats.tolist() == [2.0, 4.0]
    assert sites.depths.tolist() == [0.0, -0.5]
    assert sites.vs30.tolist() == [400.0, 400.0] and not sites.vs30measured.any()
    assert np.isnan(sites.z1pt0).all() and np.isnan(sites.z2pt5).all()
    params = job(tmp_path, "sites_csv = sites.csv",
                 "custom_site_id,depth,lat,lon\na,1.5,10,20\nb,2,11,21\n")
    sites = read_sites(params)
    assert sites.lons.tolist() == [20.0, 21.0] and sites.depths.tolist() == [1.5, 2.0]


def test_coordinates_are_rounded_to_5_decimals(tmp_path):
    sites = read_sites(job(tmp_path, "sites = 10.1234567 45.0000049"))
    assert sites.lons.tolist() == [10.12346] and sites.lats.tolist() == [45.0]
    # near-ties follow the binary value, as OpenQuake (numpy.round gives 15.12568)
    sites = read_sites(job(tmp_path, "sites = 15.125685 37.731905"))
    assert sites.lons.tolist() == [15.12569] and sites.lats.tolist() == [37.7319]


def test_duplicate_sites(tmp_path):
    params = job(tmp_path, "sites = 1 1, 2 2, 1.000001 1, 3 3")
    with pytest.raises(InputError) as info:
        read_sites(params)
    assert str(info.value) == (
        f"{params.job_ini} line 4: sites: sites 1 and 3 are the same site (1.00000, 1.00000) "
        "after rounding to 5 decimals; 1 duplicate(s) in all")
    params = job(tmp_path, "sites_csv = sites.csv", "lon,lat\n5,5\n6,6\n5,5\n")
    with pytest.raises(InputError, match=r"sites.csv: sites 1 and 3 are the same site"):
        read_sites(params)


def test_sites_list_is_sorted_on_rounded_coordinates(tmp_path):
    """OpenQuake 3.26 (measured) exports ``sites = 0.6 0, 0.4 0.1, 0.4 0`` as 0.4 0, 0.4 0.1,
    0.6 0: the list is sorted by lon then lat, rounded to 5 decimals."""
    sites = read_sites(job(tmp_path, "sites = 2 5 1.5, 2.000001 4, 1 9"))
    assert sites.lons.tolist() == [1.0, 2.0, 2.0] and sites.lats.tolist() == [9.0, 4.0, 5.0]
    assert sites.depths.tolist() == [0.0, 0.0, 1.5]  # the depth follows its site


def test_headerless_sites_csv_is_sorted_on_rounded_coordinates(tmp_path):
    """OpenQuake sorts a headerless sites file by lon then lat, rounded to 5 decimals."""
    params = job(tmp_path, "sites_csv = sites.csv",
                 "2,5\n2.000001,4\n1,9\n")  # 2.000001 and 2 tie in lon after rounding
    sites = read_sites(params)
    assert sites.lons.tolist() == [1.0, 2.0, 2.0] and sites.lats.tolist() == [9.0, 4.0, 5.0]


def test_headerless_duplicates_name_the_file_lines(tmp_path):
    params = job(tmp_path, "sites_csv = sites.csv", "\n5,5\n1,1\n5.000001,5\n")
    with pytest.raises(InputError) as info:
        read_sites(params)
    assert "sites.csv lines 2 and 4 are the same site (5.00000, 5.00000) after rounding" \
        in str(info.value)


@pytest.mark.parametrize("csv_text, match", [
    ("", "sites.csv: the sites file is empty"),
    ("lon,lat\n", "the sites file has a header but no sites"),
    ("x,y\n1,2\n", r"sites.csv line 1: the header must name the columns 'lon' and 'lat'"),
    ("1,2\n3,abc\n", "sites.csv line 2: lat must be a number, got 'abc'"),
    ("1\n", "sites.csv line 1: lat must be a number, got ''"),
    ("1,2\n200,0\n", r"sites.csv line 2: site \(200, 0\) is out of range"),
])
def test_bad_sites_csv(tmp_path, csv_text, match):
    params = job(tmp_path, "sites_csv = sites.csv", csv_text)
    with pytest.raises(InputError, match=match):
        read_sites(params)


def test_no_sites(tmp_path):
    with pytest.raises(InputError, match=r"job.ini: missing sites .* calculation_mode "
                                         "'scenario'"):
        job(tmp_path, "sites =")
    path = tmp_path / "job.ini"
    path.write_text("calculation_mode = scenario_risk\nreference_vs30_value = 400\nsites =\n")
    with pytest.raises(InputError, match=r"job.ini: no sites: give 'sites = lon lat"):
        read_sites(read_quiet(path))
    with pytest.raises(InputError, match="line 4: region needs region_grid_spacing"):
        read_sites(job(tmp_path, "region = 0 0, 1 0, 1 1"))


def test_missing_vs30(tmp_path):
    path = tmp_path / "job.ini"
    path.write_text("calculation_mode = scenario_risk\nsites = 1 1\n")
    params = read_quiet(path)
    with pytest.raises(InputError, match="missing reference_vs30_value"):
        read_sites(params)


def test_sites_take_precedence_over_sites_csv(tmp_path):
    params = job(tmp_path, "sites = 7 8\nsites_csv = sites.csv", "1,2\n")
    with pytest.warns(JobIniWarning, match="both sites and sites_csv are given; using sites"):
        sites = read_sites(params)
    assert sites.lons.tolist() == [7.0]


def test_site_model_with_sites(tmp_path):
    (tmp_path / "site_model.csv").write_text("lon,lat,vs30\n0,0,300\n")
    sites = read_sites(job(tmp_path, "sites = 0.01 0\nsite_model_file = site_model.csv"))
    assert sites.vs30.tolist() == [300.0] and not sites.vs30measured.any()


def test_region_grid_sites_in_openquakes_order(tmp_path):
    # OpenQuake 3.26 orders grid sites by longitude then latitude (QA classical case_40)
    sites = read_sites(job(tmp_path, "region = -1.0 -1.5, -1.0 0.7, 1.0 0.7, 1.0 -1.5\n"
                                     "region_grid_spacing = 100.0"))
    lonlat = np.round(np.stack([sites.lons, sites.lats], axis=1), 5)
    assert len(sites) == 16
    np.testing.assert_array_equal(lonlat[:5], [[-1.0006, -0.19888], [-1.00054, 0.70045],
                                               [-1.00044, -1.0982], [-1.00006, -1.99752],
                                               [-0.10127, -0.19888]])
    assert np.all(np.diff(lonlat[:, 0]) >= 0)
