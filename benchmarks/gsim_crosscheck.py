"""Cross-check of the toolkit's GSIMs against OpenQuake's hazardlib, and of the hazardlib bridge.

Run with the Python of an OpenQuake install (hazardlib is never a toolkit dependency)::

    /work/oq-venv/bin/python benchmarks/gsim_crosscheck.py [--skip-bridge]

The toolkit is imported from this repository (its root is put on ``sys.path``).

1. **GSIMs.** For every toolkit GSIM that hazardlib also has, medians and the total,
   between-event (tau) and within-event (phi) standard deviations are computed with both
   libraries on one grid of scenarios: M 4-8 (both sides of every magnitude hinge), sites from
   300 km on the footwall to 300 km on the hanging wall of a dipping rupture (``rx`` from -300
   to 300 km, ``rjb``/``rrup`` from its geometry), vs30 180-1500 m/s, four mechanisms
   (strike-slip, reverse, normal, reverse-oblique on a shallow dip), two depths to top of
   rupture, and basin depths both given (``z1pt0``, ``z2pt5``, measured vs30) and unknown
   (NaN in the toolkit, ``-999`` in hazardlib; inferred vs30), at up to 24 IMTs (PGA, PGV,
   tabulated and in-between periods). The relative errors are ``|exp(ln m_tk - ln m_oq) - 1|``
   for the median and ``|s_tk / s_oq - 1|`` for the standard deviations.
2. **Bridge.** OpenQuake QA classical ``case_02`` (``LanzanoEtAl2019_RJB_OMO``, a GSIM the
   toolkit does not implement) is run by ``toolkit.jobs.runner.run_job`` through the
   hazardlib bridge, and its mean hazard curve compared with the expected CSV shipped in
   hazardlib's QA data.

Writes ``benchmarks/results/gsim_crosscheck.json`` and prints the Markdown table of
``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

RESULT = REPO / "benchmarks" / "results" / "gsim_crosscheck.json"

#: toolkit GSIM name -> hazardlib name (the same: both use OpenQuake's names)
GSIMS = ["SadighEtAl1997", "BooreAtkinson2008", "BooreEtAl2014", "AbrahamsonEtAl2014",
         "CampbellBozorgnia2014", "ChiouYoungs2014", "Idriss2014"]
IMTS = ["PGA", "PGV", "SA(0.01)", "SA(0.02)", "SA(0.05)", "SA(0.075)", "SA(0.1)", "SA(0.12)",
        "SA(0.15)", "SA(0.2)", "SA(0.25)", "SA(0.3)", "SA(0.5)", "SA(0.6)", "SA(0.75)",
        "SA(1.0)", "SA(1.5)", "SA(2.0)", "SA(2.5)", "SA(3.0)", "SA(4.0)", "SA(5.0)",
        "SA(7.5)", "SA(10.0)"]
MAGS = [4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 6.75, 7.0, 7.5, 8.0]
RX = [-300.0, -150.0, -60.0, -20.0, -5.0, -1.0, 1.0, 3.0, 8.0, 15.0, 30.0, 80.0, 200.0, 300.0]
#: vs30 (m/s) -> (z1pt0 in m, z2pt5 in km) when the basin depths are "given"
VS30 = {180.0: (600.0, 4.0), 250.0: (450.0, 3.0), 360.0: (300.0, 2.0), 450.0: (200.0, 1.5),
        760.0: (60.0, 0.8), 1100.0: (20.0, 0.5), 1500.0: (5.0, 0.3)}
MECHANISMS = [(0.0, 90.0), (90.0, 45.0), (-90.0, 60.0), (45.0, 30.0)]  # (rake, dip)
ZTOR = [0.0, 4.0]
UNKNOWN_DEPTH = -999.0  # hazardlib's "unknown" basin depth
QA_CASE = "classical/case_02"

_ASK14_ROUNDED = {"SA(0.02)", "SA(0.05)", "SA(0.075)", "SA(0.12)", "SA(0.15)", "SA(0.2)",
                  "SA(0.25)", "SA(0.3)", "SA(0.5)", "SA(0.6)", "SA(7.5)"}
#: Documented differences (benchmarks/README.md): GSIM -> (explanation, mask of the (IMT,
#: pairs) they affect); the errors are also reported with these left out.
KNOWN_DIFFERENCES = {
    "SadighEtAl1997": (
        "hazardlib keys the rock coefficients of the paper's 0.075 s row as 0.07 s, so SA(0.075)"
        " on rock (vs30 > 750) is interpolated between its 0.07 and 0.1 s rows",
        lambda imt, g: (g["vs30"] > 750.0) & (imt == "SA(0.075)")),
    "BooreAtkinson2008": (
        "between the paper's periods hazardlib takes the site coefficients from a finer "
        "31-period table; the toolkit interpolates the paper's (identical at its periods)",
        lambda imt, g: np.full(len(g["mag"]), imt in ("SA(0.12)", "SA(0.6)", "SA(2.5)"))),
    "BooreEtAl2014": (
        "hazardlib's f4 has fewer digits at 4-7.5 s (e.g. -0.000055 for -0.0000546)",
        lambda imt, g: np.full(len(g["mag"]), imt in ("SA(4.0)", "SA(5.0)", "SA(7.5)"))),
    "AbrahamsonEtAl2014": (
        "hazardlib's table rounds b to two decimals at 0.02, 0.05, 0.075, 0.15-0.5 s (and the "
        "periods interpolated from them), a44 at 7.5 s (0.28 for 0.275) and a6 to three "
        "decimals (small-magnitude term, M < 5); the toolkit keeps the authors' values",
        lambda imt, g: (g["mag"] < 5.0) | (imt in _ASK14_ROUNDED)),
    "Idriss2014": (
        "at exactly M 6.75 hazardlib uses the M > 6.75 coefficients (the paper: M <= 6.75 "
        "uses the small-magnitude set), and it does not hold sigma constant above M 7.5 as "
        "the paper's eq. 5 does",
        lambda imt, g: (g["mag"] == 6.75) | (g["mag"] > 7.5)),
}


def scenario_grid() -> dict[str, np.ndarray]:
    """All rupture-site pairs, as OpenQuake-named 1-D arrays (units of the contexts)."""
    rows = []
    for mag, (rake, dip), ztor, rx, vs30, given in itertools.product(
            MAGS, MECHANISMS, ZTOR, RX, VS30, (False, True)):
        sin, cos = np.sin(np.radians(dip)), np.cos(np.radians(dip))
        width = min(10.0 ** (-1.01 + 0.32 * mag), (18.0 - ztor) / sin)
        top, bottom = np.array([0.0, ztor]), np.array([width * cos, ztor + width * sin])
        seg = bottom - top
        t = np.clip(np.dot(np.array([rx, 0.0]) - top, seg) / np.dot(seg, seg), 0.0, 1.0)
        rrup = float(np.hypot(*(np.array([rx, 0.0]) - (top + t * seg))))
        rjb = -rx if rx < 0 else max(rx - width * cos, 0.0)
        z1, z2 = VS30[vs30] if given else (np.nan, np.nan)
        rows.append((mag, rake, dip, ztor, width, ztor + 0.6 * width * sin, rrup, rjb, rx,
                     0.0, vs30, given, z1, z2))
    names = ("mag", "rake", "dip", "ztor", "width", "hypo_depth", "rrup", "rjb", "rx", "ry0",
             "vs30", "vs30measured", "z1pt0", "z2pt5")
    columns = list(zip(*rows, strict=True))
    grid = {name: np.array(col, dtype=float) for name, col in zip(names, columns, strict=True)}
    grid["vs30measured"] = grid["vs30measured"].astype(bool)
    return grid


def toolkit_values(name: str, grid: dict[str, np.ndarray], imts: list[str]):
    from toolkit.engine.hazard.contexts import Context
    from toolkit.engine.hazard.gsim.base import get_gsim
    from toolkit.engine.hazard.imt import from_string
    from toolkit.errors import InputError

    gsim = get_gsim(name)
    supported = []
    for imt in imts:
        try:
            gsim.check_imt(from_string(imt))
        except InputError:
            continue
        supported.append(imt)
    out = gsim.get_mean_and_stddevs(Context(**grid), [from_string(i) for i in supported])
    return supported, np.array(out)  # (4, M, N)


def hazardlib_values(name: str, grid: dict[str, np.ndarray], imts: list[str]):
    """hazardlib's (4, M, N) array via its public API, one context per magnitude."""
    from openquake.hazardlib import contexts
    from openquake.hazardlib.gsim import get_available_gsims
    from openquake.hazardlib.imt import from_string

    gsim = get_available_gsims()[name]()
    cmaker = contexts.simple_cmaker([gsim], imts)
    n = len(grid["mag"])
    out = np.full((4, len(imts), n), np.nan)
    for mag in np.unique(grid["mag"]):
        idx = np.flatnonzero(grid["mag"] == mag)
        rec = cmaker.new_ctx(len(idx))
        for field in rec.dtype.names:
            if field in grid:
                values = grid[field][idx]
                if field in ("z1pt0", "z2pt5"):
                    values = np.where(np.isnan(values), UNKNOWN_DEPTH, values)
                rec[field] = values
            elif field == "sids":
                rec[field] = np.arange(len(idx))
        out[:, :, idx] = contexts.get_mean_stds(gsim, rec, [from_string(i) for i in imts])
    return out


