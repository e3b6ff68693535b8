"""Lizard API benchmark: list latency of ``/api/v4/scenarios/`` with 10,000 scenarios.

Fills a fresh data directory under ``benchmarks/work/lizard`` with 10,000 scenarios (each
with the 11 result rows of a 3Di scenario, no files), starts ``toolkit serve`` as a real
process on a free port, and measures with ``requests`` on kept-alive connections (one
``requests.Session`` per client):

- the first page (``count`` over all 10,000), the last page, ``limit``/``offset`` deep in the
  list, a ``name__icontains`` filter, a ``created__gte`` filter with ``ordering=name``, and a
  100-per-page list, in ``public`` mode;
- the first page in ``restricted`` mode with an API key (per-request key lookup and the
  visibility clause; 5 organisations, all access modifiers);
- one scenario's results list and its detail;
- the first page for 20 concurrent clients.

Median and p99 of each, in ms. Results: ``benchmarks/results/lizard.json``.
"""

from __future__ import annotations

import argparse
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
from pathlib import Path

import numpy as np
import requests
from common import REPO, WORK, now, write_result

N_SCENARIOS = 10_000
RESULT_ROWS = [("Raw", "grid-admin", "Grid administration"),
               ("Raw", "results-3di", "Raw 3Di output"),
               ("Raw", "aggregate-results-3di", "Aggregated 3Di output"),
               ("Basic", "depth-dtri", "Water depth (timeseries)"),
               ("Basic", "depth-max-dtri", "Max water depth"),
               ("Basic", "s1-dtri", "Water level (timeseries)"),
               ("Basic", "s1-max-dtri", "Max water level"),
               ("Basic", "rise-velocity-quad", "Rate of rise"),
               ("Arrival", "depth-first-dtri", "Arrival time"),
               ("Damage", "damage-summary", "Damage summary (csv)"),
               ("Damage", "total-damage", "Total damage")]
ACCESS = ("Public", "Common", "Private", "Hidden")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fill(data_dir: Path, count: int) -> tuple[float, str]:
    """``count`` scenarios through the store (one transaction each), their result rows in
    one transaction; a user with an API key. Returns the seconds taken and the key."""
    sys.path.insert(0, str(REPO))
    from toolkit.store import Catalogue
    from toolkit.store.scenarios import ScenarioStore, timestamp

    started = time.perf_counter()
    with Catalogue(data_dir / "db.sqlite3") as catalogue:
        store = ScenarioStore(catalogue, data_dir)
        uuids = []
        for i in range(count):
            s = store.create(f"bench polder {i:05d} T{10 * (1 + i % 10)}",
                             organisation=f"Org {i % 5}", access_modifier=ACCESS[i % 4],
                             supplier=f"user{i % 7}", model_name=f"bwn-model-{i % 50}",
                             simulation_start="2024-01-01T00:00:00Z",
                             simulation_end="2024-01-01T06:00:00Z", source="3Di")
            uuids.append(s.uuid)
        now_ = timestamp()
        with catalogue._write() as conn:  # the result rows of a processed 3Di scenario
            conn.executemany(
                "INSERT INTO scenario_results (scenario_uuid, name, code, family, created, "
                "last_modified) VALUES (?, ?, ?, ?, ?, ?)",
                [(u, name, code, family, now_, now_) for u in uuids
                 for family, code, name in RESULT_ROWS])
        catalogue.add_user("bench", "bench", "Org 1")
        key = catalogue.create_api_key("bench")
    return time.perf_counter() - started, key


