"""Risk job.ini keys and the risk input builder: sites, assets, models, bad input."""

from __future__ import annotations

import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from toolkit.engine.hazard.calculators.classical import ClassicalInputs
from toolkit.engine.hazard.calculators.event_based import EventBasedInputs
from toolkit.engine.hazard.calculators.gmfs import GmfResult
from toolkit.engine.hazard.calculators.scenario import ScenarioInputs
from toolkit.errors import InputError
from toolkit.io.inputs import SUPPORTED_MODES, build_inputs, input_files
from toolkit.io.jobini import read_job_ini
from toolkit.io.risk_inputs import risk_sites

VULNERABILITY = """<?xml version="1.0" encoding="utf-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/0.5">
  <vulnerabilityModel id="v" assetCategory="buildings" lossCategory="{lt}">
    <vulnerabilityFunction id="RC" dist="LN">
      <imls imt="PGA">0.05 0.1 0.2 0.4 0.8</imls>
      <meanLRs>0.01 0.05 0.15 0.4 0.7</meanLRs>
      <covLRs>0.3 0.3 0.3 0.3 0.3</covLRs>
    </vulnerabilityFunction>
    <vulnerabilityFunction id="RM" dist="LN">
      <imls imt="SA(0.3)">0.05 0.1 0.2 0.4 0.8</imls>
      <meanLRs>0.02 0.08 0.2 0.5 0.8</meanLRs>
      <covLRs>0.0 0.0 0.0 0.0 0.0</covLRs>
    </vulnerabilityFunction>
  </vulnerabilityModel>
</nrml>
"""

FRAGILITY = """<?xml version="1.0" encoding="utf-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/0.5">
  <fragilityModel id="f" assetCategory="buildings" lossCategory="structural">
    <limitStates>slight collapse</limitStates>
    <fragilityFunction id="RC" format="discrete">
      <imls imt="PGA" noDamageLimit="0.05">0.1 0.2 0.4</imls>
      <poes ls="slight">0.1 0.5 0.9</poes>
      <poes ls="collapse">0.01 0.1 0.5</poes>
    </fragilityFunction>
    <fragilityFunction id="RM" format="continuous" shape="logncdf">
      <imls imt="PGA" minIML="0.05" maxIML="2.0"/>
      <params ls="slight" mean="0.2" stddev="0.1"/>
      <params ls="collapse" mean="0.6" stddev="0.3"/>
    </fragilityFunction>
  </fragilityModel>
</nrml>
"""

EXPOSURE = """id,lon,lat,taxonomy,number,structural,night,day,OCC
a1,10.05,45.02,RC,10,1000,4,8,res
a2,10.10,45.00,RM,5,500,2,0,com
a3,10.10,45.00,RC,1,2000,1,1,res
a4,9.95,44.95,RM,2,800,3,5,res
"""

SOURCE_MODEL = """<?xml version="1.0" encoding="utf-8"?>
<nrml xmlns:gml="http://www.opengis.net/gml" xmlns="http://openquake.org/xmlns/nrml/0.5">
  <sourceModel name="tiny"><sourceGroup name="g" tectonicRegion="Active Shallow Crust">
    <pointSource id="P1" name="p" tectonicRegion="Active Shallow Crust">
      <pointGeometry><gml:Point><gml:pos>10.0 45.0</gml:pos></gml:Point>
        <upperSeismoDepth>0.0</upperSeismoDepth><lowerSeismoDepth>10.0</lowerSeismoDepth>
      </pointGeometry>
      <magScaleRel>WC1994</magScaleRel><ruptAspectRatio>1.0</ruptAspectRatio>
      <truncGutenbergRichterMFD aValue="3.0" bValue="1.0" minMag="5.0" maxMag="6.5"/>
      <nodalPlaneDist><nodalPlane probability="1.0" strike="0.0" dip="90.0" rake="0.0"/>
      </nodalPlaneDist>
      <hypoDepthDist><hypoDepth probability="1.0" depth="5.0"/></hypoDepthDist>
    </pointSource>
  </sourceGroup></sourceModel>
</nrml>
"""

