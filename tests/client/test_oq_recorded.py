"""Client against a real OpenQuake 3.26.2 server, through its recorded responses.

The transport (``recorded.Recorded``) answers from ``shared/reference/openquake/api/`` in
place; npz bodies whose recorded sample is partial are completed from the CLI CSV exports of the
same calculations (``cli-exports/calc_N``) and checked against the recorded first values, so
the client meets exactly the payload layout the real server sends.
"""

from __future__ import annotations

import ast
import io
import json
import zipfile
from email.parser import BytesParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.client.errors import PermissionDenied, ServerError
from toolkit.client.oq import Client, read_oq_csv
from toolkit.errors import InputError, NotFound, ToolkitError

from .recorded import BASE, Recorded, session_for

pytestmark = pytest.mark.shared

IMTS_3 = ["PGA", "SA(0.1)", "SA(0.15)", "SA(0.2)", "SA(0.3)", "SA(0.4)", "SA(0.5)", "SA(0.75)",
          "SA(1.0)", "SA(1.5)", "SA(2.0)", "SA(3.0)", "SA(4.0)"]


def client_for(api: Path, samples: list[str], **kwargs) -> tuple[Client, Recorded]:
    adapter = Recorded(api, samples, **kwargs)
    return Client(BASE, session=session_for(adapter)), adapter


def csv(path: Path) -> pd.DataFrame:
    return read_oq_csv(path.read_bytes(), str(path))


def imtls_3(api: Path) -> dict[str, list[float]]:
    """The levels of calc 3, full precision, from the recorded nested ``all`` dtype."""
    spec = json.loads((api / "extract_3_hcurves.json").read_text())["body"]["npz"]["all"]
    fields = dict((name, sub) for name, sub in ast.literal_eval(spec["dtype"]))
    return {imt: [float(level) for level, _ in levels] for imt, levels in fields["mean"]}


def oqparam_3(api: Path) -> dict[str, np.ndarray]:
    """``oqparam`` of calc 3: the recorded JSON is cut at 3008 of 6785 bytes, so the keys the
    client reads are rebuilt and checked against the recorded text."""
    recorded = json.loads((api / "extract_3_oqparam.json").read_text())
    text = recorded["body"]["npz"]["json"]["sample"]
    imtls = imtls_3(api)
    assert '"calculation_mode": "classical"' in text and '"investigation_time": 100.0' in text
    assert '"poes": [0.02]' in text and '"quantiles": [0.15, 0.85]' in text
    assert '"PGA": ' + json.dumps(imtls["PGA"]) in text
    params = {"calculation_mode": "classical", "investigation_time": 100.0, "poes": [0.02],
              "quantiles": [0.15, 0.85], "hazard_imtls": imtls}
    return {"json": np.array(json.dumps(params).encode())}


def mean_curves_3(exports: Path) -> np.ndarray:
    out = np.zeros((1, len(IMTS_3), 20), dtype=np.float32)
    for m, imt in enumerate(IMTS_3):
        frame = csv(exports / "calc_3" / f"hazard_curve-mean-{imt}_3.csv")
        out[0, m] = frame[[c for c in frame.columns if c.startswith("poe-")]].to_numpy()[0]
    return out


# -- calculations ---------------------------------------------------------------------------
def test_status_info_list_log_traceback(oq_api):
    client, adapter = client_for(oq_api, ["calc_status", "calc_info", "calc_list",
                                          "calc_list_filtered", "log_slice", "log_from",
                                          "traceback_failed", "engine_version"])
    status = client.status(3)
    assert status["status"] == "complete" and status["is_running"] is False
    assert client.info(3)["stop_time"].startswith("2026-11-22 15:18:09")
    assert [c["id"] for c in client.list()] == [8, 7, 6, 5, 4, 3, 2, 1]
    filtered = client.list(calculation_mode="classical", is_running=False, limit=2, offset=1,
                           order_by="id", order_dir="ASC")
    assert [c["id"] for c in filtered] == [2, 3]
    lines = client.log(3, 0, 5)
    assert len(lines) == 5 and lines[1][1:] == ["INFO", "MainProcess/16311",
                                                "Using engine version 3.26.2"]
    assert client.log(3, 40)[1][3].startswith("classical_disagg  20%")
    assert client.traceback(13)[-1].endswith("No such file or directory: "
                                             "'<oqdata>/calc_13/source_model.xml'")
    assert client.engine_version() == "3.26.2"
    assert all(url.startswith(BASE + "/v1/") for _, url, _ in adapter.calls)


