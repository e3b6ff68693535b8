"""The ``toolkit serve`` and ``toolkit user`` commands."""

from __future__ import annotations

import io
import sys
import types
from pathlib import Path

import pytest

from toolkit.cli import main
from toolkit.store import Catalogue


@pytest.fixture
def env(monkeypatch, data_dir: Path) -> Path:
    monkeypatch.setenv("TOOLKIT_DATA", str(data_dir))
    for var in ("TOOLKIT_AUTH_MODE", "TOOLKIT_HOST", "TOOLKIT_PORT"):
        monkeypatch.delenv(var, raising=False)
    return data_dir


def _stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_user_add_from_stdin_and_list(env, monkeypatch, capsys):
    monkeypatch.setenv("TOOLKIT_AUTH_MODE", "restricted")
    _stdin(monkeypatch, "pa ss-1\nignored\n")
    assert main(["user", "add", "alice", "--org", "GEM", "--password-stdin"]) == 0
    assert capsys.readouterr().out.strip() == "added user alice of organisation GEM"
    _stdin(monkeypatch, "rootpw\r\n")
    assert main(["user", "add", "root", "--org", "Ops", "--admin", "--password-stdin"]) == 0
    assert "added administrator root" in capsys.readouterr().out
    with Catalogue(env / "db.sqlite3") as cat:
        assert cat.authenticate("alice", "pa ss-1").org == "GEM"
        assert cat.authenticate("root", "rootpw").is_admin
    assert main(["user", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split() for line in lines] == [["alice", "GEM"], ["root", "Ops", "admin"]]


def test_user_add_errors(env, monkeypatch, capsys):
    _stdin(monkeypatch, "pw\n")
    assert main(["user", "add", "alice", "--org", "GEM", "--password-stdin"]) == 0
    captured = capsys.readouterr()
    assert "auth_mode = restricted" in captured.err  # a hint in public mode
    _stdin(monkeypatch, "pw2\n")
    assert main(["user", "add", "alice", "--org", "GEM", "--password-stdin"]) == 2
    assert "user 'alice' already exists" in capsys.readouterr().err
    _stdin(monkeypatch, "\n")
    assert main(["user", "add", "bob", "--org", "GEM", "--password-stdin"]) == 2
    assert "the password is empty" in capsys.readouterr().err
    _stdin(monkeypatch, "pw\n")
    assert main(["user", "add", "bad name", "--org", "GEM", "--password-stdin"]) == 2
    assert "invalid user name" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # --org is required
        main(["user", "add", "carol", "--password-stdin"])
    capsys.readouterr()
    assert main(["user", "list"]) == 0
    assert capsys.readouterr().out.split() == ["alice", "GEM"]


def test_user_add_asks_for_the_password_twice(env, monkeypatch, capsys):
    answers = iter(["secret", "secret", "one", "two"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["user", "add", "alice", "--org", "GEM"]) == 0
    assert main(["user", "add", "bob", "--org", "GEM"]) == 2
    assert "the two passwords differ" in capsys.readouterr().err
    with Catalogue(env / "db.sqlite3") as cat:
        assert cat.authenticate("alice", "secret") is not None and cat.get_user("bob") is None


def test_user_list_empty(env, capsys):
    assert main(["user", "list"]) == 0
    assert "no users" in capsys.readouterr().out


def test_serve_runs_uvicorn_on_the_app(env, monkeypatch, capsys):
    calls = {}
    fake = types.ModuleType("toolkit.server")

    def create_app(settings):
        calls["settings"] = settings
        return "the app"

    fake.create_app = create_app
    monkeypatch.setitem(sys.modules, "toolkit.server", fake)
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.update(app=app, **kw))
    assert main(["serve", "--host", "0.0.0.0", "--port", "8123"]) == 0
    assert calls["app"] == "the app" and (calls["host"], calls["port"]) == ("0.0.0.0", 8123)
    assert calls["settings"].data_dir == env and calls["settings"].port == 8123
    assert "http://0.0.0.0:8123" in capsys.readouterr().err

    monkeypatch.setenv("TOOLKIT_PORT", "8999")
    assert main(["serve"]) == 0  # the settings' address by default
    assert (calls["host"], calls["port"]) == ("127.0.0.1", 8999)
    assert main(["serve", "--port", "70000"]) == 2
    assert "--port must be in 1-65535" in capsys.readouterr().err
