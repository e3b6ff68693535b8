"""Authentication: public mode (no login) and restricted mode (sessions, visibility, 404s)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from toolkit.store import Catalogue

from .helpers import SCENARIO_INI, app_client, server_settings, wait_done

V1_GETS = ["/v1/calc/list", "/v1/engine_version", "/v1/available_gsims", "/v1/ini_defaults",
           "/v1/calc/1", "/v1/calc/1/status", "/v1/calc/list_tags"]


def test_public_mode_has_no_login(settings):
    with app_client(settings) as client:
        r = client.post("/accounts/ajax_login/", data={"username": "x", "password": "y"})
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/plain")
        assert client.post("/accounts/ajax_logout/").status_code == 404
        assert client.get("/v1/calc/list").status_code == 200


@pytest.fixture(scope="module")
def restricted(tmp_path_factory):
    """A restricted server with users admin, alice and bob; alice ran a scenario."""
    root = tmp_path_factory.mktemp("auth")
    settings = server_settings(root / "data", auth_mode="restricted")
    with Catalogue(settings.catalogue_path) as catalogue:
        catalogue.add_user("admin", "admin-pass", "GEM", is_admin=True)
        catalogue.add_user("alice", "alice-pass", "Org A")
        catalogue.add_user("bob", "bob-pass", "Org A")
    with app_client(settings) as anonymous:
        sessions = {}
        for name in ("admin", "alice", "bob"):
            client = TestClient(anonymous.app)
            r = client.post("/accounts/ajax_login/",
                            data={"username": name, "password": f"{name}-pass"})
            assert r.status_code == 200 and r.text == "Successful login"
            sessions[name] = client
        r = sessions["alice"].post("/v1/calc/run",
                                   files=[("archive", ("job.ini", SCENARIO_INI.encode()))])
        assert r.status_code == 200 and r.json()["user_name"] == "alice"
        calc = r.json()["job_id"]
        assert wait_done(sessions["alice"], calc)["status"] == "complete"
        yield anonymous, sessions, calc


@pytest.mark.parametrize("path", V1_GETS)
def test_anonymous_v1_requests_are_403_with_an_empty_body(restricted, path):
    anonymous = restricted[0]
    r = anonymous.get(path)
    assert r.status_code == 403 and r.content == b""


def test_anonymous_posts_are_403(restricted):
    anonymous, _, calc = restricted
    for path in (f"/v1/calc/{calc}/remove", "/v1/calc/run", "/v1/valid/"):
        r = anonymous.post(path)
        assert r.status_code == 403 and r.content == b"", path


def test_docs_stay_reachable(restricted):
    assert restricted[0].get("/openapi.json").status_code == 200


def test_login_errors(restricted):
    anonymous = restricted[0]
    r = anonymous.post("/accounts/ajax_login/", data={"username": "alice", "password": "wrong"})
    assert r.status_code == 403 and r.text == "Invalid login"
    assert "sessionid" not in r.cookies
    r = anonymous.post("/accounts/ajax_login/", data={"username": "nobody", "password": "x"})
    assert r.status_code == 403 and r.text == "Invalid login"
    r = anonymous.post("/accounts/ajax_login/")
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/plain")
    r = anonymous.post("/accounts/ajax_login/", data={"username": "alice"})
    assert r.status_code == 400


def test_session_cookie(restricted):
    anonymous = restricted[0]
    r = anonymous.post("/accounts/ajax_login/", data={"username": "bob", "password": "bob-pass"})
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("sessionid=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    token = r.cookies["sessionid"]
    anonymous.cookies.clear()
    assert anonymous.get("/v1/calc/list").status_code == 403
    other = TestClient(anonymous.app)
    other.cookies.set("sessionid", "forged")
    assert other.get("/v1/calc/list").status_code == 403
    other.cookies.set("sessionid", token)
    assert other.get("/v1/calc/list").status_code == 200


def test_owner_and_admin_see_the_calculation(restricted):
    _, sessions, calc = restricted
    for name in ("alice", "admin"):
        client = sessions[name]
        assert [c["id"] for c in client.get("/v1/calc/list").json()] == [calc]
        assert client.get(f"/v1/calc/{calc}/extract/oqparam").status_code == 200
        assert client.get(f"/v1/calc/{calc}/results").status_code == 200


@pytest.mark.parametrize("path", ["", "/status", "/results", "/extract/oqparam", "/datastore",
                                  "/job_zip", "/result/list"])
def test_another_users_private_calculation_is_404(restricted, path):
    anonymous, sessions, calc = restricted
    bob = sessions["bob"]
    r = bob.get(f"/v1/calc/{calc}{path}")
    unknown = bob.get(f"/v1/calc/999{path}")
    assert r.status_code == 404 and unknown.status_code == 404
    assert r.json()["error"].replace(str(calc), "N") == unknown.json()["error"].replace("999", "N")


def test_another_users_private_calculation_leaks_nothing(restricted):
    _, sessions, calc = restricted
    bob = sessions["bob"]
    assert bob.get("/v1/calc/list").json() == []
    assert bob.get(f"/v1/calc/{calc}/log/:").json() == []
    assert bob.get(f"/v1/calc/{calc}/log/size").json() == 0
    assert bob.get(f"/v1/calc/{calc}/traceback").json() == []
    assert bob.get(f"/v1/calc/result/{calc * 1000 + 11}").status_code == 404
    assert bob.post(f"/v1/calc/{calc}/abort").json() == {"error": f"Unknown job {calc}"}
    assert bob.post(f"/v1/calc/{calc}/remove").status_code == 404
    assert bob.post(f"/v1/calc/{calc}/share").status_code == 404
    assert bob.get(f"/v1/calc/{calc}/add_tag/t").status_code == 404


def test_shared_calculation(restricted):
    _, sessions, calc = restricted
    alice, bob = sessions["alice"], sessions["bob"]
    assert bob.post(f"/v1/calc/{calc}/share").status_code == 404
    assert alice.post(f"/v1/calc/{calc}/share").status_code == 200
    try:
        listed = bob.get("/v1/calc/list").json()
        assert [c["id"] for c in listed] == [calc] and listed[0]["status"] == "shared"
        assert bob.get("/v1/calc/list", params={"include_shared": "false"}).json() == []
        assert bob.get(f"/v1/calc/{calc}/extract/oqparam").status_code == 200
        r = bob.post(f"/v1/calc/{calc}/remove")
        assert r.status_code == 403
        assert r.json() == {"error": f"Cannot delete calculation {calc}: it belongs to alice "
                                     "and you are bob"}
        assert bob.post(f"/v1/calc/{calc}/unshare").status_code == 403
        assert bob.get(f"/v1/calc/{calc}/add_tag/t").status_code == 403
        assert bob.post(f"/v1/calc/{calc}/abort").json() == {"error": f"Job {calc} is not running"}
    finally:
        assert alice.post(f"/v1/calc/{calc}/unshare").status_code == 200
    assert bob.get(f"/v1/calc/{calc}/status").status_code == 404


def test_server_paths_are_for_administrators(restricted):
    _, sessions, calc = restricted
    bob, admin = sessions["bob"], sessions["admin"]
    r = bob.post("/v1/calc/run_ini", data={"job_ini": "/etc/passwd"})
    assert r.status_code == 403 and "administrators" in r.json()["error"]
    assert bob.get("/v1/calc/jobs_from_inis", params={"ini": "/x.ini"}).status_code == 403
    assert admin.get("/v1/calc/jobs_from_inis", params={"ini": "/x.ini"}).status_code == 200
    assert bob.get("/v1/calc/delete_tag/t").status_code == 403


def test_logout(restricted):
    anonymous = restricted[0]
    client = TestClient(anonymous.app)
    client.post("/accounts/ajax_login/", data={"username": "bob", "password": "bob-pass"})
    assert client.get("/v1/calc/list").status_code == 200
    r = client.post("/accounts/ajax_logout/")
    assert r.status_code == 200 and r.text == "Successful logout"
    assert 'sessionid=""' in r.headers["set-cookie"] or "Max-Age=0" in r.headers["set-cookie"]
    assert client.get("/v1/calc/list").status_code == 403
