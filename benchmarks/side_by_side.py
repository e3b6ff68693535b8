"""Toolkit and OpenQuake on the same jobs, side by side in one run, with repetitions.

Every job runs end to end in a fresh process (``toolkit run JOB --quiet`` and
``oq engine --run JOB``), toolkit and OpenQuake alternating, ``--repeat`` times for the small
jobs and ``--repeat-large`` times for the large ones. Reported per job and engine: minimum and
median wall time, the largest peak RSS (the largest single process of the run's tree), and the
ratios OpenQuake/toolkit of the minimum wall times and of the peak memories.

Jobs (built by ``classical.py``, ``gmf.py`` and ``risk.py``):

- small: OpenQuake QA classical ``case_01`` (point source, 4 sites), ``case_03`` (area source
  grid, BooreAtkinson2008) and ``case_04`` (simple fault, uniform hazard spectra), unchanged;
- ``grid_10k``: PEER Set 1 Case 10's area source on 10,000 sites;
- ``nga_two_region_10k``: two tectonic regions, four NGA-West2 GSIMs, 10,000 sites;
- ``scenario_10k_corr``: 10,000 sites x 1,000 fields x 3 IMTs with JB2009 correlation;
- ``event_based_case10``: PEER Set 1 Case 10 sampled for 10,000 years;
- ``ebr_100k``: event-based risk, 100,000 assets; OpenQuake takes about 25 minutes on it, so it
  runs only with ``--openquake-all`` (otherwise the stored figure of ``risk.py`` is quoted).

Writes ``benchmarks/results/side_by_side.json`` and the Markdown table
``benchmarks/results/side_by_side.md`` (copied into ``benchmarks/README.md`` by hand).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
from pathlib import Path

import classical
import gmf
import risk
from common import REPO, RESULTS, WORK, measure, now, openquake_python, write_result

QA = REPO.parent / "shared" / "reference" / "openquake" / "qa" / "classical"


def _jobs() -> dict[str, dict]:
    """name -> {ini for the toolkit, ini for OpenQuake, size class, toolkit executor}."""
    found: dict[str, dict] = {}
    for case in ("case_01", "case_03", "case_04"):
        ini = QA / case / "job.ini"
        if ini.is_file():
            found[f"qa_{case}"] = {"toolkit": ini, "openquake": ini, "large": False,
                                   "executor": "serial"}
    grid = classical._grid_job()
    found["grid_10k"] = {"toolkit": grid, "openquake": classical._oq_copy(grid.parent,
                                                                          "grid_10k"),
                         "large": True, "executor": "processpool"}
    nga = classical._nga_job()
    found["nga_two_region_10k"] = {"toolkit": nga, "openquake": nga, "large": True,
                                   "executor": "processpool"}
    scenario = gmf._scenario_job()
    found["scenario_10k_corr"] = {"toolkit": scenario, "openquake": gmf._oq_copy(scenario),
                                  "large": True, "executor": "serial"}
    eb = gmf._event_based_job()
    found["event_based_case10"] = {"toolkit": eb, "openquake": gmf._oq_copy(eb),
                                   "large": False, "executor": "serial"}
    ebr = risk._job()
    found["ebr_100k"] = {"toolkit": ebr, "openquake": ebr, "large": True,
                         "executor": "serial", "openquake_slow": True}
    return found


def _summary(runs: list[dict]) -> dict:
    walls = [r["wall_s"] for r in runs if r["returncode"] == 0]
    out = {"runs": len(runs), "failed": sum(r["returncode"] != 0 for r in runs),
           "wall_s": [round(r["wall_s"], 3) for r in runs],
           "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs), 1)}
    if walls:
        out.update(wall_min_s=round(min(walls), 3), wall_median_s=round(statistics.median(walls),
                                                                          3))
    else:
        out["stderr_tail"] = runs[-1]["stderr_tail"][-800:]
    return out


def _markdown(results: dict) -> str:
    lines = ["| job | toolkit min / median wall | toolkit peak RSS | OpenQuake min / median "
             "wall | OpenQuake peak RSS | OpenQuake / toolkit: time, memory |",
             "|---|---|---|---|---|---|"]
    for name, entry in results["jobs"].items():
        t = entry["toolkit"]
        tk = (f"{t['wall_min_s']:.2f} / {t['wall_median_s']:.2f} s ({t['runs']}x, "
              f"{entry['executor']})" if "wall_min_s" in t else "failed")
        o = entry.get("openquake")
        if o is None:
            oq, oq_mem, ratio = entry.get("openquake_note", "not run"), "-", "-"
        elif "wall_min_s" in o:
            oq = f"{o['wall_min_s']:.2f} / {o['wall_median_s']:.2f} s ({o['runs']}x)"
            oq_mem = f"{o['peak_rss_mb']:.0f} MB"
            ratio = (f"{entry['time_ratio']:.1f}x, {entry['memory_ratio']:.1f}x"
                     if "time_ratio" in entry else "-")
        else:
            oq, oq_mem, ratio = "failed", f"{o['peak_rss_mb']:.0f} MB", "-"
        lines.append(f"| {name} | {tk} | {t['peak_rss_mb']:.0f} MB | {oq} | {oq_mem} | "
                     f"{ratio} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each small job")
    parser.add_argument("--repeat-large", type=int, default=1, help="runs of each large job")
    parser.add_argument("--only", nargs="*", help="job names to run")
    parser.add_argument("--openquake-all", action="store_true",
                        help="also run OpenQuake on event-based risk (about 25 minutes)")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    oq = openquake_python()
    exe = Path(sys.executable).parent / "toolkit"
    home = WORK / "oq_home"
    home.mkdir(parents=True, exist_ok=True)
    results = {"date": now(), "machine": f"{platform.machine()}, {platform.system()}, "
               f"{os.cpu_count()} cores", "python": platform.python_version(),
               "openquake": str(oq) if oq else None, "load_average_at_start": os.getloadavg(),
               "jobs": {}}
    for name, job in _jobs().items():
        if args.only and name not in args.only:
            continue
        n = args.repeat_large if job["large"] else args.repeat
        run_oq = oq is not None and (args.openquake_all or not job.get("openquake_slow"))
        toolkit_runs, oq_runs = [], []
        for _ in range(n):
            data_dir = WORK / "toolkit_data_side_by_side"
            shutil.rmtree(data_dir, ignore_errors=True)
            r = measure([str(exe), "run", str(job["toolkit"]), "--quiet", "--executor",
                         job["executor"]], env={"TOOLKIT_DATA": str(data_dir)})
            toolkit_runs.append(r)
            print(f"{name:20s} toolkit   {r['wall_s']:8.2f} s {r['peak_rss_mb']:7.0f} MB "
                  f"rc={r['returncode']}", flush=True)
            if run_oq:
                o = measure([str(oq / "oq"), "engine", "--run", str(job["openquake"])],
                            env={"HOME": str(home)})
                oq_runs.append(o)
                print(f"{name:20s} openquake {o['wall_s']:8.2f} s {o['peak_rss_mb']:7.0f} MB "
                      f"rc={o['returncode']}", flush=True)
        entry: dict = {"job": str(job["toolkit"].relative_to(REPO.parent)),
                       "executor": job["executor"], "toolkit": _summary(toolkit_runs)}
        if oq_runs:
            entry["openquake"] = _summary(oq_runs)
            t, o = entry["toolkit"], entry["openquake"]
            if "wall_min_s" in t and "wall_min_s" in o:
                entry["time_ratio"] = round(o["wall_min_s"] / t["wall_min_s"], 2)
                entry["memory_ratio"] = round(o["peak_rss_mb"] / t["peak_rss_mb"], 2)
        elif oq is not None:
            entry["openquake_note"] = "stored figure: see risk.json (run with --openquake-all)"
        results["jobs"][name] = entry
    path = write_result("side_by_side", results)
    (RESULTS / "side_by_side.md").write_text(_markdown(results))
    print(f"written {path}")
    print(_markdown(results))


if __name__ == "__main__":
    main()
