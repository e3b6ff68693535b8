"""Run every benchmark (``make bench``); results go to benchmarks/results/*.json."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

BENCHMARKS = ["classical.py", "gmf.py", "risk.py", "server.py", "flood.py", "lizard.py",
              "notebooks.py", "scaling.py"]

if __name__ == "__main__":
    for script in BENCHMARKS:
        print(f"== {script}", flush=True)
        subprocess.run([sys.executable, str(HERE / script), *sys.argv[1:]], check=True,
                       cwd=HERE)
