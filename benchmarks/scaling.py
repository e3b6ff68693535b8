"""Start-up times and scaling curves of the toolkit (no OpenQuake needed).

Series
------
- ``startup``: ``python -c "import toolkit"``, ``toolkit --version`` (min and median of 10
  fresh processes) and the QA classical case_01 end to end (``toolkit run``, 5 runs), if
  ../shared is present.
- ``sites``: classical, PEER Set 1 Case 10 area source (Sadigh 1997, untruncated, 18 PGA
  levels) with a 10 km source grid and 0.2 magnitude bins, on 1e2, 1e3 and 1e4 sites of a
  grid covering the source. The 1e5-site point uses a reduced source (20 km grid, 0.5 bins)
  so that it runs in about a minute; it is also run on 1e4 sites to bridge the two.
- ``ruptures``: classical on 1,000 sites, 0.1 magnitude bins, source grid of 40, 20, 10, 5 km.
- ``workers``: the 1e4-site job of ``sites`` with the serial executor, a process pool of 1
  and 2 workers, and a local dask cluster of 2 workers.
- ``gmf``: scenario with Jayaram & Baker (2009) correlation (the demo rupture,
  BooreAtkinson2008, PGA, 100 fields) on 1,000 to 20,000 sites (the documented limit of
  ``JB2009Correlation.max_sites``).

Each point is one ``toolkit run --quiet`` in a fresh process (end to end, start-up included):
wall time, CPU time (user + system, summed over the process tree: on a machine shared with
other work it is the steadier figure) and peak RSS of the largest process. Results:
``benchmarks/results/scaling.json`` and ``benchmarks/results/scaling_*.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
from common import REPO, RESULTS, WORK, now, write_result

DEMOS = REPO / "toolkit" / "demos"
CASE10 = DEMOS / "peer" / "Set1-Case10"
SHARED = REPO.parent / "shared"
TOOLKIT = Path(sys.executable).parent / "toolkit"

#: site grid box covering the Case 10 source (a 100 km circle around -122, 38)
CASE10_BOX = (-123.1, -120.9, 37.1, 38.9)
#: scenario demo rupture surroundings (as benchmarks/gmf.py)
SCENARIO_BOX = (9.0, 11.1, 44.3, 45.8)

FULL = {"area_source_discretization": "10.0", "width_of_mfd_bin": "0.2"}
REDUCED = {"area_source_discretization": "20.0", "width_of_mfd_bin": "0.5"}


def _grid(n: int, box: tuple[float, float, float, float]) -> np.ndarray:
    k = int(round(np.sqrt(n)))
    lons = np.linspace(box[0], box[1], k)
    lats = np.linspace(box[2], box[3], k)
    return np.array([(x, y) for y in lats for x in lons])


def _set(text: str, key: str, value: str | None) -> str:
    pattern = rf"(?m)^{key}\s*=.*$"
    if value is None:
        return re.sub(pattern, "", text)
    if re.search(pattern, text):
        return re.sub(pattern, lambda _: f"{key} = {value}", text)
    return text.replace("[calculation]\n", f"[calculation]\n{key} = {value}\n")


def _job(name: str, source: Path, sites: np.ndarray, changes: dict[str, str | None]) -> Path:
    target = WORK / "scaling" / name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    np.savetxt(target / "sites.csv", sites, delimiter=",", fmt="%.5f", header="lon,lat",
               comments="")
    ini = target / "job.ini"
    text = ini.read_text()
    for key, value in changes.items():
        text = _set(text, key, value)
    ini.write_text(text)
    return ini


def _classical_job(name: str, n_sites: int, source: dict[str, str]) -> Path:
    return _job(name, CASE10, _grid(n_sites, CASE10_BOX),
                {**source, "maximum_distance": "200.0",
                 "description": f"Scaling benchmark {name}"})


def _count_ruptures(ini: Path) -> tuple[int, int]:
    """(ruptures, sites) of a classical job, counted by the toolkit's own input reader."""
    from toolkit.io.inputs import build_inputs, load_job

    inputs = build_inputs(load_job(ini))
    n = 0
    for sm in inputs.source_models:
        for trt, sources in sm.groups.items():
            mmin = inputs.spec_for(trt).minimum_magnitude
            n += sum(s.count_ruptures(mmin) for s in sources)
    return n, len(inputs.sites)


_WRAPPER = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"returncode": proc.returncode, "wall_s": wall,
                  "cpu_s": use.ru_utime + use.ru_stime, "peak_rss_mb": use.ru_maxrss / 1024.0,
                  "stderr_tail": proc.stderr[-2000:]}))
