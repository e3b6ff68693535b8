"""Site models (``site_model_file``), their association to sites, and region grids."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from toolkit.errors import InputError
from toolkit.io.jobini import read_job_ini
from toolkit.io.site_model import read_site_model
from toolkit.io.sites import read_sites, region_grid

KM_PER_DEGREE = math.pi / 180 * 6371.0  # great-circle km per degree (R = 6371 km)

JOB = """\
calculation_mode = scenario
{extra}
rupture_dict = {{'lon': 0, 'lat': 0, 'dep': 10, 'mag': 6, 'rake': 0, 'strike': 0, 'dip': 90}}
gsim = BooreAtkinson2008
intensity_measure_types = PGA
number_of_ground_motion_fields = 1
"""

# three points on the equator 0.02 degrees (2.224 km) apart, each with its own parameters
MODEL = """\
site_id,lon,lat,vs30,vs30measured,z1pt0,z2pt5,kappa0
a,0.00,0.0,200,1,300,2.0,0.03
b,0.02,0.0,400,0,100,1.0,0.03
c,0.04,0.0,800,true,10,0.5,0.03
"""


def job(tmp_path: Path, extra: str, model: str | None = MODEL):
    if model is not None:
        (tmp_path / "site_model.csv").write_text(model)
    path = tmp_path / "job.ini"
    path.write_text(JOB.format(extra=extra))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return read_job_ini(path)


# --------------------------------------------------------------------------- association
def test_sites_take_the_parameters_of_the_closest_point(tmp_path):
    # site 1 is 1.0 km from a, 1.2 km from b; site 2 1.0 km from b; site 3 (north of c)
    # 1.112 km from c, 2.487 km from b
    params = job(tmp_path, "sites = 0.009 0, 0.011 0, 0.04 0.01\n"
                           "site_model_file = site_model.csv")
    sites = read_sites(params)
    assert sites.vs30.tolist() == [200.0, 400.0, 800.0]
    assert sites.vs30measured.tolist() == [True, False, True]
    assert sites.z1pt0.tolist() == [300.0, 100.0, 10.0]
    assert sites.z2pt5.tolist() == [2.0, 1.0, 0.5]
    assert sites.lons.tolist() == [0.009, 0.011, 0.04]


def test_closest_point_and_distance():
    model = _model([0.0, 0.02, 0.04], [0.0, 0.0, 0.0])
    index, dist = model.closest([0.009, 0.011, 0.04, 0.1], [0.0, 0.0, 0.01, 0.0])
    assert index.tolist() == [0, 1, 2, 2]
    np.testing.assert_allclose(dist, np.array([0.009, 0.009, 0.01, 0.06]) * KM_PER_DEGREE,
                               rtol=1e-9)


def test_closest_point_matches_brute_force_on_many_sites():
    rng = np.random.default_rng(3)
    plon, plat = rng.uniform(-10, 10, 10_000), rng.uniform(30, 50, 10_000)
    model = _model(plon, plat)
    slon, slat = rng.uniform(-10, 10, 20_000), rng.uniform(30, 50, 20_000)
    index, dist = model.closest(slon, slat)
    # brute force on 300 sites: haversine distance to every point
    lon1, lat1 = np.radians(slon[:300, None]), np.radians(slat[:300, None])
    lon2, lat2 = np.radians(plon[None]), np.radians(plat[None])
    h = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    brute = 2 * 6371.0 * np.arcsin(np.sqrt(h))
    assert (index[:300] == brute.argmin(axis=1)).all()
    np.testing.assert_allclose(dist[:300], brute.min(axis=1), rtol=1e-9)


def test_scenario_inputs_use_the_site_model(tmp_path):
    from toolkit.io.inputs import build_inputs

    params = job(tmp_path, "sites = 0.009 0, 0.011 0\nsite_model_file = site_model.csv")
    sites = build_inputs(params).sites
    assert sites.vs30.tolist() == [200.0, 400.0] and sites.z1pt0.tolist() == [300.0, 100.0]


def test_site_farther_than_max_site_model_distance(tmp_path):
    params = job(tmp_path, "sites = 0.01 0.001, 0.2 0\nsite_model_file = site_model.csv")
    with pytest.raises(InputError) as info:
        read_sites(params)
    # 0.16 degrees east of c
    assert str(info.value) == (
        f"{params.job_ini} line 2: sites: site 2 (0.20000, 0.00000) is 17.791 km from the "
        f"closest point (0.04000, 0.00000) of the site model {tmp_path / 'site_model.csv'}, "
        "farther than max_site_model_distance = 5 km (the default); 1 site(s) in all are not "
        "covered: extend the site model or raise max_site_model_distance")
    params = job(tmp_path, "sites = 0.01 0.001, 0.2 0, 0.3 0\nsite_model_file = site_model.csv"
                           "\nmax_site_model_distance = 10")
    with pytest.raises(InputError, match=r"= 10 km \(.*job.ini line 4\); 2 site\(s\) in all"):
        read_sites(params)
    params = job(tmp_path, "sites = 0.012 0.001, 0.2 0\nsite_model_file = site_model.csv\n"
                           "max_site_model_distance = 17.8")
    assert read_sites(params).vs30.tolist() == [400.0, 800.0]


@pytest.mark.parametrize("value", ["0", "-1", "far"])
def test_bad_max_site_model_distance(tmp_path, value):
    with pytest.raises(InputError, match=rf"job.ini line 4: max_site_model_distance must be a "
                                         rf"positive number, got '{value}'"):
        job(tmp_path, f"sites = 0 0\nsite_model_file = site_model.csv\n"
                      f"max_site_model_distance = {value}")


def test_site_model_points_are_the_sites(tmp_path):
    model = "lon,lat,vs30,depth\n1.123456,2,300,-0.5\n1.5,2.5,500,0\n1.1234551,2,700,0\n"
    params = job(tmp_path, "site_model_file = site_model.csv\nreference_vs30_type = measured",
                 model)
    with pytest.raises(InputError, match=r"site_model.csv: sites 1 and 3 are the same site "
                                         r"\(1.12346, 2.00000\)"):
        read_sites(params)
    (tmp_path / "site_model.csv").write_text(model.rsplit("\n", 2)[0] + "\n")
    sites = read_sites(params)
    assert sites.lons.tolist() == [1.12346, 1.5] and sites.lats.tolist() == [2.0, 2.5]
    assert sites.depths.tolist() == [-0.5, 0.0] and sites.vs30.tolist() == [300.0, 500.0]
    assert sites.vs30measured.all()  # from reference_vs30_type
    assert np.isnan(sites.z1pt0).all() and np.isnan(sites.z2pt5).all()


def test_several_files_and_reference_values(tmp_path):
    # like OpenQuake's QA classical case_10: lon and lat only, vs30 from the reference
    (tmp_path / "b.csv").write_text("lon,lat\n-65.1349,0\n")
    params = job(tmp_path, "site_model_file = site_model.csv b.csv\n"
                           "reference_vs30_value = 760\nreference_vs30_type = measured\n"
                           "reference_depth_to_1pt0km_per_sec = 48\n"
                           "reference_depth_to_2pt5km_per_sec = 0.607")
    sites = read_sites(params)
    assert sites.lons.tolist() == [0.0, 0.02, 0.04, -65.1349]
    assert sites.vs30.tolist() == [200.0, 400.0, 800.0, 760.0]
    assert sites.vs30measured.tolist() == [True, False, True, True]
    assert sites.z1pt0.tolist() == [300.0, 100.0, 10.0, 48.0]
    assert sites.z2pt5.tolist() == [2.0, 1.0, 0.5, 0.607]


def test_site_model_files_are_inputs_of_the_job(tmp_path):
    # they enter the job's checksum and its input archive: editing one is a new job
    from toolkit.io.inputs import input_files
    from toolkit.store.exporters import input_checksum

    (tmp_path / "b.csv").write_text("lon,lat\n-65.1349,0\n")
    params = job(tmp_path, "site_model_file = site_model.csv b.csv\n"
                           "reference_vs30_value = 760")
    files = input_files(params)
    assert tmp_path / "site_model.csv" in files and tmp_path / "b.csv" in files
    before = input_checksum(files)
    (tmp_path / "b.csv").write_text("lon,lat\n-65.1349,0.1\n")
    assert input_checksum(input_files(params)) != before


def test_missing_site_model_file(tmp_path):
    with pytest.raises(InputError, match="line 2: site_model_file refers to a missing file"):
        job(tmp_path, "site_model_file = site_model.csv nope.csv")


# --------------------------------------------------------------------------- bad files
@pytest.mark.parametrize("text, match", [
    ("", "site_model.csv: the site model file is empty"),
    ("# comment only\n\n", "site_model.csv: the site model file is empty"),
    ("lon,lat,vs30\n", "site_model.csv: the site model file has a header but no points"),
    ("lat,vs30\n0,300\n", r"line 1: the header must name the column\(s\) lon; got 'lat,vs30'"),
    ("lon,lat,vs30,vs30\n0,0,1,1\n", "line 1: column 'vs30' appears twice"),
    ("lon,lat,vs30\n0,0,300\n1,1\n", r"line 3: 2 value\(s\), expected 3"),
    ("lon,lat,vs30\n0,0,300\n\n1,1,abc\n", r"line 4 column 3 \(vs30\): must be a number, "
                                          "got 'abc'"),
    ("lon,lat,vs30\n0,0,300\n1,1,nan\n", r"line 3 column 3 \(vs30\): must be a number"),
    ("lon,lat,vs30\n0,0,300\n1,1,0\n", r"line 3 column 3 \(vs30\): must be positive \(m/s\), "
                                       "got 0"),
    ("lon,lat,vs30\n0,0,-300\n", r"line 2 column 3 \(vs30\): must be positive"),
    ("vs30,lat,lon\n300,0,200\n", r"line 2 column 3 \(lon\): must be in \[-180, 180\], got 200"),
    ("lon,lat,vs30\n0,95,300\n", r"line 2 column 2 \(lat\): must be in \[-90, 90\]"),
    ("lon,lat,vs30,z1pt0\n0,0,300,-1\n", r"line 2 column 4 \(z1pt0\): must be non-negative"),
    ("lon,lat,vs30,z2pt5\n0,0,300,x\n", r"line 2 column 4 \(z2pt5\): must be a number"),
    ("lon,lat,vs30,vs30measured\n0,0,300,yes\n", r"line 2 column 4 \(vs30measured\): must be "
                                                 "0, 1, true or false, got 'yes'"),
    ("lon,lat,vs30,z2pt5\n0,0,300,-998\n", r"line 2 column 4 \(z2pt5\): must be non-negative "
                                        r"\(km\) or -999 \(unknown\), got -998"),
    ("<?xml version='1.0'?>\n<nrml><siteModel/></nrml>\n",
     "site_model.csv line 2: unknown NRML namespace"),
])
def test_bad_site_model_file(tmp_path, text, match):
    params = job(tmp_path, "site_model_file = site_model.csv", text)
    with pytest.raises(InputError, match=match):
        read_sites(params)


def test_vs30measured_spellings(tmp_path):
    path = tmp_path / "sm.csv"
    path.write_text("lon,lat,vs30,vs30measured\n0,0,1,TRUE\n1,0,1,False\n2,0,1,1.0\n3,0,1,0\n")
    assert read_site_model(path).vs30measured.tolist() == [True, False, True, False]


# --------------------------------------------------------------------------- region grids
RECTANGLE = np.array([[10.0, 43.0], [10.5, 43.0], [10.5, 43.4], [10.0, 43.4]])


def _lattice_count(west, south, east, north, s):
    """Points of a lattice s km apart anchored at the north-west corner of a lon/lat
    rectangle that lie strictly inside the rectangle dilated by s km (rounded corners), in a
    flat approximation (the width of each row measured at its latitude), plus the points of
    the row on the northern offset edge above the rectangle."""
    height = (north - south) * KM_PER_DEGREE
    count = 0
    for n in range(-1, 10_000):
        y = n * s  # km south of the northern edge
        if y >= height + s:
            return count
        width = (east - west) * KM_PER_DEGREE * math.cos(math.radians(north - y / KM_PER_DEGREE))
        for m in range(10_000):
            x = m * s
            if x >= width + s:
                break
            if n == -1:
                count += x <= width
            else:
                count += math.hypot(max(x - width, 0), max(y - height, 0)) < s
    raise AssertionError("unreachable")


@pytest.mark.parametrize("spacing", [3.0, 5.0, 7.0, 10.0, 13.0])
def test_rectangle_grid_count(spacing):
    lons, lats = region_grid(RECTANGLE, spacing)
    assert len(lons) == _lattice_count(10.0, 43.0, 10.5, 43.4, spacing)


def test_rectangle_grid_as_measured_on_openquake():
    # OpenQuake 3.26.2 run on this region (classical, region_grid_spacing 10 and 7): 40 and
    # 62 sites; the lattice starts at the north-west corner and covers the region dilated by
    # one spacing (corner points as exported, 5 decimals)
    lons, lats = region_grid(RECTANGLE, 10.0)
    got = set(zip(lons.round(5).tolist(), lats.round(5).tolist(), strict=True))
    assert len(got) == 40
    assert {(10.0, 43.4), (9.99909, 42.95034), (10.00018, 43.48993), (10.49602, 43.48993),
            (10.61888, 43.4), (10.61451, 43.04027), (10.49056, 42.95034)} <= got
    assert len(region_grid(RECTANGLE, 7.0)[0]) == 62
    # a non-convex pentagon, 8 km: 49 sites
    pentagon = np.array([[10.0, 43.0], [10.6, 43.1], [10.4, 43.5], [10.2, 43.3], [10.05, 43.45]])
    assert len(region_grid(pentagon, 8.0)[0]) == 49
    # the orientation of the polygon does not matter
    np.testing.assert_allclose(np.stack(region_grid(pentagon[::-1], 8.0)),
                               np.stack(region_grid(pentagon, 8.0)), rtol=0, atol=1e-9)


def test_region_grid_job_with_reference_and_site_model(tmp_path):
    extra = ("region = 10 43, 10.5 43, 10.5 43.4, 10 43.4\nregion_grid_spacing = 10\n"
             "reference_vs30_value = 600")
    sites = read_sites(job(tmp_path, extra, model=None))
    assert len(sites) == 40 and (sites.vs30 == 600).all() and (sites.depths == 0).all()
    # a site model on a 0.05 degree lattice covers the grid (at most 3.4 km away)
    lon, lat = np.meshgrid(np.arange(9.8, 10.75, 0.05), np.arange(42.9, 43.55, 0.05))
    vs30 = 200 + 100 * (lon.ravel() - 9.8)
    rows = "\n".join(f"{x:.2f},{y:.2f},{v:.1f}" for x, y, v in zip(lon.ravel(), lat.ravel(),
                                                                    vs30, strict=True))
    sites = read_sites(job(tmp_path, "region = 10 43, 10.5 43, 10.5 43.4, 10 43.4\n"
                                     "region_grid_spacing = 10\nsite_model_file = site_model.csv",
                           "lon,lat,vs30\n" + rows + "\n"))
    assert len(sites) == 40
    np.testing.assert_allclose(sites.vs30, 200 + 100 * (np.round(sites.lons / 0.05) * 0.05
                                                         - 9.8), atol=1e-9)


def test_grid_points_past_a_site_model_that_covers_the_region_are_dropped(tmp_path):
    # the grid covers the region dilated by one spacing (10 km): with a site model on the
    # region itself, the outer grid points are 5-10 km from it; OpenQuake warns and runs
    from toolkit.io.jobini import JobIniWarning

    lon, lat = np.meshgrid(np.arange(10.0, 10.501, 0.05), np.arange(43.0, 43.401, 0.05))
    rows = "\n".join(f"{x:.2f},{y:.2f},400" for x, y in zip(lon.ravel(), lat.ravel(),
                                                            strict=True))
    params = job(tmp_path, "region = 10 43, 10.5 43, 10.5 43.4, 10 43.4\n"
                           "region_grid_spacing = 10\nsite_model_file = site_model.csv",
                 "lon,lat,vs30\n" + rows + "\n")
    with pytest.warns(JobIniWarning, match=r"region grid: \d+ of 40 grid points are farther "
                                           r"than max_site_model_distance = 5 km"):
        sites = read_sites(params)
    assert 0 < len(sites) < 40 and (sites.vs30 == 400).all()
    model = read_site_model([tmp_path / "site_model.csv"])
    assert model.closest(sites.lons, sites.lats)[1].max() <= 5.0
    # listed sites are never dropped: a far one stays an error
    with pytest.raises(InputError, match="farther than max_site_model_distance"):
        read_sites(job(tmp_path, "sites = 11 43\nsite_model_file = site_model.csv", None))


def test_region_errors(tmp_path):
    with pytest.raises(InputError, match="line 2: region_grid_spacing must be a positive "
                                         "number, got '-5'"):
        job(tmp_path, "region_grid_spacing = -5\nregion = 0 0, 1 0, 1 1\n"
                      "reference_vs30_value = 600", model=None)
    params = job(tmp_path, "region_grid_spacing = 5\nsites = 0 0\nreference_vs30_value = 600",
                 model=None)
    with pytest.raises(InputError, match=r"line 2: give either sites \(.*line 3\) or a grid"):
        read_sites(params)
    params = job(tmp_path, "region_grid_spacing = 5\nsite_model_file = site_model.csv")
    with pytest.raises(InputError, match="line 2: region_grid_spacing needs region"):
        read_sites(params)


# --------------------------------------------------------------------------- end to end
SOURCE_MODEL = """\
<?xml version="1.0" encoding="utf-8"?>
<nrml xmlns:gml="http://www.opengis.net/gml" xmlns="http://openquake.org/xmlns/nrml/0.5">
  <sourceModel name="one point">
    <sourceGroup name="g" tectonicRegion="Active Shallow Crust">
      <pointSource id="P1" name="p" tectonicRegion="Active Shallow Crust">
        <pointGeometry><gml:Point><gml:pos>0.0 0.0</gml:pos></gml:Point>
          <upperSeismoDepth>0.0</upperSeismoDepth><lowerSeismoDepth>20.0</lowerSeismoDepth>
        </pointGeometry>
        <magScaleRel>WC1994</magScaleRel><ruptAspectRatio>1.0</ruptAspectRatio>
        <truncGutenbergRichterMFD aValue="3.0" bValue="1.0" minMag="5.0" maxMag="6.5"/>
        <nodalPlaneDist><nodalPlane probability="1.0" strike="0" dip="90" rake="0"/>
        </nodalPlaneDist>
        <hypoDepthDist><hypoDepth probability="1.0" depth="10.0"/></hypoDepthDist>
      </pointSource>
    </sourceGroup>
  </sourceModel>