def test_errors_name_method_and_url(oq_api):
    client, _ = client_for(oq_api, ["calc_status_unknown", "extract_unknown_calc",
                                    "extract_3_nonexistent_key", "remove_unknown",
                                    "result_unknown", "result_hcurves_bad_type",
                                    "log_bad_range"])
    with pytest.raises(NotFound) as info:
        client.status(999)
    assert str(info.value) == f"GET {BASE}/v1/calc/999/status: 404 Not Found"
    assert info.value.status_code == 404 and info.value.method == "GET"
    with pytest.raises(NotFound, match=r"GET .*/v1/calc/999/extract/oqparam: 404"):
        client.oqparam(999)
    with pytest.raises(ServerError) as info:
        client.extract(3, "nonexistent_key")
    assert str(info.value).startswith(f"GET {BASE}/v1/calc/3/extract/nonexistent_key: 500 "
                                      "Internal Server Error: KeyError: \"No 'nonexistent_key'")
    with pytest.raises(PermissionDenied, match="POST .*/v1/calc/999/remove: 403 Forbidden: "
                                               "Cannot delete calculation 999"):
        client.remove(999)
    with pytest.raises(NotFound, match=r"/v1/calc/result/99999\?export_type=csv: 404"):
        client.download(99999, dest="unused")
    with pytest.raises(ServerError, match="Could not export hcurves in bogus"):
        client.download(6, "bogus", dest="unused")
    with pytest.raises(NotFound, match="Page not found at /v1/calc/3/log/abc"):
        client._json("GET", "/v1/calc/3/log/abc")


def test_abort_and_remove(oq_api):
    client, _ = client_for(oq_api, ["abort_running", "abort_completed", "abort_unknown",
                                    "remove_ok"])
    assert client.abort(19) == "Killing job 19"
    assert client.abort(9) == "Job 9 is not running"
    with pytest.raises(NotFound, match=r"POST .*/v1/calc/999/abort: Unknown job 999"):
        client.abort(999)
    assert client.remove(10)["success"] == "10"