class Server:
    """``toolkit serve`` in a subprocess."""

    def __init__(self, data_dir: Path, auth_mode: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        script = Path(sys.executable).parent / "toolkit"
        cmd = [str(script)] if script.is_file() else [
            sys.executable, "-c", "import sys; from toolkit.cli import main; sys.exit(main())"]
        env = {**os.environ, "TOOLKIT_DATA": str(data_dir), "TOOLKIT_AUTH_MODE": auth_mode}
        started = time.perf_counter()
        self.proc = subprocess.Popen([*cmd, "serve", "--port", str(self.port)], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while True:
            try:
                if requests.get(f"{self.url}/docs", timeout=1).ok:  # no login needed
                    break
            except requests.ConnectionError:
                pass
            if self.proc.poll() is not None or time.perf_counter() - started > 60:
                raise RuntimeError("toolkit serve did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _stats(samples: list[float]) -> dict[str, float]:
    ms = np.array(samples) * 1000.0
    return {"median": round(float(np.median(ms)), 2),
            "p99": round(float(np.percentile(ms, 99)), 2), "n": len(samples)}


def measure(session: requests.Session, url: str, n: int, **params) -> dict[str, float]:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        r = session.get(url, params=params, timeout=60)
        samples.append(time.perf_counter() - t)
        if r.status_code != 200:
            raise RuntimeError(f"{url} {params}: {r.status_code} {r.text[:200]}")
    return {**_stats(samples), "count": r.json().get("count")}


def concurrent(url: str, clients: int, per_client: int, auth=None) -> dict[str, float]:
    samples: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def client() -> None:
        session = requests.Session()
        session.auth = auth
        mine = []
        barrier.wait()
        for _ in range(per_client):
            t = time.perf_counter()
            r = session.get(url, timeout=60)
            mine.append(time.perf_counter() - t)
            if r.status_code != 200:
                raise RuntimeError(f"{url}: {r.status_code}")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100, help="requests per measurement")
    parser.add_argument("--scenarios", type=int, default=N_SCENARIOS)
    args, _ = parser.parse_known_args()

    data_dir = WORK / "lizard" / "data"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    fill_s, key = fill(data_dir, args.scenarios)
    print(f"filled {args.scenarios} scenarios in {fill_s:.1f} s", flush=True)
    api = "/api/v4"
    results: dict[str, dict] = {}
    server = Server(data_dir, "public")
    try:
        http = requests.Session()
        base = f"{server.url}{api}/scenarios/"
        first = http.get(base).json()
        last_page = -(-first["count"] // 10)
        cut = http.get(base, params={"ordering": "created", "offset": args.scenarios // 2,
                                     "limit": 1}).json()["results"][0]["created"]
        cases = {
            "first_page": {},
            "last_page": {"page": last_page},
            "limit_offset_deep": {"limit": 10, "offset": args.scenarios - 20},
            "name_icontains": {"name__icontains": "polder 0421"},
            "created_gte_ordering_name": {"created__gte": cut, "ordering": "name"},
            "page_size_100": {"page_size": 100},
        }
        for name, params in cases.items():
            results[name] = measure(http, base, args.n, **params)
            print(name, results[name], flush=True)
        uuid = first["results"][0]["uuid"]
        results["results_list"] = measure(http, f"{base}{uuid}/results", args.n)
        results["scenario_detail"] = measure(http, f"{base}{uuid}/", args.n)
        results["first_page_20_clients"] = concurrent(base, 20, max(5, args.n // 10))
        print("concurrent", results["first_page_20_clients"], flush=True)
    finally:
        server.stop()
    server = Server(data_dir, "restricted")
    try:
        http = requests.Session()
        http.auth = ("__key__", key)
        base = f"{server.url}{api}/scenarios/"
        results["restricted_first_page"] = measure(http, base, args.n)
        print("restricted", results["restricted_first_page"], flush=True)
    finally:
        server.stop()
    payload = {
        "benchmark": "lizard scenario list latency",
        "date": now(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "scenarios": args.scenarios,
        "result_rows": args.scenarios * len(RESULT_ROWS),
        "fill_s": round(fill_s, 1),
        "requests_per_case": args.n,
        "latency_ms": results,
        "median_of_medians_ms": round(statistics.median(
            r["median"] for r in results.values()), 2),
    }
    path = write_result("lizard", payload)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
