"""Classical PSHA benchmark: toolkit vs OpenQuake (when installed), end to end, cold process.

Jobs
----
- ``qa_case_01``: OpenQuake QA classical case 1 (one point source, 4 sites), if ../shared exists.
- ``peer_set1_case10``: PEER Set 1 case 10 (area source, 1 km grid, 0.01 magnitude bins,
  4 sites): ~4.7 million point ruptures.
- ``grid_10k``: the same area source (Area 1, Sadigh 1997, untruncated) on a 100 x 100 site
  grid covering it, with a 5 km source grid, 0.1 magnitude bins and a 200 km maximum
  distance, so that both engines finish in minutes.
- ``nga_two_region_10k``: a synthetic two-region model on a 100 x 100 site grid: "Active
  Shallow Crust" (two dipping faults, AbrahamsonEtAl2014 and BooreEtAl2014) and "Stable
  Shallow Crust" (an area source, CampbellBozorgnia2014 and ChiouYoungs2014), four
  realizations; reported with its throughput (ruptures x sites per second). The assignment of
  NGA-West2 models to a "stable" region is for the benchmark only, not a hazard model.

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


_NGA_SOURCES = """<?xml version="1.0" encoding="utf-8"?>
<!-- Synthetic benchmark model (toolkit): two regions, not a real hazard model. -->
<nrml xmlns:gml="http://www.opengis.net/gml" xmlns="http://openquake.org/xmlns/nrml/0.5">
  <sourceModel name="two-region benchmark">
    <sourceGroup name="active" tectonicRegion="Active Shallow Crust">
      <simpleFaultSource id="F1" name="Fault 1" tectonicRegion="Active Shallow Crust">
        <simpleFaultGeometry>
          <gml:LineString><gml:posList>-122.6 37.4 -122.1 37.8 -121.7 38.3</gml:posList>
          </gml:LineString>
          <dip>60.0</dip><upperSeismoDepth>0.0</upperSeismoDepth>
          <lowerSeismoDepth>15.0</lowerSeismoDepth>
        </simpleFaultGeometry>
        <magScaleRel>WC1994</magScaleRel><ruptAspectRatio>2.0</ruptAspectRatio>
        <truncGutenbergRichterMFD aValue="3.2" bValue="1.0" minMag="5.0" maxMag="7.3"/>
        <rake>90.0</rake>
      </simpleFaultSource>
      <simpleFaultSource id="F2" name="Fault 2" tectonicRegion="Active Shallow Crust">
        <simpleFaultGeometry>
          <gml:LineString><gml:posList>-121.5 37.3 -121.3 37.9 -121.2 38.6</gml:posList>
          </gml:LineString>
          <dip>90.0</dip><upperSeismoDepth>0.0</upperSeismoDepth>
          <lowerSeismoDepth>12.0</lowerSeismoDepth>
        </simpleFaultGeometry>
        <magScaleRel>WC1994</magScaleRel><ruptAspectRatio>2.0</ruptAspectRatio>
        <truncGutenbergRichterMFD aValue="3.4" bValue="1.0" minMag="5.0" maxMag="7.5"/>
        <rake>0.0</rake>
      </simpleFaultSource>
    </sourceGroup>
    <sourceGroup name="stable" tectonicRegion="Stable Shallow Crust">
      <areaSource id="A1" name="Background" tectonicRegion="Stable Shallow Crust">
        <areaGeometry>
          <gml:Polygon><gml:exterior><gml:LinearRing>
            <gml:posList>-123.0 37.2 -121.0 37.2 -121.0 38.8 -123.0 38.8</gml:posList>
          </gml:LinearRing></gml:exterior></gml:Polygon>
          <upperSeismoDepth>0.0</upperSeismoDepth><lowerSeismoDepth>20.0</lowerSeismoDepth>
        </areaGeometry>
        <magScaleRel>WC1994</magScaleRel><ruptAspectRatio>1.5</ruptAspectRatio>
        <truncGutenbergRichterMFD aValue="3.0" bValue="1.0" minMag="5.0" maxMag="6.5"/>
        <nodalPlaneDist>
          <nodalPlane probability="0.5" strike="0.0" dip="90.0" rake="0.0"/>
          <nodalPlane probability="0.5" strike="90.0" dip="60.0" rake="90.0"/>
        </nodalPlaneDist>
        <hypoDepthDist><hypoDepth probability="1.0" depth="8.0"/></hypoDepthDist>
      </areaSource>
    </sourceGroup>
  </sourceModel>