def compare(name: str, grid: dict[str, np.ndarray]) -> dict:
    imts, ours = toolkit_values(name, grid, IMTS)
    t0 = time.perf_counter()
    theirs = hazardlib_values(name, grid, imts)
    seconds = time.perf_counter() - t0
    median_err = np.abs(np.expm1(ours[0] - theirs[0]))
    result = {"pairs": int(len(grid["mag"])), "imts": imts,
              "hazardlib_seconds": round(seconds, 2)}
    for k, key in enumerate(("median", "sigma", "tau", "phi")):
        if k == 0:
            err = median_err
        elif np.isnan(ours[k]).all():
            result[f"max_rel_{key}"] = None  # the model gives only a total sigma
            continue
        else:
            err = np.abs(ours[k] / theirs[k] - 1.0)
        m, i = np.unravel_index(np.nanargmax(err), err.shape)
        result[f"max_rel_{key}"] = float(err[m, i])
        result[f"worst_{key}"] = {"imt": imts[m], **{p: _plain(v[i]) for p, v in grid.items()}}
    result["max_rel_median_by_imt"] = {imt: float(median_err[m].max())
                                       for m, imt in enumerate(imts)}
    if name in KNOWN_DIFFERENCES:
        note, affected = KNOWN_DIFFERENCES[name]
        keep = ~np.array([affected(imt, grid) for imt in imts])
        result["known_difference"] = note
        result["excluded_fraction"] = round(1.0 - float(keep.mean()), 4)
        for k, key in enumerate(("median", "sigma", "tau", "phi")):
            if result[f"max_rel_{key}"] is None:
                result[f"max_rel_{key}_outside_known"] = None
                continue
            err = median_err if k == 0 else np.abs(ours[k] / theirs[k] - 1.0)
            result[f"max_rel_{key}_outside_known"] = float(np.nanmax(np.where(keep, err, 0.0)))
    result["nan_mismatch"] = int(np.sum(np.isnan(ours[:2]) != np.isnan(theirs[:2])))
    return result


