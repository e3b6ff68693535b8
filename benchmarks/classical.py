"""Classical PSHA benchmark: toolkit vs OpenQuake (when installed), end to end, cold process.

Jobs
----
- ``qa_case_01``: OpenQuake QA classical case 1 (one point source, 4 sites), if ../shared exists.
- ``peer_set1_case10``: PEER Set 1 case 10 (area source, 1 km grid, 0.01 magnitude bins,
  4 sites): ~4.7 million point ruptures.
- ``grid_10k``: the same area source (Area 1, Sadigh 1997, untruncated) on a 100 x 100 site
  grid covering it, with a 5 km source grid, 0.1 magnitude bins and a 200 km maximum
  distance, so that both engines finish in minutes.

Each job runs ``toolkit run`` (and ``oq engine --run``) in a fresh process; the result file
``benchmarks/results/classical.json`` holds wall time and peak RSS of each, and their ratio.
"""

from __future__ import annotations

import argparse
import platform
import re
import shutil
import sys
from pathlib import Path

import numpy as np
from common import REPO, WORK, measure, now, openquake_python, write_result

PEER = REPO / "toolkit" / "demos" / "peer"

#: jobs OpenQuake runs only with --openquake-all, and what one such run measured
SLOW_FOR_OPENQUAKE = {
    "peer_set1_case10": "OpenQuake 3.26.2 took 2340 s wall and 2650 MB peak RSS on this job "
                        "(2 cores, measured once on 2026-11-26 while other work shared the "
                        "machine); run with --openquake-all to measure again",
}
SHARED = REPO.parent / "shared"


def _oq_copy(job_dir: Path, name: str) -> Path:
    """A copy of a job that OpenQuake accepts: OQ requires a numeric truncation_level (99 is
    its 'untruncated')."""
    target = WORK / "oq" / name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(job_dir, target)
    ini = target / "job.ini"
    text = ini.read_text()
    text = re.sub(r"(?m)^truncation_level\s*=\s*$", "truncation_level = 99", text)
    ini.write_text(text)
    return ini


def _grid_job() -> Path:
    target = WORK / "grid_10k"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(PEER / "Set1-Case10", target)
    lons = np.linspace(-123.1, -120.9, 100)
    lats = np.linspace(37.1, 38.9, 100)
    grid = np.array([(x, y) for y in lats for x in lons])
    np.savetxt(target / "sites.csv", grid, delimiter=",", fmt="%.5f", header="lon,lat",
               comments="")
    ini = target / "job.ini"
    text = ini.read_text()
    text = re.sub(r"(?m)^area_source_discretization\s*=.*$", "area_source_discretization = 5.0",
                  text)
    text = re.sub(r"(?m)^width_of_mfd_bin\s*=.*$", "width_of_mfd_bin = 0.1", text)
    text = re.sub(r"(?m)^maximum_distance\s*=.*$", "maximum_distance = 200.0", text)
    text = text.replace("description = PEER 2018 Set 1 Case 10",
                        "description = Benchmark grid of 10,000 sites, PEER Set 1 Case 10 source")
    ini.write_text(text)
    return ini


def jobs(include_large: bool) -> dict[str, Path]:
    found: dict[str, Path] = {}
    qa = SHARED / "reference" / "openquake" / "qa" / "classical" / "case_01" / "job.ini"
    if qa.is_file():
        found["qa_case_01"] = qa
    found["peer_set1_case10"] = PEER / "Set1-Case10" / "job.ini"
    if include_large:
        found["grid_10k"] = _grid_job()
    return found


def run_toolkit(job: Path, data_dir: Path, executor: str) -> dict:
    exe = Path(sys.executable).parent / "toolkit"
    return measure([str(exe), "run", str(job), "--quiet", "--executor", executor],
                   env={"TOOLKIT_DATA": str(data_dir)})


def run_openquake(bin_dir: Path, job: Path, name: str) -> dict:
    home = WORK / "oq_home"
    home.mkdir(parents=True, exist_ok=True)
    ini = _oq_copy(job.parent, name)
    return measure([str(bin_dir / "oq"), "engine", "--run", str(ini)], env={"HOME": str(home)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-large", action="store_true", help="skip the 10,000-site grid")
    parser.add_argument("--no-openquake", action="store_true", help="toolkit only")
    parser.add_argument("--only", nargs="*", help="job names to run")
    parser.add_argument("--openquake-all", action="store_true",
                        help="also run OpenQuake on the jobs it takes very long on")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    oq = None if args.no_openquake else openquake_python()
    results = {"date": now(), "machine": f"{platform.machine()}, {platform.system()}",
               "python": platform.python_version(), "openquake": bool(oq), "jobs": {}}
    for name, job in jobs(not args.no_large).items():
        if args.only and name not in args.only:
            continue
        entry: dict = {"job": str(job.relative_to(REPO.parent))}
        data_dir = WORK / "toolkit_data"
        for executor in ("serial", "processpool"):
            r = run_toolkit(job, data_dir, executor)
            entry[f"toolkit_{executor}"] = {k: r[k] for k in ("returncode", "wall_s",
                                                               "peak_rss_mb")}
            print(f"{name:18s} toolkit {executor:11s} {r['wall_s']:8.2f} s "
                  f"{r['peak_rss_mb']:8.0f} MB rc={r['returncode']}", flush=True)
        if oq is not None and name in SLOW_FOR_OPENQUAKE and not args.openquake_all:
            entry["openquake_note"] = SLOW_FOR_OPENQUAKE[name]
        elif oq is not None:
            r = run_openquake(oq, job, name)
            entry["openquake"] = {k: r[k] for k in ("returncode", "wall_s", "peak_rss_mb")}
            print(f"{name:18s} openquake {'':10s} {r['wall_s']:8.2f} s "
                  f"{r['peak_rss_mb']:8.0f} MB rc={r['returncode']}", flush=True)
            best = min(entry["toolkit_serial"]["wall_s"], entry["toolkit_processpool"]["wall_s"])
            if r["returncode"] == 0:
                entry["speedup_vs_openquake"] = r["wall_s"] / best
        results["jobs"][name] = entry
    path = write_result("classical", results)
    print(f"written {path}")


if __name__ == "__main__":
    main()
