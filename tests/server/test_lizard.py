"""``/api/v4``: the Lizard API v4 scenario routes, in process (fields, pagination, filters,
writes, results and sub-endpoints, uploads and signatures, processing, rasters, tasks, auth,
error bodies)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import rasterio
from fastapi.testclient import TestClient

from toolkit.config import Settings
from toolkit.scenarios.publish import import_threedi
from toolkit.scenarios.synthetic import DEMO_DIR, write_synthetic_pair
from toolkit.store import Catalogue

API = "/api/v4"
SCENARIO_FIELDS = [
    "url", "uuid", "name", "source", "description", "organisation", "access_modifier",
    "created", "last_modified", "simulation_identifier", "simulation_start", "simulation_end",
    "supplier", "model_identifier", "model_revision", "model_name", "has_raw_results",
    "total_size", "extra_metadata", "project", "projection", "origin_x", "origin_y",
    "upper_bound_x", "upper_bound_y", "pixelsize_x", "pixelsize_y"]
RESULT_FIELDS = ["url", "id", "name", "code", "description", "family", "raster",
                 "attachment_url", "upload_url"]


@contextmanager
def lizard_client(settings: Settings, **kwargs) -> Iterator[TestClient]:
    from toolkit.server import create_app

    app = create_app(settings)
    with TestClient(app, **kwargs) as client:
        yield client
        app.state.toolkit.manager.stop(abort_running=True, timeout=5.0)


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"__key__:{key}".encode()).decode()}


def wait_task(client: TestClient, url: str, timeout: float = 30.0, **kw) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(url, **kw).json()
        if body["status"] in ("SUCCESS", "FAILURE"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.02)


def store_of(client: TestClient):
    return client.app.state.lizard.store


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A public-mode server holding the demo flood scenario (read-only tests)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("lizard") / "data")
    with lizard_client(settings) as client:
        scenario = import_threedi(store_of(client), DEMO_DIR / "gridadmin.h5",
                                  DEMO_DIR / "results_3di.nc",
                                  aggregate=DEMO_DIR / "aggregate_results_3di.nc",
                                  name="demo flood", organisation="Org A")
        yield client, scenario


@pytest.fixture
def client(settings):
    with lizard_client(settings) as c:
        yield c


def results_of(client: TestClient, uuid: str, sub: str = "") -> list[dict]:
    r = client.get(f"{API}/scenarios/{uuid}/results/{sub}", params={"page_size": 100})
    assert r.status_code == 200, r.text
    return r.json()["results"]


# -- scenarios ------------------------------------------------------------------------------------
def test_scenario_detail_has_the_v4_fields(demo):
    client, s = demo
    body = client.get(f"{API}/scenarios/{s.uuid}/").json()
    assert list(body) == SCENARIO_FIELDS
    assert body["url"] == f"http://testserver{API}/scenarios/{s.uuid}/"
    assert body["organisation"]["name"] == "Org A"
    assert body["organisation"]["url"].endswith(f"/organisations/{body['organisation']['uuid']}/")
    assert body["simulation_start"] == "2000-01-01T00:00:00Z"
    assert body["simulation_end"] == "2000-01-01T06:00:00Z"
    assert body["has_raw_results"] is True and body["total_size"] > 400_000
    assert body["projection"] == "EPSG:28992" and body["pixelsize_y"] < 0
    assert body["upper_bound_x"] > body["origin_x"] and body["upper_bound_y"] > body["origin_y"]
    assert body["created"].endswith("Z") and "T" in body["created"]
    org = client.get(body["organisation"]["url"]).json()
    assert org == body["organisation"]


@pytest.mark.shared
def test_field_names_match_the_lizard_samples(demo, shared_dir):
    client, s = demo
    samples = shared_dir / "reference" / "lizard"
    scenario = json.loads((samples / "lizard-v4-scenario.reconstructed.json").read_text())
    page = json.loads((samples / "lizard-v4-scenario-results.page1.example.json").read_text())
    body = client.get(f"{API}/scenarios/{s.uuid}/").json()
    assert list(body) == list(scenario)
    results = client.get(f"{API}/scenarios/{s.uuid}/results/").json()
    assert list(results) == list(page) == ["count", "next", "previous", "results"]
    assert [list(r) for r in results["results"]] == [list(page["results"][0])] * 10
    sample_codes = {r["code"]: r["family"] for r in page["results"]}
    ours = {r["code"]: r["family"] for r in results_of(client, s.uuid)}
    assert {c: f for c, f in ours.items() if c in sample_codes} == {
        c: sample_codes[c] for c in ours if c in sample_codes}


def _make(client: TestClient, n: int, **values) -> list:
    store = store_of(client)
    return [store.create(f"scenario {i:02d}", model_name=f"model-{i % 3}", **values)
            for i in range(n)]


def test_pagination_page_and_limit_offset(client):
    made = _make(client, 23)
    r = client.get(f"{API}/scenarios/", params={"ordering": "name"})
    body = r.json()
    assert body["count"] == 23 and len(body["results"]) == 10
    assert body["next"] == f"http://testserver{API}/scenarios/?ordering=name&page=2"
    assert body["previous"] is None
    p2 = client.get(body["next"]).json()
    assert [x["name"] for x in p2["results"]] == [f"scenario {i:02d}" for i in range(10, 20)]
    assert p2["previous"] == f"http://testserver{API}/scenarios/?ordering=name"
    p3 = client.get(p2["next"]).json()
    assert len(p3["results"]) == 3 and p3["next"] is None
    assert p3["previous"].endswith("page=2")
    last = client.get(f"{API}/scenarios/", params={"page": "last"}).json()
    assert len(last["results"]) == 3
    for bad in ("4", "0", "x", "-1"):
        r = client.get(f"{API}/scenarios/", params={"page": bad})
        assert (r.status_code, r.json()) == (404, {"detail": "Invalid page."})
    sized = client.get(f"{API}/scenarios/", params={"page_size": 5, "page": 5}).json()
    assert len(sized["results"]) == 3 and sized["next"] is None
    assert len(client.get(f"{API}/scenarios/", params={"page_size": 5000}).json()["results"]) \
        == 23
    lo = client.get(f"{API}/scenarios/", params={"limit": 4, "offset": 2,
                                                  "ordering": "name"}).json()
    assert [x["name"] for x in lo["results"]] == [f"scenario {i:02d}" for i in range(2, 6)]
    assert lo["next"].endswith("limit=4&offset=6")
    assert lo["previous"] == f"http://testserver{API}/scenarios/?ordering=name&limit=4"
    beyond = client.get(f"{API}/scenarios/", params={"limit": 10, "offset": 100}).json()
    assert beyond["results"] == [] and beyond["count"] == 23
    assert len(made) == 23


def test_filters_and_ordering(client):
    made = _make(client, 6)
    store = store_of(client)
    store.create("Flood Polder", model_name="bwn-polder-1d2d")

    def names(**params) -> list[str]:
        r = client.get(f"{API}/scenarios", params={"page_size": 100, **params})
        assert r.status_code == 200, r.text
        return [x["name"] for x in r.json()["results"]]

    assert names(name="Flood Polder") == ["Flood Polder"]
    assert names(name="flood polder") == []
    assert names(name__icontains="POLDER") == ["Flood Polder"]
    assert names(name__startswith="scenario 0", ordering="-name")[:2] == [
        "scenario 05", "scenario 04"]
    assert names(model_name__icontains="polder", limit=10) == ["Flood Polder"]  # downloader
    assert sorted(names(model_name="model-1")) == ["scenario 01", "scenario 04"]
    assert names(uuid=made[2].uuid) == ["scenario 02"]
    assert names(ordering="name")[0] == "Flood Polder"
    assert names(ordering="nonsense,-name")[0] == "scenario 05"  # invalid fields are ignored
    assert names()[0] == "Flood Polder"  # newest first by default
    cut = made[3].created
    assert names(created__gte=cut, ordering="created") == [
        "scenario 03", "scenario 04", "scenario 05", "Flood Polder"]
    assert names(created__lte=cut, ordering="created") == [f"scenario 0{i}" for i in range(4)]
    assert names(colour="red", page_size=100) == names()  # unknown filters ignored
    r = client.get(f"{API}/scenarios/", params={"uuid": "nope"})
    assert (r.status_code, r.json()) == (400, {"uuid": ["Enter a valid UUID."]})
    r = client.get(f"{API}/scenarios/", params={"created__gte": "yesterday"})
    assert (r.status_code, r.json()) == (400, {"created__gte": ["Enter a valid date/time."]})


def test_create_patch_put_delete_scenario(client):
    r = client.post(f"{API}/scenarios/", json={
        "name": "new one", "access_modifier": "common", "simulation_start": "2024-05-01T00:00",
        "extra_metadata": {"k": 1}, "total_size": 5, "has_raw_results": True,
        "supplier": "someone else"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert list(body) == SCENARIO_FIELDS
    assert (body["access_modifier"], body["simulation_start"]) == ("Common", "2024-05-01T00:00:00Z")
    assert (body["total_size"], body["has_raw_results"]) == (0, False)  # read-only: ignored
    assert body["supplier"] == client.app.state.toolkit.public_user.name
    uuid = body["uuid"]
    r = client.patch(f"{API}/scenarios/{uuid}/", json={"description": "changed"})
    assert r.status_code == 200 and r.json()["description"] == "changed"
    assert r.json()["name"] == "new one"
    r = client.put(f"{API}/scenarios/{uuid}", json={"description": "no name"})
    assert (r.status_code, r.json()) == (400, {"name": ["This field is required."]})
    r = client.put(f"{API}/scenarios/{uuid}", json={"name": "renamed"})
    assert r.status_code == 200 and r.json()["name"] == "renamed"
    bad = client.post(f"{API}/scenarios/", json={"name": "x", "access_modifier": "secret",
                                                 "extra_metadata": [1]})
    assert bad.status_code == 400
    assert bad.json() == {"access_modifier": ['"secret" is not a valid choice.'],
                          "extra_metadata": ['Expected a dictionary of items but got type '
                                             '"list".']}
    assert client.post(f"{API}/scenarios/", content=b"{not json").status_code == 400
    assert client.post(f"{API}/scenarios/", json=[1]).status_code == 400
    r = client.delete(f"{API}/scenarios/{uuid}/")
    assert r.status_code == 204 and r.content == b""
    r = client.get(f"{API}/scenarios/{uuid}/")
    assert (r.status_code, r.json()) == (404, {"detail": "Not found."})
    assert client.delete(f"{API}/scenarios/{uuid}/").status_code == 404


# -- results and sub-endpoints ---------------------------------------------------------------------
def test_results_list_sub_endpoints_and_allow_headers(demo):
    client, s = demo
    r = client.get(f"{API}/scenarios/{s.uuid}/results")  # no trailing slash, as the downloader
    assert r.status_code == 200
    assert r.headers["allow"] == "GET, POST, HEAD, OPTIONS"
    body = r.json()
    assert body["count"] == 11 and len(body["results"]) == 10 and body["next"].endswith(
        "results?page=2")
    first = body["results"]
    assert [x["family"] for x in first[:3]] == ["Raw"] * 3
    assert all(list(x) == RESULT_FIELDS for x in first)
    assert all(isinstance(x["id"], int) for x in first)
    for x in first:  # upload_url exactly when there is no attachment
        assert (x["attachment_url"] is None) == (x["upload_url"] is not None)
    assert first[0]["attachment_url"].startswith(
        f"http://testserver{API}/scenario-results/{first[0]['id']}/gridadmin.h5?expires=")
    raster = next(x for x in first if x["code"] == "depth-max-dtri")
    assert raster["raster"].startswith(f"http://testserver{API}/rasters/")
    assert "-upload?expires=" in raster["upload_url"]
    for sub, codes in (("raw", {"grid-admin", "results-3di", "aggregate-results-3di"}),
                       ("arrival", {"depth-first-dtri"}),
                       ("damage", {"total-damage", "damage-summary"}), ("tiles", set())):
        for path in (f"{sub}", f"{sub}/"):
            r = client.get(f"{API}/scenarios/{s.uuid}/results/{path}")
            assert r.status_code == 200 and r.headers["allow"] == "GET, DELETE, HEAD, OPTIONS"
            assert {x["code"] for x in r.json()["results"]} == codes
    assert len(results_of(client, s.uuid, "basic")) == 5
    one = client.get(f"{API}/scenarios/{s.uuid}/results/{first[1]['id']}")
    assert one.headers["allow"] == "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
    assert one.json()["code"] == "results-3di"
    assert client.head(f"{API}/scenarios/{s.uuid}/results/raw").status_code == 200
    r = client.post(f"{API}/scenarios/{s.uuid}/results/raw/", json={})
    assert (r.status_code, r.json()) == (405, {"detail": 'Method "POST" not allowed.'})
    assert r.headers["allow"] == "GET, DELETE, HEAD, OPTIONS"
    r = client.delete(f"{API}/scenarios/")
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST, HEAD, OPTIONS"
    for bad in ("unknown", "Raw2", "999999"):
        r = client.get(f"{API}/scenarios/{s.uuid}/results/{bad}/")
        assert (r.status_code, r.json()) == (404, {"detail": "Not found."})
    r = client.get(f"{API}/scenarios/00000000-0000-4000-8000-000000000000/results/")
    assert (r.status_code, r.json()) == (404, {"detail": "Not found."})


def test_browsable_api_page(demo):
    client, s = demo
    r = client.get(f"{API}/scenarios/{s.uuid}/results/", params={"format": "api"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    text = r.text
    assert "<h1>Scenario Result List</h1>" in text
    assert "<b>Allow:</b> <span class=\"allow\">GET, POST, HEAD, OPTIONS</span>" in text
    nxt = f"http://testserver{API}/scenarios/{s.uuid}/results/?format=api&amp;page=2"
    assert f'&quot;<a href="{nxt}" rel="nofollow">{nxt}</a>&quot;' in text
    raster = f'<a href="http://testserver{API}/rasters/'
    assert raster in text and '/?format=api" rel="nofollow">' in text
    assert 'signature=' in text and '<a href="http://testserver/api/v4/scenario-results/' in text
    assert "&quot;code&quot;: &quot;grid-admin&quot;" in text
    assert client.get(f"{API}/?format=api").text.count("<a href=") >= 2


def test_post_result_upload_download_and_sizes(client):
    store = store_of(client)
    s = store.create("uploads")
    r = client.post(f"{API}/scenarios/{s.uuid}/results/", json={
        "name": "calculation core logging", "code": "logfiles", "family": "raw",
        "description": None, "raster": None, "attachment_url": None})
    assert r.status_code == 201, r.text
    res = r.json()
    assert list(res) == RESULT_FIELDS and res["family"] == "Raw"
    assert res["attachment_url"] is None and "/logfiles-upload?expires=" in res["upload_url"]
    put = client.put(res["upload_url"], content=b"log data" * 100)
    assert put.status_code == 200 and put.content == b"" and put.headers["etag"]
    after = client.get(res["url"]).json()
    assert after["upload_url"] is None and after["attachment_url"].split("?")[0].endswith(
        f"/scenario-results/{res['id']}/log_files.zip")
    got = client.get(after["attachment_url"], headers=basic("ignored-on-signed-urls"))
    assert got.status_code == 200 and got.content == b"log data" * 100
    assert client.head(after["attachment_url"]).status_code == 200
    detail = client.get(f"{API}/scenarios/{s.uuid}/").json()
    assert (detail["total_size"], detail["has_raw_results"]) == (800, True)
    # PATCH and a Content-Disposition name for a non-raw code
    r = client.patch(res["url"], json={"description": "zipped logs"})
    assert r.json()["description"] == "zipped logs"
    other = client.post(f"{API}/scenarios/{s.uuid}/results", json={
        "name": "notes", "code": "notes", "family": "Damage"}).json()
    client.put(other["upload_url"], content=b"a,b\n1,2\n",
               headers={"Content-Disposition": 'attachment; filename="summary.csv"'})
    assert client.get(other["url"]).json()["attachment_url"].split("?")[0].endswith(
        "/summary.csv")
    assert client.get(f"{API}/scenarios/{s.uuid}/").json()["total_size"] == 808
    bad = client.post(f"{API}/scenarios/{s.uuid}/results/", json={"name": "x"})
    assert bad.status_code == 400 and set(bad.json()) == {"code", "family"}
    bad = client.post(f"{API}/scenarios/{s.uuid}/results/", json={
        "name": "x", "code": "c", "family": "Basic", "raster": "not-a-raster"})
    assert bad.status_code == 400 and "raster" in bad.json()
    # DELETE one result: 204, gone at once
    assert client.delete(other["url"]).status_code == 204
    assert client.get(other["url"]).status_code == 404
    assert client.get(f"{API}/scenarios/{s.uuid}/").json()["total_size"] == 800


def test_signed_urls_tampered_expired_or_wrong_method(client):
    store = store_of(client)
    s = store.create("sig")
    res = client.post(f"{API}/scenarios/{s.uuid}/results/", json={
        "name": "n", "code": "logfiles", "family": "Raw"}).json()
    upload = res["upload_url"]
    path = upload.split("testserver")[1].split("?")[0]
    signer = client.app.state.lizard.signer
    expired = signer.sign("PUT", "http://testserver", path, expires_in=-1)
    r = client.put(expired, content=b"x")
    assert (r.status_code, r.json()["detail"]) == (
        403, "This signed URL has expired: read the result again for a fresh URL.")
    tampered = upload.replace("expires=", "expires=1")
    r = client.put(tampered, content=b"x")
    assert (r.status_code, r.json()) == (403, {"detail": "The signature of this URL is invalid."})
    assert client.put(upload.split("?")[0], content=b"x").status_code == 403
    assert client.put(upload.replace("logfiles-upload", "other-upload"),
                      content=b"x").status_code == 403
    assert client.put(upload, content=b"ok").status_code == 200
    url = client.get(res["url"]).json()["attachment_url"]
    assert client.get(url).status_code == 200
    assert client.get(url.replace("/log_files.zip", "/other.zip")).status_code == 403
    get_as_put = url.replace(f"/scenario-results/{res['id']}/log_files.zip",
                             f"/scenario-uploads/{res['id']}/logfiles-upload")
    assert client.put(get_as_put, content=b"x").status_code == 403  # a GET signature
    assert client.get(upload).status_code in (403, 405)


def test_upload_larger_than_the_limit_is_413(settings):
    with lizard_client(settings.with_(max_upload_mb=0.001)) as client:
        s = store_of(client).create("big")
        res = client.post(f"{API}/scenarios/{s.uuid}/results/", json={
            "name": "n", "code": "logfiles", "family": "Raw"}).json()
        r = client.put(res["upload_url"], content=b"x" * 5000)
        assert r.status_code == 413 and "larger than" in r.json()["detail"]
        assert client.get(res["url"]).json()["attachment_url"] is None
        assert client.get(f"{API}/scenarios/{s.uuid}/").json()["total_size"] == 0


def _raw_slots(client: TestClient, uuid: str) -> dict[str, dict]:
    out = {}
    for code, name in (("grid-admin", "Grid administration"), ("results-3di", "Raw 3Di output")):
        r = client.post(f"{API}/scenarios/{uuid}/results/", json={
            "name": name, "code": code, "family": "Raw"})
        assert r.status_code == 201
        out[code] = r.json()
    return out


def test_uploading_the_raw_pair_derives_the_results(client):
    s = client.post(f"{API}/scenarios/", json={"name": "uploaded pair"}).json()
    slots = _raw_slots(client, s["uuid"])
    r = client.post(f"{API}/scenarios/{s['uuid']}/process")
    assert r.status_code == 400 and "no raw 3Di results" in r.json()["detail"]
    assert client.put(slots["grid-admin"]["upload_url"],
                      content=(DEMO_DIR / "gridadmin.h5").read_bytes()).status_code == 200
    assert client.get(f"{API}/scenarios/{s['uuid']}/").json()["has_raw_results"] is True
    assert client.put(slots["results-3di"]["upload_url"],
                      content=(DEMO_DIR / "results_3di.nc").read_bytes()).status_code == 200
    task = store_of(client).running_task(s["uuid"], "process")
    if task is not None:  # else it finished already
        done = wait_task(client, f"{API}/tasks/{task.uuid}/")
        assert done["status"] == "SUCCESS" and done["result"].endswith("/results/")
    results = results_of(client, s["uuid"])
    assert {r["code"] for r in results} >= {"depth-max-dtri", "depth-first-dtri",
                                             "total-damage", "damage-summary"}
    detail = client.get(f"{API}/scenarios/{s['uuid']}/").json()
    assert detail["projection"] == "EPSG:28992" and detail["model_name"]
    assert detail["simulation_start"] == "2000-01-01T00:00:00Z"
    # explicit processing: 202 and a task
    r = client.post(f"{API}/scenarios/{s['uuid']}/process/")
    assert r.status_code == 202 and set(r.json()) == {"task_id", "url"}
    assert wait_task(client, r.json()["url"])["status"] == "SUCCESS"
    assert len(results_of(client, s["uuid"])) == len(results)


def test_raw_files_of_another_model_or_truncated_are_400(client, tmp_path):
    other = write_synthetic_pair(tmp_path / "other", n_cells=60, n_times=4, seed=7, levels=1)
    s = client.post(f"{API}/scenarios/", json={"name": "mismatch"}).json()
    slots = _raw_slots(client, s["uuid"])
    client.put(slots["grid-admin"]["upload_url"], content=(DEMO_DIR / "gridadmin.h5").read_bytes())
    r = client.put(slots["results-3di"]["upload_url"],
                   content=Path(other.results).read_bytes())
    assert r.status_code == 400
    assert "does not belong to gridadmin" in r.json()["detail"]
    data = (DEMO_DIR / "results_3di.nc").read_bytes()
    r = client.put(slots["results-3di"]["upload_url"], content=data[: len(data) // 3])
    assert r.status_code == 400 and "results_3di.nc is truncated" in r.json()["detail"]
    assert client.get(slots["results-3di"]["url"]).json()["attachment_url"] is None
    assert store_of(client).running_task(s["uuid"], "process") is None
    assert not list((store_of(client).work).iterdir())  # nothing half-written left


def test_delete_family_is_scheduled_and_purged(client):
    store = store_of(client)
    s = import_threedi(store, DEMO_DIR / "gridadmin.h5", DEMO_DIR / "results_3di.nc",
                       name="to delete")
    folder = store.root / s.uuid
    n_files = len(list(folder.iterdir()))
    r = client.request("DELETE", f"{API}/scenarios/{s.uuid}/results/raw/", json={})
    assert r.status_code == 204 and r.content == b""
    assert results_of(client, s.uuid, "raw") == []  # visible in the list at once
    detail = client.get(f"{API}/scenarios/{s.uuid}/").json()
    assert detail["has_raw_results"] is False
    assert client.delete(f"{API}/scenarios/{s.uuid}/results/basic").status_code == 204
    client.app.state.lizard.purger.submit(lambda: None).result(timeout=10)  # purges ran
    assert len(list(folder.iterdir())) == n_files - 2 - 5
    assert {r["family"] for r in results_of(client, s.uuid)} == {"Arrival", "Damage"}
    assert client.get(f"{API}/scenarios/{s.uuid}/").json()["total_size"] == sum(
        p.stat().st_size for p in folder.iterdir())


# -- rasters and tasks -----------------------------------------------------------------------------
def _raster(client: TestClient, uuid: str, code: str) -> dict:
    result = next(r for r in results_of(client, uuid) if r["code"] == code)
    return client.get(result["raster"]).json()


def test_raster_metadata_and_timesteps(demo):
    client, s = demo
    static = _raster(client, s.uuid, "depth-max-dtri")
    assert static["temporal"] is False and static["projection"] == "EPSG:28992"
    assert static["first_value_timestamp"] == "2000-01-01T00:00:00Z"
    assert static["observation_type"]["unit"] == "m"
    sb = static["spatial_bounds"]
    assert 4 < sb["west"] < sb["east"] < 6 and 51 < sb["south"] < sb["north"] < 54
    assert client.get(f"{API}/rasters/{static['uuid']}/timesteps/").json() == {"steps": []}
    temporal = _raster(client, s.uuid, "depth-dtri")
    steps = client.get(f"{API}/rasters/{temporal['uuid']}/timesteps/").json()["steps"]
    assert temporal["temporal"] is True and len(steps) == 25
    assert (steps[0], steps[-1]) == (temporal["first_value_timestamp"],
                                     temporal["last_value_timestamp"])
    r = client.get(f"{API}/rasters/00000000-0000-4000-8000-000000000000/")
    assert (r.status_code, r.json()) == (404, {"detail": "Not found."})


def test_raster_data_sync_async_and_bad_requests(demo):
    client, s = demo
    raster = _raster(client, s.uuid, "depth-max-dtri")
    url = f"{API}/rasters/{raster['uuid']}/data/"
    box = f"{raster['origin_x']},{raster['origin_y']},{raster['upper_bound_x']}," \
          f"{raster['upper_bound_y']}"
    query = {"bbox": box, "width": "26.0", "height": "26.0", "projection": "EPSG:28992",
             "format": "geotiff"}
    r = client.get(url, params=query)
    assert r.status_code == 200 and r.headers["content-type"] == "image/tiff"
    with rasterio.MemoryFile(r.content) as mem, mem.open() as ds:
        assert (ds.width, ds.height, ds.crs.to_epsg()) == (26, 26, 28992)
        data = ds.read(1, masked=True)
        assert 2.0 < data.max() < 3.0
    r = client.get(url, params={**query, "async": "true"})
    assert r.status_code == 200 and set(r.json()) == {"task_id", "url"}
    task = wait_task(client, r.json()["url"])
    assert task["status"] == "SUCCESS" and list(task) == ["uuid", "url", "status", "result",
                                                          "detail"]
    got = client.get(task["result"])
    assert got.status_code == 200 and got.headers["content-type"] == "image/tiff"
    with rasterio.MemoryFile(got.content) as mem, mem.open() as ds:
        np.testing.assert_array_equal(ds.read(1, masked=True), data)  # same as synchronous
    for params, message in (
            ({**query, "bbox": "0,0,10,10"}, "lies outside the raster"),
            ({**query, "width": "26.5"}, "whole number of pixels"),
            ({**query, "format": "png"}, "only format=geotiff"),
            ({**query, "bbox": "1,2,3"}, "four numbers"),
            ({**query, "width": "100000", "height": "100000"}, "split the box"),
            ({**query, "projection": "EPSG:4326", "width": ""}, "are required")):
        r = client.get(url, params={**params, "async": "true"})
        assert r.status_code == 400, params
        assert message in r.json()["detail"], r.json()
    temporal = _raster(client, s.uuid, "depth-dtri")
    r = client.get(f"{API}/rasters/{temporal['uuid']}/data/",
                   params={**query, "start": "2000-01-01T03:00:00Z"})
    with rasterio.MemoryFile(r.content) as mem, mem.open() as ds:
        assert ds.count == 1 and ds.descriptions[0].startswith("2000-01-01T03:0")
    r = client.get(f"{API}/rasters/{temporal['uuid']}/data/",
                   params={**query, "start": "1999-01-01T00:00:00Z",
                           "stop": "1999-01-02T00:00:00Z"})
    assert r.status_code == 400 and "no time step" in r.json()["detail"]


# -- auth ------------------------------------------------------------------------------------------
def test_restricted_mode_keys_visibility_and_no_existence_leak(settings):
    restricted = settings.with_(auth_mode="restricted")
    with Catalogue(restricted.catalogue_path) as cat:
        for name, org in (("ann", "Org A"), ("bob", "Org B")):
            cat.add_user(name, "pw", org)
        keys = {n: cat.create_api_key(n) for n in ("ann", "bob")}
    with lizard_client(restricted) as client:
        r = client.get(f"{API}/scenarios/")
        assert (r.status_code, r.json()) == (
            401, {"detail": "Authentication credentials were not provided."})
        assert r.headers["www-authenticate"] == 'Basic realm="api"'
        r = client.get(f"{API}/scenarios/", headers=basic("wrong"))
        assert (r.status_code, r.json()) == (401, {"detail": "Invalid username/password."})
        bad_user = {"Authorization": "Basic " + base64.b64encode(b"ann:pw").decode()}
        assert client.get(f"{API}/scenarios/", headers=bad_user).status_code == 401
        ann, bob = basic(keys["ann"]), basic(keys["bob"])
        private = client.post(f"{API}/scenarios/", json={"name": "ann private"},
                              headers=ann).json()
        assert private["organisation"]["name"] == "Org A" and private["supplier"] == "ann"
        common = client.post(f"{API}/scenarios/", json={
            "name": "ann common", "access_modifier": "Common"}, headers=ann).json()
        r = client.post(f"{API}/scenarios/", json={"name": "x", "organisation": "Org B"},
                        headers=ann)
        assert r.status_code == 400 and "organisation" in r.json()
        names = [x["name"] for x in client.get(f"{API}/scenarios/", headers=bob).json()[
            "results"]]
        assert names == ["ann common"]
        for path in (f"{private['uuid']}/", f"{private['uuid']}/results/",
                     f"{private['uuid']}/results/raw"):
            hidden = client.get(f"{API}/scenarios/{path}", headers=bob)
            missing = client.get(f"{API}/scenarios/00000000-0000-4000-8000-000000000000/"
                                 f"{path.split('/', 1)[1]}", headers=bob)
            assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
            assert hidden.status_code == 404
        assert client.delete(f"{API}/scenarios/{private['uuid']}/",
                             headers=bob).status_code == 404
        r = client.patch(f"{API}/scenarios/{common['uuid']}/", json={"name": "mine"},
                         headers=bob)
        assert (r.status_code, r.json()) == (403, {"detail": "You do not have permission to "
                                                             "perform this action."})
        assert client.delete(f"{API}/scenarios/{common['uuid']}/results/raw",
                             headers=bob).status_code == 403
        assert client.get(f"{API}/scenarios/{common['uuid']}/", headers=bob).status_code == 200
        # legacy Lizard headers and the session cookie also authenticate
        legacy = client.get(f"{API}/scenarios/", headers={"username": "__key__",
                                                          "password": keys["ann"]})
        assert legacy.json()["count"] == 2
        login = client.post("/accounts/ajax_login/", data={"username": "ann", "password": "pw"})
        assert login.status_code == 200
        assert client.get(f"{API}/scenarios/").json()["count"] == 2
        client.post("/accounts/ajax_logout/")
        # signed URLs need no credentials
        res = client.post(f"{API}/scenarios/{private['uuid']}/results/", headers=ann, json={
            "name": "n", "code": "logfiles", "family": "Raw"}).json()
        assert client.put(res["upload_url"], content=b"data").status_code == 200


def test_public_mode_takes_optional_keys(client):
    with Catalogue(client.app.state.toolkit.settings.catalogue_path) as cat:
        cat.add_user("ann", "pw", "Org A")
        key = cat.create_api_key("ann")
    assert client.get(f"{API}/scenarios/").status_code == 200
    unknown = client.post(f"{API}/scenarios/", json={"name": "x"}, headers=basic("wrong"))
    assert unknown.status_code == 201  # ignored: the local administrator acts
    assert unknown.json()["supplier"] == client.app.state.toolkit.public_user.name
    made = client.post(f"{API}/scenarios/", json={"name": "by ann"}, headers=basic(key)).json()
    assert made["supplier"] == "ann" and made["organisation"]["name"] == "Org A"
    assert client.get(f"{API}/scenarios/{made['uuid']}/").status_code == 200  # all visible


def test_tasks_of_other_users_are_not_found(settings, demo):
    restricted = settings.with_(auth_mode="restricted")
    with Catalogue(restricted.catalogue_path) as cat:
        cat.add_user("ann", "pw", "Org A")
        cat.add_user("bob", "pw", "Org A")
        keys = {n: cat.create_api_key(n) for n in ("ann", "bob")}
    with lizard_client(restricted) as client:
        s = import_threedi(store_of(client), DEMO_DIR / "gridadmin.h5",
                           DEMO_DIR / "results_3di.nc", organisation="Org A")
        raster = next(r for r in client.get(f"{API}/scenarios/{s.uuid}/results/basic",
                                            headers=basic(keys["ann"])).json()["results"]
                      if r["code"] == "depth-max-dtri")["raster"]
        info = client.get(raster, headers=basic(keys["ann"])).json()
        r = client.get(f"{raster}data/", headers=basic(keys["ann"]), params={
            "async": "true", "width": 10, "height": 10, "bbox": f"{info['origin_x']},"
            f"{info['origin_y']},{info['upper_bound_x']},{info['upper_bound_y']}"})
        task_url = r.json()["url"]
        assert wait_task(client, task_url, headers=basic(keys["ann"]))["status"] == "SUCCESS"
        assert client.get(task_url, headers=basic(keys["bob"])).status_code == 404
        data = client.get(client.get(task_url, headers=basic(keys["ann"])).json()["result"])
        with rasterio.MemoryFile(data.content) as mem, mem.open() as ds:
            assert ds.shape == (10, 10) and np.isfinite(ds.read(1)).all()