def _plain(value):
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and np.isnan(value) else value


def bridge_check() -> dict:
    """QA classical case_02 through the toolkit with the bridged LanzanoEtAl2019_RJB_OMO."""
    import openquake.hazardlib

    from toolkit.config import Settings
    from toolkit.jobs.runner import run_job

    case = Path(openquake.hazardlib.__file__).parents[1] / "qa_tests_data" / QA_CASE
    result: dict = {"case": QA_CASE, "gsim": "LanzanoEtAl2019_RJB_OMO"}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        try:
            run_job(case / "job.ini", Settings(data_dir=Path(tmp) / "data"),
                    export_dir=Path(tmp) / "out", progress=False)
        except Exception as exc:  # report, do not hide: a missing toolkit dependency, ...
            result.update(status="error", error=f"{type(exc).__name__}: {exc}")
            return result
        result["seconds"] = round(time.perf_counter() - t0, 1)
        ours = _read_curve(next((Path(tmp) / "out").glob("hazard_curve-mean-PGA*.csv")))
    expected = _read_curve(case / "expected" / "hazard_curve-PGA.csv")
    rel = np.abs(ours / expected - 1.0)
    result.update(status="ok", poes=ours.tolist(), expected=expected.tolist(),
                  max_rel_error=float(rel.max()))
    return result


def _read_curve(path: Path) -> np.ndarray:
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    rows = list(csv.DictReader(lines))
    return np.array([float(v) for k, v in rows[0].items() if k.startswith("poe-")])


def markdown(results: dict) -> str:
    def pct(value):
        return "n/a (total only)" if value is None else f"{100 * value:.2g} %"

    def cell(r, key):
        text = pct(r[f"max_rel_{key}"])
        outside = r.get(f"max_rel_{key}_outside_known")
        return text if outside is None else f"{text} ({pct(outside)})"

    lines = ["| GSIM | pairs x IMTs | median | sigma | tau | phi |",
             "|---|---|---|---|---|---|"]
    for name, r in results["gsims"].items():
        lines.append(f"| `{name}` | {r['pairs']:,} x {len(r['imts'])} | "
                     + " | ".join(cell(r, k) for k in ("median", "sigma", "tau", "phi"))
                     + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-bridge", action="store_true", help="skip the QA case_02 run")
    args = parser.parse_args(argv)
    import openquake.baselib

    grid = scenario_grid()
    results: dict = {"python": platform.python_version(),
                     "openquake": getattr(openquake.baselib, "__version__", "?"),
                     "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                     "gsims": {}}
    for name in GSIMS:
        results["gsims"][name] = compare(name, grid)
        r = results["gsims"][name]
        print(f"{name:24s} median {r['max_rel_median']:.2e} sigma {r['max_rel_sigma']:.2e}",
              flush=True)
    if not args.skip_bridge:
        results["bridge"] = bridge_check()
        print("bridge:", json.dumps(results["bridge"]))
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
