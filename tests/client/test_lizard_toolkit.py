"""ScenarioClient against the toolkit's own ``/api/v4`` (``create_app`` under uvicorn, real
HTTP), with the demo flood scenario imported into its store; and ``toolkit.open_scenario``
reading the same store in-process.

One test function: with ``pytest -n`` every test of a module may land on another worker,
which would import and derive the scenario again.
"""

from __future__ import annotations

import numpy as np
import pytest

import toolkit
from toolkit.client.lizard import ScenarioClient, read_geotiff
from toolkit.errors import NotFound

from .helpers import serving, settings

publish = pytest.importorskip("toolkit.scenarios.publish",
                              reason="toolkit.scenarios.publish (the scenario store) is missing")


def check_listing(client, scenario):
    listed = list(client.scenarios())
    assert [s["uuid"] for s in listed] == [scenario.uuid]
    one = client.scenario(scenario.uuid)
    assert one["name"] == "client demo flood" and one["projection"] == "EPSG:28992"
    everything = client.results(scenario.uuid)
    by_family = {f: client.results(scenario.uuid, f) for f in ("raw", "basic", "arrival",
                                                                "damage")}
    assert {r["code"] for r in by_family["raw"]} == {"grid-admin", "results-3di",
                                                    "aggregate-results-3di"}
    assert {r["code"] for r in by_family["arrival"]} == {"depth-first-dtri"}
    assert "depth-max-dtri" in {r["code"] for r in by_family["basic"]}
    assert sorted(r["id"] for r in everything) == sorted(
        r["id"] for rs in by_family.values() for r in rs)
    assert len(list(ScenarioClient(client.base_url, page_size=2).results(scenario.uuid))) == len(
        everything)  # pages of 2, followed through next
    return one, everything


def check_raster(client, scenario, store):
    result = client.result(scenario.uuid, "depth-max-dtri")
    raster_uuid = result["raster"].rstrip("/").rsplit("/", 1)[1]
    record, _ = store.get_raster(raster_uuid)
    stored = read_geotiff(store.path(record.file))
    left, right = stored["x"].values[[0, -1]]
    top, bottom = stored["y"].values[[0, -1]]
    dx = abs(stored.attrs["transform"][0])
    bbox = (left - dx / 2, bottom - dx / 2, right + dx / 2, top + dx / 2)
    window = client.raster(result, bbox, stored.sizes["x"], stored.sizes["y"], poll=0.05,
                           timeout=60)
    assert window.dims == ("y", "x") and window.shape == stored.shape
    assert window.attrs["units"] == "m"
    np.testing.assert_allclose(window["x"].values, stored["x"].values)
    np.testing.assert_allclose(window["y"].values, stored["y"].values)
    np.testing.assert_allclose(window.values, stored.values, equal_nan=True)
    assert np.nanmax(window.values) > 0


def check_downloads(client, scenario, tmp_path):
    summary = client.result(scenario.uuid, "damage-summary")
    (tmp_path / "dl").mkdir()
    path = client.download(summary, tmp_path / "dl", progress=False)
    assert path.name == "damage-summary.csv" and path.stat().st_size > 0
    with client.open_raw(scenario.uuid, tmp_path / "raw", progress=False) as raw:
        assert raw.cells.sizes["cell"] == 403 and raw.times.size == 25
        assert raw.aggregate is not None
    from toolkit.scenarios.synthetic import DEMO_DIR

    for name in ("gridadmin.h5", "results_3di.nc"):
        assert (tmp_path / "raw" / name).read_bytes() == (DEMO_DIR / name).read_bytes()


def test_scenario_client_against_the_toolkit_server(tmp_path):
    from toolkit.scenarios.synthetic import DEMO_DIR
    from toolkit.server import create_app

    data = tmp_path / "data"
    app = create_app(settings(data))
    with serving(app) as url:
        store = app.state.lizard.store
        scenario = publish.import_threedi(
            store, DEMO_DIR / "gridadmin.h5", DEMO_DIR / "results_3di.nc",
            aggregate=DEMO_DIR / "aggregate_results_3di.nc", name="client demo flood")
        client = ScenarioClient(url + "/api/v4")
        one, everything = check_listing(client, scenario)
        check_raster(client, scenario, store)
        check_downloads(client, scenario, tmp_path)
        remote = client.open_scenario(scenario.uuid)
    local = toolkit.open_scenario(scenario.uuid, data_dir=data)
    skip = {"url", "organisation", "results"}
    assert {k: v for k, v in local.items() if k not in skip} == {
        k: v for k, v in remote.items() if k not in skip}
    assert [(r["id"], r["code"], r["family"]) for r in local["results"]] == [
        (r["id"], r["code"], r["family"]) for r in remote["results"]]
    assert {r["id"]: bool(r["raster"]) for r in local["results"]} == {
        r["id"]: bool(r["raster"]) for r in remote["results"]}
    depth = next(r for r in local["results"] if r["code"] == "depth-max-dtri")
    assert depth["unit"] == "m" and read_geotiff(depth["raster_file"]).ndim == 2
    summary = next(r for r in local["results"] if r["code"] == "damage-summary")
    copied = ScenarioClient().download(summary, tmp_path / "local")
    assert copied.read_bytes() == summary["file"].read_bytes()
    with pytest.raises(NotFound):
        toolkit.open_scenario("00000000-0000-0000-0000-000000000000", data_dir=data)
