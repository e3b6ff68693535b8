"""Every /v1 route in process (TestClient, real JobManager): shapes, statuses, error paths."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

import toolkit
from toolkit.io.jobini import parse_ini
from toolkit.jobs.runner import DEMO

from .helpers import (
    app_client,
    classical_job,
    run_files,
    run_zip,
    scenario_job,
    server_settings,
    wait_done,
    zip_dir,
)

LIST_KEYS = {"id", "owner", "calculation_mode", "status", "is_running", "description", "url",
             "parent_id", "abortable", "size_mb", "start_time", "relevant", "tags"}
INFO_KEYS = {"id", "description", "user_name", "calculation_mode", "hazard_calculation_id",
             "status", "is_running", "start_time", "stop_time", "relevant", "size_mb", "host",
             "workflow_id"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A server with a complete classical (zip upload) and scenario (plain file) calculation."""
    root = tmp_path_factory.mktemp("routes")
    job = classical_job(root / "classical")
    scen = scenario_job(root / "scenario")
    with app_client(server_settings(root / "data")) as client:
        cid = run_zip(client, zip_dir(job.parent))
        sid = run_files(client, {"job.ini": scen.read_bytes()})
        for calc in (cid, sid):
            assert wait_done(client, calc)["status"] == "complete"
        yield client, cid, sid, root


def _sample(shared_dir: Path, name: str) -> dict:
    return json.loads((shared_dir / "reference" / "openquake" / "api" / f"{name}.json").read_text())


# -- version, headers, static routes ------------------------------------------------------------
def test_engine_version_and_headers(served):
    client = served[0]
    r = client.get("/v1/engine_version")
    assert r.status_code == 200 and r.text == "3.26.2"
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["x-toolkit-version"] == toolkit.__version__
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-methods"] == "GET, POST, OPTIONS"
    assert r.headers["access-control-max-age"] == "1000"
    assert r.headers["access-control-allow-headers"] == "*"
    assert client.get("/v1/engine_latest_version").text == "None"


def test_every_response_has_the_version_header(served):
    client = served[0]
    for r in (client.get("/v1/nope"), client.get("/v1/calc/abc"), client.post("/v1/calc/list"),
              client.get("/openapi.json")):
        assert r.headers["x-toolkit-version"] == toolkit.__version__, r.url


def test_options_preflight(served):
    r = served[0].options("/v1/calc/run")
    assert r.status_code == 200 and r.content == b""
    assert r.headers["access-control-allow-origin"] == "*"


def test_available_gsims_and_ini_defaults(served):
    client = served[0]
    names = client.get("/v1/available_gsims").json()
    assert "BooreAtkinson2008" in names and names == sorted(names)
    defaults = client.get("/v1/ini_defaults").json()
    assert defaults["description"] == "no description"
    assert defaults["random_seed"] == 42 and defaults["rupture_mesh_spacing"] == 5.0
    assert "calculation_mode" not in defaults  # no default


def test_unknown_url_and_wrong_method_are_json(served):
    client = served[0]
    r = client.get("/v1/nope")
    assert r.status_code == 404 and "error" in r.json()
    r = client.post("/v1/calc/list")
    assert r.status_code == 405 and "error" in r.json()
    assert client.get("/v1/valid/").status_code == 405


# -- listing ------------------------------------------------------------------------------------
def test_calc_list(served):
    client, cid, sid, _ = served
    body = client.get("/v1/calc/list").json()
    assert [c["id"] for c in body] == [sid, cid]
    item = body[1]
    assert set(item) == LIST_KEYS
    assert item["calculation_mode"] == "classical" and item["status"] == "complete"
    assert item["url"] == f"http://testserver/v1/calc/{cid}"
    assert item["abortable"] is False and item["tags"] is None and item["parent_id"] is None
    assert item["start_time"].endswith(" UTC") and ", " in item["start_time"]


def test_calc_list_has_the_shape_of_openquake(served, shared_dir):
    sample = _sample(shared_dir, "calc_list")["body"][0]
    item = served[0].get("/v1/calc/list").json()[0]
    assert set(item) == set(sample)
    for key in ("id", "owner", "status", "is_running", "url", "start_time", "relevant"):
        assert type(item[key]) is type(sample[key]), key


