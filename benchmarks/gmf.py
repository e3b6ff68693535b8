"""Ground-motion field benchmarks: toolkit vs OpenQuake (when installed), end to end, cold process.

Jobs
----
- ``scenario_10k_corr``: the demo scenario rupture (M 6.5, simple fault) on a 100 x 100 grid
  of 10,000 sites, 1,000 fields of PGA, SA(0.3) and SA(1.0) with BooreAtkinson2008 and
  Jayaram & Baker (2009) spatial correlation: 30 million ground-motion values, three
  10,000 x 10,000 correlation matrices factorised in turn.
- ``event_based_case10``: PEER Set 1 Case 10 (area source on a 1 km grid, 0.01 magnitude
  bins: 4.7 million ruptures) sampled for 10,000 years (``ses_per_logic_tree_path =
  10000``, ``investigation_time = 1``), with hazard curves from the fields.

Reported per job and engine: wall time, peak RSS, and ground-motion values per second
(values stored / wall time). Results: ``benchmarks/results/gmf.json``.
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

DEMOS = REPO / "toolkit" / "demos"


def _scenario_job() -> Path:
    target = WORK / "scenario_10k_corr"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(DEMOS / "scenario", target)
    lons = np.linspace(9.0, 11.1, 100)
    lats = np.linspace(44.3, 45.8, 100)
    grid = np.array([(x, y) for y in lats for x in lons])
    np.savetxt(target / "sites.csv", grid, delimiter=",", fmt="%.5f", header="lon,lat",
               comments="")
    ini = target / "job.ini"
    text = ini.read_text()
    changes = {
        "description": "Benchmark: scenario, 10,000 sites x 1,000 GMFs x 3 IMTs, JB2009",
        "intensity_measure_types": "PGA, SA(0.3), SA(1.0)",
        "number_of_ground_motion_fields": "1000",
        "gsim_logic_tree_file": None,
        "gsim": "BooreAtkinson2008",
        "minimum_intensity": None,
    }
    for key, value in changes.items():
        pattern = rf"(?m)^{key}\s*=.*$"
        if value is None:
            text = re.sub(pattern, "", text)
        elif re.search(pattern, text):
            text = re.sub(pattern, f"{key} = {value}", text)
        else:
            text = text.replace("[calculation]\n", f"[calculation]\n{key} = {value}\n")
    ini.write_text(text)
    return ini


def _event_based_job() -> Path:
    target = WORK / "event_based_case10"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(DEMOS / "peer" / "Set1-Case10", target)
    ini = target / "job.ini"
    text = ini.read_text()
    text = re.sub(r"(?m)^calculation_mode\s*=.*$", "calculation_mode = event_based", text)
    text = text.replace("[output]", "ses_per_logic_tree_path = 10000\nses_seed = 42\n"
                                    "hazard_curves_from_gmfs = true\n\n[output]")
    ini.write_text(text)
    return ini


def _oq_copy(ini: Path) -> Path:
    """OpenQuake needs a numeric truncation level (99 = untruncated)."""
    target = ini.parent.with_name(ini.parent.name + "_oq")
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(ini.parent, target)
    job = target / ini.name
    text = job.read_text()
    job.write_text(re.sub(r"(?m)^truncation_level\s*=\s*$", "truncation_level = 99", text))
    return job


def count_values(data_dir: Path) -> int:
    """Ground-motion values stored by the newest calculation in ``data_dir``."""
    import h5py

    files = sorted(data_dir.glob("calc_*.hdf5"), key=lambda p: p.stat().st_mtime)
    if not files:
        return 0
    with h5py.File(files[-1], "r") as h5:
        for key in ("gmf_data/gmv", "gmf_gmv", "gmf/gmv"):
            if key in h5:
                return int(np.prod(h5[key].shape))
        found: list[int] = []
        h5.visititems(lambda name, obj: found.append(int(np.prod(obj.shape)))
                      if isinstance(obj, h5py.Dataset) and name.endswith("gmv") else None)
        return max(found, default=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-openquake", action="store_true", help="toolkit only")
    parser.add_argument("--only", nargs="*", help="job names to run")
    parser.add_argument("--no-large", action="store_true", help="(accepted, ignored)")
    parser.add_argument("--openquake-all", action="store_true", help="(accepted, ignored)")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    oq = None if args.no_openquake else openquake_python()
    results = {"date": now(), "machine": f"{platform.machine()}, {platform.system()}",
               "python": platform.python_version(), "openquake": bool(oq), "jobs": {}}
    jobs = {"scenario_10k_corr": _scenario_job, "event_based_case10": _event_based_job}
    exe = Path(sys.executable).parent / "toolkit"
    for name, make in jobs.items():
        if args.only and name not in args.only:
            continue
        job = make()
        data_dir = WORK / f"toolkit_data_{name}"
        shutil.rmtree(data_dir, ignore_errors=True)
        r = measure([str(exe), "run", str(job), "--quiet"], env={"TOOLKIT_DATA": str(data_dir)})
        values = count_values(data_dir)
        entry: dict = {"job": str(job.relative_to(REPO.parent)),
                       "toolkit": {k: r[k] for k in ("returncode", "wall_s", "peak_rss_mb")}}
        entry["toolkit"]["gmf_values"] = values
        entry["toolkit"]["values_per_s"] = values / r["wall_s"] if r["wall_s"] else None
        print(f"{name:20s} toolkit   {r['wall_s']:8.2f} s {r['peak_rss_mb']:8.0f} MB "
              f"{values:>12,d} values rc={r['returncode']}", flush=True)
        if r["returncode"] != 0:
            entry["toolkit"]["stderr_tail"] = r["stderr_tail"]
        if oq is not None:
            home = WORK / "oq_home"
            home.mkdir(parents=True, exist_ok=True)
            o = measure([str(oq / "oq"), "engine", "--run", str(_oq_copy(job))],
                        env={"HOME": str(home)})
            entry["openquake"] = {k: o[k] for k in ("returncode", "wall_s", "peak_rss_mb")}
            if o["returncode"] == 0:
                entry["speedup_vs_openquake"] = o["wall_s"] / r["wall_s"]
            else:
                entry["openquake"]["stderr_tail"] = o["stderr_tail"][-600:]
            print(f"{name:20s} openquake {o['wall_s']:8.2f} s {o['peak_rss_mb']:8.0f} MB "
                  f"rc={o['returncode']}", flush=True)
        results["jobs"][name] = entry
    print(f"written {write_result('gmf', results)}")


if __name__ == "__main__":
    main()