SMLT = """<?xml version="1.0" encoding="UTF-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/0.5"><logicTree logicTreeID="lt">
  <logicTreeBranchSet uncertaintyType="sourceModel" branchSetID="bs1">
    <logicTreeBranch branchID="b1"><uncertaintyModel>source_model.xml</uncertaintyModel>
      <uncertaintyWeight>1.0</uncertaintyWeight></logicTreeBranch>
  </logicTreeBranchSet></logicTree>
</nrml>
"""

RUPTURE = "{'lon': 10.0, 'lat': 45.0, 'dep': 5.0, 'mag': 6.0, 'rake': 0.0, 'strike': 0.0, " \
          "'dip': 90.0}"


def job(tmp_path: Path, mode: str, *lines: str, exposure: str = EXPOSURE) -> Path:
    (tmp_path / "vulnerability.xml").write_text(VULNERABILITY.format(lt="structural"))
    (tmp_path / "fragility.xml").write_text(FRAGILITY)
    (tmp_path / "exposure.csv").write_text(exposure)
    (tmp_path / "source_model.xml").write_text(SOURCE_MODEL)
    (tmp_path / "smlt.xml").write_text(SMLT)
    kind = "fragility" if mode.endswith("damage") else "vulnerability"
    text = [f"calculation_mode = {mode}", "exposure_file = exposure.csv",
            f"structural_{kind}_file = {kind}.xml", *lines]
    path = tmp_path / "job.ini"
    path.write_text("\n".join(text) + "\n")
    return path