def test_calc_list_filters(served):
    client, cid, sid, _ = served
    ids = lambda params: [c["id"] for c in client.get("/v1/calc/list", params=params).json()]  # noqa: E731
    assert ids({"calculation_mode": "scenario"}) == [sid]
    assert ids({"order_dir": "ASC"}) == [cid, sid]
    assert ids({"limit": 1}) == [sid]
    assert ids({"limit": 1, "offset": 1}) == [cid]
    assert ids({"is_running": "true"}) == []
    assert ids({"is_running": "false", "order_by": "calculation_mode"}) == [sid, cid]
    assert ids({"user_name_like": "%"}) == [sid, cid]
    assert ids({"start_time": "2000-01-01"}) == [sid, cid]
    assert ids({"start_time": "2999-01-01"}) == []


@pytest.mark.parametrize("params", [{"limit": "abc"}, {"limit": -1}, {"order_by": "bogus"},
                                    {"order_dir": "sideways"}, {"is_running": "maybe"},
                                    {"start_time": "yesterday"}])
def test_calc_list_bad_parameters_are_400(served, params):
    r = served[0].get("/v1/calc/list", params=params)
    assert r.status_code == 400
    assert r.json()["error"]


# -- one calculation ----------------------------------------------------------------------------
def test_status_and_info(served):
    client, cid, _, _ = served
    status = client.get(f"/v1/calc/{cid}/status").json()
    assert set(status) == LIST_KEYS and status["id"] == cid
    info = client.get(f"/v1/calc/{cid}").json()
    assert set(info) == INFO_KEYS
    assert info["user_name"] == status["owner"] and info["status"] == "complete"
    assert info["start_time"][10] == " " and info["stop_time"].endswith("+00:00")
    assert info["size_mb"] > 0


def test_info_has_the_shape_of_openquake(served, shared_dir):
    sample = _sample(shared_dir, "calc_info")["body"]
    assert set(served[0].get(f"/v1/calc/{served[1]}").json()) == set(sample)
    sample = _sample(shared_dir, "calc_status")["body"]
    assert set(served[0].get(f"/v1/calc/{served[1]}/status").json()) == set(sample)


@pytest.mark.parametrize("path", ["/v1/calc/{id}", "/v1/calc/{id}/status", "/v1/calc/{id}/results",
                                  "/v1/calc/{id}/extract/oqparam", "/v1/calc/{id}/datastore",
                                  "/v1/calc/{id}/job_zip", "/v1/calc/{id}/result/list",
                                  "/v1/calc/{id}/add_tag/x"])
@pytest.mark.parametrize("calc", ["999", "abc", "99999999999999999999", "1.5", "-1"])
def test_unknown_or_non_numeric_ids_are_404_json(served, path, calc):
    r = served[0].get(path.format(id=calc))
    assert r.status_code == 404, r.text
    assert r.headers["content-type"] == "application/json"
    assert "error" in r.json()


@pytest.mark.parametrize("path", ["/v1/calc/{id}/remove", "/v1/calc/{id}/share",
                                  "/v1/calc/{id}/unshare"])
def test_unknown_id_posts_are_404(served, path):
    r = served[0].post(path.format(id=999))
    assert r.status_code == 404 and "error" in r.json()


def test_traceback(served):
    client, cid, _, _ = served
    assert client.get(f"/v1/calc/{cid}/traceback").json() == []
    assert client.get("/v1/calc/999/traceback").json() == []  # as OpenQuake
    assert client.get("/v1/calc/abc/traceback").status_code == 404


def test_logs(served):
    client, cid, _, _ = served
    everything = client.get(f"/v1/calc/{cid}/log/:").json()
    assert len(everything) >= 3
    assert all(len(line) == 4 for line in everything)
    stamp, level, process, message = everything[0]
    assert len(stamp) == 22 and stamp[10] == "T" and level == "INFO"
    assert client.get(f"/v1/calc/{cid}/log/0:2").json() == everything[:2]
    assert client.get(f"/v1/calc/{cid}/log/1:").json() == everything[1:]
    assert client.get(f"/v1/calc/{cid}/log/size").json() == len(everything)


@pytest.mark.parametrize("span, expected", [("100000:", []), ("5:2", []), ("3:3", []),
                                            ("0:999999999999999", None)])
