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

from toolkit.jobs.runner import DEMO

# the same scenario job and settings as the server tests
from ..server.helpers import SCENARIO_INI, scenario_job  # noqa: F401
from ..server.helpers import server_settings as settings  # noqa: F401


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