def build(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return build_inputs(read_job_ini(path, modes=SUPPORTED_MODES))


def gmf_file(tmp_path: Path, text: str) -> str:
    (tmp_path / "gmf.csv").write_text(text)
    return "gmfs_file = gmf.csv"


# --------------------------------------------------------------------------- job.ini
def test_risk_keys_are_typed(tmp_path):
    path = job(tmp_path, "event_based_risk", "asset_hazard_distance = 5",
               "minimum_asset_loss = {'structural': 10}", "aggregate_by = taxonomy, OCC; OCC",
               "return_periods = [500, 50, 100]", "risk_investigation_time = 1",
               "asset_correlation = 1", "region = 9 44, 11 44, 11 46, 9 46",
               "lrem_steps_per_interval = 3", "steps_per_interval = 2", "time_event = night",
               "contents_vulnerability_file = vulnerability.xml", "master_seed = 5")
    p = read_job_ini(path)
    assert p.exposure_file == (tmp_path / "exposure.csv",)
    assert p.risk_files == {"vulnerability": {"structural": tmp_path / "vulnerability.xml",
                                              "contents": tmp_path / "vulnerability.xml"}}
    assert p.asset_hazard_distance == 5.0
    assert p.minimum_asset_loss == {"structural": 10.0}
    assert p.aggregate_by == (("taxonomy", "OCC"), ("OCC",))
    assert p.return_periods == (50.0, 100.0, 500.0)
    assert (p.risk_investigation_time, p.asset_correlation, p.master_seed) == (1.0, 1.0, 5)
    assert p.region.shape == (4, 2) and p.lrem_steps_per_interval == 3
    assert (p.steps_per_interval, p.time_event) == (2, "night")
    defaults = read_job_ini(job(tmp_path, "scenario_risk"))
    assert defaults.asset_hazard_distance == 15.0 and defaults.minimum_asset_loss == {}
    assert not defaults.discrete_damage_distribution and not defaults.modal_damage_state


@pytest.mark.parametrize("line, message", [
    ("asset_correlation = 2", r"line 4: asset_correlation must be a number in \[0, 1\]"),
    ("region = 9 44, 11 44", "line 4: region must be a polygon of at least 3 vertices"),
    ("region = 9 44, 11, 11 46", "line 4: region vertex 2 ('11') must be 'lon lat'"),
    ("return_periods = 10, -5", "line 4: return_periods must be a list of distinct positive"),
    ("minimum_asset_loss = {'structural': -1}", "line 4: minimum_asset_loss must be a "
                                               "non-negative number or a dict"),
    ("aggregate_by = taxonomy, taxonomy", "line 4: aggregate_by repeats a tag"),
    ("hazard_calculation_id = 0", "line 4: hazard_calculation_id must be an integer >= 1"),
])
def test_bad_risk_keys_name_the_line(tmp_path, line, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")
                       if "\\" not in message else message):
        read_job_ini(job(tmp_path, "scenario_risk", line))


def test_requirements_of_the_risk_modes(tmp_path):
    path = job(tmp_path, "scenario_risk")
    with pytest.raises(InputError, match="missing gmfs_file .or rupture_model_file, or "
                                         "hazard_calculation_id"):
        build(path)
    path = job(tmp_path, "scenario_risk", "gmfs_file = missing.csv")
    with pytest.raises(InputError, match=r"line 4: gmfs_file refers to a missing file"):
        build(path)
    (tmp_path / "g.csv").write_text("sid,eid,gmv_PGA\n0,0,0.1\n")
    path = job(tmp_path, "scenario_risk", "gmfs_file = g.csv", "hazard_calculation_id = 3")
    with pytest.raises(InputError, match="give only one of gmfs_file, rupture_model_file and "
                                         "hazard_calculation_id"):
        build(path)
    path = job(tmp_path, "event_based_risk", "gsim = BooreAtkinson2008")
    with pytest.raises(InputError, match="missing source_model_logic_tree_file"):
        build(path)
    path = job(tmp_path, "scenario_risk", f"rupture_dict = {RUPTURE}", "gsim = BooreAtkinson2008",
               "number_of_ground_motion_fields = 2")
    with pytest.raises(InputError, match="missing reference_vs30_value"):
        build(path)
    path = tmp_path / "job.ini"
    path.write_text("calculation_mode = scenario_risk\nstructural_vulnerability_file = "
                    "vulnerability.xml\n")
    with pytest.raises(InputError, match="missing exposure_file"):
        build(path)


# --------------------------------------------------------------------------- sites
def test_sites_are_numbered_in_lon_lat_order_and_gmf_sids_follow(tmp_path):
    path = job(tmp_path, "scenario_risk", "sites = 10.1 45.0, 10.05 45.02, 9.95 44.95",
               gmf_file(tmp_path, "sid,eid,gmv_PGA,gmv_SA(0.3)\n0,0,0.1,0.2\n2,0,0.3,0.4\n"))
    inputs = build(path)
    gmf = inputs.hazard
    assert isinstance(gmf, GmfResult) and [str(i) for i in gmf.imts] == ["PGA", "SA(0.3)"]
    assert gmf.sites.lons.tolist() == [9.95, 10.05, 10.1]
    assert gmf.gmfs.site.tolist() == [0, 2]  # sid 0 is (9.95, 44.95), the first in order
    assert gmf.realizations == [(0, "FromFile", 1.0)]
    assert gmf.events["event_id"].tolist() == [0] and len(gmf.ruptures) == 0
    assert not inputs.sites_from_csv


def test_sites_csv_site_ids_and_region(tmp_path):
    (tmp_path / "sites.csv").write_text("site_id,lon,lat\n7,10.1,45.0\n3,9.95,44.95\n"
                                        "5,12.0,45.0\n")
    path = job(tmp_path, "scenario_risk", "sites_csv = sites.csv",
               "region = 9.9 44.9, 10.5 44.9, 10.5 45.1, 9.9 45.1",
               gmf_file(tmp_path, "sid,eid,gmv_PGA,gmv_SA(0.3)\n7,0,0.1,0.2\n5,0,0.3,0.4\n"
                                  "3,1,0.5,0.6\n"))
    inputs = build(path)
    gmf = inputs.hazard
    assert gmf.sites.lons.tolist() == [9.95, 10.1]  # (12, 45) is outside the region
    assert gmf.gmfs.site.tolist() == [1, 0] and gmf.gmfs.event.tolist() == [0, 1]
    assert inputs.sites_from_csv
    assert "1 site(s) outside the region were discarded" in inputs.messages


def test_sites_default_to_the_asset_locations(tmp_path):
    path = job(tmp_path, "scenario_risk", f"rupture_dict = {RUPTURE}",
               "gsim = BooreAtkinson2008", "number_of_ground_motion_fields = 2",
               "reference_vs30_value = 400", "region = 9.9 44.9, 10.08 44.9, 10.08 45.1, "
                                             "9.9 45.1")
    inputs = build(path)
    assert isinstance(inputs.hazard, ScenarioInputs)
    sites = inputs.hazard.sites
    assert list(zip(sites.lons, sites.lats, strict=True)) == [(9.95, 44.95), (10.05, 45.02)]
    assert sites.vs30.tolist() == [400.0, 400.0]
    # the IMTs come from the vulnerability functions when the job gives none
    assert [str(i) for i in inputs.hazard.imts] == ["PGA", "SA(0.3)"]
    assert inputs.assets.asset_id.tolist() == ["a1", "a4"]
    assert "2 asset(s) outside the region were discarded" in inputs.messages
    # distinct asset locations, rounded to 5 decimals, in (lon, lat) order
    params = SimpleNamespace(sites=None, sites_csv=None, region=None)
    coords, by_row, by_sorted, _ = risk_sites(params, np.array([1.0, 1.000001, 0.5]),
                                              np.array([2.0, 2.0, 3.0]))
    assert coords[:, :2].tolist() == [[0.5, 3.0], [1.0, 2.0]]
    assert by_row.tolist() == by_sorted.tolist() == [0, 1]


def test_event_based_and_classical_hazard_parts(tmp_path):
    common = ("source_model_logic_tree_file = smlt.xml", "gsim = BooreAtkinson2008",
              "investigation_time = 50", "maximum_distance = 100", "width_of_mfd_bin = 0.1",
              "reference_vs30_value = 760")
    inputs = build(job(tmp_path, "event_based_risk", *common, "ses_per_logic_tree_path = 3"))
    assert isinstance(inputs.hazard, EventBasedInputs)
    assert inputs.hazard.ses_per_logic_tree_path == 3
    assert [str(i) for i in inputs.hazard.imtls] == ["PGA", "SA(0.3)"]
    inputs = build(job(tmp_path, "classical_damage", *common))
    assert isinstance(inputs.hazard, ClassicalInputs)
    levels = {str(k): v for k, v in inputs.hazard.imtls.items()}
    # discrete fragility levels, and 20 levels for the continuous function (minIML..maxIML)
    assert set(levels) == {"PGA"}
    np.testing.assert_allclose(levels["PGA"], np.union1d([0.1, 0.2, 0.4],
                                                         np.linspace(0.05, 2.0, 20)))
    assert inputs.models["structural"].damage_states == ["no_damage", "slight", "collapse"]
    path = job(tmp_path, "classical_risk", *common,
               "intensity_measure_types_and_levels = {'PGA': [0.1, 0.2]}")
    with pytest.raises(InputError, match=r"the risk functions use SA\(0.3\), which the job's "
                                         "intensity measure types .PGA. do not include"):
        build(path)
    files = input_files(read_job_ini(job(tmp_path, "classical_risk", *common)))
    assert tmp_path / "exposure.csv" in files and tmp_path / "vulnerability.xml" in files


# --------------------------------------------------------------------------- bad input
def test_taxonomy_without_function_names_taxonomy_line_and_file(tmp_path):
    exposure = EXPOSURE.replace("a4,9.95,44.95,RM", "a4,9.95,44.95,W")
    path = job(tmp_path, "scenario_risk", "sites = 10 45",
               gmf_file(tmp_path, "sid,eid,gmv_PGA\n0,0,0.1\n"), exposure=exposure)
    with pytest.raises(InputError, match=r"exposure.csv line 5, asset 'a4': taxonomy 'W' has "
                                         r"no vulnerability function for loss type "
                                         r"'structural' in .*vulnerability.xml"):
        build(path)


def test_taxonomy_mapping(tmp_path):
    (tmp_path / "map.csv").write_text("taxonomy,conversion,weight\nRC,RC,1\nRM,RC,0.5\n"
                                      "RM,RM,0.5\n")
    path = job(tmp_path, "scenario_risk", "sites = 10 45", "taxonomy_mapping_csv = map.csv",
               gmf_file(tmp_path, "sid,eid,gmv_PGA,gmv_SA(0.3)\n0,0,0.1,0.2\n"))
    model = build(path).models["structural"]
    assert [f.id for f in model.functions] == ["RC", "RM"]
    assert model.by_taxonomy == {"RC": [(0, 1.0)], "RM": [(0, 0.5), (1, 0.5)]}
    (tmp_path / "map.csv").write_text("taxonomy,conversion\nRC,RC\nRM,XX\n")
    with pytest.raises(InputError, match="taxonomy 'RM' .mapped to 'XX'. has no vulnerability "
                                         "function"):
        build(path)
    (tmp_path / "map.csv").write_text("taxonomy,conversion\nRC,RC\n")
    with pytest.raises(InputError, match="taxonomy 'RM' is not in the taxonomy mapping"):
        build(path)


@pytest.mark.parametrize("exposure, message", [
    (EXPOSURE.replace("2000", "-2000"), r"exposure.csv line 4, asset 'a3': cost "
                                        r"'structural' value must be >= 0"),
    (EXPOSURE.replace("a4,", "a1,"), r"exposure.csv line 5, asset 'a1': duplicate asset id"),
])
def test_bad_exposures(tmp_path, exposure, message):
    path = job(tmp_path, "scenario_risk", "sites = 10 45",
               gmf_file(tmp_path, "sid,eid,gmv_PGA\n0,0,0.1\n"), exposure=exposure)
    with pytest.raises(InputError, match=message):
        build(path)


def test_loss_types_the_models_lack(tmp_path):
    gmfs = gmf_file(tmp_path, "sid,eid,gmv_PGA,gmv_SA(0.3)\n0,0,0.1,0.2\n")
    path = job(tmp_path, "scenario_risk", "sites = 10 45", gmfs,
               "minimum_asset_loss = {'contents': 10}")
    with pytest.raises(InputError, match="line 6: minimum_asset_loss names the loss type "
                                         "'contents', but the vulnerability models are for "
                                         "structural only"):
        build(path)
    (tmp_path / "contents.xml").write_text(VULNERABILITY.format(lt="contents"))
    path = job(tmp_path, "scenario_risk", "sites = 10 45", gmfs,
               "contents_vulnerability_file = contents.xml")
    with pytest.raises(InputError, match="loss type 'contents' has a vulnerability model but "
                                         "the exposure .* has no 'contents' cost .its cost "
                                         "types: structural."):
        build(path)
    path = job(tmp_path, "scenario_risk", "sites = 10 45", gmfs, "aggregate_by = NAME")
    with pytest.raises(InputError, match="aggregate_by tag 'NAME' is not a tag of the exposure"):
        build(path)


def test_occupants_use_the_time_event(tmp_path):
    (tmp_path / "occ.xml").write_text(VULNERABILITY.format(lt="occupants"))
    gmfs = gmf_file(tmp_path, "sid,eid,gmv_PGA,gmv_SA(0.3)\n0,0,0.1,0.2\n")
    inputs = build(job(tmp_path, "scenario_risk", "sites = 10 45", gmfs,
                       "occupants_vulnerability_file = occ.xml"))
    assert list(inputs.models) == ["structural", "occupants"]
    np.testing.assert_allclose(inputs.assets.values["occupants"], [6, 1, 1, 4])
    inputs = build(job(tmp_path, "scenario_risk", "sites = 10 45", gmfs, "time_event = day",
                       "occupants_vulnerability_file = occ.xml"))
    np.testing.assert_allclose(inputs.assets.values["occupants"], [8, 0, 1, 5])
    with pytest.raises(InputError, match="time_event 'transit' is not an occupancy period"):
        build(job(tmp_path, "scenario_risk", "sites = 10 45", gmfs, "time_event = transit",
                  "occupants_vulnerability_file = occ.xml"))


def test_gmf_site_ids_must_exist(tmp_path):
    path = job(tmp_path, "scenario_risk", "sites = 10 45, 10.1 45",
               gmf_file(tmp_path, "sid,eid,gmv_PGA,gmv_SA(0.3)\n5,0,0.1,0.2\n"))
    with pytest.raises(InputError, match=r"gmf.csv: site id 5 is not a site of the job \(2 "
                                         r"sites, ids 0..1 in \(lon, lat\) order\)"):
        build(path)


@pytest.mark.parametrize("mode", ["scenario_risk", "classical_risk", "event_based_risk"])
def test_override_vs30_is_refused_in_risk_jobs(tmp_path, mode):
    common = ("source_model_logic_tree_file = smlt.xml", "gsim = BooreAtkinson2008",
              "investigation_time = 50", "maximum_distance = 100", "width_of_mfd_bin = 0.1",
              "reference_vs30_value = 760", f"rupture_dict = {RUPTURE}",
              "number_of_ground_motion_fields = 2", "override_vs30 = 300 800")
    with pytest.raises(InputError, match=r"job.ini line 12: override_vs30 is not supported in "
                                         rf"calculation_mode = {mode} jobs"):
        build(job(tmp_path, mode, *common))
