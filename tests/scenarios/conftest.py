"""Fixtures for the 3Di readers: the two real result pairs in ../shared/reference/lizard (read in
place, never copied) and small synthetic pairs written by the toolkit."""

from __future__ import annotations

from pathlib import Path

import pytest

REAL = {
    # name: (folder, 2D cells, 1D nodes, lines, output steps)
    "zwartedijkspolder": ("threedi-1d2d-zwartedijkspolder", 360, 210, 1134, 25),
    "waterquality": ("threedi-2d-waterquality-testmodel", 203, 0, 375, 5),
}


@pytest.fixture(scope="session")
def lizard_dir(shared_dir: Path) -> Path:
    return shared_dir / "reference" / "lizard"


@pytest.fixture(params=sorted(REAL))
def real(request: pytest.FixtureRequest, lizard_dir: Path) -> dict:
    """One real pair: paths and expected sizes."""
    folder, cells, nodes_1d, lines, steps = REAL[request.param]
    path = lizard_dir / folder
    return {"name": request.param, "gridadmin": path / "gridadmin.h5",
            "results": path / "results_3di.nc", "cells": cells, "nodes_1d": nodes_1d,
            "lines": lines, "steps": steps}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory):
    """A small two-level synthetic pair with an aggregate file."""
    from toolkit.scenarios.synthetic import write_synthetic_pair

    return write_synthetic_pair(tmp_path_factory.mktemp("synthetic"), n_cells=150, n_times=12,
                                seed=3, aggregate=True)
