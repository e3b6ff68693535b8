"""The command line of the scenario catalogue: ``apikey``, ``import-3di``, ``publish``,
``scenarios`` and ``serve --demo`` loading the demo scenarios once."""

from __future__ import annotations

import io
import sys
import types
from pathlib import Path

import pytest

from toolkit.cli import main
from toolkit.scenarios.synthetic import DEMO_DIR
from toolkit.store import Catalogue
from toolkit.store.scenarios import ScenarioStore


@pytest.fixture
def env(monkeypatch, data_dir: Path) -> Path:
    monkeypatch.setenv("TOOLKIT_DATA", str(data_dir))
    monkeypatch.delenv("TOOLKIT_AUTH_MODE", raising=False)
    return data_dir


def test_apikey_create_list_revoke(env, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("pw\n"))
    assert main(["user", "add", "ann", "--org", "Org A", "--password-stdin"]) == 0
    capsys.readouterr()
    assert main(["apikey", "create", "ann", "--name", "laptop"]) == 0
    out = capsys.readouterr()
    key = out.out.strip()
    assert "shown only now" in out.err and "__key__" in out.err
    with Catalogue(env / "db.sqlite3") as cat:
        assert cat.user_for_api_key(key).name == "ann"
    assert main(["apikey", "list"]) == 0
    listing = capsys.readouterr().out
    assert key.split(".")[0] in listing and "laptop" in listing and key not in listing
    assert main(["apikey", "revoke", key.split(".")[0]]) == 0
    with Catalogue(env / "db.sqlite3") as cat:
        assert cat.user_for_api_key(key) is None
    assert main(["apikey", "create", "nobody"]) == 1
    assert "user 'nobody' not found" in capsys.readouterr().err


def test_import_3di_and_scenarios_listing(env, capsys, tmp_path):
    assert main(["scenarios"]) == 0
    assert "no scenarios" in capsys.readouterr().out
    assert main(["import-3di", str(DEMO_DIR / "gridadmin.h5"), str(DEMO_DIR / "results_3di.nc"),
                 "--name", "cli flood", "--org", "Org A", "--access", "common"]) == 0
    out = capsys.readouterr().out
    assert "cli flood" in out and ": 10 results" in out
    assert main(["scenarios"]) == 0
    line = capsys.readouterr().out.strip()
    assert "3Di" in line and "Common" in line and line.endswith("cli flood")
    with Catalogue(env / "db.sqlite3") as cat:
        (s,) = ScenarioStore(cat, env).list()
        assert s.organisation == "Org A" and s.has_raw_results
    cut = tmp_path / "results_3di.nc"
    data = (DEMO_DIR / "results_3di.nc").read_bytes()
    cut.write_bytes(data[:1000])
    assert main(["import-3di", str(DEMO_DIR / "gridadmin.h5"), str(cut)]) == 2
    assert "truncated" in capsys.readouterr().err
    assert main(["import-3di", str(tmp_path / "missing.h5"), str(cut)]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["import-3di", str(DEMO_DIR / "gridadmin.h5"),
                 str(DEMO_DIR / "results_3di.nc"), "--user", "ghost"]) == 2


def test_publish_a_calculation(env, capsys):
    assert main(["run", str(DEMO_DIR.parent / "scenario" / "job.ini"), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["publish", "1", "--name", "quake", "--access", "public"]) == 0
    assert "quake" in capsys.readouterr().out
    with Catalogue(env / "db.sqlite3") as cat:
        (s,) = ScenarioStore(cat, env).list()
        assert (s.calc_id, s.access_modifier, s.source) == (1, "Public", "toolkit")
    assert main(["publish", "7"]) == 2
    assert "no calculation 7" in capsys.readouterr().err


def test_serve_demo_loads_the_demo_scenarios_once(env, monkeypatch, capsys):
    from toolkit.jobs import runner

    fake = types.ModuleType("toolkit.server")
    fake.create_app = lambda settings: "the app"
    monkeypatch.setitem(sys.modules, "toolkit.server", fake)
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: None)
    demo_scenario = runner.DEMO_JOBS[1]
    monkeypatch.setattr(runner, "DEMO_JOBS", (demo_scenario,))  # keep it fast
    assert main(["serve", "--demo"]) == 0
    err = capsys.readouterr().err
    assert err.count("demo scenario ") == 2 and "Demo flood" in err
    assert main(["serve", "--demo"]) == 0
    assert "demo scenario " not in capsys.readouterr().err
    with Catalogue(env / "db.sqlite3") as cat:
        names = sorted(s.source for s in ScenarioStore(cat, env).list())
    assert names == ["3Di", "toolkit"]
