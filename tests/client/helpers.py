"""Helpers of the client tests: a live toolkit server in a thread, small jobs."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from toolkit.config import Settings
from toolkit.jobs.runner import DEMO

#: A scenario job in one file: 3 sites, 10 fields of PGA and SA(0.3).
SCENARIO_INI = """\
[general]
description = client test scenario
calculation_mode = scenario
sites = 0 0, 0 0.1, 0 0.2
reference_vs30_value = 760
rupture_dict = {'lon': 0, 'lat': 0, 'dep': 10, 'mag': 6, 'rake': 0, 'strike': 0, 'dip': 90}
gsim = BooreAtkinson2008
intensity_measure_types = PGA, SA(0.3)
truncation_level = 3
number_of_ground_motion_fields = 10
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def settings(data_dir: Path, **changes: Any) -> Settings:
    return Settings(data_dir=data_dir, max_concurrent_jobs=2).with_(**changes)


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """A uvicorn server of an ASGI ``app`` in a thread (lifespan on); yields its URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


def classical_job(folder: Path, sites: str = "lon,lat\n10.00,45.00\n10.10,45.05\n") -> Path:
    """A copy of the demo classical job (two realizations, mean and quantiles, maps and
    spectra at poes 0.1 and 0.02) on the given sites; returns its job.ini."""
    shutil.copytree(DEMO.parent, folder, dirs_exist_ok=True)
    (folder / "sites.csv").write_text(sites)
    return folder / "job.ini"


def scenario_job(folder: Path, text: str = SCENARIO_INI) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "job.ini"
    path.write_text(text)
    return path

