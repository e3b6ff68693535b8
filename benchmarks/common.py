"""Helpers for benchmarks: run a command in a fresh process, measure wall time and peak RSS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
WORK = REPO / "benchmarks" / "work"

_WRAPPER = """
import resource, subprocess, sys, time, json
t = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
print(json.dumps({"returncode": proc.returncode, "wall_s": wall, "peak_rss_mb": rss,
                  "stderr_tail": proc.stderr[-2000:], "stdout_tail": proc.stdout[-2000:]}))
"""


def measure(cmd: list[str], env: dict[str, str] | None = None) -> dict:
    """Run ``cmd`` in a fresh process; return wall time (s) and peak RSS (MB) of its tree's
    largest process."""
    full_env = {**os.environ, **(env or {})}
    out = subprocess.run([sys.executable, "-c", _WRAPPER, *cmd], capture_output=True,
                         text=True, env=full_env, check=True)
    return json.loads(out.stdout)


def openquake_python() -> Path | None:
    """The Python of an OpenQuake install made by ``benchmarks/install_openquake.sh``."""
    candidates = [os.environ.get("TOOLKIT_OQ_VENV", ""), str(REPO.parent / "oq-venv")]
    for c in candidates:
        if c and (Path(c) / "bin" / "oq").is_file():
            return Path(c) / "bin"
    return None


def write_result(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    return path


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