def _multipart(request_headers: dict, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    head = f"Content-Type: {request_headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser().parsebytes(head + body)
    return {part.get_param("name", header="content-disposition"):
            (part.get_filename(), part.get_payload(decode=True)) for part in message.get_payload()}


def test_run_uploads_the_job_folder(oq_api, shared_dir, monkeypatch):
    """``run(job.ini)`` zips the ini's folder (recursively) into the field ``archive`` and names
    the ini in ``job_ini``: the request OpenQuake answered with run_zip."""
    adapter = Recorded(oq_api, ["run_zip"])
    sent = []
    original = adapter.send

    def capture(request, **kwargs):
        sent.append(request)
        return original(request, **kwargs)

    monkeypatch.setattr(adapter, "send", capture)
    client = Client(BASE, session=session_for(adapter))
    case = shared_dir / "reference" / "openquake" / "qa" / "classical" / "case_01"
    assert client.run(case / "job.ini") == 9
    parts = _multipart(sent[0].headers, sent[0].body)
    assert parts["job_ini"][1] == b"job.ini"
    name, data = parts["archive"]
    assert name == "job.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
    expected = {p.relative_to(case).as_posix() for p in case.rglob("*") if p.is_file()}
    assert names == expected and "source_model_logic_tree.xml" in names
    assert any(n.startswith("expected/") for n in names)


def test_run_refused_job_is_an_input_error(oq_api, tmp_path):
    client, _ = client_for(oq_api, ["run_wrong_ini_zip"])
    job = tmp_path / "job.ini"
    job.write_text("[general]\ncalculation_mode = classical\n")
    with pytest.raises(InputError) as info:
        client.run(job)
    message = str(info.value)
    assert message.startswith(f"the server refused the job (POST {BASE}/v1/calc/run)")
    assert message.endswith("source_model.xml is not a valid source_model_logic_tree_file")


def test_wait_polls_until_over(oq_api):
    client, adapter = client_for(oq_api, ["status_running", "status_aborted", "log_aborted_tail"],
                                 sequence=True)
    seen = []
    assert client.wait(19, progress=True, poll=0.0,
                       callback=lambda f, s: seen.append((f, s["status"]))) == "failed"
    assert [s for _, s in seen] == ["executing", "failed"]
    assert sum(1 for m, u, _ in adapter.calls if u.endswith("/v1/calc/19/status")) == 2


def test_progress_from_openquake_log_lines(oq_api):
    """OpenQuake logs ``<phase>  N% [...]`` per phase: the bar follows the current phase."""
    from toolkit.client.oq import _Progress

    client, _ = client_for(oq_api, ["log_from"])
    tracker = _Progress(client, 3)
    tracker.offset = 40
    lines = client.log(3, 40)
    fraction = tracker.update({"status": "executing", "is_running": True})
    last = [ln[3] for ln in lines if "%" in ln[3]][-1]
    assert tracker.phase == last.split()[0]
    assert fraction == pytest.approx(int(last.split()[1].rstrip("%")) / 100)
    assert tracker.offset == 40 + len(lines)


# -- login -----------------------------------------------------------------------------------
def test_login_then_session_cookie(oq_api):
    adapter = Recorded(oq_api, ["R_login_ok", "R_calc_list_admin"])
    client = Client(BASE, auth=("oqadmin", "oqpass-123"), session=session_for(adapter))
    calcs = client.list()
    assert calcs[0]["id"] == 19
    (m1, u1, _), (m2, u2, h2) = adapter.calls
    assert (m1, u1) == ("POST", f"{BASE}/accounts/ajax_login/")
    assert (m2, u2) == ("GET", f"{BASE}/v1/calc/list")
    assert "sessionid=s3wt1gdonej6uxj8xn9zkcy3lxjvo4qp" in h2["Cookie"]


def test_bad_login_and_anonymous(oq_api):
    adapter = Recorded(oq_api, ["R_login_bad"])
    client = Client(BASE, auth=("oqadmin", "wrong"), session=session_for(adapter))
    with pytest.raises(PermissionDenied, match=r"POST .*/accounts/ajax_login/: 403 Forbidden: "
                                               r"Invalid login"):
        client.list()
    client, _ = client_for(oq_api, ["R_calc_list_anon"])
    with pytest.raises(PermissionDenied, match="not logged in"):
        client.list()


# -- results ---------------------------------------------------------------------------------
def test_results_and_download(oq_api, tmp_path):
    client, _ = client_for(oq_api, ["calc_results_3", "result_uhs_csv_single"])
    types = [r["type"] for r in client.results(3)]
    assert types == ["fullreport", "hcurves", "hmaps", "hmaps-stats", "mean_rates_by_src",
                     "realizations", "uhs"]
    path = client.download(14, dest=tmp_path)
    assert path == tmp_path / "output-14-hazard_uhs-mean_4.csv"
    recorded = json.loads((oq_api / "result_uhs_csv_single.json").read_text())["body"]
    assert path.read_bytes().decode() == recorded
    assert client.download(14, dest=tmp_path / "uhs.csv").name == "uhs.csv"


def test_extract_object_arrays_are_refused(oq_api):
    """OpenQuake's gsims_by_trt and source_data hold object arrays: WebExtractor cannot read
    them without pickles, and neither does the client (a clear error, no unpickling)."""
    client, _ = client_for(oq_api, ["extract_3_gsims_by_trt"])
    for spec in ("gsims_by_trt",):
        with pytest.raises(ServerError, match=rf"extract/{spec}: key .* cannot be read without "
                                              "pickles"):
            client.extract(3, spec)


def test_extract_as_recorded(oq_api):
    client, _ = client_for(oq_api, ["extract_3_sitecol", "extract_3_realizations",
                                    "extract_3_weights", "extract_5_num_events"])
    site = client.extract(3, "sitecol")["array"]
    assert site.dtype.names[:3] == ("sids", "lon", "lat") and site["vs30"][0] == 800.0
    frame = client.sites(3)
    assert frame.loc[0, "lon"] == 15.2 and frame.loc[0, "lat"] == 37.5
    rlzs = client.realizations(3)
    assert rlzs["branch_path"].tolist() == ["A~A", "A~B"] and rlzs["weight"].sum() == 1.0
    np.testing.assert_array_equal(client.extract(3, "weights")["array"], [0.5, 0.5])
    assert int(client.extract(5, "num_events")["num_events"]) == 199413


def _hazard_client(oq_api, oq_exports, *samples):
    arrays = {"extract_3_oqparam": oqparam_3(oq_api),
              "extract_3_hcurves_Q_kind-mean": {"mean": mean_curves_3(oq_exports)}}
    hmap = csv(oq_exports / "calc_3" / "hazard_map-mean_3.csv")
    arrays["extract_3_hmaps_Q_kind-mean"] = {
        "mean": hmap[[f"{imt}-0.02" for imt in IMTS_3]].to_numpy(np.float32)[:, :, None]}
    return client_for(oq_api, ["extract_3_oqparam", "extract_3_sitecol", *samples],
                      arrays=arrays)


def test_hazard_curves(oq_api, oq_exports):
    client, _ = _hazard_client(oq_api, oq_exports, "extract_3_hcurves_Q_kind-mean")
    curves = client.hazard_curves(3)
    assert curves.dims == ("kind", "site", "imt", "level") and curves.shape == (1, 1, 13, 20)
    assert curves["kind"].values.tolist() == ["mean"]
    assert curves["imt"].values.tolist() == IMTS_3
    assert curves.attrs["investigation_time"] == 100.0
    assert float(curves["lon"][0]) == 15.2 and float(curves["lat"][0]) == 37.5
    levels = imtls_3(oq_api)
    for imt in IMTS_3:
        np.testing.assert_array_equal(curves["iml"].sel(imt=imt).values, levels[imt])
        frame = csv(oq_exports / "calc_3" / f"hazard_curve-mean-{imt}_3.csv")
        expected = frame[[c for c in frame.columns if c.startswith("poe-")]].to_numpy()[0]
        np.testing.assert_allclose(curves.sel(kind="mean", imt=imt).values[0], expected,
                                   rtol=1e-6)
    recorded = json.loads((oq_api / "extract_3_hcurves_Q_kind-mean.json").read_text())
    first = recorded["body"]["npz"]["mean"]["sample"]
    np.testing.assert_allclose(curves.values.ravel()[:6], first, rtol=1e-7)


def test_hazard_maps_and_uhs(oq_api, oq_exports):
    client, _ = _hazard_client(oq_api, oq_exports, "extract_3_hmaps_Q_kind-mean",
                               "extract_3_uhs_Q_kind-mean")
    maps = client.hazard_maps(3)
    assert maps.dims == ("kind", "site", "imt", "poe") and maps["poe"].values.tolist() == [0.02]
    expected = csv(oq_exports / "calc_3" / "hazard_map-mean_3.csv")
    for imt in IMTS_3:
        assert float(maps.sel(kind="mean", imt=imt, poe=0.02)[0]) == pytest.approx(
            expected[f"{imt}-0.02"][0], rel=1e-6)
    assert maps["units"].values.tolist() == ["g"] * 13
    uhs = client.uhs(3)
    assert uhs.dims == ("kind", "site", "poe", "period") and uhs.attrs["units"] == "g"
    assert uhs["period"].values.tolist() == [0.0, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0,
                                             1.5, 2.0, 3.0, 4.0]
    spectra = csv(oq_exports / "calc_3" / "hazard_uhs-mean_3.csv")
    np.testing.assert_allclose(uhs.sel(kind="mean", poe=0.02).values[0],
                               [spectra[f"0.020000~{imt}"][0] for imt in IMTS_3], rtol=1e-6)


def test_gmfs_from_the_csv_export(oq_api, oq_exports):
    """calc 6 (scenario case_1): 102 events x 3 sites from the gmf_data zip; sites that stayed
    below minimum_intensity hold 0."""
    folder = oq_exports / "calc_6"
    members = {p.name: p.read_bytes() for p in folder.glob("*.csv")}
    events = csv(folder / "events_6.csv")
    array = np.zeros(len(events), dtype=[("id", "<u4"), ("rup_id", "<i8"), ("rlz_id", "<u2"),
                                         ("year", "<u4"), ("ses_id", "<u4")])
    array["id"] = events["event_id"]
    for name in ("rup_id", "rlz_id", "year", "ses_id"):
        array[name] = events[name]
    client, _ = client_for(oq_api, ["calc_results_6", "result_gmf_csv", "extract_6_events"],
                           members={"result_gmf_csv": members},
                           arrays={"extract_6_events": {"array": array}})
    ds = client.gmfs(6)
    assert dict(ds.sizes) == {"event": 102, "site": 3} and list(ds.data_vars) == ["PGA"]
    assert ds["PGA"].attrs["units"] == "g"
    assert ds["custom_site_id"].values.tolist() == ["7zzzzzzz", "ebpbxfpy", "ebpcpurv"]
    np.testing.assert_allclose(ds["lat"].values, [0.0, 0.1, 0.2])
    data = csv(folder / "gmf-data_6.csv")
    site = {"7zzzzzzz": 0, "ebpbxfpy": 1, "ebpcpurv": 2}
    expected = np.zeros((102, 3), dtype=np.float32)
    expected[data["event_id"], data["custom_site_id"].map(site)] = data["gmv_PGA"]
    np.testing.assert_array_equal(ds["PGA"].values, expected)
    assert (ds["rlz"].values == 0).all()
    recorded = json.loads((oq_api / "extract_6_gmf_data_Q_event_id-0.json").read_text())
    first = [row[3] for row in recorded["body"]["npz"]["rlz-000"]["sample"]]
    np.testing.assert_allclose(ds["PGA"].sel(event=0).values, first, rtol=1e-5)


def test_damages_and_losses(oq_api, oq_exports):
    avg_losses = (oq_exports / "calc_8" / "avg_losses-rlz-000_8.csv").read_bytes()
    # not recorded over HTTP: the CLI export of the same output, served as OpenQuake serves
    # one file (text/plain, attachment output-<id>-<file>)
    texts = {("GET", "/v1/calc/result/37?export_type=csv"): (
        200, "text/plain",
        {"Content-Disposition": "attachment; filename=output-37-avg_losses-rlz-000_8.csv"},
        avg_losses)}
    client, _ = client_for(oq_api, ["extract_7_damages-rlzs", "calc_results_8",
                                    "result_aggrisk_csv"], texts=texts)
    damages = client.damages(7)
    assert damages["id"].tolist() == ["a1", "a3", "a2"] and (damages["rlz"] == 0).all()
    assert damages[["structural-no_damage", "structural-LS1", "structural-LS2"]].sum(
        axis=1).tolist() == [3000.0, 1000.0, 2000.0]
    aggregate = client.losses(8, by="aggregate")
    assert aggregate.columns.tolist() == ["loss_type", "loss_value", "loss_ratio"]
    assert aggregate.loc[0, "loss_value"] == pytest.approx(412.367)
    assert "OpenQuake engine 3.26.2" in aggregate.attrs["generated_by"]
    assets = client.losses(8)
    assert assets.loc[0, "asset_id"] == "a2" and assets.loc[0, "structural"] == pytest.approx(
        412.367)
    with pytest.raises(NotFound, match="no 'aggcurves' output"):
        client.losses(8, by="curve")
    with pytest.raises(InputError, match="by='bogus'"):
        client.losses(8, by="bogus")


def test_unrecorded_request_fails_visibly(oq_api):
    client, _ = client_for(oq_api, [])
    with pytest.raises(ToolkitError, match="no recorded answer for GET"):
        client.status(3)
