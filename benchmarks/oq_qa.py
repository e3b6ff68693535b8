"""Run OpenQuake QA case folders with the toolkit and compare with their expected CSVs.

Usage::

    python benchmarks/oq_qa.py DIR [DIR ...] [--name NAME] [--timeout S] [--cases case_01,...]

Each ``DIR`` is either one QA case folder (it holds a ``job.ini``) or a folder of case folders
(OpenQuake's ``qa_tests_data/classical``, or ``../shared/reference/openquake/qa/classical``).
Every case runs unchanged, in a fresh process (``toolkit run job.ini --export-dir ...``), and
each of its expected CSVs is compared with the toolkit's export of the same kind: hazard
curves, hazard maps and uniform hazard spectra are matched by the ``kind`` and ``imt`` in the
metadata line of OpenQuake's CSV and by the columns, so the many file names the QA suite uses
(``hazard_curve-PGA.csv``, ``hcurve-mean.csv``, ``uhs.csv``, ...) need no table. Rows are
paired by site: by position when the coordinates agree, else by coordinates, so an expected
file holding a subset of the sites (a ``tile_spec`` run) is compared site by site;
OpenQuake's ``custom_site_id`` labels are not compared.

A case **passes** when every comparable value agrees: rtol 1e-3 on probabilities above 1e-5
(and on spectra and map values), 1e-5 absolute below. Statuses: ``pass``, ``fail`` (numbers
differ: the largest relative error is reported), ``error`` (the toolkit refused or failed:
the cause is the last line it printed), ``timeout``, ``no-comparable-output`` (expected files
that are not hazard curves, maps or spectra, e.g. ``.org`` tables).

Results go to ``benchmarks/results/oq_qa_<NAME>.json`` and a Markdown table
``benchmarks/results/oq_qa_<NAME>.md``: case, status, max_rel_error, seconds, cause; plus the
pass rate. The causes of failure are grouped (``UnknownName: GSIM ...`` and so on) so the
table says what is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import RESULTS, now  # noqa: E402
from toolkit.store import read_oq_csv  # noqa: E402

RTOL = 1e-3
SMALL = 1e-5
#: columns that label a site rather than hold a value
LABELS = ("custom_site_id",)


def case_dirs(paths: list[Path], only: set[str] | None) -> list[Path]:
    """Case folders (those with a job.ini) under the given paths, sorted by name."""
    found: list[Path] = []
    for path in paths:
        if (path / "job.ini").is_file():
            found.append(path)
        else:
            found += sorted(p for p in path.iterdir() if (p / "job.ini").is_file())
    return [c for c in found if only is None or c.name in only]


def _kind_of(meta: dict[str, Any], columns: list[str]) -> str | None:
    """What an OpenQuake-style CSV holds: ``curves``, ``maps`` or ``uhs``."""
    if any(c.startswith("poe-") for c in columns):
        return "curves"
    if any("~" in c for c in columns):
        return "uhs"
    if any(re.match(r"^[A-Za-z].*-[0-9.eE-]+$", c) for c in columns if c not in ("lon", "lat")):
        return "maps"
    return None


def _index(out: Path) -> list[tuple[str, str, str, Any, Path]]:
    """(kind, stat kind, imt, columns, path) of every CSV export of a run."""
    rows = []
    for path in sorted(out.glob("*.csv")):
        try:
            meta, table = read_oq_csv(path)
        except Exception:  # noqa: BLE001 - not an OQ-style CSV
            continue
        what = _kind_of(meta, list(table.columns))
        if what:
            rows.append((what, str(meta.get("kind", "")), str(meta.get("imt", "")),
                         list(table.columns), path))
    return rows


def _realizations(out: Path) -> int:
    """Number of realizations of a run, from its ``realizations_<id>.csv`` (0 if absent)."""
    for path in out.glob("realizations_*.csv"):
        _meta, table = read_oq_csv(path)
        return len(table)
    return 0


def _match(expected: Path, ours: list[tuple[str, str, str, Any, Path]],
           n_rlzs: int = 0) -> Path | None:
    meta, table = read_oq_csv(expected)
    what = _kind_of(meta, list(table.columns))
    if what is None:
        return None
    kind = str(meta.get("kind", "")) or "mean"
    imt = str(meta.get("imt", ""))
    name = expected.name
    rlz = re.search(r"rlz-(\d+)", name)
    if rlz and not meta.get("kind"):
        kind = f"rlz-{int(rlz.group(1)):03d}"
    quantile = re.search(r"quantile[_-]curve-([0-9.]+)", name)
    if quantile and not meta.get("kind"):
        kind = f"quantile-{quantile.group(1)}"
    # OpenQuake's site labels are not written by the toolkit: rows are matched by coordinates
    columns = [c for c in table.columns if c not in LABELS]
    candidates = [r for r in ours if r[0] == what and set(columns) <= set(r[3])]
    exact = [r for r in candidates if r[1] == kind and r[2] == imt]
    if exact:
        return exact[0][4]
    # a single-realization job: OpenQuake's rlz-000 (or unnamed) curve is the mean
    if n_rlzs != 1 or kind not in ("mean", "rlz-000"):
        return None
    fallback = [r for r in candidates if r[2] == imt and r[1] in ("mean", "rlz-000")]
    return fallback[0][4] if fallback else None


def _same_sites(exp: Any, ours: Any) -> bool:
    return len(exp) == len(ours) and all(
        np.allclose(exp[c].astype(float), ours[c].astype(float), atol=1e-4)
        for c in ("lon", "lat") if c in exp)


def _align(exp: Any, ours: Any) -> Any:
    """``ours`` with its rows in the order of ``exp``'s sites, or None when they differ.

    Rows are paired by position when the coordinates agree row by row. Only when ``exp`` has
    fewer rows than ours (OpenQuake's ``tile_spec`` runs export a subset of the sites, in
    geohash order) are they paired by their coordinates: every expected site must then be
    found exactly once among ours. With as many rows, another site order is a failure.
    """
    if _same_sites(exp, ours):
        return ours
    if "lon" not in exp or "lat" not in exp or len(exp) >= len(ours):
        return None

    def keys(table: Any) -> list[tuple[int, int]]:  # coordinates are written with 5 decimals
        return list(zip(np.rint(table["lon"].astype(float) * 1e5).astype(int),
                        np.rint(table["lat"].astype(float) * 1e5).astype(int), strict=True))

    where: dict[tuple[int, int], int] = {}
    for row, key in enumerate(keys(ours)):
        if key in where:  # two sites at one place (override_vs30): positions are ambiguous
            return None
        where[key] = row
    rows = [where.get(key) for key in keys(exp)]
    if None in rows or len(set(rows)) != len(rows):
        return None
    return ours.iloc[rows].reset_index(drop=True)


def compare(expected: Path, got: Path) -> float:
    """Largest relative error (on values above 1e-5); +inf when the sites (rows) or absolute
    differences below 1e-5 disagree."""
    _, exp = read_oq_csv(expected)
    _, ours = read_oq_csv(got)
    ours = _align(exp, ours)
    if ours is None:
        return float("inf")
    cols = [c for c in exp.columns if c not in ("lon", "lat", "depth", *LABELS)]
    e = exp[cols].to_numpy(float)
    g = ours[cols].to_numpy(float)
    big = e > SMALL
    if np.any(np.abs(g[~big] - e[~big]) > SMALL):
        return float("inf")
    if not big.any():
        return 0.0
    return float(np.max(np.abs(g[big] - e[big]) / e[big]))


def _cause(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for line in reversed(lines):
        if line.startswith("toolkit: error") or "Error" in line.split(":")[0]:
            return line[:300]
    return (lines[-1] if lines else "no output")[:300]


def run_case(case: Path, timeout: float) -> dict[str, Any]:
    """Run one QA case with the toolkit and compare its outputs."""
    row: dict[str, Any] = {"case": f"{case.parent.name}/{case.name}", "status": "",
                           "max_rel_error": None, "seconds": None, "cause": "", "files": {}}
    with tempfile.TemporaryDirectory(prefix="oq_qa_") as tmp:
        out = Path(tmp) / "out"
        env = {**os.environ, "TOOLKIT_DATA": str(Path(tmp) / "data"),
               "PYTHONWARNINGS": "ignore",
               # the repository's toolkit, also from a Python where it is not installed
               # (OpenQuake's, to use its GSIMs through toolkit.bridges.hazardlib)
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO),
                                                           os.environ.get("PYTHONPATH")]))}
        cmd = [sys.executable, "-m", "toolkit", "run", str(case / "job.ini"), "--export-dir",
               str(out), "--quiet"]
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env,
                                  timeout=timeout, cwd=tmp)
        except subprocess.TimeoutExpired:
            row.update(status="timeout", seconds=timeout, cause=f"over {timeout:.0f} s")
            return row
        row["seconds"] = round(time.perf_counter() - start, 2)
        if proc.returncode != 0:
            row.update(status="error", cause=_cause(proc.stderr))
            return row
        ours = _index(out)
        n_rlzs = _realizations(out)
        errors = []
        for expected in sorted((case / "expected").glob("*.csv")):
            try:
                got = _match(expected, ours, n_rlzs)
            except Exception:  # noqa: BLE001 - an expected file we cannot read
                got = None
            if got is None:
                row["files"][expected.name] = "no counterpart"
                continue
            err = compare(expected, got)
            row["files"][expected.name] = err
            errors.append(err)
    if not errors:
        row.update(status="no-comparable-output",
                   cause="no expected CSV has a toolkit counterpart: "
                         + ", ".join(sorted(row["files"]) or ["no expected CSVs"]))
        return row
    worst = max(errors)
    row["max_rel_error"] = worst
    if worst <= RTOL:
        row["status"] = "pass"
    else:
        row["status"] = "fail"
        row["cause"] = "values differ" if np.isfinite(worst) else "rows or small values differ"
    return row


def cause_group(cause: str) -> str:
    """A short group name for a failure cause: a missing GSIM, an unsupported feature, or the
    message with its file and line removed."""
    gsim = re.search(r"unknown GSIM '?([A-Za-z0-9_]+)", cause, re.IGNORECASE)
    if gsim:
        return f"GSIM not available: {gsim.group(1)}"
    text = re.sub(r"^toolkit: (error|warning): ", "", cause)
    text = re.sub(r"^\S+\.(ini|xml|csv)( line \d+)?(, [^:]*)?: ", "", text)
    unsupported = re.search(r"([^:;]*not supported[^;:.]*)", text)
    if unsupported:
        return f"not supported: {unsupported.group(1).strip()[:90]}"
    return text[:90]


def markdown(rows: list[dict[str, Any]], title: str) -> str:
    passed = sum(r["status"] == "pass" for r in rows)
    lines = [f"# {title}", "", f"Pass rate: {passed}/{len(rows)} "
             f"({100.0 * passed / max(len(rows), 1):.0f} %), rtol {RTOL} on poes > {SMALL}.",
             "", "| case | status | max_rel_error | seconds | cause |", "|---|---|---|---|---|"]
    for r in rows:
        err = r["max_rel_error"]
        err_s = "" if err is None else ("inf" if not np.isfinite(err) else f"{err:.2e}")
        cause = r["cause"].replace("|", "\\|")
        lines.append(f"| {r['case']} | {r['status']} | {err_s} | {r['seconds'] or ''} | "
                     f"{cause} |")
    groups = Counter(cause_group(r["cause"]) for r in rows if r["status"] != "pass")
    if groups:
        lines += ["", "Failures by cause:", ""]
        lines += [f"- {n} x {g}" for g, n in groups.most_common()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--name", default="classical", help="results file suffix")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per case")
    parser.add_argument("--cases", default="", help="comma-separated case names to run")
    parser.add_argument("--results-dir", type=Path, default=RESULTS,
                        help="where oq_qa_<name>.json and .md go (default benchmarks/results)")
    args = parser.parse_args(argv)
    only = set(args.cases.split(",")) if args.cases else None
    cases = case_dirs(args.dirs, only)
    rows = []
    for case in cases:
        row = run_case(case, args.timeout)
        rows.append(row)
        err = row["max_rel_error"]
        print(f"{row['case']:28s} {row['status']:22s} "
              f"{'' if err is None else f'{err:.2e}':10s} {row['seconds']!s:>8s}s "
              f"{row['cause'][:100]}", flush=True)
    passed = sum(r["status"] == "pass" for r in rows)
    payload = {"date": now(), "rtol": RTOL, "small": SMALL, "dirs": [str(d) for d in args.dirs],
               "passed": passed, "total": len(rows),
               "pass_rate": passed / max(len(rows), 1),
               "cases": [{**r, "max_rel_error": (None if r["max_rel_error"] is None else
                                                 (r["max_rel_error"]
                                                  if np.isfinite(r["max_rel_error"])
                                                  else "inf"))} for r in rows]}
    results = args.results_dir
    results.mkdir(parents=True, exist_ok=True)
    (results / f"oq_qa_{args.name}.json").write_text(json.dumps(payload, indent=2) + "\n")
    (results / f"oq_qa_{args.name}.md").write_text(
        markdown(rows, f"OpenQuake QA ({args.name}) run by the toolkit"))
    print(f"pass rate {passed}/{len(rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
