"""``/api/v4`` over real HTTP: threedi-scenario-downloader 1.4 and plain ``requests`` (the
request sequence of ``../shared/reference/lizard/threedi-scenario-downloader-1.4.requests.log``)
against a uvicorn server in a thread, and concurrency (two uploads to one result, a delete
while processing)."""

from __future__ import annotations

import importlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import netCDF4
import numpy as np
import pytest
import rasterio
import requests

from toolkit.config import Settings
from toolkit.scenarios.publish import import_threedi, raster_info
from toolkit.scenarios.synthetic import DEMO_DIR
from toolkit.store import Catalogue

API = "/api/v4"


@contextmanager
def live_server(settings: Settings) -> Iterator[tuple[str, object]]:
    """``create_app(settings)`` served by uvicorn in a thread on a free port."""
    import uvicorn

    from toolkit.server import create_app

    app = create_app(settings)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A restricted-mode server with the demo flood scenario; ann (Org A) has an API key."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("live") / "data",
                        auth_mode="restricted")
    with Catalogue(settings.catalogue_path) as cat:
        cat.add_user("ann", "pw", "Org A")
        key = cat.create_api_key("ann")
    with live_server(settings) as (url, app):
        store = app.state.lizard.store
        scenario = import_threedi(store, DEMO_DIR / "gridadmin.h5", DEMO_DIR / "results_3di.nc",
                                  aggregate=DEMO_DIR / "aggregate_results_3di.nc",
                                  name="live demo flood", organisation="Org A", supplier="ann")
        yield {"url": url, "app": app, "key": key, "scenario": scenario, "store": store}


def _downloader():
    """threedi-scenario-downloader's module; skipped with a reason only when it is not
    installed, and failing then under TOOLKIT_REQUIRE_SHARED=1 (CI)."""
    try:
        return importlib.import_module("threedi_scenario_downloader.downloader")
    except ImportError as exc:
        message = (f"threedi-scenario-downloader is not installed ({exc}); "
                   "pip install threedi-scenario-downloader==1.4")
        if os.environ.get("TOOLKIT_REQUIRE_SHARED", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + " (required: TOOLKIT_REQUIRE_SHARED=1)")
        pytest.skip(message)


@pytest.fixture
def dl(live, monkeypatch):
    module = _downloader()
    monkeypatch.setattr(module, "LIZARD_URL", f"{live['url']}{API}/")
    monkeypatch.setattr(module, "sleep", lambda seconds: time.sleep(0.02))
    monkeypatch.setitem(module._AUTH, "api_key", live["key"])
    return module


def _stored_raster(live, code: str) -> Path:
    store = live["store"]
    result = next(r for r in store.list_results(live["scenario"].uuid) if r.code == code)
    return store.path(store.get_raster(result.raster_uuid)[0].file)


def _pixel_centres(ds) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.mgrid[0:ds.height, 0:ds.width]
    xs, ys = rasterio.transform.xy(ds.transform, rows.ravel(), cols.ravel())
    return np.asarray(xs), np.asarray(ys)


