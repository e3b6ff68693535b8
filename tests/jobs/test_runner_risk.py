"""Risk jobs through run_job: event-based risk end to end, hazard_calculation_id, exports."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from toolkit.config import Settings
from toolkit.engine.risk.losses import aggregate_loss_curve
from toolkit.errors import InputError
from toolkit.jobs import runner
from toolkit.store import Catalogue, open_reader, read_oq_csv
from toolkit.store.risk import load_risk

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
VULNERABILITY = """<?xml version="1.0" encoding="utf-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/0.5">
  <vulnerabilityModel id="v" assetCategory="buildings" lossCategory="structural">
    <vulnerabilityFunction id="RC" dist="LN">
      <imls imt="PGA">0.05 0.1 0.2 0.4 0.8</imls>
      <meanLRs>0.01 0.05 0.15 0.4 0.7</meanLRs><covLRs>0.3 0.3 0.3 0.3 0.3</covLRs>
    </vulnerabilityFunction>
    <vulnerabilityFunction id="RM" dist="LN">
      <imls imt="PGA">0.05 0.1 0.2 0.4 0.8</imls>
      <meanLRs>0.02 0.08 0.2 0.5 0.8</meanLRs><covLRs>0 0 0 0 0</covLRs>
    </vulnerabilityFunction>
  </vulnerabilityModel>
