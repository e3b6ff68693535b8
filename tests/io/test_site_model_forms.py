"""Site-model forms of OpenQuake's QA cases: NRML files, -999 depths, extra parameters."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from toolkit.errors import InputError
from toolkit.io.jobini import read_job_ini
from toolkit.io.site_model import read_site_model
from toolkit.io.sites import read_sites

JOB = """\
calculation_mode = scenario
{extra}
rupture_dict = {{'lon': 0, 'lat': 0, 'dep': 10, 'mag': 6, 'rake': 0, 'strike': 0, 'dip': 90}}
gsim = BooreAtkinson2008
intensity_measure_types = PGA
number_of_ground_motion_fields = 1
"""

XML = """\
<?xml version="1.0" encoding="utf-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/{version}" xmlns:gml="http://www.opengis.net/gml">
  <siteModel>
    <site lon="0.00" lat="0.0" vs30="200" vs30Type="measured" z1pt0="300" z2pt5="2.0"
          siteclass="D" backarc="1"/>
    <site lon="0.02" lat="0.0" vs30="400" vs30Type="inferred" z1pt0="-999" z2pt5="-999"
          siteclass="C" backarc="0"/>
  </siteModel>
</nrml>
"""


def job(tmp_path: Path, extra: str) -> object:
    path = tmp_path / "job.ini"
    path.write_text(JOB.format(extra=extra))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return read_job_ini(path)


# --------------------------------------------------------------------------- NRML
@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_nrml_site_model(tmp_path, version):
    path = tmp_path / "site_model.xml"
    path.write_text(XML.format(version=version))
    model = read_site_model(path)
    assert model.lons.tolist() == [0.0, 0.02]
    assert model.vs30.tolist() == [200.0, 400.0]
    assert model.vs30measured.tolist() == [True, False]
    assert model.z1pt0[0] == 300.0 and math.isnan(model.z1pt0[1])
    assert model.z2pt5[0] == 2.0 and math.isnan(model.z2pt5[1])
    assert sorted(model.extra) == ["backarc", "siteclass"]
    assert model.extra["siteclass"].tolist() == ["D", "C"]
    assert model.extra["backarc"].dtype == bool and model.extra["backarc"].tolist() == [1, 0]


def test_nrml_site_model_points_are_the_sites(tmp_path):
    (tmp_path / "site_model.xml").write_text(XML.format(version="0.4"))
    sites = read_sites(job(tmp_path, "site_model_file = site_model.xml"))
    assert sites.vs30.tolist() == [200.0, 400.0]
    assert sites.extra["siteclass"].tolist() == ["D", "C"]


@pytest.mark.parametrize("body, match", [
    ('<site lon="0" lat="0" vs30="300" vs30Type="guessed"/>',
     r"site_model.xml line 4: vs30Type must be 'measured' or 'inferred', got 'guessed'"),
    ('<site lon="0" lat="0" vs30="300"/>\n<site lon="1" lat="0"/>',
     r"site_model.xml line 5: <site> lacks the attribute\(s\) vs30"),
    ('<point lon="0" lat="0"/>', r"line 4: <siteModel> may hold only <site> elements"),
    ('', r"line 3: the <siteModel> has no <site> element"),
    ('<site lon="0" lat="0" vs30="x"/>', r"site_model.xml line 4 column 3 \(vs30\): must be a "
                                         "number, got 'x'"),
    ('<site lon="0" lat="0" vs30="300"', r"site_model.xml line 5: malformed XML"),
])
def test_bad_nrml_site_model(tmp_path, body, match):
    path = tmp_path / "site_model.xml"
    path.write_text('<?xml version="1.0"?>\n<nrml xmlns="http://openquake.org/xmlns/nrml/0.5">'
                    f'\n<siteModel>\n{body}\n</siteModel>\n</nrml>\n')
    with pytest.raises(InputError, match=match):
        read_site_model(path)


def test_nrml_file_of_another_kind(tmp_path):
    path = tmp_path / "site_model.xml"
    path.write_text('<?xml version="1.0"?>\n<nrml xmlns="http://openquake.org/xmlns/nrml/0.4">'
                    "\n<sourceModel/>\n</nrml>\n")
    with pytest.raises(InputError, match=r"line 3: expected a <siteModel> element .* got "
                                         "<sourceModel>"):
        read_site_model(path)


# --------------------------------------------------------------------------- -999
def test_unknown_depths_in_csv_are_nan(tmp_path):
    path = tmp_path / "sm.csv"
    path.write_text("lon,lat,vs30,z1pt0,z2pt5\n0,0,300,-999,1.5\n1,0,400,50,-999\n")
    model = read_site_model(path)
    assert np.isnan(model.z1pt0).tolist() == [True, False]
    assert np.isnan(model.z2pt5).tolist() == [False, True]


def test_unknown_reference_depths_in_job_ini(tmp_path):
    params = job(tmp_path, "sites = 0 0\nreference_vs30_value = 760\n"
                           "reference_depth_to_1pt0km_per_sec = -999\n"
                           "reference_depth_to_2pt5km_per_sec = -999")
    assert params.reference_depth_to_1pt0km_per_sec is None
    sites = read_sites(params)
    assert np.isnan(sites.z1pt0).all() and np.isnan(sites.z2pt5).all()


def test_other_negative_reference_depth_is_an_error(tmp_path):
    with pytest.raises(InputError, match=r"job.ini line 4: reference_depth_to_1pt0km_per_sec "
                                         r"must be a non-negative number or -999"):
        job(tmp_path, "sites = 0 0\nreference_vs30_value = 760\n"
                      "reference_depth_to_1pt0km_per_sec = -5")


# --------------------------------------------------------------------------- extra parameters
def test_extra_columns_numbers_and_text(tmp_path):
    path = tmp_path / "sm.csv"
    path.write_text("site_id,lon,lat,vs30,xvf,siteclass,region\n"
                    "a,0,0,300,-30,C,0\nb,1,0,400,25.5,D,1\n")
    model = read_site_model(path)
    assert sorted(model.extra) == ["region", "siteclass", "xvf"]  # site_id is not a parameter
    assert model.extra["xvf"].tolist() == [-30.0, 25.5]
    assert model.extra["siteclass"].dtype.kind == "U"


def test_extra_parameters_follow_the_closest_point(tmp_path):
    (tmp_path / "sm.csv").write_text("lon,lat,vs30,siteclass\n0.02,0,400,D\n0,0,300,C\n")
    sites = read_sites(job(tmp_path, "sites = 0.019 0, 0.001 0\nsite_model_file = sm.csv"))
    assert sites.lons.tolist() == [0.001, 0.019]  # sorted, as OpenQuake does
    assert sites.extra["siteclass"].tolist() == ["C", "D"]


def test_extra_columns_of_only_some_files_are_left_out(tmp_path):
    (tmp_path / "a.csv").write_text("lon,lat,vs30,z1pt4,kappa0\n0,0,300,50,0.03\n")
    (tmp_path / "b.csv").write_text("lon,lat,vs30,z1pt4\n1,0,300,60\n")
    model = read_site_model([tmp_path / "a.csv", tmp_path / "b.csv"])
    assert list(model.extra) == ["z1pt4"] and model.extra["z1pt4"].tolist() == [50.0, 60.0]


def test_reference_z1pt4_from_the_job_ini(tmp_path):
    params = job(tmp_path, "sites = 0 0, 1 0\nreference_vs30_value = 760\n"
                           "reference_depth_to_1pt4km_per_sec = 81")
    assert read_sites(params).extra["z1pt4"].tolist() == [81.0, 81.0]
    # a site-model column wins over the reference value
    (tmp_path / "sm.csv").write_text("lon,lat,vs30,z1pt4\n0,0,300,5\n1,0,300,6\n")
    params = job(tmp_path, "site_model_file = sm.csv\nreference_depth_to_1pt4km_per_sec = 81")
    assert read_sites(params).extra["z1pt4"].tolist() == [5.0, 6.0]


def test_bad_reference_z1pt4(tmp_path):
    params = job(tmp_path, "sites = 0 0\nreference_vs30_value = 760\n"
                           "reference_depth_to_1pt4km_per_sec = deep")
    with pytest.raises(InputError, match=r"job.ini line 4: reference_depth_to_1pt4km_per_sec "
                                         "must be a number"):
        read_sites(params)


def test_no_vs30_anywhere_is_nan_until_a_gsim_needs_it(tmp_path):
    from toolkit.engine.hazard.contexts import Context
    from toolkit.engine.hazard.gsim.base import get_gsim
    from toolkit.engine.hazard.imt import PGA

    (tmp_path / "sm.csv").write_text("lon,lat,siteclass\n0,0,C\n")
    sites = read_sites(job(tmp_path, "site_model_file = sm.csv"))
    assert np.isnan(sites.vs30).all() and sites.extra["siteclass"].tolist() == ["C"]
    ctx = Context(mag=[6.0], rake=[0.0], rjb=[10.0], vs30=sites.vs30)
    with pytest.raises(InputError, match="GSIM BooreEtAl2014 requires vs30, which some sites "
                                         "lack: give a vs30 column"):
        get_gsim("BooreEtAl2014").get_mean_and_stddevs(ctx, [PGA()])


def test_extra_column_names_are_lower_case(tmp_path):
    path = tmp_path / "sm.csv"
    path.write_text("lon,lat,vs30,Backarc,SiteClass\n0,0,300,1,C\n1,0,400,False,D\n")
    model = read_site_model(path)
    assert sorted(model.extra) == ["backarc", "siteclass"]
    assert model.extra["backarc"].tolist() == [True, False]


def test_bad_backarc_names_the_line(tmp_path):
    path = tmp_path / "sm.csv"
    path.write_text("lon,lat,vs30,backarc\n0,0,300,1\n1,0,400,maybe\n")
    with pytest.raises(InputError, match=r"sm.csv line 3 column 4 \(backarc\)"):
        read_site_model(path)


def test_backarc_of_only_some_files_is_false_elsewhere(tmp_path):
    """OpenQuake 3.26 (measured): a site without backarc is not back-arc."""
    (tmp_path / "a.csv").write_text("lon,lat,vs30,backarc\n0,0,300,1\n")
    (tmp_path / "b.csv").write_text("lon,lat,vs30\n1,0,300\n2,0,300\n")
    model = read_site_model([tmp_path / "a.csv", tmp_path / "b.csv"])
    assert model.extra["backarc"].tolist() == [True, False, False]
