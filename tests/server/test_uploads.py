"""Uploads: safe unpacking (traversal, links, bombs, limits) and the errors of /v1/calc/run."""

from __future__ import annotations

import io
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from toolkit.errors import InputError
from toolkit.server.errors import PayloadTooLarge
from toolkit.server.uploads import (
    UploadedFile,
    extract_zip,
    find_job_file,
    set_job_parameter,
    store_upload,
)

from .helpers import (
    SCENARIO_INI,
    app_client,
    classical_job,
    risk_job,
    server_settings,
    wait_done,
    zip_dir,
    zip_members,
)

MB = 1_000_000


def _extract(data: bytes, dest: Path, max_mb: float = 10, entries: int = 100) -> list[str]:
    dest.mkdir(exist_ok=True)
    return extract_zip(io.BytesIO(data), dest, max_bytes=int(max_mb * MB), max_entries=entries)


# -- extract_zip ------------------------------------------------------------------------------
def test_extract_keeps_sub_directories(tmp_path):
    data = zip_members({"job.ini": b"a", "models/sm.xml": b"b", "__MACOSX/._job.ini": b"c"})
    assert _extract(data, tmp_path / "out") == ["job.ini", "models/sm.xml"]
    assert (tmp_path / "out" / "models" / "sm.xml").read_bytes() == b"b"


def _zip_with(name: str, data: bytes = b"x") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr(zipfile.ZipInfo(name), data)
    return buf.getvalue()


@pytest.mark.parametrize("name", ["../evil.txt", "sub/../../evil.txt", "/abs/evil.txt",
                                  "C:/evil.txt", "c:evil.txt", "..\\evil.txt",
                                  "\\\\host\\share\\evil.txt", "a/.."])