</nrml>
"""
EXPOSURE = """id,lon,lat,taxonomy,number,structural,OCC
a1,10.05,45.02,RC,10,1000,res
a2,10.10,45.00,RM,5,500,com
a3,10.10,45.00,RC,1,2000,res
a4,9.95,44.95,RM,2,800,res
"""
HAZARD = """source_model_logic_tree_file = smlt.xml
gsim = BooreAtkinson2008
investigation_time = 50
truncation_level = 3
maximum_distance = 100
rupture_mesh_spacing = 2
width_of_mfd_bin = 0.1
reference_vs30_value = 760
sites = 10.05 45.02, 10.10 45.00, 9.95 44.95
"""
RISK = """exposure_file = exposure.csv
structural_vulnerability_file = vulnerability.xml
master_seed = 42
"""


@pytest.fixture
def model(tmp_path: Path) -> Path:
    for name, text in (("source_model.xml", SOURCE_MODEL), ("smlt.xml", SMLT),
                       ("vulnerability.xml", VULNERABILITY), ("exposure.csv", EXPOSURE)):
        (tmp_path / name).write_text(text)
    return tmp_path


def write(folder: Path, name: str, *parts: str) -> Path:
    path = folder / name
    path.write_text("\n".join(parts) + "\n")
    return path


def run(path: Path, settings: Settings, out: Path | None = None) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return runner.run_job(path, settings, export_dir=out, progress=False)


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir)


def test_event_based_risk_end_to_end(model, settings, tmp_path):
    job = write(model, "job.ini", "calculation_mode = event_based_risk", HAZARD, RISK,
                "ses_per_logic_tree_path = 40", "aggregate_by = taxonomy",
                "return_periods = 20, 50, 100, 500", "risk_investigation_time = 1")
    calc_id = run(job, settings, tmp_path / "out")
    with open_reader(settings.data_dir, calc_id) as reader:
        o = load_risk(reader)
    eff = 50.0 * 40
    elt = o.event_totals["structural"]
    assert o.effective_time == eff and len(o.events) == len(elt) > 10
    # average (annual) losses from the event loss table = per-asset average losses summed
    np.testing.assert_allclose(elt.sum() / eff, o.avg["structural"].sum(), rtol=1e-10)
    curve = o.aggregates[0].curves["structural"][0, 0]
    np.testing.assert_allclose(curve, aggregate_loss_curve(elt, [20, 50, 100, 500], eff,
                                                           num_events=len(elt)))
    assert np.all(np.diff(curve) >= 0) and curve[-1] > 0
    _, exported = read_oq_csv(tmp_path / "out" / f"aggcurves-_{calc_id}.csv")
    np.testing.assert_allclose(exported["loss_value"], curve, rtol=6e-6)
    for name in ("aggcurves-taxonomy", "aggrisk-taxonomy", "risk_by_event", "avg_losses-rlz-000",
                 "gmf-data", "ruptures"):
        assert (tmp_path / "out" / f"{name}_{calc_id}.csv").exists(), name
    # export again from the datastore
    paths = runner.export_calculation(settings, calc_id, tmp_path / "again")
    assert sorted(p.name for p in paths) == sorted(p.name for p in (tmp_path / "out").iterdir())


def test_scenario_risk_from_a_previous_scenario(model, settings, tmp_path):
    rupture = ("rupture_dict = {'lon': 10.0, 'lat': 45.0, 'dep': 5.0, 'mag': 6.0, "
               "'rake': 0.0, 'strike': 0.0, 'dip': 90.0}")
    scenario = ("gsim = BooreAtkinson2008", rupture, "number_of_ground_motion_fields = 20",
                "truncation_level = 3", "maximum_distance = 100", "reference_vs30_value = 760",
                "intensity_measure_types = PGA")
    hazard_job = write(model, "job_h.ini", "calculation_mode = scenario", *scenario,
                       "sites = 9.95 44.95, 10.05 45.02, 10.10 45.00")
    parent = run(hazard_job, settings)
    child_job = write(model, "job_r.ini", "calculation_mode = scenario_risk", RISK,
                      f"hazard_calculation_id = {parent}")
    child = run(child_job, settings, tmp_path / "child")
    # the same hazard in one job gives the same losses (same seeds, same sites)
    single = write(model, "job.ini", "calculation_mode = scenario_risk", RISK, *scenario)
    alone = run(single, settings)
    with open_reader(settings.data_dir, child) as a, open_reader(settings.data_dir, alone) as b:
        from_parent, in_job = load_risk(a), load_risk(b)
        assert "gmf_data" not in a and "gmf_data" in b
    assert from_parent.hazard is None and from_parent.hazard_calculation_id == parent
    np.testing.assert_allclose(from_parent.avg["structural"], in_job.avg["structural"])
    names = sorted(p.name.rsplit("_", 1)[0] for p in (tmp_path / "child").iterdir())
    assert names == ["aggrisk-", "aggrisk-stats-", "avg_losses-rlz-000",
                     "avg_losses_by_-taxonomy", "risk_by_event"]  # no GMFs, as OpenQuake
    with Catalogue(settings.catalogue_path) as catalogue:
        assert catalogue.get(child).hazard_calculation_id == parent
    # a risk calculation can be the parent of another one (its hazard is the grandparent's)
    again = write(model, "job_r2.ini", "calculation_mode = scenario_risk", RISK,
                  f"hazard_calculation_id = {child}")
    with open_reader(settings.data_dir, run(again, settings)) as reader:
        np.testing.assert_allclose(load_risk(reader).avg["structural"],
                                   in_job.avg["structural"])


def test_classical_risk_from_a_previous_classical(model, settings):
    levels = "intensity_measure_types_and_levels = {'PGA': [0.05, 0.1, 0.2, 0.4, 0.8]}"
    parent = run(write(model, "job_h.ini", "calculation_mode = classical", HAZARD, levels),
                 settings)
    child = run(write(model, "job_r.ini", "calculation_mode = classical_risk", RISK,
                      f"hazard_calculation_id = {parent}"), settings)
    alone = run(write(model, "job.ini", "calculation_mode = classical_risk", HAZARD, RISK,
                      levels), settings)
    with open_reader(settings.data_dir, child) as a, open_reader(settings.data_dir, alone) as b:
        from_parent, in_job = load_risk(a), load_risk(b)
    # the parent's sites are sorted by lon, lat (as OpenQuake sorts a sites list, and as a
    # risk job sorts them), and the assets follow their sites
    assert from_parent.assets.asset_id.tolist() == ["a4", "a1", "a2", "a3"]
    assert in_job.assets.asset_id.tolist() == ["a4", "a1", "a2", "a3"]
    np.testing.assert_allclose(from_parent.avg["structural"], in_job.avg["structural"],
                               rtol=1e-12)


def test_bad_hazard_calculation_ids(model, settings):
    child = write(model, "job_r.ini", "calculation_mode = scenario_risk", RISK,
                  "hazard_calculation_id = 99")
    with pytest.raises(InputError, match="hazard_calculation_id = 99: there is no calculation "
                                         "99"):
        run(child, settings)
    with Catalogue(settings.catalogue_path) as catalogue:
        failed = catalogue.create("broken", "scenario", None)
        catalogue.fail(failed, "Traceback: boom")
    child = write(model, "job_r.ini", "calculation_mode = scenario_risk", RISK,
                  f"hazard_calculation_id = {failed}")
    with pytest.raises(InputError, match=f"hazard_calculation_id = {failed}: calculation "
                                         f"{failed} is failed, not complete"):
        run(child, settings)
    levels = "intensity_measure_types_and_levels = {'PGA': [0.05, 0.1, 0.2, 0.4, 0.8]}"
    classical = run(write(model, "job_h.ini", "calculation_mode = classical", HAZARD, levels),
                    settings)
    child = write(model, "job_r.ini", "calculation_mode = scenario_risk", RISK,
                  f"hazard_calculation_id = {classical}")
    with pytest.raises(InputError, match="has hazard curves, but scenario_risk needs scenario "
                                         "ground-motion fields"):
        run(child, settings)
    with Catalogue(settings.catalogue_path) as catalogue:  # only the two set up above
        assert len(catalogue.list()) == 2


def test_the_parent_can_come_from_the_request_not_the_file(model, settings, tmp_path):
    """OpenQuake's ``hazard_job_id`` / ``--hc``: a risk.ini without hazard_calculation_id."""
    rupture = ("rupture_dict = {'lon': 10.0, 'lat': 45.0, 'dep': 5.0, 'mag': 6.0, "
               "'rake': 0.0, 'strike': 0.0, 'dip': 90.0}")
    hazard_job = write(model, "job_h.ini", "calculation_mode = scenario", "gsim = "
                       "BooreAtkinson2008", rupture, "number_of_ground_motion_fields = 5",
                       "truncation_level = 3", "maximum_distance = 100",
                       "reference_vs30_value = 760", "intensity_measure_types = PGA",
                       "sites = 9.95 44.95, 10.05 45.02, 10.10 45.00")
    parent = run(hazard_job, settings)
    risk_job = write(model, "risk.ini", "calculation_mode = scenario_risk", RISK)
    with pytest.raises(InputError, match="hazard_calculation_id"):
        run(risk_job, settings)  # the file alone names no hazard
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        child = runner.run_job(risk_job, settings, progress=False,
                               overrides={"hazard_calculation_id": str(parent)})
    with Catalogue(settings.catalogue_path) as catalogue:
        assert catalogue.get(child).hazard_calculation_id == parent