</nrml>
"""

SMLT = """\
<?xml version="1.0" encoding="UTF-8"?>
<nrml xmlns:gml="http://www.opengis.net/gml" xmlns="http://openquake.org/xmlns/nrml/0.5">
  <logicTree logicTreeID="lt">
    <logicTreeBranchSet uncertaintyType="sourceModel" branchSetID="bs">
      <logicTreeBranch branchID="b1">
        <uncertaintyModel>source_model.xml</uncertaintyModel>
        <uncertaintyWeight>1.0</uncertaintyWeight>
      </logicTreeBranch>
    </logicTreeBranchSet>
  </logicTree>
</nrml>
"""

CLASSICAL = """\
[general]
description = site model end to end
calculation_mode = classical
[geometry]
site_model_file = site_model.csv
[site_params]
reference_depth_to_1pt0km_per_sec = 40.0
[calculation]
source_model_logic_tree_file = smlt.xml
gsim = BooreEtAl2014
investigation_time = 50.0
width_of_mfd_bin = 0.1
intensity_measure_types_and_levels = {"PGA": [0.01, 0.02, 0.05, 0.1, 0.2, 0.3]}
truncation_level = 3
maximum_distance = 200.0
"""


class _Sink:
    result = None

    def save(self, result):
        self.result = result


def test_classical_job_with_a_site_model(tmp_path):
    from toolkit.engine.hazard.calculators.classical import ClassicalCalculator
    from toolkit.io.inputs import build_inputs, load_job

    (tmp_path / "source_model.xml").write_text(SOURCE_MODEL)
    (tmp_path / "smlt.xml").write_text(SMLT)
    # two sites 20 km from the source, east and west: soft soil and rock
    (tmp_path / "site_model.csv").write_text(
        "lon,lat,vs30,vs30measured\n0.17987,0,180,1\n-0.17987,0,760,1\n")
    (tmp_path / "job.ini").write_text(CLASSICAL)
    inputs = build_inputs(load_job(tmp_path / "job.ini"))
    assert inputs.sites.vs30.tolist() == [180.0, 760.0]
    calc = ClassicalCalculator(inputs, _Sink())
    calc.run()
    result = calc.writer.result
    assert result.sites.vs30.tolist() == [180.0, 760.0]
    soft, rock = result.curves_rlzs[0, 0], result.curves_rlzs[1, 0]
    assert (rock > 0).all()
    assert (soft > rock).all(), (soft, rock)
    assert soft[3] > 2 * rock[3]  # at 0.1 g


def _model(lons, lats):
    from toolkit.io.site_model import SiteModel

    n = len(lons)
    return SiteModel(lons=np.asarray(lons, float), lats=np.asarray(lats, float),
                     depths=np.zeros(n), vs30=np.arange(1.0, n + 1), vs30measured=np.zeros(n, bool),
                     z1pt0=np.zeros(n), z2pt5=np.zeros(n))


# --------------------------------------------------------------------------- risk sites
def test_risk_hazard_sites_take_the_site_model(tmp_path):
    """The hazard sites of a risk job (asset locations) take the site model's parameters,
    and one too far from it is named."""
    from toolkit.io.risk_inputs import _site_collection

    params = job(tmp_path, "site_model_file = site_model.csv")
    coords = np.array([[0.009, 0.0, 0.0], [0.041, 0.0, 0.0]])
    sites = _site_collection(params, coords, with_params=True)
    assert sites.vs30.tolist() == [200.0, 800.0]
    assert sites.z1pt0.tolist() == [300.0, 10.0]
    with pytest.raises(InputError, match=r"the hazard sites of the assets.*site 1"):
        _site_collection(params, np.array([[1.0, 1.0, 0.0]]), with_params=True)
