"""binder/ describes an installable environment: the requirements resolve (offline, against the
test venv), they cover the package's dependencies, and postBuild runs (its pip call is checked
by its arguments, not executed: that would replace the editable install of the test venv)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BINDER = REPO / "binder"


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _requirements() -> list[str]:
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def test_runtime_is_python_311() -> None:
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"


def test_requirements_cover_the_package_dependencies() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    needed = {_name(d) for d in project["dependencies"]}
    listed = {_name(r) for r in _requirements()}
    assert needed <= listed, sorted(needed - listed)
    assert {"voila", "ipywidgets"} <= listed
    assert not any(r.startswith((".", "-e")) for r in _requirements())  # cached layer


def test_requirements_resolve_in_the_test_venv() -> None:
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-index",
                             "--disable-pip-version-check", "-r",
                             str(BINDER / "requirements.txt")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Would install" not in result.stdout, result.stdout[-2000:]


@pytest.mark.timeout(120)
def test_postbuild_runs(tmp_path: Path) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    log = tmp_path / "pip.log"
    python = fake_bin / "python"
    python.write_text(f"""#!/bin/bash
if [ "$1 $2 $3" = "-m pip install" ]; then echo "$@" >> {log}; exit 0; fi
exec {sys.executable} "$@"
""")
    python.chmod(0o755)
    data = tmp_path / "toolkit_data"
    env = {**os.environ, "PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}",
           "TOOLKIT_DATA": str(data)}
    result = subprocess.run(["bash", str(BINDER / "postBuild")], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert log.read_text().split() == ["-m", "pip", "install", "--no-cache-dir", "--no-deps", "."]
    from toolkit.config import Settings
    from toolkit.widgets.local import LocalCalcs, LocalScenarios

    settings = Settings(data_dir=data)
    assert len(LocalCalcs(settings).list()) == 2
    assert LocalScenarios(settings).scenarios().total == 3
    assert os.access(BINDER / "postBuild", os.X_OK)
    assert "set -euo pipefail" in (BINDER / "postBuild").read_text()