</nrml>
"""

_NGA_GSIMS = """<?xml version="1.0" encoding="UTF-8"?>
<nrml xmlns:gml="http://www.opengis.net/gml" xmlns="http://openquake.org/xmlns/nrml/0.5">
  <logicTree logicTreeID="gmc">
    <logicTreeBranchSet uncertaintyType="gmpeModel" branchSetID="active"
                        applyToTectonicRegionType="Active Shallow Crust">
      <logicTreeBranch branchID="ASK14"><uncertaintyModel>AbrahamsonEtAl2014</uncertaintyModel>
        <uncertaintyWeight>0.5</uncertaintyWeight></logicTreeBranch>
      <logicTreeBranch branchID="BSSA14"><uncertaintyModel>BooreEtAl2014</uncertaintyModel>
        <uncertaintyWeight>0.5</uncertaintyWeight></logicTreeBranch>
    </logicTreeBranchSet>
    <logicTreeBranchSet uncertaintyType="gmpeModel" branchSetID="stable"
                        applyToTectonicRegionType="Stable Shallow Crust">
      <logicTreeBranch branchID="CB14"><uncertaintyModel>CampbellBozorgnia2014</uncertaintyModel>
        <uncertaintyWeight>0.5</uncertaintyWeight></logicTreeBranch>
      <logicTreeBranch branchID="CY14"><uncertaintyModel>ChiouYoungs2014</uncertaintyModel>
        <uncertaintyWeight>0.5</uncertaintyWeight></logicTreeBranch>
    </logicTreeBranchSet>
  </logicTree>
</nrml>
"""

_NGA_SMLT = """<?xml version="1.0" encoding="UTF-8"?>
<nrml xmlns:gml="http://www.opengis.net/gml" xmlns="http://openquake.org/xmlns/nrml/0.5">
  <logicTree logicTreeID="ssc">
    <logicTreeBranchSet uncertaintyType="sourceModel" branchSetID="bs1">
      <logicTreeBranch branchID="b1"><uncertaintyModel>source_model.xml</uncertaintyModel>
        <uncertaintyWeight>1.0</uncertaintyWeight></logicTreeBranch>
    </logicTreeBranchSet>
  </logicTree>
</nrml>
"""

_NGA_JOB = """[general]
description = Benchmark: two-region NGA-West2 model on 10,000 sites
calculation_mode = classical

[geometry]
sites_csv = sites.csv

[erf]
rupture_mesh_spacing = 2.0
width_of_mfd_bin = 0.2
area_source_discretization = 15.0

[site_params]
reference_vs30_type = measured
reference_vs30_value = 760.0
reference_depth_to_1pt0km_per_sec = 48.0
reference_depth_to_2pt5km_per_sec = 0.607

[calculation]
source_model_logic_tree_file = source_model_logic_tree.xml
gsim_logic_tree_file = gsim_logic_tree.xml
investigation_time = 50.0
intensity_measure_types_and_levels = {"PGA": logscale(0.005, 2.0, 20),
    "SA(1.0)": logscale(0.002, 2.0, 20)}
truncation_level = 3
maximum_distance = 150.0

[output]
mean = true
poes = 0.1 0.02
"""


def _nga_job() -> Path:
    """The two-region NGA-West2 job, written under benchmarks/work."""
    target = WORK / "nga_two_region_10k"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name, text in (("source_model.xml", _NGA_SOURCES), ("gsim_logic_tree.xml", _NGA_GSIMS),
                       ("source_model_logic_tree.xml", _NGA_SMLT), ("job.ini", _NGA_JOB)):
        (target / name).write_text(text)
    lons = np.linspace(-123.1, -120.9, 100)
    lats = np.linspace(37.1, 38.9, 100)
    grid = np.array([(x, y) for y in lats for x in lons])
    np.savetxt(target / "sites.csv", grid, delimiter=",", fmt="%.5f", header="lon,lat",
               comments="")
    return target / "job.ini"


def rupture_site_pairs(job: Path) -> tuple[int, int]:
    """(number of ruptures, number of sites) of a classical job, counted by the toolkit."""
    sys.path.insert(0, str(REPO))
    from toolkit.io.inputs import build_inputs, load_job

    inputs = build_inputs(load_job(job))
    ruptures = sum(src.count_ruptures(inputs.spec_for(trt).minimum_magnitude)
                   for sm in inputs.source_models for trt, sources in sm.groups.items()
                   for src in sources)
    return ruptures, len(inputs.sites)


def jobs(include_large: bool) -> dict[str, Path]:
    found: dict[str, Path] = {}
    qa = SHARED / "reference" / "openquake" / "qa" / "classical" / "case_01" / "job.ini"
    if qa.is_file():
        found["qa_case_01"] = qa
    found["peer_set1_case10"] = PEER / "Set1-Case10" / "job.ini"
    if include_large:
        found["grid_10k"] = _grid_job()
        found["nga_two_region_10k"] = _nga_job()
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
        if name == "nga_two_region_10k":
            ruptures, n_sites = rupture_site_pairs(job)
            best = min(entry["toolkit_serial"]["wall_s"], entry["toolkit_processpool"]["wall_s"])
            entry.update(ruptures=ruptures, sites=n_sites,
                         throughput_rupture_sites_per_s=ruptures * n_sites / best)
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
