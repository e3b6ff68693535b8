"""ScenarioClient against a fake Lizard API v4 (``fake_lizard.py``) over real HTTP.

The fake follows the measured protocol (shared/reference/lizard/NOTES.md): pages of 10 at most
with absolute ``next`` links, Basic ``__key__`` auth, legacy attachment URLs on the API host
and presigned-S3-like URLs on another host that refuse an Authorization header, and the
asynchronous raster export (``/data/?async=true`` -> task -> PENDING ... SUCCESS -> GeoTIFF).
"""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.client.errors import PermissionDenied, ServerError
from toolkit.client.lizard import ScenarioClient, read_geotiff
from toolkit.errors import InputError, NotFound, ToolkitError

from .fake_lizard import FLOOD, KEY, RASTER_DEPTH, RASTER_MAX, SCENARIO, create_fake, geotiff
from .helpers import serving


@pytest.fixture(scope="module")
def fake():
    app = create_fake()
    with serving(app) as url:
        yield url + "/api/v4", app.state.fake


@pytest.fixture
def lizard(fake):
    url, state = fake
    state["log"].clear()
    return ScenarioClient(url, api_key=KEY, page_size=100), state


def test_scenarios_follow_every_page(lizard):
    client, state = lizard
    items = list(client.scenarios())
    assert len(items) == 23 and len({s["uuid"] for s in items}) == 23
    pages = [p for m, p, _ in state["log"] if p == "/api/v4/scenarios/"]
    assert len(pages) == 3  # page_size is capped at 10 by the server
    expected = "Basic X19rZXlfXzpzZWNyZXQta2V5"  # __key__:secret-key
    assert all(auth == expected for _, _, auth in state["log"])
    assert [s["name"] for s in client.scenarios(name__icontains="scenario 1")] == [
        f"scenario {i}" for i in range(10, 20)]
    assert len(list(client.scenarios(limit=5))) == 23  # limit/offset pages too


def test_scenario_and_errors(lizard, fake):
    client, _ = lizard
    assert client.scenario(SCENARIO)["name"] == "Example 3Di scenario"
    unknown = "00000000-0000-0000-0000-0000000000ff"
    with pytest.raises(NotFound, match=rf"GET {client.base_url}/scenarios/{unknown}/: 404 Not "
                                       r"Found: Not found\."):
        client.scenario(unknown)
    with pytest.raises(PermissionDenied, match="401 Unauthorized: Authentication credentials "
                                               "were not provided"):
        ScenarioClient(fake[0]).scenario(SCENARIO)
    with pytest.raises(PermissionDenied, match="Invalid username/password"):
        ScenarioClient(fake[0], api_key="wrong").scenario(SCENARIO)
    with pytest.raises(InputError):
        client.scenario("a/../b")


def test_results_by_family(lizard):
    client, _ = lizard
    codes = [r["code"] for r in client.results(SCENARIO)]
    assert len(codes) == 14 and codes[-1] == "damage-summary"  # two pages of 10
    assert [r["code"] for r in client.results(SCENARIO, "Raw")] == [
        "grid-admin", "results-3di", "aggregate-results-3di", "logfiles"]
    assert [r["code"] for r in client.results(SCENARIO, "arrival")] == ["depth-first-dtri"]
    with pytest.raises(InputError, match="family='bogus'"):
        client.results(SCENARIO, "bogus")
    with pytest.raises(NotFound, match="no result 'nope'; codes: .*'depth-max-dtri'"):
        client.result(SCENARIO, "nope")


def test_download_sends_the_key_only_to_the_api_host(lizard, tmp_path):
    client, state = lizard
    raw = {r["code"]: r for r in client.results(SCENARIO, "raw")}
    legacy = client.download(raw["results-3di"], tmp_path)  # API host: auth needed
    s3 = client.download(raw["grid-admin"], tmp_path / "sub" / "ga.h5", progress=False)
    assert legacy == tmp_path / "results_3di.nc"
    assert legacy.read_bytes() == (FLOOD / "results_3di.nc").read_bytes()
    assert s3.read_bytes() == (FLOOD / "gridadmin.h5").read_bytes()
    s3_calls = [auth for _, path, auth in state["log"] if path.startswith("/s3/")]
    assert s3_calls == [None]
    assert not list(tmp_path.rglob("*.part"))
    with pytest.raises(NotFound, match="no attachment_url .*raster"):
        client.download(client.result(SCENARIO, "depth-max-dtri"), tmp_path)


