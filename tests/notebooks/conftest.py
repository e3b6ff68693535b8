"""Fixtures of the notebook tests: a data directory with the demo data."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary data directory with the demo calculations and scenarios."""
    from toolkit.config import Settings
    from toolkit.widgets.local import ensure_demo_data

    path = tmp_path_factory.mktemp("notebook_data")
    ensure_demo_data(Settings(data_dir=path))
    return path
