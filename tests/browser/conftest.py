"""Browser tests: Voila serving ``notebooks/`` on 127.0.0.1, driven by Playwright with Debian's
Chromium (``executable_path``; ``playwright install`` is never needed).

- ``browser`` (session) finds Chromium (``CHROMIUM_PATH``, else ``/usr/bin/chromium``, else
  ``chromium`` or ``google-chrome`` on the PATH); when it or Playwright is missing the tests skip
  with the reason, unless ``TOOLKIT_REQUIRE_BROWSER=1`` (then they fail: CI must not skip
  silently).
  It is requested before ``voila_url``, so nothing is started when the tests skip.
- ``voila_url`` (session) starts ``voila notebooks/`` in its own process group with
  ``TOOLKIT_DATA`` set to a temporary data directory holding the demo data, waits for the port,
  and stops the group (Voila and its kernels) at the end.
- ``page`` gives a fresh page per test and fails the test on a JavaScript page error;
  screenshots go to ``tests/browser/artifacts/`` (ignored by git).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-dev-shm-usage"]


def find_chromium() -> str | None:
    """``CHROMIUM_PATH`` when set (only it), else Debian's ``/usr/bin/chromium``, else a
    Chromium or Chrome on the PATH."""
    chosen = os.environ.get("CHROMIUM_PATH")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _require_browser() -> bool:
    from toolkit.config import load_settings

    return load_settings().require_browser


def _unavailable(reason: str) -> None:
    if _require_browser():
        pytest.fail(f"TOOLKIT_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install playwright; no browser "
                     "download needed)")
    exe = find_chromium()
    if exe is None:
        _unavailable("no Chromium found: install Debian's chromium (apt-get install chromium; "
                     "`make test` does it when run as root)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def voila_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the demo calculations and scenarios."""
    from toolkit.config import Settings
    from toolkit.widgets.local import ensure_demo_data

    path = tmp_path_factory.mktemp("voila_data")
    ensure_demo_data(Settings(data_dir=path))
    return path


def start_voila(data_dir: Path, log: Path, port: int) -> subprocess.Popen[bytes]:
    """``voila notebooks/`` on 127.0.0.1:port in its own process group."""
    env = {**os.environ, "TOOLKIT_DATA": str(data_dir), "MPLBACKEND": "Agg"}
    return subprocess.Popen(
        [sys.executable, "-m", "voila", str(REPO / "notebooks"), "--no-browser",
         f"--port={port}", "--Voila.ip=127.0.0.1", "--show_tracebacks=True"],
        stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=env, cwd=data_dir,
        start_new_session=True)


def wait_for_port(proc: subprocess.Popen[bytes], port: int, log: Path,
                  timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            pytest.fail(f"voila exited with status {proc.returncode}:\n{log.read_text()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            pytest.fail(f"voila did not open port {port} in {timeout} s:\n{log.read_text()}")
        time.sleep(0.1)


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group we started (Voila and its kernels), then SIGKILL."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def voila_url(browser: Any, voila_data: Path, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("voila_log") / "voila.log"
    proc = start_voila(voila_data, log, port)
    try:
        wait_for_port(proc, port, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_group(proc)


@pytest.fixture
def page(browser: Any, voila_url: str) -> Iterator[Any]:
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1200, "height": 1600})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.set_default_timeout(60_000)
    # assertions wait for the kernel: on a loaded 2-core machine a redraw can take seconds
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    yield pg
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def open_app(page: Any, voila_url: str) -> Any:
    """``open_app(notebook, query="", ready=".tk-widget")``: load an app and wait until its
    widgets are rendered; return the page."""
    from playwright.sync_api import expect

    def load(notebook: str, query: str = "", ready: str = ".tk-widget") -> Any:
        page.goto(f"{voila_url}/voila/render/{notebook}{query}", timeout=120_000)
        expect(page.locator(ready).first).to_be_visible(timeout=120_000)
        return page

    return load


@pytest.fixture
def shot(page: Any) -> Any:
    """``shot(name)``: screenshot of the page to ``tests/browser/artifacts/<name>.png``."""

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take
