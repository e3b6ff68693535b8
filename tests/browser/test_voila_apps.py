"""The Voila apps operated as a user would, in headless Chromium: choose a demo and run it,
switch site and IMT, open calculations and scenarios, move the time slider, compare two
scenarios; plus the failure states (bad job, unreachable server, no matching scenario).

Assertions are on what the page displays: the widgets' status lines (``.tk-status``: "3 curves
of PGA at site 0 ...", "time 4 of 25"), error boxes and rendered images.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300),
              pytest.mark.xdist_group("browser")]

REPO = Path(__file__).resolve().parents[2]
README_IMAGE = REPO / "docs" / "images" / "voila-run-hazard.png"
MAX_README_BYTES = 300_000


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as pw_expect

    return pw_expect(locator)


def select(page: Any, css: str, text: str) -> None:
    """Pick the option containing ``text`` in the ``<select>`` of the widget ``css``."""
    option = page.locator(f"{css} select option", has_text=text).first
    page.locator(f"{css} select").first.select_option(value=option.get_attribute("value"))


def image_loaded(page: Any, css: str) -> bool:
    return bool(page.evaluate(
        "(css) => Array.from(document.querySelectorAll(css)).some("
        "img => img.offsetParent !== null && img.complete && img.naturalWidth > 0)", css))


def slide(page: Any, css: str, presses: int, timeout_s: float = 30.0) -> None:
    """Move a slider with the keyboard, as a user would (arrow keys on its handle).

    One press at a time, each waited for on the handle's ``aria-valuenow``: a press made while
    the widget view is still being (re)rendered on a loaded machine is lost, so it is repeated
    rather than assumed.
    """
    handle = page.locator(f"{css} .noUi-handle").first

    def position() -> float:
        return float(handle.get_attribute("aria-valuenow"))

    target = position() + presses
    deadline = time.monotonic() + timeout_s
    while position() < target:
        before = position()
        handle.focus()
        handle.press("ArrowRight")
        press_deadline = min(deadline, time.monotonic() + 2.0)  # then press again
        while position() == before and time.monotonic() < press_deadline:
            page.wait_for_timeout(50)
        if time.monotonic() >= deadline:
            raise AssertionError(f"slider {css} stuck at {position()}, expected {target}")


def save_readme_image(source: Path) -> None:
    """Copy the screenshot to docs/images (when missing, or with
    TOOLKIT_UPDATE_SCREENSHOTS=1, so that test runs do not churn the committed image),
    reduced to a palette PNG if it is too large."""
    if README_IMAGE.is_file() and os.environ.get("TOOLKIT_UPDATE_SCREENSHOTS") != "1":
        return
    from PIL import Image, ImageOps

    README_IMAGE.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as img:
        rgb = img.convert("RGB")
        box = ImageOps.invert(rgb).getbbox()  # trim the empty page below the app
        if box is not None:
            rgb = rgb.crop((0, 0, rgb.width, min(rgb.height, box[3] + 24)))
        rgb.save(README_IMAGE, optimize=True)
        if README_IMAGE.stat().st_size > MAX_README_BYTES:
            rgb.quantize(colors=128).save(README_IMAGE, optimize=True)
    assert README_IMAGE.stat().st_size < MAX_README_BYTES


def test_run_hazard_demo_then_switch_imt_and_site(open_app: Any, shot: Any) -> None:
    page = open_app("run_hazard.ipynb", ready=".tk-job-runner button.tk-run")
    runner, viewer = ".tk-job-runner", ".tk-hazard-viewer"
    select(page, f"{runner} .tk-job", "synthetic fault and area source")
    expect(page.locator(f"{runner} .tk-param-investigation_time input")).to_have_value("50.0")
    page.locator(f"{runner} button.tk-run").click()
    expect(page.locator(f"{runner} .tk-status")).to_contain_text("complete in",
                                                                   timeout=180_000)
    expect(page.locator(f"{runner} .tk-log")).to_contain_text("complete; datastore")
    status = page.locator(f"{viewer} .tk-status")
    expect(status).to_contain_text("3 curves of PGA at site 0 (10.000, 45.000)")
    select(page, f"{viewer} .tk-imt", "SA(1.0)")
    expect(status).to_contain_text("3 curves of SA(1.0) at site 0")
    select(page, f"{viewer} .tk-site", "4: 10.250, 45.250")
    expect(status).to_contain_text("of SA(1.0) at site 4 (10.250, 45.250)")
    assert image_loaded(page, f"{viewer} img.tk-plot")
    save_readme_image(shot("run_hazard"))


def test_bad_job_shows_an_error(open_app: Any, voila_data: Path) -> None:
    missing = voila_data / "no_such_job.ini"
    page = open_app("run_hazard.ipynb", query=f"?job={missing}",
                    ready=".tk-job-runner button.tk-run")
    page.locator(".tk-job-runner button.tk-run").click()
    error = page.locator(".tk-job-runner .tk-error")
    expect(error).to_contain_text("could not submit")
    expect(error).to_contain_text("does not exist")
    expect(page.locator(".tk-job-runner .tk-status")).to_contain_text("Not submitted")


def test_browse_calculations_open_and_slide(open_app: Any, shot: Any) -> None:
    page = open_app("browse_calculations.ipynb", ready=".tk-calc-browser .tk-calcs select")
    browser = ".tk-calc-browser"
    expect(page.locator(f"{browser} .tk-status")).to_contain_text("calculations (all)")
    select(page, f"{browser} .tk-calcs", "classical")
    expect(page.locator(f"{browser} .tk-details")).to_contain_text("classical")
    page.locator(f"{browser} button.tk-open").click()
    expect(page.locator(".tk-hazard-viewer .tk-status")).to_contain_text("3 curves of PGA")
    select(page, f"{browser} .tk-calcs", "scenario")
    page.locator(f"{browser} button.tk-open").click()
    fields = page.locator(".tk-field-viewer .tk-status")
    expect(fields).to_contain_text("(event 1 of 200)")
    slide(page, ".tk-field-viewer .tk-time", 3)
    expect(fields).to_contain_text("(event 4 of 200)")
    select(page, ".tk-field-viewer .tk-variable", "SA(1.0)")
    expect(fields).to_contain_text("SA(1.0) at event")
    assert image_loaded(page, ".tk-field-viewer img.tk-plot")
    shot("browse_calculations")


def test_unreachable_server_is_shown(open_app: Any) -> None:
    page = open_app("browse_calculations.ipynb", query="?server=http://127.0.0.1:9",
                    ready=".tk-calc-browser")
    error = page.locator(".tk-calc-browser .tk-error")
    expect(error).to_contain_text("unreachable")
    expect(error).to_contain_text("http://127.0.0.1:9")


def test_browse_scenarios_open_flood_and_move_time(open_app: Any, shot: Any) -> None:
    page = open_app("browse_scenarios.ipynb", query="?name=flood",
                    ready=".tk-scenario-browser .tk-scenarios select")
    browser = ".tk-scenario-browser"
    select(page, f"{browser} .tk-scenarios", "Demo flood: synthetic")
    results = page.locator(f"{browser} .tk-results")
    for family in ("Raw (3)", "Basic (5)", "Arrival (1)", "Damage (2)"):
        expect(results).to_contain_text(family)
    page.locator(f"{browser} button.tk-preview").click()
    expect(page.locator(f"{browser} .tk-status")).to_contain_text("Preview of depth-max-dtri")
    assert image_loaded(page, f"{browser} img.tk-preview-img")
    page.locator(f"{browser} button.tk-open").click()
    viewer = page.locator(".tk-scenario-viewer > .tk-status")
    expect(viewer).to_contain_text("Water depth over 25 times; damage")
    depth = page.locator(".tk-scenario-viewer .tk-field-viewer .tk-status")
    expect(depth).to_contain_text("(time 1 of 25)")
    slide(page, ".tk-scenario-viewer .tk-time", 12)
    expect(depth).to_contain_text("(time 13 of 25)")
    expect(depth).to_contain_text("cells wet")
    expect(page.locator(".tk-damage-viewer .tk-status")).to_contain_text("Total damage:")
    assert image_loaded(page, ".tk-damage-viewer img.tk-map")
    shot("browse_scenarios")
    # the play button steps through time on its own, to the last step
    viewer = ".tk-scenario-viewer .tk-field-viewer"
    page.locator(f"{viewer} .tk-play button").first.click()
    expect(depth).to_contain_text("(time 25 of 25)", timeout=60_000)
    # the interactive map: a leaflet map with the depth overlay, zoomed with its control
    page.locator(f"{viewer} .tk-view button", has_text="Interactive").click()
    expect(page.locator(f"{viewer} .leaflet-container")).to_be_visible()
    expect(page.locator(f"{viewer} img.leaflet-image-layer")).to_have_count(1)
    zoom = page.locator(f"{viewer} .tk-map-zoom")
    expect(zoom).to_contain_text("zoom ")
    level = float(zoom.inner_text().split()[-1])
    page.locator(f"{viewer} .leaflet-control-zoom-in").click()
    expect(zoom).to_have_text(f"zoom {level + 1:g}")
    assert not page.locator(f"{viewer} img.tk-plot").is_visible()
    shot("browse_scenarios_map")


def test_scenario_from_the_query_string(open_app: Any, voila_data: Path) -> None:
    from toolkit.config import Settings
    from toolkit.widgets.local import DEMO_FLOOD_B, LocalScenarios

    uuid = LocalScenarios(Settings(data_dir=voila_data)).scenarios(
        name=DEMO_FLOOD_B[0]).items[0]["uuid"]
    page = open_app("browse_scenarios.ipynb", query=f"?scenario={uuid}",
                    ready=".tk-scenario-viewer")
    expect(page.locator(".tk-scenario-viewer > .tk-status")).to_contain_text(DEMO_FLOOD_B[0])
    expect(page.locator(".tk-scenario-browser .tk-details")).to_contain_text(uuid)


def test_no_matching_scenario_shows_an_empty_state(open_app: Any) -> None:
    page = open_app("browse_scenarios.ipynb", query="?name=nothing-like-this",
                    ready=".tk-scenario-browser")
    expect(page.locator(".tk-scenario-browser .tk-empty")).to_contain_text(
        "No scenarios matching “nothing-like-this”")
    expect(page.locator(".tk-scenario-browser .tk-error")).to_have_text("")


def test_compare_two_floods(open_app: Any, shot: Any) -> None:
    page = open_app("compare_scenarios.ipynb", ready=".tk-compare img.tk-plot")
    status = page.locator(".tk-compare .tk-status")
    expect(status).to_contain_text("Max water depth: B − A from")
    select(page, ".tk-compare .tk-code", "Arrival time")
    expect(status).to_contain_text("Arrival time: B − A from")
    assert image_loaded(page, ".tk-compare img.tk-plot")
    shot("compare_scenarios")
