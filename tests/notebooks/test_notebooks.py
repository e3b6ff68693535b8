"""Every notebook executes headless (nbclient) against a temporary data directory with the demo
data, and the apps are then operated from an extra cell appended by the test (run the demo job,
open a calculation, open a scenario, move the time slider) so that the composition is checked,
not only that the cells run. The notebooks themselves stay free of test code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
ALL = sorted(NOTEBOOKS.rglob("*.ipynb"))

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

#: code appended to an app notebook: it operates the app as a user would and asserts on what
#: the widgets display
CHECKS = {
    "run_hazard.ipynb": """
assert runner.job.endswith("classical/job.ini"), runner.job
runner.run_button.click()
assert runner.wait(180) == "complete", (runner.status_text, runner.error_message)
assert results.kind == "hazard", (results.status_text, results.error_message)
assert results.hazard.n_curves == 3, results.hazard.status_text
results.hazard.imt = "SA(1.0)"
assert "of SA(1.0) at site 0" in results.hazard.status_text
assert results.hazard.image.value[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
""",
    "browse_calculations.ipynb": """
assert browser.count >= 2, browser.status_text
scenario = next(c for c in browser.calcs if c.mode == "scenario")
browser.select(scenario.id)
browser.open_button.click()
assert results.kind == "fields", (results.status_text, results.error_message)
results.fields.step = 5
assert "event 6 of" in results.fields.status_text, results.fields.status_text
classical = next(c for c in browser.calcs if c.mode == "classical")
browser.select(classical.id)
browser.open_button.click()
assert results.kind == "hazard" and results.hazard.n_curves == 3, results.status_text
""",
    "browse_scenarios.ipynb": """
assert browser.count == 3, browser.status_text
browser.scenario = next(s["uuid"] for s in browser.items if s["source"] == "3Di")
assert "Raw" in browser.results_view.value and "Damage" in browser.results_view.value
browser.open_button.click()
assert viewer.scenario == browser.scenario, (viewer.status_text, viewer.error_message)
viewer.depth.step = 12
assert "cells wet" in viewer.depth.status_text, viewer.depth.status_text
assert viewer.damage.total > 0, viewer.damage.status_text
browser.scenario = next(s["uuid"] for s in browser.items if s["source"] == "toolkit")
browser.open_button.click()
assert viewer.error_message == "", viewer.error_message
assert "event 1 of 200" in viewer.depth.status_text, viewer.depth.status_text
""",
    "compare_scenarios.ipynb": """
assert compare.a and compare.b and compare.a != compare.b
assert compare.stats["pixels"] > 0, (compare.status_text, compare.error_message)
compare.code = "depth-first-dtri"
assert compare.status_text.startswith("Arrival time"), compare.status_text
""",
}


def _execute(path: Path, data_dir: Path, query: str = "", extra: str = "") -> object:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    if extra:
        nb.cells.append(nbformat.v4.new_code_cell(extra))
    env = {**os.environ, "TOOLKIT_DATA": str(data_dir), "QUERY_STRING": query,
           "MPLBACKEND": "Agg"}
    client = NotebookClient(nb, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=env)
    return nb


def test_every_notebook_is_listed() -> None:
    names = {p.name for p in ALL}
    assert set(CHECKS) <= names
    tutorials = {p.stem for p in (NOTEBOOKS / "tutorials").glob("*.ipynb")}
    assert {"job_runner", "calc_browser", "hazard_curve_viewer", "field_viewer",
            "scenario_browser", "damage_viewer"} <= tutorials


def test_notebooks_are_stored_without_outputs() -> None:
    import nbformat

    for path in ALL:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, path


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_notebook_executes(path: Path, demo_data: Path) -> None:
    _execute(path, demo_data, extra=CHECKS.get(path.name, ""))


def test_scenario_from_query_string(demo_data: Path) -> None:
    from toolkit.config import Settings
    from toolkit.widgets.local import DEMO_FLOOD_B, LocalScenarios

    uuid = LocalScenarios(Settings(data_dir=demo_data)).scenarios(
        name=DEMO_FLOOD_B[0]).items[0]["uuid"]
    _execute(NOTEBOOKS / "browse_scenarios.ipynb", demo_data, query=f"?scenario={uuid}",
             extra=f"assert viewer.scenario == {uuid!r}, viewer.error_message\n"
                   f"assert browser.scenario == {uuid!r}\n"
                   "assert viewer.depth.field.n_steps == 25\n")


def test_unreachable_server_is_shown(demo_data: Path) -> None:
    _execute(NOTEBOOKS / "browse_calculations.ipynb", demo_data,
             query="?server=http://127.0.0.1:9",
             extra="assert 'http://127.0.0.1:9' in browser.error_message, "
                   "browser.error_message\nassert browser.count == 0\n")