"""


def _measure(cmd: list[str], env: dict[str, str] | None = None) -> dict:
    """Run ``cmd`` in a fresh process: wall time, CPU time of its tree, largest peak RSS."""
    out = subprocess.run([sys.executable, "-c", _WRAPPER, *cmd], capture_output=True,
                         text=True, env={**os.environ, **(env or {})}, check=True)
    return json.loads(out.stdout)


def _run(ini: Path, executor: str = "serial", workers: int = 0) -> dict:
    env = {"TOOLKIT_DATA": str(WORK / "scaling" / "toolkit_data"),
           "TOOLKIT_EXECUTOR": executor, "TOOLKIT_NUM_WORKERS": str(workers)}
    r = _measure([str(TOOLKIT), "run", str(ini), "--quiet"], env=env)
    if r["returncode"] != 0:
        print(r["stderr_tail"], file=sys.stderr)
    return {k: r[k] for k in ("returncode", "wall_s", "cpu_s", "peak_rss_mb")}


def _point(label: str, ini: Path, executor: str = "serial", workers: int = 0,
           classical: bool = True) -> dict:
    entry: dict = {"label": label}
    if classical:
        entry["ruptures"], entry["sites"] = _count_ruptures(ini)
    entry.update(executor=executor, workers=workers, **_run(ini, executor, workers))
    if classical and entry["returncode"] == 0:
        pairs = entry["ruptures"] * entry["sites"]
        entry["us_per_pair"] = 1e6 * entry["wall_s"] / pairs
        entry["cpu_us_per_pair"] = 1e6 * entry["cpu_s"] / pairs
    print(f"  {label:34s} {entry['wall_s']:8.2f} s wall {entry['cpu_s']:8.2f} s CPU "
          f"{entry['peak_rss_mb']:7.0f} MB rc={entry['returncode']}", flush=True)
    return entry


def _times(cmd: list[str], n: int) -> dict:
    walls, cpus = [], []
    for _ in range(n):
        r = _measure(cmd)
        if r["returncode"] != 0:
            raise RuntimeError(f"{cmd} failed: {r['stderr_tail']}")
        walls.append(r["wall_s"])
        cpus.append(r["cpu_s"])
    return {"min_s": min(walls), "median_s": statistics.median(walls),
            "cpu_min_s": min(cpus), "cpu_median_s": statistics.median(cpus), "runs": n}


def startup() -> dict:
    out = {
        "python_bare": _times([sys.executable, "-c", "pass"], 10),
        "import_toolkit": _times([sys.executable, "-c", "import toolkit"], 10),
        "toolkit_version": _times([str(TOOLKIT), "--version"], 10),
    }
    qa = SHARED / "reference" / "openquake" / "qa" / "classical" / "case_01" / "job.ini"
    if qa.is_file():
        data = WORK / "scaling" / "toolkit_data"
        data.mkdir(parents=True, exist_ok=True)
        out["qa_case_01_end_to_end"] = _times(
            [str(TOOLKIT), "run", str(qa), "--quiet"], 5) | {"job": str(qa.relative_to(
                REPO.parent))}
    for name, r in out.items():
        print(f"  {name:24s} wall min {r['min_s']:.3f} s, median {r['median_s']:.3f} s; "
              f"CPU min {r['cpu_min_s']:.3f} s, median {r['cpu_median_s']:.3f} s", flush=True)
    return out


def sites_series(large: bool = True) -> list[dict]:
    points = [_point(f"{n:.0e} sites", _classical_job(f"sites_{n}", n, FULL))
              for n in (100, 1_000, 10_000)]
    for n in (10_000, 100_000) if large else ():
        points.append(_point(f"{n:.0e} sites, reduced source",
                             _classical_job(f"sites_{n}_reduced", n, REDUCED)))
        points[-1]["reduced_source"] = True
    return points


def ruptures_series() -> list[dict]:
    return [_point(f"{d:g} km source grid, 1e3 sites", _classical_job(
        f"ruptures_{d:g}", 1_000, {"area_source_discretization": f"{d:.1f}",
                                   "width_of_mfd_bin": "0.1"}))
        for d in (40.0, 20.0, 10.0, 5.0)]


def workers_series() -> list[dict]:
    ini = _classical_job("workers_10k", 10_000, FULL)
    return [_point("serial", ini, "serial", 1),
            _point("process pool, 1 worker", ini, "processpool", 1),
            _point("process pool, 2 workers", ini, "processpool", 2),
            _point("dask local cluster, 2 workers", ini, "dask", 2)]


def gmf_series(max_sites: int) -> list[dict]:
    points = []
    for n in (1_000, 2_500, 5_000, 10_000, 20_000):
        if n > max_sites:
            continue
        ini = _job(f"gmf_{n}", DEMOS / "scenario", _grid(n, SCENARIO_BOX), {
            "description": f"Scaling benchmark: correlated scenario, {n} sites",
            "intensity_measure_types": "PGA", "number_of_ground_motion_fields": "100",
            "gsim_logic_tree_file": None, "gsim": "BooreAtkinson2008",
            "minimum_intensity": None})
        entry = _point(f"{n} sites x 100 fields", ini, classical=False)
        entry["sites"] = len(_grid(n, SCENARIO_BOX))
        points.append(entry)
    return points


def plot(results: dict) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    specs = {
        "sites": ("sites", "number of sites"),
        "ruptures": ("ruptures", "number of ruptures (1,000 sites)"),
        "gmf": ("sites", "number of sites (correlated scenario, 100 fields)"),
    }
    for series, (key, xlabel) in specs.items():
        points = [p for p in results.get(series, []) if p["returncode"] == 0]
        if not points:
            continue
        fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(10, 4))
        groups = {"full": [p for p in points if not p.get("reduced_source")],
                  "reduced source": [p for p in points if p.get("reduced_source")]}
        for name, group in groups.items():
            if not group:
                continue
            x = [p[key] for p in group]
            line = ax_t.loglog(x, [p["wall_s"] for p in group], "o-", label=f"{name}: wall")
            ax_t.loglog(x, [p["cpu_s"] for p in group], "s--", color=line[0].get_color(),
                        label=f"{name}: CPU")
            ax_m.semilogx(x, [p["peak_rss_mb"] for p in group], "o-", label=name)
        ax_t.set(xlabel=xlabel, ylabel="time, end to end [s]")
        ax_t.legend(fontsize="small")
        ax_m.set(xlabel=xlabel, ylabel="peak RSS [MB]")
        for ax in (ax_t, ax_m):
            ax.grid(True, which="both", alpha=0.3)
        fig.suptitle(f"toolkit scaling: {series} ({results['date']}, 2 shared cores)")
        fig.tight_layout()
        path = RESULTS / f"scaling_{series}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        paths.append(path)
    points = [p for p in results.get("workers", []) if p["returncode"] == 0]
    if points:
        fig, ax = plt.subplots(figsize=(7, 4))
        y = np.arange(len(points))
        ax.barh(y - 0.2, [p["wall_s"] for p in points], height=0.4, label="wall")
        ax.barh(y + 0.2, [p["cpu_s"] for p in points], height=0.4, label="CPU (all processes)")
        ax.set_yticks(y, [p["label"] for p in points])
        ax.legend(fontsize="small")
        ax.set(xlabel="time, end to end [s]", title="1e4 sites: executors and workers")
        fig.tight_layout()
        path = RESULTS / "scaling_workers.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        paths.append(path)
    return paths




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="series to run: startup sites ruptures "
                        "workers gmf (default all)")
    parser.add_argument("--max-gmf-sites", type=int, default=20_000,
                        help="largest correlated scenario (default 20,000: the documented "
                             "limit, 3.2 GB for the correlation factor)")
    parser.add_argument("--no-openquake", action="store_true",
                        help="accepted for run_all.py; this benchmark never runs OpenQuake")
    parser.add_argument("--openquake-all", action="store_true", help="(accepted, ignored)")
    parser.add_argument("--no-large", action="store_true",
                        help="accepted for run_all.py: skip the 1e5-site point and 20,000-site "
                             "scenario")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    wanted = args.only or ["startup", "sites", "ruptures", "workers", "gmf"]
    results: dict = {"date": now(), "machine": f"{platform.machine()}, {platform.system()}",
                     "python": platform.python_version(),
                     "note": "2 CPU cores shared with other work while measured"}
    previous = RESULTS / "scaling.json"
    if args.only and previous.is_file():  # keep the other series of the last full run
        results = {**json.loads(previous.read_text()), **results}
    series = {"startup": startup, "sites": lambda: sites_series(not args.no_large),
              "ruptures": ruptures_series,
              "gmf": lambda: gmf_series(10_000 if args.no_large else args.max_gmf_sites),
              "workers": workers_series}
    for name, func in series.items():
        if name in wanted:
            print(f"== {name}", flush=True)
            results[name] = func()
            write_result("scaling", results)  # after each series, so partial runs count
    for png in plot(results):
        print(f"written {png}")
    print(f"written {RESULTS / 'scaling.json'}")


if __name__ == "__main__":
    main()
