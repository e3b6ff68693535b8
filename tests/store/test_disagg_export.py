"""Disaggregation through run_job: datastore round trip and OpenQuake-format CSV exports."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from toolkit.config import Settings
from toolkit.errors import InputError
from toolkit.jobs import runner
from toolkit.store import open_reader, read_oq_csv
from toolkit.store.disagg import DisaggOutputs, disagg_file_name, load_disagg

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
JOB = """[general]
description = tiny disaggregation
calculation_mode = {mode}
[geometry]
sites = 10.1 45.0, 10.3 45.2
[erf]
rupture_mesh_spacing = 2.0
width_of_mfd_bin = 0.5
[site_params]
reference_vs30_type = measured
reference_vs30_value = 800.0
reference_depth_to_1pt0km_per_sec = 48.0
reference_depth_to_2pt5km_per_sec = 0.607
[calculation]
source_model_logic_tree_file = source_model_logic_tree.xml
gsim = SadighEtAl1997
investigation_time = 50.0
intensity_measure_types_and_levels = {{"PGA": [0.01, 0.05, 0.1, 0.2, 0.4]}}
truncation_level = 3
maximum_distance = 100.0
[disaggregation]
{level}
mag_bin_width = 0.5
distance_bin_width = 20.0
coordinate_bin_width = 1.0
num_epsilon_bins = 3
disagg_outputs = Mag Mag_Dist Mag_Dist_Eps TRT Lon_Lat
"""


def write_job(tmp_path: Path, mode: str = "disaggregation", level: str = "poes_disagg = 0.1"
              ) -> Path:
    (tmp_path / "source_model.xml").write_text(SOURCE_MODEL)
    (tmp_path / "source_model_logic_tree.xml").write_text(SMLT)
    job = tmp_path / "job.ini"
    job.write_text(JOB.format(mode=mode, level=level))
    return job


def comment_list(line: str, key: str) -> list:
    return ast.literal_eval(re.search(key + r"=(\[[^\]]*\])", line).group(1))


@pytest.fixture(scope="module")
def calc(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("disagg")
    settings = Settings(data_dir=tmp / "data")
    out = tmp / "out"
    calc_id = runner.run_job(write_job(tmp), settings, export_dir=out, progress=False)
    return settings, calc_id, out


def test_files_are_named_as_openquake_with_the_calc_id(calc):
    _settings, calc_id, out = calc
    names = {p.name for p in out.iterdir()}
    for name in ("Mag", "Mag_Dist", "Mag_Dist_Eps", "TRT", "Lon_Lat"):
        for site in (0, 1):
            assert disagg_file_name(name, site, calc_id) in names
    assert f"{disagg_file_name('Mag', 0, calc_id)}" == f"Mag-0_{calc_id}.csv"
    assert f"hazard_curve-mean-PGA_{calc_id}.csv" in names
    assert not any("-mean-" in n and n.startswith("Mag") for n in names)  # one realization


GSLT = """<?xml version="1.0" encoding="utf-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/0.5">
  <logicTree logicTreeID="gslt">
    <logicTreeBranchSet uncertaintyType="gmpeModel" branchSetID="gmpe"
                        applyToTectonicRegionType="Active Shallow Crust">
      <logicTreeBranch branchID="s"><uncertaintyModel>SadighEtAl1997</uncertaintyModel>
        <uncertaintyWeight>0.7</uncertaintyWeight></logicTreeBranch>
      <logicTreeBranch branchID="b"><uncertaintyModel>BooreAtkinson2008</uncertaintyModel>
        <uncertaintyWeight>0.3</uncertaintyWeight></logicTreeBranch>
    </logicTreeBranchSet>
  </logicTree>
