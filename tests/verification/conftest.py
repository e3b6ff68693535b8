"""Fixtures of the PEER verification tests."""

from __future__ import annotations

import pytest

from . import peer_helpers as ph

_RUNS: dict = {}


@pytest.fixture(scope="session")
def peer_run(tmp_path_factory):
    """Run a PEER demo case once per test process (tests of one case share its run)."""

    def run(case: str):
        if case not in _RUNS:
            _RUNS[case] = ph.run_case(case, tmp_path_factory.mktemp(case))
        return _RUNS[case]

    return run
