"""The WebExtractor protocol (shared/reference/openquake/NOTES.md section 5) against a running
server: always with plain requests + numpy.load(allow_pickle=False), and with OpenQuake's own
``WebExtractor`` when OpenQuake is installed (``../oq-venv``, or ``TOOLKIT_OQ_VENV``)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import requests
import uvicorn

from toolkit.config import Settings
from toolkit.jobs.runner import run_job
from toolkit.server import create_app
from toolkit.store import Catalogue

from .helpers import classical_job, server_settings, zip_dir
from .test_end_to_end import free_port

REPO = Path(__file__).resolve().parents[2]

WEBEXTRACTOR_SCRIPT = """
import json, sys
from openquake.calculators.extract import WebExtractor
print("IMPORTED", flush=True)

calc_id, server = int(sys.argv[1]), sys.argv[2]
x = WebExtractor(calc_id, server=server, username='', password='')
out = {"mode": x.oqparam.calculation_mode, "investigation_time": x.oqparam.investigation_time,
       "imts": list(x.oqparam.hazard_imtls)}
sitecol = x.get('sitecol')
out["sitecol"] = [list(sitecol.array.dtype.names), len(sitecol.array)]
rlzs = x.get('realizations')
out["realizations"] = [r.decode() for r in rlzs.array['branch_path']]
mean = x.get('hcurves?kind=mean')
out["mean"] = [list(mean.mean.shape), float(mean.mean[0, 0, 0]), list(mean.kind)]
try:
    x.get('nonexistent')
except Exception as exc:
    out["error"] = type(exc).__name__ + ": " + str(exc)[:200]
x.close()
try:
    WebExtractor(999, server=server, username='', password='')
except Exception as exc:
    out["unknown"] = type(exc).__name__ + ": " + str(exc)[:200]
# restricted mode: log in (ajax_login), then the session cookie authorises the GETs
calc_id, server = int(sys.argv[3]), sys.argv[4]
x = WebExtractor(calc_id, server=server, username='alice', password='alice-pass')
out["restricted"] = [x.oqparam.calculation_mode, len(x.get('sitecol').array)]
x.close()
for user, password, key in (('alice', 'wrong', 'bad_password'), ('', '', 'anonymous'),
                            ('bob', 'bob-pass', 'other_user')):
    try:
        WebExtractor(calc_id, server=server, username=user, password=password)
        out[key] = "no error"
    except Exception as exc:
        out[key] = type(exc).__name__ + ": " + str(exc)[:200]
print("RESULT " + json.dumps(out))
"""


def openquake_python() -> Path | None:
    """The Python of an OpenQuake install (``TOOLKIT_OQ_VENV`` or ``../oq-venv``)."""
    for folder in (os.environ.get("TOOLKIT_OQ_VENV", ""), str(REPO.parent / "oq-venv")):
        if folder and (Path(folder) / "bin" / "python").is_file():
            return Path(folder) / "bin" / "python"
    return None


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """A uvicorn server of ``create_app(settings)`` in a thread; yields its URL."""
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A public server with one complete classical calculation, run through it."""
    root = tmp_path_factory.mktemp("webextractor")
    with serving(server_settings(root / "data")) as url:
        data = zip_dir(classical_job(root / "job").parent)
        r = requests.post(f"{url}/v1/calc/run", files={"archive": ("job.zip", data)}, timeout=60)
        calc = r.json()["job_id"]
        deadline = time.monotonic() + 60
        while requests.get(f"{url}/v1/calc/{calc}/status", timeout=10).json()["is_running"]:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        yield url, calc


@pytest.fixture(scope="module")
def live_restricted(tmp_path_factory):
    """A restricted server where alice owns a classical calculation (bob is another user)."""
    root = tmp_path_factory.mktemp("webextractor_restricted")
    settings = server_settings(root / "data", auth_mode="restricted")
    calc = run_job(classical_job(root / "job"), settings, progress=False, owner="alice")
    with Catalogue(settings.catalogue_path) as catalogue:
        catalogue.add_user("alice", "alice-pass", "Org")
        catalogue.add_user("bob", "bob-pass", "Org")
    with serving(settings) as url:
        yield url, calc


