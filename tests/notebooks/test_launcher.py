"""``make run`` (``python -m toolkit.launcher``): both servers answer on 127.0.0.1, both URLs
are printed, Ctrl-C stops both process groups."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(
        f"/proc/{pid}/status").read_text().lower()


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_run_starts_both_and_ctrl_c_stops_both(demo_data: Path, tmp_path: Path) -> None:
    import requests

    server_port, voila_port = _free_port(), _free_port()
    env = {**os.environ, "TOOLKIT_DATA": str(demo_data), "TOOLKIT_PORT": str(server_port)}
    out = tmp_path / "launcher.out"
    proc = subprocess.Popen([sys.executable, "-m", "toolkit.launcher", "--voila-port",
                             str(voila_port), "--notebooks", str(REPO / "notebooks")],
                            stdout=open(out, "wb"), stderr=subprocess.STDOUT, env=env,
                            start_new_session=True, preexec_fn=_interruptible)
    try:
        deadline = time.monotonic() + 180
        while "Press Ctrl-C" not in out.read_text() and proc.poll() is None:
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.2)
        text = out.read_text()
        assert proc.poll() is None, text
        server, voila = f"http://127.0.0.1:{server_port}", f"http://127.0.0.1:{voila_port}"
        assert f"{server}/v1/calc/list" in text and f"{server}/api/v4/scenarios/" in text
        assert f"{voila}/voila/render/run_hazard.ipynb" in text
        assert requests.get(f"{server}/v1/calc/list", timeout=10).status_code == 200
        assert requests.get(f"{voila}/", timeout=30).status_code == 200
        children = [int(p) for p in re.findall(r"\[(\d+)\]", text)]  # uvicorn's pid
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        assert "stopping" in out.read_text()
        for url in (server, voila):
            with pytest.raises(requests.ConnectionError):
                requests.get(url, timeout=5)
        assert not [pid for pid in children if _alive(pid)]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_a_busy_port_is_reported(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {**os.environ, "TOOLKIT_DATA": str(tmp_path)}
        result = subprocess.run([sys.executable, "-m", "toolkit.launcher", "--no-server",
                                 "--voila-port", str(port), "--notebooks",
                                 str(REPO / "notebooks")],
                                capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert not (tmp_path / "db.sqlite3").exists()  # nothing loaded before the check


def test_missing_notebooks_are_reported(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "toolkit.launcher", "--notebooks",
                             str(tmp_path)], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "TOOLKIT_DATA": str(tmp_path)})
    assert result.returncode == 2 and "run_hazard.ipynb is missing" in result.stderr


def _interruptible() -> None:
    """preexec_fn: the child takes Ctrl-C (SIGINT) as a user's shell would give it to it,
    whatever the pytest worker inherited or blocked (a signal ignored or blocked there is
    ignored or blocked in every child it starts: the child would never see the interrupt)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)
