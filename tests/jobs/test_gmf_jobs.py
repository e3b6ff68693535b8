"""Scenario jobs end to end: the demo, executors, and bad input."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from toolkit.config import Settings
from toolkit.engine.hazard.gmf import GmfWarning
from toolkit.errors import CalculationError, InputError
from toolkit.jobs.runner import demo_job_ini, run_job
from toolkit.store import open_reader
from toolkit.store.gmf import load_gmf

DEMO = demo_job_ini().parents[1] / "scenario" / "job.ini"


def _job(tmp_path: Path, **changes: str) -> Path:
    """The scenario demo with absolute input paths and some keys replaced."""
    text = DEMO.read_text()
    for key in ("sites_csv", "rupture_model_file", "gsim_logic_tree_file"):
        text = re.sub(rf"^{key}\s*=\s*(\S+)", lambda m, k=key: f"{k} = {DEMO.parent / m[1]}",
                      text, flags=re.M)
    for key, value in changes.items():
        text, n = re.subn(rf"^{key}\s*=.*$", f"{key} = {value}", text, flags=re.M)
        if n == 0:
            text += f"\n{key} = {value}\n"
    path = tmp_path / "job.ini"
    path.write_text(text)
    return path


def _load(settings: Settings, calc_id: int):
    with open_reader(settings.data_dir, calc_id) as reader:
        return load_gmf(reader)


def test_demo_scenario(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    calc_id = run_job(DEMO, settings, export_dir=tmp_path / "out", progress=False)
    gmf = _load(settings, calc_id)
    assert len(gmf.realizations) == 2 and len(gmf.events) == 200
    assert gmf.imts == ["PGA", "SA(1.0)"]
    assert np.all(np.isfinite(gmf.sig_inter)) and np.all(gmf.sig_inter > 0)  # tau of both
    assert set(np.unique(gmf.events["rlz_id"])) == {0, 1}
    # every site is within 200 km: one row per event and site (minimum_intensity is tiny)
    assert len(gmf.gmf_gmv) == 200 * 80
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {f"gmf-data_{calc_id}.csv", f"events_{calc_id}.csv", f"sitemesh_{calc_id}.csv",
            f"avg_gmf_{calc_id}.csv", f"sigma_epsilon_{calc_id}.csv"} <= names


def test_scenario_does_not_depend_on_the_executor(tmp_path):
    job = _job(tmp_path, number_of_ground_motion_fields="20")
    results = []
    for executor in ("serial", "processpool"):
        settings = Settings(data_dir=tmp_path / executor, executor=executor, num_workers=2)
        results.append(_load(settings, run_job(job, settings, progress=False)))
    a, b = results
    np.testing.assert_array_equal(a.gmf_gmv, b.gmf_gmv)
    np.testing.assert_array_equal(a.eps_inter, b.eps_inter)


def test_same_seed_same_fields_other_seed_other_fields(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    first = _load(settings, run_job(_job(tmp_path, number_of_ground_motion_fields="5"),
                                    settings, progress=False))
    again = _load(settings, run_job(_job(tmp_path, number_of_ground_motion_fields="5"),
                                    settings, progress=False))
    other = _load(settings, run_job(_job(tmp_path, number_of_ground_motion_fields="5",
                                         ses_seed="43"), settings, progress=False))
    np.testing.assert_array_equal(first.gmf_gmv, again.gmf_gmv)
    assert not np.allclose(first.gmf_gmv, other.gmf_gmv)


def test_rupture_beyond_maximum_distance_gives_an_empty_result_and_a_message(tmp_path):
    sites = tmp_path / "far.csv"
    sites.write_text("lon,lat\n20.0,45.0\n20.1,45.0\n")
    settings = Settings(data_dir=tmp_path / "data")
    with pytest.warns(GmfWarning, match="no site is within maximum_distance = 200 km"):
        calc_id = run_job(_job(tmp_path, sites_csv=str(sites)), settings,
                          export_dir=tmp_path / "out", progress=False)
    gmf = _load(settings, calc_id)
    assert len(gmf.gmf_gmv) == 0 and len(gmf.events) == 200
    lines = (tmp_path / "out" / f"gmf-data_{calc_id}.csv").read_text().splitlines()
    assert len(lines) == 2  # comment and header only


def test_correlation_with_a_total_sigma_gsim_is_refused_before_registering(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    job = _job(tmp_path, gsim="SadighEtAl1997")
    text = re.sub(r"^gsim_logic_tree_file\s*=.*$", "", job.read_text(), flags=re.M)
    job.write_text(text)
    with pytest.raises(InputError, match=r"JB2009 needs GSIMs with inter- and intra-event.*"
                                         r"SadighEtAl1997"):
        run_job(job, settings, progress=False)
    assert not settings.data_dir.exists() or not list(settings.data_dir.glob("calc_*"))


def test_total_sigma_gsim_without_correlation_warns_once_and_runs(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    job = _job(tmp_path, gsim="SadighEtAl1997", ground_motion_correlation_model="",
               ground_motion_correlation_params="", number_of_ground_motion_fields="10")
    text = re.sub(r"^gsim_logic_tree_file\s*=.*$", "", job.read_text(), flags=re.M)
    job.write_text(text)
    with pytest.warns(GmfWarning, match="only total standard deviation"):
        calc_id = run_job(job, settings, progress=False)
    gmf = _load(settings, calc_id)
    assert np.all(np.isnan(gmf.sig_inter)) and len(gmf.events) == 10


def _event_based_job(tmp_path: Path, **changes: str) -> Path:
    """The classical demo as an event-based job."""
    classical = demo_job_ini()
    text = classical.read_text().replace("calculation_mode = classical",
                                         "calculation_mode = event_based")
    for key in ("sites_csv", "source_model_logic_tree_file", "gsim_logic_tree_file"):
        text = re.sub(rf"^{key}\s*=\s*(\S+)",
                      lambda m, k=key: f"{k} = {classical.parent / m[1]}", text, flags=re.M)
    for key, value in {"ses_per_logic_tree_path": "20", **changes}.items():
        text += f"\n{key} = {value}\n"
    path = tmp_path / "event_based.ini"
    path.write_text(text)
    return path


def test_event_based_ruptures_only(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    calc_id = run_job(_event_based_job(tmp_path, ground_motion_fields="false"), settings,
                      export_dir=tmp_path / "out", progress=False)
    gmf = _load(settings, calc_id)
    assert len(gmf.ruptures) > 0 and len(gmf.events) == 2 * gmf.ruptures["multiplicity"].sum()
    assert len(gmf.gmf_gmv) == 0 and gmf.curves is None
    assert (tmp_path / "out" / f"ruptures_{calc_id}.csv").exists()


def test_event_based_curves_maps_and_spectra_are_exported(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    calc_id = run_job(_event_based_job(tmp_path, hazard_curves_from_gmfs="true"), settings,
                      export_dir=tmp_path / "out", progress=False)
    gmf = _load(settings, calc_id)
    assert gmf.curves is not None and gmf.curves.maps_stats
    names = {p.name for p in (tmp_path / "out").iterdir()}
    for name in (f"hazard_curve-mean-PGA_{calc_id}.csv", f"hazard_map-mean_{calc_id}.csv",
                 f"hazard_uhs-mean_{calc_id}.csv", f"quantile_curve-0.16-PGA_{calc_id}.csv"):
        assert name in names, sorted(names)
    header = (tmp_path / "out" / f"hazard_curve-mean-PGA_{calc_id}.csv").read_text()
    assert header.splitlines()[1].startswith("custom_site_id,lon,lat,depth,poe-")


def test_load_demos_runs_each_demo_once(tmp_path):
    from toolkit.jobs.runner import DEMO_JOBS, load_demos

    settings = Settings(data_dir=tmp_path / "data")
    first = load_demos(settings)
    assert len(first) == len(DEMO_JOBS) == 2
    assert load_demos(settings) == []


def test_maximum_rupture_depth_is_refused_when_a_rupture_lies_deeper(tmp_path):
    # OpenQuake drops the ground motions of deeper ruptures; the toolkit must not ignore it
    settings = Settings(data_dir=tmp_path / "data")
    job = _event_based_job(tmp_path, maximum_rupture_depth="{'default': 8}")
    with pytest.raises(CalculationError, match=r"InputError: maximum_rupture_depth = 8 km: "
                                               r"source '\w+' has a rupture with its "
                                               r"hypocentre at (8\.[1-9]|9|10)[.\d]* km"):
        run_job(job, settings, progress=False)


def test_maximum_rupture_depth_above_every_rupture_changes_nothing(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    plain = _load(settings, run_job(_event_based_job(tmp_path), settings, progress=False))
    deep = _load(settings, run_job(_event_based_job(
        tmp_path, maximum_rupture_depth="{'default': 50, 'Active Shallow Crust': 40}"),
        settings, progress=False))
    np.testing.assert_array_equal(plain.gmf_gmv, deep.gmf_gmv)


@pytest.mark.parametrize("value, expected", [
    ("-5", r"maximum_rupture_depth must be a positive number or a dict \{tectonic region "
           r"type: number\}, got '-5'"),
    ("{'default': 'x'}", r"maximum_rupture_depth must be a positive number or a dict"),
    ("deep", r"maximum_rupture_depth: unexpected name expression \('deep'\)"),
])
def test_bad_maximum_rupture_depth_names_the_line(tmp_path, value, expected):
    settings = Settings(data_dir=tmp_path / "data")
    with pytest.raises(InputError, match=r"event_based.ini line \d+: " + expected):
        run_job(_event_based_job(tmp_path, maximum_rupture_depth=value), settings,
                progress=False)
