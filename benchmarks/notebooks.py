"""Benchmark of the notebook experience -> benchmarks/results/notebooks.json.

1. Voila cold start to first render of each app: a fresh ``voila notebooks/`` process per app,
   from process start to the app's widgets visible in headless Chromium; plus a warm reload
   (same Voila, new kernel).
2. Run click to displayed curve: in ``run_hazard.ipynb``, from the click on Run (demo classical
   job, in-process worker) to the hazard viewer's status line showing the curves.
3. Render of a 1,000,000-cell field: :class:`toolkit.widgets.FieldViewer` on a 1000 x 1000
   cell grid (in the kernel, no browser): grid build, first draw, redraw after a step change,
   PNG size, peak RSS.

Parts 1 and 2 need Chromium (Debian's ``/usr/bin/chromium``) and Playwright; without them they
are recorded as skipped with the reason. Nothing is asserted: times are measured.

    python benchmarks/notebooks.py [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import REPO, now, write_result

APPS = {
    "run_hazard": ".tk-job-runner button.tk-run",
    "browse_calculations": ".tk-calc-browser .tk-calcs select",
    "browse_scenarios": ".tk-scenario-browser .tk-scenarios select",
    "compare_scenarios": ".tk-compare img.tk-plot",
}
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


def _chromium() -> str | None:
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("google-chrome")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_voila(data: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TOOLKIT_DATA": str(data), "MPLBACKEND": "Agg"}
    return subprocess.Popen([sys.executable, "-m", "voila", str(REPO / "notebooks"),
                             "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"],
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=env,
                            cwd=data, start_new_session=True)


def _wait_port(proc: subprocess.Popen[bytes], port: int, timeout: float = 120.0) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"voila exited with status {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return time.perf_counter() - start
        time.sleep(0.05)
    raise RuntimeError(f"voila did not open port {port}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _render(page: Any, url: str, ready: str) -> float:
    from playwright.sync_api import expect

    start = time.perf_counter()
    page.goto(url, timeout=180_000)
    expect(page.locator(ready).first).to_be_visible(timeout=180_000)
    return time.perf_counter() - start


def browser_part(data: Path, work: Path, repeat: int) -> dict[str, Any]:
    exe = _chromium()
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        return {"skipped": "playwright is not installed"}
    if exe is None:
        return {"skipped": "no Chromium (apt-get install chromium)"}
    out: dict[str, Any] = {"cold_start_s": {}, "warm_reload_s": {}}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True, args=FLAGS)
        for app, ready in APPS.items():
            cold, warm = [], []
            for i in range(repeat):
                port = _free_port()
                t0 = time.perf_counter()
                proc = _start_voila(data, port, work / f"voila-{app}-{i}.log")
                try:
                    _wait_port(proc, port)
                    page = browser.new_page(viewport={"width": 1200, "height": 1400})
                    url = f"http://127.0.0.1:{port}/voila/render/{app}.ipynb"
                    _render(page, url, ready)
                    cold.append(time.perf_counter() - t0)
                    warm.append(_render(page, url, ready))
                    page.close()
                finally:
                    _stop(proc)
            out["cold_start_s"][app] = round(min(cold), 2)
            out["warm_reload_s"][app] = round(min(warm), 2)
        # Run click -> curve displayed
        port = _free_port()
        proc = _start_voila(data, port, work / "voila-run.log")
        runs = []
        try:
            _wait_port(proc, port)
            for _ in range(repeat):
                page = browser.new_page(viewport={"width": 1200, "height": 1400})
                _render(page, f"http://127.0.0.1:{port}/voila/render/run_hazard.ipynb",
                        APPS["run_hazard"])
                t0 = time.perf_counter()
                page.locator(".tk-job-runner button.tk-run").click()
                expect(page.locator(".tk-hazard-viewer .tk-status")).to_contain_text(
                    "3 curves of PGA", timeout=180_000)
                runs.append(time.perf_counter() - t0)
                page.close()
        finally:
            _stop(proc)
        out["run_click_to_curve_s"] = round(min(runs), 2)
        browser.close()
    return out


def field_part() -> dict[str, Any]:
    """1,000,000 cells in FieldViewer, in a fresh process (clean timings and peak RSS)."""
    code = r"""
import json, resource, time
import numpy as np
t0 = time.perf_counter()
from toolkit.scenarios.rasters import CellGrid
from toolkit.widgets import FieldViewer
from toolkit.widgets.protocol import FieldSeries
import matplotlib.figure  # noqa: F401  (import cost is not render time)
t_import = time.perf_counter() - t0
n = 1000
col, row = np.divmod(np.arange(n * n), n)
t0 = time.perf_counter()
grid = CellGrid.from_bounds(col * 10.0, row * 10.0, col * 10.0 + 10, row * 10.0 + 10)
t_grid = time.perf_counter() - t0
x, y = col * 10.0 + 5, row * 10.0 + 5
def values(step):
    return np.maximum(0.0, np.sin(x / 800 + step / 3) + np.cos(y / 600) - 0.3)
field = FieldSeries("Water depth", "m", x, y, [f"step {i}" for i in range(10)], values,
                    grid=grid, crs="EPSG:28992", dry_below=0.0, vmax=2.0)
t0 = time.perf_counter(); viewer = FieldViewer(field); t_first = time.perf_counter() - t0
redraws = []
for step in (3, 6, 9):
    t0 = time.perf_counter(); viewer.step = step; redraws.append(time.perf_counter() - t0)
print(json.dumps({"cells": n * n, "import_s": round(t_import, 2), "grid_build_s": round(t_grid, 2),
                  "first_render_s": round(t_first, 2), "redraw_s": round(min(redraws), 2),
                  "png_bytes": len(viewer.image.value), "status": viewer.status_text,
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                       / 1024, 1)}))
"""
    import json

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env={**os.environ, "MPLBACKEND": "Agg"})
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="best of N for the browser part")
    args = parser.parse_args()
    from toolkit.config import Settings
    from toolkit.widgets.local import ensure_demo_data

    with tempfile.TemporaryDirectory(prefix="toolkit-bench-nb-") as tmp:
        work = Path(tmp)
        data = work / "data"
        t0 = time.perf_counter()
        ensure_demo_data(Settings(data_dir=data))
        demo_s = time.perf_counter() - t0
        payload = {
            "date": now(),
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                        "platform": platform.platform()},
            "demo_data_load_s": round(demo_s, 2),
            "voila": browser_part(data, work, max(1, args.repeat)),
            "field_1m_cells": field_part(),
            "peak_rss_mb_benchmark": round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    path = write_result("notebooks", payload)
    print(f"wrote {path}")
    import json

    print(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
