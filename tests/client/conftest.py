"""Fixtures of the client tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def oq_api(shared_dir: Path) -> Path:
    """Responses recorded on a real OpenQuake 3.26.2 server (read in place)."""
    return shared_dir / "reference" / "openquake" / "api"


@pytest.fixture(scope="session")
def oq_exports(shared_dir: Path) -> Path:
    """CSV exports of the same calculations by OpenQuake's CLI (read in place)."""
    return shared_dir / "reference" / "openquake" / "cli-exports"
