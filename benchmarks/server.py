"""Server benchmark: latency of the OpenQuake WebAPI routes and submit-to-complete time.

Starts ``toolkit serve`` as a real process on a free port with a fresh data directory under
``benchmarks/work/server`` holding 20 calculations (one run through the server, the others
registered directly in the catalogue, as the ~20 calculations of OpenQuake's measurement),
then measures with ``requests``:

- ``GET /v1/calc/list`` and ``GET /v1/calc/:id/status``: median and p99 latency for one client
  and for 50 concurrent clients (threads), each request on a fresh connection (as OpenQuake's
  figures) and on kept-alive connections (one ``requests.Session`` per client);
- submit-to-complete: ``POST /v1/calc/run`` of a zip until ``/status`` says ``complete``
  (polled every 20 ms), OpenQuake's QA classical case_01 when ``../shared`` is present (the job
  of OpenQuake's 9.6-10.9 s), else the demo job on one site; median of 3 runs.

OpenQuake's figures come from ``shared/reference/openquake/NOTES.md`` section 4 (Django dev
server, 2 cores): they are not measured again here (its server takes 12.5 s to start and
~450 MB). Results: ``benchmarks/results/server.json``.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import requests
from common import REPO, WORK, now, write_result

SHARED = REPO.parent / "shared"
QA_CASE_01 = SHARED / "reference" / "openquake" / "qa" / "classical" / "case_01"
DEMO = REPO / "toolkit" / "demos" / "classical"

#: OpenQuake 3.26.2's server (NOTES.md section 4), same 2-core machine
OPENQUAKE = {
    "source": "shared/reference/openquake/NOTES.md section 4 (Django dev server, 2 cores)",
    "calc_list_fresh_connection_ms": {"median": 4.9, "p90": 6.3},
    "json_gets_ms": "3-7",
    "kept_alive_connection_ms": {"calc_list": 48, "extract": 52},
    "run_to_complete_s": "9.6-10.9 (QA classical case_01)",
    "startup_s": 12.5,
    "rss_mb": "430-450",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _zip(files: list[Path]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.name)
    return buf.getvalue()


def _job() -> tuple[str, bytes]:
    if (QA_CASE_01 / "job.ini").is_file():
        names = ["job.ini", "gsim_logic_tree.xml", "source_model.xml",
                 "source_model_logic_tree.xml"]
        return "qa_classical_case_01", _zip([QA_CASE_01 / n for n in names])
    folder = WORK / "server" / "demo_1site"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(DEMO, folder)
    (folder / "sites.csv").write_text("lon,lat\n10.00,45.00\n")
    return "demo_classical_1_site", _zip(sorted(folder.iterdir()))


class Server:
    """``toolkit serve`` in a subprocess."""

    def __init__(self, data_dir: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        script = Path(sys.executable).parent / "toolkit"
        cmd = [str(script)] if script.is_file() else [
            sys.executable, "-c", "import sys; from toolkit.cli import main; sys.exit(main())"]
        env = {**os.environ, "TOOLKIT_DATA": str(data_dir), "TOOLKIT_AUTH_MODE": "public"}
        started = time.perf_counter()
        self.proc = subprocess.Popen([*cmd, "serve", "--port", str(self.port)], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while True:
            try:
                if requests.get(f"{self.url}/v1/engine_version", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if self.proc.poll() is not None or time.perf_counter() - started > 60:
                raise RuntimeError("toolkit serve did not start")
            time.sleep(0.05)
        self.startup_s = time.perf_counter() - started

    def rss_mb(self) -> float | None:
        """Resident memory of the server process (Linux), MB."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024.0, 1)
        except OSError:
            return None
        return None

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def submit_to_complete(url: str, data: bytes) -> tuple[float, int]:
    started = time.perf_counter()
    r = requests.post(f"{url}/v1/calc/run", files={"archive": ("job.zip", data)}, timeout=120)
    r.raise_for_status()
    calc = r.json()["job_id"]
    while True:
        status = requests.get(f"{url}/v1/calc/{calc}/status", timeout=30).json()["status"]
        if status not in ("created", "executing"):
            break
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    if status != "complete":
        raise RuntimeError(f"calculation {calc} ended {status}")
    return elapsed, calc


