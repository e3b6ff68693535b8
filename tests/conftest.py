"""Shared fixtures: where ../shared is, and whether its absence may skip tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO.parent / "shared").resolve()


def _require_shared() -> bool:
    return os.environ.get("TOOLKIT_REQUIRE_SHARED", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """Path of ``../shared``; skips (or fails under TOOLKIT_REQUIRE_SHARED=1) when absent."""
    if not (SHARED / "verification").is_dir():
        message = (
            f"shared verification data not found at {SHARED}: clone the project next to its "
            "shared/ folder to run the verification tests"
        )
        if _require_shared():
            pytest.fail(message + " (TOOLKIT_REQUIRE_SHARED=1)")
        pytest.skip(message)
    return SHARED


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh toolkit data directory for one test."""
    path = tmp_path / "toolkit_data"
    path.mkdir()
    return path