def test_raster_window(lizard):
    client, state = lizard
    bbox = (120000.0, 480000.0, 120520.0, 480260.0)
    da = client.raster(client.result(SCENARIO, "depth-max-dtri"), bbox, 26, 13, poll=0.01)
    assert da.dims == ("y", "x") and da.shape == (13, 26)
    assert da.attrs["units"] == "m" and da.attrs["crs"] == "EPSG:28992"
    assert da.attrs["long_name"] == "Max water depth"
    np.testing.assert_allclose(da["x"].values, 120010 + 20 * np.arange(26))
    np.testing.assert_allclose(da["y"].values, 480250 - 20 * np.arange(13))
    expected = da["x"].values[None, :] + 1000 * da["y"].values[:, None]
    assert np.isnan(da.values[0, 0])
    np.testing.assert_allclose(da.values.ravel()[1:], expected.ravel()[1:], rtol=1e-7)
    (task,) = state["tasks"].values()
    assert task["polls"] == 3  # PENDING, PENDING, SUCCESS
    assert task["query"] == {"bbox": "120000,480000,120520,480260", "width": "26",
                             "height": "13", "projection": "EPSG:28992", "format": "geotiff",
                             "async": "true"}
    state["tasks"].clear()
    url = f"{client.base_url}/rasters/{RASTER_DEPTH}/"
    da = client.raster(url, bbox, 4, 2, projection="EPSG:28992",
                       time="2000-01-01T13:00:00+00:00", poll=0.01)
    (task,) = state["tasks"].values()
    assert task["query"]["start"] == "2000-01-01T13:00:00Z"
    assert da["time"].values == np.datetime64("2000-01-01T13:00:00")
    assert client.timesteps(RASTER_DEPTH) == ["2000-01-01T12:00:00Z", "2000-01-01T13:00:00Z"]
    with pytest.raises(InputError, match="bbox"):
        client.raster(RASTER_MAX, (1, 2, 3), 2, 2)
    with pytest.raises(InputError, match="expected a raster uuid"):
        client.raster("not-a-raster", bbox, 2, 2)


def test_raster_task_failure_and_timeout(tmp_path):
    with serving(create_fake(fail_task=True, pending_polls=0)) as url:
        client = ScenarioClient(url + "/api/v4", api_key=KEY)
        with pytest.raises(ServerError, match="raster export task FAILURE: the raster is too "
                                              "large"):
            client.raster(RASTER_MAX, (0, 0, 10, 10), 2, 2, poll=0.01)
    with serving(create_fake(pending_polls=10**6)) as url:
        client = ScenarioClient(url + "/api/v4", api_key=KEY)
        with pytest.raises(ToolkitError, match="still PENDING after 0.05 s"):
            client.raster(RASTER_MAX, (0, 0, 10, 10), 2, 2, poll=0.01, timeout=0.05)


def test_open_raw_downloads_once_and_opens(lizard, tmp_path):
    client, state = lizard
    with client.open_raw(SCENARIO, tmp_path, progress=False) as result:
        assert result.cells.sizes["cell"] == 403
        assert result.aggregate == tmp_path / "aggregate_results_3di.nc"
        assert result.timeseries("s1").sizes["time"] == 25
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [".toolkit-downloads.json", "aggregate_results_3di.nc", "gridadmin.h5",
                     "results_3di.nc"]
    downloads = len([p for _, p, _ in state["log"] if "3di" in p or "gridadmin" in p])
    with client.open_raw(SCENARIO, tmp_path, progress=False, aggregate=False) as result:
        assert result.aggregate is None
    assert len([p for _, p, _ in state["log"] if "3di" in p or "gridadmin" in p]) == downloads
    with pytest.raises(NotFound, match="has no raw result grid-admin or results-3di"):
        client.open_raw("00000000-0000-0000-0000-000000000001", tmp_path)


def test_read_geotiff_bands():
    data = geotiff([0.0, 0.0, 4.0, 2.0], 4, 2, "EPSG:4326", bands=2)
    da = read_geotiff(data, "test")
    assert da.dims == ("band", "y", "x") and da.sizes["band"] == 2
    assert da["x"].attrs["units"] == "degrees"
    np.testing.assert_allclose(da.isel(band=1).values[1] - da.isel(band=0).values[1], 10.0)
    with pytest.raises(ServerError, match="test: not a readable GeoTIFF"):
        read_geotiff(b"not a tiff", "test")