def test_log_ranges_out_of_bounds_are_clipped(served, span, expected):
    client, cid, _, _ = served
    r = client.get(f"/v1/calc/{cid}/log/{span}")
    assert r.status_code == 200
    if expected is None:
        expected = client.get(f"/v1/calc/{cid}/log/:").json()
    assert r.json() == expected


@pytest.mark.parametrize("span", ["abc", "-1:", "1:-2", "1:2:3", "a:b", "1"])
def test_bad_log_ranges_are_404_json(served, span):
    r = served[0].get(f"/v1/calc/{served[1]}/log/{span}")
    assert r.status_code == 404 and "error" in r.json()


def test_logs_of_unknown_calculation(served):
    client = served[0]
    assert client.get("/v1/calc/999/log/0:5").json() == []
    assert client.get("/v1/calc/999/log/size").json() == 0


# -- results ------------------------------------------------------------------------------------
def test_results_of_classical(served):
    client, cid, _, _ = served
    body = client.get(f"/v1/calc/{cid}/results").json()
    assert [o["type"] for o in body] == ["hcurves", "hmaps", "hmaps-stats", "realizations", "uhs"]
    assert [o["id"] for o in body] == [cid * 1000 + k for k in (1, 2, 3, 5, 4)]
    hc = body[0]
    assert set(hc) == {"id", "name", "type", "outtypes", "url", "size_mb"}
    assert hc["name"] == "Hazard Curves" and hc["outtypes"] == ["csv"]
    assert hc["url"] == f"http://testserver/v1/calc/result/{cid * 1000 + 1}?export_type=csv"
    assert client.get(f"/v1/calc/{cid}/result/list").json() == body


def test_results_of_scenario(served):
    client, _, sid, _ = served
    body = client.get(f"/v1/calc/{sid}/results").json()
    assert [o["type"] for o in body] == ["avg_gmf", "events", "gmf_data"]
    assert {o["name"] for o in body} == {"Average Ground Motion Field", "Events",
                                        "Ground Motion Fields"}