def test_traversal_names(tmp_path, name):
    with pytest.raises(InputError, match="not allowed"):
        _extract(_zip_with(name), tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_symbolic_links_are_refused(tmp_path):
    info = zipfile.ZipInfo("link")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(InputError, match="symbolic link"):
        _extract(buf.getvalue(), tmp_path / "out")


def test_duplicate_members_are_refused(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("job.ini", b"a")
        archive.writestr("JOB.ini", b"b")
    with pytest.raises(InputError, match="twice"):
        _extract(buf.getvalue(), tmp_path / "out")


def test_encrypted_members_are_refused(tmp_path):
    data = bytearray(zip_members({"secret.txt": b"x" * 20}))
    for magic, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # general purpose flags
        pos = data.find(magic)
        data[pos + offset] |= 0x1
    with pytest.raises(InputError, match="encrypted"):
        _extract(bytes(data), tmp_path / "out")


def test_not_a_zip(tmp_path):
    with pytest.raises(InputError, match="not a zip file"):
        _extract(b"PK\x03\x04 but not really a zip", tmp_path / "out")


def test_zip_bomb_is_stopped_by_the_declared_size(tmp_path):
    """50 MB of zeros compress to ~50 kB: refused before anything is written."""
    data = zip_members({"zeros.bin": bytes(50 * MB)})
    assert len(data) < 100_000
    with pytest.raises(PayloadTooLarge, match="max_unzipped_mb"):
        _extract(data, tmp_path / "out", max_mb=1)
    assert list((tmp_path / "out").iterdir()) == []


def _forge_sizes(data: bytes, size: int) -> bytes:
    """Rewrite the uncompressed size of every member, in the local and central headers."""
    out = bytearray(data)
    pos = 0
    while (pos := out.find(b"PK\x03\x04", pos)) >= 0:
        struct.pack_into("<I", out, pos + 22, size)
        pos += 4
    pos = 0
    while (pos := out.find(b"PK\x01\x02", pos)) >= 0:
        struct.pack_into("<I", out, pos + 24, size)
        pos += 4
    return bytes(out)


def test_zip_bomb_with_forged_sizes_is_stopped_while_streaming(tmp_path):
    """A member that declares 100 bytes but inflates to 5 MB: the lie is caught and nothing
    beyond the declared size is written."""
    data = _forge_sizes(zip_members({"zeros.bin": bytes(5 * MB)}), 100)
    with pytest.raises((InputError, PayloadTooLarge)):
        _extract(data, tmp_path / "out", max_mb=1)
    written = tmp_path / "out" / "zeros.bin"
    assert not written.exists() or written.stat().st_size <= 100


def test_actual_total_is_counted(tmp_path):
    """Members whose declared total passes but whose real total does not."""
    data = _forge_sizes(zip_members({f"f{i}.bin": bytes(400_000) for i in range(3)}), 400_000)
    with pytest.raises(PayloadTooLarge):
        _extract(data, tmp_path / "out", max_mb=1)


def test_too_many_entries(tmp_path):
    data = zip_members({f"f{i}.txt": b"x" for i in range(11)})
    with pytest.raises(PayloadTooLarge, match="max_zip_entries"):
        _extract(data, tmp_path / "out", entries=10)


def test_find_job_file():
    assert find_job_file(["job.ini", "sm.xml"], ".ini") == "job.ini"
    assert find_job_file(["a/job.ini", "job.ini"], ".ini") == "job.ini"
    assert find_job_file(["job_haz.ini", "job_risk.ini"], "risk.ini") == "job_risk.ini"
    assert find_job_file(["job_haz.ini", "job_risk.ini"], "job_haz.ini") == "job_haz.ini"
    with pytest.raises(InputError, match="There are no .ini files"):
        find_job_file(["sm.xml"], ".ini")
    with pytest.raises(InputError, match="ambiguous.*job_a.ini, job_b.ini.*job_ini"):
        find_job_file(["job_a.ini", "job_b.ini"], ".ini")


def test_store_upload_cleans_up_on_error(tmp_path):
    settings = server_settings(tmp_path / "data")
    bad = UploadedFile("x.zip", io.BytesIO(_zip_with("../evil")))
    with pytest.raises(InputError):
        store_upload([bad], settings)
    assert list((tmp_path / "data" / "calc_inputs").iterdir()) == []
    plain = [UploadedFile("../../job.ini", io.BytesIO(b"x")), UploadedFile("a.xml", io.BytesIO())]
    upload = store_upload(plain, settings)
    assert upload.files == ["job.ini", "a.xml"] and upload.job_ini.parent == upload.directory
    assert upload.directory.parent == tmp_path / "data" / "calc_inputs"


def test_set_job_parameter(tmp_path):
    job = tmp_path / "job.ini"
    job.write_text("[general]\nhazard_calculation_id = 3\n  7\ndescription = x\n")
    set_job_parameter(job, "hazard_calculation_id", 12)
    assert job.read_text() == "[general]\nhazard_calculation_id = 12\ndescription = x\n"
    job.write_text("description = x")
    set_job_parameter(job, "hazard_calculation_id", 5)
    assert job.read_text() == "description = x\nhazard_calculation_id = 5\n"


# -- over HTTP --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(tmp_path_factory):
    root = tmp_path_factory.mktemp("uploads")
    settings = server_settings(root / "data", max_unzipped_mb=1.0, max_upload_mb=2.0,
                               max_zip_entries=50)
    with app_client(settings) as c:
        c.root = root  # type: ignore[attr-defined]
        yield c


def _input_dirs(client) -> set[str]:
    inputs = client.app.state.toolkit.settings.data_dir / "calc_inputs"
    return {d.name for d in inputs.iterdir()} if inputs.exists() else set()


def _refused(client, files, data=None, status=400):
    before = client.get("/v1/calc/list").json()
    dirs = _input_dirs(client)
    r = client.post("/v1/calc/run", files=files, data=data or {})
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"traceback", "job_id"} and body["job_id"] is None
    assert isinstance(body["traceback"], list) and body["traceback"]
    assert client.get("/v1/calc/list").json() == before  # nothing registered
    assert _input_dirs(client) == dirs  # nothing left behind
    return "\n".join(body["traceback"])


def test_run_refuses_path_traversal(client):
    message = _refused(client, {"archive": ("job.zip", _zip_with("../job.ini", b"x"))})
    assert "not allowed" in message
    assert not (client.app.state.toolkit.settings.data_dir / "job.ini").exists()


def test_run_refuses_a_zip_bomb(client):
    message = _refused(client, {"archive": ("bomb.zip", zip_members({"z": bytes(50 * MB)}))},
                       status=413)
    assert "max_unzipped_mb" in message


def test_run_refuses_a_too_large_request(client):
    body = bytes(3 * MB)
    r = client.post("/v1/calc/run", files={"archive": ("big.bin", body)})
    assert r.status_code == 413 and "max_upload_mb" in r.json()["error"]


def test_run_without_job_ini(client):
    message = _refused(client, {"archive": ("job.zip", zip_members({"sm.xml": b"<x/>"}))})
    assert "There are no .ini files in the archive" in message


def test_run_with_two_job_files(client):
    files = {"archive": ("job.zip", zip_members({"job_a.ini": b"x", "job_b.ini": b"y"}))}
    message = _refused(client, files)
    assert "ambiguous" in message and "job_ini" in message


def test_run_with_an_invalid_job_ini(client):
    bad = SCENARIO_INI.replace("gsim = BooreAtkinson2008", "gsim = NoSuchGsim")
    message = _refused(client, [("archive", ("job.ini", bad.encode()))])
    assert "NoSuchGsim" in message and "line 7" in message


def test_run_with_a_missing_input_file(client):
    job = classical_job(client.root / "missing")
    (job.parent / "source_model.xml").unlink()
    message = _refused(client, {"archive": ("job.zip", zip_dir(job.parent))})
    assert "source_model.xml" in message


@pytest.mark.parametrize("files, data", [
    (None, {"x": "1"}),
    ({"job_config": ("job.ini", SCENARIO_INI.encode())}, None),  # legacy field: ignored
    ({"archive": ("job.zip", b"not a zip")}, None),
    ({"archive": ("job.ini", SCENARIO_INI.encode())}, {"hazard_job_id": "abc"}),
])
def test_run_with_bad_forms(client, files, data):
    _refused(client, files, data)


def test_run_with_an_unknown_hazard_job(client):
    files = [("archive", ("job_risk.ini", SCENARIO_INI.encode()))]
    message = _refused(client, files, {"hazard_job_id": "999"}, status=404)
    assert "999" in message


def test_run_plain_files_with_job_ini_choice_then_risk_with_hazard_job_id(client):
    """Two job files and the form field job_ini picks one (a scenario on the exposure's
    sites); a zip may hold a folder; then a risk job takes that scenario as hazard_job_id."""
    folder = client.root / "risk"
    risk_ini = risk_job(folder, "scenario_risk").read_text()
    hazard = risk_ini.replace("calculation_mode = scenario_risk", "calculation_mode = scenario")
    hazard = "\n".join(line for line in hazard.splitlines()
                       if not line.startswith(("exposure_file", "structural_")))
    files = [("archive", ("job_a.ini", SCENARIO_INI.encode())),
             ("archive", ("job_b.ini", hazard.encode()))]
    r = client.post("/v1/calc/run", files=files, data={"job_ini": "job_b.ini"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["calculation_mode"] == "scenario"
    assert set(body) >= {"job_id", "status", "ds_calc_dir", "pid", "user_name"}
    data = zip_members({"model/job.ini": SCENARIO_INI.encode()})
    r = client.post("/v1/calc/run", files={"archive": ("job.zip", data)})
    assert r.status_code == 200, r.text
    parent = body["job_id"]
    for calc in (parent, r.json()["job_id"]):
        assert wait_done(client, calc)["status"] == "complete"
    # the risk job: its job.ini has no hazard parameters; hazard_job_id names the scenario
    lines = [line for line in risk_ini.splitlines()
             if line.split("=")[0].strip() in ("description", "calculation_mode",
                                               "exposure_file",
                                               "structural_vulnerability_file")]
    files = [("archive", ("job_risk.ini", "\n".join(lines).encode())),
             ("archive", ("exposure.csv", (folder / "exposure.csv").read_bytes())),
             ("archive", ("vulnerability.xml", (folder / "vulnerability.xml").read_bytes()))]
    r = client.post("/v1/calc/run", files=files, data={"hazard_job_id": str(parent)})
    assert r.status_code == 200, r.text
    assert r.json()["hazard_calculation_id"] == parent
    child = r.json()["job_id"]
    done = wait_done(client, child)
    assert done["status"] == "complete", client.get(f"/v1/calc/{child}/traceback").json()
    assert done["parent_id"] == parent and done["calculation_mode"] == "scenario_risk"
    types = [o["type"] for o in client.get(f"/v1/calc/{child}/results").json()]
    assert "avg_losses-rlzs" in types and "gmf_data" not in types


def test_run_response_has_the_shape_of_openquake(client, shared_dir):
    import json

    sample = json.loads((shared_dir / "reference/openquake/api/run_zip.json").read_text())
    r = client.post("/v1/calc/run", files=[("archive", ("job.ini", SCENARIO_INI.encode()))])
    assert set(r.json()) == set(sample["body"])
    for key in ("job_id", "pid", "is_running", "status", "start_time", "ds_calc_dir"):
        assert type(r.json()[key]) is type(sample["body"][key]), key