def _stats(samples: list[float]) -> dict[str, float]:
    ms = np.array(samples) * 1000.0
    return {"median": round(float(np.median(ms)), 2),
            "p99": round(float(np.percentile(ms, 99)), 2),
            "mean": round(float(ms.mean()), 2), "n": len(samples)}


def latency(url: str, clients: int, per_client: int, keep_alive: bool) -> dict[str, float]:
    """Latency of ``url`` with ``clients`` threads, ``per_client`` requests each."""
    samples: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def client() -> None:
        session = requests.Session() if keep_alive else None
        mine = []
        barrier.wait()
        for _ in range(per_client):
            t = time.perf_counter()
            r = (session.get(url, timeout=60) if session else
                 requests.get(url, timeout=60, headers={"Connection": "close"}))
            mine.append(time.perf_counter() - t)
            if r.status_code != 200:
                raise RuntimeError(f"{url}: {r.status_code}")
        if session:
            session.close()
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {**_stats(samples), "requests_per_s": round(len(samples) / wall, 1)}


def _fill_catalogue(data_dir: Path, count: int) -> None:
    """Register ``count`` complete calculations directly (a realistic list length)."""
    sys.path.insert(0, str(REPO))
    from toolkit.store import Catalogue

    with Catalogue(data_dir / "db.sqlite3") as catalogue:
        for i in range(count):
            calc = catalogue.create(f"benchmark filler {i}", "classical", None, "bench")
            catalogue.set_status(calc, "executing")
            catalogue.set_status(calc, "complete", size_mb=0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-client", type=int, default=20,
                        help="requests per concurrent client (default 20)")
    parser.add_argument("--runs", type=int, default=3, help="submit-to-complete runs")
    args, _ = parser.parse_known_args()

    data_dir = WORK / "server" / "data"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    name, job = _job()
    server = Server(data_dir)
    try:
        runs, calcs = [], []
        for _ in range(args.runs):
            elapsed, calc = submit_to_complete(server.url, job)
            runs.append(elapsed)
            calcs.append(calc)
        _fill_catalogue(data_dir, 20 - len(calcs))
        routes = {"calc_list": f"{server.url}/v1/calc/list",
                  "status": f"{server.url}/v1/calc/{calcs[0]}/status"}
        results: dict[str, dict] = {}
        for route, url in routes.items():
            latency(url, 1, 5, keep_alive=True)  # warm up
            results[route] = {
                "1_client_fresh_connection": latency(url, 1, 100, keep_alive=False),
                "1_client_keep_alive": latency(url, 1, 100, keep_alive=True),
                "50_clients_fresh_connection": latency(url, 50, args.per_client,
                                                       keep_alive=False),
                "50_clients_keep_alive": latency(url, 50, args.per_client, keep_alive=True),
            }
        rss = server.rss_mb()
    finally:
        server.stop()
    payload = {
        "date": now(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "toolkit": {
            "server": "uvicorn (toolkit serve), one process",
            "startup_s": round(server.startup_s, 2),
            "rss_mb_after_the_runs": rss,
            "latency_ms": results,
            "submit_to_complete": {"job": name, "runs_s": [round(r, 3) for r in runs],
                                   "median_s": round(statistics.median(runs), 3)},
        },
        "openquake": OPENQUAKE,
        "notes": "latencies include the Python client (requests, threads under the GIL); "
                 "with 50 clients the median mostly measures queueing",
    }
    path = write_result("server", payload)
    print(f"wrote {path}")
    for route, by_mode in results.items():
        for mode, stats in by_mode.items():
            print(f"{route:10s} {mode:28s} median {stats['median']:7.2f} ms  "
                  f"p99 {stats['p99']:7.2f} ms  {stats['requests_per_s']:7.1f} req/s")
    print(f"submit-to-complete ({name}): median {statistics.median(runs):.2f} s "
          f"(OpenQuake: {OPENQUAKE['run_to_complete_s']} s)")


if __name__ == "__main__":
    main()
