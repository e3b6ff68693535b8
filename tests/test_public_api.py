"""The curated public API: __all__ is complete and importable, and import is fast-path lazy."""

from __future__ import annotations

import subprocess
import sys

import toolkit


def test_all_names_resolve():
    for name in toolkit.__all__:
        assert getattr(toolkit, name) is not None, name


def test_no_private_or_unlisted_public_functions():
    public = {n for n in dir(toolkit) if not n.startswith("_")}
    modules = {"errors", "registry", "api", "config", "cli", "engine", "io", "jobs", "store",
               "gmpe", "server", "scenarios", "client", "plotting", "widgets", "bridges"}
    assert public - set(toolkit.__all__) - modules == set()


def test_import_does_not_load_heavy_modules():
    code = ("import sys, toolkit, toolkit.client, toolkit.plotting; heavy = [m for m in "
            "('numpy', 'h5py', 'scipy', 'pandas', 'requests', 'xarray', 'matplotlib') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_clients_and_open_scenario_are_public():
    from toolkit.client.lizard import ScenarioClient, open_scenario
    from toolkit.client.oq import Client

    assert toolkit.Client is Client and toolkit.ScenarioClient is ScenarioClient
    assert toolkit.open_scenario is open_scenario
