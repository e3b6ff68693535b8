"""Fixtures of the server tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.config import Settings

from .helpers import server_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings of a fresh data directory (public mode, two concurrent jobs)."""
    return server_settings(tmp_path / "data")