def _npz(response: requests.Response) -> dict[str, np.ndarray]:
    assert response.status_code == 200, response.text
    npz = np.load(io.BytesIO(response.content))  # numpy's defaults: no pickles, 10000 header
    return {key: npz[key] for key in npz}


def test_protocol_with_requests(live):
    """What WebExtractor does, step by step, with one requests.Session."""
    url, calc = live
    with requests.Session() as session:
        oq = _npz(session.get(f"{url}/v1/calc/{calc}/extract/oqparam"))
        params = json.loads(bytes(oq["json"]))
        assert isinstance(params, dict) and params["calculation_mode"] == "classical"
        assert all(not isinstance(v, dict) or k in ("hazard_imtls", "inputs")
                   for k, v in params.items())
        sitecol = _npz(session.get(f"{url}/v1/calc/{calc}/extract/sitecol"))["array"]
        assert sitecol.dtype.names[:7] == ("sids", "lon", "lat", "depth", "backarc", "vs30",
                                           "vs30measured")
        rlzs = _npz(session.get(f"{url}/v1/calc/{calc}/extract/realizations"))["array"]
        assert len(rlzs) == 2
        mean = _npz(session.get(f"{url}/v1/calc/{calc}/extract/hcurves?kind=mean"))
        assert mean["mean"].shape == (1, 3, 20) and list(mean["kind"]) == ["mean"]
        stats = _npz(session.get(f"{url}/v1/calc/{calc}/extract/hcurves?kind=stats"))
        np.testing.assert_array_equal(stats["mean"], mean["mean"])
        r = session.get(f"{url}/v1/calc/{calc}/extract/nonexistent")
        assert r.status_code == 404 and "nonexistent" in r.text
        assert session.get(f"{url}/v1/calc/999/extract/oqparam").status_code == 404
        r = session.get(f"{url}/v1/calc/{calc}/datastore")
        assert r.status_code == 200 and r.content[:4] == b"\x89HDF"


def test_protocol_in_restricted_mode(live_restricted):
    url, calc = live_restricted
    with requests.Session() as session:
        assert session.get(f"{url}/v1/calc/{calc}/extract/oqparam").status_code == 403
        r = session.post(f"{url}/accounts/ajax_login/",
                         data={"username": "alice", "password": "alice-pass"})
        assert r.status_code == 200 and "sessionid" in session.cookies
        oq = _npz(session.get(f"{url}/v1/calc/{calc}/extract/oqparam"))
        assert json.loads(bytes(oq["json"]))["calculation_mode"] == "classical"


def test_openquake_webextractor(live, live_restricted):
    python = openquake_python()
    if python is None:
        pytest.skip("OpenQuake is not installed: no ../oq-venv/bin/python and TOOLKIT_OQ_VENV "
                    "unset")
    url, calc = live
    url_r, calc_r = live_restricted
    proc = subprocess.run([str(python), "-c", WEBEXTRACTOR_SCRIPT, str(calc), url, str(calc_r),
                           url_r], capture_output=True, text=True, timeout=300)
    if "IMPORTED" not in proc.stdout:
        pytest.skip(f"openquake.calculators.extract does not import with {python}: "
                    f"{proc.stderr.strip().splitlines()[-1:]}")
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    out = json.loads(lines[-1][len("RESULT "):])
    assert out["mode"] == "classical" and out["investigation_time"] == 50.0
    assert out["imts"] == ["PGA", "SA(0.2)", "SA(1.0)"]
    assert out["sitecol"][0][:3] == ["sids", "lon", "lat"] and out["sitecol"][1] == 1
    assert len(out["realizations"]) == 2
    shape, first, kind = out["mean"]
    assert shape == [1, 3, 20] and 0 < first <= 1 and kind == ["mean"]
    assert out["error"].startswith("WebAPIError") and "nonexistent" in out["error"]
    assert out["unknown"].startswith("WebAPIError") and "Not Found" in out["unknown"]
    assert out["restricted"] == ["classical", 1]
    assert out["bad_password"] == "WebAPIError: Invalid login"
    assert out["anonymous"] == "WebAPIError: "  # 403 with an empty body, as OpenQuake
    assert out["other_user"].startswith("WebAPIError: Not Found")  # 404, not 403
