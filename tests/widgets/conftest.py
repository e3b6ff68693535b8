"""Fixtures of the widget tests: a data directory with the demo data (built once per session),
and small fake services for the states a real one reaches only by accident (a lost server, a
failed job on a server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from toolkit.config import Settings
from toolkit.widgets.protocol import CalcInfo, HazardCurves


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a data directory holding the demo calculations (1 classical, 2 scenario)
    and the two demo flood scenarios; tests may add calculations to it."""
    from toolkit.widgets.local import ensure_demo_data

    settings = Settings(data_dir=tmp_path_factory.mktemp("widget_data"))
    ensure_demo_data(settings)
    return settings


@pytest.fixture(scope="session")
def calcs(demo_settings: Settings) -> Any:
    from toolkit.widgets.local import LocalCalcs

    return LocalCalcs(demo_settings, abort_grace=2.0)


@pytest.fixture(scope="session")
def scenarios(demo_settings: Settings) -> Any:
    from toolkit.widgets.local import LocalScenarios

    return LocalScenarios(demo_settings)


def _calc_of_mode(calcs: Any, mode: str) -> CalcInfo:
    return next(c for c in calcs.list() if c.mode == mode and c.status == "complete")


@pytest.fixture(scope="session")
def classical_id(calcs: Any) -> int:
    """Id of the demo classical calculation."""
    return _calc_of_mode(calcs, "classical").id


@pytest.fixture(scope="session")
def scenario_id(calcs: Any) -> int:
    """Id of the demo scenario (ground-motion fields) calculation."""
    return _calc_of_mode(calcs, "scenario").id


@pytest.fixture(scope="session")
def flood_uuid(scenarios: Any) -> str:
    """Uuid of the bundled demo flood scenario."""
    from toolkit.scenarios.publish import DEMO_FLOOD_NAME

    return scenarios.scenarios(name=DEMO_FLOOD_NAME).items[0]["uuid"]


@pytest.fixture
def fake_calcs() -> type:
    """The :class:`FakeCalcs` class (instantiate with the statuses to go through)."""
    return FakeCalcs


class FakeCalcs:
    """A CalcService whose calculation goes through ``statuses`` one poll at a time; ``info``
    raises ``error`` once ``fail_after`` polls happened (a server that went away)."""

    def __init__(self, statuses: list[str], *, traceback: str = "", error: Exception | None =
                 None, fail_after: int | None = None, location: str = "http://fake:1") -> None:
        self.statuses = list(statuses)
        self.tb = traceback
        self.error = error
        self.fail_after = fail_after
        self.location = location
        self.polls = 0
        self.submitted: list[Path] = []
        self.aborted: list[int] = []

    def list(self, limit: int = 100) -> list[CalcInfo]:
        if self.error is not None and self.fail_after == 0:
            raise self.error
        return [CalcInfo(7, "fake job", "classical", self.statuses[-1], None, "me", None)]

    def demo_jobs(self) -> dict[str, Path]:
        from toolkit.jobs.runner import DEMO_JOBS

        return {"fake demo": DEMO_JOBS[0]}

    def submit(self, job_ini: Path) -> int:
        self.submitted.append(Path(job_ini))
        return 7

    def info(self, calc_id: int) -> CalcInfo:
        self.polls += 1
        if self.error is not None and self.fail_after is not None and \
                self.polls > self.fail_after:
            raise self.error
        status = self.statuses[min(self.polls - 1, len(self.statuses) - 1)]
        return CalcInfo(calc_id, "fake job", "classical", status, None, "me", None)

    def log(self, calc_id: int, start: int = 0) -> list[str]:
        lines = ["[00:00:01 INFO] started", "[00:00:02 INFO] progress 40%"]
        return lines[start:]

    def traceback(self, calc_id: int) -> str:
        return self.tb

    def abort(self, calc_id: int) -> bool:
        self.aborted.append(calc_id)
        return True

    def hazard_curves(self, calc_id: int) -> HazardCurves:
        levels = np.array([0.1, 0.2, 0.4])
        return HazardCurves(lons=[1.0], lats=[2.0], levels={"PGA": levels},
                            curves={"mean": {"PGA": np.array([[0.5, 0.1, 0.01]])}},
                            investigation_time=50.0, title="fake")
