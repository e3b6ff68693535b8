"""CalcBrowser, ScenarioBrowser, the composite viewers and the comparison: listing, empty
states, selection, opening, download, preview, and the errors a lost server gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from toolkit.client.errors import ServerUnreachable
from toolkit.config import Settings
from toolkit.widgets import (
    CalcBrowser,
    ResultsViewer,
    ScenarioBrowser,
    ScenarioComparison,
    ScenarioViewer,
)
from toolkit.widgets.local import DEMO_FLOOD_B, LocalCalcs, LocalScenarios
from toolkit.widgets.protocol import ScenarioPage

PNG = b"\x89PNG\r\n\x1a\n"
UNREACHABLE = ServerUnreachable("GET http://127.0.0.1:9/v1/calc/list: server unreachable at "
                                "http://127.0.0.1:9")


class DeadScenarios:
    location = "http://127.0.0.1:9/api/v4"

    def scenarios(self, **_: Any) -> ScenarioPage:
        raise ServerUnreachable("GET http://127.0.0.1:9/api/v4/scenarios/: server unreachable "
                                "at http://127.0.0.1:9/api/v4")


def test_calc_browser_lists_filters_and_opens(calcs, classical_id, scenario_id) -> None:
    browser = CalcBrowser(calcs)
    assert browser.count >= 2 and browser.selected == browser.calcs[0].id
    assert "calculations (all) in in-process" in browser.status_text
    opened = []
    browser.on_open(lambda calc_id, info: opened.append((calc_id, info.mode)))
    browser.listing.value = classical_id  # as a user clicks a row
    assert browser.selected == classical_id
    assert "<td>classical</td>" in browser.details.value
    assert not browser.open_button.disabled and browser.abort_button.disabled
    browser.open_button.click()
    assert opened == [(classical_id, "classical")]
    browser.status_filter.value = "complete"
    assert all(c.status == "complete" for c in browser.calcs)
    browser.select(scenario_id)
    assert browser.listing.value == scenario_id


def test_calc_browser_shows_the_traceback_of_a_failed_one(calcs, tmp_path: Path) -> None:
    calc_id = calcs.catalogue.create("broken job", "classical", str(tmp_path / "job.ini"),
                                     "notebook")
    calcs.catalogue.fail(calc_id, "Traceback (most recent call last):\nValueError: boom")
    browser = CalcBrowser(calcs)
    browser.status_filter.value = "failed or aborted"
    browser.select(calc_id)
    assert "ValueError: boom" in browser.details.value
    assert browser.open_button.disabled
    browser.open_results()
    assert "only complete calculations have results" in browser.error_message


def test_calc_browser_empty_state(tmp_path: Path) -> None:
    browser = CalcBrowser(LocalCalcs(Settings(data_dir=tmp_path)))
    assert browser.count == 0 and browser.selected is None
    assert "No calculations yet in in-process, data directory" in browser.empty.value
    assert browser.error_message == "" and browser.open_button.disabled


def test_calc_browser_unreachable_server(fake_calcs) -> None:
    service = fake_calcs(["complete"], error=UNREACHABLE, fail_after=0,
                         location="http://127.0.0.1:9")
    browser = CalcBrowser(service)
    assert "server unreachable at http://127.0.0.1:9" in browser.error_message
    assert browser.status_text == "No answer from http://127.0.0.1:9."
    assert browser.count == 0


def test_results_viewer_picks_the_viewer(calcs, classical_id, scenario_id) -> None:
    viewer = ResultsViewer(calcs)
    shown = []
    viewer.on_show(lambda c, k: shown.append((c, k)))
    viewer.show(classical_id)
    assert viewer.kind == "hazard" and viewer.hazard.layout.display is None
    assert viewer.fields.layout.display == "none" and viewer.hazard.n_curves == 3
    viewer.show(scenario_id)
    assert viewer.kind == "fields" and viewer.fields.field.n_steps == 200
    assert viewer.hazard.layout.display == "none"
    assert shown == [(classical_id, "hazard"), (scenario_id, "fields")]
    viewer.show(10_000)
    assert "calculation 10000 not found" in viewer.error_message


def test_scenario_browser_pages(scenarios) -> None:
    browser = ScenarioBrowser(scenarios, page_size=2)
    assert browser.count == 2 and browser.total == 3
    assert browser.page_label.value == "page 1 of 2"
    assert browser.prev_button.disabled and not browser.next_button.disabled
    first = [s["uuid"] for s in browser.items]
    browser.next_button.click()
    assert browser.page == 1 and browser.count == 1 and browser.next_button.disabled
    assert browser.page_label.value == "page 2 of 2"
    assert browser.items[0]["uuid"] not in first
    browser.prev_button.click()
    assert [s["uuid"] for s in browser.items] == first


def test_scenario_browser_filter_and_empty_state(scenarios) -> None:
    browser = ScenarioBrowser(scenarios)
    browser.filter_text.value = "nothing like this"
    assert browser.count == 0 and browser.scenario == "" or browser.listing.options == ()
    assert "No scenarios matching “nothing like this”" in browser.empty.value
    assert browser.listing.layout.display == "none" and browser.open_button.disabled
    assert browser.error_message == ""
    browser.filter_text.value = "flood b"
    assert browser.count == 1 and browser.items[0]["name"] == DEMO_FLOOD_B[0]


def test_scenario_browser_empty_catalogue(tmp_path: Path) -> None:
    browser = ScenarioBrowser(LocalScenarios(Settings(data_dir=tmp_path)))
    assert browser.count == 0 and "No scenarios in in-process" in browser.empty.value
    assert browser.error_message == ""


def test_scenario_browser_unreachable_server() -> None:
    browser = ScenarioBrowser(DeadScenarios())
    assert "server unreachable at http://127.0.0.1:9/api/v4" in browser.error_message
    assert browser.count == 0


def test_scenario_browser_results_download_preview_open(scenarios, flood_uuid,
                                                        tmp_path: Path) -> None:
    browser = ScenarioBrowser(scenarios, download_dir=tmp_path)
    browser.scenario = flood_uuid
    assert browser.listing.value == flood_uuid
    html = browser.results_view.value
    for family in ("Raw", "Basic", "Arrival", "Damage"):
        assert f"data-family='{family}'" in html
    assert html.index("data-family='Raw'") < html.index("data-family='Damage'")
    assert browser.status_text.endswith("11 results in 4 families")
    assert browser.selected_result["code"] == "depth-max-dtri"
    assert browser.download_button.disabled and not browser.preview_button.disabled
    browser.preview_button.click()
    assert browser.preview_image.value[:8] == PNG and browser.preview.array.shape == (26, 26)
    assert browser.status_text == "Preview of depth-max-dtri: 26 x 26 pixels"
    browser.select_result("damage-summary")
    assert not browser.download_button.disabled and browser.preview_button.disabled
    got = []
    browser.on_download(got.append)
    browser.download_button.click()
    assert got == [tmp_path / flood_uuid / "damage-summary.csv"] and got[0].is_file()
    assert "download='damage-summary.csv'" in browser.download_link.value
    assert "base64," in browser.download_link.value
    opened = []
    browser.on_open(lambda uuid, record: opened.append((uuid, record["name"])))
    browser.open_button.click()
    assert opened[0][0] == flood_uuid


def test_scenario_viewer_flood_and_earthquake(scenarios, flood_uuid) -> None:
    viewer = ScenarioViewer(scenarios)
    viewer.show(flood_uuid)
    assert viewer.scenario == flood_uuid and viewer.error_message == ""
    assert viewer.status_text.endswith("Water depth over 25 times; damage")
    viewer.depth.slider.value = 20
    assert "(time 21 of 25)" in viewer.depth.status_text
    assert viewer.damage.total > 0 and viewer.damage.layout.display is None
    quake = next(s["uuid"] for s in scenarios.scenarios().items if s["source"] == "toolkit")
    viewer.show(quake)
    assert viewer.depth.variable == "PGA" and viewer.damage.layout.display == "none"
    viewer.show("00000000-0000-0000-0000-000000000000")
    assert "not found" in viewer.error_message


def test_comparison_of_the_two_demo_floods(scenarios) -> None:
    compare = ScenarioComparison(scenarios)
    names = {compare.a_picker.label, compare.b_picker.label}
    assert all("flood" in n.lower() for n in names) and compare.a != compare.b
    a, b, d = compare.rasters
    np.testing.assert_array_equal(np.isfinite(d.array), np.isfinite(a.array) &
                                  np.isfinite(b.array))
    finite = np.isfinite(d.array)
    np.testing.assert_allclose(d.array[finite], (b.array - a.array)[finite])
    assert compare.stats["pixels"] == int(finite.sum()) > 0
    assert compare.status_text.startswith("Max water depth: B − A from")
    assert compare.image.value[:8] == PNG
    compare.code_picker.value = "depth-first-dtri"
    assert compare.code == "depth-first-dtri" and compare.status_text.startswith("Arrival")
    compare.a, compare.b = compare.b, compare.a
    assert compare.status_text.startswith("Arrival")
    quake = next(s["uuid"] for s in scenarios.scenarios().items if s["source"] == "toolkit")
    compare.a = quake
    assert "has no result 'depth-first-dtri'" in compare.error_message