</nrml>
"""


def test_mean_over_realizations_is_taken_in_rate_space(tmp_path):
    # as OpenQuake: mean = 1 - exp(sum_r w_r ln(1 - p_r)), not sum_r w_r p_r
    job = write_job(tmp_path)
    (tmp_path / "gslt.xml").write_text(GSLT)
    job.write_text(job.read_text().replace("gsim = SadighEtAl1997",
                                           "gsim_logic_tree_file = gslt.xml"))
    out = tmp_path / "out"
    calc_id = runner.run_job(job, Settings(data_dir=tmp_path / "data"), export_dir=out,
                             progress=False)
    _m, rlzs = read_oq_csv(out / f"Mag-0_{calc_id}.csv")
    _m, mean = read_oq_csv(out / f"Mag-mean-0_{calc_id}.csv")
    p = rlzs[["rlz0", "rlz1"]].to_numpy()
    assert p.max() > 0.01 and not np.allclose(p[:, 0], p[:, 1])
    expected = 1 - np.exp(np.log1p(-p) @ np.array([0.7, 0.3]))
    np.testing.assert_allclose(mean["mean"].to_numpy(), expected, rtol=2e-5, atol=1e-12)
    assert not np.allclose(mean["mean"].to_numpy(), p @ np.array([0.7, 0.3]), rtol=1e-4)


def test_poes_stand_for_poes_disagg_and_every_output_by_default(tmp_path):
    # as OpenQuake: a disaggregation job may give the hazard-map poes only, and without
    # disagg_outputs all eleven outputs are exported, TRT_Lon_Lat among them
    job = write_job(tmp_path, level="poes = 0.1")
    job.write_text(job.read_text().replace(
        "disagg_outputs = Mag Mag_Dist Mag_Dist_Eps TRT Lon_Lat\n", ""))
    out = tmp_path / "out"
    calc_id = runner.run_job(job, Settings(data_dir=tmp_path / "data"), export_dir=out,
                             progress=False)
    names = {p.name for p in out.iterdir()}
    for name in ("Mag", "Dist", "TRT", "Mag_Dist", "Mag_Dist_Eps", "Lon_Lat", "Mag_Lon_Lat",
                 "TRT_Lon_Lat", "TRT_Mag", "TRT_Mag_Dist", "TRT_Mag_Dist_Eps"):
        assert disagg_file_name(name, 0, calc_id) in names
    _m, table = read_oq_csv(out / disagg_file_name("TRT_Lon_Lat", 0, calc_id))
    assert list(table.columns[:6]) == ["imt", "iml", "poe", "trt", "lon", "lat"]
    assert np.all(table["poe"] == 0.1)
    (tmp_path / "bare").mkdir()
    bare = write_job(tmp_path / "bare", level="")
    with pytest.raises(InputError, match="disaggregation needs poes_disagg \\(or poes\\) or "
                                         "iml_disagg"):
        runner.run_job(bare, Settings(data_dir=tmp_path / "data2"), progress=False)


def test_iml_disagg_poe_is_the_curves_even_when_edges_leave_ruptures_out(tmp_path):
    # magnitude edges 5-5.5-6 leave the M 6.25 ruptures out of the bins, not out of the poe
    job = write_job(tmp_path, level='iml_disagg = {"PGA": 0.1}\n'
                                     'disagg_bin_edges = {"mag": [5.0, 5.5, 6.0]}')
    out = tmp_path / "out"
    calc_id = runner.run_job(job, Settings(data_dir=tmp_path / "data"), export_dir=out,
                             progress=False)
    _m, curve = read_oq_csv(out / f"hazard_curve-mean-PGA_{calc_id}.csv")
    _m, mag = read_oq_csv(out / f"Mag-0_{calc_id}.csv")
    assert len(mag) == 2 and np.allclose(mag["iml"], 0.1)
    curve_poe = curve["poe-0.1000000"].iloc[0]
    np.testing.assert_allclose(mag["poe"].to_numpy(), curve_poe, rtol=1e-5)
    assert 1 - np.prod(1 - mag["rlz0"].to_numpy()) < 0.999 * curve_poe


def test_mag_dist_eps_format(calc):
    _settings, calc_id, out = calc
    path = out / f"Mag_Dist_Eps-0_{calc_id}.csv"
    lines = path.read_text().splitlines()
    assert lines[0].startswith("#,,,,,,\"generated_by=")  # padded to the 7 columns
    assert lines[1] == "imt,iml,poe,mag,dist,eps,rlz0"
    for key in ("investigation_time=50.0", "tectonic_region_types=['Active Shallow Crust']",
                "lon=10.1", "lat=45.0", "weights=[1.0]", "rlz_ids=[0]"):
        assert key in lines[0]
    mags = comment_list(lines[0], "mag_bin_edges")
    dists = comment_list(lines[0], "dist_bin_edges")
    eps = comment_list(lines[0], "eps_bin_edges")
    # magnitudes 5.25, 5.75, 6.25 (bins of 0.5): edges floor(5.25/0.5)..floor(6.25/0.5)+1
    assert np.allclose(mags, [5.0, 5.5, 6.0, 6.5])
    assert np.allclose(dists, [0, 20, 40, 60, 80, 100])
    assert np.allclose(eps, [-3, -1, 1, 3])
    _meta, table = read_oq_csv(path)
    assert len(table) == 3 * 5 * 3
    assert np.allclose(table["mag"].unique(), [5.25, 5.75, 6.25])
    assert np.allclose(table["eps"].unique(), [-2, 0, 2])
    assert np.all(table["poe"] == 0.1)
    # the bins combine (1 - prod(1 - p)) into the poe of the level, which lies between the
    # curve's poes at the levels around it (the level is interpolated log-log on the curve)
    total = 1 - np.prod(1 - table["rlz0"].to_numpy())
    iml = table["iml"].iloc[0]
    _m, curve = read_oq_csv(out / f"hazard_curve-mean-PGA_{calc_id}.csv")
    levels = np.array([0.01, 0.05, 0.1, 0.2, 0.4])
    poes = curve[[f"poe-{x:.7f}" for x in levels]].to_numpy()[0]
    k = np.searchsorted(levels, iml)
    assert poes[k] < 0.1 < poes[k - 1] and poes[k] < total < poes[k - 1]
    assert f"{table['iml'].iloc[0]:.5E}" in path.read_text()


def test_marginals_agree_with_each_other(calc):
    _settings, calc_id, out = calc
    _m, full = read_oq_csv(out / f"Mag_Dist_Eps-1_{calc_id}.csv")
    _m, mag = read_oq_csv(out / f"Mag-1_{calc_id}.csv")
    _m, trt = read_oq_csv(out / f"TRT-1_{calc_id}.csv")
    _m, lonlat = read_oq_csv(out / f"Lon_Lat-1_{calc_id}.csv")
    assert list(mag.columns) == ["imt", "iml", "poe", "mag", "rlz0"]
    assert list(trt.columns) == ["imt", "iml", "poe", "trt", "rlz0"]
    assert list(lonlat.columns) == ["imt", "iml", "poe", "lon", "lat", "rlz0"]
    by_mag = full.groupby("mag")["rlz0"].apply(lambda p: 1 - np.prod(1 - p.to_numpy()))
    assert np.allclose(by_mag.to_numpy(), mag["rlz0"].to_numpy(), rtol=1e-4, atol=2e-9)
    total = 1 - np.prod(1 - full["rlz0"].to_numpy())
    assert np.isclose(trt["rlz0"].iloc[0], total, rtol=1e-4)
    assert np.isclose(1 - np.prod(1 - lonlat["rlz0"].to_numpy()), total, rtol=1e-4)


def test_datastore_round_trip_and_export_again(calc, tmp_path):
    settings, calc_id, out = calc
    with open_reader(settings.data_dir, calc_id) as reader:
        outputs = load_disagg(reader)
    assert isinstance(outputs, DisaggOutputs)
    assert outputs.poes.shape[:4] == (2, 1, 1, 1)
    assert outputs.outputs == ("Mag", "Mag_Dist", "Mag_Dist_Eps", "TRT", "Lon_Lat")
    again = runner.export_calculation(settings, calc_id, tmp_path)
    first = (out / f"Mag_Dist-0_{calc_id}.csv").read_text().splitlines()[1:]
    second = (tmp_path / f"Mag_Dist-0_{calc_id}.csv").read_text().splitlines()[1:]
    assert first == second and len(again) >= 10


def test_classical_with_iml_disagg_runs_the_disaggregation(tmp_path):
    job = write_job(tmp_path, mode="classical", level="iml_disagg = {'PGA': 0.1}")
    out = tmp_path / "out"
    calc_id = runner.run_job(job, Settings(data_dir=tmp_path / "data"), export_dir=out,
                             progress=False)
    _meta, mag = read_oq_csv(out / f"Mag-0_{calc_id}.csv")
    _meta, curve = read_oq_csv(out / f"hazard_curve-mean-PGA_{calc_id}.csv")
    assert np.all(mag["iml"] == 0.1)
    # the poe column is the poe of the curve at the level, and the bins sum to it
    assert np.isclose(mag["poe"].iloc[0], curve["poe-0.1000000"].iloc[0], rtol=1e-5)
    assert np.isclose(1 - np.prod(1 - mag["rlz0"].to_numpy()), mag["poe"].iloc[0], rtol=1e-4)


def test_bad_disaggregation_inputs_are_named(tmp_path):
    job = write_job(tmp_path, level="poes_disagg = 0.1\niml_disagg = {'PGA': 0.1}")
    with pytest.raises(InputError, match="either iml_disagg or poes_disagg"):
        runner.run_job(job, Settings(data_dir=tmp_path / "data"), progress=False)
    job.write_text(JOB.format(mode="disaggregation", level="poes_disagg = 0.1").replace(
        "disagg_outputs = Mag", "disagg_outputs = Magnitude"))
    with pytest.raises(InputError, match="unknown disagg_outputs"):
        runner.run_job(job, Settings(data_dir=tmp_path / "data"), progress=False)
