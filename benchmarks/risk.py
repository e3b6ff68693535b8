"""Event-based risk benchmark: toolkit vs OpenQuake (when installed), end to end, cold process.

Job ``ebr_100k``: the demo source model (``toolkit/demos/classical``: a fault and an area
source, two GMPEs) sampled for about 10,000 events (``ses_per_logic_tree_path = 2000`` x 50
years x 2 realizations), and 100,000 synthetic assets (three taxonomies, lognormal
vulnerability functions with CoV 0.3) at 1,000 locations, so the sites are the asset
locations. Only aggregates are asked (average losses, event loss table, aggregate loss curves),
so memory must not grow as assets x events.

Reported: wall time, peak RSS, and asset-event losses per second (assets x events / wall).
Results: ``benchmarks/results/risk.json``.
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

DEMO = REPO / "toolkit" / "demos" / "classical"
N_ASSETS = 100_000
N_LOCATIONS = 1_000

EXPOSURE = """<?xml version="1.0" encoding="UTF-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/0.5">
  <exposureModel id="bench" category="buildings" taxonomySource="synthetic">
    <description>Synthetic benchmark exposure</description>
    <conversions>
      <costTypes>
        <costType name="structural" type="aggregated" unit="EUR"/>
      </costTypes>
    </conversions>
    <assets>assets.csv</assets>
  </exposureModel>
</nrml>
"""

VULNERABILITY = """<?xml version="1.0" encoding="UTF-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/0.5">
  <vulnerabilityModel id="bench" assetCategory="buildings" lossCategory="structural">
{functions}
  </vulnerabilityModel>
</nrml>
"""

FUNCTION = """    <vulnerabilityFunction id="{taxonomy}" dist="LN">
      <imls imt="PGA">0.05 0.1 0.2 0.4 0.8 1.6</imls>
      <meanLRs>{means}</meanLRs>
      <covLRs>0.3 0.3 0.3 0.3 0.3 0.3</covLRs>
    </vulnerabilityFunction>"""


def _job() -> Path:
    target = WORK / "ebr_100k"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(DEMO, target)
    rng = np.random.default_rng(1)
    lons = rng.uniform(9.6, 10.6, N_LOCATIONS)
    lats = rng.uniform(44.6, 45.4, N_LOCATIONS)
    where = rng.integers(0, N_LOCATIONS, N_ASSETS)
    taxonomies = np.array(["RC", "MUR", "W"])[rng.integers(0, 3, N_ASSETS)]
    values = rng.uniform(1e5, 1e6, N_ASSETS).round(0)
    with open(target / "assets.csv", "w") as f:
        f.write("id,lon,lat,taxonomy,number,structural\n")
        for i in range(N_ASSETS):
            f.write(f"a{i},{lons[where[i]]:.5f},{lats[where[i]]:.5f},{taxonomies[i]},1,"
                    f"{values[i]:.0f}\n")
    (target / "exposure.xml").write_text(EXPOSURE)
    means = {"RC": "0.005 0.02 0.08 0.25 0.5 0.7", "MUR": "0.01 0.05 0.15 0.4 0.7 0.9",
             "W": "0.002 0.01 0.04 0.15 0.35 0.6"}
    functions = "\n".join(FUNCTION.format(taxonomy=t, means=m) for t, m in means.items())
    (target / "vulnerability.xml").write_text(VULNERABILITY.format(functions=functions))
    ini = target / "job.ini"
    text = ini.read_text()
    text = re.sub(r"(?m)^calculation_mode\s*=.*$", "calculation_mode = event_based_risk", text)
    text = re.sub(r"(?m)^sites_csv\s*=.*$", "", text)
    text = re.sub(r"(?m)^(quantiles|poes|uniform_hazard_spectra)\s*=.*$", "", text)
    text = re.sub(r"(?m)^intensity_measure_types_and_levels\s*=.*$",
                  'intensity_measure_types_and_levels = {"PGA": logscale(0.005, 2.0, 20)}',
                  text)
    text = text.replace("description = Demo: synthetic fault and area source, two GMPEs",
                        "description = Benchmark: event-based risk, 100,000 assets")
    text += ("\n[risk]\nexposure_file = exposure.xml\n"
             "structural_vulnerability_file = vulnerability.xml\n"
             "ses_per_logic_tree_path = 2000\nses_seed = 42\nmaster_seed = 42\n"
             "asset_hazard_distance = 20\nreturn_periods = 50, 100, 500, 1000, 5000\n"
             "minimum_intensity = 0.01\n")
    ini.write_text(text)
    return ini


def _events(data_dir: Path) -> int:
    import h5py

    files = sorted(data_dir.glob("calc_*.hdf5"), key=lambda p: p.stat().st_mtime)
    if not files:
        return 0
    with h5py.File(files[-1], "r") as h5:
        found: list[int] = []
        h5.visititems(lambda name, obj: found.append(len(obj))
                      if isinstance(obj, h5py.Dataset) and name.endswith("events") else None)
        return max(found, default=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-openquake", action="store_true", help="toolkit only")
    parser.add_argument("--only", nargs="*", help="(accepted)")
    parser.add_argument("--no-large", action="store_true", help="(accepted, ignored)")
    parser.add_argument("--openquake-all", action="store_true", help="(accepted, ignored)")
    args = parser.parse_args()
    if args.only and "ebr_100k" not in args.only:
        return
    WORK.mkdir(parents=True, exist_ok=True)
    oq = None if args.no_openquake else openquake_python()
    results = {"date": now(), "machine": f"{platform.machine()}, {platform.system()}",
               "python": platform.python_version(), "openquake": bool(oq), "jobs": {}}
    job = _job()
    data_dir = WORK / "toolkit_data_ebr"
    shutil.rmtree(data_dir, ignore_errors=True)
    exe = Path(sys.executable).parent / "toolkit"
    r = measure([str(exe), "run", str(job), "--quiet"], env={"TOOLKIT_DATA": str(data_dir)})
    events = _events(data_dir)
    entry: dict = {"job": str(job.relative_to(REPO.parent)), "assets": N_ASSETS,
                   "toolkit": {k: r[k] for k in ("returncode", "wall_s", "peak_rss_mb")}}
    entry["events"] = events
    entry["toolkit"]["asset_events_per_s"] = N_ASSETS * events / r["wall_s"]
    if r["returncode"] != 0:
        entry["toolkit"]["stderr_tail"] = r["stderr_tail"]
    print(f"ebr_100k toolkit   {r['wall_s']:8.2f} s {r['peak_rss_mb']:8.0f} MB "
          f"{events} events rc={r['returncode']}", flush=True)
    if oq is not None:
        home = WORK / "oq_home"
        home.mkdir(parents=True, exist_ok=True)
        o = measure([str(oq / "oq"), "engine", "--run", str(job)], env={"HOME": str(home)})
        entry["openquake"] = {k: o[k] for k in ("returncode", "wall_s", "peak_rss_mb")}
        if o["returncode"] == 0:
            entry["speedup_vs_openquake"] = o["wall_s"] / r["wall_s"]
        else:
            entry["openquake"]["stderr_tail"] = o["stderr_tail"][-600:]
        print(f"ebr_100k openquake {o['wall_s']:8.2f} s {o['peak_rss_mb']:8.0f} MB "
              f"rc={o['returncode']}", flush=True)
    results["jobs"]["ebr_100k"] = entry
    print(f"written {write_result('risk', results)}")


if __name__ == "__main__":
    main()
