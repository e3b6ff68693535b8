"""In-process services: jobs in worker processes (run, abort, crash), the scenario catalogue."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from toolkit.config import Settings
from toolkit.errors import InputError, NotFound
from toolkit.jobs.runner import DEMO_JOBS
from toolkit.widgets.local import LocalCalcs, LocalScenarios, ensure_demo_data


def test_demo_jobs_and_list(calcs) -> None:
    demos = calcs.demo_jobs()
    assert list(demos.values()) == list(DEMO_JOBS)
    assert next(iter(demos)).startswith("Demo: synthetic fault")
    modes = {c.mode for c in calcs.list()}
    assert {"classical", "scenario"} <= modes
    assert "in-process, data directory" in calcs.location


def test_invalid_job_registers_nothing(calcs, tmp_path: Path) -> None:
    before = len(calcs.list(limit=None))
    with pytest.raises(InputError, match="does not exist"):
        calcs.submit(tmp_path / "missing.ini")
    bad = tmp_path / "job.ini"
    bad.write_text("[general]\ncalculation_mode = classical\n")
    with pytest.raises(InputError):
        calcs.submit(bad)
    assert len(calcs.list(limit=None)) == before


def test_run_in_a_worker_process(calcs) -> None:
    calc_id = calcs.submit(DEMO_JOBS[0])
    rec = calcs.catalogue.get(calc_id)
    assert rec.pid != 0  # never queued for a server's job manager
    assert calcs.wait(calc_id, timeout=120) == "complete"
    info = calcs.info(calc_id)
    assert info.progress == 1.0 and info.mode == "classical" and info.owner == "notebook"
    log = "\n".join(calcs.log(calc_id))
    assert "started from a notebook" in log and "complete; datastore" in log
    assert calcs.hazard_curves(calc_id).n_sites == 9
    assert calcs.abort(calc_id) is False  # finished


def test_abort_interrupts_the_worker(calcs) -> None:
    calc_id = calcs.submit(DEMO_JOBS[0])
    popen, _ = calcs._workers[calc_id]
    assert calcs.abort(calc_id) is True
    assert calcs.info(calc_id).status == "aborted"
    popen.wait(timeout=30)
    time.sleep(0.2)
    assert calcs.info(calc_id).status == "aborted"  # a final status never changes
    with pytest.raises(NotFound, match="aborted"):
        calcs.hazard_curves(calc_id)


def test_a_killed_worker_is_marked_failed(calcs) -> None:
    calc_id = calcs.submit(DEMO_JOBS[0])
    popen, _ = calcs._workers[calc_id]
    os.killpg(popen.pid, signal.SIGKILL)
    popen.wait(timeout=30)
    info = calcs.info(calc_id)
    assert info.status == "failed"
    assert "was killed by signal 9" in calcs.traceback(calc_id)


def test_scenario_pages_and_filters(scenarios) -> None:
    page = scenarios.scenarios(limit=2)
    assert page.total == 3 and len(page.items) == 2
    names = [s["name"] for s in page.items] + [
        s["name"] for s in scenarios.scenarios(offset=2, limit=2).items]
    assert names == sorted(names) and len(set(names)) == 3
    floods = scenarios.scenarios(name="FLOOD")
    assert floods.total == 2 and all(s["source"] == "3Di" for s in floods.items)
    assert scenarios.scenarios(name="no such").items == []
    with pytest.raises(NotFound):
        scenarios.scenario("00000000-0000-0000-0000-000000000000")


def test_scenario_results_download_and_raster(scenarios, flood_uuid, tmp_path: Path) -> None:
    results = scenarios.results(flood_uuid)
    codes = {r["code"]: r for r in results}
    assert codes["grid-admin"]["family"] == "Raw" and codes["grid-admin"]["raster"] is None
    assert codes["depth-max-dtri"]["raster"] and not codes["depth-max-dtri"]["attachment_url"]
    assert codes["results-3di"]["attachment_url"].startswith("file://")
    path = scenarios.download(flood_uuid, "damage-summary", tmp_path)
    assert path == tmp_path / "damage-summary.csv" and path.read_text().startswith("class,")
    with pytest.raises(NotFound, match="raster"):
        scenarios.download(flood_uuid, "depth-max-dtri", tmp_path)
    raster = scenarios.raster(flood_uuid, "depth-max-dtri")
    assert raster.array.shape == (26, 26) and raster.units == "m"
    assert 2.4 < float(raster.array[raster.array == raster.array].max()) < 2.5
    with pytest.raises(InputError, match="not a raster"):
        scenarios.raster(flood_uuid, "damage-summary")


def test_scenario_fields_and_damage(scenarios, flood_uuid) -> None:
    fields = scenarios.fields(flood_uuid)
    assert list(fields) == ["Water depth"] and fields["Water depth"].n_steps == 25
    damage = scenarios.damage(flood_uuid)
    assert damage is not None and damage.column("total_damage").sum() > 0
    assert damage.raster is not None and damage.raster.units == "EUR"
    quake = next(s["uuid"] for s in scenarios.scenarios().items if s["source"] == "toolkit")
    gmf = scenarios.fields(quake)
    assert list(gmf) == ["PGA", "SA(1.0)"] and gmf["PGA"].step_name == "event"
    assert scenarios.damage(quake) is None


def test_empty_data_directory(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    page = LocalScenarios(settings).scenarios()
    assert page.items == [] and page.total == 0
    assert LocalCalcs(settings).list() == []


def test_ensure_demo_data_is_idempotent(demo_settings, scenarios, calcs) -> None:
    n_scenarios = scenarios.scenarios().total
    demo_calcs = [c.id for c in calcs.list(limit=None) if c.owner == "demo"]
    ensure_demo_data(demo_settings)
    assert scenarios.scenarios().total == n_scenarios
    assert [c.id for c in calcs.list(limit=None) if c.owner == "demo"] == demo_calcs
