"""Settings from defaults, a settings file and TOOLKIT_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.config import Settings, load_settings
from toolkit.errors import InputError


def test_defaults_point_at_home():
    settings = load_settings(environ={})
    assert settings.data_dir == Path.home() / "toolkit_data"
    assert settings.executor == "serial" and settings.host == "127.0.0.1"


def test_environment_overrides(tmp_path):
    env = {"TOOLKIT_DATA": str(tmp_path), "TOOLKIT_EXECUTOR": "processpool",
           "TOOLKIT_NUM_WORKERS": "2", "TOOLKIT_REQUIRE_SHARED": "1"}
    settings = load_settings(environ=env)
    assert settings.data_dir == tmp_path and settings.executor == "processpool"
    assert settings.num_workers == 2 and settings.require_shared is True


def test_settings_file_then_environment(tmp_path):
    (tmp_path / "settings.toml").write_text('[toolkit]\nport = 9000\nexecutor = "processpool"\n')
    settings = load_settings(environ={"TOOLKIT_DATA": str(tmp_path), "TOOLKIT_PORT": "9100"})
    assert settings.port == 9100 and settings.executor == "processpool"


@pytest.mark.parametrize("env, message", [
    ({"TOOLKIT_NUM_WORKERS": "many"}, "TOOLKIT_NUM_WORKERS.*num_workers"),
    ({"TOOLKIT_EXECUTOR": "cluster"}, "executor.*cluster"),
    ({"TOOLKIT_REQUIRE_SHARED": "maybe"}, "require_shared"),
])
def test_bad_values_are_named(tmp_path, env, message):
    with pytest.raises(InputError, match=message):
        load_settings(environ={"TOOLKIT_DATA": str(tmp_path), **env})


def test_unknown_key_in_settings_file(tmp_path):
    (tmp_path / "settings.toml").write_text("[toolkit]\nprot = 1\n")
    with pytest.raises(InputError, match="settings.toml.*unknown setting 'prot'"):
        load_settings(environ={"TOOLKIT_DATA": str(tmp_path)})


def test_with_returns_a_copy():
    base = Settings()
    other = base.with_(port=1)
    assert base.port == 8800 and other.port == 1