def _sample(path: Path, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    with rasterio.open(path) as ds:
        return np.array([v[0] for v in ds.sample(zip(xs, ys, strict=True))])


# -- threedi-scenario-downloader 1.4 ------------------------------------------------------------
def test_downloader_finds_and_downloads_raw_files_and_rasters(dl, live, tmp_path):
    uuid = live["scenario"].uuid
    found = dl.find_scenarios(name__icontains="live demo", limit=100)
    assert [s["uuid"] for s in found] == [uuid]
    assert dl.find_scenarios_by_exact_name("live demo flood")[0]["uuid"] == uuid
    model = live["scenario"].model_name
    assert dl.find_scenarios_by_model_slug(model)[0]["model_name"] == model
    dl.download_raw_results(uuid, str(tmp_path / "results_3di.nc"))
    dl.download_grid_administration(uuid, str(tmp_path / "gridadmin.h5"))
    dl.download_aggregated_results(uuid, str(tmp_path / "aggregate.nc"))
    for name, source in (("results_3di.nc", "results_3di.nc"), ("gridadmin.h5", "gridadmin.h5"),
                         ("aggregate.nc", "aggregate_results_3di.nc")):
        assert (tmp_path / name).read_bytes() == (DEMO_DIR / source).read_bytes()

    # maximum water depth at 10 m (the cells are 20 and 40 m): every pixel holds its cell's value
    dl.download_maximum_waterdepth_raster(uuid, projection="EPSG:28992", resolution=10,
                                          pathname=str(tmp_path / "max.tif"))
    with rasterio.open(tmp_path / "max.tif") as ds:
        assert ds.crs.to_epsg() == 28992 and (ds.width, ds.height) == (52, 52)
        assert tuple(ds.bounds) == (120000.0, 480000.0, 120520.0, 480520.0)
        got = ds.read(1).ravel()
        xs, ys = _pixel_centres(ds)
    np.testing.assert_array_equal(got, _sample(_stored_raster(live, "depth-max-dtri"), xs, ys))

    # arrival time in web mercator, for a box inside the model
    box = {"west": 542700, "south": 6855700, "east": 543100, "north": 6856100}
    dl.download_arrival_time_raster(uuid, projection="EPSG:3857", bbox=box,
                                    pathname=str(tmp_path / "arrival.tif"))
    from pyproj import Transformer

    with rasterio.open(tmp_path / "arrival.tif") as ds:
        assert ds.crs.to_epsg() == 3857 and tuple(ds.bounds) == (542700, 6855700, 543100,
                                                                  6856100)
        got = ds.read(1).ravel()
        xs, ys = _pixel_centres(ds)
    rd_x, rd_y = Transformer.from_crs(3857, 28992, always_xy=True).transform(xs, ys)
    expected = _sample(_stored_raster(live, "depth-first-dtri"), rd_x, rd_y)
    np.testing.assert_array_equal(got, expected)
    with netCDF4.Dataset(DEMO_DIR / "results_3di.nc") as nc:
        times = nc["time"][:].astype(np.float32)
    assert np.isin(got[got != -9999], times).all()

    # water depth at a time: the nearest output step
    dl.download_waterdepth_raster(uuid, "EPSG:28992", 20, "2000-01-01T03:00:00Z",
                                  pathname=str(tmp_path / "depth.tif"))
    with rasterio.open(tmp_path / "depth.tif") as ds:
        assert ds.count == 1 and ds.descriptions[0].startswith("2000-01-01T03:0")
    steps = dl.get_raster_timesteps(dl.get_raster(uuid, "depth-dtri"))
    assert steps[0] == "2000-01-01T00:00:00Z" and steps[-1] == "2000-01-01T06:00:00Z"
    links = dl.get_attachment_links({"uuid": uuid})
    assert set(links) == {"Grid administration", "Raw 3Di output", "Aggregated 3Di output",
                          "Damage summary (csv)"}
    static, temporal = dl.rasters_in_scenario({"uuid": uuid})
    assert len(temporal) == 2 and len(static) >= 3


@pytest.mark.shared
def test_downloader_on_a_real_3di_pair(dl, live, shared_dir, tmp_path):
    pair = shared_dir / "reference" / "lizard" / "threedi-2d-waterquality-testmodel"
    s = import_threedi(live["store"], pair / "gridadmin.h5", pair / "results_3di.nc",
                       name="real waterquality", organisation="Org A", supplier="ann")
    try:
        dl.download_raw_results(s.uuid, str(tmp_path / "r.nc"))
        assert (tmp_path / "r.nc").read_bytes() == (pair / "results_3di.nc").read_bytes()
        dl.download_maximum_waterdepth_raster(s.uuid, pathname=str(tmp_path / "max.tif"))
        with netCDF4.Dataset(pair / "results_3di.nc") as nc:
            s1 = np.ma.filled(nc["Mesh2D_s1"][:].astype(np.float64), np.nan)
            zb = nc["Mesh2DFace_zcc"][:].astype(np.float64)
            x, y = nc["Mesh2DFace_xcc"][:], nc["Mesh2DFace_ycc"][:]
        expected = np.clip(np.nanmax(s1 - zb[None, :], axis=0), 0, None).astype(np.float32)
        got = _sample(tmp_path / "max.tif", x, y)
        np.testing.assert_array_equal(got, expected)  # cell by cell, through the API
        dl.download_arrival_time_raster(s.uuid, pathname=str(tmp_path / "arrival.tif"))
        assert raster_info(tmp_path / "arrival.tif").projection == s.projection
    finally:
        live["store"].delete(s.uuid)


# -- plain requests, as the log shows them ---------------------------------------------------------
def test_plain_requests_follow_the_logged_sequence(live, tmp_path):
    base, uuid = live["url"], live["scenario"].uuid
    http = requests.Session()
    http.auth = ("__key__", live["key"])
    r = http.get(f"{base}{API}/scenarios/", params={"limit": "100", "name__icontains": "live"})
    assert r.status_code == 200 and r.json()["results"][0]["uuid"] == uuid
    scenario = http.get(f"{base}{API}/scenarios/{uuid}/").json()
    for sub in ("", "/arrival", "/damage", "/basic", "/raw"):
        r = http.get(f"{base}{API}/scenarios/{uuid}/results{sub}", allow_redirects=False)
        assert r.status_code == 200 and r.json()["results"], sub  # no redirect needed
    results = http.get(f"{base}{API}/scenarios/{uuid}/results").json()["results"]
    raw = next(x for x in results if x["code"] == "results-3di")
    assert http.get(raw["attachment_url"]).content == (DEMO_DIR / "results_3di.nc").read_bytes()
    raster_url = next(x for x in results if x["code"] == "depth-max-dtri")["raster"]
    raster = http.get(raster_url).json()
    width = (scenario["upper_bound_x"] - scenario["origin_x"]) / 10
    height = (scenario["upper_bound_y"] - scenario["origin_y"]) / 10
    params = {"width": f"{float(width)}", "height": f"{float(height)}",
              "bbox": f"{scenario['origin_x']},{scenario['origin_y']},"
                      f"{scenario['upper_bound_x']},{scenario['upper_bound_y']}",
              "projection": "EPSG:28992", "format": "geotiff", "async": "true"}
    assert params["width"] == "52.0"
    task = http.get(f"{base}{API}/rasters/{raster['uuid']}/data/", params=params).json()
    statuses = []
    while True:
        body = http.get(f"{base}{API}/tasks/{task['task_id']}/").json()
        statuses.append(body["status"])
        if body["status"] in ("SUCCESS", "FAILURE"):
            break
        time.sleep(0.02)
    assert statuses[-1] == "SUCCESS" and set(statuses) <= {"PENDING", "STARTED", "SUCCESS"}
    tif = http.get(body["result"])  # with the Basic header, as the downloader sends it
    assert tif.status_code == 200 and tif.headers["content-type"] == "image/tiff"
    (tmp_path / "max.tif").write_bytes(tif.content)
    with rasterio.open(tmp_path / "max.tif") as ds:
        assert (ds.width, ds.height) == (52, 52)
    steps = http.get(f"{base}{API}/rasters/{raster['uuid']}/timesteps/").json()
    assert steps == {"steps": []}
    # without credentials the restricted server answers 401 (signed URLs still work)
    assert requests.get(f"{base}{API}/scenarios/{uuid}/results").status_code == 401
    assert requests.get(body["result"]).status_code == 200


# -- concurrency ---------------------------------------------------------------------------------
def test_two_uploads_to_the_same_result(live):
    base, store = live["url"], live["store"]
    http = requests.Session()
    http.auth = ("__key__", live["key"])
    s = http.post(f"{base}{API}/scenarios/", json={"name": "two uploads"}).json()
    res = http.post(f"{base}{API}/scenarios/{s['uuid']}/results/", json={
        "name": "logs", "code": "logfiles", "family": "Raw"}).json()
    blobs = [b"a" * 3_000_000, b"b" * 4_000_001]
    codes: list[int] = []

    def put(blob: bytes) -> None:
        codes.append(requests.put(res["upload_url"], data=blob).status_code)

    threads = [threading.Thread(target=put, args=(b,)) for b in blobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200, 200]
    after = http.get(res["url"]).json()
    content = http.get(after["attachment_url"]).content
    assert content in blobs
    detail = http.get(f"{base}{API}/scenarios/{s['uuid']}/").json()
    assert detail["total_size"] == len(content) and detail["has_raw_results"] is True
    assert [p.stat().st_size for p in (store.root / s["uuid"]).iterdir()] == [len(content)]
    assert not list(store.work.iterdir())


def test_delete_while_processing_leaves_nothing(live, monkeypatch):
    from toolkit.scenarios import derived

    base, store = live["url"], live["store"]
    started, release = threading.Event(), threading.Event()
    real = derived.derive_all

    def slow(*args, **kwargs):
        started.set()
        assert release.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(derived, "derive_all", slow)
    http = requests.Session()
    http.auth = ("__key__", live["key"])
    s = http.post(f"{base}{API}/scenarios/", json={"name": "deleted while processing"}).json()
    for code, name in (("grid-admin", "gridadmin.h5"), ("results-3di", "results_3di.nc")):
        res = http.post(f"{base}{API}/scenarios/{s['uuid']}/results/", json={
            "name": code, "code": code, "family": "Raw"}).json()
        assert requests.put(res["upload_url"], data=(DEMO_DIR / name).read_bytes()).ok
    assert started.wait(20), "processing did not start"
    task = store.running_task(s["uuid"], "process")
    assert http.get(f"{base}{API}/tasks/{task.uuid}/").json()["status"] == "STARTED"
    assert http.delete(f"{base}{API}/scenarios/{s['uuid']}/").status_code == 204
    release.set()
    deadline = time.monotonic() + 30
    while (body := http.get(f"{base}{API}/tasks/{task.uuid}/").json())["status"] in (
            "PENDING", "STARTED"):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert body["status"] == "FAILURE" and "deleted" in body["detail"]
    assert not (store.root / s["uuid"]).exists()
    assert not list(store.work.iterdir())
    with store.catalogue._read() as conn:
        rows = conn.execute("SELECT COUNT(*) FROM scenario_results WHERE scenario_uuid = ?",
                            (s["uuid"],)).fetchone()[0]
        rasters = conn.execute("SELECT COUNT(*) FROM scenario_rasters WHERE scenario_uuid = ?",
                               (s["uuid"],)).fetchone()[0]
    assert rows == rasters == 0
    assert http.get(f"{base}{API}/scenarios/{s['uuid']}/").status_code == 404