def test_download_several_files_as_zip(served):
    client, cid, _, _ = served
    r = client.get(f"/v1/calc/result/{cid * 1000 + 1}", params={"export_type": "csv"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/x-zip"
    assert f"output-{cid * 1000 + 1}-hcurves-csv.zip" in r.headers["content-disposition"]
    names = sorted(zipfile.ZipFile(io.BytesIO(r.content)).namelist())
    assert names == sorted(f"{k}-{imt}_{cid}.csv"
                           for k in ("hazard_curve-mean", "quantile_curve-0.16",
                                     "quantile_curve-0.84")
                           for imt in ("PGA", "SA(0.2)", "SA(1.0)"))


def test_download_one_file(served):
    client, cid, _, _ = served
    oid = cid * 1000 + 5
    r = client.get(f"/v1/calc/result/{oid}", params={"export_type": "csv", "dload": "true"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert f"filename=\"output-{oid}-realizations_{cid}.csv\"" in r.headers["content-disposition"]
    lines = r.text.splitlines()
    assert lines[0].startswith("#") and lines[1] == "rlz_id,branch_path,weight"
    assert len(lines) == 4  # two realizations
    head = client.head(f"/v1/calc/result/{oid}")
    assert head.status_code == 200 and head.content == b""


def test_download_gmf_data(served):
    client, _, sid, _ = served
    r = client.get(f"/v1/calc/result/{sid * 1000 + 11}")
    names = sorted(zipfile.ZipFile(io.BytesIO(r.content)).namelist())
    assert names == [f"gmf-data_{sid}.csv", f"sigma_epsilon_{sid}.csv", f"sitemesh_{sid}.csv"]


@pytest.mark.parametrize("export_type", ["xml", "npz", "bogus"])
def test_unsupported_export_type_is_404_listing_the_supported(served, export_type):
    client, cid, _, _ = served
    r = client.get(f"/v1/calc/result/{cid * 1000 + 1}", params={"export_type": export_type})
    assert r.status_code == 404
    body = r.json()
    assert body["export_types"] == ["csv"] and export_type in body["error"]


@pytest.mark.parametrize("output", ["{cid}011", "999001", "abc", "1" * 30, "{cid}999"])
def test_unknown_outputs_are_404(served, output):
    client, cid, _, _ = served
    r = client.get("/v1/calc/result/" + output.format(cid=cid))
    assert r.status_code == 404 and "error" in r.json()


def test_datastore_and_job_zip(served):
    client, cid, _, _ = served
    r = client.get(f"/v1/calc/{cid}/datastore")
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-hdf"
    assert r.content[:4] == b"\x89HDF" and f"calc_{cid}.hdf5" in r.headers["content-disposition"]
    r = client.get(f"/v1/calc/{cid}/job_zip")
    names = set(zipfile.ZipFile(io.BytesIO(r.content)).namelist())
    assert {"job.ini", "sites.csv", "source_model.xml"} <= names
    assert client.get(f"/v1/calc/{cid}/download_png/hcurves.png").status_code == 404


def test_extract_over_http(served):
    client, cid, _, _ = served
    r = client.get(f"/v1/calc/{cid}/extract/hcurves", params={"kind": "mean", "imt": "PGA"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-zip"
    npz = np.load(io.BytesIO(r.content), allow_pickle=False)
    assert npz["mean"].shape == (1, 1, 20) and list(npz["imt"]) == ["PGA"]
    assert client.head(f"/v1/calc/{cid}/extract/sitecol").status_code == 200


@pytest.mark.parametrize("spec, status", [("nonexistent_key", 404), ("hcurves?kind=bogus", 400),
                                          ("hcurves?imt=XYZ", 400), ("gmf_data", 404),
                                          ("oqparam/extra", 404), ("hcurves?kind=rlz-9", 404),
                                          ("..%2F..%2Fetc", 404), ("x.attrs", 404)])
def test_extract_errors(served, spec, status):
    client, cid, _, _ = served
    r = client.get(f"/v1/calc/{cid}/extract/{spec}")
    assert r.status_code == status, r.text
    assert r.json()["error"]


def test_extract_lists_the_known_specs(served):
    client, cid, _, _ = served
    error = client.get(f"/v1/calc/{cid}/extract/nope").json()["error"]
    assert "hcurves" in error and "oqparam" in error


def test_oqparam_of_a_calculation_without_datastore(served):
    """A running (or failed) calculation has no datastore: oqparam comes from its job.ini."""
    client, _, _, root = served
    job = scenario_job(root / "pending")
    catalogue = client.app.state.toolkit.catalogue
    owner = client.app.state.toolkit.public_user.name
    pending = catalogue.create("pending", "scenario", job, owner)
    try:
        r = client.get(f"/v1/calc/{pending}/extract/oqparam")
        assert r.status_code == 200
        params = json.loads(bytes(np.load(io.BytesIO(r.content), allow_pickle=False)["json"]))
        assert params["calculation_mode"] == "scenario"
        assert params["number_of_ground_motion_fields"] == 10
        assert client.get(f"/v1/calc/{pending}/extract/sitecol").status_code == 404
        assert client.get(f"/v1/calc/{pending}/results").status_code == 404
        assert client.get(f"/v1/calc/{pending}/datastore").status_code == 404
    finally:
        catalogue.remove(pending)


# -- share, tags, abort --------------------------------------------------------------------------
def test_share_and_unshare(served):
    client, cid, _, _ = served
    r = client.post(f"/v1/calc/{cid}/share")
    assert r.json() == {"success": f'The status of calculation {cid} was changed from '
                                   f'"complete" to "shared"'}
    assert client.get(f"/v1/calc/{cid}/status").json()["status"] == "shared"
    r = client.post(f"/v1/calc/{cid}/unshare")
    assert r.json()["success"].endswith('from "shared" to "complete"')
    assert client.get(f"/v1/calc/{cid}/status").json()["status"] == "complete"


def test_tags(served):
    client, cid, sid, _ = served
    assert client.get("/v1/calc/create_tag/mytag").json() == {"success": "Tag mytag was created"}
    assert client.get("/v1/calc/create_tag/mytag").json() == {
        "success": "Tag mytag already exists"}
    assert client.get(f"/v1/calc/{cid}/add_tag/mytag").json() == {
        "success": f"The tag mytag was added to job {cid}"}
    assert client.get("/v1/calc/list_tags").json() == {"success": "ok", "tags": ["mytag"]}
    tagged = client.get("/v1/calc/list", params={"filter_by_tag": "mytag"}).json()
    assert [c["id"] for c in tagged] == [cid] and tagged[0]["tags"] == "mytag"
    assert client.get(f"/v1/calc/{cid}/set_preferred_job_for_tag/mytag").json() == {
        "success": f"Job {cid} was set as preferred for tag mytag"}
    preferred = client.get("/v1/calc/list", params={"preferred_only": 1}).json()
    assert [c["id"] for c in preferred] == [cid] and preferred[0]["tags"] == "mytag★"
    assert client.get("/v1/calc/get_preferred_job_for_tag/mytag").json() == {
        "success": "ok", "job_id": cid}
    assert client.get("/v1/calc/unset_preferred_job_for_tag/mytag").json() == {
        "success": "Tag mytag has no preferred job now"}
    assert client.get("/v1/calc/get_preferred_job_for_tag/mytag").json()["job_id"] is None
    assert client.get(f"/v1/calc/{cid}/remove_tag/mytag").json() == {
        "success": f"Tag mytag was removed from job {cid}"}
    assert client.get("/v1/calc/delete_tag/mytag").json() == {"success": "Tag mytag was deleted"}
    assert client.get("/v1/calc/list_tags").json()["tags"] == []


def test_tag_errors(served):
    client, cid, _, _ = served
    assert client.get("/v1/calc/999/add_tag/t").status_code == 404
    assert client.get(f"/v1/calc/{cid}/remove_tag/never").status_code == 404
    assert client.get("/v1/calc/delete_tag/never").status_code == 404
    assert client.get("/v1/calc/unset_preferred_job_for_tag/never").status_code == 404
    r = client.get(f"/v1/calc/{cid}/add_tag/%20bad%01")
    assert r.status_code == 400 and "tag name" in r.json()["error"]


def test_abort_of_finished_and_unknown_jobs(served):
    client, cid, _, _ = served
    assert client.post(f"/v1/calc/{cid}/abort").json() == {"error": f"Job {cid} is not running"}
    r = client.post("/v1/calc/999/abort")
    assert r.status_code == 200 and r.json() == {"error": "Unknown job 999"}
    assert client.post("/v1/calc/abc/abort").status_code == 404


def test_abort_a_running_job(served):
    client = served[0]
    peer = DEMO.parents[1] / "peer" / "Set1-Case10"
    calc = run_zip(client, zip_dir(peer))
    deadline = time.monotonic() + 30
    while client.get(f"/v1/calc/{calc}/status").json()["status"] != "executing":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert client.get(f"/v1/calc/{calc}/status").json()["abortable"] is True
    assert client.post(f"/v1/calc/{calc}/abort").json() == {"success": f"Killing job {calc}"}
    body = wait_done(client, calc)
    assert body["status"] == "aborted" and body["abortable"] is False
    assert any("abort" in line[3] for line in client.get(f"/v1/calc/{calc}/log/:").json())
    assert client.get(f"/v1/calc/{calc}/results").status_code == 404
    assert client.post(f"/v1/calc/{calc}/remove").status_code == 200


# -- NRML and file checks ------------------------------------------------------------------------
def _source_model() -> str:
    return (DEMO.parent / "source_model.xml").read_text()


def test_valid_nrml(served):
    client = served[0]
    ok = {"error_msg": None, "error_line": None, "valid": True}
    assert client.post("/v1/valid/", data={"xml_text": _source_model()}).json() == ok
    assert client.post("/v1/valid/anything", data={"xml_text": _source_model()}).json() == ok
    gsim_lt = (DEMO.parent / "gsim_logic_tree.xml").read_text()
    assert client.post("/v1/valid/", data={"xml_text": gsim_lt}).json() == ok
    smlt = (DEMO.parent / "source_model_logic_tree.xml").read_text()
    assert client.post("/v1/valid/", data={"xml_text": smlt}).json() == ok


def test_invalid_nrml_is_200_with_the_line(served):
    client = served[0]
    text = _source_model()
    broken = text.replace("</sourceModel>", "</sourceModelX>")
    body = client.post("/v1/valid/", data={"xml_text": broken}).json()
    assert body["valid"] is False and body["error_line"] == text[:text.index("</sourceModel>")
                                                                 ].count("\n") + 1
    assert "xml_text" in body["error_msg"] and "/tmp" not in body["error_msg"]
    msr = text.replace("<magScaleRel>WC1994</magScaleRel>", "<magScaleRel>NoSuchMSR</magScaleRel>")
    assert msr != text
    body = client.post("/v1/valid/", data={"xml_text": msr}).json()
    assert body["valid"] is False and "NoSuchMSR" in body["error_msg"]
    body = client.post("/v1/valid/", data={"xml_text": '<?xml version="1.0"?><foo/>'}).json()
    assert body["valid"] is False and "nrml" in body["error_msg"]


def test_valid_nrml_without_text_is_400(served):
    r = served[0].post("/v1/valid/")
    assert r.status_code == 400
    assert r.json() == {"error_msg": 'Please provide the "xml_text" parameter',
                        "error_line": None, "valid": False}


def test_on_same_fs(served):
    client, _, _, root = served
    path = root / "classical" / "job.ini"
    checksum = zlib.adler32(path.read_bytes()[:32])
    form = {"filename": str(path), "checksum": str(checksum)}
    assert client.post("/v1/on_same_fs", data=form).json() == {"success": True}
    form["checksum"] = str(checksum + 1)
    assert client.post("/v1/on_same_fs", data=form).json() == {"success": False}
    form["filename"] = str(root / "missing")
    assert client.post("/v1/on_same_fs", data=form).json() == {"success": False}
    assert client.post("/v1/on_same_fs", data={"filename": str(path)}).status_code == 400
    assert client.post("/v1/on_same_fs", data={"filename": "x", "checksum": "abc"}
                       ).status_code == 400


def test_validate_zip(served):
    client, _, _, root = served
    data = zip_dir(root / "classical")
    r = client.post("/v1/calc/validate_zip", files={"archive": ("job.zip", data)})
    assert r.json() == {"error_msg": None, "error_line": None, "valid": True}
    wrong = root / "wrong"
    classical_job(wrong)
    (wrong / "source_model_logic_tree.xml").write_text((wrong / "source_model.xml").read_text())
    body = client.post("/v1/calc/validate_zip",
                       files={"archive": ("w.zip", zip_dir(wrong))}).json()
    assert body["valid"] is False and "source_model_logic_tree.xml" in body["error_msg"]
    assert str(client.app.state.toolkit.settings.data_dir) not in body["error_msg"]
    body = client.post("/v1/calc/validate_zip", files={"archive": ("x.zip", b"not a zip")}).json()
    assert body["valid"] is False and "not a zip file" in body["error_msg"]
    r = client.post("/v1/calc/validate_zip", data={"x": "1"})
    assert r.status_code == 400 and r.json()["error_msg"] == "Missing archive file"
    leftovers = list((client.app.state.toolkit.settings.data_dir / "calc_inputs").glob("valid*"))
    assert leftovers == []


def test_validate_ini(served):
    client, _, _, root = served
    scen = (root / "scenario" / "job.ini").read_bytes()
    r = client.post("/v1/calc/validate_ini", files={"job_ini": ("job.ini", scen)})
    assert r.json()["valid"] is True
    job = root / "classical" / "job.ini"
    body = client.post("/v1/calc/validate_ini", files={"job_ini": ("job.ini", job.read_bytes())}
                       ).json()
    assert body["valid"] is False and "missing file" in body["error_msg"]
    others = [("archive", (p.name, p.read_bytes())) for p in job.parent.iterdir()
              if p.name != "job.ini"]
    r = client.post("/v1/calc/validate_ini",
                    files=[("job_ini", ("job.ini", job.read_bytes())), *others])
    assert r.json()["valid"] is True
    bad = scen.replace(b"ground_motion_fields = 10", b"ground_motion_fields = x")
    body = client.post("/v1/calc/validate_ini", files={"job_ini": ("job.ini", bad)}).json()
    assert body["valid"] is False and body["error_line"] == 10
    assert client.post("/v1/calc/validate_ini").status_code == 400


def test_jobs_from_inis(served):
    client, cid, _, root = served
    ini = str(root / "classical" / "job.ini")
    r = client.get("/v1/calc/jobs_from_inis", params={"ini": [ini, str(root / "nope.ini")]})
    body = r.json()
    assert body["success"] == [cid, 0] and "nope.ini" in body["error"]


# -- run_ini, remove ----------------------------------------------------------------------------
def test_run_ini_and_concurrent_removes(served):
    """run_ini, then four concurrent removes of the job: one succeeds, three get 404."""
    client, _, _, root = served
    job = scenario_job(root / "run_ini")
    r = client.post("/v1/calc/run_ini", data={"job_ini": str(job)})
    assert r.status_code == 200
    body = r.json()
    assert body["status"] in ("created", "executing") and body["is_running"] is True
    assert body["calculation_mode"] == "scenario" and body["hazard_calculation_id"] is None
    calc = body["job_id"]
    assert body["ds_calc_dir"].endswith(f"calc_{calc}")
    assert wait_done(client, calc)["status"] == "complete"
    results: list = []
    barrier = threading.Barrier(4)

    def remove() -> None:
        barrier.wait()
        results.append(client.post(f"/v1/calc/{calc}/remove"))

    threads = [threading.Thread(target=remove) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r.status_code for r in results) == [200, 404, 404, 404]
    ok = next(r.json() for r in results if r.status_code == 200)
    assert ok["success"] == str(calc)
    assert ok["hdf5paths"] and not Path(ok["hdf5paths"][0]).exists()
    gone = next(r.json() for r in results if r.status_code == 404)
    assert gone == {"error": f"Cannot delete calculation {calc}: ID does not exist"}
    for path in ("", "/status", "/results"):
        assert client.get(f"/v1/calc/{calc}{path}").status_code == 404
    assert job.is_file()  # run_ini inputs are the user's: never deleted


def test_removing_an_uploaded_job_deletes_its_inputs(served):
    client, _, _, root = served
    calc = run_files(client, {"job.ini": scenario_job(root / "uploaded").read_bytes()})
    inputs = Path(client.app.state.toolkit.catalogue.get(calc).input_dir)
    assert inputs.is_dir()
    assert client.post(f"/v1/calc/{calc}/remove").status_code == 200  # aborts it if it runs
    assert not inputs.exists()


def test_run_ini_errors(served):
    client, _, _, root = served
    r = client.post("/v1/calc/run_ini", data={"job_ini": str(root / "missing" / "job.ini")})
    assert r.status_code == 400
    body = r.json()
    assert body["job_id"] is None and "File not found" in body["traceback"][0]
    r = client.post("/v1/calc/run_ini", data={"job_ini": "relative/job.ini"})
    assert r.status_code == 400
    assert client.post("/v1/calc/run_ini").status_code == 400
    job = scenario_job(root / "run_ini_hazard")
    # the request's parent overrides the job file's (which is not modified)
    before = job.read_text()
    r = client.post("/v1/calc/run_ini", data={"job_ini": str(job), "hazard_job_id": "1"})
    assert r.status_code == 200 and r.json()["hazard_calculation_id"] == 1
    assert job.read_text() == before
    r = client.post("/v1/calc/run_ini", data={"job_ini": str(job), "hazard_job_id": "999"})
    assert r.status_code == 404 and r.json()["job_id"] is None


def test_unexpected_errors_are_500_json_with_the_headers(settings):
    from fastapi.testclient import TestClient

    from toolkit.server import create_app

    app = create_app(settings, manager=object())

    @app.get("/v1/boom")
    def boom() -> None:
        raise ZeroDivisionError("bug")

    r = TestClient(app).get("/v1/boom")
    assert r.status_code == 500
    assert r.json() == {"error": "internal server error: ZeroDivisionError: bug"}
    assert r.headers["x-toolkit-version"] == toolkit.__version__
    assert r.headers["access-control-allow-origin"] == "*"


def test_uploaded_inputs_are_kept_with_the_job(served):
    client, cid, _, _ = served
    job_ini = client.app.state.toolkit.catalogue.get(cid).job_ini
    assert "calc_inputs" in job_ini and Path(job_ini).is_file()
    raw, _ = parse_ini(job_ini)
    assert raw["calculation_mode"] == "classical"
