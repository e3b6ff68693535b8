"""End to end: `toolkit serve` as a real process on a free port, driven over HTTP with requests.

Run a job from a zip, poll its status, read its log, extract (numpy.load without pickles),
download a result, abort a long job (PEER Set 1 case 10), remove both.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import requests

from toolkit.jobs.runner import DEMO

from .helpers import classical_job, zip_dir

PEER_CASE_10 = DEMO.parents[1] / "peer" / "Set1-Case10"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def toolkit_command() -> list[str]:
    script = Path(sys.executable).parent / "toolkit"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from toolkit.cli import main; sys.exit(main())"]


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"toolkit serve exited with {proc.returncode}: "
                                 f"{proc.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            if requests.get(f"{url}/v1/engine_version", timeout=10).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or slow on a loaded machine
            pass
        time.sleep(0.1)
    raise AssertionError(f"toolkit serve did not answer on {url} within {timeout} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    port = free_port()
    env = {**os.environ, "TOOLKIT_DATA": str(root / "data"), "TOOLKIT_AUTH_MODE": "public"}
    proc = subprocess.Popen([*toolkit_command(), "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc)
        yield url, root
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def status(url: str, calc: int) -> dict:
    r = requests.get(f"{url}/v1/calc/{calc}/status", timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def wait_for(url: str, calc: int, predicate, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = status(url, calc)
        if predicate(body):
            return body
        assert time.monotonic() < deadline, f"calculation {calc}: {body}"
        time.sleep(0.1)


def run_zip(url: str, data: bytes) -> int:
    r = requests.post(f"{url}/v1/calc/run", files={"archive": ("job.zip", data)}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["status"] in ("created", "executing")
    return r.json()["job_id"]


def test_run_poll_log_extract_download_abort_remove(server):
    url, root = server
    # a long job first, so that it runs while the small one is checked
    long_zip = zip_dir(PEER_CASE_10)
    small = run_zip(url, zip_dir(classical_job(root / "small").parent))
    long = run_zip(url, long_zip)

    # run from a zip, poll the status
    done = wait_for(url, small, lambda b: not b["is_running"])
    assert done["status"] == "complete" and done["abortable"] is False

    # the log (the worker writes its last line just after the status becomes complete)
    deadline = time.monotonic() + 60
    while True:
        lines = requests.get(f"{url}/v1/calc/{small}/log/:", timeout=30).json()
        if any("finished" in line[3] for line in lines):
            break
        assert time.monotonic() < deadline, lines
        time.sleep(0.1)
    assert any("started" in line[3] for line in lines)
    assert requests.get(f"{url}/v1/calc/{small}/log/size", timeout=30).json() == len(lines)

    # extract: the npz loads without pickles
    r = requests.get(f"{url}/v1/calc/{small}/extract/hcurves?kind=mean", timeout=10)
    assert r.status_code == 200 and r.headers["X-Toolkit-Version"]
    npz = np.load(io.BytesIO(r.content), allow_pickle=False)
    assert npz["mean"].shape == (1, 3, 20) and np.all(np.diff(npz["mean"], axis=-1) <= 0)

    # download a result
    outputs = requests.get(f"{url}/v1/calc/{small}/results", timeout=10).json()
    hcurves = next(o for o in outputs if o["type"] == "hcurves")
    r = requests.get(hcurves["url"], timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/x-zip"
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert f"hazard_curve-mean-PGA_{small}.csv" in names

    # abort the long job while it executes; it stays aborted
    wait_for(url, long, lambda b: b["status"] == "executing")
    r = requests.post(f"{url}/v1/calc/{long}/abort", timeout=30)
    assert r.json() == {"success": f"Killing job {long}"}
    assert status(url, long)["status"] == "aborted"
    time.sleep(1.0)
    body = status(url, long)
    assert body["status"] == "aborted" and body["is_running"] is False
    assert requests.post(f"{url}/v1/calc/{long}/abort", timeout=10).json() == {
        "error": f"Job {long} is not running"}

    # remove both
    for calc in (small, long):
        r = requests.post(f"{url}/v1/calc/{calc}/remove", timeout=60)
        assert r.status_code == 200 and r.json()["success"] == str(calc)
        assert requests.get(f"{url}/v1/calc/{calc}/status", timeout=10).status_code == 404
    assert requests.get(f"{url}/v1/calc/list", timeout=10).json() == []
