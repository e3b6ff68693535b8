"""Helpers of the server tests: small jobs, zips, an in-process app with a real JobManager."""

from __future__ import annotations

import io
import shutil
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from toolkit.config import Settings
from toolkit.jobs.runner import DEMO

#: A scenario job in one file (no other inputs): 3 sites, 10 fields of PGA and SA(0.3).
SCENARIO_INI = """\
[general]
description = server test scenario
calculation_mode = scenario
sites = 0 0, 0 0.1, 0 0.2
reference_vs30_value = 760
rupture_dict = {'lon': 0, 'lat': 0, 'dep': 10, 'mag': 6, 'rake': 0, 'strike': 0, 'dip': 90}
gsim = BooreAtkinson2008
intensity_measure_types = PGA, SA(0.3)
truncation_level = 3
number_of_ground_motion_fields = 10
"""


def classical_job(folder: Path) -> Path:
    """A one-site copy of the demo classical job (two realizations, mean and quantiles,
    hazard maps and spectra) in ``folder``; returns its job.ini."""
    shutil.copytree(DEMO.parent, folder, dirs_exist_ok=True)
    (folder / "sites.csv").write_text("lon,lat\n10.00,45.00\n")
    return folder / "job.ini"


def scenario_job(folder: Path, text: str = SCENARIO_INI) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "job.ini"
    path.write_text(text)
    return path


def zip_dir(folder: Path, prefix: str = "") -> bytes:
    """The files of ``folder`` zipped (under ``prefix``)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                archive.write(path, prefix + path.name)
    return buf.getvalue()


def zip_members(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def server_settings(data_dir: Path, **changes: object) -> Settings:
    return Settings(data_dir=data_dir, max_concurrent_jobs=2).with_(**changes)


@contextmanager
def app_client(settings: Settings, **kwargs: object) -> Iterator[TestClient]:
    """A TestClient of ``create_app(settings)`` with its lifespan (the JobManager runs)."""
    from toolkit.server import create_app

    app = create_app(settings)
    with TestClient(app, **kwargs) as client:
        yield client
        app.state.toolkit.manager.stop(abort_running=True, timeout=5.0)


def wait_done(client: TestClient, calc_id: int, timeout: float = 60.0) -> dict:
    """Poll ``/v1/calc/:id/status`` until the calculation is no longer running, then wait for
    its worker process to exit (its last log line comes after the final status)."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/v1/calc/{calc_id}/status").json()
        if not body["is_running"]:
            client.app.state.toolkit.manager.wait(calc_id, max(deadline - time.monotonic(), 1))
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"calculation {calc_id} still {body['status']} after {timeout} s")
        time.sleep(0.1)


def run_zip(client: TestClient, data: bytes, **form: str) -> int:
    r = client.post("/v1/calc/run", files={"archive": ("job.zip", data, "application/zip")},
                    data=form)
    assert r.status_code == 200, r.text
    return r.json()["job_id"]


def run_files(client: TestClient, files: dict[str, bytes], **form: str) -> int:
    r = client.post("/v1/calc/run", files=[("archive", (n, d)) for n, d in files.items()],
                    data=form)
    assert r.status_code == 200, r.text
    return r.json()["job_id"]


EXPOSURE_CSV = """id,lon,lat,taxonomy,number,structural,OCC
a1,10.05,45.02,RC,10,1000,res
a2,10.10,45.00,RM,5,500,com
a3,10.10,45.00,RC,1,2000,res
"""
VULNERABILITY_XML = """<?xml version="1.0" encoding="utf-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/0.5">
  <vulnerabilityModel id="v" assetCategory="buildings" lossCategory="structural">
    <vulnerabilityFunction id="RC" dist="LN">
      <imls imt="PGA">0.05 0.1 0.2 0.4 0.8</imls>
      <meanLRs>0.01 0.05 0.15 0.4 0.7</meanLRs><covLRs>0 0 0 0 0</covLRs>
    </vulnerabilityFunction>
    <vulnerabilityFunction id="RM" dist="LN">
      <imls imt="PGA">0.05 0.1 0.2 0.4 0.8</imls>
      <meanLRs>0.02 0.08 0.2 0.5 0.8</meanLRs><covLRs>0 0 0 0 0</covLRs>
    </vulnerabilityFunction>
  </vulnerabilityModel>
</nrml>
"""
FRAGILITY_XML = """<?xml version="1.0" encoding="utf-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/0.5">
  <fragilityModel id="f" assetCategory="buildings" lossCategory="structural">
    <description>test</description>
    <limitStates>LS1 LS2</limitStates>
    <fragilityFunction id="RC" format="continuous" shape="logncdf">
      <imls imt="PGA" noDamageLimit="0.01" minIML="0.01" maxIML="3.0"/>
      <params ls="LS1" mean="0.2" stddev="0.1"/>
      <params ls="LS2" mean="0.5" stddev="0.2"/>
    </fragilityFunction>
    <fragilityFunction id="RM" format="continuous" shape="logncdf">
      <imls imt="PGA" noDamageLimit="0.01" minIML="0.01" maxIML="3.0"/>
      <params ls="LS1" mean="0.15" stddev="0.1"/>
      <params ls="LS2" mean="0.4" stddev="0.2"/>
    </fragilityFunction>
  </fragilityModel>
</nrml>
"""


def risk_job(folder: Path, mode: str) -> Path:
    """A scenario_risk or scenario_damage job with its own scenario (3 assets, 3 sites)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "exposure.csv").write_text(EXPOSURE_CSV)
    if mode == "scenario_damage":
        (folder / "fragility.xml").write_text(FRAGILITY_XML)
        model = "structural_fragility_file = fragility.xml"
    else:
        (folder / "vulnerability.xml").write_text(VULNERABILITY_XML)
        model = "structural_vulnerability_file = vulnerability.xml"
    path = folder / "job.ini"
    path.write_text(f"""[general]
description = server test {mode}
calculation_mode = {mode}
exposure_file = exposure.csv
{model}
rupture_dict = {{'lon': 10.0, 'lat': 45.0, 'dep': 5.0, 'mag': 6.0, 'rake': 0.0,
    'strike': 0.0, 'dip': 90.0}}
gsim = BooreAtkinson2008
number_of_ground_motion_fields = 5
truncation_level = 3
maximum_distance = 100
reference_vs30_value = 760
intensity_measure_types = PGA
sites = 10.05 45.02, 10.10 45.00
""")
    return path
