"""3Di flood result benchmark: max-depth and arrival rasters of a 1,000,000-cell result.

Data: a synthetic 3Di-like pair written by ``toolkit.scenarios.synthetic`` (1000 x 1000 cells of
20 m, 100 output steps, ``Mesh2D_s1`` zlib-compressed as in real 3Di files, no flow lines) in
``benchmarks/work/flood_1m`` (reused when it exists with the same parameters).

Job, in a fresh process (start-up and imports included): open the pair, compute the maximum
depth (``depth-max-dtri``) and the arrival time (``depth-first-dtri``) in one pass streaming over
time, and write both GeoTIFFs. The whole water-level array would be 1e8 values (400 MB as
float32, 800 MB as float64); the computation must stay well below that, which peak RSS shows.
A second fresh process that only imports the same modules gives the baseline RSS.

Reported: wall time, peak RSS, and cell-steps per second.
Results: ``benchmarks/results/flood.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

from common import REPO, WORK, measure, now, write_result

N_CELLS = 1_000_000
N_TIMES = 100
PARAMS = {"n_cells": N_CELLS, "n_times": N_TIMES, "seed": 1, "levels": 1, "lines": False,
          "extra_variables": False}

IMPORTS = ("import toolkit.scenarios.threedi, toolkit.scenarios.derived, "
           "toolkit.scenarios.rasters, xarray, rasterio, netCDF4, h5py, pyproj")

COMPUTE = """
import sys, json, time
from toolkit.scenarios.threedi import open_threedi
from toolkit.scenarios.derived import cell_statistics, RESULT_TYPES
from toolkit.scenarios.rasters import write_geotiff
folder, out = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
with open_threedi(folder + "/gridadmin.h5", folder + "/results_3di.nc") as r:
    grid = r.grid
    t1 = time.perf_counter()
    stats = cell_statistics(r)
    t2 = time.perf_counter()
    for code, values in (("depth-max-dtri", stats.max_depth),
                         ("depth-first-dtri", stats.arrival)):
        write_geotiff(out + "/" + RESULT_TYPES[code].filename, grid.to_raster(values),
                      grid.transform, r.crs, tags={"code": code})
    t3 = time.perf_counter()
    print(json.dumps({"open_and_grid_s": t1 - t0, "stream_s": t2 - t1, "write_s": t3 - t2,
                      "chunk_steps": r.chunk_steps(r.open_water.size),
                      "raster_shape": list(grid.shape), "cells": int(r.open_water.size),
                      "steps": int(r.times.size)}))
"""


def _data() -> tuple[Path, float]:
    """The synthetic pair (written once) and the seconds its writing took."""
    from toolkit.scenarios.synthetic import write_synthetic_pair

    folder = WORK / "flood_1m"
    marker = folder / "params.json"
    if marker.is_file():
        saved = json.loads(marker.read_text())
        if saved.get("params") == PARAMS:
            return folder, saved["write_s"]
    folder.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    t = time.perf_counter()
    write_synthetic_pair(folder, **PARAMS)
    write_s = time.perf_counter() - t
    print(f"wrote synthetic pair in {write_s:.1f} s", flush=True)
    marker.write_text(json.dumps({"params": PARAMS, "write_s": write_s}))
    return folder, write_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="run only these jobs (flood_1m)")
    parser.add_argument("--no-openquake", action="store_true", help="(accepted, ignored)")
    parser.add_argument("--no-large", action="store_true", help="(accepted, ignored)")
    parser.add_argument("--openquake-all", action="store_true", help="(accepted, ignored)")
    args = parser.parse_args()
    if args.only and "flood_1m" not in args.only:
        return
    sys.path.insert(0, str(REPO))
    folder, write_s = _data()
    out = WORK / "flood_1m_out"
    out.mkdir(parents=True, exist_ok=True)
    base = measure([sys.executable, "-c", IMPORTS])
    run = measure([sys.executable, "-c", COMPUTE, str(folder), str(out)])
    if run["returncode"] != 0:
        print(run["stderr_tail"], file=sys.stderr)
    detail = json.loads(run["stdout_tail"].strip().splitlines()[-1]) if run["returncode"] == 0 \
        else {}
    size_mb = sum(p.stat().st_size for p in folder.glob("*.*") if p.suffix in (".h5", ".nc"))
    payload = {
        "date": now(),
        "machine": f"{platform.machine()}, {platform.system()}",
        "python": platform.python_version(),
        "jobs": {"flood_1m": {
            "cells": N_CELLS, "output_steps": N_TIMES,
            "input_mb": round(size_mb / 2**20, 1),
            "whole_s1_array_mb_float32": N_CELLS * N_TIMES * 4 / 2**20,
            "synthetic_pair_write_s": round(write_s, 2),
            "imports_only": {k: base[k] for k in ("wall_s", "peak_rss_mb", "returncode")},
            "toolkit": {k: run[k] for k in ("wall_s", "peak_rss_mb", "returncode")}
            | ({"cell_steps_per_s": N_CELLS * N_TIMES / run["wall_s"]} if run["returncode"] == 0
               else {"stderr_tail": run["stderr_tail"]}) | detail,
        }},
    }
    path = write_result("flood", payload)
    print(json.dumps(payload["jobs"], indent=2))
    print(f"-> {path}")


if __name__ == "__main__":
    main()
