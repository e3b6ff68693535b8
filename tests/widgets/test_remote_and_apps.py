"""Services over the HTTP clients (adapting their answers; a real client against a closed port),
and the app context built from a Voila query string."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from toolkit.config import Settings
from toolkit.errors import InputError, ToolkitError
from toolkit.widgets import CalcBrowser, JobRunner, ScenarioBrowser
from toolkit.widgets.apps import app_context, query_params
from toolkit.widgets.local import LocalCalcs, LocalScenarios
from toolkit.widgets.remote import RemoteCalcs, RemoteScenarios


class FakeClient:
    """The methods of toolkit.client.Client the widgets use, answering as the contract says."""

    base_url = "http://fake:8800"

    def __init__(self) -> None:
        self.runs: list[Path] = []

    def list(self, limit: int = 100) -> list[dict]:
        return [{"id": 5, "description": "d", "calculation_mode": "classical",
                 "status": "shared", "owner": "u", "start_time": "2026-11-26, 10:00:00 UTC"}]

    def status(self, calc_id: int) -> dict:
        return {"id": calc_id, "status": "executing", "calculation_mode": "classical",
                "description": "d", "is_running": True}

    def run(self, job: Path) -> int:
        self.runs.append(Path(job))
        return 5

    def log(self, calc_id: int, start: int = 0) -> list[list[str]]:
        return [["2026-11-26T10:00:01.000", "INFO", "Main/1", "progress 30%"]][start:]

    def traceback(self, calc_id: int) -> list[str]:
        return ["Traceback (most recent call last):", "ValueError: x"]

    def abort(self, calc_id: int) -> str:
        return "Job 5 is not running"

    def hazard_curves(self, calc_id: int, kind: str = "mean") -> Any:
        from toolkit.client.oq import curves_dataarray

        if kind == "rlzs":
            return curves_dataarray({"rlz-000": np.full((1, 1, 2), 0.1)}, {"PGA": [0.1, 0.2]},
                                    [1.0], [2.0], investigation_time=50)
        return curves_dataarray({"mean": np.full((1, 1, 2), 0.2)}, {"PGA": [0.1, 0.2]}, [1.0],
                                [2.0], investigation_time=50)

    def gmfs(self, calc_id: int) -> Any:
        from toolkit.client.oq import gmfs_dataset

        return gmfs_dataset([1], [0], {"PGA": [0.3]}, [1.0, 2.0], [3.0, 4.0], rlz=[0])

    def damages(self, calc_id: int, by: str = "asset") -> pd.DataFrame:
        return pd.DataFrame({"id": ["a", "b", "c"], "taxonomy": ["RC", "RM", "RC"],
                             "rlz": [0, 0, 0], "structural-no_damage": [1.0, 2.0, 3.0],
                             "structural-complete": [0.5, 0.0, 0.5]})


def test_remote_calcs_adapt_the_client_answers() -> None:
    client = FakeClient()
    calcs = RemoteCalcs(client)
    assert calcs.location == "http://fake:8800"
    [info] = calcs.list()
    assert info.status == "complete" and info.progress == 1.0  # OpenQuake's "shared"
    running = calcs.info(5)
    assert running.status == "executing" and running.progress is None
    assert calcs.log(5) == ["[10:00:01 INFO] progress 30%"]
    assert calcs.traceback(5).endswith("ValueError: x")
    assert calcs.abort(5) is False
    hc = calcs.hazard_curves(5)
    assert hc.kinds == ["mean", "rlz-0"] and hc.curve("rlz-0", "PGA", 0).tolist() == [0.1, 0.1]
    np.testing.assert_allclose(calcs.fields(5)["PGA"].at(0), [0.3, 0.0], rtol=1e-6)


def test_remote_damage_sums_by_taxonomy() -> None:
    class DamageClient(FakeClient):
        def status(self, calc_id: int) -> dict:
            return {**super().status(calc_id), "calculation_mode": "scenario_damage"}

    table = RemoteCalcs(DamageClient()).damage(5)
    assert table.categories == ["RC", "RM"]
    assert table.columns == ["structural-no_damage", "structural-complete"]
    np.testing.assert_allclose(table.values, [[4.0, 1.0], [2.0, 0.0]])


def test_job_runner_over_a_server_reads_progress_from_the_log() -> None:
    client = FakeClient()
    runner = JobRunner(RemoteCalcs(client), poll_interval=0.01)
    runner.run()
    import time

    deadline = time.monotonic() + 5
    while runner.progress != 0.3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert runner.progress == 0.3 and client.runs == [Path(runner.job)]
    runner.close()


def test_unreachable_server_names_its_url() -> None:
    from toolkit.client import Client, ScenarioClient

    calcs = RemoteCalcs(Client("http://127.0.0.1:9", timeout=2))
    browser = CalcBrowser(calcs)
    assert "http://127.0.0.1:9" in browser.error_message
    assert "unreachable" in browser.error_message
    scenarios = RemoteScenarios(ScenarioClient("http://127.0.0.1:9/api/v4", timeout=2))
    sb = ScenarioBrowser(scenarios)
    assert "http://127.0.0.1:9/api/v4" in sb.error_message and sb.count == 0
    with pytest.raises(ToolkitError, match="127.0.0.1:9"):
        scenarios.results("0817f85c-47ad-4367-a4a6-745cca30553e")


def test_remote_scenarios_page_and_raster() -> None:
    import xarray as xr

    class FakeLizard:
        base_url = "http://fake/api/v4"

        def __init__(self) -> None:
            self.calls: list[Any] = []

        def scenarios(self, **filters: Any) -> Any:
            self.calls.append(filters)
            for i in range(100):  # an endless server: only one page may be read
                yield {"uuid": f"u{i}", "name": f"s{i}"}

        def scenario(self, uuid: str) -> dict:
            return {"uuid": uuid, "projection": "EPSG:28992", "origin_x": 0.0,
                    "origin_y": 100.0, "upper_bound_x": 40.0, "upper_bound_y": 0.0,
                    "pixelsize_x": 10.0, "pixelsize_y": -10.0}

        def raster(self, item: dict, bbox: Any, width: int, height: int, **kw: Any) -> Any:
            self.calls.append((bbox, width, height, kw))
            y = np.linspace(95, 5, height)
            x = np.linspace(5, 35, width)
            return xr.DataArray(np.ones((height, width)), dims=("y", "x"),
                                coords={"x": x, "y": y}, attrs={"units": "m"})

    lizard = FakeLizard()
    service = RemoteScenarios(lizard, cache_dir="/nonexistent-cache")
    page = service.scenarios(name="dike", offset=20, limit=10)
    assert [s["uuid"] for s in page.items] == [f"u{i}" for i in range(10)]
    assert lizard.calls[0] == {"limit": 10, "offset": 20, "ordering": "name",
                               "name__icontains": "dike"}
    raster = service.raster("u1", {"code": "depth-max-dtri", "raster": "r", "name": "Max"})
    assert lizard.calls[-1][:3] == ((0.0, 0.0, 40.0, 100.0), 4, 10)
    assert raster.extent == (0.0, 40.0, 0.0, 100.0) and raster.crs == "EPSG:28992"
    with pytest.raises(InputError, match="not a raster"):
        service.raster("u1", {"code": "damage-summary", "raster": None})


def test_query_params() -> None:
    assert query_params("?scenario=abc&calc=3&x=") == {"scenario": "abc", "calc": "3", "x": ""}
    assert query_params("") == {}
    assert query_params("a=1&a=2") == {"a": "2"}


def test_app_context_in_process(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    ctx = app_context("?calc=4&demo=0", settings=settings)
    assert isinstance(ctx.calcs, LocalCalcs) and isinstance(ctx.scenarios, LocalScenarios)
    assert ctx.int_param("calc") == 4 and ctx.int_param("nothing") is None
    assert ctx.server_url == "" and ctx.error == ""
    assert f"in-process, data directory {tmp_path}" in ctx.header().value
    assert ctx.calcs.list() == []  # demo=0: nothing loaded


def test_app_context_with_a_server(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    ctx = app_context("?server=http://127.0.0.1:9/", settings=settings)
    assert ctx.server_url == "http://127.0.0.1:9" and isinstance(ctx.calcs, RemoteCalcs)
    assert ctx.scenarios.location == "http://127.0.0.1:9/api/v4"
    assert "server http://127.0.0.1:9" in ctx.header("T").value
    explicit = app_context(settings=settings, server_url="http://example.org:1")
    assert explicit.server_url == "http://example.org:1"


def test_app_context_with_a_bad_server_url(tmp_path: Path) -> None:
    ctx = app_context("?server=ftp://nowhere", settings=Settings(data_dir=tmp_path))
    assert "cannot use the server ftp://nowhere" in ctx.error
    assert "tk-error-box" in ctx.header().value
    browser = CalcBrowser(ctx.calcs)
    assert "ftp://nowhere" in browser.error_message
    with pytest.raises(InputError):
        ctx.scenarios.scenarios()


def test_widgets_accept_clients_and_settings(tmp_path: Path) -> None:
    from toolkit.client import Client, ScenarioClient
    from toolkit.widgets.services import calc_service, scenario_service

    settings = Settings(data_dir=tmp_path)
    assert isinstance(calc_service(Client("http://127.0.0.1:9")), RemoteCalcs)
    assert isinstance(scenario_service(ScenarioClient("http://127.0.0.1:9/api/v4")),
                      RemoteScenarios)
    assert isinstance(calc_service(settings), LocalCalcs)
    assert isinstance(scenario_service(settings), LocalScenarios)
    local = LocalCalcs(settings)
    assert calc_service(local) is local
    browser = CalcBrowser(Client("http://127.0.0.1:9", timeout=2))
    assert isinstance(browser.service, RemoteCalcs) and "127.0.0.1:9" in browser.error_message
